"""`twin run`: run a scenario chunk by chunk, write the workspace (scenario as run, metrics.json, streams on request).

Streams are written chunk by chunk through ParquetSink, so a week-long run never holds a whole stream in memory.
"""

from __future__ import annotations

import json
import platform
import resource
import sys
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .records import (ANOMALIES_SCHEMA, EVENTS_SCHEMA, READER_EVENTS_SCHEMA, READS_SCHEMA, TRUTH_SCHEMA, ParquetSink,
                      reads_to_arrow)
from .scenario import DEFAULT_SCENARIO, Scenario, load_scenario


def run_scenario(
    scenario_path: str | Path | None,
    out_dir: str | Path,
    seed: int | None = None,
    days: float | None = None,
    save_streams: bool = False,
    progress: bool = True,
    summary: bool = True,
) -> dict:
    """Run a scenario (default: the baseline) into out_dir; print a summary table; return the metrics written to
    out_dir/metrics.json."""
    from rich.console import Console

    scn = load_scenario(scenario_path or DEFAULT_SCENARIO).with_overrides(seed=seed, days=days)
    metrics = run_loaded(scn, out_dir, save_streams=save_streams, progress=progress)
    if summary:
        Console().print(summary_table(metrics))
    return metrics


def run_loaded(scn: Scenario, out_dir: str | Path, *, save_streams: bool = False, progress: bool = True,
               console=None, observers=(), **world_kw) -> dict:
    """Run an already validated scenario (see run_scenario); world_kw go to World (agents=, engine_factory=).

    `observers` (e.g. twin.bench.drive.BenchDriver) get `start(world, out)` once, `chunk(ch)` per chunk and
    `finish(metrics)` before metrics.json is written; the wall time they spend in `chunk` is reported apart."""
    from rich.console import Console

    from .world import World

    console = console or Console(stderr=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scenario.toml").write_text(scenario_toml(scn), encoding="utf-8")
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    world = World(scn, **world_kw)
    build_s = time.perf_counter() - wall0
    for obs in observers:
        obs.start(world, out)
    observer_s = 0.0
    sinks = {}
    if save_streams:
        sinks = {
            "reads": ParquetSink(out / "reads.parquet", READS_SCHEMA),
            "truth": ParquetSink(out / "truth.parquet", TRUTH_SCHEMA),
            "anomalies": ParquetSink(out / "anomalies.parquet", ANOMALIES_SCHEMA),
            "events": ParquetSink(out / "events.parquet", EVENTS_SCHEMA),
            "reader_events": ParquetSink(out / "reader_events.parquet", READER_EVENTS_SCHEMA),
        }
    n_reads = n_counts = n_truth = n_segments = n_chunks = n_status = 0
    anomalies: Counter[str] = Counter()
    events: Counter[str] = Counter()
    bar = _progress(console, scn) if progress else None
    task = bar.add_task("simulating", total=scn.duration_s, when=scn.start.strftime("%a %Y-%m-%d %H:%M")) if bar else None
    try:
        if bar:
            bar.start()
        for ch in world.run():
            n_chunks += 1
            n_reads += len(ch.reads)
            n_counts += int(ch.reads["count"].sum(dtype=np.int64)) if len(ch.reads) else 0
            n_truth += ch.truth.num_rows
            n_segments += ch.counters.get("segments", 0)
            status = getattr(ch, "reader_events", None)
            n_status += status.num_rows if status is not None else 0
            anomalies.update(ch.anomalies.column("kind").to_pylist())
            events.update(ch.events.column("kind").to_pylist())
            if sinks:
                sinks["reads"].write(reads_to_arrow(ch.reads))
                sinks["truth"].write(ch.truth)
                sinks["anomalies"].write(ch.anomalies)
                sinks["events"].write(ch.events)
                if status is not None:
                    sinks["reader_events"].write(status)
            if observers:
                w_obs = time.perf_counter()
                for obs in observers:
                    obs.chunk(ch)
                observer_s += time.perf_counter() - w_obs
            if bar:
                sim_s = (ch.t1_us - scn.start_us) / 1e6
                bar.update(task, completed=sim_s, when=scn.at(sim_s).strftime("%a %Y-%m-%d %H:%M"))
    finally:
        if bar:
            bar.stop()
        for s in sinks.values():
            s.close()
    wall_s = time.perf_counter() - wall0
    cpu_s = time.process_time() - cpu0
    led = world.ledger
    kinds = led.tag_kind_counts()
    metrics: dict[str, Any] = {
        "scenario": scn.name,
        "seed": scn.seed,
        "sim": {
            "start": scn.start.isoformat(),
            "start_us": scn.start_us,
            "end_us": scn.end_us,
            "duration_s": scn.duration_s,
            "days": scn.days,
            "chunk_s": scn.chunk_s,
            "chunks": n_chunks,
        },
        "population": {
            "officers": led.n_officers,
            "dossiers": kinds["dossier"],
            "items": kinds["item"],
            "badges": kinds["badge"],
            "tags": led.n_tags,
            "readers": len(world.placement.readers),
            "antennas": len(world.placement.antennas),
        },
        "moves": {"walks": led.walks, "tag_space_changes": led.moves, "truth_intervals": n_truth,
                  "tag_segments": n_segments},
        "reads": {"rows": n_reads, "count_sum": n_counts},
        "reader_events": {"rows": n_status},
        "anomalies": {"total": sum(anomalies.values()), "by_kind": dict(sorted(anomalies.items()))},
        "events": {"total": sum(events.values()), "by_kind": dict(sorted(events.items()))},
        "outages": len(world.outages),
        "runtime": {
            "wall_s": round(wall_s, 3),
            "build_s": round(build_s, 3),
            "cpu_s": round(cpu_s, 3),
            "real_time_factor": round(scn.duration_s / wall_s, 1) if wall_s > 0 else None,
            "real_time_factor_cpu": round(scn.duration_s / cpu_s, 1) if cpu_s > 0 else None,
            "world_reads_per_s": round(n_reads / wall_s, 1) if wall_s > 0 else None,
            "peak_rss_mb": round(peak_rss_mb(), 1),
        },
        "versions": versions(),
        "streams_saved": bool(save_streams),
    }
    if observers:
        metrics["runtime"]["observer_s"] = round(observer_s, 3)
    metrics["expect"] = check_expect(scn, metrics)
    for obs in observers:
        obs.finish(metrics)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return metrics


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1024 * 1024) if sys.platform == "darwin" else r / 1024


