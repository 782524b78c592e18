"""A tiny scenario on the real station (a few officers, 60 dossiers, 15 minutes) for the drive, report and check
tests: a world run of a few seconds."""

from __future__ import annotations

from pathlib import Path

from twin.run import scenario_toml
from twin.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def tiny_scenario(minutes: float = 15.0, seed: int = 1, dossiers: int = 60, start_hour: int = 9):
    ci = load_scenario(SCENARIOS / "ci-baseline.toml")
    pop = ci.population.model_copy(update={
        "case_officers": 4, "legal_officers": 1, "dossier_keepers": 1, "evidence_keepers": 1, "leaders": 1,
        "duty_officers": 2, "active_dossiers": dossiers, "vehicles": 2})  # fmt: skip
    return ci.model_copy(update={"name": "tiny", "seed": seed, "population": pop, "duration_s": minutes * 60.0,
                                 "warmup_s": 120.0, "start": ci.start.replace(hour=start_hour), "expect": {}})  # fmt: skip


def write_tiny(folder: Path, expect: str = "", **kw) -> Path:
    """The tiny scenario as a TOML file in `folder`, with `expect` lines appended under [expect]."""
    text = scenario_toml(tiny_scenario(**kw)).replace('name = "ci-baseline"', 'name = "tiny"')
    if expect:
        text += "\n[expect]\n" + expect.strip() + "\n"
    path = Path(folder) / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    return path
