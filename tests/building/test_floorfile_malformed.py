"""Each malformed floor fixture is rejected with its own specific problem (file, field, value, expectation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.building.floorfile import load_floor, validate_floor_file
from twin.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "floors"

# fixture -> (field, words the expectation must contain)
CASES = {
    "syntax_error": ("line 85, column 1", "valid TOML syntax"),
    "unknown_key": ("doors[0].colour", "unknown keys are errors"),
    "duplicate_id": ("doors[2].id", "unique across all tables (already used by spaces[1])"),
    "unknown_space": ("doors[2].a", "the id of a space in [[spaces]]"),
    "door_off_boundary": ("doors[2].position", "on the boundary of dossiers (within 0.05 m; it is 0.60 m off)"),
    "door_across_levels": ("doors[4].b", "a space on level F1 like office (doors join spaces on one level)"),
    "exterior_indoors": ("doors[2].exterior", "exterior doors lead outside"),
    "storage_through_wall": ("storage[0].position", "a footprint inside its space dossiers"),
    "unreachable_space": ("spaces[6].id", "reachable from the main entrance d-main"),
    "unknown_level": ("spaces[6].level", "the id of a level in [[levels]] (G, F1)"),
    "elevation_not_increasing": ("levels[1].elevation_m", "above the previous level's (0.0 m)"),
    "stair_to_room": ("links[0].b", "a space of kind stair (it is room)"),
    "non_convex": ("spaces[1].polygon", "a convex polygon"),
    "overlapping_spaces": ("spaces[3].polygon", "not overlapping hall (spaces[1]) on the same level"),
    "zero_width_door": ("doors[4].width_m", "a width > 0 m"),
    "negative_capacity": ("storage[1].capacity", "a capacity > 0 dossiers"),
    "schema_version": ("floor.schema_version", "1 (the only version this program reads)"),
    "bad_space_kind": ("spaces[6].kind", "one of room, corridor, stair, lift, outside, external"),
    "wrong_type": ("links[0].traversal_s", "a number"),
    "entrance_not_exterior": ("floor.entrance", "an exterior door"),
    "road_to_room": ("links[1].b", "a road joining an outside space to an external one"),
    "storage_id_prefix": ("storage[1].id", "an id starting with its space, 'dossiers/...'"),
    "external_with_polygon": ("spaces[7].polygon", "no polygon: external spaces are off-site"),
    "degenerate_polygon": ("spaces[2].polygon", "a non-degenerate polygon"),
    "missing_field": ("storage[2].capacity", "an integer (required)"),
    "shelf_facing_wall": ("storage[0].facing_deg", "a front facing into dossiers"),
}


def test_every_fixture_has_a_case():
    on_disk = {p.stem for p in FIXTURES.glob("*.toml")}
    assert on_disk == set(CASES)
    assert len(CASES) >= 12


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_floor_reports_its_problem(name):
    path = FIXTURES / f"{name}.toml"
    field, expected = CASES[name]
    problems = validate_floor_file(path)
    assert problems, f"{name} should be rejected"
    hits = [p for p in problems if p.field == field and expected in p.expected]
    assert hits, f"{name}: no problem on {field} expecting {expected!r}; got:\n" + "\n".join(map(str, problems))
    assert all(p.file.endswith(f"{name}.toml") for p in problems)
    # one mistake, reported once (the checks skip what depends on a field already found bad)
    assert len(problems) <= 2
    with pytest.raises(InputError) as err:
        load_floor(path)
    assert field in str(err.value) and expected in str(err.value)


def test_missing_file_is_a_problem_not_a_crash(tmp_path):
    problems = validate_floor_file(tmp_path / "nope.toml")
    assert len(problems) == 1 and "an existing floor file" in problems[0].expected


def test_all_problems_reported_at_once(tmp_path):
    text = (FIXTURES / "zero_width_door.toml").read_text()
    text = text.replace("capacity = 40", "capacity = 0").replace('colour = "red"', "")
    text = text.replace('kind = "room"\npurpose = "office"', 'kind = "room"\npurpose = "canteen"')
    path = tmp_path / "many.toml"
    path.write_text(text)
    fields = {p.field for p in validate_floor_file(path)}
    assert {"doors[4].width_m", "storage[1].capacity", "spaces[6].purpose"} <= fields


def test_self_intersecting_polygon_is_not_convex(tmp_path):
    text = (FIXTURES / "zero_width_door.toml").read_text().replace("width_m = 0.0", "width_m = 0.9")
    star = "[[4.0, 6.0], [6.35, -1.09], [0.2, 3.34], [7.8, 3.34], [1.65, -1.09]]"
    text = text.replace("polygon = [[0.0, 0.0], [8.0, 0.0], [8.0, 6.0], [0.0, 6.0]]", f"polygon = {star}")
    path = tmp_path / "star.toml"
    path.write_text(text)
    assert any(p.field == "spaces[1].polygon" and "convex" in p.expected for p in validate_floor_file(path))
