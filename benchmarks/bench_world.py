"""World speed and memory: the baseline day's real-time factor (simulated s / wall s) and peak RSS vs run length.

    .venv/bin/pytest -m benchmark benchmarks/bench_world.py      # pytest-benchmark
    .venv/bin/python benchmarks/bench_world.py [--days 1 3]      # the same figures as a plain report
    .venv/bin/python benchmarks/bench_world.py --world-only      # without reads: the world's own share
    .venv/bin/python benchmarks/bench_world.py --profile 9 11    # cProfile of the reader engine, 09:00-11:00
    .venv/bin/python benchmarks/bench_world.py --engine-hours    # the reader engine's CPU s per hour of day 1
    .venv/bin/python benchmarks/bench_world.py --stages 0 24     # ... and per stage of the engine over those hours

Target (issue 4): >= 5,000x real time on one core for the baseline day; peak memory bounded by the population,
so a 3-day run peaks at about the same RSS as a 1-day run. Each memory figure comes from its own process
(ru_maxrss is a high-water mark for the whole process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
TARGET_RTF = 5000.0


def run_in_subprocess(days: float, scenario: Path = BASELINE) -> dict:
    """metrics.json of `run_scenario(scenario, days=days)` run in a fresh interpreter pinned to one core."""
    with tempfile.TemporaryDirectory() as d:
        code = (
            "import os, sys\n"
            "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}) if hasattr(os, 'sched_setaffinity') else None\n"
            "from twin.run import run_scenario\n"
            f"run_scenario({str(scenario)!r}, {d!r}, days={days!r}, progress=False, summary=False)\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        return json.loads((Path(d) / "metrics.json").read_text())


class NullEngine:
    """A reader engine that reads nothing: isolates the world's own cost (agents, ledger, journal, chunking)."""

    def __init__(self, *args, **kwargs):
        pass

    def generate(self, t0_us, t1_us, tags, antennas_override=None):
        from twin.records import READ_DTYPE

        import numpy as np

        return np.zeros(0, READ_DTYPE)


def world_only_day(days: float = 1.0) -> tuple[float, int]:
    """Wall seconds of the baseline without reads (the world's own share of a run) and truth rows produced."""
    from twin.scenario import load_scenario
    from twin.world import World

    scn = load_scenario(BASELINE).with_overrides(days=days)
    world = World(scn, engine_factory=NullEngine)
    t, c = time.perf_counter(), time.process_time()
    n = sum(ch.truth.num_rows for ch in world.run())
    return time.perf_counter() - t, time.process_time() - c, n


def world_day_wall_s(days: float = 1.0) -> tuple[float, dict]:
    from twin.run import run_scenario

    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        m = run_scenario(BASELINE, d, days=days, progress=False, summary=False)
        return time.perf_counter() - t, m


def profile_engine(start_h: float, end_h: float, scenario: Path = BASELINE, top: int = 30,
                   sort: str = "tottime") -> str:
    """cProfile of the reader engine's chunks in [start_h, end_h) of the scenario's first day (the world runs
    before them unprofiled, so link caches are as warm as in a real run), sorted by own time (or `sort`: any
    pstats key, e.g. cumtime). cProfile cannot see inside compiled kernels and inflates many small numpy calls:
    `--engine-hours` (CPU time, no profiler) is the figure to compare."""
    import cProfile
    import io
    import pstats

    from twin.scenario import load_scenario
    from twin.world import World

    world = World(load_scenario(scenario))
    eng, prof = world.engine, cProfile.Profile()
    plain = eng.generate

    def generate(t0_us, t1_us, tags, antennas_override=None):
        h = (t0_us - world.scenario.start_us) / 3.6e9
        if not start_h <= h < end_h:
            return plain(t0_us, t1_us, tags, antennas_override)
        prof.enable()
        try:
            return plain(t0_us, t1_us, tags, antennas_override)
        finally:
            prof.disable()

    eng.generate = generate
    for ch in world.run():
        if (ch.t1_us - world.scenario.start_us) / 3.6e9 >= end_h:
            break
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats(sort).print_stats(top)
    return out.getvalue()


