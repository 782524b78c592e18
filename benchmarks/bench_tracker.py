"""Tracker throughput (ingest + clean + locate) beside the naive core in the same run, and memory on a long stream.

    .venv/bin/pytest benchmarks/bench_tracker.py -m benchmark       # pytest-benchmark, figures in extra_info
    .venv/bin/python benchmarks/bench_tracker.py                     # synthetic stream, plain report
    .venv/bin/python benchmarks/bench_tracker.py --reads RUN/reads.parquet --site site.json   # a recorded stream
    .venv/bin/python benchmarks/bench_tracker.py --reads RUN/reads.parquet --site site.json \
        --reader-events RUN/reader_events.parquet    # the whole live input: reads and the readers' status stream
    .venv/bin/python benchmarks/bench_tracker.py --memory            # 100,000 tags, 50 M reads: peak memory
    .venv/bin/python benchmarks/bench_tracker.py --score RUN --site site.json [--config fit.json]
        # accuracy on a recorded run (twin run ... with streams saved): tracker and naive scored by twin.bench.score
    .venv/bin/python benchmarks/bench_tracker.py --hash RUN [RUN ...] --site site.json
        # row counts and hashes of the replayed estimates and alerts: a speed change must leave them unchanged
    .venv/bin/python benchmarks/bench_tracker.py --reads RUN/reads.parquet --site site.json --breakdown
        # CPU seconds by step of the core (ingest, locate and its passes, beams, output, alerts), one instrumented run
    .venv/bin/python benchmarks/bench_tracker.py --reads RUN/reads.parquet --site site.json --merge 4
        # every 4 recorded chunks handed in as one: the cost per advance (a diagnostic; the outputs differ)

Reads are the sum of TagSeenCount (LLRP reads); rows (TagReportData) are reported beside them. A core is timed in CPU
seconds (time.process_time: the machine may be shared) on ingest + advance per 60 s chunk, the way the bench drives
it. Target (issue 6): >= 5 M reads/s on one core; the figure and the ratio to the naive core are recorded in
extra_info, not asserted (the figures depend on the machine and on what else runs on it). On the recorded baseline
day (6.31 M rows, 16.65 M reads, 1,440 advances) the tracker took 3.46-3.72 s (4.5-4.8 M reads/s, ratio to naive
0.56-0.62) on the shared 2-core machine at load ~6, against 3.71-4.20 s before round 9 in alternating runs
(docs/tracker.md, "Throughput (round 9)"); about 1.5 ms of it is a cost per advance, whatever the rows. Round 10
(the reader watch's tick and the shelf rule in compiled passes, estimate changes with the per-tag arrays grown once):
3.09-3.26 s against 3.18-3.29 s before in alternating runs at load ~2 (5.1-5.4 M reads/s, ratio 0.59-0.62; both
meet the target at this load), workspace.advance 0.71 -> 0.60 s; --breakdown now also times watch.step,
place.tick, place._shelves, evidence.observe and watch.observe. Round 11 (the whole live input, --reader-events: status
rows decoded in whole-table Arrow passes, the clock correction's reader index by the ingest's interner): with the
status stream 4.84-5.27 s (3.2-3.4 M reads/s) against 6.42-6.74 s before in alternating runs at load ~3, reads only
unchanged (2.9-3.1 s); --breakdown also times core.reader_events and what it calls (status_rows.decode,
clocks.observe, beams.push, beam_watch.push, watch.status / watch.status_coded), core.ingest with the clock correction
(core._reader_of, clocks.correct) and clocks.arrive: after, one run at load ~2.4, core.ingest 0.66 s (ingest.push 0.32,
_reader_of 0.10, correct 0.11), clocks.arrive 0.14, core.reader_events 0.43 (decode 0.25, watch.status_coded 0.09).
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import pytest

from twin.bench.naive import NaiveCore
from twin.bench.throughput import synthetic_chunks, synthetic_site
from twin.tracker.core import TrackerCore

TARGET_READS_PER_S = 5e6


def time_core(cls, site: dict, chunks: list[np.ndarray], edges: list[int], config: dict | None = None,
              status: list | None = None) -> float:  # fmt: skip
    """CPU seconds (time.process_time: the machine is shared) of ingest + advance over all chunks (a fresh core);
    with `status` (one reader-events table or None per chunk), each chunk's status rows go in before its advance."""
    core = cls(site, config) if config is not None else cls(site)
    status = status if status and hasattr(core, "reader_events") else [None] * len(chunks)  # the naive core: none
    t = time.process_time()
    for c, e, st in zip(chunks, edges, status):
        if st is not None:
            core.reader_events(st)
        core.ingest(c)
        core.advance(e)
    return time.process_time() - t


