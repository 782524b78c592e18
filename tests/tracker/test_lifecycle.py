"""Lifecycle deadlines on hand-made event tables with known answers, and against a world run's overdue marks."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.errors import InputError
from twin.records import EVENTS_SCHEMA
from twin.tracker.lifecycle import Lifecycle, LifecycleConfig, raised

D = 86_400_000_000  # one day in microseconds
H = 3_600_000_000
T0 = 1_772_434_800_000_000  # 2026-03-02T15:00+08:00


def ev(t, kind, case="C1", epc="", officer="o-1", stage="", deadline_us=None, detail=""):
    return {"t_us": t, "kind": kind, "case": case, "epc": epc, "officer": officer, "stage": stage,
            "deadline_us": deadline_us, "detail": detail}  # fmt: skip


def run(events, until, config=None, step=None):
    lc = Lifecycle(config)
    lc.apply(pa.Table.from_pylist(events, schema=EVENTS_SCHEMA))
    if step is None:
        return lc, lc.advance(until)
    out, t = [], min(e["t_us"] for e in events)
    while t < until:
        t = min(t + step, until)
        out += lc.advance(t)
    return lc, out


def kinds(rows):
    return [(r["t_us"], r["state"], r["kind"]) for r in rows]


def admin_case(decided_at):
    return [ev(T0, "register", epc="DOSSIER1", officer="duty"), ev(T0, "assign", officer="o-1"),
            ev(T0, "stage", stage="accepted", deadline_us=T0 + 30 * D),
            ev(T0 + D, "stage", stage="investigating", deadline_us=T0 + 30 * D),
            ev(T0 + 20 * D, "stage", stage="legal_review", deadline_us=T0 + 30 * D),
            ev(decided_at, "stage", stage="decided")]  # fmt: skip


def test_on_time_case_raises_nothing():
    _, out = run(admin_case(T0 + 25 * D), T0 + 60 * D)
    assert out == []


def test_warning_and_overdue_at_their_times_then_cleared():
    lc, out = run(admin_case(T0 + 33 * D), T0 + 60 * D)
    assert kinds(out) == [(T0 + 27 * D, "raised", "overdue_warning"), (T0 + 30 * D, "raised", "overdue"),
                          (T0 + 33 * D, "cleared", "overdue"), (T0 + 33 * D, "cleared", "overdue_warning")]  # fmt: skip
    r = out[0]
    assert (r["epc"], r["officer"]) == ("DOSSIER1", "o-1") and r["detail"].startswith("case C1;")
    assert len(raised(out)) == 2 and set(raised(out)[0]) == {"t_us", "kind", "epc", "space", "officer", "detail"}
    assert [c["stage"] for c in lc.take_changes()] == ["accepted", "investigating", "legal_review", "decided"]


def test_chunked_advance_gives_the_same_alerts():
    _, whole = run(admin_case(T0 + 33 * D), T0 + 60 * D)
    _, chunked = run(admin_case(T0 + 33 * D), T0 + 60 * D, step=H)
    assert kinds(whole) == kinds(chunked)


def test_short_limit_warns_at_a_quarter_of_its_period():
    events = [ev(T0, "register", epc="E"), ev(T0, "stage", stage="accepted", deadline_us=T0 + 3 * D + 2 * H),
              ev(T0 + 2 * H, "stage", stage="detention", deadline_us=T0 + 3 * D + 2 * H),  # the clock starts here
              ev(T0 + 4 * D, "stage", stage="arrest_approval", deadline_us=T0 + 11 * D)]  # fmt: skip
    _, out = run(events, T0 + 5 * D)
    t_det = T0 + 2 * H
    assert kinds(out) == [(t_det + 3 * D - 18 * H, "raised", "overdue_warning"), (t_det + 3 * D, "raised", "overdue"),
                          (T0 + 4 * D, "cleared", "overdue"), (T0 + 4 * D, "cleared", "overdue_warning")]  # fmt: skip


def test_extension_moves_the_deadline_and_keeps_the_lead():
    events = [ev(T0, "register", epc="E"), ev(T0, "stage", stage="accepted", deadline_us=T0 + 30 * D),
              ev(T0 + 28 * D, "stage", stage="accepted", deadline_us=T0 + 60 * D, detail="extension approved by o-9"),
              ev(T0 + 62 * D, "stage", stage="decided")]  # fmt: skip
    _, out = run(events, T0 + 70 * D)
    assert kinds(out) == [(T0 + 27 * D, "raised", "overdue_warning"), (T0 + 28 * D, "cleared", "overdue_warning"),
                          (T0 + 57 * D, "raised", "overdue_warning"), (T0 + 60 * D, "raised", "overdue"),
                          (T0 + 62 * D, "cleared", "overdue"), (T0 + 62 * D, "cleared", "overdue_warning")]  # fmt: skip


def test_archive_clears_and_forgets_the_case():
    events = admin_case(T0 + 40 * D)[:-1] + [ev(T0 + 31 * D, "stage", stage="archived"),
                                             ev(T0 + 31 * D + H, "archive", epc="DOSSIER1")]  # fmt: skip
    lc, out = run(events, T0 + 60 * D)
    assert kinds(out)[-2:] == [(T0 + 31 * D, "cleared", "overdue"), (T0 + 31 * D, "cleared", "overdue_warning")]
    assert lc.cases == {}


def test_deadline_already_past_when_set_warns_at_once_but_is_not_overdue():
    events = [ev(T0, "stage", stage="accepted", deadline_us=T0 - D)]
    _, out = run(events, T0 + D)
    assert kinds(out) == [(T0, "raised", "overdue_warning")]


def test_configurable_lead():
    _, out = run(admin_case(T0 + 33 * D), T0 + 60 * D, config={"warning_lead_s": 86_400})
    assert kinds(out)[0] == (T0 + 29 * D, "raised", "overdue_warning")


def test_bad_config_names_field():
    with pytest.raises(InputError, match="lifecycle.warning_lead_s"):
        LifecycleConfig.from_dict({"warning_lead_s": -1})
    with pytest.raises(InputError, match="lifecycle.lead"):
        LifecycleConfig.from_dict({"lead": 3})


def test_state_round_trip_resumes_identically():
    import pickle

    events = admin_case(T0 + 33 * D)
    lc, first = run(events, T0 + 28 * D)
    lc2 = Lifecycle.from_state(pickle.loads(pickle.dumps(lc.state())))
    assert kinds(lc2.advance(T0 + 60 * D)) == kinds(run(events, T0 + 60 * D)[1])[len(first):]


@settings(max_examples=60, deadline=None)
@given(decided_d=st.floats(20.5, 50), step_h=st.integers(1, 200))
def test_each_alert_raised_at_most_once_and_cleared_once(decided_d, step_h):
    events = admin_case(T0 + int(decided_d * D))
    _, out = run(events, T0 + 80 * D, step=step_h * H)
    for kind in ("overdue_warning", "overdue"):
        states = [r["state"] for r in out if r["kind"] == kind]
        assert states in ([], ["raised", "cleared"])
    late = decided_d > 30
    assert ("overdue" in [r["kind"] for r in out]) == late
    assert ("overdue_warning" in [r["kind"] for r in out]) == (decided_d > 27)


# -- against the world's own lifecycle rule ------------------------------------------------------------------------


def _plan_events(plan, case_id: str, start_us: int) -> list[dict]:
    """The business events the world records for a case plan (as twin.agents.casework replays it)."""
    us = lambda t_s: start_us + int(round(t_s * 1e6))  # noqa: E731
    out = [ev(us(plan.steps[0].t_s), "register", case=case_id, epc=f"EPC-{case_id}")]
    acts = [(s.t_s, 0, s.stage, s.deadline_s, "") for s in plan.steps]
    acts += [(t, 1, stage, dl, "extension approved by o-9") for t, stage, dl in plan.extensions()]
    for t, _, stage, dl, detail in sorted(acts, key=lambda a: (a[0], a[1])):
        out.append(ev(us(t), "stage", case=case_id, stage=stage, deadline_us=None if dl is None else us(dl),
                      detail=detail))  # fmt: skip
    return out


@pytest.mark.parametrize("kind", ["administrative", "criminal"])
def test_matches_the_worlds_overdue_marks_on_seeded_case_plans(kind):
    """Stage events of 400 seeded plans (late and extended cases over-represented): our alerts = the world's marks."""
    from datetime import datetime

    import numpy as np

    from twin.agents.cases import plan_case
    from twin.agents.clock import Calendar
    from twin.agents.config import BehaviourConfig, ShiftConfig

    beh = BehaviourConfig(late_share=0.4, extension_share=0.4)
    cal = Calendar.of(datetime.fromisoformat("2026-03-02T09:00:00+08:00"), ShiftConfig())
    rng = np.random.Generator(np.random.PCG64(2024))
    events, truth = [], []
    for i in range(400):
        plan = plan_case(kind, float(rng.uniform(0, 30 * 86400)), beh, cal, rng)
        events += _plan_events(plan, f"C{i}", T0)
        truth += [(T0 + int(round(t * 1e6)), k, f"EPC-C{i}") for t, k, _ in plan.marks()]
    lc = Lifecycle()
    lc.apply(events)
    ours = sorted((r["t_us"], r["kind"], r["epc"]) for r in raised(lc.advance(T0 + 400 * D)))
    assert len(truth) > 100
    # same alerts; times within 1 us of the world's (it rounds seconds to microseconds once more)
    assert [(k, e) for _, k, e in ours] == [(k, e) for _, k, e in sorted(truth)]
    assert max(abs(a[0] - b[0]) for a, b in zip(ours, sorted(truth))) <= 1


@pytest.mark.slow
def test_matches_a_world_runs_anomalies(tmp_path):
    """ci-misbehaviour through the world: overdue alerts standing at the start or raised during the run equal the
    ground-truth overdue anomalies (the world records marks of phases still open at the start)."""
    import pyarrow.parquet as pq

    from twin.run import run_scenario

    m = run_scenario("scenarios/ci-misbehaviour.toml", tmp_path, save_streams=True, progress=False, summary=False)
    start, end = m["sim"]["start_us"], m["sim"]["end_us"]
    lc = Lifecycle()
    lc.apply(pq.read_table(tmp_path / "events.parquet"))
    standing: dict = {}
    for r in lc.advance(start):
        k = (r["kind"], r["detail"].split(";")[0])
        if r["state"] == "raised":
            standing[k] = r
        else:  # cleared: the phase ended before the run began
            standing.pop(k, None)
    ours = list(standing.values()) + raised(lc.advance(end))
    truth = [a for a in pq.read_table(tmp_path / "anomalies.parquet").to_pylist() if a["kind"] in ("overdue", "overdue_warning")]
    assert sorted((r["t_us"], r["kind"], r["epc"]) for r in ours) == sorted((a["t_us"], a["kind"], a["epc"]) for a in truth)
