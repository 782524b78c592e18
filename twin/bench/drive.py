"""Drive one world run through a core (and, with compare, the naive and oracle cores beside it) and score each.

`BenchDriver` is a `twin.run.run_loaded` observer: the world is generated once, every chunk goes to each core through
the Core protocol (ingest, apply, advance to the chunk's end), estimate and alert rows are written chunk by chunk
through ParquetSink, and at the end each core is scored against the same truth. `run_with_core` is what
`twin run --core NAME [--compare]` calls: metrics.json gains `core`, `bench` (every metric with its unit) and, when
compared, `compare` ({core: metrics}); report.html is written beside it, and dead_tags.csv (the tags that never
answer in this run's read model, twin.bench.dead_tags: scored apart as undetectable).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..records import ALERTS_SCHEMA, ANOMALIES_SCHEMA, ESTIMATES_SCHEMA, TRUTH_SCHEMA, ParquetSink
from .dead_tags import FILE as DEAD_FILE, dead_tags, write_dead_tags
from .loader import load_core
from .perf import peak_memory_mb, reads_per_s, real_time_factor
from .score import flat_values, score

#: The reference cores run beside the run's core with --compare (DESIGN: every accuracy figure beside both).
REFERENCES = ("naive", "oracle")

#: Entries of a core's metrics that measure the machine or the volume, not the core's accuracy (never gated on
#: baselines: wall-clock figures depend on the machine and its load).
RUNTIME_METRICS = ("core_wall_s", "core_reads_per_s", "world_wall_s", "world_reads_per_s", "real_time_factor",
                   "core_real_time_factor", "score_wall_s", "peak_memory_mb", "reads", "estimate_rows",
                   "estimate_rows_per_read", "alert_rows")


def core_config(name: str, world) -> dict | None:
    """The config a built-in core gets: the oracle knows the world's true link model; others get none."""
    return {"world": world} if name == "oracle" else None


class _Driven:
    """One core in a run: its instance, output sinks, wall time and row counts."""

    def __init__(self, name: str, core, folder: Path):
        self.name, self.core = name, core
        folder.mkdir(parents=True, exist_ok=True)
        self.est_path, self.alert_path = folder / "estimates.parquet", folder / "alerts.parquet"
        self.est_sink = ParquetSink(self.est_path, ESTIMATES_SCHEMA)
        self.alert_sink = ParquetSink(self.alert_path, ALERTS_SCHEMA)
        self.wall_s = 0.0
        self.est_rows = self.alert_rows = 0
        fn = getattr(core, "reader_events", None)
        self.status_fn = fn if callable(fn) else None
        fn = getattr(core, "observe", None) if name == "oracle" else None
        self.observe_fn = fn if callable(fn) else None

    def step(self, ch) -> None:
        w0 = time.perf_counter()
        if self.observe_fn is not None:  # the oracle learns when the portals' door sensors fired (as run_with_cores)
            self.observe_fn(ch.t0_us, ch.t1_us, ch.segments)
        self.core.ingest(ch.reads)
        self.core.apply(ch.events)
        status = getattr(ch, "reader_events", None)
        if status is not None and self.status_fn is not None:  # optional protocol member
            self.status_fn(status)
        out = self.core.advance(ch.t1_us)
        self.wall_s += time.perf_counter() - w0
        if out.estimates.num_rows:
            self.est_sink.write(out.estimates.cast(ESTIMATES_SCHEMA))
            self.est_rows += out.estimates.num_rows
        if out.alerts.num_rows:
            self.alert_sink.write(out.alerts.cast(ALERTS_SCHEMA))
            self.alert_rows += out.alerts.num_rows

    def close(self) -> None:
        self.est_sink.close()
        self.alert_sink.close()

    def tables(self) -> tuple[pa.Table, pa.Table]:
        est = pq.read_table(self.est_path) if self.est_path.exists() else ESTIMATES_SCHEMA.empty_table()
        alr = pq.read_table(self.alert_path) if self.alert_path.exists() else ALERTS_SCHEMA.empty_table()
        return est, alr