def recorded_status(path: str, edges: list[int]) -> list:
    """The recorded reader status stream (keepalives, reader events, light-barrier GPIEvents) cut at the chunks'
    advance times, as `twin replay --reader-events` hands it in: one table per chunk (None when it has no rows)."""
    from twin.tracker.replay import read_reader_events

    table = read_reader_events(path)
    t = table["t_us"].to_numpy(zero_copy_only=False)
    cuts = np.searchsorted(t, np.asarray(edges, dtype=np.int64), side="left")
    out, at = [], 0
    for k in cuts:
        out.append(table.slice(at, int(k) - at) if k > at else None)
        at = max(at, int(k))
    return out


def compare(site: dict, chunks: list[np.ndarray], edges: list[int], config: dict | None = None, rounds: int = 3,
            status: list | None = None) -> dict:  # fmt: skip
    """Best of `rounds` for the tracker and the naive core, interleaved so both see the same machine load (with
    `status`, both are handed the reader status stream too)."""
    rows = sum(len(c) for c in chunks)
    counts = int(sum(int(c["count"].sum(dtype=np.int64)) for c in chunks))
    tr, nv = [], []
    for _ in range(rounds):
        tr.append(time_core(TrackerCore, site, chunks, edges, config or {}, status))
        nv.append(time_core(NaiveCore, site, chunks, edges, None, status))
    return {"rows": rows, "tag_seen_count": counts,
            "status_rows": sum(t.num_rows for t in status if t is not None) if status else 0, "tracker_cpu_s": round(min(tr), 3), "naive_cpu_s": round(min(nv), 3),
            "tracker_rows_per_s": round(rows / min(tr)), "tracker_reads_per_s": round(counts / min(tr)),
            "naive_rows_per_s": round(rows / min(nv)), "naive_reads_per_s": round(counts / min(nv)),
            "ratio_to_naive": round(min(nv) / min(tr), 3),
            "meets_reads_target": counts / min(tr) >= TARGET_READS_PER_S}  # fmt: skip


