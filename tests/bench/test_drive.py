"""`twin run --core`: one world run driven through a core (and references with compare), outputs and metrics."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from twin.bench.drive import RUNTIME_METRICS, bench_rows, run_with_core
from twin.bench.loader import CoreLoadError
from twin.records import ALERTS_SCHEMA, ESTIMATES_SCHEMA

from .tiny import tiny_scenario


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    m = run_with_core(tiny_scenario(minutes=10), out, core="tracker", compare=True, progress=False,
                      references=("naive",))  # fmt: skip
    return out, m


def test_outputs_written(compared):
    out, m = compared
    for f in ("metrics.json", "estimates.parquet", "alerts.parquet", "site.json", "report.html", "scenario.toml"):
        assert (out / f).exists(), f
    est = pq.read_table(out / "estimates.parquet")
    assert est.schema.equals(ESTIMATES_SCHEMA)
    assert pq.read_table(out / "alerts.parquet").schema.equals(ALERTS_SCHEMA)
    assert est.num_rows == m["bench"]["estimate_rows"]["value"] > 0
    naive = pq.read_table(out / "compare" / "naive" / "estimates.parquet")
    assert naive.num_rows == m["compare"]["naive"]["estimate_rows"]["value"]


def test_metrics_json_every_metric_with_unit(compared):
    out, m = compared
    disk = json.loads((out / "metrics.json").read_text())
    assert disk["core"] == "tracker" and set(disk["compare"]) == {"naive"}
    for core_metrics in (disk["bench"], disk["compare"]["naive"]):
        for name, entry in core_metrics.items():
            assert "value" in entry and entry.get("unit"), name
        for name in ("zone_detection_probability", "storage_detection_probability", "latency_s_p50", *RUNTIME_METRICS):
            assert name in core_metrics, name
    b = disk["bench"]
    assert b["reads"]["value"] == disk["reads"]["rows"] > 0
    assert b["core_reads_per_s"]["value"] > 0 and b["world_reads_per_s"]["value"] > 0
    assert b["real_time_factor"]["value"] > 0 and b["peak_memory_mb"]["value"] > 0
    assert 0 <= b["zone_detection_probability"]["value"] <= 1
    # the naive core emits a row on most place changes: its volume is reported beside the tracker's
    assert disk["compare"]["naive"]["estimate_rows"]["value"] > b["estimate_rows"]["value"]


def test_bench_rows_one_column_per_core(compared):
    _, m = compared
    rows = {name: vals for name, _, vals in bench_rows(m)}
    assert all(len(v) == 2 for v in rows.values())


def test_same_seed_same_estimates(compared, tmp_path):
    out, m = compared
    m2 = run_with_core(tiny_scenario(minutes=10), tmp_path, core="tracker", progress=False, report=False)
    assert pq.read_table(tmp_path / "estimates.parquet").equals(pq.read_table(out / "estimates.parquet"))
    assert m2["bench"]["zone_detection_probability"] == m["bench"]["zone_detection_probability"]
    assert "compare" not in m2 and not (tmp_path / "report.html").exists()


def test_bad_core_fails_before_the_world_runs(tmp_path):
    with pytest.raises(CoreLoadError, match="nosuch"):
        run_with_core(tiny_scenario(minutes=2), tmp_path, core="nosuch.module:Core", progress=False)
    assert not (tmp_path / "metrics.json").exists()


@pytest.mark.slow
def test_compare_with_the_oracle(tmp_path):
    m = run_with_core(tiny_scenario(minutes=10), tmp_path, core="naive", compare=True, progress=False)
    assert set(m["compare"]) == {"oracle"}
    assert m["compare"]["oracle"]["storage_detection_probability"]["value"] > m["bench"]["storage_detection_probability"]["value"]
