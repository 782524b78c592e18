"""Desk pads: mounting, per-port power, isolation and the storage-wall shield of the placer; the unit audit."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from twin.building.floorfile import load_floor
from twin.readers import rf
from twin.readers.autoplace import DESK, DESK_SHIELD_DB, DESK_SHIELD_RANGE_M, auto_place, storage_wall_m
from twin.readers.unitaudit import summary, unit_audit
from twin.records import READ_DTYPE, TRUTH_SCHEMA

FLOOR = load_floor("scenarios/floors/station.toml")
PLACEMENT = auto_place(FLOOR, "full")


def _desks():
    return [a for a in PLACEMENT.antennas if a.kind == "desk"]


def test_every_desk_pad_sits_under_its_desk_with_its_own_power_and_isolation():
    desks = _desks()
    assert len(desks) == sum(1 for u in FLOOR.storage.values() if u.kind == "desk")
    for a in desks:
        u = FLOOR.storage[a.storage]
        assert a.position == pytest.approx(u.position, abs=1e-3)
        assert a.height_m == DESK["height_m"] < rf.RFParams().tag_height_m  # under the desktop, files above it
        assert a.power_dbm == DESK["power_dbm"]
        near = storage_wall_m(FLOOR, FLOOR.spaces[a.space], a.position) <= DESK_SHIELD_RANGE_M
        assert a.isolation_db == DESK["isolation_db"] + (DESK_SHIELD_DB if near else 0.0)


def test_legal3_desks_next_to_the_dossier_room_are_shielded():
    shielded = {a.storage for a in _desks() if a.isolation_db > DESK["isolation_db"]}
    assert {"legal-3/D1", "legal-3/D2"} <= shielded
    assert all(storage_wall_m(FLOOR, FLOOR.spaces[FLOOR.storage[s].space], FLOOR.storage[s].position)
               <= DESK_SHIELD_RANGE_M for s in shielded)  # fmt: skip


def test_pad_reads_its_desk_and_not_the_shelf_behind_the_wall():
    # closed form (rf.mean_detection_probability, isolation folded into the transmit power as the engine does):
    # a file on the desk, 0.3 m straight above the pad, against a dossier on shelf S03 0.76 m away through one wall.
    pad = next(a for a in _desks() if a.storage == "legal-3/D1")
    s03 = FLOOR.storage["dossier-room/S03"]
    v = rf.RFParams().min_vertical_m
    horiz = math.dist(pad.position, s03.position)
    off = math.degrees(math.atan2(horiz, v))
    own = rf.mean_detection_probability(v, pad.power_dbm, pad.gain_dbi, 0.0, pad.beamwidth_deg)[0]
    before = rf.mean_detection_probability(math.hypot(horiz, v), pad.power_dbm, pad.gain_dbi, off, pad.beamwidth_deg,
                                           walls=1)[0]  # fmt: skip
    after = rf.mean_detection_probability(math.hypot(horiz, v), pad.power_dbm - pad.isolation_db, pad.gain_dbi, off,
                                          pad.beamwidth_deg, walls=1)[0]  # fmt: skip
    assert own > 0.5  # `after` is an upper bound: the engine takes the isolation off the backscatter twice
    assert before > 0.05  # the fault: without isolation the pad heard the shelf through the wall, cycle after cycle
    assert after < 1e-3


def _read(t_s, reader, port, epc, rssi, count=1):
    r = np.zeros(1, READ_DTYPE)
    r["t_us"], r["reader"], r["antenna"] = t_s * 10**6, reader, port
    r["epc"], r["rssi_dbm"], r["count"] = epc, rssi, count
    return r


def test_unit_audit_classes_reads_by_where_the_tag_was():
    pad = next(a for a in _desks() if a.storage == "legal-3/D1")
    rid, port = pad.reader, pad.port
    e_own, e_wall, e_held = "E" * 24, "F" * 24, "A" * 24
    truth = pa.Table.from_pylist([
        {"epc": e_own, "tag_kind": "dossier", "t0_us": 0, "t1_us": 100 * 10**6, "space": "legal-3",
         "storage": "legal-3/D1", "holder": ""},
        {"epc": e_wall, "tag_kind": "dossier", "t0_us": 0, "t1_us": 100 * 10**6, "space": "dossier-room",
         "storage": "dossier-room/S03", "holder": ""},
        {"epc": e_held, "tag_kind": "dossier", "t0_us": 0, "t1_us": 50 * 10**6, "space": "legal-3", "storage": "",
         "holder": "officer-1"},
        {"epc": e_held, "tag_kind": "dossier", "t0_us": 50 * 10**6, "t1_us": 100 * 10**6, "space": "legal-3",
         "storage": "legal-3/D1", "holder": ""},
    ], schema=TRUTH_SCHEMA)  # fmt: skip
    reads = np.concatenate([_read(10, rid, port, e_own, -30, 3), _read(20, rid, port, e_wall, -50, 2),
                            _read(30, rid, port, e_held, -60), _read(60, rid, port, e_held, -20),
                            _read(200, rid, port, e_own, -30)])  # fmt: skip  (the last: after truth ends, unjoined)
    rows = unit_audit(reads, truth, PLACEMENT)
    got = {(r.where, r.tag_space, r.tag_unit): (r.tags, r.reads, r.rssi_min, r.rssi_max) for r in rows}
    assert got == {("own", "legal-3", "legal-3/D1"): (2, 4, -30, -20),
                   ("unit", "dossier-room", "dossier-room/S03"): (1, 2, -50, -50),
                   ("carried", "legal-3", ""): (1, 1, -60, -60)}  # fmt: skip
    s = summary(rows)["desk"]
    assert s["other_space_read_share"] == pytest.approx(2 / 7)
    assert s["foreign_read_share"] == pytest.approx(3 / 7)
    assert s["other_space_rssi"] == [-50, -50]
