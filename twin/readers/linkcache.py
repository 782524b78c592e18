"""Caches of the read engine: every fixed antenna's link to each resting tag, and per 0.5 m cell per antenna the walls
and the mean link levels a moving tag sees there.

A resting tag's per-round probability and mean RSSI for a fixed antenna never change while it rests, so the
(antenna, tag) pairs in reach are computed once per resting place (keyed by a hash of tag, position and container)
and gathered afterwards (`paircache.PairCache`); a tag that moves gets a new key. A moving tag's wall count is taken at the
centre of its fading cell, filled lazily per antenna; so are its mean levels (LinkGrid: path loss, pattern and
walls at the cell centre), so a moving tag's link costs only its fading draw while it stays in a known cell.
"""

from __future__ import annotations

import numpy as np

from twin.building.geometry import EPS
from twin.building.model import Floor
from twin.readers import rf
from twin.readers.paircache import PairCache  # noqa: F401  (kept importable from here)


def walls_by_antenna(floor: Floor, level: str, ant_xy: np.ndarray, ai: np.ndarray, txy: np.ndarray) -> np.ndarray:
    """`Floor.walls_crossed` from antennas ai (rows of ant_xy) to points txy, per antenna against only the walls that
    meet the box around the antenna and its points (a wall outside it cannot be crossed): the same counts, far fewer
    segment tests (`kernels.crossed_by_antenna`, one compiled pass over all antennas)."""
    from twin.readers import kernels

    W = floor.walls(level)
    if not len(ai) or not len(W):
        return np.zeros(len(ai), np.int32)
    return kernels.crossed_by_antenna(_f8(ant_xy), np.ascontiguousarray(ai, np.int64), _f8(txy), _f8(W), float(EPS))




def crossed_pairs(a: np.ndarray, t: np.ndarray, W: np.ndarray) -> np.ndarray:
    """`segments_crossed` from a[i] to t[i] against all walls W: the same orientation products as `crossed_from`
    (so the same counts; a wall away from a pair's box is never properly crossed), compiled (`kernels`)."""
    from twin.readers import kernels

    if not len(t):
        return np.zeros(0, np.int32)
    return kernels.crossed_pairs(_f8(a), _f8(t), _f8(W), float(EPS))


def crossed_from(a: np.ndarray, t: np.ndarray, W: np.ndarray) -> np.ndarray:
    """`segments_crossed` from one point a (2,) to each point of t (N, 2): the same orientation products term by
    term (so the same counts), compiled (`kernels`)."""
    from twin.readers import kernels

    if not len(t):
        return np.zeros(0, np.int32)
    return kernels.crossed_from(float(a[0]), float(a[1]), _f8(t), _f8(W), float(EPS))


def _f8(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64).reshape(-1, np.shape(x)[-1])


def walls_between(floor: Floor, level: str, a_xy: np.ndarray, t_xy: np.ndarray, block: int = 1024) -> np.ndarray:
    """`Floor.walls_crossed` for pairs of points (a_xy[i], t_xy[i]) in blocks of `block` pairs (in their order),
    each against only the walls meeting the block's bounding box: the same counts, far fewer segment tests when the
    pairs of a block lie close together (a carried antenna's slots over a leg)."""
    out = np.zeros(len(a_xy), np.int32)
    W = floor.walls(level)
    if not len(a_xy) or not len(W):
        return out
    wx0, wx1 = np.minimum(W[:, 0], W[:, 2]), np.maximum(W[:, 0], W[:, 2])
    wy0, wy1 = np.minimum(W[:, 1], W[:, 3]), np.maximum(W[:, 1], W[:, 3])
    for lo in range(0, len(a_xy), block):
        a, t = a_xy[lo:lo + block], t_xy[lo:lo + block]
        x0, x1 = min(a[:, 0].min(), t[:, 0].min()), max(a[:, 0].max(), t[:, 0].max())
        y0, y1 = min(a[:, 1].min(), t[:, 1].min()), max(a[:, 1].max(), t[:, 1].max())
        m = (wx1 >= x0 - 1e-6) & (wx0 <= x1 + 1e-6) & (wy1 >= y0 - 1e-6) & (wy0 <= y1 + 1e-6)
        if m.any():  # a resting carried antenna: one point to many (crossed_from, the same counts)
            one = bool(np.all(a == a[0]))
            out[lo:lo + block] = crossed_from(a[0], t, W[m]) if one else crossed_pairs(a, t, W[m])
    return out


