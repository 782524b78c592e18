"""Moving tags x fixed antennas in a few compiled passes per chunk: the legs' grid slots and positions in one pass,
the antennas alive per grid slot once, per level one pass for the cells first visited and one for the screens and the
cut to alive windows, the mean levels of new cells filled in one bulk call for all levels, the exact link of every
survivor in one call. The same pieces in the same order as `moving._fixed_pieces_py`, the plain rule
(`ReaderEngine.plain`), whose numpy formulas give every value that is not an integer search or a screen.
"""

from __future__ import annotations

import numpy as np

from twin.readers import fixedkernels as fk
from twin.readers import rf
from twin.readers.linkcache import encode, walls_by_antenna
from twin.readers.tagdraws import tag_draws


def _static(eng) -> tuple:
    """Per-antenna columns the passes take, built once per engine: (fixed mask, metal of the antenna's own unit,
    squared fill reach, level ids of the fixed antennas)."""
    got = getattr(eng, "_fixedpass_cols", None)
    if got is None:
        A = len(eng.ant)
        fixed = np.zeros(A, bool)
        fixed[eng.fixed] = True
        cm = eng.params.rf.shadow_cell_m
        reach2 = ((eng.a_range + 0.75 * cm) * (1.0 + 1e-6)) ** 2  # any point of a cell within range (superset)
        got = eng._fixedpass_cols = (fixed, eng._metal[eng.a_storage], reach2,
                                     {int(lv): eng.fixed[eng.a_level[eng.fixed] == lv].astype(np.int64)
                                      for lv in np.unique(eng.a_level[eng.fixed])})
    return got


class CellLevels:
    """Per level, the mean levels of the moving path's cells, cell by cell: one row per cell visited (row[cell]),
    one column per fixed antenna of the level (col[antenna]); P, R the mean forward power at the tag and mean RSSI
    (float32 as `LinkGrid` holds them, +0.0 where not filled, `linkcache.encode`), W walls + 1 (0: not counted, -1:
    listed for the fill in progress). The same values as `LinkGrid` (each a function of the cell and antenna), kept
    compact: a cell's antennas side by side, so a fresh engine commits a page per few cells visited, not one per
    antenna and cell."""

    def __init__(self, ncell: int, F: np.ndarray, n_ant: int):
        self.F = F
        self.col = np.full(n_ant, -1, np.int64)
        self.col[F] = np.arange(len(F))
        self.row = np.full(ncell, -1, np.int64)
        self.used = np.zeros(1, np.int64)
        self.P = self.R = np.zeros((0, len(F)), np.float32)
        self.W = np.zeros((0, len(F)), np.int16)

    def room(self, n: int) -> None:
        """Make room for n more cells (at most every cell of the level)."""
        need = min(int(self.used[0]) + n, len(self.row))
        if need > len(self.P):
            cap = min(max(need, 2 * len(self.P), 64), len(self.row))
            grow = lambda x: np.concatenate([x, np.zeros((cap - len(x), x.shape[1]), x.dtype)])  # noqa: E731
            self.P, self.R, self.W = grow(self.P), grow(self.R), grow(self.W)


def grid_of(eng, lv: int) -> tuple[float, float, int, int]:
    """(x0, y0, nx, ny) of level lv's cell grid, as `WallGrid._grid` lays it out, without allocating its grids."""
    d = eng.__dict__.setdefault("_cell_grid", {})
    if lv not in d:
        W = eng.walls
        name = W.levels[lv]
        pts = [p for sp in W.floor.spaces.values() if sp.level == name for p in sp.polygon] or [(0.0, 0.0)]
        x0, y0 = np.floor(np.min(pts, axis=0) / W.cell) * W.cell
        x1, y1 = np.max(pts, axis=0)
        d[lv] = (x0, y0, int((x1 - x0) / W.cell) + 2, int((y1 - y0) / W.cell) + 2)
    return d[lv]


def _cells(eng, lv: int) -> CellLevels:
    d = eng.__dict__.setdefault("_cell_levels", {})
    if lv not in d:
        x0, y0, nx, ny = grid_of(eng, lv)
        d[lv] = CellLevels(nx * ny, _static(eng)[3][lv], len(eng.ant))
    return d[lv]


