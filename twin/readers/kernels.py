"""Compiled loops of the read engine: per-pair and per-row work numpy can only do as whole matrices or as one
pass per field. Every kernel gives the bytes the numpy code it replaces gave:

- `screen` only *narrows* a candidate set of (slot, fixed antenna) pairs: it keeps a superset of what the exact numpy
  screens keep (each comparison has a small slack in the keeping direction) and marks the pairs within the slack of a
  threshold as borderline, for the numpy screens to decide. A last-bit difference between compiled and numpy
  arithmetic can never flip a pair.
- `crossed_pairs` / `crossed_from` / `crossed_by_antenna` (walls crossed) compute the same orientation products in
  the same order as `geometry.segments_crossed`, so the same integer counts; `clip_slots` is an integer search.
  The report shaping kernels are in `reportkernels`, the session rules' in `sessionkernels`.

Compiled with numba (`cache=True`: the first call in a fresh install compiles and writes the cache next to this
file; later processes load it). The engine imports this module on first use, so `twin` commands that generate no
reads do not load numba. `warm()` compiles or loads every kernel on tiny inputs and says how long it took.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numba import njit

TOL = 1e-9  # dB / sigma / probability slack of the superset screens (far above any last-bit difference)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True)
def _mix(h):
    """splitmix64 finaliser (`rf._mix` on one value; uint64 arithmetic wraps)."""
    h = h ^ (h >> np.uint64(30))
    h = h * _M1
    h = h ^ (h >> np.uint64(27))
    h = h * _M2
    return h ^ (h >> np.uint64(31))


PHI_STEPS = 4096  # intervals of the normal CDF table over [-clip, clip] (`phi_table`)


def phi_table(clip: float) -> np.ndarray:
    """Normal CDF at PHI_STEPS + 1 even points of [-clip, clip]: bounds of ndtr(z) for z between two of them."""
    from scipy.special import ndtr

    return ndtr(np.linspace(-clip, clip, PHI_STEPS + 1))


@njit(cache=True)
def screen_verdict(pt, sh, metal_loss_db, luck_db, sens_dbm, min_margin_db, thr_tag, sigma_db, clip, phi, steps, per_z,
                   h0, key, tag_h, cx, cy):  # fmt: skip
    """One (slot, antenna) pair's mean forward level `pt` through the link-margin and forward-fading screens: -1 out
    of field for sure, 1 borderline (the exact numpy screens decide), 0 in. +0.0 is a cell not filled yet
    (`linkcache.unfilled`): borderline. `sh`: metal between them (costs `metal_loss_db`)."""
    if pt == 0.0 and math.copysign(1.0, pt) > 0.0:
        return 1
    if sh:
        pt = pt - metal_loss_db
    best = pt + luck_db - sens_dbm
    if best < min_margin_db - TOL:
        return -1
    border = best < min_margin_db + TOL
    # forward fading: pass iff pt + clip(z) * sigma - (sens + offset) >= min margin, z = ndtri(u)
    zt = (thr_tag - pt) / sigma_db
    if zt > clip + TOL:
        return -1
    if zt >= clip - TOL or abs(zt + clip) <= TOL:
        return 1
    if zt > -clip:  # a pass needs z >= zt, i.e. u >= ndtr(zt), bounded by the table's neighbours
        h = _mix((h0 ^ key) ^ (tag_h + _GOLD))
        h = _mix(h ^ (cx + _GOLD))
        h = _mix(h ^ (cy + _GOLD))
        u = (np.float64(h >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)
        q = int((zt + clip) * per_z)
        if u < phi[max(q - 1, 0)] - TOL:
            return -1
        border |= u < phi[min(q + 2, steps)] + TOL
    return 1 if border else 0


@njit(cache=True)
def screen(xy, cell, shield_tag, container, tag_h, offset, dead, axy, arange, ant, a_storage, a_metal, a_key, grid,
           metal_loss_db, luck_db, sens_dbm, min_margin_db, metal_opaque, seed, cell_m, clip, sigma_db, phi, ptr,
           js, gslot):
    """Slot x fixed-antenna pairs that may pass the engine's screens of moving tags (in range; best-case margin;
    not shielded when metal is opaque; tag alive; the pair's own forward fading draw reaching the minimum margin):
    (row, antenna index into `ant`, borderline), in row-major order (that of `np.nonzero` on the (slot, antenna)
    matrix). A pair not borderline passes every exact screen by more than the slack; a borderline one (within the
    slack of a threshold, or whose mean level is not in the grid yet: +0.0) is for the caller's exact screens.
    `phi`: `phi_table(clip)`. Only the antennas js[ptr[g]:ptr[g + 1]] (ascending) alive in grid slot g = gslot[i]
    are tried for slot i (`moving.alive_slots`): the others have no window there, so nothing to keep."""
    n, m = xy.shape[0], axy.shape[0]
    cap = 1 << 14
    out_i = np.empty(cap, np.int64)
    out_j = np.empty(cap, np.int64)
    out_b = np.empty(cap, np.bool_)
    k = 0
    h0 = seed
    r2_hi = (arange * (1.0 + 1e-9)) ** 2
    r2_lo = (arange * (1.0 - 1e-9)) ** 2
    steps = phi.shape[0] - 1
    per_z = steps / (2.0 * clip)
    for i in range(n):
        if dead[i]:
            continue
        c = cell[i]
        x, y = xy[i, 0], xy[i, 1]
        cx = np.uint64(np.int64(math.floor(x / cell_m)))
        cy = np.uint64(np.int64(math.floor(y / cell_m)))
        thr_tag = min_margin_db + sens_dbm + offset[i]
        g = gslot[i]
        for q in range(ptr[g], ptr[g + 1]):
            j = js[q]
            dx, dy = x - axy[j, 0], y - axy[j, 1]
            d2 = dx * dx + dy * dy
            if d2 > r2_hi[j]:
                continue
            border = d2 > r2_lo[j]
            pt = np.float64(grid[ant[j], c])
            sh = (shield_tag[i] or a_metal[j]) and container[i] != a_storage[j]
            if sh and metal_opaque:
                continue
            v = screen_verdict(pt, sh, metal_loss_db, luck_db, sens_dbm, min_margin_db, thr_tag, sigma_db, clip, phi,
                               steps, per_z, h0, a_key[j], tag_h[i], cx, cy)  # fmt: skip
            if v < 0:
                continue
            border |= v > 0
            if k == cap:
                cap *= 2
                out_i = np.concatenate((out_i, np.empty(cap - k, np.int64)))
                out_j = np.concatenate((out_j, np.empty(cap - k, np.int64)))
                out_b = np.concatenate((out_b, np.empty(cap - k, np.bool_)))
            out_i[k] = i
            out_j[k] = j
            out_b[k] = border
            k += 1
    return out_i[:k], out_j[:k], out_b[:k]


@njit(cache=True)
def looked_at(cell, gslot, ptr, js, F, done, full):
    """(antenna, cell) pairs of slots (cell[i], grid slot gslot[i]) x their alive antennas F[js[ptr[g]:ptr[g + 1]]]
    not marked in `done` (cells x antennas) yet, each once, marked as they are found; a cell marked `full` (every
    antenna of F looked at there) is skipped whole, and marked so once it is."""
    out_a = np.empty(64, np.int64)
    out_c = np.empty(64, np.int64)
    k = 0
    for i in range(cell.shape[0]):
        c, g = cell[i], gslot[i]
        if full[c]:
            continue
        k0 = k
        for q in range(ptr[g], ptr[g + 1]):
            a = F[js[q]]
            if done[c, a]:
                continue
            done[c, a] = True
            if k == out_a.shape[0]:
                out_a = np.concatenate((out_a, np.empty(k, np.int64)))
                out_c = np.concatenate((out_c, np.empty(k, np.int64)))
            out_a[k] = a
            out_c[k] = c
            k += 1
        if k > k0:
            every = True
            for f in F:
                if not done[c, f]:
                    every = False
                    break
            full[c] = every
    return out_a[:k], out_c[:k]


@njit(cache=True, inline="always")
def _crosses(ax, ay, qx, qy, W, k, eps):
    """Whether the segment (ax, ay) -> (qx, qy) properly crosses wall k of W: `linkcache`'s two orientation products
    in its order, the second only where the first passes."""
    w0x, w0y, w1x, w1y = W[k, 0], W[k, 1], W[k, 2], W[k, 3]
    ex, ey = w1x - w0x, w1y - w0y
    if (ex * (ay - w0y) - ey * (ax - w0x)) * (ex * (qy - w0y) - ey * (qx - w0x)) < -eps:
        ux, uy = qx - ax, qy - ay
        return (ux * (w0y - ay) - uy * (w0x - ax)) * (ux * (w1y - ay) - uy * (w1x - ax)) < -eps
    return False


@njit(cache=True)
def crossed_pairs(a, t, W, eps):
    """`linkcache.crossed_pairs` (walls W properly crossed by each segment a[i] -> t[i]): the same orientation
    products in the same order, so the same counts; the second test only where the first passes."""
    n, m = t.shape[0], W.shape[0]
    out = np.zeros(n, np.int32)
    for i in range(n):
        ax, ay, qx, qy = a[i, 0], a[i, 1], t[i, 0], t[i, 1]
        c = 0
        for k in range(m):
            if _crosses(ax, ay, qx, qy, W, k, eps):
                c += 1
        out[i] = c
    return out


@njit(cache=True)
def crossed_from(ax, ay, t, W, eps):
    """`linkcache.crossed_from` (walls W properly crossed from the one point (ax, ay) to each point of t): the same
    orientation products in the same order, so the same counts."""
    n, m = t.shape[0], W.shape[0]
    out = np.zeros(n, np.int32)
    for i in range(n):
        qx, qy = t[i, 0], t[i, 1]
        c = 0
        for k in range(m):
            if _crosses(ax, ay, qx, qy, W, k, eps):
                c += 1
        out[i] = c
    return out


@njit(cache=True)
def crossed_by_antenna(axy, ai, t, W, eps):
    """`linkcache.walls_by_antenna` in one pass: pairs grouped by antenna (stable), each group against the walls
    meeting the box around its antenna and points (a wall outside it cannot be properly crossed), with the
    orientation products of `crossed_from`: the same counts."""
    n, m = t.shape[0], W.shape[0]
    out = np.zeros(n, np.int32)
    order = np.argsort(ai, kind="mergesort")
    keep = np.empty(m, np.int64)
    i = 0
    while i < n:
        a = ai[order[i]]
        j = i
        ax, ay = axy[a, 0], axy[a, 1]
        x0, x1, y0, y1 = ax, ax, ay, ay
        while j < n and ai[order[j]] == a:
            p = order[j]
            x0, x1 = min(x0, t[p, 0]), max(x1, t[p, 0])
            y0, y1 = min(y0, t[p, 1]), max(y1, t[p, 1])
            j += 1
        nk = 0
        for k in range(m):
            if (max(W[k, 0], W[k, 2]) >= x0 - 1e-6 and min(W[k, 0], W[k, 2]) <= x1 + 1e-6
                    and max(W[k, 1], W[k, 3]) >= y0 - 1e-6 and min(W[k, 1], W[k, 3]) <= y1 + 1e-6):
                keep[nk] = k
                nk += 1
        for q in range(i, j):
            p = order[q]
            qx, qy = t[p, 0], t[p, 1]
            c = 0
            for kk in range(nk):
                if _crosses(ax, ay, qx, qy, W, keep[kk], eps):
                    c += 1
            out[p] = c
        i = j
    return out


@njit(cache=True)
def _last_at_or_before(ws, lo, hi, t):
    """Index of the last window in ws[lo:hi] (sorted starts) starting at or before t; -1 if none."""
    a, b = lo, hi
    while a < b:
        mid = (a + b) >> 1
        if ws[mid] <= t:
            a = mid + 1
        else:
            b = mid
    return a - 1 if a > lo else -1


@njit(cache=True)
def _lower_bound(keys, lo, hi, k):
    """First index in keys[lo:hi] (ascending) whose key is >= k (hi if none): numpy's searchsorted 'left'."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < k:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def clip_slots(ai, s, e, ws, we, a_lo, a_hi):
    """`moving.clip`: overlaps of slots [s, e) of antennas ai with their alive windows (windows of antenna a are
    ws/we[a_lo[a]:a_hi[a]], sorted): first the window alive at each slot's end, then, for slots whose start lies
    in another window, that one; (slot index, window, start, end) of the non-empty overlaps, in that order."""
    n = ai.shape[0]
    j1 = np.empty(n, np.int64)
    j2 = np.empty(n, np.int64)
    for k in range(n):
        a = ai[k]
        j2[k] = _last_at_or_before(ws, a_lo[a], a_hi[a], e[k] - 1)
        j1[k] = _last_at_or_before(ws, a_lo[a], a_hi[a], s[k])
    oi = np.empty(2 * n, np.int64)
    ow = np.empty(2 * n, np.int64)
    o0 = np.empty(2 * n, np.int64)
    o1 = np.empty(2 * n, np.int64)
    m = 0
    for p in range(2):
        for k in range(n):
            w = j2[k] if p == 0 else j1[k]
            if p == 1 and j1[k] == j2[k]:
                continue
            if w < 0:
                continue
            lo, hi = max(s[k], ws[w]), min(e[k], we[w])
            if hi > lo:
                oi[m], ow[m], o0[m], o1[m] = k, w, lo, hi
                m += 1
    return oi[:m], ow[:m], o0[:m], o1[:m]


