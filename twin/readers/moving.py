"""Moving tags and carried antennas for the read engine: legs cut into grid slots, each slot cut to the alive
windows of the antennas that can reach it, links from the per-cell mean levels (`linkcache.LinkGrid`) plus the fading
draw of the tag's cell. Links are computed only where an antenna is inventorying (periodic and GPI readers are idle
most of the time), so the cost follows pair-slots in live windows.
"""

from __future__ import annotations

import numpy as np

from twin.readers import rf
from twin.readers.linkcache import unfilled, walls_between
from twin.readers.links import free_reach, mean_screen, shielding
from twin.readers.staticpairs import places
from twin.readers.tagdraws import tag_draws
from twin.readers.timegrid import expand, leg_distance, slots, unique_index


def moving_pieces(eng, t0, t1, tags, live, track_rows, wa, ws, we):
    """Slot pieces (window, segment, p, rssi, start, end, steady, given) of moving tags x the engine's fixed antennas
    and of carried antennas x every tag on their level, each cut
    to the alive windows of its antenna (links are computed only where the antenna is inventorying)."""
    grid = max(1, int(eng.params.grid_ms * 1e3))
    out = []
    static = tags.is_static
    mv = np.flatnonzero(live & ~static)
    if len(mv) and len(eng.fixed):
        out.append(_fixed_pieces(eng, t0, t1, tags, mv, grid, wa, ws, we))
    tr = eng._track
    for h, rows in track_rows.items():
        for row in rows:
            lo, hi = max(int(tr.t0_us[row]), t0), min(int(tr.t1_us[row]), t1)
            if hi <= lo:
                continue
            lvl = int(tr.level[row])
            az = float(tr.azimuth_deg[row])
            cand = np.flatnonzero(live & (tags.level == lvl) & (tags.t1_us > lo) & (tags.t0_us < hi))
            mx, my = (tags.x0[cand] + tags.x1[cand]) / 2, (tags.y0[cand] + tags.y1[cand]) / 2
            half = np.hypot(tags.x1[cand] - tags.x0[cand], tags.y1[cand] - tags.y0[cand]) / 2
            d = leg_distance(mx, my, tr.x0[row], tr.y0[row], tr.x1[row], tr.y1[row]) - half
            seg = cand[d <= eng.a_range[h]]
            if tr.x0[row] == tr.x1[row] and tr.y0[row] == tr.y1[row]:
                # a resting antenna sees a resting tag the same all along: one piece per alive window, no slots
                rest = seg[static[seg]]
                seg = seg[~static[seg]]
                if len(rest):
                    lo_r, hi_r = np.maximum(tags.t0_us[rest], lo), np.minimum(tags.t1_us[rest], hi)
                    axy = np.tile([float(tr.x0[row]), float(tr.y0[row])], (len(rest), 1))
                    ok, pr, rr = _carried_links(eng, h, lvl, rest, axy, tags.position(rest, lo_r), tags,
                                                azimuth_deg=az)
                    m = np.flatnonzero(ok)
                    i, w, s0, s1 = clip_spans(h, lo_r[m], hi_r[m], wa, ws, we)
                    m = m[i]
                    out.append((w, rest[m], pr[m], rr[m], s0, s1))
            own, s, e, mid = slots(np.maximum(tags.t0_us[seg], lo), np.minimum(tags.t1_us[seg], hi), grid)
            seg = seg[own]
            f = (mid - tr.t0_us[row]) / max(1, int(tr.t1_us[row] - tr.t0_us[row]))
            axy = np.column_stack([tr.x0[row] + f * (tr.x1[row] - tr.x0[row]),
                                   tr.y0[row] + f * (tr.y1[row] - tr.y0[row])])
            txy = tags.position(seg, mid)
            ok, pr, rr = _carried_links(eng, h, lvl, seg, axy, txy, tags, mid, az)
            m = np.flatnonzero(ok)
            i, w, s0, s1 = clip(np.full(len(m), h, np.int64), s[m], e[m], wa, ws, we, t0)
            m = m[i]
            out.append((w, seg[m], pr[m], rr[m], s0, s1))
    if not out:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0), np.zeros(0), z, z, np.zeros(0, bool), np.zeros(0, bool)
    w, seg, p, r, s0, s1 = (np.concatenate([x[i] for x in out]) for i in range(6))
    n = len(w)
    return w, seg, p, r, s0, s1, np.zeros(n, bool), np.zeros(n, bool)

