"""The oracle's forward filter over one advance: sparse candidate support per tag, read-model emissions, graph moves.

Evidence per step and candidate, as the engine makes it: an antenna is silent evidence only for the inventory units
it really ran (`oracle_triggers.exposure`: periodic slots, GPI windows, alive seconds), each costing the tag's
expected reads there; a read on a Poisson antenna (S0, capped S1) adds n log(lam); a read on a periodic S2/S3
antenna adds log(1 - e^-Λ) + Λ + log(lam_a / Λ) (read once in the inventory, Λ the reader's expected reads over its
antennas, lam_a the reporting antenna's share). Only tags read in the interval, or whose belief expects reads, are
touched. Tags whose previous place explains every read take one step over the whole interval on their previous
support (a cost cut: an excursion and return inside one interval is not shown); the rest get a wider support and a
dense numpy pass over (tags, support) per step, on a 1 s grid when a portal or continuous reader read them (the
order of a pass's reads shows its direction), else on the coarse grid.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ..readers.timegrid import expand
from .oracle_hold import HOLD_MASS, drive, put_down, road_targets

P_MIN = 1e-3  # per-round p below which an antenna's read does not add a candidate to the support (assumption)
LAM_FLOOR = 1e-4  # expected reads per unit granted where the model says none (assumption: slack for moving tags
#                   sampled at fixed points, and for reads the model cannot explain)
LAM_EXPLAINED = 0.05  # expected reads per unit at the MAP place below which a read there is unexplained (assumption)
FLOOR = 1e-6  # belief spread over a tag's whole support in every step (assumption: the support is a truncation --
#              a tag reaches a place by paths through places outside it, e.g. down the stairs to the ground floor; the
#              belief a strong silence once took from a place must be able to come back when the reads say so)
SILENT_COST = 0.7  # a tag whose belief expects silence at odds below 1/2 over the interval is filtered unread


def _entries(core, T, C):
    """Flat (row = tag row x Kmax + k, antenna, lam) of every pair of the candidates C (n, Kmax) of tags T."""
    m = core.m
    Kmax = C.shape[1]
    flat = C.ravel()
    pos = np.flatnonzero(flat >= 0)
    c = flat[pos]
    own, j = expand(m.c_start[c], m.c_start[c + 1])
    row = pos[own]
    return row, m.pair_a[j], core.lam[T[row // Kmax], j]


def _lam_at(core, T, C, g_i, a):
    """(G, Kmax) expected reads per unit of tag T[g_i] on antenna a[g] at each of its candidates (0: none)."""
    c = C[g_i]
    j = core.m.lut[np.maximum(c, 0), a[:, None]]
    return np.where((j >= 0) & (c >= 0), core.lam[T[g_i][:, None], np.maximum(j, 0)], 0.0)


def evidence(core, T, C, X, r_i, r_a, r_s, r_n, r_t=None):
    """(n, S, Kmax) log-likelihood of each step's evidence at each candidate (-inf where C < 0). Reads: tag row,
    antenna, step, count and (true) time, which tells a periodic reader's inventories apart."""
    m = core.m
    n, Kmax = C.shape
    S, nA = X.shape
    row, a, lam = _entries(core, T, C)
    live = X.any(axis=0)[a]  # antennas that never ran in the interval say nothing
    M = sparse.csr_matrix((lam[live], (row[live], a[live])), shape=(n * Kmax, nA))
    E = -(M @ X.T).reshape(n, Kmax, S).transpose(0, 2, 1)
    if len(r_i):
        cyc = core.trig.cycle(r_a, r_t) if r_t is not None else np.zeros(len(r_i), np.int64)
        g, inv = np.unique(np.column_stack([r_i, r_s, cyc, r_a]), axis=0, return_inverse=True)
        inv = inv.ravel()
        cnt = np.bincount(inv, r_n.astype(float))
        g_i, g_s, g_k, g_a = g.T
        lam_f = np.maximum(_lam_at(core, T, C, g_i, g_a), LAM_FLOOR)
        term = cnt[:, None] * np.log(lam_f)
        once = m.A.once[g_a]
        if once.any():
            # one inventory of the reader: read (at most once) by one of its antennas
            g_r = m.A.reader[g_a][once]
            _, ginv = np.unique(np.column_stack([g_i[once], g_s[once], g_k[once], g_r]), axis=0, return_inverse=True)
            ginv = ginv.ravel()
            w = cnt[once] / np.bincount(ginv, cnt[once])[ginv]  # share of the reader's reads in the inventory
            RA = core.reader_ants[g_r][:, None, :]  # (G, 1, maxA) the reader's antennas
            c = C[g_i[once]][:, :, None]
            j = core.m.lut[np.maximum(c, 0), np.maximum(RA, 0)]
            ok = (j >= 0) & (c >= 0) & (RA >= 0)
            Lg = np.where(ok, core.lam[T[g_i[once]][:, None, None], np.maximum(j, 0)], 0.0).sum(axis=2)
            Lg = np.maximum(Lg, lam_f[once])
            term[once] = w[:, None] * (np.log(-np.expm1(-Lg)) + Lg + np.log(lam_f[once] / Lg))
        np.add.at(E, (g_i, g_s), term)
    return np.where((C >= 0)[:, None, :], E, -np.inf)


