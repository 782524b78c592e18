"""Cross-field checks of a parsed floor file: ids, references, geometry, levels, reachability.

Works on rows already type-checked by `twin.building.floorfile`; a field that failed its type check is None and the
checks that need it are skipped, so one mistake is reported once. Every problem is collected, none raised.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from ..errors import ProblemList
from .geometry import ahead, convex_overlap, distance_to_boundary, is_convex, point_in_polygon, polygon_area
from .geometry import polygon_centroid, rectangle, turning_number
from .model import DOOR_KINDS, LINK_KINDS, SPACE_KINDS, SPACE_PURPOSES, STORAGE_KINDS, StorageUnit

#: How far a door's position may lie from each of its spaces' boundaries, metres (assumption: drawing slack).
DOOR_TOL_M = 0.05
#: Smallest area of a space polygon, m² (assumption: anything smaller is a drawing mistake).
MIN_AREA_M2 = 0.25
#: Tolerance for storage footprints touching their room's walls, metres.
INSIDE_TOL_M = 1e-3
OUTSIDE_KINDS = ("outside", "external")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
STORAGE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9][A-Za-z0-9_.\-]*$")

Rows = dict[str, list[tuple[str, dict[str, Any]]]]


def check_semantics(pl: ProblemList, head: dict[str, Any], rows: Rows) -> None:
    _check_ids(pl, rows)
    levels = _check_levels(pl, rows["levels"])
    spaces = _check_spaces(pl, rows["spaces"], levels)
    doors = _check_doors(pl, rows["doors"], spaces)
    links = _check_links(pl, rows["links"], spaces)
    _check_storage(pl, rows["storage"], spaces)
    entrance = head.get("entrance")
    if entrance is not None:
        door = doors.get(entrance)
        if door is None:
            pl.add("floor.entrance", entrance, "the id of a door in [[doors]] (the main entrance)")
        elif not door["exterior"]:
            pl.add("floor.entrance", entrance, "an exterior door (exterior = true) as the main entrance")
        else:
            _check_reachable(pl, door, spaces, doors, links)


def _check_ids(pl: ProblemList, rows: Rows) -> None:
    seen: dict[str, str] = {}
    for table, items in rows.items():
        for where, r in items:
            ident = r.get("id")
            if ident is None:
                continue
            pattern = STORAGE_ID_RE if table == "storage" else ID_RE
            if not pattern.match(ident):
                form = "'<space id>/<unit>'" if table == "storage" else "a slug"
                pl.add(f"{where}.id", ident, f"{form} of ASCII letters, digits, '-', '_', '.'")
            if ident in seen:
                pl.add(f"{where}.id", ident, f"an id unique across all tables (already used by {seen[ident]})")
            else:
                seen[ident] = where


def _check_levels(pl: ProblemList, items: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    if not items:
        pl.add("levels", [], "at least one [[levels]] table")
    levels: dict[str, dict[str, Any]] = {}
    last: float | None = None
    for where, r in items:
        if r["id"] is not None:
            levels.setdefault(r["id"], r)
        z = r["elevation_m"]
        if z is not None:
            if last is not None and z <= last:
                pl.add(
                    f"{where}.elevation_m",
                    z,
                    f"an elevation above the previous level's ({last} m): list levels bottom up",
                )
            last = z
    return levels


def _check_spaces(pl: ProblemList, items, levels) -> dict[str, dict[str, Any]]:
    spaces: dict[str, dict[str, Any]] = {}
    good_polys: dict[str, list[tuple[str, str, tuple]]] = {}
    for where, r in items:
        if r["kind"] is not None and r["kind"] not in SPACE_KINDS:
            pl.add(f"{where}.kind", r["kind"], f"one of {', '.join(SPACE_KINDS)}")
        if r["purpose"] is not None and r["purpose"] not in SPACE_PURPOSES:
            pl.add(f"{where}.purpose", r["purpose"], f"one of {', '.join(SPACE_PURPOSES)}")
        if r["level"] is not None and r["level"] not in levels:
            pl.add(f"{where}.level", r["level"], f"the id of a level in [[levels]] ({', '.join(levels) or 'none'})")
        poly = r["polygon"]
        shape_ok = False
        if r["kind"] == "external":
            if poly:
                pl.add(f"{where}.polygon", [list(p) for p in poly], "no polygon: external spaces are off-site")
        elif r["kind"] in SPACE_KINDS and not poly and poly is not None:
            pl.add(f"{where}.polygon", None, "a polygon (required for every space but kind = \"external\")")
        elif poly:
            area = abs(polygon_area(poly))
            if area < MIN_AREA_M2:
                pl.add(
                    f"{where}.polygon",
                    [list(p) for p in poly],
                    f"a non-degenerate polygon (area {area:.3g} m² < {MIN_AREA_M2})",
                )
            elif not is_convex(poly) or abs(abs(turning_number(poly)) - 1.0) > 1e-6:
                pl.add(
                    f"{where}.polygon",
                    [list(p) for p in poly],
                    "a convex polygon (split the space and join the parts with an opening)",
                )
            else:
                shape_ok = True
                if r["level"] is not None:
                    good_polys.setdefault(r["level"], []).append((where, r["id"], poly))
        if r["id"] is not None and r["id"] not in spaces:
            level_ok = r["level"] in levels
            spaces[r["id"]] = {**r, "where": where, "shape_ok": shape_ok, "level_ok": level_ok}
    for polys in good_polys.values():
        for i, (wa, ida, pa) in enumerate(polys):
            for wb, idb, pb in polys[i + 1 :]:
                if convex_overlap(pa, pb):
                    pl.add(
                        f"{wb}.polygon",
                        [list(p) for p in pb],
                        f"a space not overlapping {ida} ({wa}) on the same level",
                    )
    return spaces


def _has_geometry(space: dict[str, Any]) -> bool:
    return bool(space.get("polygon")) and space.get("kind") != "external"


def _check_doors(pl: ProblemList, items, spaces) -> dict[str, dict[str, Any]]:
    doors: dict[str, dict[str, Any]] = {}
    for where, r in items:
        if r["kind"] is not None and r["kind"] not in DOOR_KINDS:
            pl.add(f"{where}.kind", r["kind"], f"one of {', '.join(DOOR_KINDS)}")
        if r["width_m"] is not None and r["width_m"] <= 0:
            pl.add(f"{where}.width_m", r["width_m"], "a width > 0 m")
        ends = []
        for side in ("a", "b"):
            sid = r[side]
            if sid is None:
                continue
            if sid not in spaces:
                pl.add(f"{where}.{side}", sid, "the id of a space in [[spaces]]")
            elif spaces[sid]["kind"] == "external":
                pl.add(f"{where}.{side}", sid, "a space with a polygon (external spaces are reached by road links)")
            else:
                ends.append(spaces[sid])
        if r["a"] is not None and r["a"] == r["b"]:
            pl.add(f"{where}.b", r["b"], "a space other than a (a door joins two spaces)")
            continue
        if len(ends) == 2:
            sa, sb = ends
            if sa["level_ok"] and sb["level_ok"] and sa["level"] != sb["level"]:
                pl.add(
                    f"{where}.b",
                    sb["id"],
                    f"a space on level {sa['level']} like {sa['id']} (doors join spaces on one level)",
                )
            pos = r["position"]
            if pos is not None:
                for s in ends:
                    if s["shape_ok"] and distance_to_boundary(s["polygon"], *pos) > DOOR_TOL_M:
                        d = distance_to_boundary(s["polygon"], *pos)
                        pl.add(
                            f"{where}.position",
                            list(pos),
                            f"a point on the boundary of {s['id']} (within {DOOR_TOL_M} m; it is {d:.2f} m off)",
                        )
            n_out = sum(s["kind"] in OUTSIDE_KINDS for s in ends)
            if r["exterior"] and n_out != 1:
                pl.add(
                    f"{where}.exterior",
                    True,
                    "false, or a door between an indoor and an outside space (exterior doors lead outside)",
                )
            elif r["exterior"] is False and n_out == 1:
                pl.add(f"{where}.exterior", False, "true (the door leads outside)")
        if r["id"] is not None:
            doors.setdefault(r["id"], r)
    return doors


def _check_links(pl: ProblemList, items, spaces) -> dict[str, dict[str, Any]]:
    links: dict[str, dict[str, Any]] = {}
    for where, r in items:
        kind = r["kind"]
        if kind is not None and kind not in LINK_KINDS:
            pl.add(f"{where}.kind", kind, f"one of {', '.join(LINK_KINDS)}")
        if r["traversal_s"] is not None and r["traversal_s"] <= 0:
            pl.add(f"{where}.traversal_s", r["traversal_s"], "a traversal time > 0 s")
        ends = []
        for side in ("a", "b"):
            sid = r[side]
            if sid is None:
                continue
            if sid not in spaces:
                pl.add(f"{where}.{side}", sid, "the id of a space in [[spaces]]")
                continue
            s = spaces[sid]
            ends.append(s)
            if kind in ("stair", "lift") and s["kind"] != kind:
                pl.add(f"{where}.{side}", sid, f"a space of kind {kind} (it is {s['kind']})")
        if len(ends) == 2 and kind in ("stair", "lift") and ends[0]["level"] == ends[1]["level"]:
            pl.add(f"{where}.b", r["b"], f"a {kind} space on another level than {r['a']} (both on {ends[0]['level']})")
        if len(ends) == 2 and kind == "road" and sorted(s["kind"] for s in ends) != ["external", "outside"]:
            pl.add(f"{where}.b", r["b"], "a road joining an outside space to an external one")
        if r["id"] is not None:
            links.setdefault(r["id"], r)
    return links


def _check_storage(pl: ProblemList, items, spaces) -> None:
    for where, r in items:
        if r["kind"] is not None and r["kind"] not in STORAGE_KINDS:
            pl.add(f"{where}.kind", r["kind"], f"one of {', '.join(STORAGE_KINDS)}")
        for key in ("width_m", "depth_m"):
            if r[key] is not None and r[key] <= 0:
                pl.add(f"{where}.{key}", r[key], "a size > 0 m")
        if r["capacity"] is not None and r["capacity"] <= 0:
            pl.add(f"{where}.capacity", r["capacity"], "a capacity > 0 dossiers")
        sid = r["space"]
        if sid is None:
            continue
        if sid not in spaces:
            pl.add(f"{where}.space", sid, "the id of a space in [[spaces]]")
            continue
        s = spaces[sid]
        if r["id"] is not None and not r["id"].startswith(f"{sid}/"):
            pl.add(f"{where}.id", r["id"], f"an id starting with its space, '{sid}/...'")
        if not _has_geometry(s):
            pl.add(f"{where}.space", sid, "a space with a polygon (storage sits on a floor plan)")
            continue
        pos = r["position"]
        if pos is None or not s["shape_ok"]:
            continue
        if r["facing_deg"] is None:
            r["facing_deg"] = _face_centroid(pos, polygon_centroid(s["polygon"]))
        if not point_in_polygon(s["polygon"], *pos):
            pl.add(f"{where}.position", list(pos), f"a point inside its space {sid}")
            continue
        if r["width_m"] and r["depth_m"] and r["width_m"] > 0 and r["depth_m"] > 0:
            foot = rectangle(pos, r["width_m"], r["depth_m"], r["facing_deg"])
            if not all(point_in_polygon(s["polygon"], x, y, tol=INSIDE_TOL_M) for x, y in foot):
                corners = [[round(x, 3), round(y, 3)] for x, y in foot]
                pl.add(f"{where}.position", list(pos), f"a footprint inside its space {sid} (corners {corners})")
                continue
            front = ahead(pos, r["facing_deg"], r["depth_m"] / 2 + StorageUnit.ACCESS_GAP_M)
            if not point_in_polygon(s["polygon"], *front):
                pl.add(
                    f"{where}.facing_deg",
                    r["facing_deg"],
                    f"a front facing into {sid} (the access point ({front[0]:.2f}, {front[1]:.2f}) is outside it)",
                )


def _face_centroid(pos: tuple[float, float], c: tuple[float, float]) -> float:
    """Default facing: the axis direction from the unit towards its space's centroid."""
    dx, dy = c[0] - pos[0], c[1] - pos[1]
    if abs(dx) >= abs(dy):
        return 0.0 if dx >= 0 else 180.0
    return 90.0 if dy >= 0 else 270.0


def _check_reachable(pl: ProblemList, entrance: dict[str, Any], spaces, doors, links) -> None:
    adj: dict[str, set[str]] = {s: set() for s in spaces}
    for r in list(doors.values()) + list(links.values()):
        a, b = r["a"], r["b"]
        if a in adj and b in adj:
            adj[a].add(b)
            adj[b].add(a)
    start = [s for s in (entrance["a"], entrance["b"]) if s in adj]
    seen = set(start)
    todo = deque(start)
    while todo:
        for nxt in adj[todo.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    for sid, s in spaces.items():
        if sid not in seen:
            pl.add(
                f"{s['where']}.id",
                sid,
                f"a space reachable from the main entrance {entrance['id']} through doors and links",
            )
