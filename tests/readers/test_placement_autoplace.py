"""The rule-based placer: portals on the right doors, one antenna per shelf/cabinet, desk pads, handhelds."""

from __future__ import annotations

import math

import pytest

from twin.building.model import STORAGE_PURPOSES
from twin.readers.autoplace import PORTAL_OFFSET_M, PORTAL_SIDE_M, PORTAL_STORAGE_DBM, auto_place
from twin.readers.layouts import mini_station_floor
from twin.readers.placementfile import PORTAL_MAX_DIST_M

FLOOR = mini_station_floor()


def _portal_doors(placement):
    return {a.door for a in placement.antennas if a.kind == "portal"}


def test_full_profile_portals_storage_office_and_exterior_doors():
    p = auto_place(FLOOR, "full")
    assert _portal_doors(p) == {"d-main", "d-dossiers", "d-archive", "d-office"}


def test_lean_profile_only_exterior_and_storage_rooms():
    p = auto_place(FLOOR, "lean")
    assert _portal_doors(p) == {"d-main", "d-dossiers", "d-archive"}
    assert not [a for a in p.antennas if a.kind in ("desk", "zone")]


@pytest.mark.parametrize("profile", ["full", "lean"])
def test_portal_antennas_one_each_side_facing_away_from_the_door(profile):
    p = auto_place(FLOOR, profile)
    for door_id in _portal_doors(p):
        door = FLOOR.doors[door_id]
        ants = [a for a in p.antennas if a.door == door_id]
        assert sorted(a.space for a in ants) == sorted([door.a, door.b])
        assert len({a.reader for a in ants}) == 1
        for a in ants:
            assert math.dist(a.position, door.position) == pytest.approx(math.hypot(PORTAL_OFFSET_M, PORTAL_SIDE_M))
            assert math.dist(a.position, door.position) <= PORTAL_MAX_DIST_M
            assert FLOOR.spaces[a.space].contains(*a.position)
            # over the door, looking away from it into its own side's approach (the door behind the antenna)
            from_door = math.degrees(math.atan2(a.position[1] - door.position[1], a.position[0] - door.position[0]))
            assert abs((a.azimuth_deg - from_door + 180) % 360 - 180) < 10
            storage = {FLOOR.spaces[door.a].purpose, FLOOR.spaces[door.b].purpose} & set(STORAGE_PURPOSES)
            assert a.power_dbm == (PORTAL_STORAGE_DBM if storage else None)  # a storage room's portal turned down


def test_one_antenna_per_shelf_and_cabinet_and_desk():
    p = auto_place(FLOOR, "full")
    watched = sorted(a.storage for a in p.antennas if a.storage)
    expected = sorted(u.id for u in FLOOR.storage.values() if u.kind in ("shelf", "cabinet", "desk"))
    assert watched == expected


def test_handhelds_kept_in_storage_rooms():
    p = auto_place(FLOOR, "lean")
    hh = [r for r in p.readers.values() if r.kind == "handheld"]
    assert sorted(r.antennas[0].space for r in hh) == ["archive", "dossiers"]


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError):
        auto_place(FLOOR, "cheap")
