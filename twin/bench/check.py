"""`twin check`: the regression gate. Run each scenario through a core, hold its metrics against the scenario's
[expect] bands and its recorded baseline, print one row per metric, write JUnit XML on request, exit 1 on any
regression.

A band names a bench score (`zone_detection_probability`, `alert_missing_recall`, ...) or a dotted name into
metrics.json (`moves.walks`). A metric fails when it is outside its band, when a band names a metric the run
did not produce, or when it moved past its baseline's tolerance in the worse direction (see baselines.py).
"""

from __future__ import annotations

import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .baselines import Baseline, load_baseline, record_baseline
from .drive import RUNTIME_METRICS, fmt_value, run_with_core
from .score import flat_values

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
#: The core `twin check` gates by default (docs/bench.md says why).
DEFAULT_CORE = "tracker"


def default_scenarios() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("ci-*.toml"))


@dataclass(frozen=True)
class Row:
    """One metric of one scenario: value, band, baseline and verdict (ok / better / OUT / regressed / missing)."""

    scenario: str
    metric: str
    value: float | None
    band: str
    baseline: str
    verdict: str
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.verdict in ("OUT", "regressed", "missing")


def _band_text(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"[{lo:g}, {hi:g}]"
    return f">= {lo:g}" if lo is not None else f"<= {hi:g}"


def metric_value(metrics: dict, name: str) -> float | None:
    """A bench score by its plain name, else a numeric metrics.json entry by its dotted name."""
    from ..run import flat_metrics

    bench = flat_values(metrics.get("bench", {}))
    if name in bench:
        return bench[name]
    return flat_metrics(metrics).get(name)


def evaluate(scenario: str, bands: dict, metrics: dict, baseline: Baseline | None) -> list[Row]:
    """Rows for every metric with a band or a baseline entry. `bands` = {name: Band (min, max)}."""
    core = metrics.get("core", "")
    use_base = baseline is not None and baseline.core == core
    names = list(bands) + [n for n in (baseline.metrics if use_base else {}) if n not in bands]
    rows = []
    for name in names:
        v = metric_value(metrics, name)
        verdicts, msgs = [], []
        band = bands.get(name)
        band_txt = "" if band is None else _band_text(band.min, band.max)
        if band is not None:
            if v is None:
                verdicts.append("missing")
                msgs.append(f"{name}: no value in this run (band {band_txt})")
            elif not band.holds(v):
                verdicts.append("OUT")
                msgs.append(f"{name} = {v:.6g} outside its band {band_txt}")
        base_txt = ""
        if use_base and name in baseline.metrics:
            e = baseline.metrics[name]
            base_txt = f"{e.value:.4g} ± {e.tol:.2g}"
            bv = e.verdict(name, v)
            if bv != "ok" and not (bv == "missing" and "missing" in verdicts):
                verdicts.append(bv)
                if bv == "regressed":
                    msgs.append(f"{name} = {v:.6g} regressed from baseline {e.value:.6g} (tolerance {e.tol:.3g})")
                elif bv == "missing":
                    msgs.append(f"{name}: no value in this run (baseline {e.value:.6g})")
        elif baseline is not None and not use_base:
            base_txt = f"({baseline.core}'s)"
        fails = [x for x in verdicts if x in ("missing", "OUT", "regressed")]
        verdict = fails[0] if fails else ("better" if "better" in verdicts else "ok")
        rows.append(Row(scenario, name, v, band_txt, base_txt, verdict, "; ".join(msgs)))
    return rows


def run_scenario_check(path: Path, core: str, *, update_baselines: bool = False, out_dir: Path | None = None,
                       baseline_dir: Path | None = None, **world_kw) -> tuple[list[Row], float]:  # fmt: skip
    """Run one scenario through `core` and evaluate it; with update_baselines record its baseline first."""
    from ..scenario import load_scenario

    scn = load_scenario(path)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="twin-check-") as tmp:
        ws = (out_dir / scn.name) if out_dir is not None else Path(tmp) / scn.name
        metrics = run_with_core(scn, ws, core=core, progress=False, report=out_dir is not None, **world_kw)
    wall = time.perf_counter() - t0
    if update_baselines:
        record_baseline(scn.name, core, scn.seed, metrics["bench"], skip=RUNTIME_METRICS, folder=baseline_dir)
    rows = evaluate(scn.name, dict(scn.expect), metrics, load_baseline(scn.name, baseline_dir))
    return rows, wall


