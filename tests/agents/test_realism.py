"""A station day as it is lived: off duty off site, the midday break, court hearings, room-by-room sweeps."""

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest
import simpy

from twin.agents.cases import HEARING_TOD_S, plan_case, plan_hearings
from twin.agents.clock import DAY_S
from twin.agents.journal import Journal
from twin.agents.ledger import Ledger
from twin.agents.population import build_population, start_agents
from twin.agents.sweep import planned_sweeps
from twin.rng import Streams

from .conftest import small

HANDHELDS = {"H-archive": "archive", "H-dossier-room": "dossier-room"}
H = 3600.0


def run_day(scn, floor, graph, seed=1):
    """One run with the real ledger; returns the station, the ledger, events and all truth intervals."""
    pop = build_population(scn, floor, graph, Streams(seed).generator("population"))
    env = simpy.Environment()
    led = Ledger(floor, scn.start_us, clock=lambda: env.now)
    jr = Journal(scn.start_us)
    st = start_agents(env, pop, led, jr, graph, scn, Streams(seed).child("agents"), handheld_readers=HANDHELDS)
    t, truth, hh = 0.0, [], []
    while t < scn.duration_s:
        t0, t = t, min(scn.duration_s, t + H)
        env.run(until=t)
        hh.append(led.handheld_antennas(t0, t))
        led.segments(t0, t)
        truth.append(led.closed_truth() if t < scn.duration_s else led.close(t))
    ev, an = jr.drain()
    return st, led, ev, pa.concat_tables(truth).to_pylist(), np.concatenate(hh)


@pytest.fixture(scope="module")
def day(base_scenario, floor, graph):
    scn = small(base_scenario, population={"active_dossiers": 400, "archived_dossiers": 100},
                behaviour={"court_share_administrative": 1.0, "court_share_criminal": 1.0})  # fmt: skip
    return (scn, *run_day(scn, floor, graph))


def at(truth, epc, t_s, scn):
    """The truth row of a tag at t_s (seconds since the start)."""
    t_us = scn.start_us + int(t_s * 1e6)
    return next(r for r in truth if r["epc"] == epc and r["t0_us"] <= t_us < r["t1_us"])


def day_officers(st):
    return [o for o in st.pop.officers.values() if o.role != "duty_officer"]


def test_off_duty_officers_are_off_site(day, floor):
    scn, st, led, ev, truth, hh = day
    for o in day_officers(st):  # the run starts at midnight on a Monday
        assert at(truth, o.badge_epc, 3 * H, scn)["space"] == "off-site"
        assert at(truth, o.badge_epc, 23.5 * H, scn)["space"] == "off-site"
    inside = [o for o in day_officers(st) if floor.spaces[at(truth, o.badge_epc, 10 * H, scn)["space"]].has_geometry]
    assert len(inside) >= 0.8 * len(day_officers(st))


def test_arrivals_through_the_main_entrance_or_the_car_park(day, floor):
    scn, st, led, ev, truth, hh = day
    for o in day_officers(st):
        spaces = [r["space"] for r in sorted((r for r in truth if r["epc"] == o.badge_epc), key=lambda r: r["t0_us"])]
        k = spaces.index("off-site", 0)
        first_in = spaces[k + 1 : k + 3]
        if o.by_car and not st.in_car[o.id]:
            assert first_in[0] == "car-park", (o.id, spaces[:6])
        elif not o.by_car:
            assert first_in == ["forecourt", "reception"], (o.id, spaces[:6])  # through d-main


def test_midday_break_off_site_and_dossiers_stay(day):
    scn, st, led, ev, truth, hh = day
    offs = day_officers(st)
    away = [o for o in offs if at(truth, o.badge_epc, 13 * H, scn)["space"] == "off-site"]
    share = scn.population.shift.lunch_out_share
    assert abs(len(away) - share * len(offs)) <= 4 * np.sqrt(len(offs) * share * (1 - share)) + 2
    for o in away:  # back at the desk before the afternoon starts
        assert at(truth, o.badge_epc, 14 * H - 1, scn)["space"] == o.desk_space
    t_us = scn.start_us + int(13 * H * 1e6)
    ids = {o.id for o in away}
    for r in truth:
        if r["tag_kind"] == "dossier" and r["t0_us"] <= t_us < r["t1_us"]:
            assert r["holder"] not in ids and r["space"] != "off-site"