STAGES = {  # module -> the engine's stages timed by `engine_stages` (functions looked up by name at call time)
    "twin.readers.engine": ("windows", "static_pairs", "moving_pieces", "s0_reads"),
    "twin.readers.sessionpass": ("session_rows",),
    "twin.readers.sessionfuse": ("sessions_fused",),
    "twin.readers.reportpass": ("report_rows_fused",),
    "twin.readers.airtime": ("window_rates", "whole_static"),
    "twin.readers.staticpairs": ("new_static",),
    "twin.readers.moving": ("_fixed_pieces", "_carried_links"),
}
METHODS = ("_special", "_exposures", "_sessions")  # ReaderEngine methods timed too


class StageTimers:
    """CPU seconds per stage of the reader engine (`STAGES`, `METHODS`; `total` = generate_with_delivery) while
    `on`, with process_time around each stage (no profiler: compiled kernels and small numpy calls are counted as
    they run). Stages nest (moving_pieces holds _fixed_pieces and _carried_links, _sessions holds session_rows).
    A context manager: the stages are wrapped inside it and restored after."""

    def __init__(self) -> None:
        self.out: dict[str, float] = {"total": 0.0}
        self.on = True

    def _timed(self, fn, name):
        def run(*a, **k):
            if not self.on:
                return fn(*a, **k)
            c = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                self.out[name] = self.out.get(name, 0.0) + time.process_time() - c
        return run

    def __enter__(self):
        import importlib

        from twin.readers.engine import ReaderEngine

        self._saved = []
        for mod_name, names in STAGES.items():
            mod = importlib.import_module(mod_name)
            for n in names:
                self._saved.append((mod, n, getattr(mod, n)))
                setattr(mod, n, self._timed(getattr(mod, n), n))
        for n in METHODS + ("generate_with_delivery",):
            self._saved.append((ReaderEngine, n, getattr(ReaderEngine, n)))
            setattr(ReaderEngine, n, self._timed(getattr(ReaderEngine, n),
                                                 "total" if n == "generate_with_delivery" else n))
        return self

    def __exit__(self, *exc):
        for mod, n, fn in self._saved:
            setattr(mod, n, fn)

    def report(self) -> str:
        st = self.out
        return "\n".join(f"{k:20s} {v:7.3f} s  {100 * v / max(st['total'], 1e-9):5.1f} %"
                         for k, v in sorted(st.items(), key=lambda kv: -kv[1]))


def engine_stages(start_h: float, end_h: float, scenario: Path = BASELINE) -> dict[str, float]:
    """CPU seconds of the reader engine (`total`) and of its stages (`StageTimers`) over [start_h, end_h) of the
    first day."""
    from twin.readers import kernels
    from twin.scenario import load_scenario
    from twin.world import World

    kernels.warm()
    with StageTimers() as timers:
        world = World(load_scenario(scenario))
        for ch in world.run():
            h = (ch.t0_us - world.scenario.start_us) / 3.6e9
            timers.on = start_h <= h < end_h
            if h >= end_h:
                break
    return timers.out


