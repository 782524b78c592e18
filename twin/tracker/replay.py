"""`twin replay`: run the tracker on a recording (reads.parquet, site.json, optional events.parquet and
reader_events.parquet), no twin.

Reads are streamed in record batches and handed on in windows of `chunk_s` of reader time, the way the bench feeds a
live run; estimates and alerts are written chunk by chunk, so memory stays bounded on long recordings.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from ..errors import InputError, Problem
from ..records import ALERTS_SCHEMA, ESTIMATES_SCHEMA, READER_EVENTS_SCHEMA, READS_SCHEMA, ParquetSink, reads_from_arrow
from .core import TrackerCore


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(Problem(str(path), "(file)", None, "an existing site.json")) from None
    except json.JSONDecodeError as e:
        raise InputError(Problem(str(path), f"line {e.lineno}", e.msg, "valid JSON")) from None


def iter_chunks(reads_path: str | Path, chunk_s: float = 60.0, batch_rows: int = 1 << 20):
    """READ_DTYPE arrays covering consecutive windows of chunk_s (by t_us, as stored; the file is read in batches)."""
    f = pq.ParquetFile(reads_path)
    missing = [n for n in READS_SCHEMA.names if n not in f.schema_arrow.names]
    if missing:
        raise InputError(Problem(str(reads_path), "columns", missing, f"the reads.parquet columns {READS_SCHEMA.names}"))
    step = int(chunk_s * 1e6)
    held: list[np.ndarray] = []
    edge = None
    for rb in f.iter_batches(batch_size=batch_rows, columns=READS_SCHEMA.names):
        r = reads_from_arrow(rb.cast(READS_SCHEMA) if rb.schema != READS_SCHEMA else rb)
        if len(r) == 0:
            continue
        if edge is None:
            edge = (int(r["t_us"].min()) // step + 1) * step
        held.append(r)
        r = np.concatenate(held) if len(held) > 1 else r
        hi = int(r["t_us"].max())
        if hi < edge:
            held = [r]
            continue
        # window j holds the rows before edge + j*step (earlier late rows go to window 0); one stable grouping per
        # batch instead of re-masking the remainder for every window
        n_win = (hi - edge) // step + 1
        win = np.maximum((r["t_us"] - edge) // step + 1, 0)
        order = np.argsort(win, kind="stable")
        cuts = np.cumsum(np.bincount(win, minlength=n_win + 1))
        lo = 0
        for j in range(n_win):
            yield r[order[lo:cuts[j]]], edge
            lo, edge = int(cuts[j]), edge + step
        held = [r[order[lo:]]]
    if held and len(held[0]):
        yield held[0], int(held[0]["t_us"].max()) + 1


def read_reader_events(path: str | Path):
    """reader_events.parquet sorted by t_us (InputError when it lacks the contract's columns)."""
    try:
        tab = pq.read_table(path)
    except (OSError, ValueError) as e:
        raise InputError(Problem(str(path), "(file)", str(e), "a reader_events.parquet file")) from None
    missing = [n for n in READER_EVENTS_SCHEMA.names if n not in tab.column_names]
    if missing:
        raise InputError(Problem(str(path), "columns", missing,
                                 f"the reader_events.parquet columns {READER_EVENTS_SCHEMA.names}"))
    tab = tab.select(READER_EVENTS_SCHEMA.names)
    t = tab["t_us"].to_numpy(zero_copy_only=False)
    return tab.take(np.argsort(t, kind="stable")) if len(t) and np.any(np.diff(t) < 0) else tab


def replay(reads_path: str | Path, site_path: str | Path, events_path: str | Path | None, out_dir: str | Path,
           config: dict | None = None, chunk_s: float = 60.0,
           reader_events_path: str | Path | None = None) -> dict:  # fmt: skip
    """Run the tracker over a recording; writes estimates.parquet, alerts.parquet and tracker.json; returns stats.
    With `reader_events_path`, each chunk's reader status rows go to the core before its advance, as in a live run."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    core = TrackerCore(_read_json(Path(site_path)), config)
    events = pq.read_table(events_path) if events_path else None
    ev_t = events["t_us"].to_numpy() if events is not None else None
    ev_at = 0
    status = read_reader_events(reader_events_path) if reader_events_path else None
    st_t = status["t_us"].to_numpy(zero_copy_only=False) if status is not None else None
    st_at = 0
    wall = 0.0
    with ParquetSink(out / "estimates.parquet", ESTIMATES_SCHEMA) as est, \
         ParquetSink(out / "alerts.parquet", ALERTS_SCHEMA) as alr:  # fmt: skip
        last = 0
        for reads, edge in iter_chunks(reads_path, chunk_s):
            w0 = time.perf_counter()
            if events is not None:
                k = int(np.searchsorted(ev_t, edge, side="left"))
                if k > ev_at:
                    core.apply(events.slice(ev_at, k - ev_at))
                    ev_at = k
            if status is not None:
                k = int(np.searchsorted(st_t, edge, side="left"))
                if k > st_at:
                    core.reader_events(status.slice(st_at, k - st_at))
                    st_at = k
            core.ingest(reads)
            res = core.advance(edge)
            wall += time.perf_counter() - w0
            est.write(res.estimates)
            alr.write(res.alerts)
            last = edge
        w0 = time.perf_counter()
        if status is not None and st_at < status.num_rows:
            core.reader_events(status.slice(st_at))
        res = core.advance(last + core.ingest_.watermark_us + 1)
        wall += time.perf_counter() - w0
        est.write(res.estimates)
        alr.write(res.alerts)
    stats = core.stats()
    stats["wall_s"] = round(wall, 3)
    stats["reads_per_s"] = round(core.reads_in / wall, 1) if wall > 0 else None
    (out / "tracker.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return stats
