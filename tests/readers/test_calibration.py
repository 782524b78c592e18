"""Calibration report: every figure measured by the real engine (seed 0) sits inside its ANCHORS envelope."""

from __future__ import annotations

import json

import pytest

from twin.readers.calibrate import ENVELOPES, run_calibration

# Checks known outside their envelope (none: with the shipped GPI-triggered portals, static dossiers next door are
# read only while someone passes the door, 0.21-0.36 over seeds 0-3).
KNOWN_OUTSIDE: set[str] = set()


@pytest.fixture(scope="module")
def report():
    return run_calibration(seed=0)


def test_report_shape(report, tmp_path):
    names = [c["name"] for c in report.checks]
    assert names == list(ENVELOPES)
    for c in report.checks:
        assert set(c) == {"name", "value", "unit", "low", "high", "inside"}
        assert c["inside"] == (c["low"] <= c["value"] <= c["high"])
    data = json.loads(report.to_json())
    assert data["checks"] == report.checks and set(data["anchors"]) == set(names)
    assert "read_probability_1m" in report.render_table()
    paths = report.save_plots(tmp_path)
    assert len(paths) == 2 and all(p.stat().st_size > 5_000 for p in paths)


@pytest.mark.parametrize("name", [n for n in ENVELOPES])
def test_check_inside_envelope(report, name, request):
    if name in KNOWN_OUTSIDE:
        request.applymarker(pytest.mark.xfail(strict=True, reason="cross-read share above its assumed envelope"))
    c = next(c for c in report.checks if c["name"] == name)
    assert c["inside"], c


def test_read_probability_falls_with_distance_and_matches_rf_model(report):
    p = report.curves["read_probability"]
    assert all(a >= b for a, b in zip(p, p[1:]))
    for got, want in zip(p, report.curves["read_probability_model"]):
        assert got == pytest.approx(want, abs=0.05)


def test_same_seed_same_report():
    from twin.readers.calibrate import measure_shelf, _settings

    _, _, rd, ant = _settings(None)
    assert measure_shelf(3, rd, ant, n_tags=60, duration_s=10) == measure_shelf(3, rd, ant, n_tags=60, duration_s=10)
