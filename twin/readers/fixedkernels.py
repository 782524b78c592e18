"""Compiled passes of moving tags x fixed antennas (`fixedpass`): legs to grid slots with their positions, the fixed
antennas alive in each grid slot, the cells first visited, and the screens with the cut to alive windows in one pass
per level. Each gives the values of the numpy step it replaces (`moving._fixed_pieces_py`): integer searches, the
same IEEE operations (+ - * / floor, no fused multiply-add), and the screens' superset rule of `kernels.screen`
(borderline pairs are left to the numpy screens).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from twin.readers.kernels import _GOLD, _last_at_or_before, _mix, screen_verdict


@njit(cache=True)
def leg_slots(lo, hi, grid, seg_t0, seg_t1, x0, y0, x1, y1):
    """`timegrid.slots(lo, hi, grid)` and `TagSegments.position` at the slots' midpoints in one pass: (owner leg,
    start, end, midpoint, xy) of every slot, legs in order. seg_t0/seg_t1/x0.. are the legs' own segment columns."""
    n = lo.shape[0]
    tot = 0
    for i in range(n):
        k = (hi[i] - 1) // grid + 1 - lo[i] // grid
        if k > 0:
            tot += k
    own = np.empty(tot, np.int64)
    s = np.empty(tot, np.int64)
    e = np.empty(tot, np.int64)
    mid = np.empty(tot, np.int64)
    xy = np.empty((tot, 2))
    m = 0
    for i in range(n):
        span = np.float64(seg_t1[i] - seg_t0[i])
        t0f = np.float64(seg_t0[i])
        for k in range(lo[i] // grid, (hi[i] - 1) // grid + 1):
            a = max(k * grid, lo[i])
            b = min((k + 1) * grid, hi[i])
            md = (a + b) // 2
            f = (np.float64(md) - t0f) / span
            f = min(max(f, 0.0), 1.0)
            own[m], s[m], e[m], mid[m] = i, a, b, md
            xy[m, 0] = x0[i] + f * (x1[i] - x0[i])
            xy[m, 1] = y0[i] + f * (y1[i] - y0[i])
            m += 1
    return own, s, e, mid, xy


@njit(cache=True)
def alive_index(fixed, wa, ws, we, t0, t1, grid):
    """(ptr, ants, a_lo, a_hi): per grid slot g of the chunk (cut at multiples of grid) the fixed antennas with an
    alive window meeting it, ants[ptr[g]:ptr[g + 1]] ascending (`moving.alive_slots` / `alive_lists`), and where
    each antenna's windows lie in wa/ws/we (sorted by antenna, start), as `np.searchsorted(wa, a)` left and right."""
    A = fixed.shape[0]
    g0 = t0 // grid
    G = (t1 - 1) // grid - g0 + 1
    alive = np.zeros((G, A), np.bool_)
    a_lo = np.zeros(A, np.int64)
    a_hi = np.zeros(A, np.int64)
    W = wa.shape[0]
    j = 0
    for a in range(A):
        while j < W and wa[j] < a:
            j += 1
        a_lo[a] = j
        k = j
        while k < W and wa[k] == a:
            k += 1
        a_hi[a] = k
    for w in range(W):
        a = wa[w]
        if a >= A or not fixed[a]:
            continue
        for g in range(ws[w] // grid - g0, (we[w] - 1) // grid - g0 + 1):
            alive[g, a] = True
    ptr = np.zeros(G + 1, np.int64)
    for g in range(G):
        c = 0
        for a in range(A):
            if alive[g, a]:
                c += 1
        ptr[g + 1] = ptr[g] + c
    ants = np.empty(ptr[G], np.int64)
    q = 0
    for g in range(G):
        for a in range(A):
            if alive[g, a]:
                ants[q] = a
                q += 1
    return ptr, ants, a_lo, a_hi


@njit(cache=True)
def visit(xy, gslot, gx0, gy0, nx, ny, cell_m, ptr, ants, a_level, lv, col, a_xy, reach2, row, used, P, W):
    """Cells of the slots xy (clamped to the level's grid, `LinkGrid.cells`), a row of the cell tables for each
    cell first visited (row[cell], used[0] rows taken; the caller makes room for every slot), and the (antenna,
    cell, row) triples to fill: an alive antenna of level lv whose level at the cell is not filled yet (+0.0 in P)
    and whose cell centre is within reach2 (squared; a superset of the antenna's range plus any point of the cell),
    each once (W marked -1, pending, as it is listed)."""
    n = xy.shape[0]
    cell = np.empty(n, np.int64)
    out_a = np.empty(64, np.int64)
    out_c = np.empty(64, np.int64)
    out_r = np.empty(64, np.int64)
    k = 0
    for i in range(n):
        ix = min(max(np.int64(math.floor((xy[i, 0] - gx0) / cell_m)), 0), nx - 1)
        iy = min(max(np.int64(math.floor((xy[i, 1] - gy0) / cell_m)), 0), ny - 1)
        c = ix * ny + iy
        cell[i] = c
        r = row[c]
        if r < 0:
            r = row[c] = used[0]
            used[0] += 1
        g = gslot[i]
        for q in range(ptr[g], ptr[g + 1]):
            a = ants[q]
            if a_level[a] != lv:
                continue
            j = col[a]
            if W[r, j] != 0:
                continue
            v = P[r, j]
            if v != 0.0 or math.copysign(1.0, v) < 0.0:
                continue
            dx = gx0 + (ix + 0.5) * cell_m - a_xy[a, 0]
            dy = gy0 + (iy + 0.5) * cell_m - a_xy[a, 1]
            if dx * dx + dy * dy > reach2[a]:
                continue
            W[r, j] = -1
            if k == out_a.shape[0]:
                out_a = np.concatenate((out_a, np.empty(k, np.int64)))
                out_c = np.concatenate((out_c, np.empty(k, np.int64)))
                out_r = np.concatenate((out_r, np.empty(k, np.int64)))
            out_a[k] = a
            out_c[k] = c
            out_r[k] = r
            k += 1
    return cell, out_a[:k], out_c[:k], out_r[:k]


@njit(cache=True)
def screen_clip(rows, xy, cell, gslot, s, e, shield_tag, container, tag_h, offset, dead, lv, a_level, ptr, ants,
                a_xy, a_range, a_storage, a_metal, a_key, row, col, P, R, W, metal_loss_db, luck_db, sens_dbm,
                min_margin_db, metal_opaque, seed, cell_m, clip, sigma_db, phi, ws, we, a_lo, a_hi):
    """The slots `rows` (of level lv) x the antennas alive in their grid slot through the screens of
    `kernels.screen` (a superset of the exact screens; borderline pairs marked), then cut to the alive windows as
    `kernels.clip_slots` does (the window alive at each slot's end for every pair first, then the one at its start
    where different). Pairs (slot row, antenna, borderline, mean p_tag, mean rssi, walls of the cell: grid values,
    read where filled) in row-major order, and pieces (pair, window, start, end). The levels are the cell tables'
    (P, R, W at row[cell], col[antenna]: `fixedpass.CellLevels`)."""
    n = rows.shape[0]
    cap = 256
    pi = np.empty(cap, np.int64)
    pa = np.empty(cap, np.int64)
    pb = np.empty(cap, np.bool_)
    k = 0
    h0 = seed
    steps = phi.shape[0] - 1
    per_z = steps / (2.0 * clip)
    for ii in range(n):
        i = rows[ii]
        if dead[i]:
            continue
        c = cell[i]
        x, y = xy[i, 0], xy[i, 1]
        cx = np.uint64(np.int64(math.floor(x / cell_m)))
        cy = np.uint64(np.int64(math.floor(y / cell_m)))
        thr_tag = min_margin_db + sens_dbm + offset[i]
        g = gslot[i]
        for q in range(ptr[g], ptr[g + 1]):
            j = ants[q]
            if a_level[j] != lv:
                continue
            dx, dy = x - a_xy[j, 0], y - a_xy[j, 1]
            d2 = dx * dx + dy * dy
            if d2 > (a_range[j] * (1.0 + 1e-9)) ** 2:
                continue
            border = d2 > (a_range[j] * (1.0 - 1e-9)) ** 2
            pt = np.float64(P[row[c], col[j]])
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
                pi = np.concatenate((pi, np.empty(cap - k, np.int64)))
                pa = np.concatenate((pa, np.empty(cap - k, np.int64)))
                pb = np.concatenate((pb, np.empty(cap - k, np.bool_)))
            pi[k], pa[k], pb[k] = i, j, border
            k += 1
    pm = np.empty(k)
    rm = np.empty(k)
    pw = np.empty(k, np.int32)
    j1 = np.empty(k, np.int64)
    j2 = np.empty(k, np.int64)
    for p in range(k):
        a, i = pa[p], pi[p]
        r, j = row[cell[i]], col[a]
        pm[p] = np.float64(P[r, j])
        rm[p] = np.float64(R[r, j])
        pw[p] = W[r, j] - 1
        j2[p] = _last_at_or_before(ws, a_lo[a], a_hi[a], e[i] - 1)
        j1[p] = _last_at_or_before(ws, a_lo[a], a_hi[a], s[i])
    oi = np.empty(2 * k, np.int64)
    ow = np.empty(2 * k, np.int64)
    o0 = np.empty(2 * k, np.int64)
    o1 = np.empty(2 * k, np.int64)
    m = 0
    for rnd in range(2):
        for p in range(k):
            w = j2[p] if rnd == 0 else j1[p]
            if (rnd == 1 and j1[p] == j2[p]) or w < 0:
                continue
            i = pi[p]
            lo, hi = max(s[i], ws[w]), min(e[i], we[w])
            if hi > lo:
                oi[m], ow[m], o0[m], o1[m] = p, w, lo, hi
                m += 1
    return pi[:k], pa[:k], pb[:k], pm, rm, pw, oi[:m], ow[:m], o0[:m], o1[:m]


@njit(cache=True)
def geometry_groups(slot, static, xb, yb, c):
    """(representative pair, each pair's group) of pairs (slot, tag segment) of a carried antenna: pairs in one slot
    (slot: its midpoint, one antenna point) with resting tags at one place (the bits of x and y, and the container)
    in one group, a moving tag's pairs each in its own: the partition of `moving._geometries` (groups in another
    order; every group's values depend on its inputs only). One pass with an open-addressing table of the keys."""
    n = slot.shape[0]
    inv = np.empty(n, np.int64)
    rep = np.empty(n, np.int64)
    size = 16
    while size < 2 * n:
        size *= 2
    mask = np.uint64(size - 1)
    table = np.full(size, -1, np.int64)  # group id per slot of the table
    g = 0
    for i in range(n):
        if not static[i]:
            inv[i] = g
            rep[g] = i
            g += 1
            continue
        x = _mix(np.uint64(slot[i]) + _GOLD)
        x = _mix(x ^ (np.uint64(xb[i]) + _GOLD))
        x = _mix(x ^ (np.uint64(yb[i]) + _GOLD))
        x = _mix(x ^ (np.uint64(c[i]) + _GOLD))
        q = np.int64(x & mask)
        while True:
            t = table[q]
            if t < 0:
                table[q] = g
                inv[i] = g
                rep[g] = i
                g += 1
                break
            j = rep[t]
            if static[j] and slot[j] == slot[i] and xb[j] == xb[i] and yb[j] == yb[i] and c[j] == c[i]:
                inv[i] = t
                break
            q = (q + 1) & (size - 1)
    return rep[:g], inv


@njit(cache=True)
def fading_hashes(seed, keys, tag_h, txy, cell_m):
    """The hashes behind a fixed antenna's fading draws on tags at txy (`rf.pair_link` without a moving antenna,
    `linkcache.forward_fading_db`): h of (seed, antenna key, tag hash, 0.5 m cell) and the reverse link's
    _mix(h ^ GOLD), the same wrapping uint64 operations in the same order."""
    n = keys.shape[0]
    h = np.empty(n, np.uint64)
    h2 = np.empty(n, np.uint64)
    for i in range(n):
        x = seed ^ keys[i]
        x = _mix(x ^ (tag_h[i] + _GOLD))
        x = _mix(x ^ (np.uint64(np.int64(math.floor(txy[i, 0] / cell_m))) + _GOLD))
        x = _mix(x ^ (np.uint64(np.int64(math.floor(txy[i, 1] / cell_m))) + _GOLD))
        h[i] = x
        h2[i] = _mix(x ^ _GOLD)
    return h, h2


def warm() -> None:
    """Compile or load the kernels on tiny inputs."""
    z1 = np.zeros(1, np.int64)
    f1 = np.zeros(1)
    xy = np.zeros((1, 2))
    b1 = np.zeros(1, bool)
    leg_slots(z1, z1 + 1, 1, z1, z1 + 1, f1, f1, f1, f1)
    ptr, ants, a_lo, a_hi = alive_index(np.ones(1, bool), z1, z1, z1 + 1, 0, 1, 1)
    geometry_groups(z1, b1, z1, z1, z1.astype(np.int32))
    fading_hashes(np.uint64(1), np.zeros(1, np.uint64), np.zeros(1, np.uint64), xy, 0.5)
    g32, w16 = np.zeros((1, 1), np.float32), np.zeros((1, 1), np.int16)
    row = np.full(1, -1, np.int64)
    visit(xy, z1, 0.0, 0.0, 1, 1, 0.5, ptr, ants, z1, 0, z1, xy, f1 + 1, row, np.zeros(1, np.int64), g32, w16)
    screen_clip(z1, xy, z1, z1, z1, z1 + 1, b1, z1.astype(np.int32), np.zeros(1, np.uint64), f1, b1, 0, z1, ptr,
                ants, xy, f1 + 1, z1, b1, np.zeros(1, np.uint64), row, z1, g32, g32, w16, 1.0, 1.0,
                -20.0, 0.0, True, np.uint64(1), 0.5, 2.5, 9.6, np.linspace(0.0, 1.0, 5), z1, z1 + 1, a_lo, a_hi)
