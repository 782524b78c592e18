from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from twin.agents.cases import ADMIN_STAGES, CRIMINAL_STAGES, arrival_times, expected_arrivals, plan_case
from twin.agents.clock import DAY_S, Calendar
from twin.agents.config import BehaviourConfig, ShiftConfig

CAL = Calendar.of(datetime(2026, 3, 2, tzinfo=timezone(timedelta(hours=8))), ShiftConfig())  # a Monday


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["administrative", "criminal"]),
       late=st.floats(0, 1), ext=st.floats(0, 1), acc=st.floats(-200, 10))  # fmt: skip
def test_lifecycle_order_and_deadlines(seed, kind, late, ext, acc):
    beh = BehaviourConfig(late_share=late, extension_share=ext)
    plan = plan_case(kind, acc * DAY_S, beh, CAL, np.random.default_rng(seed))
    stages = [s.stage for s in plan.steps]
    assert tuple(stages) == (ADMIN_STAGES if kind == "administrative" else CRIMINAL_STAGES)
    times = [s.t_s for s in plan.steps]
    assert all(a < b for a, b in zip(times, times[1:])), times
    d = beh.deadlines
    first = plan.phases[0]
    if kind == "administrative":
        assert first.deadline_s == pytest.approx(acc * DAY_S + d.admin_decide_d * DAY_S)
        assert first.end_s == plan.steps[3].t_s  # decided
    else:
        det = plan.steps[1].t_s
        assert first.deadline_s == pytest.approx(det + d.detention_request_d * DAY_S)
        custody = plan.phases[2]
        assert custody.deadline_s == pytest.approx(plan.steps[3].t_s + d.custody_d * DAY_S)
    for t, kind_, dl in plan.marks():
        assert kind_ in ("overdue_warning", "overdue")
        assert any(p.start_s <= t < p.end_s for p in plan.phases)  # every mark falls inside a phase
        assert (t == pytest.approx(dl)) if kind_ == "overdue" else (t <= dl)


def test_late_cases_are_marked_overdue_and_on_time_mostly_not():
    rng = np.random.default_rng(7)
    beh = BehaviourConfig(late_share=0.3, extension_share=0.0)
    late = ontime_overdue = n_late = 0
    for _ in range(2000):
        p = plan_case("administrative", 0.0, beh, CAL, rng)
        kinds = {k for _, k, _ in p.marks()}
        if p.late:
            n_late += 1
            late += "overdue" in kinds
        else:
            ontime_overdue += "overdue" in kinds
    assert late == n_late
    assert ontime_overdue == 0
    assert abs(n_late / 2000 - 0.3) < 0.04


def test_arrivals_match_daily_profile():
    beh = BehaviourConfig(cases_per_day=40.0)
    rng = np.random.default_rng(123)
    days = 400
    ts = arrival_times(beh, CAL, 0.0, days * DAY_S, rng)
    exp = expected_arrivals(beh, CAL, 0.0, days * DAY_S)
    assert exp == pytest.approx(40.0 * days * (5 + 2 * beh.weekend_factor) / 7, rel=0.02)
    assert abs(len(ts) - exp) < 4 * np.sqrt(exp)
    hours = np.floor(CAL.tod(ts) / 3600).astype(int)
    prof = np.asarray(beh.hourly_profile)
    share = np.bincount(hours, minlength=24) / len(ts)
    assert np.allclose(share, prof / prof.sum(), atol=0.01)
    wd = np.array([CAL.weekday(CAL.day_of(t)) for t in ts])
    per_weekend_day = np.mean(wd >= 5) / 2
    per_weekday = np.mean(wd < 5) / 5
    assert per_weekend_day / per_weekday == pytest.approx(beh.weekend_factor, rel=0.1)


def test_arrivals_are_seeded():
    beh = BehaviourConfig()
    a = arrival_times(beh, CAL, 0.0, DAY_S, np.random.default_rng(5))
    b = arrival_times(beh, CAL, 0.0, DAY_S, np.random.default_rng(5))
    assert np.array_equal(a, b)