def _geometries(tags, seg, slot):
    """(representative pair, each pair's geometry) of pairs (slot, tag segment): pairs in one slot (one antenna
    point) with resting tags at one place (position and container) share a geometry; a moving tag's pairs are
    their own."""
    n = len(seg)
    pid = np.arange(n, dtype=np.int64)
    st = np.flatnonzero((tags.x0[seg] == tags.x1[seg]) & (tags.y0[seg] == tags.y1[seg]))
    if len(st):
        us, ui = unique_index(seg[st], len(tags))
        _, place = places(tags, us)
        pid[st] = n + place[ui]
    sid = np.zeros(n, np.int64) if slot is None else np.unique(slot, return_inverse=True)[1]
    _, rep, inv = np.unique(sid * (2 * n) + pid, return_index=True, return_inverse=True)
    return rep, inv


# A steel cabinet is scanned with its doors open: a handheld held this close in front of a cabinet's face, within its
# width, is at the open cabinet and reads its inside unshielded (assumption: a forearm's length; the sweep holds the
# handheld `agents.sweep.HOLD_GAP_M` = 0.15 m from the face, a keeper walking past keeps to the aisle, and handhelds
# are on only while sweeping). The door leaves are not modelled, and other antennas still see the cabinet closed.
OPEN_REACH_M = 0.3


def _cabinets(eng):
    """Per container index (-1 last): (is a metal cabinet, centre xy, facing unit vector, half depth, half width),
    cached on the engine."""
    got = getattr(eng, "_open_cabinets", None)
    if got is None:
        units = [eng.floor.storage[s] for s in eng.storage_ids]
        n = len(units) + 1
        cab, xy, f, hd, hw = np.zeros(n, bool), np.zeros((n, 2)), np.zeros((n, 2)), np.zeros(n), np.zeros(n)
        for i, u in enumerate(units):
            cab[i] = u.kind == "cabinet" and bool(u.metal)
            a = np.radians(u.facing_deg)
            xy[i], f[i], hd[i], hw[i] = u.position, (np.cos(a), np.sin(a)), u.depth_m / 2, u.width_m / 2
        got = eng._open_cabinets = (cab, xy, f, hd, hw)
    return got


def open_to_handheld(eng, axy, c) -> np.ndarray:
    """Mask: the handheld at axy is at the open cabinet c (a metal cabinet whose face it is within OPEN_REACH_M in
    front of, within the face's width), so that cabinet does not shield the pair. Geometry only: the engine knows
    nothing of why the handheld is there."""
    cab, xy, f, hd, hw = _cabinets(eng)
    c = np.asarray(c, np.int64)
    out = cab[c]
    if not out.any():
        return out
    d = np.asarray(axy, np.float64).reshape(-1, 2) - xy[c]
    ahead_m = d[:, 0] * f[c, 0] + d[:, 1] * f[c, 1] - hd[c]
    side_m = -d[:, 0] * f[c, 1] + d[:, 1] * f[c, 0]
    return out & (ahead_m >= 0.0) & (ahead_m <= OPEN_REACH_M) & (np.abs(side_m) <= hw[c])


