"""Runtime helpers and the synthetic throughput measurement (tiny sizes: the real figures are in benchmarks/)."""

from __future__ import annotations

from twin.bench.perf import peak_memory_mb, reads_per_s, real_time_factor, runtime_metrics
from twin.bench.throughput import measure_ingest, measure_score, synthetic_chunks


def test_plain_figures():
    assert reads_per_s(1_000, 0.5) == 2_000
    assert reads_per_s(1_000, 0.0) is None
    assert real_time_factor(86_400, 10) == 8_640
    assert peak_memory_mb() > 1
    m = runtime_metrics(n_reads=100, core_wall_s=1.0, world_wall_s=3.0, sim_s=60.0)
    assert m["real_time_factor"] == {"value": 15.0, "unit": "sim s / wall s"}
    assert m["core_reads_per_s"]["value"] == 100 and m["world_reads_per_s"]["unit"] == "reads/s"


def test_synthetic_stream_is_reproducible_and_measurable():
    a = synthetic_chunks(1_000, 50, 2, seed=3)
    b = synthetic_chunks(1_000, 50, 2, seed=3)
    assert all((x == y).all() for x, y in zip(a, b))
    assert measure_ingest("naive", n_reads=2_000, n_tags=50, n_chunks=2)["reads_per_s"] > 0
    s = measure_score(n_tags=20, moves_per_tag=3)
    assert 0.5 < s["zone_detection_probability"] < 1.0
