"""The oracle's forward filter over one advance: sparse candidate support per tag, read-model emissions, graph moves.

Evidence per step and candidate, as the engine makes it: an antenna is silent evidence only for the inventory units
it really ran (`oracle_triggers.exposure`: periodic slots, GPI windows, alive seconds), each costing the tag's
expected reads there; a read on a Poisson antenna (S0, capped S1) adds n log(lam); a read on a periodic S2/S3
antenna adds log(1 - e^-Λ) + Λ + log(lam_a / Λ) (read once in the inventory, Λ the reader's expected reads over its
antennas, lam_a the reporting antenna's share). Only tags read in the interval, or whose belief expects reads, are
touched; tags whose previous place explains the whole interval far better than any other keep their belief without
the step pass. The rest run a dense numpy pass over (tags, support) per step.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ..readers.timegrid import expand

P_MIN = 1e-3  # per-round p below which an antenna's read does not add a candidate to the support (assumption)
LAM_FLOOR = 1e-4  # expected reads per unit granted where the model says none (assumption: slack for moving tags
#                   sampled at fixed points, and for reads the model cannot explain)
SILENT_COST = 0.7  # a tag whose belief expects silence at odds below 1/2 over the interval is filtered unread
SETTLED_P = 0.999  # a tag this sure of its place ...
SETTLED_MARGIN = 12.0  # ... whose interval log-likelihood there beats every other place by this keeps its belief
#                        without the step-by-step pass (assumption: a cost cut; an excursion and return inside one
#                        interval is not shown)


def _entries(core, T, C):
    """Flat (row = tag row x Kmax + k, pair j, lam) of every pair of the candidates C (n, Kmax) of tags T."""
    m = core.m
    Kmax = C.shape[1]
    flat = C.ravel()
    pos = np.flatnonzero(flat >= 0)
    c = flat[pos]
    own, j = expand(m.c_start[c], m.c_start[c + 1])
    row = pos[own]
    p = core.p[T[row // Kmax], j].astype(np.float64)
    return row, j, m.lam(p, j, core.L, core.k, core.trig.unit_us)


def evidence(core, T, C, X, r_i, r_a, r_s, r_n):
    """(n, S, Kmax) log-likelihood of each step's evidence at each candidate (-inf where C < 0)."""
    m = core.m
    n, Kmax = C.shape
    S, nA = X.shape
    row, j, lam = _entries(core, T, C)
    a = m.pair_a[j]
    M = sparse.csr_matrix((lam, (row, a)), shape=(n * Kmax, nA))
    E = -(M @ X.T).reshape(n, Kmax, S).transpose(0, 2, 1)
    if len(r_i):
        key = (r_i * S + r_s) * nA + r_a
        uk, inv = np.unique(key, return_inverse=True)
        cnt = np.bincount(inv, r_n.astype(float))
        g_a, g_is = uk % nA, uk // nA
        g_i, g_s = g_is // S, g_is % S
        ekey = row * nA + a  # sorted: rows ascending, antennas ascending within a candidate's pairs
        q = (g_i[:, None] * Kmax + np.arange(Kmax)[None, :]) * nA + g_a[:, None]
        pos = np.minimum(np.searchsorted(ekey, q), len(ekey) - 1)
        hit = ekey[pos] == q if len(ekey) else np.zeros(q.shape, bool)
        lam_g = np.where(hit, lam[pos] if len(lam) else 0.0, 0.0)
        lam_f = np.maximum(lam_g, LAM_FLOOR)
        term = cnt[:, None] * np.log(lam_f)
        once = m.A.once[g_a]
        if once.any():
            nR = int(m.A.reader.max()) + 1
            rkey = row * nR + m.A.reader[a]
            ur, rinv = np.unique(rkey, return_inverse=True)
            Lam = np.bincount(rinv, lam)
            g_r = m.A.reader[g_a]
            gq = (g_is * nR + g_r)[once]
            ug, ginv = np.unique(gq, return_inverse=True)
            w = cnt[once] / np.bincount(ginv, cnt[once])[ginv]  # share of the reader's reads in the inventory
            qq = (g_i[once][:, None] * Kmax + np.arange(Kmax)[None, :]) * nR + g_r[once][:, None]
            pr = np.minimum(np.searchsorted(ur, qq), max(len(ur) - 1, 0))
            Lg = np.where(ur[pr] == qq, Lam[pr], 0.0) if len(ur) else np.zeros(qq.shape)
            Lg = np.maximum(Lg, lam_f[once])
            term[once] = w[:, None] * (np.log(-np.expm1(-Lg)) + Lg + np.log(lam_f[once] / Lg))
        np.add.at(E, (g_i, g_s), term)
    return np.where((C >= 0)[:, None, :], E, -np.inf)


