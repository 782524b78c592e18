"""Ledger: truth intervals partition time, carried tags follow their holder along every leg, chunks tile time."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.agents.ledger import Ledger, LedgerError

from .helpers import DOORS, ROOMS, START_US, Place, route, small_floor
from .invariants import check_carried_with_holder, check_segments_cover, check_truth

FLOOR = small_floor()
SHELF = Place("A", (1.0, 1.4))
DESK = Place("B", (10.0, 2.6))


def adjacent(a: str, b: str) -> bool:
    return (a, b) in DOORS or (b, a) in DOORS


def run_chunks(ledger: Ledger, end_s: float, chunk_s: float, actions) -> tuple:
    """Play `actions` [(t_s, fn)] in time order while pulling segments/truth chunk by chunk like the world does."""
    segs, truth = [], []
    t0 = 0.0
    actions = sorted(actions, key=lambda a: a[0])
    k = 0
    while t0 < end_s:
        t1 = min(t0 + chunk_s, end_s)
        while k < len(actions) and actions[k][0] < t1:
            actions[k][1]()
            k += 1
        segs.append(ledger.segments(t0, t1))
        truth.append(ledger.closed_truth())
        t0 = t1
    truth.append(ledger.close(end_s))
    import pyarrow as pa

    return np.concatenate(segs), pa.concat_tables(truth)


def test_fetch_and_return_closed_form():
    lg = Ledger(FLOOR, START_US)
    lg.add_officer("o1", "B0", DESK, 0.0)
    lg.add_tag("D1", "dossier", 0.0, SHELF, storage="A/S01")
    to_shelf = route(DESK, SHELF)  # B -> C -> A, 1 m/s
    back = route(SHELF, DESK)
    acts = [
        (10.0, lambda: lg.walk("o1", to_shelf, 10.0)),
        (10.0 + to_shelf.duration_s, lambda: lg.pick("D1", "o1", 10.0 + to_shelf.duration_s)),
        (30.0, lambda: lg.walk("o1", back, 30.0)),
        (30.0 + back.duration_s, lambda: lg.put("D1", 30.0 + back.duration_s, DESK, storage="B/D01")),
    ]
    segs, truth = run_chunks(lg, 100.0, 7.0, acts)
    rows = [r for r in truth.to_pylist() if r["epc"] == "D1"]
    rows.sort(key=lambda r: r["t0_us"])
    places = [(r["space"], r["storage"], r["holder"]) for r in rows]
    assert places == [("A", "A/S01", ""), ("A", "", "o1"), ("C", "", "o1"), ("B", "", "o1"), ("B", "B/D01", "")]
    t_pick = 10.0 + to_shelf.duration_s
    assert rows[0]["t1_us"] == START_US + round(t_pick * 1e6)
    # the door crossings of the walk back split the carried interval exactly at the crossing times
    assert rows[1]["t1_us"] == START_US + round((30.0 + back.crossings[0].t_s) * 1e6)
    assert rows[2]["t1_us"] == START_US + round((30.0 + back.crossings[1].t_s) * 1e6)
    reg = {"D1": START_US, "B0": START_US}
    check_truth(truth, reg, START_US + 100_000_000, adjacent)
    check_segments_cover(segs, reg, START_US + 100_000_000)
    assert check_carried_with_holder(truth, segs, {"o1": "B0"}) > 0
    # the static tag costs one segment per chunk while at rest (15 chunks of 7 s, 100 s)
    d1 = segs[segs["epc"] == b"D1"]
    assert d1[0]["container"] == 0 and d1[-1]["container"] == 1
    assert lg.where("D1") == ("B", "B/D01", "")


def test_impossible_actions_are_refused():
    lg = Ledger(FLOOR, START_US)
    lg.add_officer("o1", "B0", DESK, 0.0)
    lg.add_officer("o2", "B2", SHELF, 0.0)
    lg.add_tag("D1", "dossier", 0.0, SHELF, storage="A/S01")
    with pytest.raises(LedgerError):
        lg.pick("D1", "o1", 1.0)  # o1 is in B, the dossier in A
    lg.pick("D1", "o2", 1.0)
    with pytest.raises(LedgerError):
        lg.put("D1", 2.0, DESK)  # o2 is in A: putting it in B would be a teleport
    with pytest.raises(LedgerError):
        lg.hand_over("D1", "o2", "o1", 2.0)  # not co-located
    with pytest.raises(LedgerError):
        lg.put("B0", 2.0, DESK)  # a badge stays with its officer
    with pytest.raises(LedgerError):
        lg.walk("o1", route(SHELF, DESK), 3.0)  # o1 is not in A
    with pytest.raises(LedgerError):
        lg.add_tag("D1", "dossier", 3.0, SHELF)


def test_handheld_follows_officer():
    lg = Ledger(FLOOR, START_US)
    lg.add_officer("k", "BK", SHELF, 0.0)
    r = route(SHELF, DESK)
    lg.handheld_on("HH1", "k", 2.0)
    lg.walk("k", r, 2.0)
    lg.segments(0.0, 5.0)
    hh = lg.handheld_antennas(0.0, 5.0)
    assert hh["t0_us"][0] == START_US + 2_000_000 and hh["t1_us"][-1] == START_US + 5_000_000
    assert set(hh["reader"]) == {b"HH1"}
    lg.handheld_off("HH1", 6.0)
    lg.segments(5.0, 10.0)
    hh = lg.handheld_antennas(5.0, 10.0)
    assert hh["t1_us"][-1] == START_US + 6_000_000
    lg.segments(10.0, 15.0)
    assert len(lg.handheld_antennas(10.0, 15.0)) == 0


PLACES = [Place(s, xy) for s, xy in (("A", (1.0, 1.4)), ("A", (3.0, 3.0)), ("C", (6.0, 1.0)), ("B", (10.0, 2.6)))]


@st.composite
def scripts(draw):
    n_off = draw(st.integers(1, 3))
    n_tags = draw(st.integers(1, 5))
    steps = draw(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 50), st.integers(0, 50), st.floats(0.1, 30)),
                          max_size=40))
    chunk = draw(st.sampled_from([1.0, 5.0, 13.0, 60.0]))
    return n_off, n_tags, steps, chunk


@settings(max_examples=60, deadline=None)
@given(scripts())
def test_invariants_on_random_scripts(script):
    """Random walks, picks, puts and hand-overs: truth partitions time, no jumps, carried tags ride with holders."""
    n_off, n_tags, steps, chunk = script
    lg = Ledger(FLOOR, START_US)
    badge = {}
    for k in range(n_off):
        badge[f"o{k}"] = f"B{k}"
        lg.add_officer(f"o{k}", f"B{k}", PLACES[k % len(PLACES)], 0.0)
    for k in range(n_tags):
        lg.add_tag(f"D{k}", "dossier", 0.0, PLACES[(k + 1) % len(PLACES)])
    busy = {o: 0.0 for o in badge}  # officer free from (end of the current walk)
    segs, truth = [], []
    t = 0.0
    t_chunk = 0.0
    for op, a, b, dt in steps:
        t += dt
        while t_chunk + chunk <= t:
            segs.append(lg.segments(t_chunk, t_chunk + chunk))
            truth.append(lg.closed_truth())
            t_chunk += chunk
        o = f"o{a % n_off}"
        if busy[o] > t:
            continue
        space = lg.officer_place(o).space
        if op <= 1:  # walk somewhere
            r = route(lg.officer_place(o), PLACES[b % len(PLACES)], speed_mps=1.0 + (b % 5) / 10)
            lg.walk(o, r, t)
            busy[o] = t + r.duration_s
        elif op == 2:  # pick a co-located tag lying there
            here = [f"D{k}" for k in range(n_tags) if lg.where(f"D{k}")[0] == space and not lg.where(f"D{k}")[2]]
            if here:
                lg.pick(here[b % len(here)], o, t)
        elif op == 3:  # put something down where the officer stands
            held = lg.carried_by(o)
            held = [e for e in held if e.startswith("D")]
            if held:
                lg.put(held[b % len(held)], t, lg.officer_place(o))
        else:  # hand over to a co-located free officer
            held = [e for e in lg.carried_by(o) if e.startswith("D")]
            mates = [m for m in badge if m != o and busy[m] <= t and lg.officer_place(m).space == space]
            if held and mates:
                lg.hand_over(held[0], o, mates[b % len(mates)], t)
    end = t_chunk + chunk * 2 + 60.0
    while t_chunk < end:
        t1 = min(t_chunk + chunk, end)
        segs.append(lg.segments(t_chunk, t1))
        truth.append(lg.closed_truth())
        t_chunk = t1
    truth.append(lg.close(end))
    import pyarrow as pa

    truth = pa.concat_tables(truth)
    segs = np.concatenate(segs)
    reg = {e: START_US for e in list(badge.values()) + [f"D{k}" for k in range(n_tags)]}
    end_us = START_US + round(end * 1e6)
    check_truth(truth, reg, end_us, adjacent)
    check_segments_cover(segs, reg, end_us)
    check_carried_with_holder(truth, segs, badge)
    # every space the truth names is one of the floor's rooms
    assert set(truth.column("space").to_pylist()) <= set(ROOMS)
