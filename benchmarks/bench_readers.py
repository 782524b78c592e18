"""Read-generation speed: raw reads/s (sum of TagSeenCount) and report rows/s of the vectorised engine, per load,
against one SimPy event per read on the same read count in the same run.

    .venv/bin/pytest benchmarks/bench_readers.py -m benchmark     # pytest-benchmark, figures in extra_info
    .venv/bin/python benchmarks/bench_readers.py                   # the same figures as a plain report
    .venv/bin/python benchmarks/bench_readers.py --stages [station]  # CPU ms per chunk per stage of the engine

The engine's cost follows report rows and candidate (antenna, tag) pairs, not reads: how many reads a row carries
follows from the session and the report period. So reads/s is reported beside rows/s for three loads:

- `shelves` (static-heavy, realistic smart shelves): 100 shelves x 50 dossiers (5,000 tags), each shelf watched by
  its own antenna on a continuous S0 dual-target reader (ANCHORS: dual target is the setting for detecting removal
  from a shelf), 10 s reports; every tag is re-read every round, so a row carries hundreds of reads.
- `mixed` (the round-1 load, kept so figures compare across rounds): an archive of 10 shelves x 500 tags behind
  4-antenna multiplexed S0 readers, S1 ceiling antennas, continuous portals on three doors, 100 tags carried along
  straight legs; portals report every 1 s, room and shelf readers every 10 s.
- `station` (the shipped placement over a world-like stretch): the engine inputs (tag legs, handheld tracks) of the
  first 30 simulated minutes of scenarios/ci-baseline.toml (full placement: periodic S2 shelf readers, GPI portals)
  replayed into a fresh engine. Single-target S2 reads each tag once per cycle, so reads per row are few here
  (3.7): ~1,800 rows and ~6,700 reads per 60 s chunk. A chunk where nothing moves costs ~0.75-0.85 ms CPU on a
  loaded machine (0.9-1.0 at e403d0e, interleaved): session rules ~0.35 ms (`sessionfuse`: one compiled pass picks
  and groups the exposures, numpy's exp and pow, the rules and draws, one pass places the reads and writes the rows),
  report shaping ~0.17 (`reportpass`: the channel's inverse normal once per dwell window, records written in place),
  the resting pairs' memo, gather and split ~0.08, windows and door triggers ~0.06 (idle portals skipped), the
  chunk's Generator ~0.03 (`streamseed`: numpy's SeedSequence and PCG64 seeding in integer arithmetic on a kept bit
  generator, the same numbers), the rest some 40 numpy and compiled calls. A fresh engine's first chunk ~9 ms (13-14
  at e403d0e): links of its ~1,500 newly resting tags ~5.5 ms (forward-fading screen compiled; the rest is
  `links`/`rf` numpy), reader clocks ~1.6 ms. Averaged over the load's 30 chunks (`--stages`, CPU on a loaded
  machine, ~2.9-3.1 ms per chunk with the stage timers, 4.4-4.5 at e403d0e, interleaved): links of newly resting
  tags ~0.63-0.71 ms (0.92; the first chunk, then ~14 small fills of 1-6 tags at ~0.9 ms each, mostly the fixed cost
  of `links.free_reach`, `mean_screen` and `rf.pair_link` on tiny arrays), moving tags ~0.54-0.57 (1.27-1.32), session
  rules ~0.49-0.53 (0.58-0.59), report shaping ~0.25-0.29 (0.34), Gen2 rates ~0.15, whole-chunk exposures ~0.14,
  windows and triggers ~0.13 (0.21). At that cost the load cannot reach 10 M reads/s (6,700 reads
  in 0.67 ms per chunk): the compiled passes' own work, the random draws and numpy's transcendental passes of the
  session rules and report shaping (kept in numpy for the same bytes: numpy's AVX-512 exp and pow differ from libm's
  in the last bit) already take ~0.4 ms of a quiet chunk, and moving tags ~0.5 ms averaged over the load.
  Moving tags since their compiled passes (`fixedpass`: legs to surviving (antenna, tag, slot) pieces in a few calls
  per level, the mean levels of new cells in one call, one link call per chunk): ~0.45-0.5 ms per chunk averaged
  over the load (1.1-1.2 at e403d0e, same loaded machine, interleaved), a chunk with walking tags ~4.2-4.8 ms
  (5.7-6.2 ms).

Figures (CPU time, a shared 2-core machine under load, best of 3 runs, three interleaved rounds; e403d0e -> the
resting-pair and moving-tag passes): shelves 27-30 -> 30-33 M reads/s (ratio 26-30x -> 28-30x), mixed 5.3-5.9 ->
5.9-6.6 M (5.1-5.4x -> 5.5-6.1x), station 1.7-2.1 -> 2.4-2.9 M (1.6-2.0x -> 2.3-2.4x). Wall-clock figures on such a
machine run 1.5-4x below the CPU ones.

Each load is generated with a fresh engine (cold link caches) in 60 s chunks. The engine's compiled screens and
passes (numba; `twin.readers.kernels.warm`) are compiled or loaded once per process before any timing; what that
costs is reported apart (`kernels`: numba import, compile with no cache, load from the cache), never in the figures
above.
Reference: the same number of reads, each one a SimPy timeout event recorded as a row (ANCHORS: 0.25-0.4 M reads/s).
Target (issue 3): >= 10 M reads/s and >= 25x the reference. Wall-clock figures and whether each target is met go to
extra_info (`meets_reads_target`, `meets_ratio_target`); the plain report adds the same figures on CPU time
(`*_cpu`), steadier than wall time on a shared machine. Only read and row counts are asserted.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import simpy

from twin.building.model import Door, Floor, Level, Space, StorageUnit
from twin.readers.engine import ReaderEngine
from twin.readers.placement import Antenna, Placement, Reader
from twin.readers.segments import TagSegments
from twin.rng import Streams

T0 = 1_700_000_000_000_000
CHUNK_US = 60_000_000
CHUNKS = 10
TARGET_READS_PER_S = 10e6
TARGET_RATIO = 25.0
PORTAL_REPORT_MS = 1000.0
ROOM_REPORT_MS = 10_000.0


def rect(x0, y0, x1, y1):
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def station() -> Floor:
    spaces = {
        "archive": Space("archive", "Archive", "room", "archive", "L1", rect(0, 0, 20, 10)),
        "office": Space("office", "Office", "room", "office", "L1", rect(20, 0, 30, 10)),
        "corr": Space("corr", "Corridor", "corridor", "circulation", "L1", rect(0, 10, 30, 13)),
        "out": Space("out", "Yard", "outside", "car_park", "L1", rect(0, 13, 30, 20)),
    }
    doors = {
        "d-arch": Door("d-arch", "archive", "corr", "L1", (10.0, 10.0), 1.2),
        "d-off": Door("d-off", "office", "corr", "L1", (25.0, 10.0), 1.2),
        "d-out": Door("d-out", "corr", "out", "L1", (2.0, 13.0), 2.0, exterior=True),
    }
    storage = {f"archive/S{i:02d}": StorageUnit(f"archive/S{i:02d}", "archive", "shelf", (2.0 + 4 * (i % 5), 3.0 + 4 * (i // 5)),
                                                 3.0, 0.4, 600) for i in range(10)}
    return Floor("bench-station", "<bench>", 1, {"L1": Level("L1", "G", 0.0)}, spaces, doors, {}, storage, "d-out")


def placement(floor: Floor) -> Placement:
    def a(rid, port, kind, xy, az, h, space, **kw):
        return Antenna(rid, port, kind, "L1", xy, h, az, 70.0, 6.0 if kind != "shelf" else 4.0, space, **kw)

    readers = {}
    shelves = sorted(floor.storage)
    for r in range(3):  # shelf readers multiplex up to 4 shelf antennas each (dual target: S0-like)
        ants = tuple(a(f"R-shelf{r}", i + 1, "shelf", (floor.storage[s].position[0], floor.storage[s].position[1] - 0.8),
                       90.0, 1.2, "archive", storage=s) for i, s in enumerate(shelves[4 * r: 4 * r + 4]))
        readers[f"R-shelf{r}"] = Reader(f"R-shelf{r}", "fixed", 27.0, "S0", 250.0, ROOM_REPORT_MS, ants)
    zones = {"archive": (10.0, 5.0), "office": (25.0, 5.0), "corr": (15.0, 11.5)}
    for sp, xy in zones.items():
        readers[f"R-zone-{sp}"] = Reader(f"R-zone-{sp}", "fixed", 30.0, "S1", 1000.0, ROOM_REPORT_MS,
                                         (a(f"R-zone-{sp}", 1, "zone", xy, 0.0, 2.7, sp),))
    for d in floor.doors.values():
        x, y = d.position
        ants = (a(f"R-{d.id}", 1, "portal", (x - 0.9, y - 0.3), 90.0, 1.5, d.a, door=d.id),
                a(f"R-{d.id}", 2, "portal", (x - 0.9, y + 0.3), -90.0, 1.5, d.b, door=d.id))
        readers[f"R-{d.id}"] = Reader(f"R-{d.id}", "fixed", 30.0, "S0", 200.0, PORTAL_REPORT_MS, ants)
    return Placement("bench", "<bench>", 1, floor.name, readers)


def tags(floor: Floor, t0: int, t1: int, n_moving: int = 100, seed: int = 0) -> TagSegments:
    rng = np.random.default_rng(seed)
    parts = []
    shelves = sorted(floor.storage)
    for i, s in enumerate(shelves):
        u = floor.storage[s]
        x = u.position[0] + rng.uniform(-1.4, 1.4, 500)
        y = u.position[1] + rng.uniform(-0.15, 0.15, 500)
        epc = np.array([f"2C{i:02X}{k:020X}" for k in range(500)], dtype="S24")
        parts.append(TagSegments.static(epc, 0, x, y, t0, t1, i, tag=np.arange(500) + 500 * i))
    # carried tags: back-and-forth legs of 5-20 s between random points of the rooms and the corridor
    rows = []
    pts = lambda: (rng.uniform(1, 29), rng.uniform(1, 12))  # noqa: E731
    for k in range(n_moving):
        t, (x, y) = t0, pts()
        while t < t1:
            d = int(rng.uniform(5, 20) * 1e6)
            nx, ny = pts()
            rows.append((10_000 + k, t, min(t + d, t1), x, y, nx, ny))
            t, x, y = t + d, nx, ny
    r = np.array(rows)
    epc = np.array([f"2D00{int(k):020X}" for k in r[:, 0]], dtype="S24")
    parts.append(TagSegments(r[:, 0].astype(np.int64), epc, r[:, 1].astype(np.int64), r[:, 2].astype(np.int64),
                             np.zeros(len(r)), r[:, 3], r[:, 4], r[:, 5], r[:, 6], np.full(len(r), -1)))
    return TagSegments.concat(parts)


# -- load (a): smart shelves ---------------------------------------------------------------------------------------
SHELF_ROWS, SHELF_COLS, PER_SHELF = 10, 10, 50
SHELF_CHUNKS = 2
SHELF_POWER_DBM = 17.0  # assumption: smart-shelf antennas driven low to keep to their shelf (~40 % cross-reads left)


def shelf_room() -> Floor:
    """An archive of 10 x 10 shelf units (1.2 m wide, 1.5 m apart along a row, rows 2.5 m apart)."""
    w, h = 1.5 * SHELF_COLS + 2.0, 2.5 * SHELF_ROWS + 2.0
    spaces = {"archive": Space("archive", "Archive", "room", "archive", "L1", rect(0, 0, w, h)),
              "corr": Space("corr", "Corridor", "corridor", "circulation", "L1", rect(0, h, w, h + 3))}
    doors = {"d-arch": Door("d-arch", "archive", "corr", "L1", (w / 2, h), 1.2, exterior=True)}
    storage = {f"archive/S{r:02d}{c:02d}": StorageUnit(f"archive/S{r:02d}{c:02d}", "archive", "shelf",
                                                        (1.75 + 1.5 * c, 1.5 + 2.5 * r), 1.2, 0.4, 100)
               for r in range(SHELF_ROWS) for c in range(SHELF_COLS)}
    return Floor("bench-shelves", "<bench>", 1, {"L1": Level("L1", "G", 0.0)}, spaces, doors, {}, storage, "d-arch")


def shelf_placement(floor: Floor) -> Placement:
    """One smart-shelf antenna per shelf, each on its own continuous S0 (dual target) reader, 10 s reports."""
    readers = {}
    for s in sorted(floor.storage):
        x, y = floor.storage[s].position
        rid = f"R-{s.split('/')[1]}"
        a = Antenna(rid, 1, "shelf", "L1", (x, y - 0.3), 1.0, 90.0, 100.0, 2.0, "archive", storage=s)
        readers[rid] = Reader(rid, "fixed", SHELF_POWER_DBM, "S0", 1000.0, ROOM_REPORT_MS, (a,))
    return Placement("bench-shelves", "<bench>", 1, floor.name, readers)


def shelf_tags(floor: Floor, t0: int, t1: int, seed: int = 0) -> TagSegments:
    rng = np.random.default_rng(seed)
    parts = []
    for i, s in enumerate(sorted(floor.storage)):
        x0, y0 = floor.storage[s].position
        x = x0 + rng.uniform(-0.55, 0.55, PER_SHELF)
        y = y0 + rng.uniform(-0.15, 0.15, PER_SHELF)
        epc = np.array([f"2E{i:04X}{k:018X}" for k in range(PER_SHELF)], dtype="S24")
        parts.append(TagSegments.static(epc, 0, x, y, t0, t1, i, tag=np.arange(PER_SHELF) + PER_SHELF * i))
    return TagSegments.concat(parts)


# -- load (c): the shipped placement over a world-like stretch ------------------------------------------------------
STATION_MINUTES = 30


def station_inputs(minutes: float = STATION_MINUTES):
    """(floor, placement, seed, t_ref_us, [(t0, t1, TagSegments, AntennaTrack | None)]) recorded from a World run."""
    from pathlib import Path

    from twin.scenario import load_scenario
    from twin.world import World

    scn = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "ci-baseline.toml")
    scn = scn.model_copy(update={"duration_s": minutes * 60.0})
    world = World(scn)
    calls, real = [], world.engine.generate

    def rec(t0, t1, segs, antennas_override=None):
        calls.append((t0, t1, segs, antennas_override))
        return real(t0, t1, segs, antennas_override=antennas_override)

    world.engine.generate = rec
    for _ in world.run():
        pass
    return world.floor, world.placement, scn.seed, scn.start_us, calls


# -- runs ------------------------------------------------------------------------------------------------------------
def chunked(t0: int, chunks: int) -> list[tuple[int, int]]:
    return [(t0 + c * CHUNK_US, t0 + (c + 1) * CHUNK_US) for c in range(chunks)]


def loads() -> dict[str, tuple]:
    """name -> (floor, placement, seed, t_ref_us, calls); every load's inputs built once, outside the timing."""
    out = {}
    f = shelf_room()
    segs = shelf_tags(f, T0, T0 + SHELF_CHUNKS * CHUNK_US)
    out["shelves"] = (f, shelf_placement(f), 1, None, [(a, b, segs, None) for a, b in chunked(T0, SHELF_CHUNKS)])
    f = station()
    segs = tags(f, T0, T0 + CHUNKS * CHUNK_US)
    out["mixed"] = (f, placement(f), 1, None, [(a, b, segs, None) for a, b in chunked(T0, CHUNKS)])
    out["station"] = station_inputs()
    return out