def _carried_links(eng, h, lvl, seg, axy, txy, tags, slot=None, azimuth_deg=np.nan):
    """(kept mask, p, rssi) of carried antenna h at axy to tag segments seg at txy: range, then the wall-free budget
    (exact screens of `links`; a cabinet the handheld is at is open, `open_to_handheld`) before walls are counted.
    Range, screens, walls and mean levels depend on the geometry only (`_geometries`: `slot` identifies the
    antenna's point), so they are computed once per geometry; the tag's own draws and the link per pair (the same
    values as pair by pair). `azimuth_deg`: where the handheld points in the plan (its track's aim; NaN: the
    placement's azimuth)."""
    N = len(seg)
    ok, pa, ra = np.zeros(N, bool), np.zeros(N), np.zeros(N)
    if not N:
        return ok, pa, ra
    P = eng.params.rf
    if eng.plain:
        rep, inv = _geometries(tags, seg, slot)
    else:  # the same partition in one compiled pass
        from twin.readers.fixedkernels import geometry_groups

        rep, inv = geometry_groups(np.zeros(N, np.int64) if slot is None else np.ascontiguousarray(slot, np.int64),
                                   (tags.x0[seg] == tags.x1[seg]) & (tags.y0[seg] == tags.y1[seg]),
                                   tags.x0[seg].view(np.int64), tags.y0[seg].view(np.int64), tags.container[seg])
    gx, gt, gc = axy[rep], txy[rep], tags.container[seg[rep]]
    hh = np.full(len(rep), h, np.int64)
    m = np.flatnonzero(np.hypot(gt[:, 0] - gx[:, 0], gt[:, 1] - gx[:, 1]) <= eng.a_range[h])
    opened = open_to_handheld(eng, gx, gc)
    if np.isnan(azimuth_deg):
        m = m[free_reach(eng, hh[m], gc[m], gx[m], gt[m], opened[m])]
        walls = walls_between(eng.floor, eng.level_ids[lvl], gx[m], gt[m])
        k, _, lv, shielded = mean_screen(eng, hh[m], gc[m], gx[m], gt[m], walls, opened=opened[m])
    else:  # aimed: the same screens on levels of the aimed pattern
        m = m[_aimed_free_reach(eng, hh[m], gc[m], gx[m], gt[m], opened[m], azimuth_deg)]
        walls = walls_between(eng.floor, eng.level_ids[lvl], gx[m], gt[m])
        lv0 = rf.pair_mean_levels(eng.A, hh[m], gx[m], gt[m], walls, np.zeros(len(m), bool), P, azimuth_deg)
        k, _, lv, shielded = mean_screen(eng, hh[m], gc[m], gx[m], gt[m], walls, levels=lv0, opened=opened[m])
    pos = np.full(len(rep), -1, np.int64)
    pos[m[k]] = np.arange(len(k))
    j = np.flatnonzero(pos[inv] >= 0)  # pairs whose geometry passed
    if not len(j):
        return ok, pa, ra
    q = pos[inv[j]]
    us, ui = unique_index(seg[j], len(tags))  # per-tag draws once per segment
    e = tags.epc[us]
    th, off, dead = tag_draws(eng.seed, e, P)
    p, r = rf.pair_link(eng.A, hh[:1].repeat(len(j)), axy[j], txy[j], th[ui], off[ui], dead[ui], walls[k][q],
                        shielded[k][q], eng.seed, P, moving_antenna=np.ones(len(j), bool),
                        levels=(lv[0][q], lv[1][q]))
    keep = p >= P.p_floor  # below it the pair is out of field (RFParams.p_floor)
    ok[j[keep]], pa[j[keep]], ra[j[keep]] = True, p[keep], r[keep]
    return ok, pa, ra


def _aimed_free_reach(eng, ai, c, axy, txy, opened, azimuth_deg) -> np.ndarray:
    """`links.free_reach` with the pattern pointed along azimuth_deg (a superset of the pairs `mean_screen` keeps)."""
    P = eng.params.rf
    shielded = shielding(eng, ai, c, opened)
    p_tag, _ = rf.pair_mean_levels(eng.A, ai, axy, txy, 0, shielded, P, azimuth_deg)
    ok = rf.best_margin_db(p_tag, P) >= rf.min_margin_db(P)
    if P.metal_opaque:
        ok &= ~shielded
    return ok


