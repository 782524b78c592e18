"""The oracle's forward filter over one advance: sparse candidate support per tag, Poisson emissions, graph moves.

Only tags read in the interval, or whose belief says they should have been read (silence is evidence), are touched.
Each gets a support of candidates: its previous belief, the candidates an antenna that read it can reach (where its
true expected reads exceed a floor), and the generic places of the spaces next to those. Emissions and transitions
are then dense numpy over (tags, support) per step.
"""

from __future__ import annotations

import numpy as np

MU_MIN = 1e-3  # reads/s below which an antenna's read does not add a candidate to the support (assumption)
SILENT_READS = 0.5  # a tag whose belief expects this many reads in the interval is filtered even if unread
SETTLED_P = 0.999  # a tag this sure of its place ...
SETTLED_MARGIN = 12.0  # ... whose interval log-likelihood there beats every other place by this keeps its belief
#                        without the step-by-step pass (assumption: a cost cut; an excursion and return inside one
#                        interval is not shown)


def _support(core, T: np.ndarray, r_i: np.ndarray, r_a: np.ndarray, r_n: np.ndarray, dur_s: float):
    """Padded (n, Kmax) candidate ids (-1 pad) and initial belief for the active tags T."""
    m = core.m
    K = m.K
    prev = core.sup[T].ravel()
    ent = [np.repeat(np.arange(len(T)), core.M)[prev >= 0] * K + prev[prev >= 0]]
    ua = np.unique(r_i * len(m.A.keys) + r_a)
    ui, uant = ua // len(m.A.keys), ua % len(m.A.keys)
    for a in np.unique(uant):
        rows = ui[uant == a]
        pairs = core.pairs_of_ant[a]
        mu = core.mu[T[rows][:, None], pairs[None, :]]
        hit = (mu > np.minimum(MU_MIN, 0.5 * mu.max(axis=1, keepdims=True))) & (mu > 0)
        ri, pj = np.nonzero(hit)
        ent.append(rows[ri] * K + m.pair_c[pairs[pj]])
    e = np.unique(np.concatenate(ent))
    sp = m.c_space[e % K]
    us = np.unique((e // K) * len(m.space_ids) + sp)
    for s in np.unique(us % len(m.space_ids)):
        rows = us[us % len(m.space_ids) == s] // len(m.space_ids)
        gen = np.concatenate([core.gen_of_space[x] for x in core.adj_lists[s]])
        ent.append((rows[:, None] * K + gen[None, :]).ravel())
    e = np.unique(np.concatenate(ent + [e]))
    row, cand = e // K, e % K
    start = np.searchsorted(row, np.arange(len(T)))
    rank = np.arange(len(e)) - start[row]
    Kmax = int(rank.max()) + 1 if len(e) else 1
    C = np.full((len(T), Kmax), -1, np.int64)
    C[row, rank] = cand
    C, settled = _prune(core, T, C, r_i, r_a, r_n, dur_s)
    Kmax = C.shape[1]
    # previous belief carried over; new tags start uniform; a small floor everywhere so any candidate can win
    B = np.zeros((len(T), Kmax))
    prev_s, prev_b = core.sup[T], core.bel[T]
    for k in range(core.M):
        pc = prev_s[:, k:k + 1]
        B += ((C == pc) & (pc >= 0)) * prev_b[:, k:k + 1]
    valid = C >= 0
    nv = np.maximum(valid.sum(axis=1, keepdims=True), 1)
    fresh = B.sum(axis=1) <= 0
    B[fresh] = valid[fresh] / nv[fresh]
    B = np.where(valid, 0.999999 * B + 1e-6 / nv, 0.0)
    return C, B, settled


def _prune(core, T, C, r_i, r_a, r_n, dur_s: float) -> np.ndarray:
    """Keep each tag's previous support and the candidates that best explain the whole interval's reads."""
    m = core.m
    keep = min(core.M + core.extra, C.shape[1])
    nA = len(m.A.keys)
    ua, inv = np.unique(r_i * nA + r_a, return_inverse=True)
    cnt = np.bincount(inv, r_n.astype(float))
    row, a = ua // nA, ua % nA
    start = np.searchsorted(row, np.arange(len(T)))
    rank = np.arange(len(ua)) - start[np.minimum(row, len(T) - 1)]
    Amax = int(rank.max()) + 1 if len(ua) else 1
    Aa = np.zeros((len(T), Amax), np.int64)
    An = np.zeros((len(T), Amax))
    Aa[row, rank], An[row, rank] = a, cnt
    valid = C >= 0
    Cs = np.maximum(C, 0)
    L = np.where(valid, -core.mutot[T[:, None], Cs] * dur_s, -np.inf)
    for r in range(Amax):
        j = m.lut[Cs, Aa[:, r:r + 1]]
        mu = np.where(j >= 0, core.mu[T[:, None], np.maximum(j, 0)], 0.0)
        L += An[:, r:r + 1] * np.log(np.maximum(mu, 1e-4))
    prev = core.sup[T]
    # settled: the previous MAP place explains the interval better than any other place by a wide margin
    c0 = np.maximum(prev[:, 0], 0)
    same = (m.c_space[Cs] == m.c_space[c0][:, None]) & (m.c_storage[Cs] == m.c_storage[c0][:, None])
    l0 = np.where(C == c0[:, None], L, -np.inf).max(axis=1)
    settled = (prev[:, 0] >= 0) & (core.bel[T, 0] > SETTLED_P) & (
        l0 - np.where(same, -np.inf, L).max(axis=1) > SETTLED_MARGIN)
    for k in range(core.M):
        L[(C == prev[:, k:k + 1]) & (prev[:, k:k + 1] >= 0)] = np.inf
    o = np.argpartition(-L, keep - 1, axis=1)[:, :keep]
    out = np.take_along_axis(C, o, 1)
    return np.where(np.take_along_axis(L, o, 1) > -np.inf, out, -1), settled


def run_filter(core, tag, ant, step, n, t0: int, S: int, t_end: int):
    """Filter the active tags over S steps from t0; return change rows (t_us, tag, candidate, confidence)."""
    m = core.m
    dt = core.step_us / 1e6
    has = core.sup[:, 0] >= 0
    idx = np.flatnonzero(has)
    exp_reads = (core.bel[idx] * np.take_along_axis(core.mutot[idx], np.maximum(core.sup[idx], 0), 1)
                 * (core.sup[idx] >= 0)).sum(1) * S * dt
    T = np.union1d(np.unique(tag), idx[exp_reads > SILENT_READS]).astype(np.int64)
    z = np.zeros(0, np.int64)
    if not len(T):
        return z, z, z, np.zeros(0)
    r_i = np.searchsorted(T, tag)
    C, B, settled = _support(core, T, r_i, ant, n, S * dt)
    if settled.any():
        go = ~settled
        T, C, B = T[go], C[go], B[go]
        newi = np.cumsum(go) - 1
        keep = go[r_i]
        r_i, ant, step, n = newi[r_i[keep]], ant[keep], step[keep], n[keep]
        if not len(T):
            return z, z, z, np.zeros(0)
    n_t, Kmax = C.shape
    valid = C >= 0
    Cs = np.maximum(C, 0)
    # emissions: silence of every antenna at each candidate, then the reads
    base = np.where(valid, -core.mutot[T[:, None], Cs] * dt, -np.inf)
    key = (r_i * S + step) * len(m.A.keys) + ant
    uk, inv = np.unique(key, return_inverse=True)
    cnt = np.bincount(inv, n.astype(float))
    e_a = uk % len(m.A.keys)
    e_is = uk // len(m.A.keys)
    e_i = e_is // S
    j = m.lut[Cs[e_i], e_a[:, None]]
    mu = np.where(j >= 0, core.mu[T[e_i][:, None], np.maximum(j, 0)], 0.0)
    term = cnt[:, None] * np.log(np.maximum(mu, 1e-4) * dt)
    ub, bstart = np.unique(e_is, return_index=True)
    R = np.add.reduceat(term, bstart, axis=0) if len(term) else np.zeros((0, Kmax))
    read_step = np.full(n_t * S, -1, np.int64)
    read_step[ub] = np.arange(len(ub))
    # transitions by space
    NS = len(m.space_ids)
    sidx = np.where(valid, m.c_space[Cs], NS)
    rows = np.repeat(np.arange(n_t), Kmax)
    flat = (rows * (NS + 1) + sidx.ravel())
    count = np.bincount(flat, minlength=n_t * (NS + 1)).reshape(n_t, NS + 1).astype(float)
    out_rate = np.r_[core.q_in + core.leave, 0.0][sidx]
    stay = 1.0 - out_rate
    W = core.W
    out_t, out_tag, out_c, out_p = [], [], [], []
    last_sp, last_st = core.last_space[T], core.last_store[T]
    ar = np.arange(n_t)
    for s in range(S):
        Bs = np.bincount(flat, B.ravel(), minlength=n_t * (NS + 1)).reshape(n_t, NS + 1)
        inflow = np.zeros((n_t, NS + 1))
        inflow[:, :NS] = core.q_in * Bs[:, :NS] + Bs[:, :NS] @ W
        B = B * stay + np.take_along_axis(inflow, sidx, 1) / np.maximum(np.take_along_axis(count, sidx, 1), 1.0)
        E = base.copy()
        rs = read_step[ar * S + s]
        hit = rs >= 0
        E[hit] += R[rs[hit]]
        E = E - E.max(axis=1, keepdims=True)
        post = B * np.exp(E)
        tot = post.sum(axis=1, keepdims=True)
        ok = tot[:, 0] > 0
        B[ok] = post[ok] / tot[ok]
        # MAP space, then the best candidate inside it
        Bs = np.bincount(flat, B.ravel(), minlength=n_t * (NS + 1)).reshape(n_t, NS + 1)[:, :NS]
        best = Bs.argmax(axis=1)
        k = np.where(sidx == best[:, None], B, -1.0).argmax(axis=1)
        c = C[ar, k]
        sp, st = m.c_space[c], m.c_storage[c]
        ch = (sp != last_sp) | (st != last_st)
        if ch.any():
            out_t.append(np.full(int(ch.sum()), min(t0 + (s + 1) * core.step_us, t_end), np.int64))
            out_tag.append(T[ch])
            out_c.append(c[ch])
            out_p.append(Bs[ch, best[ch]])
            last_sp, last_st = np.where(ch, sp, last_sp), np.where(ch, st, last_st)
    core.last_space[T], core.last_store[T] = last_sp, last_st
    # keep the M most probable candidates per tag
    M = core.M
    o = np.argsort(-B, axis=1)[:, :M]
    keep_c = np.take_along_axis(C, o, 1)
    keep_b = np.take_along_axis(B, o, 1)
    keep_b = np.where(keep_c >= 0, keep_b, 0.0)
    keep_b /= np.maximum(keep_b.sum(axis=1, keepdims=True), 1e-300)
    if keep_c.shape[1] < M:
        pad = M - keep_c.shape[1]
        keep_c = np.pad(keep_c, ((0, 0), (0, pad)), constant_values=-1)
        keep_b = np.pad(keep_b, ((0, 0), (0, pad)))
    core.sup[T], core.bel[T] = keep_c, keep_b
    if not out_t:
        return z, z, z, np.zeros(0)
    return np.concatenate(out_t), np.concatenate(out_tag), np.concatenate(out_c), np.concatenate(out_p)
