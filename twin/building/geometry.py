"""Plane geometry for floor plans: polygons, boundaries and vectorised segment crossings (metres)."""

from __future__ import annotations

import math

import numpy as np

Point = tuple[float, float]
Polygon = tuple[Point, ...]

EPS = 1e-6


def polygon_area(poly: Polygon) -> float:
    """Signed area (positive when counter-clockwise)."""
    xs = np.array([p[0] for p in poly])
    ys = np.array([p[1] for p in poly])
    return 0.5 * float(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1)))


def polygon_centroid(poly: Polygon) -> Point:
    xs = np.array([p[0] for p in poly])
    ys = np.array([p[1] for p in poly])
    a = polygon_area(poly)
    if abs(a) < EPS:
        return float(xs.mean()), float(ys.mean())
    cross = xs * np.roll(ys, -1) - np.roll(xs, -1) * ys
    cx = float(np.sum((xs + np.roll(xs, -1)) * cross) / (6 * a))
    cy = float(np.sum((ys + np.roll(ys, -1)) * cross) / (6 * a))
    return cx, cy


def is_convex(poly: Polygon) -> bool:
    """True for a convex polygon with no repeated or collinear-degenerate turn direction changes."""
    n = len(poly)
    if n < 3:
        return False
    sign = 0
    for i in range(n):
        ax, ay = poly[i]
        bx, by = poly[(i + 1) % n]
        cx, cy = poly[(i + 2) % n]
        cross = (bx - ax) * (cy - by) - (by - ay) * (cx - bx)
        if abs(cross) < EPS:
            continue
        s = 1 if cross > 0 else -1
        if sign == 0:
            sign = s
        elif s != sign:
            return False
    return sign != 0


def turning_number(poly: Polygon) -> float:
    """Total turning of the boundary in full turns: ±1 for a simple polygon, ±2 for a pentagram."""
    n = len(poly)
    total = 0.0
    for i in range(n):
        ax, ay = poly[i]
        bx, by = poly[(i + 1) % n]
        cx, cy = poly[(i + 2) % n]
        a1 = np.arctan2(by - ay, bx - ax)
        a2 = np.arctan2(cy - by, cx - bx)
        total += (a2 - a1 + np.pi) % (2 * np.pi) - np.pi
    return float(total / (2 * np.pi))


def edges(poly: Polygon) -> list[tuple[Point, Point]]:
    return [(poly[i], poly[(i + 1) % len(poly)]) for i in range(len(poly))]


def point_in_polygon(poly: Polygon, x: float, y: float, *, tol: float = EPS) -> bool:
    """True when (x, y) is inside the polygon or on its boundary (within tol)."""
    if distance_to_boundary(poly, x, y) <= tol:
        return True
    inside = False
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            xi = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if xi > x:
                inside = not inside
    return inside


def distance_to_segment(ax: float, ay: float, bx: float, by: float, x: float, y: float) -> float:
    dx, dy = bx - ax, by - ay
    ll = dx * dx + dy * dy
    t = 0.0 if ll < EPS * EPS else max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / ll))
    px, py = ax + t * dx, ay + t * dy
    return float(np.hypot(x - px, y - py))


def distance_to_boundary(poly: Polygon, x: float, y: float) -> float:
    return min(distance_to_segment(a[0], a[1], b[0], b[1], x, y) for a, b in edges(poly))


def inward_normal(poly: Polygon, p: Point) -> Point:
    """Unit normal of the polygon's edge nearest to p, pointing into the polygon (a door's way into a room)."""
    (a, b) = min(edges(poly), key=lambda e: distance_to_segment(*e[0], *e[1], *p))
    dx, dy = b[0] - a[0], b[1] - a[1]
    n = math.hypot(dx, dy)
    nx, ny = -dy / n, dx / n
    if not point_in_polygon(poly, p[0] + 0.05 * nx, p[1] + 0.05 * ny):
        nx, ny = -nx, -ny
    return nx, ny


def segments_crossed(p: np.ndarray, q: np.ndarray, walls: np.ndarray) -> np.ndarray:
    """Count, for each segment p[i]->q[i], the walls (W, 4: x1, y1, x2, y2) it properly crosses.

    p and q are (N, 2). Touching a wall end or running along a wall does not count as a crossing, so a tag standing
    in a doorway gap or on a wall line is not penalised twice. Work is chunked to keep N*W memory bounded.
    """
    p = np.asarray(p, dtype=np.float64).reshape(-1, 2)
    q = np.asarray(q, dtype=np.float64).reshape(-1, 2)
    n = p.shape[0]
    out = np.zeros(n, dtype=np.int32)
    if n == 0 or len(walls) == 0:
        return out
    a = walls[:, 0:2][None, :, :]
    b = walls[:, 2:4][None, :, :]
    step = max(1, 2_000_000 // max(1, len(walls)))
    for s in range(0, n, step):
        pp = p[s : s + step, None, :]
        qq = q[s : s + step, None, :]
        d1 = _orient(a, b, pp)
        d2 = _orient(a, b, qq)
        d3 = _orient(pp, qq, a)
        d4 = _orient(pp, qq, b)
        crossing = (d1 * d2 < -EPS) & (d3 * d4 < -EPS)
        out[s : s + step] = crossing.sum(axis=1)
    return out


def _orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    return (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])