def forward_fading_db(seed: int, ant_key: np.ndarray, txy: np.ndarray, tag_h: np.ndarray,
                      P: rf.RFParams) -> np.ndarray:
    """The forward fading draw `rf.pair_link` takes for fixed antennas (keys ant_key) and tags at txy: the same hash
    of seed, antenna, tag and 0.5 m cell. A pair whose margin with it stays below `rf.min_margin_db` is below
    p_floor whatever its reverse draw, so it can be dropped before the rest of the link is computed."""
    cs = P.shadow_cell_m
    with np.errstate(over="ignore"):
        h = (np.uint64(seed & 0xFFFFFFFFFFFFFFFF) ^ ant_key).astype(np.uint64)
        for c in (tag_h, np.floor(txy[:, 0] / cs).astype(np.int64), np.floor(txy[:, 1] / cs).astype(np.int64)):
            c = c if c.dtype == np.uint64 else c.view(np.uint64)
            h = rf._mix(h ^ (c + rf._GOLD))
    clip = P.shadow_clip_sigma
    return np.clip(rf.to_normal(h), -clip, clip) * P.shadow_sigma_db


class PointWalls:
    """Walls from fixed antennas to exact points, remembered per (level, antenna, point): resting tags sit at their
    storage unit's position, so thousands of tags share a few hundred points and each (antenna, point) is counted
    once (`walls_by_antenna` for the new ones)."""

    LIMIT = 2_000_000  # entries; dropped wholesale beyond it (bounded memory)
    SMALL = 256  # pairs counted directly, without looking for repeated (antenna, point)s

    def __init__(self, floor: Floor, ant_xy: np.ndarray):
        self.floor, self.ant_xy = floor, ant_xy
        self._d: dict[tuple, int] = {}

    def walls(self, level: str, ai: np.ndarray, txy: np.ndarray) -> np.ndarray:
        if not len(ai):
            return np.zeros(0, np.int32)
        if len(self._d) > self.LIMIT:
            self._d.clear()
        t = np.ascontiguousarray(txy, dtype=np.float64)
        a = np.asarray(ai, np.int64)
        if len(a) <= self.SMALL:  # a few pairs: count them all (the same counts), no search for repeats
            return walls_by_antenna(self.floor, level, self.ant_xy, a, t)
        xb, yb = t[:, 0].view(np.int64), t[:, 1].view(np.int64)
        o = np.lexsort((yb, xb, a))
        first = np.r_[True, (a[o][1:] != a[o][:-1]) | (xb[o][1:] != xb[o][:-1]) | (yb[o][1:] != yb[o][:-1])]
        b = o[first]  # one row per distinct (antenna, point)
        inv = np.empty(len(a), np.int64)
        inv[o] = np.cumsum(first) - 1
        if 2 * len(b) > len(a):  # points mostly distinct (tags spread along shelves): count them, remember none
            return walls_by_antenna(self.floor, level, self.ant_xy, a[b], t[b])[inv]
        ua, ux, uy = a[b].tolist(), t[b, 0].tolist(), t[b, 1].tolist()
        d = self._d
        w = np.array([d.get((level, k, x, y), -1) for k, x, y in zip(ua, ux, uy)], np.int32)
        miss = np.flatnonzero(w < 0)
        if len(miss):
            w[miss] = walls_by_antenna(self.floor, level, self.ant_xy, a[b[miss]], t[b[miss]])
            d.update(zip(((level, ua[i], ux[i], uy[i]) for i in miss.tolist()), w[miss].tolist()))
        return w[inv]