def junit_xml(rows: list[Row], walls: dict[str, float]) -> str:
    """JUnit XML: one testsuite per scenario, one testcase per metric (a failure element when it failed)."""
    root = ET.Element("testsuites", name="twin check")
    for scenario in dict.fromkeys(r.scenario for r in rows):
        mine = [r for r in rows if r.scenario == scenario]
        suite = ET.SubElement(root, "testsuite", name=scenario, tests=str(len(mine)),
                              failures=str(sum(r.failed for r in mine)), errors="0",
                              time=f"{walls.get(scenario, 0.0):.3f}")  # fmt: skip
        for r in mine:
            case = ET.SubElement(suite, "testcase", classname=f"twin.check.{scenario}", name=r.metric, time="0")
            ET.SubElement(case, "system-out").text = (f"value={fmt_value(r.value)} band={r.band or '-'} "
                                                      f"baseline={r.baseline or '-'} verdict={r.verdict}")  # fmt: skip
            if r.failed:
                ET.SubElement(case, "failure", message=r.message, type=r.verdict).text = r.message
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(rows: list[Row], core: str):
    from rich.table import Table

    t = Table(title=f"twin check (core {core})")
    for c, j in (("scenario", "left"), ("metric", "left"), ("value", "right"), ("band", "right"),
                 ("baseline", "right"), ("verdict", "left")):  # fmt: skip
        t.add_column(c, justify=j, no_wrap=c in ("metric", "verdict"))
    colour = {"ok": "green", "better": "cyan", "OUT": "red", "regressed": "red", "missing": "red"}
    for r in rows:
        t.add_row(r.scenario, r.metric, fmt_value(r.value), r.band or "-", r.baseline or "-",
                  f"[{colour[r.verdict]}]{r.verdict}[/{colour[r.verdict]}]")  # fmt: skip
    return t


def check(scenarios: list[Path] | None = None, junit: Path | None = None, update_baselines: bool = False,
          core: str = DEFAULT_CORE, *, out_dir: Path | None = None, baseline_dir: Path | None = None,
          console=None, **world_kw) -> int:  # fmt: skip
    """Run the gate over `scenarios` (default: scenarios/ci-*.toml); print the table; return the exit code
    (1 when any metric failed, else 0)."""
    from rich.console import Console

    console = console or Console()
    if not console.is_terminal:  # CI logs: wide enough that no row wraps
        console = Console(width=max(console.width, 150))
    paths = [Path(p) for p in scenarios] if scenarios else default_scenarios()
    rows: list[Row] = []
    walls: dict[str, float] = {}
    for p in paths:
        r, wall = run_scenario_check(p, core, update_baselines=update_baselines, out_dir=out_dir,
                                     baseline_dir=baseline_dir, **world_kw)  # fmt: skip
        rows += r
        if r:
            walls[r[0].scenario] = wall
        console.print(f"{p.name}: {len(r)} metrics, {sum(x.failed for x in r)} failed ({wall:.1f} s)", highlight=False)
    console.print(render(rows, core))
    if junit is not None:
        Path(junit).parent.mkdir(parents=True, exist_ok=True)
        Path(junit).write_text(junit_xml(rows, walls), encoding="utf-8")
    failed = [r for r in rows if r.failed]
    for r in failed:
        console.print(f"[red]FAIL[/red] {r.scenario}: {r.message}", highlight=False, soft_wrap=True)
    if update_baselines:
        console.print(f"baselines recorded for core {core}", highlight=False)
    console.print(f"{len(rows) - len(failed)} of {len(rows)} metrics pass" + (" — regression" if failed else ""),
                  highlight=False)  # fmt: skip
    return 1 if failed else 0
