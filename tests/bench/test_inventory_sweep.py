"""Seeded: a dossier-room sweep on the morning after dossiers were misfiled (ci-sized station) finds the present
dossiers and reports each misfiled one at its true shelf, through the twin, the tracker and the bench."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIO = f"""schema_version = 1
name = "ci-sweep"
description = "Shelf returns misfiled at the end of Monday; the dossier-room sweep on Tuesday morning."
seed = 1
start = "2026-03-02T17:00:00+08:00"
duration = "945min"
chunk = "60s"
warmup = "10min"
floor = "{ROOT / 'floors' / 'station.toml'}"
placement = "{ROOT / 'placements' / 'full.toml'}"

[population]
case_officers = 20
legal_officers = 3
dossier_keepers = 2
evidence_keepers = 1
leaders = 2
duty_officers = 4
active_dossiers = 400
vehicles = 4

[behaviour]
cases_per_day = 40
misfile_rate = 0.3
sweep_at = "08:30"
archive_sweep_every_d = 0

[faults]
mtbf_h = 0
"""


@pytest.mark.slow
def test_morning_sweep_finds_present_and_misfiled_at_true_shelf(tmp_path):
    from twin.bench.drive import run_with_core

    scn = tmp_path / "ci-sweep.toml"
    scn.write_text(SCENARIO, encoding="utf-8")
    run_with_core(scn, tmp_path / "run", core="tracker", progress=False, report=False)
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())["bench"]
    assert m["inventory_sweep_time_s"]["sweeps"] == 1  # the dossier room, ~7 min
    assert 300 < m["inventory_sweep_time_s"]["value"] < 900
    assert m["inventory_misfiled_found_share"]["misfiled"] >= 1
    assert m["inventory_misfiled_found_share"]["value"] == 1.0  # every misfiled dossier at its true shelf
    # every present dossier but the unreadable ones (dead inlays, ~1 %: RFParams.dead_share) is found
    assert m["inventory_found_share"]["value"] >= 0.97
    assert m["inventory_false_missing"]["value"] <= 0.02 * m["inventory_found_share"]["in_room"]
    assert m["inventory_false_misplaced"]["value"] <= 5
