"""report.html: one self-contained page per run (PNG figures base64-embedded, inline CSS, no external assets).

Sections (each an <section id=...>): plan (floor plan with readers), accuracy (zone-detection probability per
space on the plan), dossier (one dossier's day, truth vs estimate), latency (CDF), alerts (against anomalies),
metrics (the table, with naive/oracle columns when compared).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pyarrow as pa

from . import report_plots as rp
from .drive import bench_rows

SECTIONS = ("plan", "accuracy", "dossier", "latency", "alerts", "metrics")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em auto;max-width:1200px;color:#222}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.15em;border-bottom:1px solid #ccc;padding-bottom:.2em}
img{max-width:100%;height:auto;border:1px solid #eee} .meta{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.85em} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}
td:first-child,th:first-child{text-align:left} tr:nth-child(even){background:#f7f7f7} .note{color:#666;font-size:.85em}
"""


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}">\n<h2>{html.escape(title)}</h2>\n{body}\n</section>'


def metrics_table(metrics: dict) -> str:
    """The bench metrics as an HTML table: one row per metric, one value column per core."""
    cores = [metrics["core"]] + list(metrics.get("compare", {}))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cores)
    rows = [f"<tr><th>metric</th><th>unit</th>{head}</tr>"]
    for name, unit, vals in bench_rows(metrics):
        cells = "".join(f"<td>{html.escape(v)}</td>" for v in vals)
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(unit)}</td>{cells}</tr>")
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def build_report(metrics: dict, *, floor, placement, truth: pa.Table, anomalies: pa.Table,
                 tables: dict[str, tuple[pa.Table, pa.Table]], start_us: int, end_us: int, warmup_s: float) -> str:  # fmt: skip
    """The whole page as a string. `tables` = {core: (estimates, alerts)}, the run's core first."""
    core = metrics["core"]
    bench = metrics["bench"]
    w0 = start_us + int(round(warmup_s * 1e6))
    parts = []
    parts.append(_section("plan", "Floor plan and readers", _img(rp.plan_with_readers(floor, placement), "floor plan")))
    by_space = bench.get("zone_detection_probability", {}).get("by_space", {})
    parts.append(_section("accuracy", f"Zone-detection probability per space ({core})",
                          _img(rp.accuracy_heatmap(floor, placement, by_space), "accuracy per space")
                          + '<p class="note">Share of dossier ticks (1 Hz, after the warm-up) whose estimated space '
                            "is the true one; grey: no dossier-time there.</p>"))  # fmt: skip
    epc = rp.busiest_dossier(truth)
    if epc is None:
        body = "<p>No dossier in this run.</p>"
    else:
        est = {n: e for n, (e, _) in tables.items()}
        body = _img(rp.dossier_day(truth, est, epc, start_us, end_us), f"dossier {epc}")
        body += f'<p class="note">The dossier that visited the most spaces: {html.escape(epc)}.</p>'
    parts.append(_section("dossier", "One dossier's day: truth vs estimate", body))
    lat = {n: rp.move_latencies_s(truth, e, w0, end_us) for n, (e, _) in tables.items()}
    parts.append(_section("latency", "Latency after true moves (CDF)", _img(rp.latency_cdf(lat), "latency CDF")))
    alerts = tables[core][1]
    parts.append(_section("alerts", f"Alerts ({core}) against anomalies",
                          _img(rp.alerts_timeline(anomalies, alerts, start_us, end_us), "alerts timeline")))  # fmt: skip
    parts.append(_section("metrics", "Metrics", metrics_table(metrics)))
    title = f"twin run: {metrics.get('scenario', '')} (seed {metrics.get('seed', '')}), core {core}"
    sim = metrics.get("sim", {})
    meta = (f"{html.escape(str(sim.get('start', '')))}, {sim.get('duration_s', 0) / 3600:.1f} h simulated, "
            f"{metrics.get('reads', {}).get('rows', 0):,} reads")  # fmt: skip
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
            f"<h1>{html.escape(title)}</h1><p class=\"meta\">{meta}</p>\n" + "\n".join(parts) + "\n</body></html>\n")  # fmt: skip


def write_report(path: str | Path, driver, metrics: dict) -> Path:
    """Write report.html from a finished BenchDriver (twin.bench.drive) and the run's metrics."""
    scn = driver.scn
    page = build_report(metrics, floor=driver.world.floor, placement=driver.world.placement, truth=driver.truth_table,
                        anomalies=driver.anomaly_table, tables=driver.tables, start_us=scn.start_us,
                        end_us=scn.end_us, warmup_s=scn.warmup_s)  # fmt: skip
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path