def versions() -> dict[str, str]:
    import pyarrow
    import simpy

    return {"twin": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "simpy": simpy.__version__, "pyarrow": pyarrow.__version__}


def flat_metrics(metrics: dict, prefix: str = "") -> dict[str, float]:
    """Numeric metrics flattened to dotted names (what [expect] bands refer to), e.g. 'anomalies.by_kind.drawer'."""
    out: dict[str, float] = {}
    for k, v in metrics.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flat_metrics(v, name + "."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[name] = float(v)
    return out


def check_expect(scn: Scenario, metrics: dict) -> dict[str, dict]:
    """Each [expect] band beside the measured value. Bands on metrics a run does not produce (the bench's scores,
    e.g. zone_detection_probability) are left to the bench: value and inside are None."""
    flat = flat_metrics(metrics)
    res = {}
    for name, band in scn.expect.items():
        v = flat.get(name)
        res[name] = {"value": v, "min": band.min, "max": band.max, "inside": None if v is None else band.holds(v)}
    return res


def _progress(console, scn: Scenario):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("sim {task.fields[when]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def summary_table(metrics: dict):
    """A rich Table summarising a run's metrics (what `twin run` prints)."""
    from rich.table import Table

    t = Table(title=f"twin run: {metrics['scenario']} (seed {metrics['seed']})", show_header=True)
    t.add_column("metric")
    t.add_column("value", justify="right")
    p, rt = metrics["population"], metrics["runtime"]
    rows = [
        ("simulated", f"{metrics['sim']['duration_s'] / 3600:.1f} h from {metrics['sim']['start']}"),
        ("officers / dossiers / items", f"{p['officers']} / {p['dossiers']} / {p['items']}"),
        ("readers / antennas", f"{p['readers']} / {p['antennas']}"),
        ("walks / tag space changes", f"{metrics['moves']['walks']:,} / {metrics['moves']['tag_space_changes']:,}"),
        ("reads (rows / tag count)", f"{metrics['reads']['rows']:,} / {metrics['reads']['count_sum']:,}"),
        ("truth intervals", f"{metrics['moves']['truth_intervals']:,}"),
        ("events", ", ".join(f"{k} {v}" for k, v in metrics["events"]["by_kind"].items()) or "0"),
        ("anomalies", ", ".join(f"{k} {v}" for k, v in metrics["anomalies"]["by_kind"].items()) or "0"),
        ("wall time", f"{rt['wall_s']:.1f} s (build {rt['build_s']:.1f} s)"),
        ("real-time factor", f"{rt['real_time_factor']:,.0f}x wall, {rt['real_time_factor_cpu']:,.0f}x CPU"),
        ("peak memory", f"{rt['peak_rss_mb']:.0f} MB"),
    ]
    for name, chk in metrics.get("expect", {}).items():
        if chk["value"] is None:
            continue
        lo = "" if chk["min"] is None else f"{chk['min']:g} <= "
        hi = "" if chk["max"] is None else f" <= {chk['max']:g}"
        mark = "[green]ok[/green]" if chk["inside"] else "[red]OUT[/red]"
        rows.append((f"expect {name}", f"{lo}{chk['value']:g}{hi} {mark}"))
    for r in rows:
        t.add_row(*r)
    return t


# -- the scenario as run, back to TOML -----------------------------------------------------------------------------
def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, Path):
        v = str(v)
    return json.dumps(str(v), ensure_ascii=False)


def _toml_table(d: dict, path: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in d.items() if not isinstance(v, dict) and not _is_table_list(v)}
    if path and (scalars or not d):
        lines.append(f"\n[{'.'.join(path)}]")
    for k, v in scalars.items():
        if v is None:
            continue
        lines.append(f"{k} = {_toml_value(v)}")
    for k, v in d.items():
        if isinstance(v, dict):
            _toml_table(v, path + [k], lines)
        elif _is_table_list(v):
            for item in v:
                lines.append(f"\n[[{'.'.join(path + [k])}]]")
                for kk, vv in item.items():
                    if vv is not None:
                        lines.append(f"{kk} = {_toml_value(vv)}")


def _is_table_list(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, dict) for x in v)


def scenario_toml(scn: Scenario) -> str:
    """The validated scenario with every default filled in, as TOML that load_scenario reads back."""
    d = scn.model_dump(exclude={"source"})
    d["duration"] = d.pop("duration_s")
    d["chunk"] = d.pop("chunk_s")
    d["warmup"] = d.pop("warmup_s")
    d["floor"] = str(scn.floor)
    d["placement"] = str(scn.placement)
    for o in d.get("faults", {}).get("outages", ()) or ():
        o["duration"] = o.pop("duration_s")
    expect = {k: {kk: vv for kk, vv in b.items() if vv is not None} for k, b in d.pop("expect", {}).items()}
    lines = [f"# scenario as run (from {scn.source})"]
    top = {k: v for k, v in d.items() if not isinstance(v, dict)}
    _toml_table(top, [], lines)
    for k, v in d.items():
        if isinstance(v, dict):
            _toml_table(v, [k], lines)
    if expect:
        lines.append("\n[expect]")
        for k, b in expect.items():
            inner = ", ".join(f"{kk} = {_toml_value(vv)}" for kk, vv in b.items())
            lines.append(f'"{k}" = {{ {inner} }}')
    return "\n".join(lines) + "\n"
