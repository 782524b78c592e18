"""Floor files (TOML, schema_version 1): parse, check every field, build a validated `Floor`.

`validate_floor_file` returns every problem at once (it never raises for bad content); `load_floor` raises one
`InputError` listing them all. The format is documented in docs/floor-format.md. Field names in problems use
0-based indices into the TOML arrays of tables, e.g. `doors[3].position`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem, ProblemList, display_path
from .floorcheck import check_semantics
from .model import Door, Floor, Level, Link, Space, StorageUnit

SCHEMA_VERSION = 1

# Field specs: name -> (type, required, default). Types: str, int, num, bool, point, polygon.
FLOOR_FIELDS = {
    "schema_version": ("int", True, None),
    "name": ("str", True, None),
    "entrance": ("str", True, None),
    "description": ("str", False, ""),
}
TABLE_FIELDS: dict[str, dict[str, tuple[str, bool, Any]]] = {
    "levels": {"id": ("str", True, None), "name": ("str", True, None), "elevation_m": ("num", True, None)},
    "spaces": {
        "id": ("str", True, None),
        "name": ("str", True, None),
        "kind": ("str", True, None),
        "purpose": ("str", True, None),
        "level": ("str", True, None),
        "polygon": ("polygon", False, ()),
    },
    "doors": {
        "id": ("str", True, None),
        "a": ("str", True, None),
        "b": ("str", True, None),
        "position": ("point", True, None),
        "width_m": ("num", True, None),
        "exterior": ("bool", False, False),
        "kind": ("str", False, "door"),
    },
    "links": {
        "id": ("str", True, None),
        "kind": ("str", True, None),
        "a": ("str", True, None),
        "b": ("str", True, None),
        "traversal_s": ("num", True, None),
    },
    "storage": {
        "id": ("str", True, None),
        "space": ("str", True, None),
        "kind": ("str", True, None),
        "position": ("point", True, None),
        "width_m": ("num", True, None),
        "depth_m": ("num", True, None),
        "capacity": ("int", True, None),
        "metal": ("bool", False, False),
        "name": ("str", False, ""),
        "facing_deg": ("num", False, None),
    },
}
TOP_LEVEL = ("floor", *TABLE_FIELDS)
_EXPECTED = {
    "str": "a non-empty string",
    "int": "an integer",
    "num": "a number",
    "bool": "true or false",
    "point": "a point [x, y] in metres",
    "polygon": "a list of at least 3 points [[x, y], ...] in metres",
}


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _convert(kind: str, v: Any) -> Any:
    """The typed value, or None when `v` does not have the expected shape."""
    if kind == "str":
        return v if isinstance(v, str) and v.strip() else None
    if kind == "int":
        return v if isinstance(v, int) and not isinstance(v, bool) else None
    if kind == "num":
        return float(v) if _is_num(v) else None
    if kind == "bool":
        return v if isinstance(v, bool) else None
    if kind == "point":
        if isinstance(v, list) and len(v) == 2 and all(_is_num(c) for c in v):
            return (float(v[0]), float(v[1]))
        return None
    if kind == "polygon":
        if not isinstance(v, list) or len(v) < 3:
            return None
        pts = [_convert("point", p) for p in v]
        return None if any(p is None for p in pts) else tuple(pts)
    raise ValueError(kind)


def _row(pl: ProblemList, where: str, raw: Any, spec: dict[str, tuple[str, bool, Any]]) -> dict[str, Any] | None:
    """Check one table against its spec: unknown keys, missing keys, types. Bad fields come back as None."""
    if not isinstance(raw, dict):
        pl.add(where, raw, "a table")
        return None
    out: dict[str, Any] = {}
    for key in raw:
        if key not in spec:
            pl.add(f"{where}.{key}", raw[key], f"one of the known keys {', '.join(spec)} (unknown keys are errors)")
    for key, (kind, required, default) in spec.items():
        if key not in raw:
            if required:
                pl.add(f"{where}.{key}", None, f"{_EXPECTED[kind]} (required)")
            out[key] = None if required else default
            continue
        val = _convert(kind, raw[key])
        if val is None:
            pl.add(f"{where}.{key}", raw[key], _EXPECTED[kind])
        out[key] = val
    return out


def _syntax_problem(file: str, err: tomllib.TOMLDecodeError) -> Problem:
    msg = str(err)
    m = re.search(r"at line (\d+), column (\d+)", msg)
    where = f"line {m.group(1)}, column {m.group(2)}" if m else "(file)"
    return Problem(file, where, msg, "valid TOML syntax")


def parse_floor_text(text: str, source: str) -> tuple[Floor | None, list[Problem]]:
    """Parse and validate floor TOML; the Floor is None whenever there is at least one problem."""
    pl = ProblemList(source)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return None, [_syntax_problem(source, err)]
    for key in doc:
        if key not in TOP_LEVEL:
            pl.add(key, doc[key], f"one of the tables {', '.join(TOP_LEVEL)} (unknown keys are errors)")
    head = _row(pl, "floor", doc.get("floor", {}), FLOOR_FIELDS) or {}
    version = head.get("schema_version")
    if version is not None and version != SCHEMA_VERSION:
        pl.add("floor.schema_version", version, f"{SCHEMA_VERSION} (the only version this program reads)")
        return None, pl.problems
    rows: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for table, spec in TABLE_FIELDS.items():
        raw = doc.get(table, [])
        if not isinstance(raw, list):
            pl.add(table, raw, f"an array of tables [[{table}]]")
            raw = []
        rows[table] = []
        for i, item in enumerate(raw):
            r = _row(pl, f"{table}[{i}]", item, spec)
            if r is not None:
                rows[table].append((f"{table}[{i}]", r))
    check_semantics(pl, head, rows)
    if pl.problems:
        return None, pl.problems
    return _build(source, head, rows), []


def _build(source: str, head: dict[str, Any], rows: dict[str, list[tuple[str, dict[str, Any]]]]) -> Floor:
    def items(table: str) -> list[dict[str, Any]]:
        return [r for _, r in rows[table]]

    levels = {r["id"]: Level(r["id"], r["name"], r["elevation_m"]) for r in items("levels")}
    spaces = {
        r["id"]: Space(r["id"], r["name"], r["kind"], r["purpose"], r["level"], tuple(r["polygon"] or ()))
        for r in items("spaces")
    }
    doors = {
        r["id"]: Door(
            r["id"], r["a"], r["b"], spaces[r["a"]].level, r["position"], r["width_m"], r["exterior"], r["kind"]
        )
        for r in items("doors")
    }
    links = {r["id"]: Link(r["id"], r["kind"], r["a"], r["b"], r["traversal_s"]) for r in items("links")}
    storage = {
        r["id"]: StorageUnit(
            r["id"],
            r["space"],
            r["kind"],
            r["position"],
            r["width_m"],
            r["depth_m"],
            r["capacity"],
            r["metal"],
            r["name"],
            r["facing_deg"],
        )
        for r in items("storage")
    }
    return Floor(
        name=head["name"],
        source=source,
        schema_version=head["schema_version"],
        levels=levels,
        spaces=spaces,
        doors=doors,
        links=links,
        storage=storage,
        entrance=head["entrance"],
    )


def validate_floor_file(path: str | Path) -> list[Problem]:
    """Every problem in a floor file (empty when valid). Never raises for bad content or a missing file."""
    return _load(path)[1]


def load_floor(path: str | Path) -> Floor:
    """Load and validate a floor file; raise InputError listing every problem."""
    floor, problems = _load(path)
    if problems:
        raise InputError(problems)
    assert floor is not None
    return floor


def load_floor_text(text: str, source: str = "<floor>") -> Floor:
    """Like load_floor, from TOML text (tests and the docs' example)."""
    floor, problems = parse_floor_text(text, source)
    if problems:
        raise InputError(problems)
    assert floor is not None
    return floor


def _load(path: str | Path) -> tuple[Floor | None, list[Problem]]:
    shown = display_path(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(shown, "(file)", str(path), "an existing floor file")]
    except (OSError, UnicodeDecodeError) as err:
        return None, [Problem(shown, "(file)", str(err), "a readable UTF-8 floor file")]
    return parse_floor_text(text, shown)