def _fixed_pieces(eng, t0, t1, tags, mv, grid, wa, ws, we):
    """(window, segment, p, rssi, start, end) of moving tags x fixed antennas: `fixedpass.fixed_pieces` (compiled
    passes), or `_fixed_pieces_py` on the plain steps (`ReaderEngine.plain`); the same pieces in the same order."""
    if eng.plain:
        return _fixed_pieces_py(eng, t0, t1, tags, mv, grid, wa, ws, we)
    from twin.readers.fixedpass import fixed_pieces

    return fixed_pieces(eng, t0, t1, tags, mv, grid, wa, ws, we)


def _fixed_pieces_py(eng, t0, t1, tags, mv, grid, wa, ws, we):
    """Moving tags x fixed antennas, all at once per level (the plain rule of `fixedpass.fixed_pieces`): the grid
    slots of every moving leg (positions once per slot), the per-cell mean levels of every antenna of the level
    gathered as one (slot, antenna) matrix and screened on the luckiest fading; only survivors are cut to alive
    windows and get their fading draw."""
    P = eng.params.rf
    own, s, e, mid = slots(np.maximum(tags.t0_us[mv], t0), np.minimum(tags.t1_us[mv], t1), grid)
    sg = mv[own]
    txy = tags.position(sg, mid)
    shield_tag = eng._metal[tags.container[sg]]
    th, offset, dead = tag_draws(eng.seed, tags.epc[mv], P)  # per leg, then per slot through `own`
    parts = []
    for lv in np.unique(tags.level[sg]).tolist():
        F = eng.fixed[eng.a_level[eng.fixed] == lv]
        if not len(F):
            continue
        rows = np.flatnonzero(tags.level[sg] == lv)
        xy = txy[rows]
        cell = eng.walls.cells(lv, xy)
        alive, gslot = alive_slots(F, s[rows], t0, t1, grid, wa, ws, we)
        _prefill(eng, lv, F, cell, alive, gslot)
        ni, na, border = _candidates(eng, lv, F, xy, cell, shield_tag[rows], tags.container[sg[rows]],
                                     th[own[rows]], offset[own[rows]], dead[own[rows]], alive, gslot)
        b = np.flatnonzero(border)  # the exact screens (`_exact_screens`) decide the borderline pairs
        if len(b):
            ok = np.ones(len(ni), bool)
            ok[b] = _exact_screens(eng, lv, F, xy, cell, shield_tag[rows], tags.container[sg[rows]], ni[b], na[b],
                                   th[own[rows]], offset[own[rows]], dead[own[rows]])
            ni, na = ni[ok], na[ok]
        ri, r, ai = ni, rows[ni], F[na]
        if not len(ri):
            continue
        i, w, s0, s1 = clip(ai, s[r], e[r], wa, ws, we, t0)
        if not len(i):
            continue
        u, inv = unique_index(i, len(ni))
        r, ai = r[u], ai[u]
        pm, rm, walls = eng.walls.levels_at(lv, ai, cell[ri[u]])
        o = own[r]
        k, p, rs = eng._links(ai, sg[r], eng.a_xy[ai], txy[r], walls.astype(np.int32), tags, None,
                              (pm.astype(np.float64), rm.astype(np.float64)), screened=(th[o], offset[o], dead[o]))
        pk = np.full(len(u), -1, np.int64)
        pk[k] = np.arange(len(k))
        j = pk[inv]
        keep = j >= 0
        parts.append((w[keep], sg[r[inv[keep]]], p[j[keep]], rs[j[keep]], s0[keep], s1[keep]))
    if not parts:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0), np.zeros(0), z, z
    return tuple(np.concatenate([x[c] for x in parts]) for c in range(6))


