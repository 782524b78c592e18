"""Drawer ground truth against the twin's own truth: a drawer anomaly exactly for each dossier resting on a desk at
the end-of-day check (labelled once per rest, at the check, even when its officer tidies after the run's end)."""

from __future__ import annotations

import pyarrow as pa
import pytest
import simpy

from twin.agents.behaviour import DRAWER_CHECK_S
from twin.agents.journal import Journal
from twin.agents.ledger import Ledger
from twin.agents.population import build_population, start_agents
from twin.rng import Streams

from .conftest import small


def _run(scn, floor, graph, seed=1):
    pop = build_population(scn, floor, graph, Streams(seed).generator("population"))
    env = simpy.Environment()
    led = Ledger(floor, scn.start_us, clock=lambda: env.now)
    jr = Journal(scn.start_us)
    st = start_agents(env, pop, led, jr, graph, scn, Streams(seed).child("agents"), handheld_readers={})
    env.run(until=scn.duration_s)
    truth = pa.concat_tables([led.closed_truth(), led.close(scn.duration_s)])
    return st, truth, jr.drain()[1]


def _resting_on_desks(truth, floor, t_us: int) -> set[str]:
    desks = {u for u, s in floor.storage.items() if s.kind == "desk"}
    return {r["epc"] for r in truth.to_pylist()
            if r["tag_kind"] == "dossier" and r["t0_us"] <= t_us < r["t1_us"] and r["storage"] in desks
            and not r["holder"]}  # fmt: skip


@pytest.fixture(scope="module")
def evening(base_scenario, floor, graph):
    # 16:00-18:00 (the run ends 5 min after the 17:55 check, before many officers have tidied)
    scn = small(base_scenario, days=2 / 24, start="2026-03-02T16:00:00+08:00",
                population={"active_dossiers": 400, "archived_dossiers": 0},
                behaviour={"drawer_rate": 0.2, "dossier_uses_per_officer_day": 6.0})  # fmt: skip
    return scn, *_run(scn, floor, graph)


def test_every_drawer_label_is_a_dossier_on_a_desk_at_the_check_and_every_such_dossier_has_one(evening, floor):
    scn, st, truth, an = evening
    drawers = [r for r in an.to_pylist() if r["kind"] == "drawer"]
    check_us = scn.start_us + round((st.cal.at(0, st.cal.shift_end_s) + DRAWER_CHECK_S) * 1e6)
    on_desks = _resting_on_desks(truth, floor, check_us)
    assert len(on_desks) >= 5  # the case is exercised
    assert all(r["t_us"] == check_us for r in drawers)
    assert sorted(r["epc"] for r in drawers) == sorted(on_desks)
    assert {r["space"] for r in drawers} <= {s.space for s in floor.storage.values() if s.kind == "desk"}


def test_kept_dossiers_are_labelled_once(evening):
    scn, st, truth, an = evening
    drawers = [r["epc"] for r in an.to_pylist() if r["kind"] == "drawer"]
    assert len(drawers) == len(set(drawers))
    kept = [r for r in an.to_pylist() if r["kind"] == "drawer" and "kept overnight" in r["detail"]]
    assert len(kept) <= st.counts["kept"]