def _support(core, T, r_i, r_a):
    """Padded (n, Kmax) candidate ids (-1 pad): previous support, what the reading antennas reach, the generic
    places of the spaces next to those."""
    m = core.m
    K = m.K
    prev = core.sup[T].ravel()
    ent = [np.repeat(np.arange(len(T)), core.M)[prev >= 0] * K + prev[prev >= 0]]
    nA = len(m.A.keys)
    ua = np.unique(r_i * nA + r_a)
    ui, uant = ua // nA, ua % nA
    for a in np.unique(uant):
        rows = ui[uant == a]
        pairs = core.pairs_of_ant[a]
        p = core.p[T[rows][:, None], pairs[None, :]]
        hit = (p > np.minimum(P_MIN, 0.5 * p.max(axis=1, keepdims=True))) & (p > 0)
        ri, pj = np.nonzero(hit)
        ent.append(rows[ri] * K + m.pair_c[pairs[pj]])
    e = np.unique(np.concatenate(ent))
    NS = len(m.space_ids)
    us = np.unique((e // K) * NS + m.c_space[e % K])
    for s in np.unique(us % NS):
        rows = us[us % NS == s] // NS
        gen = np.concatenate([core.gen_of_space[x] for x in core.adj_lists[s]])
        ent.append((rows[:, None] * K + gen[None, :]).ravel())
    e = np.unique(np.concatenate(ent + [e]))
    row, cand = e // K, e % K
    start = np.searchsorted(row, np.arange(len(T)))
    rank = np.arange(len(e)) - start[row]
    C = np.full((len(T), int(rank.max()) + 1 if len(e) else 1), -1, np.int64)
    C[row, rank] = cand
    return C


def _prune(core, T, C, E):
    """Keep each tag's previous support and the candidates that best explain the whole interval; say which tags are
    settled (previous MAP place far ahead of every other place)."""
    m = core.m
    keep = min(core.M + core.extra, C.shape[1])
    L = E.sum(axis=1)
    Cs = np.maximum(C, 0)
    prev = core.sup[T]
    c0 = np.maximum(prev[:, 0], 0)
    same = (m.c_space[Cs] == m.c_space[c0][:, None]) & (m.c_storage[Cs] == m.c_storage[c0][:, None])
    l0 = np.where(C == c0[:, None], L, -np.inf).max(axis=1)
    settled = (prev[:, 0] >= 0) & (core.bel[T, 0] > SETTLED_P) & (
        l0 - np.where(same, -np.inf, L).max(axis=1) > SETTLED_MARGIN)
    Lk = L.copy()
    for k in range(core.M):
        Lk[(C == prev[:, k:k + 1]) & (prev[:, k:k + 1] >= 0)] = np.inf
    o = np.argpartition(-Lk, keep - 1, axis=1)[:, :keep]
    C2 = np.take_along_axis(C, o, 1)
    C2 = np.where(np.take_along_axis(Lk, o, 1) > -np.inf, C2, -1)
    return C2, np.take_along_axis(E, np.broadcast_to(o[:, None, :], (len(T), E.shape[1], keep)), 2), settled


def active_tags(core, tag, X):
    """Tags read in the interval, and known tags whose belief expects silence at odds below 1/2."""
    idx = np.flatnonzero(core.sup[:, 0] >= 0)
    if len(idx):
        Xt = X.sum(axis=0, keepdims=True)
        z = np.zeros(0, np.int64)
        E = evidence(core, idx, core.sup[idx], Xt, z, z, z, z)[:, 0, :]
        cost = -(core.bel[idx] * np.where(core.sup[idx] >= 0, E, 0.0)).sum(axis=1)
        idx = idx[cost > SILENT_COST]
    return np.union1d(np.unique(tag), idx).astype(np.int64)


def run_filter(core, tag, ant, step, n, t0: int, S: int, t_end: int, X: np.ndarray):
    """Filter the active tags over S steps from t0 (exposure X (S, nA)); change rows (t_us, tag, cand, conf)."""
    m = core.m
    z = np.zeros(0, np.int64)
    T = active_tags(core, tag, X)
    if not len(T):
        return z, z, z, np.zeros(0)
    r_i = np.searchsorted(T, tag)
    C = _support(core, T, r_i, ant)
    E = evidence(core, T, C, X, r_i, ant, step, n)
    C, E, settled = _prune(core, T, C, E)
    if settled.all():
        return z, z, z, np.zeros(0)
    go = ~settled
    T, C, E = T[go], C[go], E[go]
    n_t, Kmax = C.shape
    valid = C >= 0
    Cs = np.maximum(C, 0)
    # prior weight of each candidate (storage units where dossiers rest, the generic places less)
    wc = np.where(valid, core.c_prior[Cs], 0.0)
    B = np.zeros((n_t, Kmax))
    prev_s, prev_b = core.sup[T], core.bel[T]
    for k in range(core.M):
        pc = prev_s[:, k:k + 1]
        B += ((C == pc) & (pc >= 0)) * prev_b[:, k:k + 1]
    fresh = B.sum(axis=1) <= 0
    B[fresh] = wc[fresh] / np.maximum(wc[fresh].sum(axis=1, keepdims=True), 1e-300)
    B = np.where(valid, 0.999999 * B + 1e-6 * wc / np.maximum(wc.sum(axis=1, keepdims=True), 1e-300), 0.0)
    NS = len(m.space_ids)
    sidx = np.where(valid, m.c_space[Cs], NS)
    flat = (np.repeat(np.arange(n_t), Kmax) * (NS + 1) + sidx.ravel())
    wsum = np.bincount(flat, wc.ravel(), minlength=n_t * (NS + 1)).reshape(n_t, NS + 1)
    share = wc / np.maximum(np.take_along_axis(wsum, sidx, 1), 1e-300)
    stay = 1.0 - np.r_[core.q_in + core.leave, 0.0][sidx]
    out_t, out_tag, out_c, out_p = [], [], [], []
    last_sp, last_st = core.last_space[T], core.last_store[T]
    ar = np.arange(n_t)
    for s in range(S):
        Bs = np.bincount(flat, B.ravel(), minlength=n_t * (NS + 1)).reshape(n_t, NS + 1)
        inflow = np.zeros((n_t, NS + 1))
        inflow[:, :NS] = core.q_in * Bs[:, :NS] + Bs[:, :NS] @ core.W
        B = B * stay + np.take_along_axis(inflow, sidx, 1) * share
        Es = E[:, s, :]
        post = B * np.exp(Es - Es.max(axis=1, keepdims=True))
        tot = post.sum(axis=1, keepdims=True)
        ok = tot[:, 0] > 0
        B[ok] = post[ok] / tot[ok]
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
    M = core.M
    o = np.argsort(-B, axis=1)[:, :M]
    keep_c = np.take_along_axis(C, o, 1)
    keep_b = np.where(keep_c >= 0, np.take_along_axis(B, o, 1), 0.0)
    keep_b /= np.maximum(keep_b.sum(axis=1, keepdims=True), 1e-300)
    if keep_c.shape[1] < M:
        pad = M - keep_c.shape[1]
        keep_c = np.pad(keep_c, ((0, 0), (0, pad)), constant_values=-1)
        keep_b = np.pad(keep_b, ((0, 0), (0, pad)))
    core.sup[T], core.bel[T] = keep_c, keep_b
    if not out_t:
        return z, z, z, np.zeros(0)
    return np.concatenate(out_t), np.concatenate(out_tag), np.concatenate(out_c), np.concatenate(out_p)
