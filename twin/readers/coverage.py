"""Coverage map: the best per-round read probability any fixed antenna gives a tag at each point of a level.

The figure is the expectation over fading and tag quality (what a population of tags at that point is read with),
computed with the RF model of `twin.readers.rf` and drawn as a heat map with antenna markers over the floor plan
(`twin.building.plot.plot_floor(..., overlay=coverage_overlay(floor, placement, params))`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

from twin.building.model import Floor

from . import rf
from .placement import Antenna, Placement

GRID_STEP_M = 0.5
MARKERS = {"portal": ("^", "#c0392b"), "zone": ("o", "#8e44ad"), "shelf": ("s", "#1f618d"),
           "desk": ("D", "#117a65"), "handheld": ("P", "#b9770e")}  # fmt: skip


@dataclass(frozen=True)
class CoverageGrid:
    """Cell centres of one level (xs (X,), ys (Y,)) and the best per-round p (Y, X); NaN outside every space."""

    level: str
    xs: np.ndarray
    ys: np.ndarray
    p: np.ndarray

    def covered_share(self, threshold: float = 0.5) -> float:
        """Share of the level's floor cells where some antenna reads a tag with at least `threshold` per round."""
        inside = ~np.isnan(self.p)
        return float(np.mean(self.p[inside] >= threshold)) if inside.any() else 0.0


@lru_cache(maxsize=64)
def _mean_p_table(tx_power_dbm: float, gain_dbi: float, params: rf.RFParams):
    """(power at tag, mean p) pairs along boresight: the mean p depends on the link only through the power at the tag
    (the backscatter RSSI follows from it for a given transmit power), so one table serves every point."""
    d = np.geomspace(params.min_dist_m, 60.0, 96)  # mean p is smooth in dB: 96 knots suffice
    p_tag, _ = rf.mean_levels(d, 0.0, gain_dbi, 360.0, tx_power_dbm, 0, False, params)
    p_mean = rf.mean_detection_probability(d, tx_power_dbm, gain_dbi, 0.0, 360.0, 0, params)
    return p_tag[::-1], p_mean[::-1]  # increasing power at the tag


def antenna_mean_p(floor: Floor, ant: Antenna, tx_power_dbm: float, pts: np.ndarray,
                   params: rf.RFParams = rf.RFParams()) -> np.ndarray:
    """Mean per-round p of tags at points pts (N, 2) on the antenna's level, walls and beam pattern included."""
    dist, off = rf.geometry(ant, ant.position, pts, params)
    walls = floor.walls_crossed(ant.level, ant.position, pts)
    p_tag, _ = rf.mean_levels(dist, off, ant.gain_dbi, ant.beamwidth_deg, tx_power_dbm, walls, False, params)
    table_x, table_p = _mean_p_table(tx_power_dbm, ant.gain_dbi, params)
    return np.interp(p_tag, table_x, table_p, left=0.0, right=float(table_p[-1]))


def coverage_grid(floor: Floor, placement: Placement, level: str, params: rf.RFParams = rf.RFParams(),
                  step_m: float = GRID_STEP_M) -> CoverageGrid:
    """Best per-round p over the fixed antennas of a level on a grid of `step_m` cells (handhelds are mobile: left out)."""
    polys = [s for s in floor.spaces.values() if s.level == level and s.has_geometry]
    if not polys:
        return CoverageGrid(level, np.zeros(0), np.zeros(0), np.zeros((0, 0)))
    x0 = min(s.bounds[0] for s in polys)
    y0 = min(s.bounds[1] for s in polys)
    x1 = max(s.bounds[2] for s in polys)
    y1 = max(s.bounds[3] for s in polys)
    xs = np.arange(x0 + step_m / 2, x1, step_m)
    ys = np.arange(y0 + step_m / 2, y1, step_m)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    inside = np.zeros(len(pts), dtype=bool)
    for s in polys:
        bx0, by0, bx1, by1 = s.bounds
        cand = np.flatnonzero((pts[:, 0] >= bx0) & (pts[:, 0] <= bx1) & (pts[:, 1] >= by0) & (pts[:, 1] <= by1))
        inside[cand[[s.contains(*pts[i]) for i in cand]]] = True
    best = np.zeros(len(pts))
    for r in placement.readers.values():
        for a in r.antennas:
            if a.level != level or a.kind == "handheld":
                continue
            reach = rf.max_range_m(a.gain_dbi, r.power_dbm, params)
            near = np.flatnonzero(inside & (np.hypot(pts[:, 0] - a.position[0], pts[:, 1] - a.position[1]) <= reach))
            if near.size:
                best[near] = np.maximum(best[near], antenna_mean_p(floor, a, r.power_dbm, pts[near], params))
    best[~inside] = np.nan
    return CoverageGrid(level, xs, ys, best.reshape(gy.shape))


def draw_antennas(ax, placement: Placement, level: str) -> None:
    """Antenna markers (by kind) with a short boresight tick for directional antennas."""
    for a in placement.antennas:
        if a.level != level:
            continue
        marker, colour = MARKERS[a.kind]
        ax.plot(*a.position, marker=marker, color=colour, markersize=5, markeredgecolor="black",
                markeredgewidth=0.4, zorder=6, linestyle="none")
        if a.kind in ("portal", "shelf") and a.beamwidth_deg < 360:
            t = np.radians(a.azimuth_deg)
            ax.plot([a.position[0], a.position[0] + 0.6 * np.cos(t)], [a.position[1], a.position[1] + 0.6 * np.sin(t)],
                    color=colour, linewidth=0.8, zorder=6)


def coverage_overlay(floor: Floor, placement: Placement, params: rf.RFParams | None = None,
                     step_m: float = GRID_STEP_M) -> Callable:
    """An overlay for `plot_floor`: heat map of the best per-round read probability, then the antenna markers."""
    params = params or rf.RFParams()
    cache: dict[str, CoverageGrid] = {}

    def overlay(ax, level_id: str) -> None:
        if level_id not in cache:
            cache[level_id] = coverage_grid(floor, placement, level_id, params, step_m)
        g = cache[level_id]
        if g.p.size:
            extent = (g.xs[0] - step_m / 2, g.xs[-1] + step_m / 2, g.ys[0] - step_m / 2, g.ys[-1] + step_m / 2)
            im = ax.imshow(np.ma.masked_invalid(g.p), origin="lower", extent=extent, cmap="inferno", vmin=0.0,
                           vmax=1.0, alpha=0.55, zorder=4, interpolation="nearest")
            cb = ax.figure.colorbar(im, ax=ax, shrink=0.6, pad=0.01)
            cb.set_label("best per-round read probability")
        draw_antennas(ax, placement, level_id)

    return overlay