def _exact_screens(eng, lv, F, xy, cell, shield_tag, container, ni, na, th, offset, dead) -> np.ndarray:
    """Mask of the (row ni, antenna F[na]) pairs that pass the screens of moving tags x fixed antennas: in range,
    best-case margin, not shielded if metal is opaque, alive, own forward fading draw (the numpy formulas)."""
    P = eng.params.rf
    ok = np.hypot(xy[ni, 0] - eng.a_xy[F[na], 0], xy[ni, 1] - eng.a_xy[F[na], 1]) <= eng.a_range[F][na]
    pt = np.full(len(ni), -np.inf)
    pt[ok] = eng.walls.levels_at(lv, F[na[ok]], cell[ni[ok]], walls=False)[0].astype(np.float64)
    sa = eng.a_storage[F][na]
    shielded = (shield_tag[ni] | eng._metal[sa]) & (container[ni] != sa)
    pt = pt - P.metal_loss_db * shielded
    ok &= rf.best_margin_db(pt, P) >= rf.min_margin_db(P)
    if P.metal_opaque:
        ok &= ~shielded
    fwd = eng._forward_fading_db(F[na], xy[ni], th[ni])
    return ok & (pt + fwd - (P.tag_sensitivity_dbm + offset[ni]) >= rf.min_margin_db(P)) & ~dead[ni]


