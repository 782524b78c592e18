"""Scenario sections that size the population and set behaviour rates (validated with pydantic).

`[population]` sizes the station's people and dossiers; `[behaviour]` sets arrivals, the case mix, the legal
deadlines (ANCHORS.md, "Legal deadlines") and the misbehaviour rates. Every rate says what it is counted per.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def clock_s(hhmm: str) -> float:
    """'08:30' -> seconds after midnight."""
    m = _HHMM.match(hhmm)
    if not m:
        raise ValueError(f"a time of day 'HH:MM', got {hhmm!r}")
    return int(m.group(1)) * 3600.0 + int(m.group(2)) * 60.0


class ShiftConfig(_Strict):
    """Day shift with a lunch break, and the 24 h duty rota (changes over at `duty_change`).

    Assumption: the usual hours of a county public-security bureau (08:30-12:00, 14:00-17:30).
    """

    start: str = "08:30"
    lunch_start: str = "12:00"
    lunch_end: str = "14:00"
    end: str = "17:30"
    duty_change: str = "08:30"
    duty_groups: int = Field(4, ge=1)  # duty officers split into groups, one group on duty per 24 h
    arrival_spread_min: float = Field(20.0, ge=0)  # officers arrive/leave within this many minutes of the hour
    lunch_out_share: float = Field(0.8, ge=0, le=1)  # day-shift officers who leave the station at the midday break
    # (assumption: most eat at a canteen in town or at home; the others stay at their desks)
    weekend_work: bool = False  # day-shift officers also come in on Saturday and Sunday

    @field_validator("start", "lunch_start", "lunch_end", "end", "duty_change")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        clock_s(v)
        return v

    @model_validator(mode="after")
    def _order(self) -> "ShiftConfig":
        t = [clock_s(x) for x in (self.start, self.lunch_start, self.lunch_end, self.end)]
        if not (t[0] < t[1] <= t[2] < t[3]):
            raise ValueError("shift times must satisfy start < lunch_start <= lunch_end < end")
        return self


class PopulationConfig(_Strict):
    """How many officers of each role, how many dossiers are active at the start, vehicles in the car park."""

    case_officers: int = Field(80, ge=1)
    legal_officers: int = Field(10, ge=1)
    dossier_keepers: int = Field(4, ge=1)
    evidence_keepers: int = Field(3, ge=1)
    leaders: int = Field(6, ge=1)
    duty_officers: int = Field(20, ge=1)
    active_dossiers: int = Field(3000, ge=0)
    archived_dossiers: int = Field(1000, ge=0)  # filled up to the archive's capacity
    volumes_per_case_mean: float = Field(1.4, ge=1.0)
    items_per_case_mean: float = Field(0.8, ge=0.0)
    vehicles: int = Field(12, ge=0)
    walking_speed_mps: tuple[float, float] = (1.1, 1.5)
    by_car_share: float = Field(0.3, ge=0, le=1)  # officers who come by car (car-park door)
    company_prefix: str = "6954321"  # GS1 company prefix of the bureau (assumption: a 7-digit 69x prefix)
    max_case_age_d: float = Field(150.0, gt=0)  # initial cases were accepted up to this long before the start
    shift: ShiftConfig = ShiftConfig()

    @field_validator("company_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not (v.isdigit() and 6 <= len(v) <= 12):
            raise ValueError("a GS1 company prefix of 6 to 12 digits")
        return v

    @model_validator(mode="after")
    def _speed(self) -> "PopulationConfig":
        lo, hi = self.walking_speed_mps
        if not (0 < lo <= hi):
            raise ValueError("walking_speed_mps must be (low, high) with 0 < low <= high")
        return self

    @property
    def officers(self) -> int:
        return (
            self.case_officers
            + self.legal_officers
            + self.dossier_keepers
            + self.evidence_keepers
            + self.leaders
            + self.duty_officers
        )


class DeadlinesConfig(_Strict):
    """Legal time limits in days (ANCHORS.md, "Legal deadlines"): PSAPL art. 99; CPL arts. 91-92, 156."""

    admin_decide_d: float = Field(30.0, gt=0)  # administrative: decided within 30 d of acceptance
    admin_extension_d: float = Field(30.0, ge=0)  # +30 d with approval
    detention_request_d: float = Field(3.0, gt=0)  # request arrest approval within 3 d of detention
    detention_extended_d: float = Field(7.0, gt=0)  # ... extendable to 7 d
    detention_extended_max_d: float = Field(30.0, gt=0)  # ... or 30 d (roaming, serial, gang crimes)
    procuratorate_decide_d: float = Field(7.0, gt=0)  # procuratorate decides on arrest within 7 d
    custody_d: float = Field(60.0, gt=0)  # investigation custody after arrest: 2 months
    custody_extension_d: float = Field(30.0, ge=0)  # +1 month
    warning_lead_d: float = Field(3.0, ge=0)  # overdue_warning this long before a deadline (assumption)


class BehaviourConfig(_Strict):
    """Arrival rates, case mix and misbehaviour rates (each occurrence becomes a ground-truth anomaly).

    Rates and what they count per (all probabilities):
      left_in_car_rate, drawer_rate, forget_rate  -- per dossier use (one volume fetched to a desk and used);
      misfile_rate                                -- per return of a dossier to a shelf;
      separated_rate                              -- per evidence item taken out with its case;
      unrecorded_handover_rate                    -- per handover between officers.
    """

    cases_per_day: float = Field(40.0, ge=0)  # mean new cases on a weekday
    weekend_factor: float = Field(0.5, ge=0)  # arrivals at weekends relative to weekdays (assumption)
    # Relative arrival intensity per hour of day, 00-23 (assumption: mostly during office hours).
    hourly_profile: tuple[float, ...] = (
        0.3, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 0.8, 1.5, 2.0, 2.0, 1.8,
        1.2, 1.4, 1.9, 2.0, 1.9, 1.6, 1.2, 1.0, 0.9, 0.8, 0.6, 0.4,
    )  # fmt: skip
    criminal_share: float = Field(0.35, ge=0, le=1)
    late_share: float = Field(0.05, ge=0, le=1)  # share of cases that pass a deadline
    extension_share: float = Field(0.1, ge=0, le=1)  # share of cases granted a deadline extension
    dossier_uses_per_officer_day: float = Field(2.0, ge=0)
    interrogation_share: float = Field(0.2, ge=0, le=1)  # per dossier use: taken to an interrogation room
    meeting_share: float = Field(0.1, ge=0, le=1)  # per dossier use: taken to a meeting
    review_share: float = Field(0.15, ge=0, le=1)  # per dossier use outside legal review: shown to a legal officer
    evidence_share: float = Field(0.2, ge=0, le=1)  # per dossier use of a case with items: items brought too
    # Court hearings the volumes are checked out for (with a leader's approval), per case (assumptions: a few
    # administrative decisions are challenged in court; case officers testify at some criminal trials).
    court_share_administrative: float = Field(0.03, ge=0, le=1)
    court_share_criminal: float = Field(0.1, ge=0, le=1)
    hearing_h: tuple[float, float] = (1.0, 2.5)  # a hearing lasts this long, uniform (assumption)
    left_in_car_rate: float = Field(0.002, ge=0, le=1)
    drawer_rate: float = Field(0.005, ge=0, le=1)
    misfile_rate: float = Field(0.005, ge=0, le=1)
    forget_rate: float = Field(0.002, ge=0, le=1)
    separated_rate: float = Field(0.003, ge=0, le=1)
    unrecorded_handover_rate: float = Field(0.01, ge=0, le=1)
    inventory_sweeps_per_day: int = Field(1, ge=0)
    sweep_at: str = "15:00"  # first sweep of the day starts then; further ones follow each hour
    archive_sweep_every_d: int = Field(1, ge=0)  # the first sweep goes on into the archive every N days (0: never)
    deadlines: DeadlinesConfig = DeadlinesConfig()

    @field_validator("hourly_profile")
    @classmethod
    def _profile(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if len(v) != 24 or any(x < 0 for x in v) or sum(v) <= 0:
            raise ValueError("24 non-negative weights (hours 00-23) with a positive sum")
        return v

    @field_validator("hearing_h")
    @classmethod
    def _hearing(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not (0 < v[0] <= v[1]):
            raise ValueError("(low, high) hours with 0 < low <= high")
        return v

    @field_validator("sweep_at")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        clock_s(v)
        return v