def run_load(load) -> tuple[int, int]:
    """(reads, rows) of one load through a fresh engine."""
    floor, pl, seed, t_ref, calls = load
    eng = ReaderEngine(floor, pl, streams=Streams(seed), t_ref_us=t_ref)
    reads = rows = 0
    for t0, t1, segs, track in calls:
        out = eng.generate(t0, t1, segs, track)
        reads += int(out["count"].sum())
        rows += len(out)
    return reads, rows


def run_engine(floor, pl, segs, seed=1) -> int:
    """Reads of the mixed load (kept for callers of round 1)."""
    return run_load((floor, pl, seed, None, [(a, b, segs, None) for a, b in chunked(T0, CHUNKS)]))[0]


def naive_simpy(n_reads: int, n_tags: int = 5100, seed: int = 2) -> tuple[int, float, float]:
    """One SimPy timeout event per read, each recorded as a row: the approach the engine replaces. (reads, wall s,
    CPU s of this process)."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1e-3, n_reads).tolist()
    who = rng.integers(0, n_tags, n_reads).tolist()
    env = simpy.Environment()
    out: list[tuple] = []

    def reader(env):
        for g, w in zip(gaps, who):
            yield env.timeout(g)
            out.append((env.now, "R", 1, w, -60, 1, 1))

    env.process(reader(env))
    t, c = time.perf_counter(), time.process_time()
    env.run()
    return len(out), time.perf_counter() - t, time.process_time() - c


def kernel_costs() -> dict:
    """Seconds to import numba and the kernels, to compile them with an empty cache, and to load them from a warm
    cache: each in a fresh interpreter, so nothing of this process is measured."""
    import os
    import subprocess
    import sys
    import tempfile

    code = ("import time; t = time.perf_counter(); import numba; a = time.perf_counter() - t; "
            "from twin.readers import kernels; print(a, kernels.warm())")
    out = {}
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, NUMBA_CACHE_DIR=d)
        for what in ("compile", "load"):  # the first run fills the empty cache, the second loads from it
            r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            imp, s = (float(x) for x in r.stdout.split())
            out[f"{what}_s"] = round(s, 3)
            out["numba_import_s"] = round(imp, 3)
    return out


def figures(name: str, load, reads: int, rows: int, wall_s: float, cpu_s: float | None = None) -> dict:
    """The figures of one load; the SimPy reference runs on the same read count. With `cpu_s` (the engine's best
    CPU seconds) the same figures on CPU time too (`*_cpu`): on a machine shared with other work, wall time
    follows the load of the machine and CPU time much less."""
    n_ref, wall_ref, cpu_ref = naive_simpy(reads)
    eng_rate, ref_rate = reads / wall_s, n_ref / wall_ref
    calls = load[4]
    out = {"load": name, "engine_reads": reads, "engine_rows": rows, "reads_per_row": round(reads / max(rows, 1), 1),
           "engine_wall_s": round(wall_s, 4), "engine_reads_per_s": round(eng_rate),
           "engine_rows_per_s": round(rows / wall_s), "simpy_reads": n_ref, "simpy_wall_s": round(wall_ref, 3),
           "simpy_reads_per_s": round(ref_rate), "ratio": round(eng_rate / ref_rate, 1),
           "sim_s": sum(c[1] - c[0] for c in calls) / 1e6, "chunks": len(calls),
           "meets_reads_target": bool(eng_rate >= TARGET_READS_PER_S),
           "meets_ratio_target": bool(eng_rate / ref_rate >= TARGET_RATIO)}
    if cpu_s:
        cpu_rate, ref_cpu_rate = reads / cpu_s, n_ref / max(cpu_ref, 1e-9)
        out.update({"engine_cpu_s": round(cpu_s, 4), "engine_reads_per_cpu_s": round(cpu_rate),
                    "engine_rows_per_cpu_s": round(rows / cpu_s), "simpy_cpu_s": round(cpu_ref, 3),
                    "simpy_reads_per_cpu_s": round(ref_cpu_rate), "ratio_cpu": round(cpu_rate / ref_cpu_rate, 1)})
    return out


def warm_kernels() -> float | None:
    """Compile or load the engine's kernels before any timing (`kernel_costs` says what that costs); None for an
    engine without them (an older checkout measured with this file, for before/after figures)."""
    try:
        from twin.readers import kernels
    except ImportError:
        return None
    return kernels.warm()


def measure(rounds: int = 3) -> list[dict]:
    warm_kernels()
    out = []
    for name, load in loads().items():
        best, best_cpu, res = float("inf"), float("inf"), (0, 0)
        for _ in range(rounds):
            t, c = time.perf_counter(), time.process_time()
            res = run_load(load)
            best, best_cpu = min(best, time.perf_counter() - t), min(best_cpu, time.process_time() - c)
        out.append(figures(name, load, *res, best, best_cpu))
    return out


@pytest.fixture(scope="module")
def bench_loads():
    warm_kernels()
    return loads()


# the fewest reads and rows each load must generate (seeded, so these hold exactly run to run; far below the counts)
MIN_COUNTS = {"shelves": (5_000_000, 10_000), "mixed": (1_000_000, 100_000), "station": (100_000, 10_000)}


@pytest.mark.benchmark
@pytest.mark.parametrize("name", ["shelves", "mixed", "station"])
def test_engine_reads_per_second(benchmark, bench_loads, name):
    load = bench_loads[name]
    reads, rows = benchmark.pedantic(run_load, args=(load,), rounds=3, iterations=1)
    fig = figures(name, load, reads, rows, benchmark.stats.stats.min)
    benchmark.extra_info.update(fig)
    print(f"\n{name}: engine {fig['engine_reads_per_s'] / 1e6:.1f} M reads/s, {fig['engine_rows_per_s'] / 1e3:.0f} K "
          f"rows/s ({fig['reads_per_row']} reads/row); SimPy one-event-per-read "
          f"{fig['simpy_reads_per_s'] / 1e6:.2f} M reads/s on the same {reads} reads; ratio {fig['ratio']:.0f}x")
    assert reads >= MIN_COUNTS[name][0] and rows >= MIN_COUNTS[name][1]  # the load really generates reads and rows
    assert run_load(load) == (reads, rows)  # seeded: the same counts again


@pytest.mark.benchmark
def test_kernel_compile_and_load_cost(benchmark):
    costs = benchmark.pedantic(kernel_costs, rounds=1, iterations=1)
    benchmark.extra_info.update(costs)
    print(f"\nkernels: numba import {costs['numba_import_s']} s, compile (no cache) {costs['compile_s']} s, "
          f"load (cached) {costs['load_s']} s")
    assert costs["load_s"] <= costs["compile_s"] + 1.0


def load_stages(name: str = "station", runs: int = 3) -> dict[str, float]:
    """CPU ms per chunk of each stage of the engine (`bench_world.StageTimers`) on one load, fresh engine per run,
    the least of `runs` runs per stage (kernels warmed before)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_world import StageTimers

    warm_kernels()
    load = loads()[name] if name != "station" else station_inputs()
    best: dict[str, float] = {}
    for _ in range(runs):
        with StageTimers() as timers:
            run_load(load)
        for k, v in timers.out.items():
            best[k] = min(best.get(k, float("inf")), 1e3 * v / len(load[4]))
    return best


if __name__ == "__main__":
    import sys

    if "--stages" in sys.argv:  # the station load's CPU ms per chunk per stage of the engine
        st = load_stages(sys.argv[-1] if sys.argv[-1] != "--stages" else "station")
        for k, v in sorted(st.items(), key=lambda kv: -kv[1]):
            print(f"{k:20s} {v:7.3f} ms/chunk  {100 * v / max(st['total'], 1e-9):5.1f} %")
        raise SystemExit(0)
    if warm_kernels() is not None:
        print("kernels:", "  ".join(f"{k}={v}" for k, v in kernel_costs().items()))
    for m in measure():
        print("  ".join(f"{k}={v:,}" if isinstance(v, int) and not isinstance(v, bool) else f"{k}={v}"
                        for k, v in m.items()))
