"""The default station meets the brief: a realistic two-storey county case-handling centre."""

from __future__ import annotations

from collections import Counter

import pytest
from floortools import STATION

from twin.building.floorfile import load_floor, validate_floor_file
from twin.building.graph import FloorGraph


@pytest.fixture(scope="module")
def floor():
    return load_floor(STATION)


def test_station_is_valid(floor):
    assert validate_floor_file(STATION) == []
    assert floor.schema_version == 1 and floor.entrance == "d-main"


def test_station_size_and_rooms(floor):
    purposes = Counter(s.purpose for s in floor.spaces.values())
    assert len(floor.levels) >= 2 and len(floor.spaces) >= 25
    assert purposes["office"] >= 8 and purposes["interrogation"] >= 3 and purposes["legal"] >= 1
    for p in ("reception", "duty", "case_centre", "meeting", "dossier_room", "archive", "evidence_room", "car_park",
              "court", "procuratorate", "leader"):
        assert purposes[p] >= 1, p
    kinds = Counter(s.kind for s in floor.spaces.values())
    assert kinds["stair"] >= 2 and kinds["lift"] >= 2 and kinds["external"] >= 2
    assert {lk.kind for lk in floor.links.values()} == {"stair", "lift", "road"}


def test_station_storage(floor):
    units = list(floor.storage.values())
    assert 80 <= len(units) <= 150
    kinds = Counter(u.kind for u in units)
    assert kinds["shelf"] >= 30 and kinds["desk"] >= 24 and kinds["cabinet"] >= 8 and kinds["vehicle"] >= 3
    assert all(u.metal for u in units if u.kind == "vehicle")
    assert all(u.metal for u in floor.storage_in("evidence") if u.kind == "cabinet")
    # Active dossiers rest in the dossier room and the case centre's cabinets (desks and cars are not shelving):
    # room for >= 3,000 active dossiers plus a tenth of headroom for new cases.
    shelving = sum(u.capacity for u in units if u.kind in ("shelf", "cabinet")
                   and floor.spaces[u.space].purpose in ("dossier_room", "case_centre"))
    assert shelving >= 3300
    for s in floor.spaces_with_purpose("office"):
        assert len([u for u in floor.storage_in(s.id) if u.kind == "desk"]) >= 2
    assert all(60 <= u.capacity <= 160 for u in units if u.kind == "shelf")  # a 1.2 m, 5-tier bay


def test_station_dimensions_are_plausible(floor):
    for d in floor.doors.values():
        if d.id == floor.entrance:
            assert d.width_m == 2.0
        elif d.kind == "opening":
            assert d.width_m >= 2.0
        elif not d.exterior:
            assert 0.9 <= d.width_m <= 1.2, d.id
    for s in floor.spaces_with_purpose("office"):
        xmin, ymin, xmax, ymax = s.bounds
        assert 3.5 <= xmax - xmin <= 5 and 5 <= ymax - ymin <= 7
    for s in floor.spaces.values():
        if s.kind == "corridor":
            xmin, ymin, xmax, ymax = s.bounds
            assert min(xmax - xmin, ymax - ymin) == pytest.approx(2.4)
    for lk in floor.links.values():
        if lk.kind == "road":
            assert 15 * 60 <= lk.traversal_s <= 25 * 60


def test_every_storage_unit_reachable_from_the_entrance(floor):
    g = FloorGraph(floor)
    door = floor.doors[floor.entrance]
    start = g.place_at_door(door.id, door.b)
    for uid in floor.storage:
        r = g.route(start, g.place_of_storage(uid), 1.3)
        assert r.legs[-1].space == floor.storage[uid].space
        assert r.duration_s < 300