class WallGrid:
    """Walls between each fixed antenna and the centres of the cells of its level (lazily filled int8 grid)."""

    def __init__(self, floor: Floor, level_ids: tuple[str, ...], ant_level: np.ndarray, ant_xy: np.ndarray,
                 cell_m: float):
        self.floor, self.levels, self.cell = floor, level_ids, float(cell_m)
        self.ant_level, self.ant_xy = ant_level, ant_xy
        self._grids: dict[int, tuple] = {}

    def _grid(self, lv: int) -> tuple:
        if lv not in self._grids:
            name = self.levels[lv]
            pts = [p for sp in self.floor.spaces.values() if sp.level == name for p in sp.polygon] or [(0.0, 0.0)]
            x0, y0 = np.floor(np.min(pts, axis=0) / self.cell) * self.cell
            x1, y1 = np.max(pts, axis=0)
            nx, ny = int((x1 - x0) / self.cell) + 2, int((y1 - y0) / self.cell) + 2
            # walls + 1, 0 where not counted yet: zero pages, so memory is committed only where cells are filled
            self._grids[lv] = (x0, y0, nx, ny, np.zeros((len(self.ant_level), nx * ny), np.int16))
        return self._grids[lv]

    def walls(self, lv: int, ant: np.ndarray, xy: np.ndarray) -> np.ndarray:
        """Walls from fixed antennas `ant` (all on level lv) to the cell centres of points xy (N, 2)."""
        x0, y0, nx, ny, g = self._grid(lv)
        ix = np.floor((xy[:, 0] - x0) / self.cell).astype(np.int64)
        iy = np.floor((xy[:, 1] - y0) / self.cell).astype(np.int64)
        inb = (ix >= 0) & (iy >= 0) & (ix < nx) & (iy < ny)
        out = np.zeros(len(xy), np.int32)
        name = self.levels[lv]
        if not inb.all():
            o = ~inb
            out[o] = self.floor.walls_crossed(name, self.ant_xy[ant[o]], xy[o])
        a, cell = ant[inb], ix[inb] * ny + iy[inb]
        v = g[a, cell]
        miss = v == 0
        if miss.any():
            flat = np.unique(a[miss].astype(np.int64) * (nx * ny) + cell[miss])
            ma, mc = flat // (nx * ny), flat % (nx * ny)
            centres = np.column_stack([x0 + (mc // ny + 0.5) * self.cell, y0 + (mc % ny + 0.5) * self.cell])
            g[ma, mc] = self.floor.walls_crossed(name, self.ant_xy[ma], centres) + 1
            v = g[a, cell]
        out[inb] = v - 1
        return out


def encode(x: np.ndarray) -> np.ndarray:
    """float32 levels as a LinkGrid grid holds them: a level of exactly +0.0 as -0.0 (equal to it in every sum and
    comparison), so an all-zero word (+0.0, the grid's initial zero pages) means not filled yet (`unfilled`)."""
    x = np.asarray(x, np.float32)
    return np.where(x == 0, np.float32(-0.0), x)


def unfilled(x: np.ndarray) -> np.ndarray:
    """Mask of LinkGrid words never written (+0.0)."""
    return (x == 0) & ~np.signbit(x)


class LinkGrid(WallGrid):
    """WallGrid plus the mean levels (forward power at the tag, mean RSSI; no shielding) from each fixed antenna to
    the centre of each cell of its level, lazily filled float32 grids."""

    def __init__(self, floor: Floor, level_ids, ant_level, ant_xy, cell_m: float, A: rf.AntennaArrays,
                 params: rf.RFParams):
        super().__init__(floor, level_ids, ant_level, ant_xy, cell_m)
        self.A, self.params = A, params
        self._lv: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def cells(self, lv: int, xy: np.ndarray) -> np.ndarray:
        """Flat index of the cell of level lv holding each point of xy (N, 2), clamped to the level's grid."""
        x0, y0, nx, ny, _ = self._grid(lv)
        ix = np.clip(np.floor((xy[:, 0] - x0) / self.cell).astype(np.int64), 0, nx - 1)
        iy = np.clip(np.floor((xy[:, 1] - y0) / self.cell).astype(np.int64), 0, ny - 1)
        return ix * ny + iy

    def forward_grid(self, lv: int) -> np.ndarray:
        """The (antennas, cells) float32 grid of mean forward power at the tag of level lv (+0.0 where not filled
        yet, `unfilled`; `levels_at` fills it). Grids start as zero pages, so memory is committed (and a fresh
        engine pays for it) only where cells are filled."""
        return self._levels(lv)[0]

    def _levels(self, lv: int) -> tuple[np.ndarray, np.ndarray]:
        if lv not in self._lv:
            x0, y0, nx, ny, g = self._grid(lv)
            shape = (len(self.ant_level), nx * ny)
            self._lv[lv] = (np.zeros(shape, np.float32), np.zeros(shape, np.float32))
        return self._lv[lv]

    def levels_at(self, lv: int, ant: np.ndarray, cell: np.ndarray, walls: bool = True):
        """(p_tag_dbm, rssi_dbm[, walls]) from fixed antennas `ant` (on level lv) to the centres of cells `cell`
        (any matching shapes), filling cells never asked for first."""
        x0, y0, nx, ny, g = self._grid(lv)
        P, R = self._levels(lv)
        pt = P[ant, cell]
        miss = unfilled(pt)
        if miss.any():
            ab, cb = np.broadcast_arrays(ant, cell)
            flat = np.unique(ab[miss].astype(np.int64) * (nx * ny) + cb[miss])
            ma, mc = flat // (nx * ny), flat % (nx * ny)
            centres = np.column_stack([x0 + (mc // ny + 0.5) * self.cell, y0 + (mc % ny + 0.5) * self.cell])
            w = g[ma, mc] - 1
            todo = w < 0
            if todo.any():
                w[todo] = walls_by_antenna(self.floor, self.levels[lv], self.ant_xy, ma[todo], centres[todo])
                g[ma[todo], mc[todo]] = w[todo] + 1
            p_tag, rssi = rf.pair_mean_levels(self.A, ma, self.ant_xy[ma], centres, w, np.zeros(len(ma), bool),
                                              self.params)
            P[ma, mc], R[ma, mc] = encode(p_tag), encode(rssi)
            pt = P[ant, cell]
        if not walls:
            return pt, R[ant, cell]
        return pt, R[ant, cell], g[ant, cell] - 1

    def mean_levels(self, lv: int, ant: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(p_tag_dbm, rssi_dbm, walls) from fixed antennas `ant` (on level lv) to the cell centres of points xy."""
        pt, rm, w = self.levels_at(lv, ant, self.cells(lv, xy))
        return pt.astype(np.float64), rm.astype(np.float64), w.astype(np.int32)
