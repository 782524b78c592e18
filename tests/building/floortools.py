"""Test helpers for floors: a generator of valid floor files and the invariants every route must satisfy."""

from __future__ import annotations

import math
import re
from pathlib import Path

import networkx as nx
from hypothesis import strategies as st

from twin.building.geometry import point_in_polygon
from twin.building.graph import HOP_S, FloorGraph, Place, Route

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "floor-format.md"
STATION = ROOT / "scenarios" / "floors" / "station.toml"


def doc_example() -> str:
    """The TOML example embedded in docs/floor-format.md."""
    m = re.search(r"<!-- floor-example:begin -->\s*```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert m, "docs/floor-format.md lost its floor example markers"
    return m.group(1)


# -- a generator of valid floors -------------------------------------------------------------------------------
def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return repr(float(v)) if isinstance(v, float) else repr(v)


def floor_toml(floor: dict, tables: dict[str, list[dict]]) -> str:
    out = ["[floor]"] + [f"{k} = {_toml(v)}" for k, v in floor.items()] + [""]
    for name, rows in tables.items():
        for row in rows:
            out.append(f"[[{name}]]")
            out += [f"{k} = {_toml(v)}" for k, v in row.items()]
            out.append("")
    return "\n".join(out)


def _rect(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def _level(draw, lv: str, cw: float, tables: dict, south_widths, north_widths, n_segments: int, tag: str):
    """A corridor (split into segments) along x with rooms on both sides; returns (corridor segments, length)."""
    spaces, doors, storage = tables["spaces"], tables["doors"], tables["storage"]
    length = max(sum(w for w, _ in south_widths), sum(w for w, _ in north_widths), 4.0)
    cuts = sorted(draw(st.sets(st.integers(1, 9), min_size=n_segments - 1, max_size=n_segments - 1)))
    xs = [0.0] + [round(length * c / 10, 2) for c in cuts] + [length]
    segs = []
    for i, (x0, x1) in enumerate(zip(xs, xs[1:])):
        sid = f"{tag}corr{i}"
        poly = _rect(x0, 0.0, x1, cw)
        spaces.append(dict(id=sid, name=sid, kind="corridor", purpose="circulation", level=lv, polygon=poly))
        segs.append((sid, x0, x1))
        if i:
            prev = segs[i - 1][0]
            doors.append(dict(id=f"o-{sid}", a=prev, b=sid, position=[x0, cw / 2], width_m=cw, kind="opening"))

    def seg_at(x):
        return next(s for s, a, b in segs if a < x < b)

    for side, widths in (("s", south_widths), ("n", north_widths)):
        x = 0.0
        for k, (w, depth) in enumerate(widths):
            rid = f"{tag}{side}{k}"
            y0, y1 = (-depth, 0.0) if side == "s" else (cw, cw + depth)
            wall = 0.0 if side == "s" else cw
            poly = _rect(x, y0, x + w, y1)
            spaces.append(dict(id=rid, name=rid, kind="room", purpose="office", level=lv, polygon=poly))
            dx = draw(st.floats(0.6, w - 0.9))
            door_x = round(x + dx, 2)
            if any(abs(door_x - b) < 0.05 for _, b, _ in segs):
                door_x = round(door_x + 0.3, 2)
            doors.append(dict(id=f"d-{rid}", a=rid, b=seg_at(door_x), position=[door_x, wall], width_m=0.9))
            facing = 90.0 if side == "s" else 270.0
            for j in range(draw(st.integers(0, 2))):
                cx = x + w * (j + 1) / 3
                storage.append(dict(id=f"{rid}/D{j}", space=rid, kind="desk", position=[cx, (y0 + y1) / 2],
                                    width_m=1.2, depth_m=0.6, capacity=20, facing_deg=facing))
            x += w
    return segs, length


@st.composite
def generated_floor(draw) -> str:
    """TOML text of a random valid floor: a corridor with rooms on both sides, a yard, maybe a second level."""
    size = st.tuples(st.floats(2.5, 6.0).map(lambda v: round(v, 2)), st.floats(3.0, 7.0).map(lambda v: round(v, 2)))
    cw = round(draw(st.floats(1.5, 3.0)), 2)
    tables: dict[str, list[dict]] = {"levels": [], "spaces": [], "doors": [], "links": [], "storage": []}
    two = draw(st.booleans())
    levels = ["L0", "L1"] if two else ["L0"]
    for i, lv in enumerate(levels):
        tables["levels"].append(dict(id=lv, name=lv, elevation_m=3.5 * i))
    south = draw(st.lists(size, min_size=1, max_size=4))
    north = draw(st.lists(size, min_size=0, max_size=4))
    segs, length = _level(draw, "L0", cw, tables, south, north, draw(st.integers(1, 3)), "a")
    depth = max(d for _, d in south + north)
    tables["spaces"].append(dict(id="yard", name="yard", kind="outside", purpose="car_park", level="L0",
                                 polygon=_rect(-6.0, -depth, 0.0, cw + depth)))
    main = dict(id="d-main", a="yard", b=segs[0][0], position=[0.0, cw / 2], width_m=2.0, exterior=True)
    tables["doors"].append(main)
    if draw(st.booleans()):
        tables["spaces"].append(dict(id="court", name="court", kind="external", purpose="court", level="L0"))
        tables["links"].append(dict(id="road", kind="road", a="yard", b="court", traversal_s=900.0))
    if two:
        up_s = draw(st.lists(size, min_size=1, max_size=3))
        up_n = draw(st.lists(size, min_size=0, max_size=3))
        segs2, length2 = _level(draw, "L1", cw, tables, up_s, up_n, draw(st.integers(1, 2)), "b")
        for lv, sg, ln in (("L0", segs, length), ("L1", segs2, length2)):
            stair = f"stair-{lv}"
            tables["spaces"].append(dict(id=stair, name=stair, kind="stair", purpose="circulation", level=lv,
                                         polygon=_rect(ln, 0.0, ln + 3.0, cw)))
            tables["doors"].append(dict(id=f"d-{stair}", a=stair, b=sg[-1][0], position=[ln, cw / 2], width_m=1.2))
        tables["links"].append(dict(id="stairs", kind="stair", a="stair-L0", b="stair-L1",
                                    traversal_s=float(draw(st.integers(10, 30)))))
    return floor_toml({"schema_version": 1, "name": "generated", "entrance": "d-main"}, tables)


# -- route invariants ------------------------------------------------------------------------------------------
def close(a: float, b: float, tol: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=tol)


def same_xy(p, q, tol: float = 1e-9) -> bool:
    return abs(p[0] - q[0]) <= tol and abs(p[1] - q[1]) <= tol


def check_route(g: FloorGraph, r: Route, speed_mps: float) -> None:
    """Assert everything a route promises: contiguity in time and space, consistent crossings and timings."""
    fl = g.floor
    legs = r.legs
    assert legs, "a route has at least one leg"
    assert legs[0].space == r.origin.space and same_xy(legs[0].p0, r.origin.xy)
    assert legs[-1].space == r.dest.space and same_xy(legs[-1].p1, r.dest.xy)
    assert legs[0].t0_s == 0.0 and close(legs[-1].t1_s, r.duration_s)
    walk_len = fixed = 0.0
    crossings = list(r.crossings)
    ci = 0
    for i, leg in enumerate(legs):
        space = fl.spaces[leg.space]
        assert leg.level == space.level
        assert leg.t1_s >= leg.t0_s
        if i:
            assert close(leg.t0_s, legs[i - 1].t1_s), "legs contiguous in time"
        traversal = same_xy(leg.p0, leg.p1) and i + 1 < len(legs) and legs[i + 1].space != leg.space and (
            crossings[ci].via in fl.links if ci < len(crossings) else False
        ) and fl.spaces[legs[i + 1].space].kind != "external"
        # a road into an off-site place: the traversal is the first leg there, right after the link's crossing
        road_away = (space.kind == "external" and same_xy(leg.p0, leg.p1) and i > 0 and legs[i - 1].space != leg.space
                     and crossings[ci - 1].via in fl.links)  # fmt: skip
        if road_away:
            lk = fl.links[crossings[ci - 1].via]
            assert close(leg.t1_s - leg.t0_s, lk.traversal_s) and close(crossings[ci - 1].t_s, leg.t0_s)
            fixed += lk.traversal_s
        elif traversal:
            lk = fl.links[crossings[ci].via]
            assert close(leg.t1_s - leg.t0_s, lk.traversal_s)
            fixed += lk.traversal_s
        else:
            d = math.hypot(leg.p1[0] - leg.p0[0], leg.p1[1] - leg.p0[1]) if space.has_geometry else 0.0
            assert close(leg.t1_s - leg.t0_s, d / speed_mps, 1e-6)
            walk_len += d
            if space.has_geometry:
                for p in (leg.p0, leg.p1):
                    assert point_in_polygon(space.polygon, *p, tol=1e-6)
        if i + 1 < len(legs) and legs[i + 1].space != leg.space:
            c = crossings[ci]
            ci += 1
            nxt = legs[i + 1]
            assert (c.from_space, c.to_space) == (leg.space, nxt.space)
            assert close(c.t_s, nxt.t0_s)
            assert g.adjacent(leg.space, nxt.space)
            assert c.via in g.spaces[leg.space][nxt.space], "crossing via a door or link joining the two spaces"
            if c.via in fl.doors:
                assert same_xy(leg.p1, fl.doors[c.via].position) and same_xy(nxt.p0, leg.p1)
            else:
                assert traversal or fl.spaces[nxt.space].kind == "external"
        elif i + 1 < len(legs):
            assert same_xy(legs[i + 1].p0, leg.p1)
    assert ci == len(crossings), "one crossing per change of space"
    assert close(r.length_m, walk_len, 1e-6)
    assert close(r.duration_s, walk_len / speed_mps + fixed, 1e-6)


def nx_best_time(g: FloorGraph, origin: Place, dest: Place) -> tuple[float, list[str]]:
    """Fastest time at nominal speed by plain networkx on the same weights (waypoints plus origin and dest)."""
    h = g.waypoints.copy()
    v = g.nominal_speed_mps
    fl = g.floor
    for tag, p in (("<origin>", origin), ("<dest>", dest)):
        h.add_node(tag)
        geo = fl.spaces[p.space].has_geometry
        for n, data in g.waypoints.nodes(data=True):
            if p.space in data["spaces"]:
                d = math.hypot(data["xy"][0] - p.xy[0], data["xy"][1] - p.xy[1]) if geo else 0.0
                h.add_edge(tag, n, weight_s=d / v + HOP_S)
    if origin.space == dest.space:
        geo = fl.spaces[origin.space].has_geometry
        d = math.hypot(dest.xy[0] - origin.xy[0], dest.xy[1] - origin.xy[1]) if geo else 0.0
        h.add_edge("<origin>", "<dest>", weight_s=d / v + HOP_S)
    path = nx.shortest_path(h, "<origin>", "<dest>", weight="weight_s")
    return nx.path_weight(h, path, "weight_s"), path[1:-1]
