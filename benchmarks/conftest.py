"""Shared fixtures of the benchmarks: a recorded ci-baseline stream (the world run once per session) and a
machine reference measured in the same session, so every figure can be read as a ratio, never against a wall-clock
limit."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

ROOT = Path(__file__).resolve().parents[1]
CI_BASELINE = ROOT / "scenarios" / "ci-baseline.toml"


@dataclass
class Recording:
    """One world run kept in memory: per chunk (reads, events, chunk end), plus truth and anomalies."""

    scenario: object
    site: dict
    chunks: list[tuple[np.ndarray, pa.Table, int]]
    truth: pa.Table
    anomalies: pa.Table
    wall_s: float

    @property
    def n_reads(self) -> int:
        return sum(len(r) for r, _, _ in self.chunks)

    @property
    def n_events(self) -> int:
        return sum(e.num_rows for _, e, _ in self.chunks)


def load(path: Path = CI_BASELINE, minutes: float | None = None):
    from twin.scenario import load_scenario

    scn = load_scenario(path)
    return scn if minutes is None else scn.model_copy(update={"duration_s": minutes * 60.0})


def record(scn) -> Recording:
    """Run the world of `scn` once and keep its stream (what a core is fed) in memory."""
    from twin.readers.site import export_site
    from twin.world import World

    t = time.perf_counter()
    world = World(scn)
    chunks, truth, anomalies = [], [], []
    for ch in world.run():
        chunks.append((ch.reads, ch.events, ch.t1_us))
        truth.append(ch.truth)
        anomalies.append(ch.anomalies)
    wall = time.perf_counter() - t
    return Recording(scn, export_site(world.floor, world.placement), chunks, pa.concat_tables(truth),
                     pa.concat_tables(anomalies), wall)  # fmt: skip


def numpy_reads_per_s(n: int = 2_000_000, seed: int = 1) -> float:
    """The machine reference: reads/s of generating and time-sorting n synthetic reads with NumPy alone (the
    vectorised path ANCHORS puts at ~10 M reads/s; best of three)."""
    from twin.records import READ_DTYPE
    from twin.rng import Streams

    rng = Streams(seed).generator("bench.reference")
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        r = np.zeros(n, READ_DTYPE)
        r["t_us"] = np.sort(rng.integers(0, 60_000_000, n))
        r["rssi_dbm"] = rng.normal(-60.0, 5.0, n)
        r["antenna"] = rng.integers(1, 5, n)
        best = min(best, time.perf_counter() - t)
    return n / best


@pytest.fixture(scope="session")
def ci_recording() -> Recording:
    return record(load())


@pytest.fixture(scope="session")
def machine_reads_per_s() -> float:
    return numpy_reads_per_s()
