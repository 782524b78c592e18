"""Chunk hashes of the read engine's output: a sha256 per generated chunk (rows and delivery times) on the three
loads of `bench_readers` and the first hours of the small scenarios, so a change meant to keep the streams byte for
byte (a faster path of the same rules) can be checked against the code before it.

    .venv/bin/python benchmarks/stream_hashes.py --save before.json       # on the old code
    .venv/bin/python benchmarks/stream_hashes.py --check before.json      # on the new code: every chunk equal?
    .venv/bin/pytest -m slow benchmarks/stream_hashes.py                  # compiled passes vs plain steps (slow)

`--plain` runs the engine on the plain steps its compiled passes replaced (`ReaderEngine.plain`). `--hours` sets the
scenarios' length (default 4 h each of ci-baseline, ci-busy, ci-misbehaviour); save and check
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


def bench_hashes(plain: bool = False) -> dict[str, list[str]]:
    """Per load of `bench_readers.loads()`: the hash of every chunk through a fresh engine (`plain`: on the plain
    steps the compiled passes replaced, `ReaderEngine.plain`)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_readers as br

    from twin.readers.engine import ReaderEngine
    from twin.rng import Streams

    br.warm_kernels()
    out = {}
    for name, (floor, pl, seed, t_ref, calls) in br.loads().items():
        eng = ReaderEngine(floor, pl, streams=Streams(seed), t_ref_us=t_ref)
        eng.plain = plain
        out[name] = [chunk_hash(*eng.generate_with_delivery(t0, t1, segs, track)) for t0, t1, segs, track in calls]
    return out


def scenario_hashes(name: str, hours: float, plain: bool = False) -> list[str]:
    """The hash of every chunk the engine generates in the first `hours` of scenarios/<name>.toml."""
    from twin.scenario import load_scenario
    from twin.world import World

    scn = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    scn = scn.model_copy(update={"duration_s": min(scn.duration_s, hours * 3600.0)})
    world = World(scn)
    eng, real, out = world.engine, world.engine.generate_with_delivery, []
    eng.plain = plain

    def rec(t0, t1, segs, antennas_override=None):
        rows, dl = real(t0, t1, segs, antennas_override)
        out.append(chunk_hash(rows, dl))
        return rows, dl

    eng.generate_with_delivery = rec
    for _ in world.run():
        pass
    return out


def all_hashes(hours: float = 4.0, plain: bool = False) -> dict[str, list[str]]:
    out = bench_hashes(plain)
    for s in SCENARIOS:
        out[s] = scenario_hashes(s, hours, plain)
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
def test_compiled_passes_same_streams_as_plain_steps():
    """Every chunk of the three bench loads and of the first hour of each small scenario: the same bytes with the
    compiled passes as with the plain steps they replaced (`ReaderEngine.plain`)."""
    assert compare(all_hashes(1.0, plain=True), all_hashes(1.0)) == []


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save", type=Path)
    ap.add_argument("--check", type=Path)
    ap.add_argument("--hours", type=float, default=4.0)
    ap.add_argument("--plain", action="store_true", help="the engine on its plain steps (ReaderEngine.plain)")
    args = ap.parse_args()
    h = all_hashes(args.hours, args.plain)
    print("  ".join(f"{k}={len(v)} chunks" for k, v in h.items()))
    if args.save:
        args.save.write_text(json.dumps(h))
    if args.check:
        bad = compare(json.loads(args.check.read_text()), h)
        print("\n".join(bad) if bad else "all chunks equal")
        raise SystemExit(1 if bad else 0)