def screen(core, T, r_i, r_a, r_n, r_t, Xtot):
    """On each tag's previous support over the whole interval: (busy, explained). Busy: read, or its belief expects
    silence at odds below 1/2. Explained: it has a place, and every antenna that read it reaches that place."""
    C = core.sup[T]
    E = evidence(core, T, C, Xtot, r_i, r_a, np.zeros(len(r_i), np.int64), r_n, r_t)[:, 0, :]
    read = np.zeros(len(T), bool)
    read[r_i] = True
    cost = -(core.bel[T] * np.where(C >= 0, E, 0.0)).sum(axis=1)
    busy = read | (cost > SILENT_COST)
    explained = C[:, 0] >= 0
    if len(r_i):
        lam0 = _lam_at(core, T, C[:, :1], r_i, r_a)[:, 0]
        np.logical_and.at(explained, r_i, lam0 >= LAM_EXPLAINED)
    return busy, explained


def passing(core, r_i, r_a) -> np.ndarray:
    """Per read: a portal read of a tag that two or more antennas of that door read in the interval (a pass; a tag
    at rest beside a door is heard by the antenna on its side)."""
    d = core.ant_door[r_a]
    on = d >= 0
    if not on.any():
        return on
    key = r_i * (len(core.door_ab) + 1) + np.where(on, d, len(core.door_ab))
    u = np.unique(np.column_stack([key[on], r_a[on]]), axis=0)
    ks, nk = np.unique(u[:, 0], return_counts=True)
    return on & np.isin(key, ks[nk >= 2])


def portal_steps(core, r_i, r_a, step) -> np.ndarray:
    """(step, tag row, door, side left) rows, sorted by step, for every step in which a door's portal heard a passing
    tag (`passing`): once per side, so belief on either side of the door may cross it."""
    pd = np.where(passing(core, r_i, r_a), core.ant_door[r_a], -1)
    pk = np.unique(np.column_stack([step, r_i, pd])[pd >= 0], axis=0).reshape(-1, 3)
    both = np.concatenate([np.column_stack([pk, np.zeros(len(pk), np.int64)]),
                           np.column_stack([pk, np.ones(len(pk), np.int64)])])
    return both[np.argsort(both[:, 0], kind="stable")]


def _support(core, T, r_i, r_a, ops=None):
    """Padded (n, Kmax) candidate ids (-1 pad): previous support, what the reading antennas reach, the generic
    places of the spaces next to those, the candidates events of the interval name (ops: tag rows, candidates)."""
    m = core.m
    K = m.K
    prev = core.sup[T].ravel()
    ent = [np.repeat(np.arange(len(T)), core.M)[prev >= 0] * K + prev[prev >= 0]]
    if ops is not None and len(ops[0]):
        ent.append(ops[0] * K + ops[1])
    home = core.home_c[T]  # the registered home unit: where a carried dossier is most often put back
    ent.append(np.flatnonzero(home >= 0) * K + home[home >= 0])
    road = road_targets(core, T)[0]  # the off-site place an open checkout names: reached by road
    ent.append(np.flatnonzero(road >= 0) * K + road[road >= 0])
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
    pd = np.where(passing(core, r_i, r_a), core.ant_door[r_a], -1)
    pr = np.unique(np.column_stack([r_i, pd])[pd >= 0], axis=0)
    for side in (0, 1):  # both spaces of a door whose portal read the tag: the pass may end on either side
        for s in np.unique(core.door_ab[pr[:, 1], side]) if len(pr) else ():
            rows = pr[core.door_ab[pr[:, 1], side] == s, 0]
            gen = core.gen_of_space[s]
            ent.append((rows[:, None] * K + gen[None, :]).ravel())
    e = np.unique(np.concatenate(ent + [e]))
    row, cand = e // K, e % K
    start = np.searchsorted(row, np.arange(len(T)))
    rank = np.arange(len(e)) - start[row]
    C = np.full((len(T), int(rank.max()) + 1 if len(e) else 1), -1, np.int64)
    C[row, rank] = cand
    return C