def merge_intervals(iv: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for lo, hi in sorted(iv):
        if out and lo <= out[-1][1] + EPS:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def subtract_intervals(iv: list[tuple[float, float]], gaps: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = []
    for lo, hi in iv:
        pieces = [(lo, hi)]
        for glo, ghi in gaps:
            nxt = []
            for a, b in pieces:
                if ghi <= a or glo >= b:
                    nxt.append((a, b))
                    continue
                if glo > a:
                    nxt.append((a, glo))
                if ghi < b:
                    nxt.append((ghi, b))
            pieces = nxt
        out.extend(p for p in pieces if p[1] - p[0] > EPS)
    return out


def wall_segments(polygons: list[Polygon], gaps: list[tuple[Point, float]]) -> np.ndarray:
    """Walls of one level as (W, 4) segments: polygon edges merged where rooms share a wall, minus door gaps.

    Axis-aligned edges on the same line are merged so a shared wall counts once; other edges are kept as they are
    (duplicates removed). `gaps` are (door position, width) pairs; the door's opening is cut out of the wall it sits on.
    """
    horiz: dict[float, list[tuple[float, float]]] = {}
    vert: dict[float, list[tuple[float, float]]] = {}
    other: set[tuple[float, float, float, float]] = set()
    for poly in polygons:
        for (x1, y1), (x2, y2) in edges(poly):
            if abs(y1 - y2) < EPS:
                horiz.setdefault(round(y1, 6), []).append((min(x1, x2), max(x1, x2)))
            elif abs(x1 - x2) < EPS:
                vert.setdefault(round(x1, 6), []).append((min(y1, y2), max(y1, y2)))
            else:
                key = (x1, y1, x2, y2) if (x1, y1) < (x2, y2) else (x2, y2, x1, y1)
                other.add(key)
    segs: list[tuple[float, float, float, float]] = []
    for y, iv in horiz.items():
        g = [(x - w / 2, x + w / 2) for (x, gy), w in gaps if abs(gy - y) < 1e-3]
        for lo, hi in subtract_intervals(merge_intervals(iv), g):
            segs.append((lo, y, hi, y))
    for x, iv in vert.items():
        g = [(y - w / 2, y + w / 2) for (gx, y), w in gaps if abs(gx - x) < 1e-3]
        for lo, hi in subtract_intervals(merge_intervals(iv), g):
            segs.append((x, lo, x, hi))
    for x1, y1, x2, y2 in other:
        # Cut door gaps out of slanted walls too.
        length = float(np.hypot(x2 - x1, y2 - y1))
        g = []
        for (gx, gy), w in gaps:
            if distance_to_segment(x1, y1, x2, y2, gx, gy) < 1e-3:
                t = ((gx - x1) * (x2 - x1) + (gy - y1) * (y2 - y1)) / length
                g.append((t - w / 2, t + w / 2))
        for lo, hi in subtract_intervals([(0.0, length)], g):
            ux, uy = (x2 - x1) / length, (y2 - y1) / length
            segs.append((x1 + ux * lo, y1 + uy * lo, x1 + ux * hi, y1 + uy * hi))
    return np.array(segs, dtype=np.float64).reshape(-1, 4)


def convex_overlap(p: Polygon, q: Polygon, *, tol: float = 1e-3) -> bool:
    """True when the interiors of two convex polygons overlap by more than `tol` metres (separating-axis test).

    Polygons that only share an edge or a corner do not overlap.
    """
    for poly in (p, q):
        n = len(poly)
        for i in range(n):
            (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % n]
            nx_, ny_ = y2 - y1, x1 - x2
            norm = float(np.hypot(nx_, ny_))
            if norm < EPS:
                continue
            nx_, ny_ = nx_ / norm, ny_ / norm
            pa = [x * nx_ + y * ny_ for x, y in p]
            qa = [x * nx_ + y * ny_ for x, y in q]
            if min(max(pa), max(qa)) - max(min(pa), min(qa)) <= tol:
                return False
    return True


def rectangle(center: Point, width_m: float, depth_m: float, facing_deg: float) -> Polygon:
    """Corners (counter-clockwise) of a width x depth rectangle centred on `center` whose front faces `facing_deg`.

    The depth runs along the facing direction (0 = +x, 90 = +y), the width across it.
    """
    a = np.radians(facing_deg)
    fx, fy = float(np.cos(a)), float(np.sin(a))
    sx, sy = -fy, fx
    cx, cy = center
    hd, hw = depth_m / 2, width_m / 2
    corners = ((-1, -1), (1, -1), (1, 1), (-1, 1))
    return tuple((cx + fx * d * hd + sx * w * hw, cy + fy * d * hd + sy * w * hw) for d, w in corners)


def ahead(center: Point, facing_deg: float, dist_m: float) -> Point:
    """The point `dist_m` in front of `center` along `facing_deg`."""
    a = np.radians(facing_deg)
    return (center[0] + dist_m * float(np.cos(a)), center[1] + dist_m * float(np.sin(a)))