class BenchDriver:
    """A run_loaded observer that drives `core` (and the references when `compare`) and scores them."""

    def __init__(self, core: str = "naive", *, compare: bool = False, report: bool = True,
                 references: tuple[str, ...] = REFERENCES):  # fmt: skip
        self.core_name = core
        self.names = [core] + ([r for r in references if r != core] if compare else [])
        self.compare = compare
        self.report = report
        self.driven: dict[str, _Driven] = {}
        self.truth: list[pa.Table] = []
        self.anomalies: list[pa.Table] = []
        self.n_reads = 0
        self.results: dict[str, dict] = {}
        self.tables: dict[str, tuple[pa.Table, pa.Table]] = {}

    def start(self, world, out: Path) -> None:
        from ..readers.site import export_site, write_site

        self.world, self.out = world, Path(out)
        self.scn = world.scenario
        self.site = export_site(world.floor, world.placement)
        write_site(world.floor, world.placement, self.out / "site.json")
        for name in self.names:  # load every core before the world runs: a bad --core fails fast
            folder = self.out if name == self.core_name else self.out / "compare" / name
            self.driven[name] = _Driven(name, load_core(name, self.site, core_config(name, world)), folder)

    def chunk(self, ch) -> None:
        self.n_reads += len(ch.reads)
        self.truth.append(ch.truth)
        self.anomalies.append(ch.anomalies)
        for d in self.driven.values():
            d.step(ch)

    def finish(self, metrics: dict) -> None:
        for d in self.driven.values():
            d.close()
        truth = pa.concat_tables(self.truth) if self.truth else TRUTH_SCHEMA.empty_table()
        anomalies = pa.concat_tables(self.anomalies) if self.anomalies else ANOMALIES_SCHEMA.empty_table()
        self.truth_table, self.anomaly_table = truth, anomalies
        # tags that never answer in this run's read model: undetectable anomalies and sweeps, scored apart
        self.dead = dead_tags(truth, world=self.world)
        write_dead_tags(self.out / DEAD_FILE, self.dead)
        rt = metrics["runtime"]
        cores_s = sum(d.wall_s for d in self.driven.values())
        world_s = max(rt["wall_s"] - rt.get("observer_s", cores_s), 1e-9)
        for name, d in self.driven.items():
            est, alr = d.tables()
            self.tables[name] = (est, alr)
            w0 = time.perf_counter()
            m = score(truth, est, anomalies, alr, start_us=self.scn.start_us, end_us=self.scn.end_us,
                      warmup_s=self.scn.warmup_s, site=self.site, sweeps=_sweeps(d.core),
                      dead_tags=self.dead)  # fmt: skip
            score_s = time.perf_counter() - w0
            m.update(self._runtime(d, world_s, score_s))
            self.results[name] = m
        metrics["core"] = self.core_name
        metrics["bench"] = self.results[self.core_name]
        if self.compare:
            metrics["compare"] = {n: m for n, m in self.results.items() if n != self.core_name}
        values = flat_values(metrics["bench"])
        for name, chk in metrics.get("expect", {}).items():  # bands on bench scores, left open by run.py
            if chk["value"] is None and values.get(name) is not None:
                v = values[name]
                chk["value"] = v
                chk["inside"] = (chk["min"] is None or v >= chk["min"]) and (chk["max"] is None or v <= chk["max"])
        if self.report:
            from .report import write_report

            write_report(self.out / "report.html", self, metrics)
            metrics["report"] = "report.html"

    def _runtime(self, d: _Driven, world_s: float, score_s: float) -> dict[str, dict]:
        sim_s = float(self.scn.duration_s)
        n = self.n_reads
        return {
            "core_wall_s": {"value": d.wall_s, "unit": "s"},
            "core_reads_per_s": {"value": reads_per_s(n, d.wall_s), "unit": "reads/s"},
            "world_wall_s": {"value": world_s, "unit": "s"},
            "world_reads_per_s": {"value": reads_per_s(n, world_s), "unit": "reads/s"},
            "real_time_factor": {"value": real_time_factor(sim_s, world_s + d.wall_s), "unit": "sim s / wall s"},
            "core_real_time_factor": {"value": real_time_factor(sim_s, d.wall_s), "unit": "sim s / wall s"},
            "score_wall_s": {"value": score_s, "unit": "s"},
            "peak_memory_mb": {"value": peak_memory_mb(), "unit": "MiB"},
            "reads": {"value": float(n), "unit": "reads"},
            "estimate_rows": {"value": float(d.est_rows), "unit": "rows"},
            "estimate_rows_per_read": {"value": d.est_rows / n if n else None, "unit": "rows/read"},
            "alert_rows": {"value": float(d.alert_rows), "unit": "rows"},
        }


def _sweeps(core) -> list[dict] | None:
    """The sweep reports a core keeps (the tracker's workspace), else None: inventory is scored only then."""
    return getattr(getattr(core, "workspace", None), "sweeps", None)


def run_with_core(scn: Any, out_dir: str | Path, core: str = "naive", compare: bool = False,
                  save_streams: bool = False, progress: bool = True, *, report: bool = True, console=None,
                  references: tuple[str, ...] = REFERENCES, **world_kw) -> dict:  # fmt: skip
    """Run a scenario (a Scenario or a path) through `core` (and naive + oracle with compare) into out_dir:
    metrics.json with the scores, estimates.parquet, alerts.parquet, site.json and report.html. Returns the metrics."""
    from ..run import run_loaded
    from ..scenario import Scenario, load_scenario

    if not isinstance(scn, Scenario):
        scn = load_scenario(scn)
    driver = BenchDriver(core, compare=compare, report=report, references=references)
    return run_loaded(scn, out_dir, save_streams=save_streams, progress=progress, console=console,
                      observers=[driver], **world_kw)  # fmt: skip


def bench_rows(metrics: dict) -> list[tuple[str, str, list[str]]]:
    """(metric, unit, [value per core]) for the summary tables: the run's core first, then the references."""
    cores = {metrics["core"]: metrics["bench"], **metrics.get("compare", {})}
    names = list(metrics["bench"])
    for m in cores.values():
        names += [k for k in m if k not in names]
    rows = []
    for k in names:
        unit = next((m[k].get("unit", "") for m in cores.values() if k in m), "")
        rows.append((k, unit, [fmt_value(m.get(k, {}).get("value")) for m in cores.values()]))
    return rows


def fmt_value(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and (abs(v) >= 1e4 or v.is_integer()):
        return f"{v:,.0f}"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def bench_table(metrics: dict):
    """A rich Table of the bench metrics (one value column per core) for `twin run --core` to print."""
    from rich.table import Table

    cores = [metrics["core"]] + list(metrics.get("compare", {}))
    t = Table(title=f"bench: {metrics.get('scenario', '')} (core {metrics['core']})")
    t.add_column("metric")
    t.add_column("unit")
    for c in cores:
        t.add_column(c, justify="right")
    for name, unit, vals in bench_rows(metrics):
        t.add_row(name, unit, *vals)
    return t
