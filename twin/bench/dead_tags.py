"""Tags that can never answer: the twin's dead inlays (twin.readers.rf.tag_quality, RFParams.dead_share, 1 %).

No RFID core can see a dossier whose tag is dead, so an anomaly about it is undetectable and a sweep cannot find it.
The bench learns which tags are dead from the run's own read model (the world's rf seed and RF parameters), the way
the oracle learns the read model; no core ever sees this. `twin run --core` writes them to the workspace
(`dead_tags.csv`, one EPC a line with its tag kind) so a score recomputed from saved streams uses the same set.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa

FILE = "dead_tags.csv"


def dead_mask(epcs: Iterable[str], seed: int, params=None) -> np.ndarray:
    """Per EPC (24 hex characters; anything else is never dead): whether the tag's chip never answers."""
    from ..readers import rf

    epcs = list(epcs)
    ok = np.array([isinstance(e, str) and len(e) == 24 for e in epcs], bool)
    out = np.zeros(len(epcs), bool)
    if ok.any():
        arr = np.array([e.encode("ascii") for e, k in zip(epcs, ok.tolist()) if k], dtype="S24")
        _, dead = rf.tag_quality(int(seed), arr, params if params is not None else rf.RFParams())
        out[ok] = dead
    return out


def rf_model(world=None, scenario=None) -> tuple[int, object] | None:
    """(rf seed, RFParams) of a World's reader engine (None for a stand-in engine without the RF model), else of a
    Scenario run with the shipped engine's defaults."""
    if world is not None:
        eng = getattr(world, "engine", None)
        params = getattr(getattr(eng, "params", None), "rf", None)
        seed = getattr(eng, "seed", None)
        return (int(seed), params) if seed is not None and params is not None else None
    if scenario is not None:
        from ..readers.engine import EngineParams
        from ..rng import Streams

        return Streams(scenario.seed).child("rf").seed, EngineParams().rf
    return None


def dead_tags(truth: pa.Table | None, *, world=None, scenario=None) -> dict[str, str]:
    """epc -> tag kind of every tag in the truth whose chip is dead in this run's read model ({} when unknown)."""
    m = rf_model(world, scenario)
    if m is None or truth is None or truth.num_rows == 0:
        return {}
    kinds: dict[str, str] = dict(zip(truth["epc"].to_pylist(), truth["tag_kind"].to_pylist()))
    epcs = sorted(kinds)
    return {e: kinds[e] for e, d in zip(epcs, dead_mask(epcs, *m).tolist()) if d}


def write_dead_tags(path: str | Path, dead: dict[str, str]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["epc", "tag_kind"])
        for e in sorted(dead):
            w.writerow([e, dead[e]])


def read_dead_tags(path: str | Path) -> dict[str, str]:
    with open(path, newline="") as f:
        return {r["epc"]: r["tag_kind"] for r in csv.DictReader(f)}


__all__ = ["FILE", "dead_mask", "dead_tags", "read_dead_tags", "rf_model", "write_dead_tags"]
