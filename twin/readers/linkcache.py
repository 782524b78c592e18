"""Caches of a fixed antenna's link geometry: static tags' link results, and walls crossed per 0.5 m cell.

A static tag's per-round probability for an antenna never changes while it rests, and a moving tag's wall count
is taken at the centre of its fading cell, so both are computed once and looked up with numpy afterwards.
"""

from __future__ import annotations

import numpy as np

from twin.building.model import Floor


class LinkCache:
    """Static link results (p, RSSI) keyed by a 64-bit hash of (tag, position, container); sorted keys."""

    LIMIT = 2_000_000

    def __init__(self) -> None:
        self.k = np.zeros(0, np.uint64)
        self.p = np.zeros(0)
        self.r = np.zeros(0)

    def get(self, keys: np.ndarray):
        """(hit mask, p, rssi) for each key; p and rssi are meaningless where not hit."""
        if not len(self.k):
            return np.zeros(len(keys), bool), np.zeros(len(keys)), np.zeros(len(keys))
        i = np.minimum(np.searchsorted(self.k, keys), len(self.k) - 1)
        return self.k[i] == keys, self.p[i], self.r[i]

    def put(self, keys, p, r) -> None:
        if len(self.k) + len(keys) > self.LIMIT:  # bounded memory on long runs with much churn
            self.__init__()
        k = np.concatenate([self.k, keys])
        k, first = np.unique(k, return_index=True)
        self.k, self.p, self.r = k, np.concatenate([self.p, p])[first], np.concatenate([self.r, r])[first]


class CellWalls:
    """Walls between one fixed antenna and the centres of the cells of its level (lazily filled grid)."""

    def __init__(self, floor: Floor, level: str, antenna_xy, cell_m: float):
        self.floor, self.level, self.cell = floor, level, float(cell_m)
        self.xy = np.asarray(antenna_xy, dtype=np.float64)
        self._grid: tuple | None = None

    def _init(self) -> tuple:
        pts = [p for sp in self.floor.spaces.values() if sp.level == self.level for p in sp.polygon] or [(0.0, 0.0)]
        x0, y0 = np.floor(np.min(pts, axis=0) / self.cell) * self.cell
        x1, y1 = np.max(pts, axis=0)
        nx, ny = int((x1 - x0) / self.cell) + 2, int((y1 - y0) / self.cell) + 2
        self._grid = (x0, y0, np.full((nx, ny), -1, np.int32))
        return self._grid

    def walls(self, xy: np.ndarray) -> np.ndarray:
        x0, y0, g = self._grid or self._init()
        ix = np.floor((xy[:, 0] - x0) / self.cell).astype(np.int64)
        iy = np.floor((xy[:, 1] - y0) / self.cell).astype(np.int64)
        inb = (ix >= 0) & (iy >= 0) & (ix < g.shape[0]) & (iy < g.shape[1])
        out = np.zeros(len(xy), np.int32)
        if not inb.all():
            out[~inb] = self.floor.walls_crossed(self.level, self.xy, xy[~inb])
        flat = ix[inb] * g.shape[1] + iy[inb]
        gf = g.reshape(-1)
        miss = np.unique(flat[gf[flat] < 0])
        if len(miss):
            cx = x0 + (miss // g.shape[1] + 0.5) * self.cell
            cy = y0 + (miss % g.shape[1] + 0.5) * self.cell
            gf[miss] = self.floor.walls_crossed(self.level, self.xy, np.column_stack([cx, cy]))
        out[inb] = gf[flat]
        return out