def warm() -> float:
    """Compile (first install) or load (later) every kernel on tiny inputs; seconds it took."""
    t = time.perf_counter()
    xy = np.zeros((1, 2))
    z1 = np.zeros(1, np.int64)
    screen(xy, z1, np.zeros(1, bool), z1, np.zeros(1, np.uint64), np.zeros(1), np.zeros(1, bool), xy, np.ones(1),
           z1, z1, np.zeros(1, bool), np.zeros(1, np.uint64), np.zeros((1, 1), np.float32), 1.0, 1.0, -20.0, 0.0,
           True, np.uint64(1), 0.5, 3.0, 4.0, np.linspace(0.0, 1.0, 5), np.array([0, 1]), z1, z1)
    looked_at(z1, z1, np.array([0, 1]), z1, z1, np.zeros((1, 1), bool), np.zeros(1, bool))
    clip_slots(z1, z1, z1 + 1, z1, z1 + 1, z1, z1 + 1)
    w = np.zeros((1, 4))
    crossed_pairs(xy, xy, w, 1e-12)
    crossed_from(0.0, 0.0, xy, w, 1e-12)
    crossed_by_antenna(xy, z1, xy, w, 1e-12)
    from twin.readers import reportkernels

    reportkernels.warm()
    from twin.readers import sessionkernels

    sessionkernels.warm()
    from twin.readers import airtime, radix, reportpass, sessionpass, staticpairs, timegrid, triggers
    from twin.readers import sessionfuse, streamseed

    streamseed.warm()
    sessionfuse.warm()
    from twin.readers.paircache import PairCache

    c = PairCache()  # the compiled merge and look-ups
    c.put(np.ones(1, np.uint64), np.ones(1, np.uint64), np.zeros(1, np.int32), np.ones(1), np.ones(1))
    c.gather(c.k)

    radix.argsort_pairs(z1, z1)
    radix.argsort_stable(z1)

    sessionpass.warm()
    reportpass.warm()
    airtime.warm()
    triggers.merge(z1, z1, z1 + 1)
    triggers._gpi_pass(0, 1, np.zeros((1, 2)), np.zeros(1), 1.0, 1, z1, z1, np.zeros(1), z1, z1 + 1, np.zeros(1),
                       np.zeros(1), np.zeros(1), np.zeros(1))
    f1, u3 = np.zeros(1), np.zeros((1, 3), np.uint64)
    from twin.readers.rf import RFParams
    from twin.readers.tagdraws import tag_draws

    tag_draws(0, np.array([b"E"], dtype="S24"), RFParams())
    staticpairs.same_rest(z1, u3, f1, f1, z1, z1, u3, f1, f1, z1, z1)
    staticpairs._seg_keys(np.uint64(1), z1, u3, f1, f1, z1, z1)
    staticpairs.split_pairs(z1, z1, z1.astype(np.int32), f1, f1, z1, z1 + 1, z1, z1, z1 + 1, 0, 1, 0.5, 1)
    timegrid.special_windows(z1, z1, z1 + 1, z1, np.array([[0, 1]]), z1, z1 + 1, z1, z1 + 1)
    from twin.readers import fixedkernels

    fixedkernels.warm()
    return time.perf_counter() - t
