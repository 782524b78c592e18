"""The shipped placements of the default station: valid, up to date with the placer, and following its rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.building.floorfile import load_floor
from twin.building.model import STORAGE_PURPOSES
from twin.readers.autoplace import auto_place
from twin.readers.placementfile import load_placement

ROOT = Path(__file__).resolve().parents[2]
FLOOR = load_floor(ROOT / "scenarios" / "floors" / "station.toml")


@pytest.mark.parametrize("profile", ["full", "lean"])
def test_shipped_placement_is_valid_and_regenerated(profile):
    shipped = load_placement(ROOT / "scenarios" / "placements" / f"{profile}.toml", FLOOR)
    # The committed file is exactly what the placer makes of the committed floor (re-run autoplace if this fails).
    assert dict(shipped.readers) == dict(auto_place(FLOOR, profile).readers)


def test_full_covers_exterior_storage_and_office_doors():
    p = load_placement(ROOT / "scenarios" / "placements" / "full.toml", FLOOR)
    watched = {a.door for a in p.antennas if a.kind == "portal"}
    for d in FLOOR.doors.values():
        purposes = {FLOOR.spaces[d.a].purpose, FLOOR.spaces[d.b].purpose}
        if d.exterior or purposes & set(STORAGE_PURPOSES) or purposes & {"office", "legal", "leader"}:
            assert d.id in watched, d.id
    assert {a.storage for a in p.antennas if a.kind == "desk"} == {u.id for u in FLOOR.storage.values() if u.kind == "desk"}
    assert all(len(r.antennas) <= 32 for r in p.readers.values())


def test_lean_is_exterior_and_storage_rooms_only():
    p = load_placement(ROOT / "scenarios" / "placements" / "lean.toml", FLOOR)
    for a in p.antennas:
        if a.kind == "portal":
            d = FLOOR.doors[a.door]
            assert d.exterior or {FLOOR.spaces[d.a].purpose, FLOOR.spaces[d.b].purpose} & set(STORAGE_PURPOSES)
        else:
            assert FLOOR.spaces[a.space].purpose in STORAGE_PURPOSES
    assert sum(r.kind == "handheld" for r in p.readers.values()) == 3