def _prune(core, T, C, E, ops=None):
    """Keep each tag's previous support, its events' and its checkout's candidates and the candidates that best
    explain the interval."""
    keep = min(core.M + core.extra, C.shape[1])
    L = E.sum(axis=1)
    prev = core.sup[T]
    Lk = L.copy()
    road = road_targets(core, T)[0]
    Lk[(C == road[:, None]) & (road[:, None] >= 0)] = np.inf
    for k in range(core.M):
        Lk[(C == prev[:, k:k + 1]) & (prev[:, k:k + 1] >= 0)] = np.inf
    if ops is not None and len(ops[0]):
        Lk[ops[0], np.argmax(C[ops[0]] == ops[1][:, None], axis=1)] = np.inf
    o = np.argpartition(-Lk, keep - 1, axis=1)[:, :keep]
    C2 = np.take_along_axis(C, o, 1)
    C2 = np.where(np.take_along_axis(Lk, o, 1) > -np.inf, C2, -1)
    return C2, np.take_along_axis(E, o[:, None, :], 2)


def run_filter(core, tag, ant, t, n, t0: int, t_end: int, coarse, fine, ops=None):
    """Filter the tags with something to say over [t0, t_end); change rows (t_us, tag, candidate, confidence).

    coarse, fine: (step_us, S, X) grids with their exposures. Tags read by a Poisson antenna (a portal passing, a
    continuous reader) take the fine grid, so the order of a pass's reads shows its direction; the rest the coarse.
    ops: (n, 4) event operations (t_us, tag, candidate, mass x 1e6) inside the interval (`oracle_events.due_ops`):
    at the step holding t_us the tag's belief becomes (1 - mass) x belief + mass on the candidate."""
    z = np.zeros(0, np.int64)
    ops = np.zeros((0, 4), np.int64) if ops is None else ops
    known = np.flatnonzero(core.sup[:, 0] >= 0)
    T = np.union1d(np.union1d(np.unique(tag), known), ops[:, 1]).astype(np.int64)
    if not len(T):
        return z, z, z, np.zeros(0)
    r_i = np.searchsorted(T, tag)
    Xtot = coarse[2].sum(axis=0, keepdims=True)
    busy, explained = screen(core, T, r_i, ant, n, t, Xtot)
    # a silent tag believed carried (off the units, in the building) still moves: it is put down somewhere
    top = core.sup[T, 0]
    m = core.m
    carried = (top >= 0) & (m.c_storage[np.maximum(top, 0)] < 0) & (m.c_level[np.maximum(top, 0)] >= 0)
    busy |= carried
    explained &= ~carried
    o_i = np.searchsorted(T, ops[:, 1])
    busy[o_i] = True
    explained[o_i] = False  # an event moves it: the step pass, with the event's candidate in its support
    core._ops_now = np.column_stack([o_i, ops[:, 0], ops[:, 2], ops[:, 3]]).reshape(-1, 4)  # (T row, t, cand, mass)
    pois = np.zeros(len(T), bool)
    pois[r_i[~core.m.A.once[ant]]] = True
    at_portal = passing(core, r_i, ant)  # a pass through a portal: whatever its place explains, it may cross
    explained[r_i[at_portal]] = False
    pois[r_i[at_portal]] = True
    whole = coarse[0] * coarse[1]
    # quiet tags too take the one step on their previous support: a silence expected at odds above 1/2 in one
    # interval is still evidence, and skipped interval after interval it never refuted a place (a deaf dossier's
    # belief drifted to dark places near a far antenna that hears it once an hour, and stayed there)
    quiet = ~busy & (core.sup[T, 0] >= 0)
    out = [_pass(core, T, r_i, ant, t, n, t0, t_end, (busy & explained) | quiet, whole, 1, Xtot, full=False)]
    out += [_pass(core, T, r_i, ant, t, n, t0, t_end, busy & ~explained & sel, *grid)
            for sel, grid in ((pois, fine), (~pois, coarse))]
    return tuple(np.concatenate([o[i] for o in out]) for i in range(4))


