"""The one validated description of a run: a scenario TOML file becomes an immutable `Scenario`.

Unknown keys are errors; relative paths resolve against the scenario file's folder; every problem is reported with
the file, the field, the value and what was expected (twin.errors.InputError).
"""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from .agents.config import BehaviourConfig, PopulationConfig
from .errors import InputError, Problem, display_path

SCHEMA_VERSION = 1
REPO_ROOT = Path(__file__).resolve().parents[1]
SCENARIOS_DIR = REPO_ROOT / "scenarios"
DEFAULT_SCENARIO = SCENARIOS_DIR / "baseline.toml"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(d|h|min|m|s|ms)\s*$")
_UNIT_S = {"d": 86400.0, "h": 3600.0, "min": 60.0, "m": 60.0, "s": 1.0, "ms": 1e-3}


def parse_duration_s(value: Any) -> float:
    """'7d', '2h', '90m'/'90min', '3600s', '250ms' or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration like '1d', '2h', '90m', '3600s' or a number of seconds")
    if isinstance(value, (int, float)):
        return float(value)
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError("a duration like '1d', '2h', '90m', '3600s' or a number of seconds")
    return float(m.group(1)) * _UNIT_S[m.group(2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Outage(_Strict):
    """A scheduled reader outage (or one antenna disconnected when `antenna` is given)."""

    reader: str
    antenna: int | None = Field(None, ge=1)
    start: AwareDatetime
    duration_s: Annotated[float, Field(gt=0), BeforeValidator(parse_duration_s)]


class BeamFault(_Strict):
    """A scheduled fault of one doorway light barrier (a reader's GPI port, twin.readers.beams): `blocked` reports
    the beam interrupted at the start and cleared at the end, nothing in between; `dead` reports nothing."""

    reader: str
    port: int = Field(ge=1)
    kind: Literal["blocked", "dead"]
    start: AwareDatetime
    duration_s: Annotated[float, Field(gt=0), BeforeValidator(parse_duration_s)]


class FaultsConfig(_Strict):
    """Reader faults: scheduled outages and random ones (MTBF/MTTR; mtbf_h = 0 means none); light-barrier faults:
    scheduled ones (`beams`) and random ones per beam (beam_mtbf_h = 0 means none; a share blocked, the rest dead)."""

    outages: tuple[Outage, ...] = ()
    mtbf_h: float = Field(0.0, ge=0)
    mttr_min: float = Field(20.0, gt=0)
    #: KEEPALIVE period of the fixed readers' LLRP connections (KeepaliveSpec; twin.readers.keepalive)
    keepalive_s: float = Field(10.0, gt=0)
    beams: tuple[BeamFault, ...] = ()
    beam_mtbf_h: float = Field(0.0, ge=0)
    beam_mttr_min: float = Field(120.0, gt=0)
    beam_blocked_share: float = Field(0.5, ge=0, le=1)

    @model_validator(mode="after")
    def _beams_apart(self) -> "FaultsConfig":
        by: dict[tuple[str, int], list] = {}
        for i, f in enumerate(self.beams):
            by.setdefault((f.reader, f.port), []).append((f.start.timestamp(), f.start.timestamp() + f.duration_s, i))
        for (r, p), iv in by.items():
            iv.sort()
            for (_, e0, i0), (s1, _, i1) in zip(iv, iv[1:]):
                if s1 < e0:
                    raise ValueError(f"beams[{i1}] ({r} port {p}) to start after beams[{i0}] on the same beam ends")
        return self


class Band(_Strict):
    """An acceptance band for one metric: min and/or max (inclusive)."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _some(self) -> "Band":
        if self.min is None and self.max is None:
            raise ValueError("a band needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self

    def holds(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class Scenario(_Strict):
    """A validated scenario; `floor` and `placement` are absolute paths after loading."""

    schema_version: int
    name: str = Field(min_length=1)
    description: str = ""
    seed: int = Field(ge=0)
    start: AwareDatetime
    duration_s: Annotated[float, Field(gt=0), BeforeValidator(parse_duration_s)]
    chunk_s: Annotated[float, Field(gt=0, le=3600), BeforeValidator(parse_duration_s)] = 60.0
    warmup_s: Annotated[float, Field(ge=0), BeforeValidator(parse_duration_s)] = 600.0
    floor: Path
    placement: Path
    population: PopulationConfig = PopulationConfig()
    behaviour: BehaviourConfig = BehaviourConfig()
    faults: FaultsConfig = FaultsConfig()
    expect: dict[str, Band] = {}
    source: Path | None = None

    @field_validator("schema_version")
    @classmethod
    def _schema(cls, v: int) -> int:
        if v != SCHEMA_VERSION:
            raise ValueError(f"schema_version {SCHEMA_VERSION}")
        return v


    @property
    def start_us(self) -> int:
        return int(round(self.start.timestamp() * 1_000_000))

    @property
    def end_us(self) -> int:
        return self.start_us + int(round(self.duration_s * 1_000_000))

    @property
    def days(self) -> float:
        return self.duration_s / 86400.0

    def with_overrides(self, *, seed: int | None = None, days: float | None = None) -> "Scenario":
        """A copy with the seed and/or the duration replaced (for `twin run --seed/--days`)."""
        upd: dict[str, Any] = {}
        if seed is not None:
            upd["seed"] = seed
        if days is not None:
            upd["duration_s"] = float(days) * 86400.0
        return self.model_copy(update=upd)

    def at(self, t_s: float) -> datetime:
        return self.start + timedelta(seconds=t_s)


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out or "(top level)"


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise InputError listing every problem."""
    path = Path(path)
    shown = display_path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(Problem(shown, "(file)", str(path), "an existing scenario file")) from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(Problem(shown, "(syntax)", str(e), "valid TOML")) from None
    # Accept the duration under its natural key and keep the model's unit-suffixed name.
    for short, full in (("duration", "duration_s"), ("chunk", "chunk_s"), ("warmup", "warmup_s")):
        if short in raw and full not in raw:
            raw[full] = raw.pop(short)
    for sect in ("faults",):
        sec = raw.get(sect, {})
        for o in [*(sec.get("outages", []) or []), *(sec.get("beams", []) or [])] if isinstance(sec, dict) else []:
            if isinstance(o, dict) and "duration" in o and "duration_s" not in o:
                o["duration_s"] = o.pop("duration")
    base = path.resolve().parent
    for key in ("floor", "placement"):
        if isinstance(raw.get(key), str):
            raw[key] = str((base / raw[key]).resolve())
    raw["source"] = str(path.resolve())
    try:
        scn = Scenario.model_validate(raw)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = _loc(err["loc"])
            value = err.get("input")
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "no such key (unknown keys are errors)"
            elif err["type"] == "missing":
                value, msg = None, "this key (it is required)"
            problems.append(Problem(shown, loc, value, msg.removeprefix("Value error, ").removeprefix("Input should be ")))
        raise InputError(problems) from None
    problems = []
    for key in ("floor", "placement"):
        p = getattr(scn, key)
        if not p.exists():
            problems.append(Problem(shown, key, str(p), f"an existing {key} file (relative to the scenario's folder)"))
    if problems:
        raise InputError(problems)
    return scn