def alive_slots(F, s, t0, t1, grid, wa, ws, we):
    """(alive, gslot): alive[g, j] whether antenna F[j] has an alive window meeting the g-th grid slot of the chunk
    (slots are cut at multiples of `grid`), and the grid slot of each slot start s. A pair of a slot and an
    antenna not alive in it has no window to be clipped to, so the screens may skip it: only 2-10 % of the pairs
    of periodic and GPI readers are alive (each antenna inventories one dwell per cycle, a portal on a trigger)."""
    g0 = t0 // grid
    col = np.full(int(max(F.max(), wa.max() if len(wa) else 0)) + 1, -1, np.int64)
    col[F] = np.arange(len(F))
    alive = np.zeros(((t1 - 1) // grid - g0 + 1, len(F)), bool)
    m = np.flatnonzero(col[wa] >= 0) if len(wa) else np.zeros(0, np.int64)
    own, g = expand(ws[m] // grid - g0, (we[m] - 1) // grid - g0 + 1)
    alive[g, col[wa[m]][own]] = True
    return alive, s // grid - g0


def alive_lists(F, n, alive=None, gslot=None):
    """(ptr, js, gslot) of `kernels.screen` and `kernels.looked_at`: per grid slot g the antennas alive in it,
    js[ptr[g]:ptr[g + 1]] ascending, from `alive_slots` (all of F in one grid slot without `alive`)."""
    if alive is None:
        alive, gslot = np.ones((1, len(F)), bool), np.zeros(n, np.int64)
    gi, js = np.nonzero(alive)
    ptr = np.r_[0, np.cumsum(np.bincount(gi, minlength=len(alive)))]
    return ptr.astype(np.int64), js.astype(np.int64), np.ascontiguousarray(gslot, np.int64)


def _prefill(eng, lv, F, cell, alive=None, gslot=None) -> None:
    """Fill the mean levels of the visited cells from the antennas that can reach them and are alive there (all of
    F without `alive`), all at once, before the compiled screen looks them up (a cell with no level yet is
    borderline there, left to the numpy screens): the same values as filled one borderline pair at a time (a
    cell's level depends on the cell and antenna only). (cell, antenna) pairs once looked at, and the cells looked
    at from every antenna, are remembered per level (`eng._filled`; `kernels.looked_at`), so a warm grid costs one
    lookup per slot or per alive pair."""
    from twin.readers import kernels

    x0, y0, nx, ny, _ = eng.walls._grid(lv)
    memo = eng._filled.get(lv)
    if memo is None:  # zero pages: committed where looked at
        memo = eng._filled[lv] = (np.zeros((nx * ny, len(eng.ant)), bool), np.zeros(nx * ny, bool))
    ptr, js, gslot = alive_lists(F, len(cell), alive, gslot)
    a, c = kernels.looked_at(np.ascontiguousarray(cell, np.int64), gslot, ptr, js, F.astype(np.int64), *memo)
    if not len(a):
        return
    miss = unfilled(eng.walls.forward_grid(lv)[a, c])
    a, c = a[miss], c[miss]
    cm = eng.walls.cell
    cx, cy = x0 + (c // ny + 0.5) * cm, y0 + (c % ny + 0.5) * cm
    near = np.hypot(cx - eng.a_xy[a, 0], cy - eng.a_xy[a, 1]) <= eng.a_range[a] + 0.75 * cm  # any point of the cell
    if near.any():
        eng.walls.levels_at(lv, a[near], c[near], walls=False)


_PHI: dict[float, np.ndarray] = {}  # clip -> `kernels.phi_table(clip)`


def _candidates(eng, lv, F, xy, cell, shield_tag, container, tag_h, offset, dead, alive=None, gslot=None):
    """(slot row, index into F, borderline) of the pairs that may pass the screens of `_fixed_pieces`
    (`kernels.screen`: a superset in row-major order; the pairs not borderline pass the exact screens for sure, the
    borderline ones, including those whose cell has no mean level yet, are for `_exact_screens`). With `alive`,
    `gslot` (`alive_slots`) only pairs whose antenna is alive in the slot's grid slot (the others have no window)."""
    from twin.readers import kernels  # numba loads on the first moving tag, not with every `twin` command

    grid = eng.walls.forward_grid(lv)
    axy, arange = eng.a_xy[F], eng.a_range[F]
    P = eng.params.rf
    luck = P.shadow_clip_sigma * (P.shadow_sigma_db + P.tag_offset_sigma_db)
    phi = _PHI.get(P.shadow_clip_sigma)
    if phi is None:
        phi = _PHI[P.shadow_clip_sigma] = kernels.phi_table(P.shadow_clip_sigma)
    return kernels.screen(xy, cell, shield_tag, container, tag_h, offset, dead, axy, arange, F,
                          eng.a_storage[F], eng._metal[eng.a_storage[F]], eng.A.key[F], grid, P.metal_loss_db, luck,
                          P.tag_sensitivity_dbm, rf.min_margin_db(P), bool(P.metal_opaque),
                          np.uint64(eng.seed & 0xFFFFFFFFFFFFFFFF), P.shadow_cell_m, P.shadow_clip_sigma,
                          P.shadow_sigma_db, phi, *alive_lists(F, len(xy), alive, gslot))


def clip_spans(h, s, e, wa, ws, we):
    """Overlaps of spans [s, e) of antenna h with all its alive windows (any number each): (span index, window,
    start, end). Windows of one antenna are sorted and disjoint, so their ends are sorted too."""
    a0, a1 = np.searchsorted(wa, h, side="left"), np.searchsorted(wa, h, side="right")
    j0 = a0 + np.searchsorted(we[a0:a1], s, side="right")  # first window ending after s
    j1 = a0 + np.searchsorted(ws[a0:a1], e, side="left")  # past the last window starting before e
    i, w = expand(j0, np.maximum(j1, j0))
    s0, s1 = np.maximum(s[i], ws[w]), np.minimum(e[i], we[w])
    ok = s1 > s0
    return i[ok], w[ok], s0[ok], s1[ok]


def clip(ai, s, e, wa, ws, we, t0):
    """Overlaps of slots [s, e) of antennas ai with their alive windows: (slot index, window, start, end). A
    slot meets at most the window alive at its start and the one alive at its end (a dwell may sit inside): the
    one at its end first, then, where different, the one at its start (`kernels.clip_slots`; t0 is not needed
    there, windows being searched per antenna)."""
    from twin.readers import kernels

    if not len(ai) or not len(wa):
        z = np.zeros(0, np.int64)
        return z, z, z, z
    ants = np.arange(max(int(ai.max()), int(wa.max())) + 1)
    lo, hi = np.searchsorted(wa, ants, side="left"), np.searchsorted(wa, ants, side="right")
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    return kernels.clip_slots(i8(ai), i8(s), i8(e), i8(ws), i8(we), lo, hi)

# -- Gen2 and sessions -----------------------------------------------------------------------------------------