#: The core's steps timed by --breakdown: (module, owner, attribute, label); a step's time includes the steps it calls,
#: and steps a version of the core does not have are left out (the array-form names are kept for before/after).
STEPS = (
    ("twin.tracker.ingest", "Ingest", "push", "ingest.push"),
    ("twin.tracker.ingest", "Ingest", "pop", "ingest.pop"),
    ("twin.tracker.locate", "Locator", "process", "locate.process (all below)"),
    ("twin.tracker.locate", None, "rows_pass", "  rows_pass"),
    ("twin.tracker.calib", "AntennaCalibration", "observe", "  calib.observe"),
    ("twin.tracker.calib", "AntennaCalibration", "weights", "  calib.weights"),
    ("twin.tracker.locate", None, "evidence_pass", "  evidence_pass"),
    ("twin.tracker.portal", "Passages", "young", "  portal.young"),
    ("twin.tracker.locate", None, "beam_rows", "  beam_passages.beam_rows"),
    ("twin.tracker.locate", "Locator", "_directions", "  locate._directions"),
    ("twin.tracker.locate", None, "seal_pass", "  seal_pass"),
    ("twin.tracker.locate", None, "space_pass", "  space_pass"),
    ("twin.tracker.locate", None, "unit_pass", "  unit_pass"),
    ("twin.tracker.locate", None, "cycles", "  smooth.cycles"),
    ("twin.tracker.locate", None, "accept", "  smooth.accept"),
    ("twin.tracker.locate", "Locator", "_seal", "  locate._seal"),
    ("twin.tracker.locate", "Locator", "_learn_rate", "  locate._learn_rate"),
    ("twin.tracker.locate", "Locator", "_merge", "  locate._merge"),
    ("twin.tracker.locate", "Locator", "grow", "locate.grow"),
    ("twin.tracker.beams", "Beams", "update", "beams.update"),
    ("twin.tracker.core", "TrackerCore", "_output", "core._output (all below)"),
    ("twin.tracker.holder", "Holders", "infer", "  holder.infer"),
    ("twin.tracker.ale", "EventCycles", "cycle", "  ale.cycle"),
    ("twin.tracker.workspace", "Workspace", "advance", "  workspace.advance"),
    ("twin.tracker.alerts", "Alerts", "changes", "    alerts.changes"),
    ("twin.tracker.alerts", "Alerts", "tick", "    alerts.tick"),
    ("twin.tracker.alert_readers", "ReaderWatch", "step", "      watch.step"),
    ("twin.tracker.alert_place", "PlaceRules", "tick", "      place.tick"),
    ("twin.tracker.alert_place", "PlaceRules", "_shelves", "        place._shelves"),
    ("twin.tracker.custody", "Custody", "update", "    custody.update"),
    ("twin.tracker.workspace", "Workspace", "observe", "workspace.observe"),
    ("twin.tracker.alerts_evidence", "ReadEvidence", "observe", "  evidence.observe"),
    ("twin.tracker.alert_readers", "ReaderWatch", "observe", "  watch.observe"),
    ("twin.tracker.core", "TrackerCore", "ingest", "core.ingest (ingest.push and the clock correction)"),
    ("twin.tracker.core", "TrackerCore", "_reader_of", "  core._reader_of"),
    ("twin.tracker.calib", "ReaderClocks", "correct", "clocks.correct (reads and GPIEvents)"),
    ("twin.tracker.calib", "ReaderClocks", "arrive", "clocks.arrive"),
    ("twin.tracker.core", "TrackerCore", "reader_events", "core.reader_events (all below)"),
    ("twin.tracker.status_rows", "StatusDecoder", "decode", "  status_rows.decode"),
    ("twin.tracker.calib", "ReaderClocks", "observe", "  clocks.observe"),
    ("twin.tracker.beams", "Beams", "push", "  beams.push"),
    ("twin.tracker.beam_watch", "BeamWatch", "push", "  beam_watch.push"),
    ("twin.tracker.alert_readers", "ReaderWatch", "status", "  watch.status"),
    ("twin.tracker.alert_readers", "ReaderWatch", "status_coded", "  watch.status_coded"),
)


def breakdown(site: dict, chunks: list[np.ndarray], edges: list[int], config: dict | None = None,
              status: list | None = None) -> dict:  # fmt: skip
    """CPU seconds by step (STEPS) over one instrumented run after a warm one, and the whole without instruments."""
    import functools
    import importlib

    whole = min(time_core(TrackerCore, site, chunks, edges, config or {}, status) for _ in range(2))
    acc: dict[str, float] = {}
    saved = []
    for mod, owner, attr, label in STEPS:
        try:
            obj = importlib.import_module(mod)
        except ModuleNotFoundError:  # a module an older version of the core does not have
            continue
        obj = getattr(obj, owner, None) if owner else obj
        f = getattr(obj, attr, None) if obj is not None else None
        if f is None:
            continue

        def timed(*a, _f=f, _label=label, **k):
            t = time.process_time()
            try:
                return _f(*a, **k)
            finally:
                acc[_label] = acc.get(_label, 0.0) + time.process_time() - t

        saved.append((obj, attr, f))
        setattr(obj, attr, functools.wraps(f)(timed))
    try:
        time_core(TrackerCore, site, chunks, edges, config or {}, status)
    finally:
        for obj, attr, f in saved:
            setattr(obj, attr, f)
    counts = int(sum(int(c["count"].sum(dtype=np.int64)) for c in chunks))
    return {"whole_cpu_s": round(whole, 3), "reads_per_s": round(counts / whole),
            "steps_cpu_s": {label: round(acc.get(label, 0.0), 3) for *_, label in STEPS if label in acc}}  # fmt: skip


