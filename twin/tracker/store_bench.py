"""What the durable store costs: rows/s appended (plain and hash-chained), checkpoint, verify, query and export times.

Run: python -m twin.tracker.store_bench [--chunks 200] [--estimates 2000] [--chained 200] [--dir /tmp/x]
or:  python -m twin.tracker.store_bench --replay RUN_DIR   (a world run saved with its streams: its truth intervals
     stand for a perfect core's estimate changes, its events feed the lifecycle; one store chunk per 60 s)
The synthetic rows mean nothing (the store never looks inside them); figures are wall-clock on this machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..records import ESTIMATES_SCHEMA
from .chain import verify
from .epcis import export_epcis
from .query import alerts, space, where
from .store import Store


def _chunk(rng: np.random.Generator, t_us: int, n_est: int, n_chained: int, n_tags: int) -> tuple:
    tags = rng.integers(0, n_tags, n_est)
    epcs = np.array([f"2C{t:022X}" for t in range(n_tags)])
    est = pa.table({"t_us": pa.array(t_us + np.sort(rng.integers(0, 60_000_000, n_est)), pa.int64()),
                    "epc": pa.array(epcs[tags]), "space": pa.array(np.where(tags % 2, "office", "archive")),
                    "storage": pa.array(np.full(n_est, "")), "holder": pa.array(np.full(n_est, "")),
                    "confidence": pa.array(rng.random(n_est).astype(np.float32))}, schema=ESTIMATES_SCHEMA)  # fmt: skip
    cus = [{"t_us": t_us + i, "epc": epcs[i % n_tags], "holder": f"o-{i % 30}", "from": "", "how": "badge"}
           for i in range(n_chained)]  # fmt: skip
    alr = [{"t_us": t_us + i, "state": "raised", "kind": "drawer", "epc": epcs[i % n_tags], "space": "office"}
           for i in range(n_chained)]  # fmt: skip
    return est, cus, alr


def measure(dir: Path, chunks: int, n_est: int, n_chained: int, n_tags: int = 3000) -> dict:
    rng = np.random.Generator(np.random.PCG64(1))
    t0_us = 1_772_434_800_000_000
    data = [_chunk(rng, t0_us + i * 60_000_000, n_est, n_chained, n_tags) for i in range(chunks)]
    state = os.urandom(256 * 1024)  # a 256 KiB opaque state blob per checkpoint
    s = Store(dir)
    w = time.perf_counter()
    for i, (est, cus, alr) in enumerate(data):
        s.append_chunk(t0_us + (i + 1) * 60_000_000, est, cus, alr,
                       state=state if i % 10 == 9 else None, input_offset=i + 1)  # fmt: skip
    append_s = time.perf_counter() - w
    s.close()
    rows = chunks * (n_est + 2 * n_chained)
    w = time.perf_counter()
    rep = verify(dir)
    verify_s = time.perf_counter() - w
    w = time.perf_counter()
    where(dir, "2C" + "0" * 21 + "7"), space(dir, "archive"), alerts(dir)
    query_s = time.perf_counter() - w
    w = time.perf_counter()
    n_ev = export_epcis(dir, dir / "events.jsonld")
    export_s = time.perf_counter() - w
    return {
        "chunks": chunks, "rows": rows, "append_s": append_s, "rows_per_s": rows / append_s,
        "chunk_ms": 1e3 * append_s / chunks, "verify_s": verify_s, "verify_ok": rep.ok,
        "chained_rows": 2 * chunks * n_chained, "query_s": query_s, "export_events": n_ev, "export_s": export_s,
        "file_mb": (dir / "store.sqlite").stat().st_size / 1e6,
    }  # fmt: skip


def replay(run_dir: Path, dir: Path, chunk_s: float = 60.0, blob_bytes: int = 2_000_000) -> dict:
    """Per-chunk store cost on a recorded run (see the module docstring); a checkpoint every 10 chunks."""
    import statistics

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from .lifecycle import Lifecycle

    ev = pq.read_table(run_dir / "events.parquet")
    tr = pq.read_table(run_dir / "truth.parquet")
    est = tr.select(["t0_us", "epc", "space", "storage", "holder"]).rename_columns(
        ["t_us", "epc", "space", "storage", "holder"])  # fmt: skip
    est = est.append_column("confidence", pa.array(np.ones(est.num_rows, np.float32))).sort_by("t_us")
    start, end = int(pc.min(tr["t0_us"]).as_py()), int(pc.max(tr["t1_us"]).as_py())
    if (run_dir / "metrics.json").is_file():
        import json

        sim = json.loads((run_dir / "metrics.json").read_text())["sim"]
        start, end = sim["start_us"], sim["end_us"]
    step = int(chunk_s * 1e6)
    s, lc, blob = Store(dir), Lifecycle(), os.urandom(blob_bytes)
    plain, ckpt, rows, first = [], [], 0, (0, 0.0)
    for i, t1 in enumerate(range(start + step, end + step, step)):
        t0 = -(2**62) if i == 0 else t1 - step
        e = est.filter(pc.and_(pc.greater_equal(est["t_us"], t0), pc.less(est["t_us"], t1)))
        v = ev.filter(pc.and_(pc.greater_equal(ev["t_us"], t0), pc.less(ev["t_us"], t1)))
        lc.apply(v)
        al = lc.advance(t1)
        w = time.perf_counter()
        s.append_chunk(t1, e, alerts=al, lifecycle=lc.take_changes(), events=v,
                       state=blob if i % 10 == 9 else None, input_offset=i + 1)  # fmt: skip
        d = time.perf_counter() - w
        n = e.num_rows + v.num_rows + len(al)
        if i == 0:
            first = (n, d)
        else:
            (ckpt if i % 10 == 9 else plain).append(d)
            rows += n
    s.close()
    return {
        "chunks": i + 1, "first_chunk_rows": first[0], "first_chunk_ms": 1e3 * first[1],
        "rows_after_first": rows, "chunk_ms_median": 1e3 * statistics.median(plain),
        "chunk_ms_p95": 1e3 * sorted(plain)[int(0.95 * len(plain))],
        "checkpoint_chunk_ms_median": 1e3 * statistics.median(ckpt) if ckpt else 0.0,
        "checkpoint_mb": blob_bytes / 1e6,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunks", type=int, default=200)
    ap.add_argument("--estimates", type=int, default=2000, help="estimate rows per chunk")
    ap.add_argument("--chained", type=int, default=200, help="custody rows and alert rows per chunk")
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--replay", type=Path, default=None, help="a run folder with truth.parquet and events.parquet")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        d = a.dir or Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        m = replay(a.replay, d) if a.replay else measure(d, a.chunks, a.estimates, a.chained)
    for k, v in m.items():
        print(f"{k:>14}: {v:,.3f}" if isinstance(v, float) else f"{k:>14}: {v}")


if __name__ == "__main__":
    main()
