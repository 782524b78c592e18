"""The oracle's joint-evidence rules on hand-made inputs: the off-site prior from stage events, portal passes (two
antennas of a door; either side may cross in each step of a pass), and co-motion (a dossier crossing with a badge follows it)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa

from twin.bench.oracle import OracleCore
from twin.bench.oracle_comotion import CoMotion
from twin.bench.oracle_filter import passing, portal_steps
from twin.building.model import Space
from twin.readers.placement import Antenna, Placement, Reader
from twin.readers.site import export_site
from twin.records import EVENTS_SCHEMA

from .test_oracle import T0, floor

S = 1_000_000


def _site():
    f = floor()
    spaces = dict(f.spaces)
    spaces["procuratorate"] = Space("procuratorate", "Procuratorate", "external", "external", "")
    f = dataclasses.replace(f, spaces=spaces)

    def ant(port, xy, az, space):
        return Antenna("R-p", port, "portal", "L1", xy, 2.2, az, 70.0, 6.0, space, door="d-ab")

    readers = {
        "R-p": Reader("R-p", "fixed", 30.0, "S1", 200.0, 1000.0, (ant(1, (7.6, 3.0), 0.0, "a"),
                                                                  ant(2, (8.4, 3.0), 180.0, "b"))),
        "R-b": Reader("R-b", "fixed", 30.0, "S1", 200.0, 1000.0, (
            Antenna("R-b", 1, "zone", "L1", (12.0, 3.0), 2.7, 0.0, 70.0, 6.0, "b"),)),
    }
    pl = Placement("oracle-test", "<tests>", 1, "oracle-test", readers)
    return f, pl


def _core():
    f, pl = _site()
    return OracleCore(export_site(f, pl), {"floor": f, "placement": pl, "rf_seed": 1})


def _events(rows):
    cols = {c: [] for c in EVENTS_SCHEMA.names}
    for r in rows:
        for c in EVENTS_SCHEMA.names:
            cols[c].append(r.get(c, 0 if c in ("t_us", "deadline_us") else ""))
    return pa.table(cols, schema=EVENTS_SCHEMA)


def _ids(core, *epcs):
    return core._epcs.ids(np.array([e.encode() for e in epcs], dtype="S24"))


D1, D2, BADGE = "2C" + "0" * 21 + "1", "2C" + "0" * 21 + "2", "2D" + "0" * 21 + "9"


def test_stage_sends_unread_dossiers_off_site_until_checkin():
    core = _core()
    core.apply(_events([{"t_us": T0, "kind": "register", "case": "K1", "epc": D1},
                        {"t_us": T0, "kind": "register", "case": "K1", "epc": D2},
                        {"t_us": T0 + S, "kind": "stage", "case": "K1", "stage": "arrest_approval"}]))
    est = core.advance(T0 + 60 * S).estimates
    got = dict(zip(est["epc"].to_pylist(), est["space"].to_pylist()))
    assert got == {D1: "procuratorate", D2: "procuratorate"}
    assert set(est["t_us"].to_pylist()) == {T0 + S}
    # a dossier registered to a case already away goes there too; a checkin clears the case
    core.apply(_events([{"t_us": T0 + 61 * S, "kind": "checkin", "case": "K1", "epc": D1},
                        {"t_us": T0 + 62 * S, "kind": "register", "case": "K2", "epc": BADGE[:-1] + "3"}]))
    assert D1 not in core.offsite.away and D2 in core.offsite.away


def test_stage_does_not_move_a_dossier_its_reads_placed():
    core = _core()
    i = int(_ids(core, D1)[0])
    core._grow()
    core.read_ever[i] = True
    core.apply(_events([{"t_us": T0, "kind": "register", "case": "K1", "epc": D1},
                        {"t_us": T0 + S, "kind": "stage", "case": "K1", "stage": "transferred"}]))
    assert core.sup[i, 0] < 0 and not core._event_rows


def test_passing_needs_two_antennas_of_the_door():
    core = _core()
    a1, a2 = (core.m.ant_index[(b"R-p", p)] for p in (1, 2))
    zone = core.m.ant_index[(b"R-b", 1)]
    assert core.ant_door[a1] == core.ant_door[a2] == 0 and core.ant_door[zone] == -1
    assert {int(core.ant_side[a1]), int(core.ant_side[a2])} == {0, 1}
    r_i = np.array([0, 0, 1, 1, 2])
    ant = np.array([a1, a2, a1, a1, zone])
    assert passing(core, r_i, ant).tolist() == [True, True, False, False, False]


def test_portal_steps_let_either_side_cross_in_each_step_of_a_pass():
    core = _core()
    a1, a2 = (core.m.ant_index[(b"R-p", p)] for p in (1, 2))
    zone = core.m.ant_index[(b"R-b", 1)]
    # tag row 0 passes (both antennas) over steps 1-2; row 1 is heard by one antenna only; row 2 by the zone reader
    r_i = np.array([0, 0, 0, 1, 1, 2])
    ant = np.array([a1, a2, a2, a1, a1, zone])
    step = np.array([1, 1, 2, 1, 3, 1])
    pk = portal_steps(core, r_i, ant, step)
    assert sorted(map(tuple, pk.tolist())) == [(1, 0, 0, 0), (1, 0, 0, 1), (2, 0, 0, 0), (2, 0, 0, 1)]
    assert pk[:, 0].tolist() == sorted(pk[:, 0].tolist())


def test_comotion_links_a_dossier_crossing_with_a_badge_and_follows_it():
    core = _core()
    d, b, x = (int(i) for i in _ids(core, D1, BADGE, D2))
    core._grow()
    a1, a2 = (core.m.ant_index[(b"R-p", p)] for p in (1, 2))
    cm = CoMotion()
    tag = np.array([d, d, b, b, x])
    ant = np.array([a1, a2, a1, a2, a1])  # x: heard at the door 20 s later, not with the badge
    t = T0 + S * np.array([1, 2, 1, 2, 21])
    z = np.zeros(0, np.int64)
    cm.step(core, tag, ant, t, (z, z, z, np.zeros(0)))
    assert cm.links == {d: b}
    # the badge's estimate moves to b: the dossier's follows it, its own row gives way
    gen_b = int(core.gen_of_space[core.m.space_ids.index("b")][0])
    gen_a = int(core.gen_of_space[core.m.space_ids.index("a")][0])
    rows = (np.array([T0 + 3 * S, T0 + 3 * S]), np.array([b, d]), np.array([gen_b, gen_a]), np.array([0.9, 0.8]))
    rt, rtag, rc, _ = cm.step(core, z, z, z, rows)
    got = sorted(zip(rtag.tolist(), [core.m.space_ids[core.m.c_space[c]] for c in rc]))
    assert got == sorted([(b, "b"), (d, "b")])
    assert core.m.c_space[core.sup[d, 0]] == core.m.space_ids.index("b")
    # the badge crosses again without the dossier: the link ends
    cm.step(core, np.array([b, b]), np.array([a2, a1]), T0 + S * np.array([30, 31]), (z, z, z, np.zeros(0)))
    assert cm.links == {}


def test_doorway_places_sit_inside_each_side_of_a_portal_door():
    """Each portal-watched door gets a doorway place on either side: generic places of that side's space whose
    sample points lie inside it, within 1.5 m of the door (a tag a portal hears passing is there, not anywhere)."""
    from twin.bench.oracle_model import DOOR_IN_M, _doorway_points

    core = _core()
    m = core.m
    door = next(iter(m.floor.doors.values()))
    for side in (door.a, door.b):
        sp = m.floor.spaces[side]
        pts = _doorway_points(m.floor, door, sp)
        assert pts is not None and len(pts) >= 3
        assert all(sp.contains(*p) for p in pts)
        d = np.hypot(*(pts - np.asarray(door.position)).T)
        assert d.max() <= np.hypot(max(DOOR_IN_M), 0.4) + 1e-9
    # one more generic place per side than the centroid and "anywhere" ones
    for side in (door.a, door.b):
        s = m.space_ids.index(side)
        assert len(core.gen_of_space[s]) == 3
