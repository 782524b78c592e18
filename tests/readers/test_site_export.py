"""Site export: round-trips through JSON, covers what was installed, and leaks nothing of the hidden physics."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from twin.errors import InputError
from twin.readers.autoplace import auto_place
from twin.readers.layouts import mini_station_floor
from twin.readers.placementfile import load_placement
from twin.readers.site import SITE_KEYS, export_site, read_site, write_site

DATA = Path(__file__).resolve().parents[1] / "data" / "placements"
FLOOR = mini_station_floor()


@pytest.fixture(params=["full", "lean", "file"])
def placement(request):
    if request.param == "file":
        return load_placement(DATA / "valid.toml", FLOOR)
    return auto_place(FLOOR, request.param)


def test_round_trip(tmp_path, placement):
    path = write_site(FLOOR, placement, tmp_path / "site.json")
    assert read_site(path) == export_site(FLOOR, placement)
    # Byte-stable: exporting twice writes the same file.
    again = write_site(FLOOR, placement, tmp_path / "again.json")
    assert path.read_bytes() == again.read_bytes()


def test_only_documented_keys(placement):
    site = export_site(FLOOR, placement)
    assert set(site) == SITE_KEYS["top"]
    groups = {"levels": "level", "spaces": "space", "doors": "door", "links": "link", "storage": "storage"}
    for key, kind in groups.items():
        for obj in site[key]:
            assert set(obj) == SITE_KEYS[kind], (key, obj)
    for r in site["readers"]:
        assert set(r) == SITE_KEYS["reader"]
        for a in r["antennas"]:
            assert set(a) == SITE_KEYS["antenna"]
            assert set(a["covers"]) <= SITE_KEYS["covers"]


HIDDEN = re.compile(r"shadow|sigma|fading|exponent|path_?loss|sensitiv|drift|clock|offset|mtbf|mttr|dead|detun|truth", re.I)


def test_no_hidden_physics_leaks(placement):
    text = json.dumps(export_site(FLOOR, placement))
    keys = re.findall(r'"([A-Za-z_]+)":', text)
    assert not [k for k in keys if HIDDEN.search(k)]


def test_contents_match_floor_and_placement():
    placement = auto_place(FLOOR, "full")
    site = export_site(FLOOR, placement)
    assert [s["id"] for s in site["spaces"]] == sorted(FLOOR.spaces)
    assert site["exits"] == ["d-main"] and site["entrance"] == "d-main"
    assert site["adjacency"]["corr"] == ["dossiers", "office", "stair1", "yard"]
    assert "stair2" in site["adjacency"]["stair1"] and "court" in site["adjacency"]["yard"]
    assert {u["id"]: u["metal"] for u in site["storage"]}["dossiers/C01"] is True
    assert sum(len(r["antennas"]) for r in site["readers"]) == len(placement.antennas)
    portal = next(a for r in site["readers"] for a in r["antennas"] if a["kind"] == "portal" and a["covers"]["door"] == "d-main")
    assert {portal["covers"]["side"], portal["covers"]["other_side"]} == {"corr", "yard"}
    shelf = next(a for r in site["readers"] for a in r["antennas"] if a["covers"].get("storage") == "dossiers/C01")
    assert shelf["covers"]["space"] == "dossiers"
    hh = next(a for r in site["readers"] for a in r["antennas"] if a["kind"] == "handheld")
    assert hh["covers"]["mobile"] is True


def test_read_site_rejects_other_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "twin-site", "schema_version": 9}))
    with pytest.raises(InputError, match="schema_version"):
        read_site(bad)
    bad.write_text("{nope")
    with pytest.raises(InputError, match="readable site JSON"):
        read_site(bad)


def test_placement_for_another_floor_is_refused():
    placement = auto_place(FLOOR, "lean")
    from twin.readers.layouts import two_rooms_floor

    with pytest.raises(ValueError):
        export_site(two_rooms_floor(), placement)
