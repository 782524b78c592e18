"""The SimPy processes on the real station floor with the real ledger and journal."""

from collections import Counter

import numpy as np
import pyarrow.compute as pc
import pytest
import simpy

from twin.agents.journal import Journal
from twin.agents.ledger import Ledger
from twin.agents.population import build_population, start_agents
from twin.rng import Streams

from .conftest import small


HANDHELDS = {"H-archive": "archive", "H-dossier-room": "dossier-room"}


def run(scn, floor, graph, seed=1):
    pop = build_population(scn, floor, graph, Streams(seed).generator("population"))
    env = simpy.Environment()
    led = Ledger(floor, scn.start_us, clock=lambda: env.now)
    jr = Journal(scn.start_us)
    st = start_agents(env, pop, led, jr, graph, scn, Streams(seed).child("agents"), handheld_readers=HANDHELDS)
    t = 0.0
    truth = []
    while t < scn.duration_s:
        t = min(scn.duration_s, t + 3600.0)
        env.run(until=t)
        truth.append(led.closed_truth())
    ev, an = jr.drain()
    return pop, st, led, ev, an


@pytest.fixture(scope="module")
def day(base_scenario, floor, graph):
    scn = small(base_scenario, population={"active_dossiers": 400, "archived_dossiers": 100},
                behaviour={"cases_per_day": 40.0})  # fmt: skip
    return scn, *run(scn, floor, graph)


def test_a_day_of_work(day):
    scn, pop, st, led, ev, an = day
    kinds = Counter(ev.column("kind").to_pylist())
    assert kinds["sweep_start"] == kinds["sweep_end"] == 2  # the dossier room, then the archive
    assert st.counts["use"] > 0.6 * scn.population.case_officers * scn.behaviour.dossier_uses_per_officer_day
    new = [c for c in pop.cases.values() if c.accepted_s > 0]
    assert 15 <= len(new) <= 70  # Poisson(40) on a Monday
    # every new case: register per volume, assign, accepted stage
    for c in new:
        assert c.volumes and all(d.home for d in c.volumes)
    assert kinds["register"] >= sum(len(c.volumes) for c in pop.cases.values())
    # at the end of the day (after every shift) dossiers rest on shelves, except misbehaviour
    for d in pop.dossiers.values():
        if d.lost or d.space == "procuratorate":
            continue
        assert d.holder == "" or st.pop.officers[d.holder].role == "duty_officer"


def test_officers_go_home(day, floor):
    scn, pop, st, led, ev, an = day
    for oid, o in pop.officers.items():
        if o.role != "duty_officer":
            assert floor.spaces[st.pos[oid].space].purpose == "off_site"


def test_stage_events_carry_deadlines(day):
    scn, pop, st, led, ev, an = day
    stages = ev.filter(pc.equal(ev.column("kind"), "stage"))
    rows = stages.to_pylist()
    assert all(r["stage"] for r in rows)
    assert any(r["deadline_us"] for r in rows)


def test_misbehaviour_rates(base_scenario, floor, graph):
    rates = {"drawer_rate": 0.1, "left_in_car_rate": 0.05, "misfile_rate": 0.1, "unrecorded_handover_rate": 0.2,
             "dossier_uses_per_officer_day": 4.0, "review_share": 0.5}  # fmt: skip
    scn = small(base_scenario, population={"active_dossiers": 400, "archived_dossiers": 0}, behaviour=rates)
    pop, st, led, ev, an = run(scn, floor, graph, seed=4)
    kinds = Counter(an.column("kind").to_pylist())
    c = st.counts

    def close(k, n, p):
        assert abs(k - n * p) <= 4 * np.sqrt(n * p * (1 - p)) + 2, (k, n, p)

    returns = c["shelf_return"]
    close(kinds["misfiled"], returns, 0.1 * 0.9)  # misfiled only when another unit has room (nearly always)
    close(kinds["unrecorded_handover"], c["handover"] + kinds["unrecorded_handover"] * 0, 0.2)
    tidy = c["kept"] + kinds["left_building"] + returns
    close(c["kept"], tidy, 0.1)
    assert kinds["drawer"] >= c["kept"]  # every kept dossier is on its desk at the check (and so are late ones)
    close(kinds["left_building"], tidy, 0.05)
