"""Chunk hashes of the read engine's output: a sha256 per generated chunk (rows and delivery times) on the three
loads of `bench_readers` and the first hours of the small scenarios, so a change meant to keep the streams byte for
byte (a faster path of the same rules) can be checked against the code before it.

    .venv/bin/python benchmarks/stream_hashes.py --save before.json       # on the old code
    .venv/bin/python benchmarks/stream_hashes.py --check before.json      # on the new code: every chunk equal?
    .venv/bin/pytest -m slow benchmarks/stream_hashes.py                  # the same, old code from git (slow)

`--hours` sets the scenarios' length (default 4 h each of ci-baseline, ci-busy, ci-misbehaviour); save and check
with the same hours (a scenario's streams depend on its length).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("ci-baseline", "ci-busy", "ci-misbehaviour")


def chunk_hash(rows: np.ndarray, delivery: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(rows).tobytes())
    h.update(np.ascontiguousarray(delivery, np.int64).tobytes())
    return h.hexdigest()[:16]


def bench_hashes() -> dict[str, list[str]]:
    """Per load of `bench_readers.loads()`: the hash of every chunk through a fresh engine."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_readers as br

    from twin.readers.engine import ReaderEngine
    from twin.rng import Streams

    br.warm_kernels()
    out = {}
    for name, (floor, pl, seed, t_ref, calls) in br.loads().items():
        eng = ReaderEngine(floor, pl, streams=Streams(seed), t_ref_us=t_ref)
        out[name] = [chunk_hash(*eng.generate_with_delivery(t0, t1, segs, track)) for t0, t1, segs, track in calls]
    return out


def scenario_hashes(name: str, hours: float) -> list[str]:
    """The hash of every chunk the engine generates in the first `hours` of scenarios/<name>.toml."""
    from twin.scenario import load_scenario
    from twin.world import World

    scn = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    scn = scn.model_copy(update={"duration_s": min(scn.duration_s, hours * 3600.0)})
    world = World(scn)
    eng, real, out = world.engine, world.engine.generate_with_delivery, []

    def rec(t0, t1, segs, antennas_override=None):
        rows, dl = real(t0, t1, segs, antennas_override)
        out.append(chunk_hash(rows, dl))
        return rows, dl

    eng.generate_with_delivery = rec
    for _ in world.run():
        pass
    return out


def all_hashes(hours: float = 4.0) -> dict[str, list[str]]:
    out = bench_hashes()
    for s in SCENARIOS:
        out[s] = scenario_hashes(s, hours)
    return out


def compare(old: dict, new: dict) -> list[str]:
    """One line per load whose chunks differ (first differing chunk), empty when all are equal."""
    bad = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k, []), new.get(k, [])
        if a != b:
            i = next((j for j, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            bad.append(f"{k}: chunk {i} of {len(a)}/{len(b)} differs")
    return bad


@pytest.mark.slow
def test_streams_equal_to_parent_commit(tmp_path):
    """The engine's chunks equal those of the parent commit's engine (run in a worktree of HEAD~1)."""
    import subprocess

    wt = tmp_path / "wt"
    subprocess.run(["git", "worktree", "add", "-f", str(wt), "HEAD~1"], cwd=ROOT, check=True, capture_output=True)
    try:
        old = tmp_path / "old.json"
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--save", str(old), "--hours", "1"],
                       cwd=wt, check=True, env={"PYTHONPATH": str(wt), **__import__("os").environ})
        assert compare(json.loads(old.read_text()), all_hashes(1.0)) == []
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(wt)], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save", type=Path)
    ap.add_argument("--check", type=Path)
    ap.add_argument("--hours", type=float, default=4.0)
    args = ap.parse_args()
    h = all_hashes(args.hours)
    print("  ".join(f"{k}={len(v)} chunks" for k, v in h.items()))
    if args.save:
        args.save.write_text(json.dumps(h))
    if args.check:
        bad = compare(json.loads(args.check.read_text()), h)
        print("\n".join(bad) if bad else "all chunks equal")
        raise SystemExit(1 if bad else 0)
