"""Scenario files: validation messages name the file, the field and the expectation; overrides; durations."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.errors import InputError
from twin.scenario import load_scenario, parse_duration_s

GOOD = """
schema_version = 1
name = "tiny"
seed = 7
start = "2026-03-02T00:00:00+08:00"
duration = "2h"
chunk = "60s"
floor = "floor.toml"
placement = "placement.toml"

[expect]
zone_detection_probability = { min = 0.9 }
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "floor.toml").write_text("")
    (tmp_path / "placement.toml").write_text("")
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


def messages(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(InputError) as ei:
        load_scenario(write(tmp_path, text))
    return [str(p) for p in ei.value.problems]


def test_good_scenario_resolves_paths_and_durations(tmp_path):
    scn = load_scenario(write(tmp_path, GOOD))
    assert scn.duration_s == 7200.0
    assert scn.chunk_s == 60.0
    assert scn.floor == (tmp_path / "floor.toml").resolve()
    assert scn.start_us == 1772380800 * 1_000_000
    assert scn.end_us - scn.start_us == 7200 * 1_000_000
    assert scn.expect["zone_detection_probability"].holds(0.95)
    assert not scn.expect["zone_detection_probability"].holds(0.85)


def test_overrides_replace_seed_and_days(tmp_path):
    scn = load_scenario(write(tmp_path, GOOD)).with_overrides(seed=11, days=3)
    assert scn.seed == 11 and scn.duration_s == 3 * 86400


@pytest.mark.parametrize(
    "old,new,needle",
    [
        ('seed = 7', 'seed = 7\ncolour = "red"', "colour = 'red': expected no such key (unknown keys are errors)"),
        ('duration = "2h"', 'duration = "two hours"', "duration_s = 'two hours': expected a duration like"),
        ('start = "2026-03-02T00:00:00+08:00"', 'start = "2026-03-02T00:00:00"', "start = "),
        ('schema_version = 1', 'schema_version = 9', "schema_version = 9: expected schema_version 1"),
        ('seed = 7', 'seed = -1', "seed = -1: expected greater than or equal to 0"),
        ('floor = "floor.toml"', 'floor = "nowhere.toml"', "expected an existing floor file"),
        ('{ min = 0.9 }', '{ min = 0.9, max = 0.1 }', "must not exceed max"),
        ('name = "tiny"\n', '', "name = None: expected this key (it is required)"),
    ],
)
def test_each_bad_field_is_named(tmp_path, old, new, needle):
    text = GOOD.replace(old, new)
    msgs = messages(tmp_path, text)
    assert any(needle in m for m in msgs), msgs
    assert all(m.startswith("s.toml") or "s.toml" in m for m in msgs)


def test_syntax_error_is_a_problem_not_a_crash(tmp_path):
    msgs = messages(tmp_path, GOOD + "\n[expect\n")
    assert "(syntax)" in msgs[0] and "valid TOML" in msgs[0]


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as ei:
        load_scenario(tmp_path / "absent.toml")
    assert "an existing scenario file" in str(ei.value)


@given(st.integers(0, 10_000), st.sampled_from(["d", "h", "m", "min", "s", "ms"]))
def test_duration_units(n, unit):
    factor = {"d": 86400, "h": 3600, "m": 60, "min": 60, "s": 1, "ms": 0.001}[unit]
    assert parse_duration_s(f"{n}{unit}") == pytest.approx(n * factor)
