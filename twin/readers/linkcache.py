"""Caches of the read engine: every fixed antenna's link to each resting tag, and per 0.5 m cell per antenna the walls
and the mean link levels a moving tag sees there.

A resting tag's per-round probability and mean RSSI for a fixed antenna never change while it rests, so the
(antenna, tag) pairs in reach are computed once per resting place (keyed by a hash of tag, position and container)
and gathered with numpy afterwards; a tag that moves gets a new key. A moving tag's wall count is taken at the
centre of its fading cell, filled lazily per antenna; so are its mean levels (LinkGrid: path loss, pattern and
walls at the cell centre), so a moving tag's link costs only its fading draw while it stays in a known cell.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twin.building.geometry import EPS
from twin.building.model import Floor
from twin.readers import rf


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


class PairCache:
    """Static segment key -> its (antenna, p, rssi) pairs with p > 0; flat arrays sorted by key."""

    LIMIT = 4_000_000  # pairs; bounded memory on long runs with much churn (stale keys are dropped wholesale)

    def __init__(self) -> None:
        self.resets = getattr(self, "resets", -1) + 1  # times the cache was emptied (callers' memos go stale)
        self.known = np.zeros(0, np.uint64)
        self.k = np.zeros(0, np.uint64)
        self.ant = np.zeros(0, np.int32)
        self.p = np.zeros(0)
        self.r = np.zeros(0)
        self._last: tuple | None = None

    def missing_py(self, keys: np.ndarray) -> np.ndarray:
        """Mask of keys never computed (the plain rule of `missing`)."""
        if not len(self.known):
            return np.ones(len(keys), bool)
        i = np.minimum(np.searchsorted(self.known, keys), len(self.known) - 1)
        return self.known[i] != keys

    def missing(self, keys: np.ndarray) -> np.ndarray:
        """Mask of keys never computed (`_missing`: one binary search per key, compiled)."""
        return _missing(self.known, np.ascontiguousarray(keys, np.uint64))

    def put(self, computed: np.ndarray, k, ant, p, r) -> None:
        """Record that the segment keys `computed` are done, with their pairs (k, ant, p, r)."""
        if len(self.k) + len(k) > self.LIMIT:
            self.__init__()
        c = np.unique(computed)
        c = c[self.missing(c)]  # merged into the sorted keys (insertion, not a sort of the whole cache)
        self.known = np.insert(self.known, np.searchsorted(self.known, c), c)
        o = np.argsort(k, kind="stable")  # after equal keys already held, in their order: a stable sort's order
        pos = np.searchsorted(self.k, k[o], side="right")
        self.k, self.ant = np.insert(self.k, pos, k[o]), np.insert(self.ant, pos, ant[o])
        self.p, self.r = np.insert(self.p, pos, p[o]), np.insert(self.r, pos, r[o])
        first = np.flatnonzero(np.r_[True, self.k[1:] != self.k[:-1]]) if len(self.k) else np.zeros(0, np.int64)
        self._uk, self._start = self.k[first], first  # each key with pairs: where its run starts, and its length
        self._len = np.diff(np.r_[first, len(self.k)])
        self._last = None

    def gather(self, keys: np.ndarray, plain: bool = False):
        """(query row, antenna, p, rssi) of every cached pair of the queried keys (all must be known), each key's
        pairs in cache order. `plain`: the numpy steps (`gather_py`), else one compiled pass (`_gather`)."""
        if self._last is not None and np.array_equal(self._last[0], keys):
            return self._last[1]
        if plain:
            return self.gather_py(keys)
        uk = getattr(self, "_uk", self.k)
        if not len(uk):
            return self.gather_py(keys)
        out = _gather(np.ascontiguousarray(keys, np.uint64), uk, self._start, self._len, self.ant, self.p, self.r)
        self._last = (keys.copy(), out)
        return out

    def gather_py(self, keys: np.ndarray):
        """The plain rule of `gather` (numpy searches, repeats and fancy indexing)."""
        uk = getattr(self, "_uk", self.k)
        if not len(uk):
            lo = n = np.zeros(len(keys), np.int64)
        else:
            j = np.minimum(np.searchsorted(uk, keys), len(uk) - 1)  # one search over the keys that have pairs
            hit = uk[j] == keys
            lo, n = self._start[j], np.where(hit, self._len[j], 0)
        own = np.repeat(np.arange(len(keys)), n)
        idx = np.repeat(lo - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
        out = (own, self.ant[idx], self.p[idx], self.r[idx])
        self._last = (keys.copy(), out)
        return out


@njit(cache=True)
def _missing(known, keys):
    """`PairCache.missing_py`: a key is missing unless a binary search of the sorted known keys finds it."""
    n, K = keys.shape[0], known.shape[0]
    out = np.ones(n, np.bool_)
    for i in range(n):
        lo, hi = 0, K
        k = keys[i]
        while lo < hi:
            mid = (lo + hi) >> 1
            if known[mid] < k:
                lo = mid + 1
            else:
                hi = mid
        out[i] = not (lo < K and known[lo] == k)
    return out


@njit(cache=True)
def _gather(keys, uk, start, ln, ant, p, r):
    """`PairCache.gather_py` in one pass: each key's run of pairs (binary search of the keys with pairs), query
    rows ascending, a run's pairs in cache order."""
    n, U = keys.shape[0], uk.shape[0]
    lo_k = np.empty(n, np.int64)
    n_k = np.zeros(n, np.int64)
    tot = 0
    for i in range(n):
        lo, hi = 0, U
        k = keys[i]
        while lo < hi:
            mid = (lo + hi) >> 1
            if uk[mid] < k:
                lo = mid + 1
            else:
                hi = mid
        j = min(lo, U - 1)
        lo_k[i] = start[j]
        if uk[j] == k:
            n_k[i] = ln[j]
            tot += ln[j]
    own = np.empty(tot, np.int64)
    oa = np.empty(tot, ant.dtype)
    op = np.empty(tot)
    orr = np.empty(tot)
    m = 0
    for i in range(n):
        for x in range(lo_k[i], lo_k[i] + n_k[i]):
            own[m], oa[m], op[m], orr[m] = i, ant[x], p[x], r[x]
            m += 1
    return own, oa, op, orr


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
