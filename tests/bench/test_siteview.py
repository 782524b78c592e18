"""The bench reads the real site export: every fixed antenna says a place; handhelds say none; portals their side."""

from __future__ import annotations

import pytest

from twin.bench.siteview import site_view
from twin.errors import InputError

from .tables import SITE


def test_hand_made_site():
    v = site_view(SITE)
    assert v.purpose("archive") == "archive" and v.purpose("nowhere") == "unknown"
    assert v.portal_doors == {"d-archive"}
    assert {(a.reader, a.port): (a.space, a.storage) for a in v.antennas}[("R-archive", 4)] == ("corr", "")
    assert all(a.reader != "R-hand" for a in v.antennas)


def test_flat_antenna_rows_and_problems():
    v = site_view({"antennas": [{"reader": "R1", "port": 2, "kind": "zone", "space": "corr"}]})
    assert v.antennas[0].space == "corr"
    with pytest.raises(InputError) as e:
        site_view({"antennas": [{"reader": "R1", "port": "two"}]}, source="site.json")
    assert "site.json: antennas[0].port = 'two': expected an antenna port number" in str(e.value)


def test_station_export():
    from twin.building.floorfile import load_floor
    from twin.readers.placementfile import load_placement
    from twin.readers.site import export_site
    from twin.scenario import SCENARIOS_DIR

    floor = load_floor(SCENARIOS_DIR / "floors" / "station.toml")
    placement = load_placement(SCENARIOS_DIR / "placements" / "full.toml", floor)
    v = site_view(export_site(floor, placement))
    fixed = [a for a in placement.antennas if a.kind != "handheld"]
    assert len(v.antennas) == len(fixed)
    assert all(a.space in floor.spaces for a in v.antennas)
    assert all(a.storage in floor.storage for a in v.antennas if a.storage)
    assert v.portal_doors == {a.door for a in fixed if a.kind == "portal"}
    assert set(v.spaces) == set(floor.spaces)
