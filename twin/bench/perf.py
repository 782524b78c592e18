"""Runtime figures of a run as plain functions: throughput, real-time factor, peak memory."""

from __future__ import annotations

import resource
import sys


def reads_per_s(n_reads: int, wall_s: float) -> float | None:
    """Reads handled per wall-clock second (None when no time was measured)."""
    return n_reads / wall_s if wall_s > 0 else None


def real_time_factor(sim_s: float, wall_s: float) -> float | None:
    """Simulated seconds per wall-clock second: 86,400 means a day runs in one second."""
    return sim_s / wall_s if wall_s > 0 else None


def peak_memory_mb() -> float:
    """Peak resident set size of this process so far, in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def runtime_metrics(*, n_reads: int, core_wall_s: float, world_wall_s: float, sim_s: float) -> dict[str, dict]:
    """The runtime entries of metrics.json, each {"value", "unit"}."""
    return {
        "core_reads_per_s": {"value": reads_per_s(n_reads, core_wall_s), "unit": "reads/s"},
        "world_reads_per_s": {"value": reads_per_s(n_reads, world_wall_s), "unit": "reads/s"},
        "real_time_factor": {"value": real_time_factor(sim_s, core_wall_s + world_wall_s), "unit": "sim s / wall s"},
        "peak_memory_mb": {"value": peak_memory_mb(), "unit": "MiB"},
    }