def test_court_hearings_are_checked_out_with_approval_and_back(day):
    scn, st, led, ev, truth, hh = day
    rows = ev.to_pylist()
    leaders = {o.id for o in st.pop.by_role("leader")}
    out = [r for r in rows if r["kind"] == "checkout" and r["detail"].startswith("court;")]
    back = {r["epc"]: r for r in rows if r["kind"] == "checkin" and r["detail"] == "court"}
    assert len(out) >= 3
    for r in out:
        assert r["detail"].split("approved by ")[1] in leaders
        b = back[r["epc"]]
        assert b["t_us"] > r["t_us"] and b["officer"] == r["officer"] == st.pop.cases[r["case"]].officer
        mid = [x for x in truth if x["epc"] == r["epc"] and r["t_us"] <= x["t0_us"] < b["t_us"]]
        assert any(x["space"] == "court" for x in mid)
        assert all(x["holder"] == r["officer"] for x in mid)
        d = st.pop.dossiers[r["epc"]]
        assert at(truth, d.epc, (b["t_us"] - scn.start_us) / 1e6 + 1, scn)["storage"] == d.home


def test_sweeps_room_by_room_with_each_rooms_handheld(day, floor):
    scn, st, led, ev, truth, hh = day
    sw = [r for r in ev.to_pylist() if r["kind"] in ("sweep_start", "sweep_end")]
    assert [(r["kind"], r["detail"].split()[:2]) for r in sw] == [
        ("sweep_start", ["H-dossier-room", "dossier-room"]), ("sweep_end", ["H-dossier-room", "dossier-room"]),
        ("sweep_start", ["H-archive", "archive"]), ("sweep_end", ["H-archive", "archive"]),
    ]  # fmt: skip
    for reader, space in HANDHELDS.items():
        rows = hh[hh["reader"] == reader.encode()]
        assert len(rows) > 0
        for r in rows:  # the handheld is on only inside its room
            assert floor.spaces[space].contains(r["x0"], r["y0"]) and floor.spaces[space].contains(r["x1"], r["y1"])


def test_sweep_times_fall_in_working_windows(day):
    scn, st, led, ev, truth, hh = day
    keeper = sorted(o.id for o in st.pop.by_role("dossier_keeper"))[0]
    cal = st.cal
    beh = st.beh
    try:
        st.beh = beh.model_copy(update={"sweep_at": "12:30", "inventory_sweeps_per_day": 8})
        times = [t for t, _ in planned_sweeps(st, keeper, 0)]
    finally:
        st.beh = beh
    assert times and all(cal.in_shift(t) for t in times)
    assert min(times) >= cal.at(0, cal.lunch_end_s)
    assert max(times) <= cal.at(0, cal.shift_end_s) - 3600.0


@pytest.mark.parametrize("kind", ["administrative", "criminal"])
def test_hearing_plans(kind, base_scenario):
    from twin.agents.clock import Calendar

    cal = Calendar.of(base_scenario.start, base_scenario.population.shift)
    beh = base_scenario.behaviour.model_copy(update={"court_share_administrative": 0.5, "court_share_criminal": 0.5})
    rng = np.random.default_rng(7)
    n = Counter()
    for _ in range(400):
        plan = plan_case(kind, -rng.uniform(0, 100) * DAY_S, beh, cal, rng)
        hs = plan_hearings(plan, beh, cal, rng)
        n[len(hs)] += 1
        stage = {s.stage: s.t_s for s in plan.steps}
        for t in hs:
            assert cal.is_workday(cal.day_of(t)) and cal.tod(t) in HEARING_TOD_S
            if kind == "administrative":
                assert stage["decided"] < t < stage["archived"] + DAY_S
            else:
                assert t > stage["archived"]
    assert 150 <= n[1] <= 250 and n[1] + n[0] == 400
    none = base_scenario.behaviour.model_copy(update={"court_share_administrative": 0.0, "court_share_criminal": 0.0})
    assert plan_hearings(plan_case(kind, 0.0, none, cal, rng), none, cal, rng) == ()
