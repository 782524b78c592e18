"""Site export: the tracker's view of a station (floor + placement) as one JSON document, site.json.

It holds only what a real installation knows — the plan, the storage furniture, the readers as installed and what
each antenna is meant to cover — and nothing of the twin's hidden physics (no shadowing draws, path-loss exponents,
tag sensitivities, clock offsets or fault schedules). The format is documented in docs/site-format.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from twin.building.model import Floor
from twin.errors import InputError, Problem, display_path

from .placement import Antenna, Placement

SITE_SCHEMA_VERSION = 1
SITE_FORMAT = "twin-site"
#: The keys of each object of a site file (a test keeps the export to exactly these, so nothing hidden leaks).
SITE_KEYS = {
    "top": {"format", "schema_version", "floor", "placement", "entrance", "levels", "spaces", "doors", "links",
            "storage", "readers", "adjacency", "exits"},
    "level": {"id", "name", "elevation_m"},
    "space": {"id", "name", "kind", "purpose", "level", "polygon"},
    "door": {"id", "a", "b", "level", "position", "width_m", "exterior", "kind"},
    "link": {"id", "kind", "a", "b", "traversal_s"},
    "storage": {"id", "name", "space", "kind", "position", "width_m", "depth_m", "capacity", "metal"},
    "reader": {"id", "kind", "power_dbm", "session", "dwell_ms", "report_period_ms", "trigger", "antennas", "gpi"},
    "gpi": {"port", "kind", "door", "side"},
    "antenna": {"port", "kind", "level", "position", "height_m", "azimuth_deg", "beamwidth_deg", "gain_dbi",
                "power_dbm", "covers"},
    "covers": {"space", "door", "side", "other_side", "storage", "mobile"},
}  # fmt: skip


def _xy(p) -> list[float]:
    return [float(p[0]), float(p[1])]


def _covers(floor: Floor, a: Antenna) -> dict:
    """What the antenna is installed to watch: its space, and the door side or storage unit when it has one."""
    c: dict = {"space": a.space}
    if a.kind == "portal":
        c.update(door=a.door, side=a.space, other_side=floor.doors[a.door].other(a.space))
    if a.storage:
        c["storage"] = a.storage
    if a.kind == "handheld":
        c["mobile"] = True  # carried on sweeps; `space` is where it is kept
    return c


def export_site(floor: Floor, placement: Placement) -> dict:
    """The site document (JSON-ready dict, deterministic order) for a floor and a placement validated against it."""
    if placement.floor != floor.name:
        raise ValueError(f"placement {placement.name!r} targets floor {placement.floor!r}, not {floor.name!r}")
    adjacency: dict[str, set[str]] = {s: set() for s in floor.spaces}
    for conn in list(floor.doors.values()) + list(floor.links.values()):
        adjacency[conn.a].add(conn.b)
        adjacency[conn.b].add(conn.a)
    by_id = lambda xs: sorted(xs, key=lambda o: o.id)  # noqa: E731
    return {
        "format": SITE_FORMAT,
        "schema_version": SITE_SCHEMA_VERSION,
        "floor": floor.name,
        "placement": placement.name,
        "entrance": floor.entrance,
        "levels": [{"id": lv.id, "name": lv.name, "elevation_m": lv.elevation_m} for lv in by_id(floor.levels.values())],
        "spaces": [
            {"id": s.id, "name": s.name, "kind": s.kind, "purpose": s.purpose, "level": s.level,
             "polygon": [_xy(p) for p in s.polygon]}
            for s in by_id(floor.spaces.values())
        ],
        "doors": [
            {"id": d.id, "a": d.a, "b": d.b, "level": d.level, "position": _xy(d.position), "width_m": d.width_m,
             "exterior": d.exterior, "kind": d.kind}
            for d in by_id(floor.doors.values())
        ],
        "links": [
            {"id": k.id, "kind": k.kind, "a": k.a, "b": k.b, "traversal_s": k.traversal_s}
            for k in by_id(floor.links.values())
        ],
        "storage": [
            {"id": u.id, "name": u.name, "space": u.space, "kind": u.kind, "position": _xy(u.position),
             "width_m": u.width_m, "depth_m": u.depth_m, "capacity": u.capacity, "metal": u.metal}
            for u in by_id(floor.storage.values())
        ],
        "readers": [
            {"id": r.id, "kind": r.kind, "power_dbm": r.power_dbm, "session": r.session, "dwell_ms": r.dwell_ms,
             "report_period_ms": r.report_period_ms, "trigger": r.trigger,
             "antennas": [
                 {"port": a.port, "kind": a.kind, "level": a.level, "position": _xy(a.position),
                  "height_m": a.height_m, "azimuth_deg": a.azimuth_deg, "beamwidth_deg": a.beamwidth_deg,
                  "gain_dbi": a.gain_dbi, "power_dbm": r.power_of(a), "covers": _covers(floor, a)}
                 for a in sorted(r.antennas, key=lambda a: a.port)
             ],
             "gpi": [{"port": g.port, "kind": g.kind, "door": g.door, "side": g.side}
                     for g in sorted(r.gpi, key=lambda g: g.port)]}
            for r in by_id(placement.readers.values())
        ],
        "adjacency": {s: sorted(n) for s, n in sorted(adjacency.items())},
        "exits": sorted(d.id for d in floor.exterior_doors),
    }  # fmt: skip


def write_site(floor: Floor, placement: Placement, path: str | Path) -> Path:
    """Write site.json (UTF-8, indented, stable key order) and return its path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(export_site(floor, placement), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return p


def read_site(path: str | Path) -> dict:
    """Read a site file back, checking its format marker, schema version and top-level keys (InputError if not)."""
    name = display_path(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(Problem(name, "file", str(path), f"a readable site JSON file ({exc})")) from None
    problems = []
    if not isinstance(data, dict) or data.get("format") != SITE_FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        problems.append(Problem(name, "format", got, f"{SITE_FORMAT!r}"))
    elif data.get("schema_version") != SITE_SCHEMA_VERSION:
        problems.append(Problem(name, "schema_version", data.get("schema_version"), str(SITE_SCHEMA_VERSION)))
    elif set(data) != SITE_KEYS["top"]:
        problems.append(Problem(name, "keys", sorted(set(data) ^ SITE_KEYS["top"]), "exactly the documented keys"))
    if problems:
        raise InputError(problems)
    return data
