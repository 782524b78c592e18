"""Synthetic streams to time a core's ingest and the scorer, independent of the world (for benchmarks/ and checks).

Tags mostly sit under one antenna and are sometimes cross-read by another (share `cross`, an assumption for a
representative load, not a physical model). `python -m twin.bench.throughput [--core NAME]` prints the figures.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pyarrow as pa

from ..records import ESTIMATES_SCHEMA, READ_DTYPE, TRUTH_SCHEMA
from ..rng import Streams
from .loader import load_core
from .perf import reads_per_s
from .score import score

S = 1_000_000
T0 = 1_772_380_800 * S


def synthetic_site(n_readers: int = 47, ports: int = 4) -> dict:
    """A site of n_readers x ports zone antennas over 40 spaces (the scale of a building deployment, ANCHORS)."""
    return {
        "spaces": [{"id": f"s{i:02d}", "purpose": "office"} for i in range(40)],
        "readers": [
            {"id": f"R-{r:02d}", "antennas": [{"port": p, "kind": "zone", "covers": {"space": f"s{(r * ports + p) % 40:02d}"}}
                                               for p in range(1, ports + 1)]}
            for r in range(n_readers)
        ],
    }  # fmt: skip


def synthetic_chunks(n_reads: int, n_tags: int, n_chunks: int, *, chunk_s: float = 60.0, cross: float = 0.02,
                     seed: int = 1, site: dict | None = None) -> list[np.ndarray]:  # fmt: skip
    """n_chunks chunks of n_reads reads each, time-sorted within a chunk."""
    rng = Streams(seed).generator("bench.synthetic")
    site = site or synthetic_site()
    ants = [(r["id"], a["port"]) for r in site["readers"] for a in r["antennas"]]
    names = np.array([a[0] for a in ants], dtype=READ_DTYPE["reader"])
    ports = np.array([a[1] for a in ants], dtype=np.uint16)
    epcs = np.array([f"2C{i:022X}" for i in range(n_tags)], dtype=READ_DTYPE["epc"])
    home = rng.integers(0, len(ants), n_tags)
    out = []
    for k in range(n_chunks):
        r = np.zeros(n_reads, READ_DTYPE)
        t = np.sort(rng.integers(0, int(chunk_s * S), n_reads)) + T0 + int(k * chunk_s * S)
        tag = rng.integers(0, n_tags, n_reads)
        ant = np.where(rng.random(n_reads) < cross, rng.integers(0, len(ants), n_reads), home[tag])
        r["t_us"], r["first_us"], r["epc"] = t, t, epcs[tag]
        r["reader"], r["antenna"], r["count"] = names[ant], ports[ant], 1
        out.append(r)
    return out


def measure_ingest(core_name: str = "naive", *, n_reads: int = 1_000_000, n_tags: int = 5_000, n_chunks: int = 4,
                   seed: int = 1) -> dict:  # fmt: skip
    """Wall time of ingest + advance over synthetic chunks; reads/s of the best chunk and of all chunks."""
    site = synthetic_site()
    chunks = synthetic_chunks(n_reads, n_tags, n_chunks, seed=seed, site=site)
    core = load_core(core_name, site)
    walls = []
    for k, c in enumerate(chunks):
        t = time.perf_counter()
        core.ingest(c)
        core.advance(int(c["t_us"].max()))
        walls.append(time.perf_counter() - t)
    return {"core": core_name, "reads": n_reads * n_chunks, "reads_per_s": reads_per_s(n_reads * n_chunks, sum(walls)),
            "best_chunk_reads_per_s": reads_per_s(n_reads, min(walls))}  # fmt: skip


def synthetic_day(n_tags: int = 3_000, moves_per_tag: int = 20, est_per_move: int = 3, seed: int = 1):
    """(truth, estimates) of n_tags dossiers over one day: random moves among 40 spaces, noisy estimates."""
    rng = Streams(seed).generator("bench.synthetic-day")
    day = 86_400 * S
    cuts = np.sort(rng.integers(1, day, (n_tags, moves_per_tag)), axis=1)
    t0 = np.concatenate([np.zeros((n_tags, 1), np.int64), cuts], axis=1).ravel() + T0
    t1 = np.concatenate([cuts, np.full((n_tags, 1), day)], axis=1).ravel() + T0
    epc = np.repeat(np.array([f"2C{i:022X}" for i in range(n_tags)], dtype=object), moves_per_tag + 1)
    space = np.array([f"s{i:02d}" for i in rng.integers(0, 40, len(t0))], dtype=object)
    truth = pa.table({"epc": epc, "tag_kind": ["dossier"] * len(t0), "t0_us": t0, "t1_us": t1, "space": space,
                      "storage": [""] * len(t0), "holder": [""] * len(t0)}, schema=TRUTH_SCHEMA)  # fmt: skip
    j = np.repeat(np.arange(len(t0)), est_per_move)
    et = t0[j] + rng.exponential(5 * S, len(j)).astype(np.int64)
    right = rng.random(len(j)) < 0.8
    es = np.where(right, space[j], np.array([f"s{i:02d}" for i in rng.integers(0, 40, len(j))], dtype=object))
    est = pa.table({"t_us": et, "epc": epc[j], "space": es, "storage": [""] * len(j), "holder": [""] * len(j),
                    "confidence": np.ones(len(j), np.float32)}, schema=ESTIMATES_SCHEMA)  # fmt: skip
    return truth, est


def measure_score(n_tags: int = 3_000, moves_per_tag: int = 20, seed: int = 1) -> dict:
    truth, est = synthetic_day(n_tags, moves_per_tag, seed=seed)
    t = time.perf_counter()
    m = score(truth, est, None, None, start_us=T0, end_us=T0 + 86_400 * S, warmup_s=600, site=synthetic_site())
    wall = time.perf_counter() - t
    return {"dossiers": n_tags, "truth_rows": truth.num_rows, "estimate_rows": est.num_rows, "score_wall_s": wall,
            "zone_detection_probability": m["zone_detection_probability"]["value"]}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--core", default="naive")
    ap.add_argument("--reads", type=int, default=1_000_000)
    ap.add_argument("--tags", type=int, default=5_000)
    ap.add_argument("--dossiers", type=int, default=3_000)
    a = ap.parse_args()
    print(json.dumps({"ingest": measure_ingest(a.core, n_reads=a.reads, n_tags=a.tags),
                      "score": measure_score(a.dossiers)}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