def fill(eng, todo: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]) -> None:
    """Mean levels of the (antenna, cell) pairs of each level in `todo` ((level, antennas, cells, rows), every pair
    not filled yet and listed once) into the level's `CellLevels`, with one `rf.pair_mean_levels` call for all
    levels: the values `LinkGrid.levels_at` fills (walls from `walls_by_antenna`, as there)."""
    todo = [t for t in todo if len(t[1])]
    if not todo:
        return
    W = eng.walls
    parts = []
    for lv, ma, mc, _ in todo:
        x0, y0, nx, ny = grid_of(eng, lv)
        centres = np.column_stack([x0 + (mc // ny + 0.5) * W.cell, y0 + (mc % ny + 0.5) * W.cell])
        parts.append((ma, centres, walls_by_antenna(W.floor, W.levels[lv], W.ant_xy, ma, centres)))
    ma = np.concatenate([p[0] for p in parts])
    w = np.concatenate([p[2] for p in parts])
    p_tag, rssi = rf.pair_mean_levels(W.A, ma, W.ant_xy[ma], np.concatenate([p[1] for p in parts]),
                                      w.astype(np.int16), np.zeros(len(ma), bool), W.params)
    p_tag, rssi = encode(p_tag), encode(rssi)
    at = 0
    for lv, a, c, r in todo:
        C, j, sl = _cells(eng, lv), _cells(eng, lv).col[a], slice(at, at + len(a))
        C.P[r, j], C.R[r, j], C.W[r, j] = p_tag[sl], rssi[sl], w[sl] + 1
        at += len(a)


def exact_screens(eng, lv, xy, cell, shield_tag, container, ni, na, th, offset, dead) -> np.ndarray:
    """`moving._exact_screens` (slot rows ni x antennas na; all of them, not indices into F) on the level's
    `CellLevels`, filling the levels it needs there first (the same values as `LinkGrid`'s)."""
    P = eng.params.rf
    C = _cells(eng, lv)
    ok = np.hypot(xy[ni, 0] - eng.a_xy[na, 0], xy[ni, 1] - eng.a_xy[na, 1]) <= eng.a_range[na]
    r, j = C.row[cell[ni]], C.col[na]
    need = np.flatnonzero(ok & (C.W[r, j] <= 0))
    if len(need):
        _, u = np.unique(r[need] * len(C.F) + j[need], return_index=True)
        u = need[u]
        fill(eng, [(lv, na[u], cell[ni[u]], r[u])])
    pt = np.full(len(ni), -np.inf)
    pt[ok] = C.P[r[ok], j[ok]].astype(np.float64)
    sa = eng.a_storage[na]
    shielded = (shield_tag[ni] | eng._metal[sa]) & (container[ni] != sa)
    pt = pt - P.metal_loss_db * shielded
    ok &= rf.best_margin_db(pt, P) >= rf.min_margin_db(P)
    if P.metal_opaque:
        ok &= ~shielded
    fwd = eng._forward_fading_db(na, xy[ni], th[ni])
    return ok & (pt + fwd - (P.tag_sensitivity_dbm + offset[ni]) >= rf.min_margin_db(P)) & ~dead[ni]


def fixed_pieces(eng, t0, t1, tags, mv, grid, wa, ws, we):
    """`moving._fixed_pieces_py`: (window, segment, p, rssi, start, end) of moving tags x fixed antennas."""
    from twin.readers.moving import _PHI
    from twin.readers import kernels

    P = eng.params.rf
    fixed, a_metal, reach2, F_of = _static(eng)
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    own, s, e, mid, txy = fk.leg_slots(i8(np.maximum(tags.t0_us[mv], t0)), i8(np.minimum(tags.t1_us[mv], t1)),
                                       grid, tags.t0_us[mv], tags.t1_us[mv], tags.x0[mv], tags.y0[mv],
                                       tags.x1[mv], tags.y1[mv])
    sg = mv[own]
    lvl = tags.level[sg]
    levels = [lv for lv in np.unique(lvl).tolist() if lv in F_of]
    z = np.zeros(0, np.int64)
    empty = z, z, np.zeros(0), np.zeros(0), z, z
    if not levels:
        return empty
    ptr, ants, a_lo, a_hi = fk.alive_index(fixed, i8(wa), i8(ws), i8(we), t0, t1, grid)
    gslot = s // grid - t0 // grid
    cell = np.zeros(len(sg), np.int64)
    rows_of, todo = {}, []
    for lv in levels:  # cells and first looks per level, then one fill for all
        rows = np.flatnonzero(lvl == lv)
        x0, y0, nx, ny = grid_of(eng, lv)
        C = _cells(eng, lv)
        C.room(len(rows))
        c, a, cc, rr = fk.visit(txy[rows], gslot[rows], float(x0), float(y0), nx, ny, eng.walls.cell, ptr, ants,
                                eng.a_level, lv, C.col, eng.a_xy, reach2, C.row, C.used, C.P, C.W)
        cell[rows] = c
        rows_of[lv] = rows
        todo.append((lv, a, cc, rr))
    fill(eng, todo)
    container = tags.container[sg]
    shield_tag = eng._metal[container]
    th, offset, dead = tag_draws(eng.seed, tags.epc[mv], P)
    th_s, off_s, dead_s = th[own], offset[own], dead[own]
    luck = P.shadow_clip_sigma * (P.shadow_sigma_db + P.tag_offset_sigma_db)
    phi = _PHI.get(P.shadow_clip_sigma)
    if phi is None:
        phi = _PHI[P.shadow_clip_sigma] = kernels.phi_table(P.shadow_clip_sigma)
    seed = np.uint64(eng.seed & 0xFFFFFFFFFFFFFFFF)
    pairs, pieces, base = [], [], 0
    for lv in levels:
        C = _cells(eng, lv)
        pi, pa, pb, pm, rm, pw, k, w, s0, s1 = fk.screen_clip(
            rows_of[lv], txy, cell, gslot, s, e, shield_tag, container, th_s, off_s, dead_s, lv, eng.a_level, ptr,
            ants, eng.a_xy, eng.a_range, eng.a_storage, a_metal, eng.A.key, C.row, C.col, C.P, C.R, C.W,
            P.metal_loss_db, luck, P.tag_sensitivity_dbm, rf.min_margin_db(P), bool(P.metal_opaque), seed,
            P.shadow_cell_m, P.shadow_clip_sigma, P.shadow_sigma_db, phi, i8(ws), i8(we), a_lo, a_hi)
        b = np.flatnonzero(pb)
        if len(b):  # the exact screens (numpy) decide the borderline pairs; those passing get their levels anew
            ok = exact_screens(eng, lv, txy, cell, shield_tag, container, pi[b], pa[b], th_s, off_s, dead_s)
            bad = np.zeros(len(pi), bool)
            bad[b[~ok]] = True
            keep = ~bad[k]
            k, w, s0, s1 = k[keep], w[keep], s0[keep], s1[keep]
            g = b[ok]
            r, j = C.row[cell[pi[g]]], C.col[pa[g]]
            pm[g], rm[g], pw[g] = C.P[r, j], C.R[r, j], C.W[r, j] - 1
        pairs.append((pi, pa, pm, rm, pw))
        pieces.append((k + base, w, s0, s1))
        base += len(pi)
    pi, pa, pm, rm, pw = (np.concatenate([x[c] for x in pairs]) for c in range(5))
    k, w, s0, s1 = (np.concatenate([x[c] for x in pieces]) for c in range(4))
    if not len(k):
        return empty
    has = np.zeros(len(pi), bool)
    has[k] = True
    u = np.flatnonzero(has)
    rank = np.cumsum(has) - 1
    r, ai = pi[u], pa[u]
    o = own[r]
    kk, p, rs = eng._links(ai, sg[r], eng.a_xy[ai], txy[r], pw[u], tags, None, (pm[u], rm[u]),
                           screened=(th[o], offset[o], dead[o]))
    pk = np.full(len(u), -1, np.int64)
    pk[kk] = np.arange(len(kk))
    j = pk[rank[k]]
    keep = j >= 0
    return w[keep], sg[r[rank[k[keep]]]], p[j[keep]], rs[j[keep]], s0[keep], s1[keep]
