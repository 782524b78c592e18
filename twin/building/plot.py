"""Plan drawing of a floor: one panel per level, spaces coloured by purpose, doors, storage units, labels.

`overlay(ax, level_id)` is called on every panel after the plan is drawn, so reader positions and coverage
heat-maps can be layered on the same axes (metres, x east, y north).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.patches import Polygon as MplPolygon  # noqa: E402

from .geometry import distance_to_segment, edges  # noqa: E402
from .model import Floor  # noqa: E402

Overlay = Callable[[plt.Axes, str], None]

PURPOSE_COLOURS = {
    "reception": "#f6c36b",
    "duty": "#f29e6d",
    "office": "#9ecae1",
    "legal": "#b5a8dc",
    "leader": "#d6a6c9",
    "interrogation": "#f28e8e",
    "case_centre": "#f7b6a0",
    "meeting": "#a8d5a2",
    "dossier_room": "#5aa469",
    "archive": "#3f7f5a",
    "evidence_room": "#c9a227",
    "car_park": "#d9d9d9",
    "circulation": "#f2f2ee",
    "service": "#e3ddd0",
    "court": "#ffffff",
    "procuratorate": "#ffffff",
}
STORAGE_FILL = {"shelf": "#c8a878", "cabinet": "#b0b0b0", "desk": "#e0c9a6", "vehicle": "#8fa8c8"}
METAL_FILL = {"shelf": "#6b5536", "cabinet": "#4a4a4a", "desk": "#6b5536", "vehicle": "#2f4a6e"}
DOOR_COLOUR, OPENING_COLOUR, EXTERIOR_COLOUR = "#6b3d12", "#bdbdbd", "#d7191c"
DARK_FILLS = ("dossier_room", "archive")


def plot_floor(floor: Floor, path: str | Path, *, overlay: Overlay | None = None, dpi: int = 130) -> list[Path]:
    """Draw every level of the floor as one panel of a single PNG at `path`; return the files written."""
    path = Path(path)
    levels = list(floor.levels)
    spans = [_extent(floor, lv) for lv in levels]
    x0, x1 = min(sp[0] for sp in spans), max(sp[2] for sp in spans)
    spans = [(x0, sp[1], x1, sp[3]) for sp in spans]  # one x-range: levels stack like the real building
    width_m = max(s[2] - s[0] for s in spans)
    heights = [s[3] - s[1] for s in spans]
    fig_w = 18.0
    scale = (fig_w - 1.5) / width_m
    fig, axes = plt.subplots(
        len(levels),
        1,
        figsize=(fig_w, sum(h * scale for h in heights) + 1.6 * len(levels) + 1.0),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for ax, lv, span in zip(axes[:, 0], levels, spans):
        _draw_level(ax, floor, lv, span)
        if overlay is not None:
            overlay(ax, lv)
    _legend(fig, floor)
    _offsite_note(fig, floor)
    fig.suptitle(f"{floor.name} — plan", fontsize=14, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0.06, 1, 0.98))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return [path]


def _extent(floor: Floor, level: str) -> tuple[float, float, float, float]:
    xs, ys = [], []
    for s in floor.spaces.values():
        if s.level == level and s.has_geometry:
            xs += [s.bounds[0], s.bounds[2]]
            ys += [s.bounds[1], s.bounds[3]]
    if not xs:
        return (0.0, 0.0, 1.0, 1.0)
    pad = 1.0
    return (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)


def _draw_level(ax: plt.Axes, floor: Floor, level: str, span) -> None:
    name = floor.levels[level].name
    ax.set_title(f"{level}: {name} (elevation {floor.levels[level].elevation_m:g} m)", loc="left", fontsize=11)
    for s in floor.spaces.values():
        if s.level != level or not s.has_geometry:
            continue
        colour = PURPOSE_COLOURS.get(s.purpose, "#ffffff")
        hatch = "//" if s.kind in ("stair", "lift") else None
        ax.add_patch(MplPolygon(s.polygon, closed=True, fc=colour, ec="none", hatch=hatch, zorder=1))
    walls = floor.walls(level)
    for x1, y1, x2, y2 in walls:
        ax.plot([x1, x2], [y1, y2], color="#222222", lw=1.6, solid_capstyle="butt", zorder=3)
    for u in floor.storage.values():
        if floor.spaces[u.space].level != level:
            continue
        fill = (METAL_FILL if u.metal else STORAGE_FILL).get(u.kind, "#999999")
        ax.add_patch(MplPolygon(u.footprint, closed=True, fc=fill, ec="#333333", lw=0.4, zorder=4))
    for d in floor.doors.values():
        if d.level != level:
            continue
        (x1, y1), (x2, y2) = _door_segment(floor, d)
        if d.exterior:
            ax.plot([x1, x2], [y1, y2], color=EXTERIOR_COLOUR, lw=5, solid_capstyle="butt", zorder=5)
        elif d.kind == "opening":
            ax.plot([x1, x2], [y1, y2], color=OPENING_COLOUR, lw=1.0, ls=(0, (2, 2)), zorder=5)
        else:
            ax.plot([x1, x2], [y1, y2], color=DOOR_COLOUR, lw=3, solid_capstyle="butt", zorder=5)
    for s in floor.spaces.values():
        if s.level != level or not s.has_geometry:
            continue
        xmin, ymin, xmax, ymax = s.bounds
        narrow = (xmax - xmin) < 0.75 * (ymax - ymin) and (xmax - xmin) < 5
        cx, cy = s.centroid
        colour = "white" if s.purpose in DARK_FILLS else "#111111"
        label = s.id
        for lk in floor.links.values():
            if s.id in (lk.a, lk.b) and lk.kind != "road":
                label += f"\n{lk.kind} to {floor.spaces[lk.other(s.id)].level}: {lk.traversal_s:g} s"
        ax.text(
            cx,
            cy,
            label,
            ha="center",
            va="center",
            fontsize=6.5 if narrow or s.kind in ("stair", "lift") else 7.5,
            rotation=90 if narrow and s.kind not in ("stair", "lift") else 0,
            color=colour,
            zorder=6,
            bbox=None if s.purpose not in DARK_FILLS else {"fc": "#00000066", "ec": "none", "pad": 1.0},
        )
    xmin, ymin, xmax, ymax = span
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.grid(True, lw=0.3, alpha=0.4, zorder=0)


def _door_segment(floor: Floor, d) -> tuple[tuple[float, float], tuple[float, float]]:
    """The door's opening drawn along the wall it sits on (the nearest edge of one of its spaces)."""
    best = None
    for sid in (d.a, d.b):
        s = floor.spaces[sid]
        for (ax_, ay), (bx, by) in edges(s.polygon) if s.has_geometry else []:
            dist = distance_to_segment(ax_, ay, bx, by, *d.position)
            if best is None or dist < best[0]:
                best = (dist, (ax_, ay), (bx, by))
    x, y = d.position
    if best is None:
        return (x, y), (x, y)
    _, (ax_, ay), (bx, by) = best
    length = ((bx - ax_) ** 2 + (by - ay) ** 2) ** 0.5 or 1.0
    ux, uy = (bx - ax_) / length, (by - ay) / length
    h = d.width_m / 2
    return (x - ux * h, y - uy * h), (x + ux * h, y + uy * h)