def engine_hours(scenario: Path = BASELINE) -> list[float]:
    """CPU seconds the reader engine spends in each hour of the scenario's first day (no profiler; compare
    variants hour by hour where the whole-day figure is too noisy)."""
    from twin.readers import kernels
    from twin.scenario import load_scenario
    from twin.world import World

    kernels.warm()  # compiled or loaded before the first hour, not in it
    world = World(load_scenario(scenario))
    eng, plain, per_h = world.engine, world.engine.generate, [0.0] * 24

    def generate(t0_us, t1_us, tags, antennas_override=None):
        c = time.process_time()
        try:
            return plain(t0_us, t1_us, tags, antennas_override)
        finally:
            per_h[min(23, int((t0_us - world.scenario.start_us) // 3_600_000_000))] += time.process_time() - c

    eng.generate = generate
    for ch in world.run():
        if ch.t1_us - world.scenario.start_us >= 86_400_000_000:
            break
    return per_h


@pytest.mark.benchmark
def test_baseline_day_real_time_factor(benchmark):
    wall_s, m = benchmark.pedantic(world_day_wall_s, rounds=1, iterations=1)
    rtf = m["sim"]["duration_s"] / m["runtime"]["wall_s"]
    benchmark.extra_info.update({"real_time_factor": rtf, "reads": m["reads"]["rows"],
                                 "peak_rss_mb": m["runtime"]["peak_rss_mb"]})
    assert rtf >= TARGET_RTF, f"baseline day ran at {rtf:.0f}x real time, target {TARGET_RTF:.0f}x"


@pytest.mark.benchmark
def test_world_share_real_time_factor(benchmark):
    """Agents + ledger + journal + chunking alone must leave the reader engine most of the 5,000x budget."""
    wall_s, _, _ = benchmark.pedantic(world_only_day, rounds=1, iterations=1)
    rtf = 86400.0 / wall_s
    benchmark.extra_info["world_only_real_time_factor"] = rtf
    assert rtf >= 4 * TARGET_RTF, f"world alone ran at {rtf:.0f}x real time"


@pytest.mark.benchmark
def test_memory_bounded_by_population(benchmark):
    one = run_in_subprocess(1.0)
    three = benchmark.pedantic(run_in_subprocess, args=(3.0,), rounds=1, iterations=1)
    a, b = one["runtime"]["peak_rss_mb"], three["runtime"]["peak_rss_mb"]
    benchmark.extra_info.update({"peak_rss_1d_mb": a, "peak_rss_3d_mb": b})
    assert b <= a * 1.25 + 20, f"peak RSS grew with run length: 1 d {a:.0f} MB, 3 d {b:.0f} MB"


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, nargs="*", default=[1.0, 3.0])
    ap.add_argument("--scenario", type=Path, default=BASELINE)
    ap.add_argument("--world-only", action="store_true", help="no reads: the world's own share")
    ap.add_argument("--profile", type=float, nargs=2, metavar=("FROM_H", "TO_H"),
                    help="cProfile the reader engine over these hours of the first day")
    ap.add_argument("--sort", default="tottime", help="pstats sort key of --profile (tottime, cumtime, ...)")
    ap.add_argument("--engine-hours", action="store_true", help="the reader engine's CPU s per hour of day 1")
    ap.add_argument("--stages", type=float, nargs=2, metavar=("FROM_H", "TO_H"),
                    help="the reader engine's CPU s per stage over these hours of the first day")
    args = ap.parse_args()
    if args.stages:
        st = engine_stages(*args.stages, scenario=args.scenario)
        for k, v in sorted(st.items(), key=lambda kv: -kv[1]):
            print(f"{k:20s} {v:7.3f} s  {100 * v / max(st['total'], 1e-9):5.1f} %")
        raise SystemExit(0)
    if args.engine_hours:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        per_h = engine_hours(args.scenario)
        print(" ".join(f"{h:02d}:{v:.2f}" for h, v in enumerate(per_h)) + f"  total {sum(per_h):.2f} s")
        raise SystemExit(0)
    if args.profile:
        print(profile_engine(*args.profile, scenario=args.scenario, sort=args.sort))
        raise SystemExit(0)
    if args.world_only:
        for days in args.days:
            wall, cpu, n = world_only_day(days)
            print(f"world only, baseline {days:g} d: wall {wall:.1f} s, CPU {cpu:.1f} s, real-time factor "
                  f"{days * 86400 / wall:,.0f}x wall / {days * 86400 / cpu:,.0f}x CPU, {n:,} truth intervals")
        raise SystemExit(0)
    for days in args.days:
        m = run_in_subprocess(days, args.scenario)
        rt = m["runtime"]
        print(f"{m['scenario']} {days:g} d: wall {rt['wall_s']:.1f} s (build {rt['build_s']:.1f} s), CPU {rt['cpu_s']:.1f} s, "
              f"real-time factor {rt['real_time_factor']:,.0f}x wall / {rt['real_time_factor_cpu']:,.0f}x CPU, "
              f"reads {m['reads']['rows']:,}, "
              f"peak RSS {rt['peak_rss_mb']:.0f} MB")
