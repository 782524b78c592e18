"""Placement files (TOML, schema version 1): load, validate against a Floor, and write back.

Every problem is collected with the file, the field, the value found and what was expected, so a planner sees all of
them at once. See docs/placement-format.md for the format.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

from twin.building.model import Floor
from twin.errors import InputError, Problem, ProblemList, display_path

from .placement import ANTENNA_KINDS, GPI_KINDS, READER_KINDS, SESSIONS, TRIGGERS, Antenna, GpiInput, Placement, Reader

SCHEMA_VERSION = 1
#: LLRP GPIPortNumber is 1-based; fixed readers have 2-4 GPI inputs, a GPIO expansion box a few more (assumption)
MAX_GPI_PORT = 16
MAX_PORT = 32  # LLRP AntennaID is 1-based; a reader with antenna hubs multiplexes up to 32 ports (assumption)
POWER_RANGE_DBM = (0.0, 33.0)  # conducted power; UHF readers top out at 30-33 dBm (ANCHORS: ~1 W, 4 W EIRP)
GAIN_RANGE_DBI = (-10.0, 12.0)  # assumption: desk pads / near-field strips to high-gain patches
ISOLATION_RANGE_DB = (0.0, 60.0)  # assumption: up to a closed steel enclosure (RFParams.metal_loss_db ~28 dB) twice
HEIGHT_RANGE_M = (0.0, 6.0)  # assumption: floor level to a high ceiling
BEAMWIDTH_RANGE_DEG = (1.0, 360.0)  # 360 = omnidirectional in plan (a ceiling antenna looking down)
DWELL_RANGE_MS = (1.0, 60_000.0)
REPORT_PERIOD_RANGE_MS = (1.0, 3_600_000.0)
PORTAL_MAX_DIST_M = 1.5  # a portal antenna hangs beside its door frame
HANDHELD_HEIGHT_M = 1.2  # where an officer holds a handheld (assumption)
#: Storage kinds an antenna kind may watch.
WATCHES = {"shelf": ("shelf", "cabinet"), "desk": ("desk",)}
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$")

TOP_KEYS = {"placement", "readers"}
PLACEMENT_KEYS = {"schema_version", "name", "floor", "description"}
READER_KEYS = {"id", "kind", "power_dbm", "session", "dwell_ms", "report_period_ms", "antennas", "trigger", "gpi"}
GPI_KEYS = {"port", "kind", "door", "side"}
ANTENNA_KEYS = {
    "port", "kind", "level", "position", "height_m", "azimuth_deg", "beamwidth_deg", "gain_dbi", "space", "door",
    "storage", "power_dbm", "isolation_db",
}  # fmt: skip


def load_placement(path: str | Path, floor: Floor) -> Placement:
    """Load and validate a placement file against `floor`; raise InputError listing every problem."""
    placement, problems = _load(path, floor)
    if problems:
        raise InputError(problems)
    assert placement is not None
    return placement


def validate_placement_file(path: str | Path, floor: Floor) -> list[Problem]:
    """Every problem of a placement file against `floor` (empty when valid). Never raises for bad content."""
    return _load(path, floor)[1]


def _load(path: str | Path, floor: Floor) -> tuple[Placement | None, list[Problem]]:
    name = display_path(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(name, "file", str(path), f"a readable placement file ({exc.strerror})")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [Problem(name, "toml", str(exc), "valid TOML")]
    return parse_placement(data, floor, name)


def parse_placement(data: dict, floor: Floor, file: str = "<placement>") -> tuple[Placement | None, list[Problem]]:
    """Validate a decoded placement table; return (placement or None, problems)."""
    pl = ProblemList(file)
    _unknown(pl, "", data, TOP_KEYS)
    head = data.get("placement")
    if not isinstance(head, dict):
        pl.add("placement", head, "a [placement] table with schema_version, name and floor")
        head = {}
    _unknown(pl, "placement.", head, PLACEMENT_KEYS)
    version = head.get("schema_version")
    if version != SCHEMA_VERSION:
        pl.add("placement.schema_version", version, f"{SCHEMA_VERSION}")
    name = head.get("name")
    if not isinstance(name, str) or not name.strip():
        pl.add("placement.name", name, "a non-empty string")
        name = ""
    target = head.get("floor")
    if target != floor.name:
        pl.add("placement.floor", target, f"the name of the floor it is validated against ({floor.name!r})")
    raw_readers = data.get("readers")
    if not isinstance(raw_readers, list) or not raw_readers:
        pl.add("readers", raw_readers, "at least one [[readers]] table")
        raw_readers = []
    readers: dict[str, Reader] = {}
    for i, raw in enumerate(raw_readers):
        reader = _reader(pl, floor, i, raw, readers)
        if reader is not None:
            readers[reader.id] = reader
    if pl.problems:
        return None, pl.problems
    placement = Placement(name=name, source=file, schema_version=SCHEMA_VERSION, floor=floor.name, readers=readers)
    return placement, []


# -- pieces ----------------------------------------------------------------------------------------------------------
def _unknown(pl: ProblemList, prefix: str, table: dict, allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            pl.add(f"{prefix}{key}", table[key], f"one of the known keys ({', '.join(sorted(allowed))})")


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _number(pl: ProblemList, fld: str, table: dict, key: str, lo: float, hi: float, default=None) -> float | None:
    v = table.get(key, default)
    if v is None:
        pl.add(fld + key, None, f"a number in [{lo:g}, {hi:g}] (required)")
        return None
    if not _is_number(v) or not lo <= v <= hi:
        pl.add(fld + key, v, f"a number in [{lo:g}, {hi:g}]")
        return None
    return float(v)


def _choice(pl: ProblemList, fld: str, value: object, options: tuple[str, ...]) -> str | None:
    if value not in options:
        pl.add(fld, value, f"one of {', '.join(options)}")
        return None
    return str(value)


def _reader(pl: ProblemList, floor: Floor, i: int, raw: object, seen: dict[str, Reader]) -> Reader | None:
    if not isinstance(raw, dict):
        pl.add(f"readers[{i}]", raw, "a [[readers]] table")
        return None
    rid = raw.get("id")
    fld = f"readers[{i}]."
    n0 = len(pl.problems)
    if not isinstance(rid, str) or not ID_RE.match(rid):
        pl.add(fld + "id", rid, "a short ASCII id (letters, digits, . _ / -; at most 32 characters)")
    elif rid in seen:
        pl.add(fld + "id", rid, "an id not used by another reader")
    else:
        fld = f"readers[{rid}]."
    _unknown(pl, fld, raw, READER_KEYS)
    kind = _choice(pl, fld + "kind", raw.get("kind"), READER_KINDS)
    power = _number(pl, fld, raw, "power_dbm", *POWER_RANGE_DBM)
    session = _choice(pl, fld + "session", raw.get("session"), SESSIONS)
    dwell = _number(pl, fld, raw, "dwell_ms", *DWELL_RANGE_MS)
    period = _number(pl, fld, raw, "report_period_ms", *REPORT_PERIOD_RANGE_MS)
    trigger = _choice(pl, fld + "trigger", raw.get("trigger", "continuous"), TRIGGERS)
    raw_ants = raw.get("antennas")
    if not isinstance(raw_ants, list) or not raw_ants:
        pl.add(fld + "antennas", raw_ants, "at least one [[readers.antennas]] table")
        raw_ants = []
    antennas: list[Antenna] = []
    ports: set[int] = set()
    for j, ra in enumerate(raw_ants):
        ant = _antenna(pl, floor, fld, str(rid), kind, j, ra, ports)
        if ant is not None:
            antennas.append(ant)
    if kind == "handheld" and len(raw_ants) != 1:
        pl.add(fld + "antennas", len(raw_ants), "exactly one antenna (of kind handheld) on a handheld reader")
    gpi = _gpi_inputs(pl, floor, fld, str(rid), kind, raw.get("gpi", []))
    if len(pl.problems) > n0:
        return None
    return Reader(str(rid), str(kind), power, str(session), dwell, period, tuple(sorted(antennas, key=lambda a: a.port)),
                  str(trigger), gpi)


def _gpi_inputs(pl: ProblemList, floor: Floor, rfld: str, rid: str, rkind, raw: object) -> tuple[GpiInput, ...]:
    """The reader's `[[readers.gpi]]` sensors: port unique per reader, a known kind, a door of the floor and one of
    its two spaces (with geometry) as the side the beam lies on."""
    if not isinstance(raw, list):
        pl.add(rfld + "gpi", raw, "a list of [[readers.gpi]] tables")
        return ()
    if raw and rkind == "handheld":
        pl.add(rfld + "gpi", len(raw), "no GPI inputs on a handheld reader (only fixed readers are wired to sensors)")
        return ()
    out: list[GpiInput] = []
    ports: set[int] = set()
    for j, g in enumerate(raw):
        fld = f"{rfld}gpi[{j}]."
        if not isinstance(g, dict):
            pl.add(fld[:-1], g, "a [[readers.gpi]] table")
            continue
        n0 = len(pl.problems)
        port = g.get("port")
        fld = _port(pl, fld, f"{rfld}gpi", port, ports, MAX_GPI_PORT, "GPI port", "input")
        _unknown(pl, fld, g, GPI_KEYS)
        kind = _choice(pl, fld + "kind", g.get("kind"), GPI_KINDS)
        door_id, side = g.get("door"), g.get("side")
        door = floor.doors.get(door_id) if isinstance(door_id, str) else None
        if door is None:
            pl.add(fld + "door", door_id, "the id of a door of the floor (a light barrier lies across one)")
        elif side not in (door.a, door.b):
            pl.add(fld + "side", side, f"one of the door's two spaces ({door.a!r} or {door.b!r})")
        elif not floor.spaces[side].has_geometry:
            pl.add(fld + "side", side, "a space with geometry (not an off-site external place)")
        if len(pl.problems) == n0:
            out.append(GpiInput(rid, int(port), str(kind), str(door_id), str(side)))
    return tuple(sorted(out, key=lambda g: g.port))


def _port(pl, fld: str, table: str, port, ports: set[int], top: int, what: str, owner: str) -> str:
    """Check a 1-based port number unique within its reader; returns the field prefix naming the entry by its port
    once the port is good (so later problems say `antennas[port 2].` rather than `antennas[1].`)."""
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= top:
        pl.add(fld + "port", port, f"an integer {what} in [1, {top}]")
    elif port in ports:
        pl.add(fld + "port", port, f"a {what} not used by another {owner} of this reader")
    else:
        ports.add(port)
        return f"{table}[port {port}]."
    return fld


def _antenna(pl, floor: Floor, rfld: str, rid: str, rkind, j: int, raw: object, ports: set[int]) -> Antenna | None:
    fld = f"{rfld}antennas[{j}]."
    if not isinstance(raw, dict):
        pl.add(fld[:-1], raw, "a [[readers.antennas]] table")
        return None
    n0 = len(pl.problems)
    port = raw.get("port")
    fld = _port(pl, fld, f"{rfld}antennas", port, ports, MAX_PORT, "port", "antenna")
    _unknown(pl, fld, raw, ANTENNA_KEYS)
    kind = _choice(pl, fld + "kind", raw.get("kind"), ANTENNA_KINDS)
    if kind is not None and rkind is not None and (kind == "handheld") != (rkind == "handheld"):
        pl.add(fld + "kind", kind, "kind handheld exactly when the reader's kind is handheld")
    handheld = kind == "handheld"

    space_id = raw.get("space")
    space = floor.spaces.get(space_id) if isinstance(space_id, str) else None
    if space is None:
        pl.add(fld + "space", space_id, "the id of a space of the floor")
    elif not space.has_geometry:
        pl.add(fld + "space", space_id, "a space with geometry (not an off-site external place)")
        space = None
    level = raw.get("level", space.level if space is not None else None)
    if "level" in raw and level not in floor.levels:
        pl.add(fld + "level", level, f"one of the floor's levels ({', '.join(floor.levels)})")
    elif space is not None and level != space.level:
        pl.add(fld + "level", level, f"the level of space {space.id!r} ({space.level})")

    default_pos = list(space.centroid) if (handheld and space is not None) else None
    pos = raw.get("position", default_pos)
    xy: tuple[float, float] | None = None
    if not (isinstance(pos, list) and len(pos) == 2 and all(_is_number(v) for v in pos)):
        pl.add(fld + "position", pos, "[x, y] in metres" + ("" if not handheld else " (or omitted for a handheld)"))
    else:
        xy = (float(pos[0]), float(pos[1]))
        if space is not None and not space.contains(*xy):
            pl.add(fld + "position", pos, f"a point inside space {space.id!r} on level {space.level}")

    hh = {"height_m": HANDHELD_HEIGHT_M, "azimuth_deg": 0.0} if handheld else {}
    height = _number(pl, fld, raw, "height_m", *HEIGHT_RANGE_M, default=hh.get("height_m"))
    azimuth = _number(pl, fld, raw, "azimuth_deg", -360.0, 360.0, default=hh.get("azimuth_deg"))
    beam = _number(pl, fld, raw, "beamwidth_deg", *BEAMWIDTH_RANGE_DEG)
    gain = _number(pl, fld, raw, "gain_dbi", *GAIN_RANGE_DBI)
    power = _number(pl, fld, raw, "power_dbm", *POWER_RANGE_DBM) if "power_dbm" in raw else None
    isolation = _number(pl, fld, raw, "isolation_db", *ISOLATION_RANGE_DB, default=0.0)
    if isolation and kind is not None and kind not in WATCHES:
        pl.add(fld + "isolation_db", isolation, f"no isolation on a {kind} antenna (only shelf and desk antennas, "
               "which sit in the unit they watch)")

    door_id = raw.get("door", "")
    storage_id = raw.get("storage", "")
    if kind == "portal":
        door = floor.doors.get(door_id) if isinstance(door_id, str) else None
        if door is None:
            pl.add(fld + "door", door_id, "the id of a door of the floor (a portal watches one door)")
        elif space is not None and space.id not in (door.a, door.b):
            pl.add(fld + "door", door_id, f"a door of space {space.id!r} (door joins {door.a!r} and {door.b!r})")
        elif xy is not None and math.dist(xy, door.position) > PORTAL_MAX_DIST_M:
            d = math.dist(xy, door.position)
            pl.add(fld + "position", list(xy), f"within {PORTAL_MAX_DIST_M} m of door {door.id!r} (it is {d:.2f} m away)")
    elif door_id:
        pl.add(fld + "door", door_id, f"no door on a {kind} antenna (only portal antennas watch a door)")
    if kind in WATCHES:
        unit = floor.storage.get(storage_id) if isinstance(storage_id, str) else None
        if unit is None:
            pl.add(fld + "storage", storage_id, f"the id of a storage unit of the floor (a {kind} antenna watches one)")
        elif space is not None and unit.space != space.id:
            pl.add(fld + "storage", storage_id, f"a storage unit in space {space.id!r} (it is in {unit.space!r})")
        elif unit.kind not in WATCHES[kind]:
            pl.add(fld + "storage", storage_id, f"a unit of kind {' or '.join(WATCHES[kind])} (it is a {unit.kind})")
    elif storage_id:
        pl.add(fld + "storage", storage_id, f"no storage on a {kind} antenna (only shelf and desk antennas watch one)")
    if len(pl.problems) > n0:
        return None
    return Antenna(
        reader=rid, port=int(port), kind=str(kind), level=str(level), position=xy, height_m=height,
        azimuth_deg=azimuth, beamwidth_deg=beam, gain_dbi=gain, space=space.id, door=str(door_id),
        storage=str(storage_id), power_dbm=power, isolation_db=isolation or 0.0,
    )  # fmt: skip


# -- writing -----------------------------------------------------------------------------------------------------------
def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(round(v, 3))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def placement_to_toml(placement: Placement, *, description: str = "") -> str:
    """The placement as a TOML text that `load_placement` reads back to an equal Placement."""
    lines = ["[placement]", f"schema_version = {SCHEMA_VERSION}", f"name = {_toml_value(placement.name)}"]
    lines.append(f"floor = {_toml_value(placement.floor)}")
    if description:
        lines.append(f"description = {_toml_value(description)}")
    for r in placement.readers.values():
        lines += ["", "[[readers]]", f"id = {_toml_value(r.id)}", f"kind = {_toml_value(r.kind)}"]
        lines += [f"power_dbm = {_toml_value(r.power_dbm)}", f"session = {_toml_value(r.session)}"]
        lines += [f"dwell_ms = {_toml_value(r.dwell_ms)}", f"report_period_ms = {_toml_value(r.report_period_ms)}"]
        if r.trigger != "continuous":
            lines.append(f"trigger = {_toml_value(r.trigger)}")
        for a in r.antennas:
            lines += ["", "  [[readers.antennas]]", f"  port = {a.port}", f"  kind = {_toml_value(a.kind)}"]
            lines.append(f"  space = {_toml_value(a.space)}")
            if a.door:
                lines.append(f"  door = {_toml_value(a.door)}")
            if a.storage:
                lines.append(f"  storage = {_toml_value(a.storage)}")
            for key in ("position", "height_m", "azimuth_deg", "beamwidth_deg", "gain_dbi"):
                lines.append(f"  {key} = {_toml_value(getattr(a, key))}")
            if a.power_dbm is not None:
                lines.append(f"  power_dbm = {_toml_value(float(a.power_dbm))}")
            if a.isolation_db:
                lines.append(f"  isolation_db = {_toml_value(float(a.isolation_db))}")
        for g in r.gpi:
            lines += ["", "  [[readers.gpi]]", f"  port = {g.port}", f"  kind = {_toml_value(g.kind)}"]
            lines += [f"  door = {_toml_value(g.door)}", f"  side = {_toml_value(g.side)}"]
    return "\n".join(lines) + "\n"


def write_placement(placement: Placement, path: str | Path, *, description: str = "") -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(placement_to_toml(placement, description=description), encoding="utf-8")
    return p
