"""Cases and their lifecycle: seeded arrivals, stage machines per case type, legal deadlines and overdue marks.

Everything here is a pure function of the configuration and a numpy Generator, so the lifecycle is tested on its own;
the SimPy side (twin.agents.casework) replays a case's plan on the clock and moves its dossiers.
Stage durations are assumptions (marked); deadlines come from ANCHORS.md ("Legal deadlines") via DeadlinesConfig.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clock import DAY_S, Calendar
from .config import BehaviourConfig, DeadlinesConfig

ADMIN_STAGES = ("accepted", "investigating", "legal_review", "decided", "closed", "archived")
CRIMINAL_STAGES = (
    "accepted", "detention", "arrest_approval", "investigation", "legal_review", "transferred", "archived",
)  # fmt: skip
STAGES = {"administrative": ADMIN_STAGES, "criminal": CRIMINAL_STAGES}
#: Stages during which the dossier volumes are checked out to the procuratorate.
OUT_STAGES = ("arrest_approval", "transferred")


@dataclass(frozen=True)
class Step:
    """A stage change: the case enters `stage` at t_s; `deadline_s` is the legal deadline then in force."""

    stage: str
    t_s: float
    deadline_s: float | None


@dataclass(frozen=True)
class Phase:
    """A span of a case bound by one legal time limit (it may be extended once, at ext_s, to deadline2_s)."""

    name: str
    start_s: float
    end_s: float
    deadline_s: float
    lead_s: float
    ext_s: float | None = None
    deadline2_s: float | None = None

    def deadline_at(self, t_s: float) -> float:
        return self.deadline2_s if (self.ext_s is not None and t_s >= self.ext_s) else self.deadline_s

    def marks(self) -> list[tuple[float, str, float]]:
        """(t_s, kind, deadline_s) of every overdue_warning / overdue the rule raises while the phase is open."""
        out: list[tuple[float, str, float]] = []
        spans = [(self.start_s, self.end_s, self.deadline_s)]
        if self.ext_s is not None and self.deadline2_s is not None:
            spans = [(self.start_s, min(self.ext_s, self.end_s), self.deadline_s), (self.ext_s, self.end_s, self.deadline2_s)]
        for a, b, d in spans:
            if b <= a:
                continue
            w = max(d - self.lead_s, a)
            if w < b:
                out.append((w, "overdue_warning", d))
            if a <= d < b:
                out.append((d, "overdue", d))
        return out


@dataclass(frozen=True)
class CasePlan:
    """The whole life of a case on the simulation clock (times may be negative for cases older than the run)."""

    kind: str
    steps: tuple[Step, ...]
    phases: tuple[Phase, ...]
    late: bool
    extended: bool

    def stage_at(self, t_s: float) -> Step | None:
        cur = None
        for s in self.steps:
            if s.t_s <= t_s:
                cur = s
            else:
                break
        return cur

    def extensions(self) -> list[tuple[float, str, float]]:
        """(t_s, stage in force, new deadline) of each approved extension."""
        out = []
        for p in self.phases:
            if p.ext_s is not None and p.ext_s < p.end_s and p.deadline2_s is not None:
                st = self.stage_at(p.ext_s)
                out.append((p.ext_s, st.stage if st else p.name, p.deadline2_s))
        return out

    def marks(self) -> list[tuple[float, str, float]]:
        return sorted(m for p in self.phases for m in p.marks())


def _lead(d: DeadlinesConfig, period_s: float) -> float:
    """Warning lead: the configured lead, at most a quarter of the period (a 3-day limit warns 18 h ahead)."""
    return min(d.warning_lead_d * DAY_S, 0.25 * period_s)


def _end_of_phase(start: float, period: float, lead: float, late: bool, rng: np.random.Generator) -> float:
    """When a phase with limit start+period ends: comfortably on time, or late by 10-50 % of the period."""
    if late:
        return start + period * (1.0 + rng.uniform(0.1, 0.5))
    lo = min(DAY_S, 0.3 * period)
    hi = max(lo + 1.0, period - lead - min(3 * DAY_S, 0.15 * period))
    return start + rng.uniform(lo, hi)


def plan_case(kind: str, accepted_s: float, beh: BehaviourConfig, cal: Calendar, rng: np.random.Generator) -> CasePlan:
    """Draw the full stage schedule of a case accepted at accepted_s (late / extended drawn from the config)."""
    d = beh.deadlines
    late = bool(rng.random() < beh.late_share)
    extended = bool(rng.random() < beh.extension_share)
    work = cal.next_work_time
    if kind == "administrative":
        period = d.admin_decide_d * DAY_S
        lead = _lead(d, period)
        dl = accepted_s + period
        ext = dl2 = None
        inv = work(accepted_s + rng.uniform(0.1, 1.0) * DAY_S)
        if extended and d.admin_extension_d > 0:
            dl2 = dl + d.admin_extension_d * DAY_S
            ext = work(max(inv + 0.5 * DAY_S, dl - lead - rng.uniform(1, 4) * DAY_S))
            dec = (
                dl2 + rng.uniform(0.1, 0.5) * period
                if late
                else rng.uniform(dl - lead, dl2 - _lead(d, period + d.admin_extension_d * DAY_S) - DAY_S)
            )
        else:
            dec = _end_of_phase(accepted_s, period, lead, late, rng)
        dec = work(max(dec, inv + DAY_S))
        rev = work(max(inv + 0.5 * DAY_S, dec - rng.uniform(1, 4) * DAY_S))
        if rev >= dec:
            rev = inv + 0.5 * (dec - inv)
        closed = work(dec + rng.uniform(1, 7) * DAY_S)
        arch = work(closed + rng.uniform(3, 14) * DAY_S)
        if ext is not None and ext >= dec:
            ext = None
        cur_dl = lambda t: dl2 if (ext is not None and t >= ext) else dl  # noqa: E731
        steps = (
            Step("accepted", accepted_s, dl),
            Step("investigating", inv, cur_dl(inv)),
            Step("legal_review", rev, cur_dl(rev)),
            Step("decided", dec, None),
            Step("closed", closed, None),
            Step("archived", arch, None),
        )
        phases = (Phase("decide", accepted_s, dec, dl, lead, ext, dl2 if ext is not None else None),)
        return CasePlan(kind, steps, phases, late, extended and ext is not None)
    if kind != "criminal":
        raise ValueError(f"case kind {kind!r}: expected 'administrative' or 'criminal'")
    late_phase = rng.choice(("detention", "custody")) if late else ""
    ext_phase = rng.choice(("detention", "custody")) if extended else ""
    det = accepted_s + rng.uniform(0.0, 0.3) * DAY_S  # detention at any hour
    # Detention: request arrest approval within 3 d, extendable to 7 d (or 30 d for roaming/serial/gang crimes).
    det_period = d.detention_request_d * DAY_S
    det_lead = _lead(d, det_period)
    det_dl = det + det_period
    det_ext = det_dl2 = None
    if ext_phase == "detention":
        long = rng.random() < 0.2
        det_dl2 = det + (d.detention_extended_max_d if long else d.detention_extended_d) * DAY_S
        det_ext = det + rng.uniform(0.2, 0.6) * (det_period - det_lead)
        p2 = det_dl2 - det
        aa = (
            det_dl2 + rng.uniform(0.1, 0.5) * det_period
            if late_phase == "detention"
            else det + rng.uniform(det_period * 0.8, p2 - _lead(d, p2))
        )
    else:
        aa = _end_of_phase(det, det_period, det_lead, late_phase == "detention", rng)
    aa = work(aa)
    # The procuratorate decides within 7 d (its own limit; assumption: it always keeps it, at any hour; the
    # dossier comes back at the next working time).
    pr_period = d.procuratorate_decide_d * DAY_S
    inv = aa + rng.uniform(0.2, 0.7) * pr_period
    # Investigation custody after arrest: 2 months (+1 with approval); covers investigation and legal review.
    cu_period = d.custody_d * DAY_S
    cu_lead = _lead(d, cu_period)
    cu_dl = inv + cu_period
    cu_ext = cu_dl2 = None
    if ext_phase == "custody" and d.custody_extension_d > 0:
        cu_dl2 = cu_dl + d.custody_extension_d * DAY_S
        cu_ext = work(cu_dl - cu_lead - rng.uniform(1, 4) * DAY_S)
        tr = (
            cu_dl2 + rng.uniform(0.1, 0.5) * cu_period
            if late_phase == "custody"
            else rng.uniform(cu_dl - cu_lead, cu_dl2 - _lead(d, cu_dl2 - inv) - DAY_S)
        )
    else:
        tr = _end_of_phase(inv, cu_period, cu_lead, late_phase == "custody", rng)
    tr = work(max(tr, inv + 2 * DAY_S))
    rev = work(max(inv + DAY_S, tr - rng.uniform(2, 6) * DAY_S))
    if rev >= tr:
        rev = inv + 0.5 * (tr - inv)
    arch = work(tr + rng.uniform(15, 45) * DAY_S)  # back from the procuratorate and archived (assumption)
    if det_ext is not None and det_ext >= aa:
        det_ext = det_dl2 = None
    if cu_ext is not None and cu_ext >= tr:
        cu_ext = cu_dl2 = None
    det_at = lambda t: det_dl2 if (det_ext is not None and t >= det_ext) else det_dl  # noqa: E731
    cu_at = lambda t: cu_dl2 if (cu_ext is not None and t >= cu_ext) else cu_dl  # noqa: E731
    steps = (
        Step("accepted", accepted_s, det_dl),
        Step("detention", det, det_at(det)),
        Step("arrest_approval", aa, aa + pr_period),
        Step("investigation", inv, cu_at(inv)),
        Step("legal_review", rev, cu_at(rev)),
        Step("transferred", tr, None),
        Step("archived", arch, None),
    )
    phases = (
        Phase("detention", det, aa, det_dl, det_lead, det_ext, det_dl2),
        Phase("arrest_approval", aa, inv, aa + pr_period, _lead(d, pr_period)),
        Phase("custody", inv, tr, cu_dl, cu_lead, cu_ext, cu_dl2),
    )
    return CasePlan(kind, steps, phases, late, det_ext is not None or cu_ext is not None)


HEARING_TOD_S = (9.5 * 3600.0, 15.0 * 3600.0)  # hearings open at 09:30 or 15:00 local time (assumption)


def plan_hearings(plan: CasePlan, beh: BehaviourConfig, cal: Calendar, rng: np.random.Generator) -> tuple[float, ...]:
    """Start times of the court hearings a case's dossiers are checked out for (at most one; assumptions):
    administrative, with court_share_administrative -- the decision is challenged in court (administrative
    litigation), heard between a day after the decision and a day before archiving; criminal, with
    court_share_criminal -- the case officer testifies at the trial with the file, 1-30 days after it came back from
    the procuratorate and was archived. A hearing is on a working day at 09:30 or 15:00."""
    stage_t = {s.stage: s.t_s for s in plan.steps}
    if plan.kind == "administrative":
        if rng.random() >= beh.court_share_administrative:
            return ()
        lo, hi = stage_t["decided"] + DAY_S, stage_t["archived"] - DAY_S
        if hi <= lo:
            return ()
        t = rng.uniform(lo, hi)
    else:
        if rng.random() >= beh.court_share_criminal:
            return ()
        t = stage_t["archived"] + rng.uniform(1.0, 30.0) * DAY_S
    day = cal.day_of(t)
    while not cal.is_workday(day):
        day += 1
    return (cal.at(day, HEARING_TOD_S[int(rng.integers(len(HEARING_TOD_S)))]),)


def draw_kind(beh: BehaviourConfig, rng: np.random.Generator) -> str:
    return "criminal" if rng.random() < beh.criminal_share else "administrative"


def arrival_rate_per_s(t_s: np.ndarray, beh: BehaviourConfig, cal: Calendar) -> np.ndarray:
    """Intensity of new cases (per second) at each time: cases_per_day x hour-of-day weight x weekend factor."""
    t_s = np.asarray(t_s, dtype=np.float64)
    prof = np.asarray(beh.hourly_profile, dtype=np.float64)
    prof = prof / prof.mean()
    local = cal.start_tod_s + t_s
    hour = (np.floor(local / 3600.0) % 24).astype(np.int64)
    weekday = (cal.start_weekday + np.floor(local / DAY_S).astype(np.int64)) % 7
    week = np.where(weekday >= 5, beh.weekend_factor, 1.0)
    return beh.cases_per_day / DAY_S * prof[hour] * week


def arrival_times(beh: BehaviourConfig, cal: Calendar, t0_s: float, t1_s: float, rng: np.random.Generator) -> np.ndarray:
    """Arrival times in [t0, t1) of a non-homogeneous Poisson process, by thinning (Lewis & Shedler 1979)."""
    if t1_s <= t0_s or beh.cases_per_day <= 0:
        return np.zeros(0)
    prof = np.asarray(beh.hourly_profile, dtype=np.float64)
    lam_max = beh.cases_per_day / DAY_S * prof.max() / prof.mean() * max(1.0, beh.weekend_factor)
    n = rng.poisson(lam_max * (t1_s - t0_s))
    t = np.sort(rng.uniform(t0_s, t1_s, n))
    keep = rng.random(n) * lam_max < arrival_rate_per_s(t, beh, cal)
    return t[keep]


def expected_arrivals(beh: BehaviourConfig, cal: Calendar, t0_s: float, t1_s: float, step_s: float = 60.0) -> float:
    """Mean number of arrivals in [t0, t1) (numerical integral of the intensity; the profile is piecewise constant)."""
    n = max(1, int(np.ceil((t1_s - t0_s) / step_s)))
    edges = np.linspace(t0_s, t1_s, n + 1)
    mid = 0.5 * (edges[:-1] + edges[1:])
    return float(np.sum(arrival_rate_per_s(mid, beh, cal) * np.diff(edges)))
