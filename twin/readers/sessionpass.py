"""The engine's session step for flagged sessions (S1/S2/S3) in two compiled passes instead of some forty numpy and
compiled calls: `group_pass` sorts the exposures by (reader, tag, period, antenna), groups them and sums each
group's expected reads; `rules_pass` applies the session rules (`sessionkernels.session_all`), merges the flags into
the session state and shares each group's reads among its antennas (`sessionkernels.split_draws`), drawing from the
run's Generator in the order the numpy rules draw. Between and after them numpy computes every exp and pow (the
flicker rate, the renewal's mean gap cubed, the order statistics' powers), as the rules it replaces do, so the rows
are the same bytes as `session_rows_py` (the plain steps, kept as the reference).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twin.readers import sessionkernels as sk
from twin.readers.radix import argsort_stable
from twin.readers.sessions import order_stats_from, session_reads, split
from twin.readers.timegrid import lexsort_ints


@njit(cache=True)
def _pairwise(a, lo, n):
    """numpy's pairwise sum of a[lo:lo + n] (the float64 add loop of a reduction: blocks of 8 partial sums)."""
    if n < 8:
        r = -0.0
        for i in range(lo, lo + n):
            r += a[i]
        return r
    if n <= 128:
        r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
        r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
        i = 8
        while i < n - (n % 8):
            r0 += a[lo + i]
            r1 += a[lo + i + 1]
            r2 += a[lo + i + 2]
            r3 += a[lo + i + 3]
            r4 += a[lo + i + 4]
            r5 += a[lo + i + 5]
            r6 += a[lo + i + 6]
            r7 += a[lo + i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[lo + i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise(a, lo, n2) + _pairwise(a, lo + n2, n - n2)


@njit(cache=True)
def reduceat_sum(a, starts):
    """`np.add.reduceat(a, starts)` for increasing starts: each segment's first value plus numpy's pairwise sum of
    the rest (the same bits)."""
    G = starts.shape[0]
    out = np.empty(G)
    for g in range(G):
        lo = starts[g]
        hi = starts[g + 1] if g + 1 < G else a.shape[0]
        out[g] = a[lo] + _pairwise(a, lo + 1, hi - lo - 1) if hi - lo > 1 else a[lo]
    return out


@njit(cache=True)
def _bits(x):
    """(min, bit width of max - min, at least 1) of an int64 array (`timegrid.lexsort_ints`' packing); (0, 1) when
    empty."""
    if x.shape[0] == 0:
        return 0, 1
    lo, hi = x[0], x[0]
    for v in x:
        lo, hi = min(lo, v), max(hi, v)
    d, w = hi - lo, 0
    while d > 0:
        d >>= 1
        w += 1
    return lo, max(w, 1)


@njit(cache=True, error_model="numpy")
def group_pass(rows, ant, per, tag, rdr, s0, s1, steady, given, code, lam, tag_bits, reset_us, tau_us):
    """For exposures `rows`: their order by (reader, tag, period, antenna) (stable; `timegrid.lexsort_ints`), each
    row's group (reader, tag, period) and per group (`sessionkernels.group_rows`) its first row, key, earliest
    start, latest end, steadily powered by any, given by all, S1 mode (code 1) of its first row; the groups' summed
    lam (numpy's reduceat) and reads per us, and the arguments of numpy's exp and pow for the flicker rate and the
    renewal's mean gap cubed (`sessions.session_reads`). ok False when the sort keys do not pack into 63 bits."""
    n = rows.shape[0]
    packed = np.zeros(n, np.int64)
    bits = 0
    ok = True
    for c in range(4):  # least significant first, as lexsort_ints((ant, per, tag, rdr))
        col = np.empty(n, np.int64)
        for i in range(n):
            r = rows[i]
            col[i] = ant[r] if c == 0 else per[r] if c == 1 else tag[r] if c == 2 else rdr[r]
        lo, w = _bits(col)
        if bits + w > 63:
            ok = False
            break
        for i in range(n):
            packed[i] |= (col[i] - lo) << bits
        bits += w
    if not ok:
        packed[:] = 0
    o = rows[argsort_stable(packed)]
    key = np.empty(n, np.int64)
    for i in range(n):
        key[i] = (rdr[o[i]] << tag_bits) | tag[o[i]]
    starts, gk, g0, g1, gst, gv, gs1, grp = sk.group_rows(key, per[o], s0[o], s1[o], steady[o], given[o],
                                                           code[o] == 1)
    lam_o = lam[o]
    gl = reduceat_sum(lam_o, starts)
    G = starts.shape[0]
    lam_us = np.empty(G)
    x_exp = np.empty(G)
    x_pow = np.empty(G)
    for g in range(G):
        lam_us[g] = gl[g] / float(max(g1[g] - g0[g], 1))
        x_exp[g] = -lam_us[g] * reset_us
        x_pow[g] = tau_us + 1.0 / max(lam_us[g], 1e-300)
    return ok, o, grp, lam_o, (gk, g0, g1, gst, gv, gs1, gl, lam_us, x_exp, x_pow)


@njit(cache=True)
def merge_state(keys, elig, armed, seen, ukeys, uelig, uarmed, useen):
    """`SessionState.update` as a merge: the sorted state keys with the sorted distinct keys of this call, their
    flags replaced or inserted in key order (the same arrays as its stable sort of the concatenation)."""
    S, U = keys.shape[0], ukeys.shape[0]
    M = S + U
    ok = np.empty(M, np.int64)
    oe = np.empty(M, np.int64)
    oa = np.empty(M, np.bool_)
    os_ = np.empty(M, np.int64)
    i = j = m = 0
    while i < S or j < U:
        if j >= U or (i < S and keys[i] < ukeys[j]):
            ok[m], oe[m], oa[m], os_[m] = keys[i], elig[i], armed[i], seen[i]
            i += 1
        else:
            ok[m], oe[m], oa[m], os_[m] = ukeys[j], uelig[j], uarmed[j], useen[j]
            if i < S and keys[i] == ukeys[j]:
                i += 1
            j += 1
        m += 1
    return ok[:m], oe[:m], oa[:m], os_[:m]


@njit(cache=True, error_model="numpy")
def rules_pass(rng, grp, lam_o, gk, gs1, gl, lam_us, g0, g1, gst, gv, flick, mu3, st_keys, st_elig, st_armed,
               st_seen, tau_us, reset_us):
    """`sessionkernels.session_all`, the session state merged (`merge_state`), then `sessionkernels.split_draws`
    when no group has over 30 reads (numba's binomial is numpy's up to there): the draws of `sessions.session_reads`
    and `sessions.split` in their order. Returns (state: 0 when a flicker rate >= 10 asks for the numpy rule, before
    any draw; 1 rules only; 2 rules and split), per group (n, first, last), the flicker records, the new state and
    the split's (reads per member, u1, u2)."""
    G, M = gk.shape[0], grp.shape[0]
    z8, zf, zb = np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.bool_)
    fl0 = (z8, z8, zf, zf, zf, zf, zb)
    none = (z8, z8, z8, (st_keys, st_elig, st_armed, st_seen), fl0, (z8, zf, zf))
    for g in range(G):
        if flick[g] >= 10.0 and not (gs1[g] or gst[g] or gv[g]):
            return 0, none
    n, first, last, ukeys, elig, armed, seen, fl = sk.session_all(
        rng, gk, gs1, gl, lam_us, g0, g1, gst, gv, flick, mu3, st_keys, st_elig, st_armed, st_seen, tau_us,
        reset_us)
    state = merge_state(st_keys, st_elig, st_armed, st_seen, ukeys, elig, armed, seen)
    nmax = 0
    for g in range(G):
        nmax = max(nmax, n[g])
    if G == 0 or nmax > 30:
        return 1, (n, first, last, state, fl, (z8, zf, zf))
    return 2, (n, first, last, state, fl, sk.split_draws(rng, grp, lam_o, n))


def session_rows(eng, rows, lam, s0, s1, steady, given, ant, per, tag, rdr, code, rng):
    """Reads of the exposures `rows` of flagged-session readers after the session rules and the sharing among a
    reader's antennas: (row, reads, first, last) of rows read at least once, the session state carried over.
    Arrays are per exposure (per = report period, code = the reader's session code)."""
    from twin.readers.engine import TAG_BITS

    P = eng.params.gen2
    tau, reset = P.s1_persistence_s * 1e6, P.s2_reset_s * 1e6
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    ok, o, grp, lam_o, g = group_pass(i8(rows), i8(ant), i8(per), i8(tag), i8(rdr), i8(s0), i8(s1),
                                      np.ascontiguousarray(steady, np.bool_), np.ascontiguousarray(given, np.bool_),
                                      i8(code), np.ascontiguousarray(lam, np.float64), TAG_BITS, reset, tau)
    if not ok:
        return session_rows_py(eng, rows, lam, s0, s1, steady, given, ant, per, tag, rdr, code, rng)
    how, res = after_groups(eng, rng, o, grp, lam_o, g)
    return res if how == "rows" else lattice_rows(*res)


def after_groups(eng, rng, o, grp, lam_o, g):
    """The session rules on `group_pass`'s groups: numpy's exp and pow, `rules_pass`, the flicker re-reads' times
    and the split. ("rows", (row, reads, first, last)) when a numpy rule had to take over, else ("lattice", the
    arguments of `lattice_rows`)."""
    P = eng.params.gen2
    tau, reset = P.s1_persistence_s * 1e6, P.s2_reset_s * 1e6
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    gk, g0, g1, gst, gv, gs1, gl, lam_us, x_exp, x_pow = g
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        flick = gl * np.exp(x_exp)  # numpy's exp and pow, as the numpy rule computes them
        mu3 = x_pow ** 3
    st = eng.state
    how, res = rules_pass(rng, grp, lam_o, gk, gs1, gl, lam_us, g0, g1, gst, gv, flick, mu3, i8(st.keys),
                          i8(st.elig_us), np.ascontiguousarray(st.armed, np.bool_), i8(st.seen_us), tau, reset)
    if how == 0:  # a flicker rate the compiled Poisson would not match: the numpy rule (no draw taken yet)
        n, first, last = session_reads(gs1, gk, gl, g0, g1, gst, gv, st, rng, tau, reset, compiled=False)
    else:
        n, first, last, (st.keys, st.elig_us, st.armed, st.seen_us), fl, _ = res
        fg, fm, fu, fv, base, span, got = fl  # flicker re-reads of S2/S3 groups: their times from numpy's powers
        if len(fg):
            uf, ul = order_stats_from(fu, fv, fm)
            first[fg] = np.where(got, first[fg], (base + uf * span).astype(np.int64))
            last[fg] = (base + ul * span).astype(np.int64)
    if how != 2:
        m, mf, ml = split(rng, grp, lam_o, n, first, last)
        k = m > 0
        return "rows", (o[k], m[k], mf[k], ml[k])
    m, u1, u2 = res[5]
    if len(m) and int(m.max()) >= 2:  # numpy's powers where a member has several reads, as `sessions._lattice`
        kf = np.maximum(m, 1).astype(np.float64)
        many = kf != 1.0
        np.power(u1, 1.0 / kf, out=u1, where=many)
        np.power(u2, 1.0 / kf, out=u2, where=many)
    return "lattice", (o, m, n, grp, first, last, u1, u2)


@njit(cache=True)
def lattice_rows(o, out, n, grp, first, last, u1, u2):
    """`sessions._lattice` after its powers (u1, u2 already raised to 1 / reads where a member has several), then
    the members read at least once: (row, reads, first, last)."""
    M = out.shape[0]
    c = 0
    for i in range(M):
        if out[i] > 0:
            c += 1
    ro, rm, rf, rl = np.empty(c, np.int64), np.empty(c, np.int64), np.empty(c, np.int64), np.empty(c, np.int64)
    c = 0
    for i in range(M):
        if out[i] <= 0:
            continue
        g = grp[i]
        nt = np.float64(n[g])
        step = np.float64(last[g] - first[g]) / max(nt - 1.0, 1.0) if nt > 1 else 0.0
        room = max(nt - out[i], 0.0)
        i_f = min(np.floor(nt * (1.0 - u1[i])), room)
        i_l = min(max(nt - 1 - np.floor(nt * (1.0 - u2[i])), i_f + out[i] - 1), nt - 1)
        f = first[g] + np.int64(i_f * step)
        ro[c], rm[c], rf[c], rl[c] = o[i], out[i], f, max(first[g] + np.int64(i_l * step), f)
        c += 1
    return ro, rm, rf, rl


def session_rows_py(eng, rows, lam, s0, s1, steady, given, ant, per, tag, rdr, code, rng):
    """The plain steps of the flagged sessions (the reference of `session_rows`): (row, reads, first, last)."""
    from twin.readers.engine import TAG_BITS

    o = rows[lexsort_ints((ant[rows], per[rows], tag[rows], rdr[rows]))]
    key = (rdr[o] << TAG_BITS) | tag[o]
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    b, gk, g0, g1, gst, gv, gs1, grp = sk.group_rows(i8(key), i8(per[o]), i8(s0[o]), i8(s1[o]),
                                                     np.ascontiguousarray(steady[o]), np.ascontiguousarray(given[o]),
                                                     code[o] == 1)
    gl = np.add.reduceat(lam[o], b)
    P = eng.params.gen2
    n, f, l_ = session_reads(gs1, gk, gl, g0, g1, gst, gv, eng.state, rng, P.s1_persistence_s * 1e6,
                             P.s2_reset_s * 1e6)
    m, mf, ml = split(rng, grp, lam[o], n, f, l_)
    k = m > 0
    return o[k], m[k], mf[k], ml[k]


def warm() -> None:
    """Compile (first install) or load (later) the passes on tiny inputs of the engine's types."""
    from types import SimpleNamespace

    from twin.readers.gen2 import Gen2Params
    from twin.readers.sessions import SessionState

    eng = SimpleNamespace(params=SimpleNamespace(gen2=Gen2Params()), state=SessionState())
    z, one = np.zeros(2, np.int64), np.ones(2, np.int64)
    b = np.array([False, True])
    session_rows(eng, np.arange(2), np.ones(2), z, z + 10, b, b, z, z, np.arange(2), z, one + 1,
                 np.random.default_rng(0))
    reduceat_sum(np.ones(2), np.zeros(1, np.int64))
