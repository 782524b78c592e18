"""Shelf-by-shelf sweeps: a label scan (sweep_unit) at every unit in walking order, the handheld held along each
unit's face inside the room."""

import math

import numpy as np
import pytest
import simpy

from twin.agents.journal import Journal
from twin.agents.ledger import Ledger
from twin.agents.population import build_population, start_agents
from twin.agents.sweep import HOLD_ALONG, HOLD_GAP_M, HOLD_S, LABEL_S, hold_points, sweep_rooms
from twin.rng import Streams

from .conftest import small

HANDHELDS = {"H-archive": "archive", "H-dossier-room": "dossier-room"}


def test_hold_points_in_front_of_the_face(floor):
    for u in ("dossier-room/S01", "dossier-room/S04", "dossier-room/C01", "archive/S10"):
        unit = floor.storage[u]
        pts = hold_points(floor, u)
        assert len(pts) == len(HOLD_ALONG)
        a = math.radians(unit.facing_deg)
        for p, f in zip(pts, HOLD_ALONG):
            dx, dy = p.xy[0] - unit.position[0], p.xy[1] - unit.position[1]
            # along the facing: half the depth plus the gap; across: the share of the width
            assert dx * math.cos(a) + dy * math.sin(a) == pytest.approx(unit.depth_m / 2 + HOLD_GAP_M)
            assert -dx * math.sin(a) + dy * math.cos(a) == pytest.approx(f * unit.width_m)
            assert p.space == unit.space and floor.spaces[unit.space].contains(*p.xy)


@pytest.fixture(scope="module")
def sweep_day(base_scenario, floor, graph):
    scn = small(base_scenario, population={"active_dossiers": 200}, behaviour={"sweep_at": "09:00"})
    pop = build_population(scn, floor, graph, Streams(1).generator("population"))
    env = simpy.Environment()
    led = Ledger(floor, scn.start_us, clock=lambda: env.now)
    jr = Journal(scn.start_us)
    st = start_agents(env, pop, led, jr, graph, scn, Streams(1).child("agents"), handheld_readers=HANDHELDS)
    env.run(until=11 * 3600.0)
    ev, _ = jr.drain()
    return st, [r for r in ev.to_pylist() if r["kind"].startswith("sweep")]


def test_every_unit_scanned_in_order_between_start_and_end(sweep_day):
    st, rows = sweep_day
    rooms = {space: units for _, space, units in sweep_rooms(st)}
    assert [r["kind"] for r in rows if r["kind"] != "sweep_unit"] == ["sweep_start", "sweep_end"] * 2
    k = 0
    for space in ("dossier-room", "archive"):
        start, end = rows[k], rows[k + 1 + len(rooms[space])]
        units = rows[k + 1 : k + 1 + len(rooms[space])]
        reader = f"H-{space}"
        assert start["detail"].split()[:2] == [reader, space] and end["kind"] == "sweep_end"
        assert [r["detail"] for r in units] == [f"{reader} {u}" for u in rooms[space]]
        t = np.array([start["t_us"]] + [r["t_us"] for r in units] + [end["t_us"]])
        assert (np.diff(t) > 0).all()
        per_unit_s = np.diff(t[1:]) / 1e6  # label, the stops, the short steps between them and to the next unit
        assert per_unit_s.min() >= LABEL_S + len(HOLD_ALONG) * HOLD_S
        assert per_unit_s.max() < LABEL_S + len(HOLD_ALONG) * HOLD_S + 10.0
        k += 2 + len(rooms[space])


def test_handheld_aimed_at_each_units_face_while_scanned(sweep_day):
    """The handheld's track carries its aim: standing at a unit's stops it points at the unit's face (the unit's
    facing + 180 deg), walking on to the next unit it points along the walk. (Runs last: it pulls the day's
    segments from the ledger.)"""
    from twin.agents.sweep import aim_deg

    st, rows = sweep_day
    st.ledger.segments(0.0, 11 * 3600.0)
    hh = st.ledger.handheld_antennas(0.0, 11 * 3600.0)
    assert len(hh) and "azimuth_deg" in hh.dtype.names
    units = [r for r in rows if r["kind"] == "sweep_unit"]
    ends = [r["t_us"] for r in rows if r["kind"] == "sweep_end"]
    checked = 0
    for k, r in enumerate(units):
        reader, unit = r["detail"].split()
        nxt = min([u["t_us"] for u in units[k + 1:]] + [e for e in ends if e > r["t_us"]])
        mine = hh[(hh["reader"] == reader.encode()) & (hh["t0_us"] >= r["t_us"]) & (hh["t1_us"] <= nxt)]
        still = mine[(mine["x0"] == mine["x1"]) & (mine["y0"] == mine["y1"])]
        assert len(still) >= len(HOLD_ALONG)  # the label scan and the stops
        assert np.allclose(still["azimuth_deg"], aim_deg(st.floor, unit))
        checked += 1
    assert checked == len(units)
    walking = hh[(hh["x0"] != hh["x1"]) | (hh["y0"] != hh["y1"])]
    along = np.degrees(np.arctan2(walking["y1"] - walking["y0"], walking["x1"] - walking["x0"]))
    aimed = np.abs((walking["azimuth_deg"] - along + 180.0) % 360.0 - 180.0) > 1e-6
    # moving and aimed: only the short steps between the stops of one unit, along its face
    assert 0 < aimed.sum() < len(walking)
    assert not np.isnan(hh["azimuth_deg"]).any()  # on only while sweeping: always aimed or walking


def test_aim_is_against_the_units_facing(floor):
    from twin.agents.sweep import aim_deg

    for u in ("dossier-room/S01", "dossier-room/C01", "archive/S10"):
        f = floor.storage[u].facing_deg
        assert aim_deg(floor, u) == pytest.approx((f + 180.0) % 360.0)
        assert 0.0 <= aim_deg(floor, u) < 360.0
