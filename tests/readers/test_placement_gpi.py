"""GPI inputs of a placement ([[readers.gpi]] light barriers): validation messages, round trip, the placer's pairs,
the shipped placements and site.json."""

from __future__ import annotations

import copy
import tomllib

import pytest

from twin.building.floorfile import load_floor
from twin.readers.autoplace import auto_place
from twin.readers.layouts import mini_station_floor
from twin.readers.placementfile import load_placement, parse_placement, placement_to_toml
from twin.readers.site import SITE_KEYS, export_site
from twin.scenario import SCENARIOS_DIR

FLOOR = mini_station_floor()
BASE = tomllib.loads(placement_to_toml(auto_place(FLOOR, "full")))


def portal_index(data: dict) -> int:
    return next(i for i, r in enumerate(data["readers"]) if r.get("trigger") == "gpi")


def problems_with(change) -> list:
    data = copy.deepcopy(BASE)
    change(data["readers"][portal_index(data)])
    placement, problems = parse_placement(data, FLOOR, "p.toml")
    assert placement is None
    return problems


def only(problems, field_end: str):
    hits = [p for p in problems if p.field.endswith(field_end)]
    assert len(hits) == 1 and len(problems) == 1, [str(p) for p in problems]
    return hits[0]


def test_placer_puts_two_beams_on_every_gpi_portal():
    for profile in ("full", "lean"):
        pl = auto_place(FLOOR, profile)
        for r in pl.readers.values():
            if r.trigger != "gpi":
                assert r.gpi == ()
                continue
            assert [g.port for g in r.gpi] == [1, 2]
            assert {g.kind for g in r.gpi} == {"light_barrier"}
            assert [g.door for g in r.gpi] == [r.antennas[0].door] * 2
            door = FLOOR.doors[r.antennas[0].door]
            assert r.gpi[0].side == r.antennas[0].space and {g.side for g in r.gpi} == {door.a, door.b}


def test_round_trip_keeps_the_gpi_inputs():
    pl = auto_place(FLOOR, "full")
    back, problems = parse_placement(tomllib.loads(placement_to_toml(pl)), FLOOR)
    assert problems == [] and dict(back.readers) == dict(pl.readers)
    assert any(r.gpi for r in back.readers.values())


@pytest.mark.parametrize("change, field, value, expect", [
    (lambda r: r["gpi"][0].update(port=0), "gpi[0].port", 0, "an integer GPI port in [1, 16]"),
    (lambda r: r["gpi"][0].update(port=True), "gpi[0].port", True, "an integer GPI port"),
    (lambda r: r["gpi"][1].update(port=1), "gpi[1].port", 1, "a GPI port not used by another input"),
    (lambda r: r["gpi"][0].update(kind="motion"), "gpi[port 1].kind", "motion", "one of light_barrier"),
    (lambda r: r["gpi"][0].update(door="d-nowhere"), "gpi[port 1].door", "d-nowhere", "the id of a door"),
    (lambda r: r["gpi"][0].update(side="stair1"), "gpi[port 1].side", "stair1", "one of the door's two spaces"),
    (lambda r: r["gpi"][0].update(colour="red"), "gpi[port 1].colour", "red", "one of the known keys"),
    (lambda r: r.update(gpi={"port": 1}), "].gpi", {"port": 1}, "a list of [[readers.gpi]] tables"),
    (lambda r: r["gpi"].__setitem__(0, 3), "gpi[0]", 3, "a [[readers.gpi]] table"),
])  # fmt: skip
def test_validation_names_file_field_value_and_expectation(change, field, value, expect):
    p = only(problems_with(change), field)
    assert p.file == "p.toml" and p.value == value and expect in p.expected
    assert p.field.startswith("readers[R-")


def test_no_gpi_on_a_handheld():
    data = copy.deepcopy(BASE)
    hh = next(r for r in data["readers"] if r["kind"] == "handheld")
    hh["gpi"] = [{"port": 1, "kind": "light_barrier", "door": "d-main", "side": "corr"}]
    _, problems = parse_placement(data, FLOOR, "p.toml")
    assert [p.field for p in problems] == [f"readers[{hh['id']}].gpi"]


SHIPPED = load_floor(SCENARIOS_DIR / "floors" / "station.toml")


@pytest.mark.parametrize("profile", ["full", "lean"])
def test_shipped_placements_have_beams_on_every_portal(profile):
    pl = load_placement(SCENARIOS_DIR / "placements" / f"{profile}.toml", SHIPPED)
    portals = [r for r in pl.readers.values() if r.trigger == "gpi"]
    assert portals and all(len(r.gpi) == 2 for r in portals)
    site = export_site(SHIPPED, pl)
    for r in site["readers"]:
        assert "gpi" in r
        for g in r["gpi"]:
            assert set(g) == SITE_KEYS["gpi"] and g["kind"] == "light_barrier"
    by_id = {r["id"]: r for r in site["readers"]}
    r0 = portals[0]
    assert by_id[r0.id]["gpi"] == [{"port": g.port, "kind": g.kind, "door": g.door, "side": g.side} for g in r0.gpi]
    assert all(by_id[r.id]["gpi"] == [] for r in pl.readers.values() if r.trigger != "gpi")
