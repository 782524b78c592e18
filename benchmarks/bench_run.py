"""World generation (reads/s) and a whole run (real-time factor) on ci-baseline, each beside a reference measured
in the same session: NumPy's own speed at generating reads, and the world run with no core behind it.

    .venv/bin/pytest benchmarks/bench_run.py -m benchmark         # or: twin bench [--json]

Figures and ratios go to extra_info; nothing asserts a wall-clock limit. The counts are asserted: a world run is
deterministic for a scenario and seed, so each run yields exactly the recording's reads and events.
"""

from __future__ import annotations

import tempfile
import time

import pytest


def generate(scn) -> tuple[int, int, float]:
    """(reads, events, wall s) of one world run of `scn`, nothing kept."""
    from twin.world import World

    t = time.perf_counter()
    reads = events = 0
    for ch in World(scn).run():
        reads += len(ch.reads)
        events += ch.events.num_rows
    return reads, events, time.perf_counter() - t


def whole_run(scn, core: str | None) -> tuple[dict, float]:
    """metrics of `twin run` (with `core` driven and scored, or the world alone when None) and its wall time."""
    from twin.bench.drive import run_with_core
    from twin.run import run_loaded

    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        if core is None:
            m = run_loaded(scn, d, progress=False)
        else:
            m = run_with_core(scn, d, core=core, progress=False, report=False)
        return m, time.perf_counter() - t


@pytest.mark.benchmark(group="world")
def test_world_generation(benchmark, ci_recording, machine_reads_per_s):
    scn = ci_recording.scenario
    reads, events, _ = benchmark.pedantic(generate, args=(scn,), rounds=1, iterations=1)
    assert reads == ci_recording.n_reads > 1_000  # same scenario and seed: the same stream, row for row
    assert events == ci_recording.n_events
    wall = benchmark.stats.stats.min
    benchmark.extra_info.update({
        "reads": reads, "events": events, "world_reads_per_s": round(reads / wall),
        "real_time_factor": round(scn.duration_s / wall, 1),
        "numpy_reads_per_s": round(machine_reads_per_s), "ratio_to_numpy": round(reads / wall / machine_reads_per_s, 5),
    })  # fmt: skip


@pytest.mark.benchmark(group="run")
@pytest.mark.parametrize("core", ["naive", "tracker"])
def test_whole_run(benchmark, core, ci_recording):
    scn = ci_recording.scenario
    world_only, ref_wall = whole_run(scn, None)
    m, _ = benchmark.pedantic(whole_run, args=(scn, core), rounds=1, iterations=1)
    assert m["reads"]["rows"] == world_only["reads"]["rows"] == ci_recording.n_reads
    assert m["events"]["total"] == ci_recording.n_events
    assert m["bench"]["reads"]["value"] == ci_recording.n_reads
    wall = benchmark.stats.stats.min
    rtf, ref_rtf = scn.duration_s / wall, scn.duration_s / ref_wall
    benchmark.extra_info.update({
        "reads": ci_recording.n_reads, "events": ci_recording.n_events, "real_time_factor": round(rtf, 1),
        "world_only_real_time_factor": round(ref_rtf, 1), "ratio_to_world_only": round(rtf / ref_rtf, 3),
        "core_reads_per_s": round(m["bench"]["core_reads_per_s"]["value"] or 0),
        "zone_detection_probability": m["bench"]["zone_detection_probability"]["value"],
    })  # fmt: skip