def synthetic(n_reads: int = 1_000_000, n_tags: int = 5_000, n_chunks: int = 4):
    site = synthetic_site()
    chunks = synthetic_chunks(n_reads, n_tags, n_chunks, site=site)
    return site, chunks, [int(c["t_us"].max()) + 1 for c in chunks]


def recorded(reads_path: str, site_path: str, max_chunks: int | None = None, merge: int = 1):
    """(site, chunks, advance times) of a recorded stream in the replay's 60 s chunks; merge > 1: every `merge`
    chunks handed in as one, advanced to the last one's edge (a diagnostic of the cost per advance: the outputs
    differ, as the core advances less often)."""
    from twin.tracker.replay import iter_chunks

    site = json.loads(open(site_path, encoding="utf-8").read())
    pairs = list(iter_chunks(reads_path))[:max_chunks]
    chunks, edges = [p[0] for p in pairs], [p[1] for p in pairs]
    if merge > 1:
        edges = [edges[min(i + merge, len(edges)) - 1] for i in range(0, len(chunks), merge)]
        chunks = [np.concatenate(chunks[i:i + merge]) for i in range(0, len(chunks), merge)]
    return site, chunks, edges


def memory(n_tags: int = 100_000, n_reads: int = 50_000_000, chunk: int = 1_000_000) -> dict:
    """Peak RSS while the tracker eats a long synthetic stream, generated chunk by chunk (never held whole)."""
    site = synthetic_site()
    core = TrackerCore(site)
    rss = []
    t = time.perf_counter()
    for k in range(n_reads // chunk):
        (c,) = synthetic_chunks(chunk, n_tags, 1, seed=k + 1, site=site)
        c["t_us"] += k * 60_000_000
        core.ingest(c)
        core.advance(int(c["t_us"].max()) + 1)
        rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    wall = time.perf_counter() - t
    return {"tags": n_tags, "reads": n_reads, "peak_rss_mb_after_10pct": round(rss[len(rss) // 10], 1),
            "peak_rss_mb_at_end": round(rss[-1], 1), "reads_per_s": round(n_reads / wall)}  # fmt: skip


def score_recording(run_dir: str, site_path: str, config: dict | None = None) -> dict:
    """Run tracker and naive over RUN/reads.parquet (+ events) as the bench would, score both against RUN/truth."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from twin.bench.score import flat_values, score

    site = json.loads(open(site_path, encoding="utf-8").read())
    _, chunks, edges = recorded(f"{run_dir}/reads.parquet", site_path)
    events = pq.read_table(f"{run_dir}/events.parquet")
    ev_t = events["t_us"].to_numpy()
    truth = pq.read_table(f"{run_dir}/truth.parquet")
    start, end = int(truth["t0_us"].to_numpy().min()), int(truth["t1_us"].to_numpy().max())
    warmup_s = 600.0
    out = {}
    for name, cls, cfg in (("tracker", TrackerCore, config or {}), ("naive", NaiveCore, None)):
        core = cls(site, cfg) if cfg is not None else cls(site)
        ests, at, wall = [], 0, 0.0
        for c, e in zip(chunks, edges):
            k = int(np.searchsorted(ev_t, e))
            t = time.perf_counter()
            core.apply(events.slice(at, k - at))
            core.ingest(c)
            ests.append(core.advance(e).estimates)
            wall += time.perf_counter() - t
            at = k
        ests.append(core.advance(edges[-1] + 10_000_000).estimates)
        est = pa.concat_tables(ests)
        m = flat_values(score(truth, est, None, None, start_us=start, end_us=end, warmup_s=warmup_s, site=site))
        keep = ("zone_detection_probability", "storage_detection_probability", "latency_s_p50", "latency_s_p95",
                "latency_portal_s_p50", "latency_portal_s_p95", "latency_missed_share", "latency_portal_missed_share")
        out[name] = {k: m.get(k) for k in keep}
        out[name]["portal_direction_right"] = m.get("portal_direction_right")
        out[name]["estimate_rows"] = est.num_rows
        out[name]["reads_per_s"] = round(sum(len(c) for c in chunks) / wall)
    return out


def output_hashes(run_dirs: list[str], site_path: str, config: dict | None = None) -> dict:
    """Row counts and SHA-256 of the estimates and alerts the tracker writes when it replays each RUN (reads, events
    and reader events, as `twin replay` does), and of its counters: a speed change must leave them all unchanged
    (compare before/after on the same commit of everything else)."""
    import hashlib
    import tempfile

    import pyarrow.parquet as pq

    from twin.tracker.replay import replay

    out = {}
    for run in run_dirs:
        with tempfile.TemporaryDirectory() as d:
            st = replay(f"{run}/reads.parquet", site_path, f"{run}/events.parquet", d, config,
                        reader_events_path=f"{run}/reader_events.parquet")  # fmt: skip
            for k in ("wall_s", "reads_per_s"):
                st.pop(k, None)
            for name in ("estimates", "alerts"):
                t = pq.read_table(f"{d}/{name}.parquet")
                h = hashlib.sha256()
                for c in t.column_names:
                    h.update(repr(t.column(c).to_pylist()).encode())
                out[f"{run}:{name}"] = {"rows": t.num_rows, "sha256": h.hexdigest()[:16]}
            out[f"{run}:stats"] = hashlib.sha256(json.dumps(st, sort_keys=True).encode()).hexdigest()[:16]
    return out


@pytest.mark.benchmark
def test_tracker_throughput_synthetic(benchmark):
    site, chunks, edges = synthetic()
    benchmark.pedantic(time_core, args=(TrackerCore, site, chunks, edges, {}), rounds=3, iterations=1)
    benchmark.extra_info.update(compare(site, chunks, edges, rounds=2))


@pytest.mark.benchmark
def test_tracker_memory_bounded():
    m = memory(n_tags=100_000, n_reads=5_000_000)
    assert m["peak_rss_mb_at_end"] < m["peak_rss_mb_after_10pct"] + 300


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reads")
    ap.add_argument("--site")
    ap.add_argument("--config")
    ap.add_argument("--chunks", type=int)
    ap.add_argument("--reader-events", help="the recorded reader status stream (RUN/reader_events.parquet), handed in "
                    "before each advance as a live run does: the light barriers' rules then run")
    ap.add_argument("--merge", type=int, default=1, help="hand in every N recorded chunks as one (cost per advance)")
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--score", metavar="RUN_DIR")
    ap.add_argument("--hash", metavar="RUN_DIR", nargs="+", help="hashes of the replayed estimates and alerts")
    ap.add_argument("--breakdown", action="store_true", help="CPU seconds by step of the core")
    a = ap.parse_args()
    if a.breakdown:
        cfg = json.loads(open(a.config, encoding="utf-8").read()) if a.config else None
        s, ch, ed = recorded(a.reads, a.site, a.chunks, a.merge) if a.reads else synthetic()
        st = recorded_status(a.reader_events, ed) if a.reader_events else None
        print(json.dumps(breakdown(s, ch, ed, cfg, st), indent=2))
    elif a.hash:
        cfg = json.loads(open(a.config, encoding="utf-8").read()) if a.config else None
        print(json.dumps(output_hashes(a.hash, a.site, cfg), indent=2))
    elif a.score:
        cfg = json.loads(open(a.config, encoding="utf-8").read()) if a.config else None
        print(json.dumps(score_recording(a.score, a.site, cfg), indent=2))
    elif a.memory:
        print(json.dumps(memory(), indent=2))
    else:
        cfg = json.loads(open(a.config, encoding="utf-8").read()) if a.config else None
        s, ch, ed = recorded(a.reads, a.site, a.chunks, a.merge) if a.reads else synthetic()
        st = recorded_status(a.reader_events, ed) if a.reader_events else None
        print(json.dumps(compare(s, ch, ed, cfg, status=st), indent=2))
