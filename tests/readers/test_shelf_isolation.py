"""Shelf-level RF: per-antenna power and bay isolation in placement files and the engine; the shelf audit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa
import pytest

from twin.readers.autoplace import SHELF, auto_place
from twin.readers.engine import ReaderEngine
from twin.readers.layouts import mini_station_floor
from twin.readers.placement import Placement, Reader
from twin.readers.placementfile import parse_placement, placement_to_toml
from twin.readers.segments import TagSegments
from twin.readers.shelfaudit import shelf_audit
from twin.records import READ_DTYPE, TRUTH_SCHEMA
from twin.rng import Streams

FLOOR = mini_station_floor()


def _toml_roundtrip(p: Placement) -> Placement:
    import tomllib

    q, problems = parse_placement(tomllib.loads(placement_to_toml(p)), FLOOR)
    assert problems == []
    return q


def test_autoplace_shelf_antennas_carry_port_power_and_isolation():
    p = auto_place(FLOOR, "full")
    shelves = [a for a in p.antennas if a.kind == "shelf"]
    assert shelves and all(a.power_dbm == SHELF["power_dbm"] and a.isolation_db == SHELF["isolation_db"]
                           for a in shelves)  # fmt: skip
    for a in shelves:  # on the unit's front face, facing the way the unit faces
        u = FLOOR.storage[a.storage]
        assert a.azimuth_deg == pytest.approx(u.facing_deg % 360.0)
        assert FLOOR.spaces[a.space].contains(*a.position)
        assert p.readers[a.reader].power_of(a) == SHELF["power_dbm"] < p.readers[a.reader].power_dbm
    q = _toml_roundtrip(p)
    assert q.antennas == p.antennas


@pytest.mark.parametrize("key,value,expected", [
    ("power_dbm", 40.0, "a number in [0, 33]"),
    ("isolation_db", -1.0, "a number in [0, 60]"),
])  # fmt: skip
def test_antenna_power_and_isolation_ranges(key, value, expected):
    import tomllib

    data = tomllib.loads(placement_to_toml(auto_place(FLOOR, "full")))
    ant = next(a for r in data["readers"] for a in r["antennas"] if a["kind"] == "shelf")
    ant[key] = value
    _, problems = parse_placement(data, FLOOR)
    assert any(pr.field.endswith(key) and pr.expected == expected for pr in problems)


def test_isolation_only_on_antennas_in_a_unit():
    import tomllib

    data = tomllib.loads(placement_to_toml(auto_place(FLOOR, "full")))
    ant = next(a for r in data["readers"] for a in r["antennas"] if a["kind"] == "portal")
    ant["isolation_db"] = 10.0
    _, problems = parse_placement(data, FLOOR)
    assert [pr.field for pr in problems if pr.field.endswith("isolation_db")]


def _reads_of(placement: Placement, container: int, seed: int = 3) -> np.ndarray:
    eng = ReaderEngine(FLOOR, placement, None, Streams(seed))
    n = 200
    epc = np.array([f"E2801160{i:016X}" for i in range(n)], dtype="S24")
    unit = FLOOR.storage["dossiers/S01"]
    x = np.full(n, unit.access_point[0])
    y = np.full(n, unit.access_point[1])
    return eng.generate(0, 120_000_000, TagSegments.static(epc, 0, x, y, 0, 120_000_000, container=container))


def test_isolation_silences_tags_outside_the_bay_only():
    """Same tags, same spot: in the antenna's unit they are read; outside it (not in any unit) 60 dB quiets them."""
    p = auto_place(FLOOR, "full")
    rid, port = next((a.reader, a.port) for a in p.antennas if a.storage == "dossiers/S01")
    r = p.readers[rid]
    ants = tuple(replace(a, isolation_db=60.0) if a.port == port else a for a in r.antennas)
    q = Placement(p.name, p.source, 1, p.floor, {rid: Reader(rid, r.kind, r.power_dbm, r.session, r.dwell_ms,
                                                            r.report_period_ms, ants, r.trigger)})
    own = list(FLOOR.storage).index("dossiers/S01")
    inside = _reads_of(q, own)
    outside = _reads_of(q, -1)
    hit = lambda rows: len(np.unique(rows["epc"][(rows["reader"] == rid.encode()) & (rows["antenna"] == port)]))  # noqa: E731
    assert hit(inside) > 100 and hit(outside) == 0


def test_port_power_overrides_reader_power():
    p = auto_place(FLOOR, "full")
    rid, port = next((a.reader, a.port) for a in p.antennas if a.storage == "dossiers/S01")
    r = p.readers[rid]
    loud = {rid: replace(r, antennas=tuple(replace(a, power_dbm=30.0) for a in r.antennas))}
    quiet = {rid: replace(r, antennas=tuple(replace(a, power_dbm=0.0) for a in r.antennas))}
    own = list(FLOOR.storage).index("dossiers/S01")
    n_loud = len(np.unique(_reads_of(Placement("l", "", 1, p.floor, loud), own)["epc"]))
    n_quiet = len(np.unique(_reads_of(Placement("q", "", 1, p.floor, quiet), own)["epc"]))
    assert n_loud > n_quiet


def _truth(rows):
    return pa.Table.from_pylist([dict(zip(TRUTH_SCHEMA.names, r)) for r in rows], schema=TRUTH_SCHEMA)


def test_shelf_audit_known_answer():
    p = auto_place(FLOOR, "full")
    own = next(a for a in p.antennas if a.storage == "dossiers/S01")
    zone_or_other = next(a for a in p.antennas if a.kind != "handheld" and a.storage != "dossiers/S01")
    truth = _truth([
        ("E1", "dossier", 0, 100, "dossiers", "dossiers/S01", ""),  # own loudest, another antenna most read
        ("E2", "dossier", 0, 100, "dossiers", "dossiers/S01", ""),  # only another antenna reads it
        ("E3", "dossier", 0, 100, "dossiers", "dossiers/S01", ""),  # never read
        ("E1", "dossier", 100, 200, "dossiers", "", "officer-1"),  # carried: not a stay
    ])  # fmt: skip
    rows = np.zeros(4, READ_DTYPE)
    for i, (t, a, epc, rssi, n) in enumerate([(10, own, "E1", -40, 1), (20, zone_or_other, "E1", -60, 5),
                                              (30, zone_or_other, "E2", -50, 1), (150, zone_or_other, "E1", -20, 9)]):
        rows[i]["t_us"], rows[i]["reader"], rows[i]["antenna"] = t, a.reader.encode(), a.port
        rows[i]["epc"], rows[i]["rssi_dbm"], rows[i]["count"] = epc.encode(), rssi, n
    a = shelf_audit(rows, truth, p)
    assert (a.stays, a.read, a.own_read, a.own_loudest, a.own_most_read) == (3, 2, 1, 1, 0)
    assert a.never_read_share == pytest.approx(1 / 3) and a.own_loudest_share == pytest.approx(0.5)
    assert a.by_space["dossiers"]["stays"] == 3
