"""Recorded baselines of a scenario's scores (scenarios/baselines/NAME.json) and the test of a run against them.

A baseline holds, per metric, the value measured by a run of one core and a tolerance; a later run regresses when
a metric moves in its worse direction by more than the tolerance (higher is better for detection probabilities,
precision and recall; lower for latencies, missed shares and delays; either way counts for anything else).
Baselines are written only by `twin check --update-baselines`; tolerances may be edited by hand.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem, display_path

BASELINE_DIR = Path(__file__).resolve().parents[2] / "scenarios" / "baselines"
FORMAT = 1


def direction(name: str) -> int:
    """+1 when higher is better, -1 when lower is better, 0 when any change beyond tolerance counts."""
    if name.endswith(("_probability", "_precision", "_recall", "_min_day", "_direction_right", "_found_share", "_found_at_unit_share")):
        return 1
    if name.startswith(("latency_", "inventory_false_")) or name.endswith("_missed_share") or "_delay_s_" in name:
        return -1
    return 0


def default_tolerance(name: str, unit: str, value: float) -> float:
    """Absolute tolerance: 0.02 on a ratio, max(2 s, 25 %) on seconds, 10 % otherwise (assumption: the room a
    deliberate change may take before someone must look and re-record)."""
    if unit == "ratio":
        return 0.02
    if unit == "s":
        return max(2.0, 0.25 * abs(value))
    return max(1e-9, 0.10 * abs(value))


@dataclass(frozen=True)
class Entry:
    value: float
    tol: float
    unit: str = ""

    def verdict(self, name: str, value: float | None) -> str:
        """"ok", "better" (beyond tolerance in the good direction), "regressed" or "missing" (no value now)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "missing"
        d = value - self.value
        if abs(d) <= self.tol:
            return "ok"
        sign = direction(name)
        if sign == 0:
            return "regressed"
        return "better" if d * sign > 0 else "regressed"


@dataclass(frozen=True)
class Baseline:
    scenario: str
    core: str
    seed: int
    metrics: dict[str, Entry]


def baseline_path(scenario_name: str, folder: Path | None = None) -> Path:
    return (folder or BASELINE_DIR) / f"{scenario_name}.json"


def load_baseline(scenario_name: str, folder: Path | None = None) -> Baseline | None:
    """The recorded baseline of a scenario, or None when there is none."""
    path = baseline_path(scenario_name, folder)
    if not path.exists():
        return None
    shown = display_path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        ms = {k: Entry(float(v["value"]), float(v["tol"]), str(v.get("unit", ""))) for k, v in raw["metrics"].items()}
        return Baseline(str(raw["scenario"]), str(raw["core"]), int(raw["seed"]), ms)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise InputError([Problem(shown, "(file)", type(e).__name__,
                                  "a baseline written by `twin check --update-baselines` "
                                  "({scenario, core, seed, metrics: {name: {value, tol, unit}}})")]) from e  # fmt: skip


def record_baseline(scenario_name: str, core: str, seed: int, bench: dict[str, dict], *, skip: tuple[str, ...] = (),
                    folder: Path | None = None) -> Path:  # fmt: skip
    """Write the baseline of a run's bench metrics (those with a value, minus `skip`); keep hand-edited tolerances
    of metrics already recorded for the same core."""
    old = load_baseline(scenario_name, folder)
    keep_tol = old.metrics if old is not None and old.core == core else {}
    metrics: dict[str, Any] = {}
    for name, m in sorted(bench.items()):
        v = m.get("value")
        if name in skip or v is None or not isinstance(v, (int, float)) or math.isnan(v):
            continue
        unit = str(m.get("unit", ""))
        tol = keep_tol[name].tol if name in keep_tol else default_tolerance(name, unit, float(v))
        metrics[name] = {"value": round(float(v), 6), "tol": round(tol, 6), "unit": unit}
    path = baseline_path(scenario_name, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format": FORMAT, "scenario": scenario_name, "core": core, "seed": seed, "metrics": metrics}
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return path
