"""The engine's session step (`ReaderEngine._sessions`) with its bookkeeping in two compiled passes around the rules:
`flagged_pass` reads each exposure's antenna, reader, session and report period from the engine's per-antenna and
per-reader arrays, picks the S0 exposures (drawn by numpy, `sessions.s0_reads`) and groups the flagged-session ones
(`sessionpass.group_pass`); `finish_pass` places each member's reads on its group's lattice
(`sessionpass.lattice_rows`) and writes the rows (antenna, segment, period, reads, first, last, mean RSSI), S0 rows
first, as `ReaderEngine._sessions_py` concatenates and gathers them. The rules between them (`sessionpass.
after_groups`) and every draw are unchanged, so the same rows.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twin.readers.radix import argsort_stable
from twin.readers.sessionpass import _bits, after_groups, group_pass, lattice_rows, reduceat_sum, session_rows_py


@njit(cache=True, error_model="numpy")
def flagged_pass(w, seg, lam, s0, s1, steady, given, tagid, wa, wk, a_reader, r_code, tag_bits, reset_us, tau_us):
    """Per exposure its antenna, report period and reader; the S0 exposures not given (i0) and given (i1), the
    flagged ones (rows), and `group_pass` over those."""
    n = w.shape[0]
    ant = np.empty(n, np.int64)
    per = np.empty(n, np.int64)
    rdr = np.empty(n, np.int64)
    code = np.empty(n, np.int64)
    tag = np.empty(n, np.int64)
    n0 = n1 = nf = 0
    for x in range(n):
        a = wa[w[x]]
        ant[x], per[x], tag[x] = a, wk[w[x]], tagid[seg[x]]
        r = a_reader[a]
        rdr[x], code[x] = r, r_code[r]
        if code[x] != 0:
            nf += 1
        elif given[x]:
            n1 += 1
        else:
            n0 += 1
    i0, i1, rows = np.empty(n0, np.int64), np.empty(n1, np.int64), np.empty(nf, np.int64)
    n0 = n1 = nf = 0
    for x in range(n):
        if code[x] != 0:
            rows[nf] = x
            nf += 1
        elif given[x]:
            i1[n1] = x
            n1 += 1
        else:
            i0[n0] = x
            n0 += 1
    ok, o, grp, lam_o, g = group_pass(rows, ant, per, tag, rdr, s0, s1, steady, given, code, lam, tag_bits,
                                      reset_us, tau_us)
    return i0, i1, rows, ant, per, rdr, tag, code, ok, o, grp, lam_o, g


@njit(cache=True)
def finish_pass(i_s0, n_s0, f_s0, l_s0, o, m, n, grp, first, last, u1, u2, ant, seg, per, r):
    """The S0 rows (i_s0, reads, first, last), then `lattice_rows` of the flagged members, as engine rows."""
    ro, rm, rf, rl = lattice_rows(o, m, n, grp, first, last, u1, u2)
    k0, k1 = i_s0.shape[0], ro.shape[0]
    N = k0 + k1
    oa, os_, op = np.empty(N, np.int64), np.empty(N, np.int64), np.empty(N, np.int64)
    on, of, ol, orr = np.empty(N, np.int64), np.empty(N, np.int64), np.empty(N, np.int64), np.empty(N)
    for j in range(N):
        if j < k0:
            i, c, f, l_ = i_s0[j], n_s0[j], f_s0[j], l_s0[j]
        else:
            i, c, f, l_ = ro[j - k0], rm[j - k0], rf[j - k0], rl[j - k0]
        oa[j], os_[j], op[j], on[j], of[j], ol[j], orr[j] = ant[i], seg[i], per[i], c, f, l_, r[i]
    return oa, os_, op, on, of, ol, orr


@njit(cache=True)
def merge_pieces(w, seg, tagid, lam, r, s0, s1, steady):
    """`ReaderEngine._exposures_py` in one pass: pieces ordered by (window, tag, start) (stable; `timegrid.
    lexsort_ints`' packing, radix sorted), one exposure per (window, tag): summed lam (numpy's reduceat), lam-weighted
    mean RSSI, earliest start, latest end, steady if all pieces are, kept where lam > 0. ok False when the keys do
    not pack into 63 bits (the caller's numpy rule then)."""
    n = w.shape[0]
    tag = np.empty(n, np.int64)
    for i in range(n):
        tag[i] = tagid[seg[i]]
    packed = np.zeros(n, np.int64)
    bits = 0
    for c in range(3):  # least significant first, as lexsort_ints((s0, tag, w))
        col = s0 if c == 0 else tag if c == 1 else w
        lo, wd = _bits(col)
        if bits + wd > 63:
            z = np.zeros(0, np.int64)
            return False, z, z, np.zeros(0), np.zeros(0), z, z, np.zeros(0, np.bool_)
        for i in range(n):
            packed[i] |= (col[i] - lo) << bits
        bits += wd
    o = argsort_stable(packed)
    starts = np.empty(n, np.int64)
    G = 0
    for j in range(n):
        if j == 0 or w[o[j]] != w[o[j - 1]] or tag[o[j]] != tag[o[j - 1]]:
            starts[G] = j
            G += 1
    starts = starts[:G]
    lo_ = np.empty(n)
    rl = np.empty(n)
    le = np.empty(n)
    for j in range(n):
        i = o[j]
        lo_[j] = lam[i]
        le[j] = lam[i] + 1e-12
        rl[j] = r[i] * le[j]
    ls, num, den = reduceat_sum(lo_, starts), reduceat_sum(rl, starts), reduceat_sum(le, starts)
    K = 0
    for g in range(G):
        if ls[g] > 0:
            K += 1
    ow, osg, oa0, oa1 = np.empty(K, np.int64), np.empty(K, np.int64), np.empty(K, np.int64), np.empty(K, np.int64)
    ol, orr, ost = np.empty(K), np.empty(K), np.empty(K, np.bool_)
    m = 0
    for g in range(G):
        a = starts[g]
        b = starts[g + 1] if g + 1 < G else n
        if not ls[g] > 0:
            continue
        i = o[a]
        ow[m], osg[m], ol[m], orr[m] = w[i], seg[i], ls[g], num[g] / den[g]
        mn, mx, st = s0[i], s1[i], steady[i]
        for j in range(a + 1, b):
            x = o[j]
            mn, mx, st = min(mn, s0[x]), max(mx, s1[x]), st and steady[x]
        oa0[m], oa1[m], ost[m] = mn, mx, st
        m += 1
    return True, ow, osg, ol, orr, oa0, oa1, ost


@njit(cache=True)
def _s0_counts(n):
    """The read S0 exposures (k), their counts and the exponents of `sessions.order_stats_from` (1 / n; 1 / (n - 1)
    floored at 1), and where each power applies (n != 1; n > 2)."""
    K = 0
    for x in range(n.shape[0]):
        if n[x] != 0:
            K += 1
    k, c = np.empty(K, np.int64), np.empty(K, np.int64)
    e1, e2 = np.empty(K), np.empty(K)
    m1, m2 = np.empty(K, np.bool_), np.empty(K, np.bool_)
    j = 0
    for x in range(n.shape[0]):
        if n[x] != 0:
            nf = max(np.float64(n[x]), 1.0)
            k[j], c[j] = x, n[x]
            e1[j], e2[j] = 1.0 / nf, 1.0 / max(nf - 1.0, 1.0)
            m1[j], m2[j] = nf != 1.0, nf > 2.0
            j += 1
    return k, c, e1, e2, m1, m2


@njit(cache=True)
def _s0_times(k, c, u, v, s0, s1):
    """First and last read of each read S0 exposure from its powered uniforms (`sessions.s0_reads`)."""
    K = k.shape[0]
    f, l_ = np.empty(K, np.int64), np.empty(K, np.int64)
    for j in range(K):
        first = 1.0 - u[j]
        last = first + (1.0 - first) * v[j] if c[j] >= 2 else first
        span = np.float64(s1[k[j]] - s0[k[j]])
        f[j] = s0[k[j]] + np.int64(first * span)
        l_[j] = s0[k[j]] + np.int64(last * span)
    return f, l_


def s0_reads_fused(rng, lam, s0, s1):
    """`sessions.s0_reads` with numpy's Poisson counts, uniforms and powers and the rest in two compiled passes (the
    same rows and draws)."""
    k, c, e1, e2, m1, m2 = _s0_counts(rng.poisson(lam))
    u = rng.random(len(k))
    v = rng.random(len(k))
    np.power(u, e1, out=u, where=m1)
    np.power(v, e2, out=v, where=m2)
    f, l_ = _s0_times(k, c, u, v, np.ascontiguousarray(s0, np.int64), np.ascontiguousarray(s1, np.int64))
    return k, c, f, l_


def sessions_fused(eng, ex, wa, wk, rng):
    """`ReaderEngine._sessions_py` through `flagged_pass` and `finish_pass`: the same rows (or None)."""
    from twin.readers.engine import TAG_BITS

    w, seg, lam, r, s0, s1, steady, given, tagid = ex
    if not len(w):
        return None
    P = eng.params.gen2
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    seg, s0, s1 = i8(seg), i8(s0), i8(s1)
    i0, i1, rows, ant, per, rdr, tag, code, ok, o, grp, lam_o, g = flagged_pass(
        i8(w), seg, np.ascontiguousarray(lam, np.float64), s0, s1, np.ascontiguousarray(steady, np.bool_),
        np.ascontiguousarray(given, np.bool_), i8(tagid), i8(wa), i8(wk), i8(eng.a_reader), i8(eng.r_code), TAG_BITS,
        P.s2_reset_s * 1e6, P.s1_persistence_s * 1e6)
    out = []
    if len(i0) or len(i1):  # S0: numpy's Poisson counts, then the given ones as they are
        k, n, f, l_ = s0_reads_fused(rng, lam[i0], s0[i0], s1[i0])
        out += [(i0[k], n, f, l_), (i1, lam[i1].astype(np.int64), s0[i1], s1[i1] - 1)]
    if len(rows):
        if not ok:
            how, res = "rows", session_rows_py(eng, rows, lam, s0, s1, steady, given, ant, per, tag, rdr, code, rng)
        else:
            how, res = after_groups(eng, rng, o, grp, lam_o, g)
        if how == "lattice":
            s = [np.concatenate([x[j] for x in out]) if out else np.zeros(0, np.int64) for j in range(4)]
            rows_out = finish_pass(*(i8(x) for x in s), *res, ant, seg, per, np.ascontiguousarray(r, np.float64))
            return rows_out if len(rows_out[0]) else None
        out.append(res)
    if not out:
        return None
    i, n, f, l_ = (np.concatenate([x[j] for x in out]) for j in range(4))
    if not len(i):
        return None
    return ant[i], seg[i], per[i], n, f, l_, r[i]


def warm() -> None:
    """Compile (first install) or load (later) the passes on tiny inputs of the engine's types."""
    z, one = np.zeros(2, np.int64), np.ones(2, np.int64)
    b = np.array([False, True])
    flagged_pass(z, z, np.ones(2), z, z + 10, b, b, z, z, z, z, one, 44, 1.0, 1.0)
    f = np.zeros(2)
    finish_pass(z, z, z, z, z, z, z, z, z, z, f, f, z, z, z, f)
    lattice_rows(z, z, z, z, z, z, f, f)
    s0_reads_fused(np.random.default_rng(0), np.ones(2), z, z + 10)
    merge_pieces(z, z, z, np.ones(2), f, z, z + 1, b)
