"""Core ingest on a recorded ci-baseline stream: reads/s of the naive core and the tracker, fed chunk by chunk the
way the bench drives a core (ingest, apply, advance), each with its ratio to the naive core timed in the same test.

    .venv/bin/pytest benchmarks/bench_core.py -m benchmark        # or: twin bench [--json]

To time your own core, add its `package.module:Class` to CORES (or run `time_core("pkg.mod:Class", rec)`).
"""

from __future__ import annotations

import time

import pytest

from twin.bench.loader import load_core

CORES = ("naive", "tracker")


def time_core(name: str, rec) -> tuple[float, int, int]:
    """(wall s of ingest + apply + advance over the whole recording, reads fed, estimate rows) for a fresh core."""
    core = load_core(name, rec.site)
    fed = rows = 0
    t = time.perf_counter()
    for reads, events, t1 in rec.chunks:
        core.ingest(reads)
        core.apply(events)
        rows += core.advance(t1).estimates.num_rows
        fed += len(reads)
    return time.perf_counter() - t, fed, rows


@pytest.mark.benchmark(group="core-ingest")
@pytest.mark.parametrize("core", CORES)
def test_core_ingest(benchmark, core, ci_recording):
    ref_wall = min(time_core("naive", ci_recording)[0] for _ in range(2))  # the reference, same machine, same load
    wall, fed, rows = benchmark.pedantic(time_core, args=(core, ci_recording), rounds=3, iterations=1)
    n = ci_recording.n_reads
    assert fed == n > 10_000
    assert rows > 0
    best = benchmark.stats.stats.min
    benchmark.extra_info.update({
        "reads": n, "events": ci_recording.n_events, "estimate_rows": rows,
        "reads_per_s": round(n / best), "naive_reads_per_s": round(n / ref_wall),
        "ratio_to_naive": round(ref_wall / best, 3),
    })  # fmt: skip
