"""Compiled session rules (`sessions`): S1/S2/S3 flags and the sharing of a reader's reads among its antennas, one
loop per rule instead of one numpy pass per field and per rank of a group.

Each kernel takes the run's numpy Generator (never numba's global random state) and draws the same variates in the
same order as the numpy rule it replaces (`sessions.session_reads`, `split`). Every exp and pow stays in
numpy (numpy's vectorised exp/pow may differ from the C library's in the last bit, and one bit can flip a count or a
gamma draw's rejection loop): the flicker rate and the renewal's mean gap cubed come in computed by numpy, and the
order statistics' uniforms go out for numpy's powers (`sessions.order_stats_from`, `sessions._lattice`). So the
compiled rules give the numpy rules' bytes; the kernels hold the loops, draws and integer bookkeeping. numba's
Poisson (mean >= 10) and binomial (over 30 trials) samplers differ from numpy's in rare draws, so the callers keep
the numpy rules for those (`sessions`); S0 counts stay numpy's Poisson.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twin.readers.kernels import _lower_bound


@njit(cache=True, error_model="numpy")
def session_rounds(rng, order, bounds, s1_mode, u_of, lam, lam_us, s0, s1, steady, given, flick_lam, mu3, elig,
                   armed, seen, tau_us, reset_us, n, first, last, fl_g, fl_m, fl_u, fl_v, fl_base, fl_span, fl_got):
    """The loop of `sessions.session_reads` over the ranks of groups within a key (rows of rank r: order[bounds[r]:
    bounds[r + 1]]), S1 rows then S2/S3 rows of each rank, each field's draws in one pass as numpy draws them.
    Updates elig/armed/seen (per key) and fills n/first/last (per group) in place. `flick_lam`: the S2/S3 flicker
    rate lam * exp(-lam_us * reset_us) per group; `mu3`: the S1 renewal's mean gap cubed, (tau + 1 / lam_us) ** 3
    (numpy's exp and pow, as the numpy rule). Flicker re-reads are recorded in fl_* (group, count, the two uniforms
    of their order statistics, base, span, first read kept) for numpy to place; returns how many."""
    G = order.shape[0]
    f1 = np.empty(G)
    k1 = np.empty(G)
    ok = np.empty(G, np.bool_)
    rows = np.empty(G, np.int64)
    mm = np.empty(G, np.int64)
    nfl = 0
    for r in range(bounds.shape[0] - 1):
        for mode in range(2):  # S1 rows first, then S2/S3 rows of this rank
            c = 0
            for q in range(bounds[r], bounds[r + 1]):
                g = order[q]
                if s1_mode[g] == (mode == 0):
                    rows[c] = g
                    c += 1
            if c == 0:
                continue
            for j in range(c):  # exponential first-read wait
                g = rows[j]
                k1[j] = min(rng.exponential() / max(lam_us[g], 1e-300), 1e15)
            if mode == 0:
                for j in range(c):  # S1: renewal count from a normal draw
                    g = rows[j]
                    u, a, b, lu, gv = u_of[g], s0[g], s1[g], lam_us[g], given[g]
                    f = float(a) if gv else float(max(elig[u], a)) + k1[j]
                    ok[j] = (lam[g] > 0) and (f < b) and ((not gv) or (a >= elig[u]))
                    R = max(b - f, 0.0)
                    lm = max(lu, 1e-300)
                    mu = tau_us + 1.0 / lm
                    sd = np.sqrt(R / (lm * lm) / mu3[g])
                    z = rng.standard_normal()
                    k = min(max(np.rint(R / mu + sd * z), 0.0), np.floor(R / tau_us))
                    f1[j] = f
                    k1[j] = k if ok[j] and not gv else 0.0
                for j in range(c):  # time of the last read: gamma-distributed rest of the renewal
                    g = rows[j]
                    u, b, lu = u_of[g], s1[g], lam_us[g]
                    k = k1[j]
                    gap = rng.gamma(max(k, 1e-12), 1.0 / max(lu, 1e-300))
                    f = f1[j]
                    l1 = min(max(f + k * tau_us + (gap if k > 0 else 0.0), f + k * tau_us), b - 1)
                    n[g] = np.int64(k + 1) if ok[j] else 0
                    first[g] = np.int64(f)
                    last[g] = np.int64(l1)
                    if ok[j]:
                        elig[u] = np.int64(l1 + tau_us)
                    if lam[g] > 0:
                        seen[u] = max(seen[u], b)
            else:
                nm = 0
                for j in range(c):  # S2/S3: one read while armed; flicker re-reads
                    g = rows[j]
                    u, a, b, gv = u_of[g], s0[g], s1[g], given[g]
                    arm = armed[u] or (a - seen[u]) > reset_us
                    f = a + (0.0 if gv else k1[j])
                    ok[j] = arm and lam[g] > 0 and f < b
                    f1[j] = f
                    k1[j] = 1.0 if arm else 0.0
                    mm[j] = 0
                for j in range(c):
                    g = rows[j]
                    if not (steady[g] or given[g]):
                        mm[j] = rng.poisson(flick_lam[g])
                        if mm[j]:
                            nm += 1
                t = 0
                for j in range(c):
                    g = rows[j]
                    fo = f1[j] if ok[j] else float(s0[g])
                    first[g] = np.int64(fo)
                    last[g] = np.int64(fo)
                    if mm[j]:
                        q = nfl + t
                        fl_g[q], fl_m[q], fl_base[q], fl_got[q] = g, mm[j], fo, ok[j]
                        fl_span[q] = max(s1[g] - fo, 0.0)
                        t += 1
                for t in range(nm):
                    fl_u[nfl + t] = rng.random()
                for t in range(nm):
                    fl_v[nfl + t] = rng.random()
                nfl += nm
                for j in range(c):
                    g = rows[j]
                    u, b = u_of[g], s1[g]
                    n2 = (1 if ok[j] else 0) + mm[j]
                    n[g] = n2
                    armed[u] = k1[j] == 1.0 and n2 == 0
                    if lam[g] > 0:
                        seen[u] = max(seen[u], b)
    return nfl


@njit(cache=True)
def group_rows(key, per, s0, s1, steady, given, s1_mode):
    """Groups of rows sorted by (key, period): per group its first row, the key, the earliest start, the latest end,
    steadily powered by any row, given by all rows, its first row's S1 mode; per row its group. (The groups' summed
    lam is numpy's reduceat over the starts: numpy's own summation order.)"""
    n = key.shape[0]
    grp = np.empty(n, np.int64)
    g = -1
    for i in range(n):
        if i == 0 or key[i] != key[i - 1] or per[i] != per[i - 1]:
            g += 1
        grp[i] = g
    G = g + 1
    starts = np.empty(G, np.int64)
    gk = np.empty(G, np.int64)
    g0 = np.empty(G, np.int64)
    g1 = np.empty(G, np.int64)
    gst = np.zeros(G, np.bool_)
    gv = np.ones(G, np.bool_)
    gs1 = np.empty(G, np.bool_)
    for i in range(n):
        g = grp[i]
        if i == 0 or grp[i - 1] != g:
            starts[g], gk[g], g0[g], g1[g], gs1[g] = i, key[i], s0[i], s1[i], s1_mode[i]
        else:
            g0[g], g1[g] = min(g0[g], s0[i]), max(g1[g], s1[i])
        gst[g] = gst[g] or steady[i]
        gv[g] = gv[g] and given[i]
    return starts, gk, g0, g1, gst, gv, gs1, grp


@njit(cache=True, error_model="numpy")
def session_all(rng, key, s1_mode, lam, lam_us, s0, s1, steady, given, flick_lam, mu3, st_keys, st_elig, st_armed,
                st_seen, tau_us, reset_us):
    """`sessions.session_reads` after its rates: groups' ranks within their key, each key's flags looked up in the
    sorted state (`SessionState.lookup`), then `session_rounds`. Returns per group (n, first, last) and per key
    (keys, elig, armed, seen) for `SessionState.update`, and the flicker records of `session_rounds`."""
    G = key.shape[0]
    u_of = np.empty(G, np.int64)
    rank = np.empty(G, np.int64)
    u = -1
    max_rank = 0
    start = 0
    for g in range(G):
        if g == 0 or key[g] != key[g - 1]:
            u += 1
            start = g
        u_of[g] = u
        rank[g] = g - start
        max_rank = max(max_rank, rank[g])
    U = u + 1
    ukeys = np.empty(U, np.int64)
    elig = np.empty(U, np.int64)
    armed = np.empty(U, np.bool_)
    seen = np.empty(U, np.int64)
    S = st_keys.shape[0]
    neg = -(1 << 62)
    lo = 0  # keys ascend: a galloping search on from the last key's place (the place a binary search finds)
    for g in range(G):
        if g == 0 or key[g] != key[g - 1]:
            k = key[g]
            j = u_of[g]
            ukeys[j] = k
            if g > 0 and k < key[g - 1]:
                lo = 0  # not ascending (a caller's own order): from the start
            if lo < S and st_keys[lo] < k:
                step = 1
                while lo + step < S and st_keys[lo + step] < k:
                    step <<= 1
                # st_keys[a - 1] < k <= st_keys[b] (or b == S)
                lo = _lower_bound(st_keys, lo + (step >> 1) + 1, min(lo + step, S), k)
            if lo < S and st_keys[lo] == k:
                elig[j], armed[j], seen[j] = st_elig[lo], st_armed[lo], st_seen[lo]
            else:
                elig[j], armed[j], seen[j] = neg, True, neg
    cnt = np.zeros(max_rank + 2, np.int64)
    for g in range(G):
        cnt[rank[g] + 1] += 1
    for r in range(max_rank + 1):
        cnt[r + 1] += cnt[r]
    bounds = cnt.copy()
    order = np.empty(G, np.int64)
    for g in range(G):
        order[cnt[rank[g]]] = g
        cnt[rank[g]] += 1
    n = np.zeros(G, np.int64)
    first = np.zeros(G, np.int64)
    last = np.zeros(G, np.int64)
    fl_g, fl_m = np.empty(G, np.int64), np.empty(G, np.int64)
    fl_u, fl_v, fl_base, fl_span = np.empty(G), np.empty(G), np.empty(G), np.empty(G)
    fl_got = np.empty(G, np.bool_)
    k = session_rounds(rng, order, bounds, s1_mode, u_of, lam, lam_us, s0, s1, steady, given, flick_lam, mu3, elig,
                       armed, seen, tau_us, reset_us, n, first, last, fl_g, fl_m, fl_u, fl_v, fl_base, fl_span, fl_got)
    return n, first, last, ukeys, elig, armed, seen, (fl_g[:k], fl_m[:k], fl_u[:k], fl_v[:k], fl_base[:k],
                                                      fl_span[:k], fl_got[:k])


@njit(cache=True, error_model="numpy")
def split_draws(rng, grp, lam, n):
    """The draws of `sessions.split`: each group's n reads shared among its members (rows of grp, sorted) by binomial
    draws (per rank of member, in row order), then two uniforms per member (all first ones, then all last ones) for
    `sessions._lattice`, as numpy draws them. Returns (reads per member, u1, u2)."""
    M = grp.shape[0]
    rank = np.zeros(M, np.int64)
    ends = np.empty(M, np.int64)
    max_rank = 0
    start = 0
    for i in range(M):
        if i > 0 and grp[i] != grp[i - 1]:
            start = i
        rank[i] = i - start
        max_rank = max(max_rank, rank[i])
    e = M
    for i in range(M - 1, -1, -1):
        ends[i] = e
        if rank[i] == 0:
            e = i
    out = np.empty(M, np.int64)
    for i in range(M):
        out[i] = n[grp[i]]
    if M and max_rank > 0:
        gs = np.empty(M + 1)  # suffix sums of lam, summed from the end as numpy's cumsum of the reversed array
        acc = 0.0
        for i in range(M - 1, -1, -1):
            acc += lam[i]
            gs[i] = acc
        gs[M] = 0.0
        left = out.copy()
        for r in range(max_rank + 1):
            for i in range(M):
                if rank[i] != r:
                    continue
                rem = gs[i] - gs[ends[i]]
                p = min(max(lam[i] / max(rem, 1e-300), 0.0), 1.0)
                if p == 1.0 and left[i] > 0:  # numpy's inversion for p = 1 takes one uniform and gives n
                    rng.random()
                    take = left[i]
                else:
                    take = rng.binomial(left[i], p)
                out[i] = take
                if i + 1 < ends[i]:
                    left[i + 1] = left[i] - take
    u1 = np.empty(M)
    u2 = np.empty(M)
    for i in range(M):
        u1[i] = rng.random()
    for i in range(M):
        u2[i] = rng.random()
    return out, u1, u2


def warm() -> None:
    """Compile (first install) or load (later) every kernel on tiny inputs."""
    g = np.random.default_rng(0)
    z, one = np.zeros(1, np.int64), np.ones(1, np.int64)
    b, f = np.zeros(1, np.bool_), np.ones(1)
    split_draws(g, z, f, one)
    key = z.copy()
    st, gk, g0, g1, gst, gv, gs1, grp = group_rows(key, z, z, one * 10, b, b, b)
    session_all(g, gk, gs1, f, f, g0, g1, gst, gv, f, f, np.zeros(0, np.int64), np.zeros(0, np.int64),
                np.zeros(0, np.bool_), np.zeros(0, np.int64), 1.0, 1.0)