def _pass(core, T, r_i, ant, t, n, t0, t_end, sel, step_us, S, X, full=True):
    """The step pass for the tags T[sel] on one grid. Not `full`: on the previous support only (tags whose reads
    their place explains: one step over the interval is enough to follow them)."""
    m = core.m
    z = np.zeros(0, np.int64)
    if not sel.any():
        return z, z, z, np.zeros(0)
    newi = np.cumsum(sel) - 1
    keep = sel[r_i]
    T, r_i, ant, n, t = T[sel], newi[r_i[keep]], ant[keep], n[keep], t[keep]
    step = np.clip((t - t0) // step_us, 0, S - 1)
    op = core._ops_now if full else np.zeros((0, 4), np.int64)
    op = op[sel[op[:, 0]]] if len(op) else op
    o_i, o_t, o_c, o_m = newi[op[:, 0]], op[:, 1], op[:, 2], op[:, 3] / 1e6
    o_s = np.clip((o_t - t0) // step_us, 0, S - 1)
    if full:
        C = _support(core, T, r_i, ant, (o_i, o_c))
        E = evidence(core, T, C, X, r_i, ant, step, n, t)
        C, E = _prune(core, T, C, E, (o_i, o_c))
    else:
        C = core.sup[T]
        E = evidence(core, T, C, X, r_i, ant, step, n, t)
    n_t, Kmax = C.shape
    valid = C >= 0
    Cs = np.maximum(C, 0)
    # prior weight of each candidate (storage units where dossiers rest, the generic places less)
    wc = np.where(valid, core.c_prior[Cs], 0.0)
    rc = np.where(valid, core.c_rate[Cs], 0.0)  # how readily each candidate's belief moves (a unit: rarely)
    B = np.zeros((n_t, Kmax))
    prev_s, prev_b = core.sup[T], core.bel[T]
    for k in range(core.M):
        pc = prev_s[:, k:k + 1]
        B += ((C == pc) & (pc >= 0)) * prev_b[:, k:k + 1]
    fresh = B.sum(axis=1) <= 0
    B[fresh] = wc[fresh] / np.maximum(wc[fresh].sum(axis=1, keepdims=True), 1e-300)
    floor = np.where(valid, wc / np.maximum(wc.sum(axis=1, keepdims=True), 1e-300), 0.0)
    B = np.where(valid, (1.0 - FLOOR) * B + FLOOR * floor, 0.0)
    NS = len(m.space_ids)
    sidx = np.where(valid, m.c_space[Cs], NS)
    flat = (np.repeat(np.arange(n_t), Kmax) * (NS + 1) + sidx.ravel())
    wsum = np.bincount(flat, wc.ravel(), minlength=n_t * (NS + 1)).reshape(n_t, NS + 1)
    share = wc / np.maximum(np.take_along_axis(wsum, sidx, 1), 1e-300)
    carried = valid & (m.c_storage[Cs] < 0)  # generic places: a tag there is carried (or mislaid)
    wg = np.where(carried, wc, 0.0)
    gsum = np.bincount(flat, wg.ravel(), minlength=n_t * (NS + 1)).reshape(n_t, NS + 1)
    share_gen = wg / np.maximum(np.take_along_axis(gsum, sidx, 1), 1e-300)
    # a carried tag in a space with units in its support is put down on one of them (`oracle_hold.put_down`)
    wu = np.where(valid & ~carried, wc, 0.0)
    usum = np.take_along_axis(np.bincount(flat, wu.ravel(), minlength=n_t * (NS + 1)).reshape(n_t, NS + 1), sidx, 1)
    share_unit = wu / np.maximum(usum, 1e-300)
    putting = carried & (usum > 0)
    # portal passes: (tag row, step, door) of every step in which a door's portal read the tag
    pk = portal_steps(core, r_i, ant, step) if full else np.zeros((0, 4), np.int64)
    p_lo = np.searchsorted(pk[:, 0], np.arange(S + 1))
    q = core.portal_cross
    LR = np.full((n_t, S), -1, np.int64)  # true time of each tag's last read in each step
    np.maximum.at(LR, (r_i, step), np.clip(t, t0, t_end))
    np.maximum.at(LR, (o_i, o_s), np.clip(o_t, t0, t_end))  # an event's place is shown from the event on
    o_k = np.argmax(C[o_i] == o_c[:, None], axis=1)  # the event candidate's column (in the support: `_support`)
    o_lo = np.searchsorted(o_s, np.arange(S + 1))  # ops come in time order (`due_ops`)
    hold = core.holds.for_pass(core, T) if core.beams is not None and core.holds is not None else None
    road, t_co = road_targets(core, T) if full else (np.full(n_t, -1, np.int64), None)
    out_t, out_tag, out_c, out_p = [], [], [], []
    last_sp, last_st = core.last_space[T], core.last_store[T]
    ar = np.arange(n_t)
    gap = 0
    for s in range(S):
        Es = E[:, s, :]
        gap += 1
        if s < S - 1 and not Es[valid].any() and o_lo[s + 1] == o_lo[s]:
            continue  # no evidence in this step: its moves are folded into the next step that has some
        q_in, W, leave = core.trans(gap * step_us)
        dt_s = gap * step_us / 1e6
        gap = 0
        stay = 1.0 - rc * np.r_[q_in + leave, 0.0][sidx]
        Bs = np.bincount(flat, B.ravel(), minlength=n_t * (NS + 1)).reshape(n_t, NS + 1)
        Bm = np.bincount(flat, (B * rc).ravel(), minlength=n_t * (NS + 1)).reshape(n_t, NS + 1)  # the moving part
        Bg = np.bincount(flat, (B * carried).ravel(), minlength=n_t * (NS + 1)).reshape(n_t, NS + 1)  # off units
        inflow = np.zeros((n_t, NS + 1))
        inflow[:, :NS] = q_in * Bm[:, :NS] + W.T.dot(Bm[:, :NS].T).T
        cross_in = crossed = None
        if p_lo[s + 1] > p_lo[s]:  # a passing tag at the door: its carried belief on either side partly crosses
            g, d, side = pk[p_lo[s]:p_lo[s + 1], 1:].T
            a, b = core.door_ab[d, side], core.door_ab[d, 1 - side]
            keep = np.ones((n_t, NS + 1))
            qs = q if core.beams is None else core.beams.share(d, a, b, np.full(len(d), t0 + s * step_us),
                                                                  np.full(len(d), t0 + (s + 1) * step_us), q, T[g])
            qs = np.broadcast_to(qs, len(g))
            np.multiply.at(keep, (g, a), 1.0 - qs)
            cross_in = np.zeros((n_t, NS + 1))
            sent = qs * Bg[g, a]  # a tag on a unit is not carried through a door: it is picked up first
            np.add.at(cross_in, (g, b), sent)
            stay = stay * np.where(carried, np.take_along_axis(keep, sidx, 1), 1.0)
            crossed = (g, b, qs, hold.inside(Bs, g, b) if hold is not None else None)
        B = B * stay + np.take_along_axis(inflow, sidx, 1) * share
        B = (1.0 - FLOOR) * B + FLOOR * floor  # every step: paths through places outside the support
        if cross_in is not None:  # arrives carried: on the generic places of the side it entered
            B += np.take_along_axis(cross_in, sidx, 1) * share_gen
        t_s = t0 + s * step_us
        B = put_down(B, putting, share_unit, flat, n_t, NS, dt_s)
        if (road >= 0).any():
            B = drive(core, B, C, sidx, road, t_co, t_s, dt_s)
        if hold is not None:
            B = hold.mask(B, sidx, t_s)
        top = Es.max(axis=1, keepdims=True)
        post = B * np.exp(Es - np.where(np.isfinite(top), top, 0.0))
        tot = post.sum(axis=1, keepdims=True)
        ok = tot[:, 0] > 0
        B[ok] = post[ok] / tot[ok]
        for j in range(o_lo[s], o_lo[s + 1]):  # events of this step (time order): mass moves to their candidate
            g = o_i[j]
            B[g] *= 1.0 - o_m[j]
            B[g, o_k[j]] += o_m[j]
        Bs = np.bincount(flat, B.ravel(), minlength=n_t * (NS + 1)).reshape(n_t, NS + 1)[:, :NS]
        if hold is not None and crossed is not None:  # the beams sent it in, its reads agree: held in that region
            g, b, qs, before = crossed
            hold.start(g, b, qs, np.where(before < HOLD_MASS, Bs[g, b], 0.0), t_s)
        best = Bs.argmax(axis=1)
        k = np.where(sidx == best[:, None], B, -1.0).argmax(axis=1)
        c = C[ar, k]
        sp, st = m.c_space[c], m.c_storage[c]
        ch = (sp != last_sp) | (st != last_st)
        if ch.any():
            lr = LR[ch, s]  # shown at the step's last read when it has some: the evidence was there by then
            out_t.append(np.where(lr >= 0, lr, min(t0 + (s + 1) * step_us, t_end)).astype(np.int64))
            out_tag.append(T[ch])
            out_c.append(c[ch])
            out_p.append(Bs[ch, best[ch]])
            last_sp, last_st = np.where(ch, sp, last_sp), np.where(ch, st, last_st)
    core.last_space[T], core.last_store[T] = last_sp, last_st
    if hold is not None:
        hold.save(t_end)
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