def _legend(fig, floor: Floor) -> None:
    present = [p for p in PURPOSE_COLOURS if any(s.purpose == p and s.has_geometry for s in floor.spaces.values())]
    handles = [Patch(fc=PURPOSE_COLOURS[p], ec="#555555", label=p.replace("_", " ")) for p in present]
    kinds = sorted({(u.kind, u.metal) for u in floor.storage.values()})
    handles += [
        Patch(fc=(METAL_FILL if metal else STORAGE_FILL)[k], ec="#333333", label=f"{k}{' (metal)' if metal else ''}")
        for k, metal in kinds
    ]
    handles += [
        Line2D([], [], color=DOOR_COLOUR, lw=3, label="door"),
        Line2D([], [], color=OPENING_COLOUR, lw=1, ls=(0, (2, 2)), label="opening"),
        Line2D([], [], color=EXTERIOR_COLOUR, lw=5, label="exterior door"),
    ]
    fig.legend(handles=handles, loc="lower left", ncol=min(10, len(handles)), fontsize=8, frameon=False,
               bbox_to_anchor=(0.01, 0.0))


def _offsite_note(fig, floor: Floor) -> None:
    roads = [lk for lk in floor.links.values() if lk.kind == "road"]
    if not roads:
        return
    parts = []
    for lk in roads:
        ext = lk.b if floor.spaces[lk.b].kind == "external" else lk.a
        parts.append(f"{floor.spaces[ext].name} ({ext}): {lk.traversal_s / 60:.0f} min by road from {lk.other(ext)}")
    fig.text(0.99, 0.985, "Off-site — " + "; ".join(parts), ha="right", va="top", fontsize=9)
