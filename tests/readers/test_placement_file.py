"""Placement files: the valid fixture loads, every malformed fixture gives its specific message, writing round-trips."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.errors import InputError
from twin.readers.autoplace import auto_place
from twin.readers.layouts import mini_station_floor
from twin.readers.placementfile import (
    load_placement,
    parse_placement,
    placement_to_toml,
    validate_placement_file,
    write_placement,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "placements"
FLOOR = mini_station_floor()


def test_valid_fixture_loads():
    p = load_placement(DATA / "valid.toml", FLOOR)
    assert p.name == "mini-valid" and p.floor == "mini-station" and p.schema_version == 1
    assert set(p.readers) == {"R-main", "R-dossiers", "R-desk-office-D1", "H-archive"}
    portal = p.antenna("R-main", 2)
    assert (portal.kind, portal.space, portal.door, portal.level) == ("portal", "yard", "d-main", "L1")
    assert p.antenna("R-dossiers", 1).storage == "dossiers/S01"
    hh = p.antenna("H-archive", 1)
    # A handheld without a position is kept at the centroid of its space, on that space's level.
    assert hh.position == pytest.approx(FLOOR.spaces["archive"].centroid) and hh.level == "L2"
    assert validate_placement_file(DATA / "valid.toml", FLOOR) == []


MALFORMED = [
    ("duplicate_reader_id", "readers[1].id", "an id not used by another reader"),
    ("duplicate_port", "readers[R-main].antennas[1].port", "a port not used by another antenna of this reader"),
    ("port_out_of_range", "readers[R-dossiers].antennas[1].port", "an integer port in [1, 32]"),
    ("unknown_space", "readers[R-desk-office-D1].antennas[port 1].space", "the id of a space of the floor"),
    ("position_outside_space", "readers[R-dossiers].antennas[port 2].position", "a point inside space 'dossiers'"),
    ("portal_unknown_door", "readers[R-main].antennas[port 2].door", "the id of a door of the floor"),
    ("portal_door_not_of_space", "readers[R-main].antennas[port 2].door", "a door of space 'yard'"),
    ("portal_far_from_door", "readers[R-main].antennas[port 2].position", "within 1.5 m of door 'd-main'"),
    ("shelf_storage_other_space", "readers[R-dossiers].antennas[port 1].storage", "a storage unit in space 'dossiers'"),
    ("desk_antenna_on_shelf", "readers[R-desk-office-D1].antennas[port 1].storage", "a unit of kind desk"),
    ("door_on_shelf_antenna", "readers[R-dossiers].antennas[port 1].door", "no door on a shelf antenna"),
    ("level_mismatch", "readers[R-dossiers].antennas[port 2].level", "the level of space 'dossiers' (L1)"),
    ("power_too_high", "readers[R-dossiers].power_dbm", "a number in [0, 33]"),
    ("gain_out_of_range", "readers[R-desk-office-D1].antennas[port 1].gain_dbi", "a number in [-10, 12]"),
    ("missing_gain", "readers[R-main].antennas[port 2].gain_dbi", "(required)"),
    ("unknown_key", "readers[R-desk-office-D1].antennas[port 1].colour", "one of the known keys"),
    ("wrong_floor", "placement.floor", "the name of the floor it is validated against ('mini-station')"),
    ("schema_version", "placement.schema_version", "1"),
    ("session", "readers[H-archive].session", "one of S0, S1, S2, S3"),
    ("handheld_kind_on_fixed", "readers[R-desk-office-D1].antennas[port 1].kind", "kind handheld exactly when"),
    ("toml_syntax", "toml", "valid TOML"),
]


@pytest.mark.parametrize("name, field, expected", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_fixture_names_its_problem(name, field, expected):
    path = DATA / f"bad_{name}.toml"
    problems = validate_placement_file(path, FLOOR)
    assert problems, f"{path.name} should be rejected"
    first = problems[0]
    assert first.file.endswith(path.name)
    assert first.field == field
    assert expected in first.expected
    with pytest.raises(InputError) as err:
        load_placement(path, FLOOR)
    assert path.name in str(err.value) and field in str(err.value)


def test_every_malformed_fixture_is_tested():
    on_disk = {p.stem.removeprefix("bad_") for p in DATA.glob("bad_*.toml")}
    assert on_disk == {m[0] for m in MALFORMED}


def test_missing_file_is_a_problem(tmp_path):
    problems = validate_placement_file(tmp_path / "nope.toml", FLOOR)
    assert [p.field for p in problems] == ["file"]


def test_toml_syntax_problem_gives_line():
    (problem,) = validate_placement_file(DATA / "bad_toml_syntax.toml", FLOOR)
    assert "line" in str(problem.value)


@pytest.mark.parametrize("profile", ["full", "lean"])
def test_written_placement_reads_back_equal(tmp_path, profile):
    placement = auto_place(FLOOR, profile)
    path = write_placement(placement, tmp_path / f"{profile}.toml", description="test")
    again = load_placement(path, FLOOR)
    assert dict(again.readers) == dict(placement.readers)
    assert again.name == placement.name


@settings(max_examples=40, deadline=None)
@given(
    power=st.floats(-5, 40, allow_nan=False),
    gain=st.floats(-15, 20, allow_nan=False),
    port=st.integers(-2, 40),
)
def test_ranges_are_enforced_exactly(power, gain, port):
    data = tomllib.loads((DATA / "valid.toml").read_text())
    data["readers"][1]["power_dbm"] = power
    data["readers"][1]["antennas"][1]["gain_dbi"] = gain
    data["readers"][1]["antennas"][1]["port"] = port
    placement, problems = parse_placement(data, FLOOR, "x.toml")
    ok = 0 <= power <= 33 and -10 <= gain <= 12 and 1 <= port <= 32 and port != 1
    assert (placement is not None) == ok
    assert (not problems) == ok


def test_placement_to_toml_is_stable():
    placement = auto_place(FLOOR, "full")
    text = placement_to_toml(placement)
    again, problems = parse_placement(tomllib.loads(text), FLOOR, "x.toml")
    assert problems == [] and placement_to_toml(again) == text


def test_doc_example_is_valid(tmp_path):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "placement-format.md").read_text()
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.toml"
    path.write_text(example)
    p = load_placement(path, FLOOR)
    assert set(p.readers) == {"R-main", "R-dossiers", "H-dossiers"}
