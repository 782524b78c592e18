"""Inventory: the handheld weighed against the shelf antennas' credits (agreement against the home, a steady
handheld reading only where a shelf antenna credited it) and the bays to check by eye when no reader tells
(synthetic evidence and sweeps, known answers; the patterns are the misfile mornings' seeds 4, 13 and 14)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from twin.tracker.inventory import AGREE_DB, Inventory, agreed, arbitrate, doubt, place_reads, report_rows
from twin.tracker.unread import ShelfEvidence, misfiled_shelf

S = 1_000_000
UNITS = [f"R/S{k:02d}" for k in range(1, 9)]


def _ev(**per_unit: tuple[int, float]) -> np.ndarray:
    """(len(UNITS), 2) evidence: S03=(periods, loudest dBm) ..., the rest unread."""
    ev = np.zeros((len(UNITS), 2))
    ev[:, 1] = -np.inf
    for name, (n, r) in per_unit.items():
        ev[UNITS.index(f"R/{name}")] = (n, r)
    return ev


def test_shelf_evidence_credits_every_shelf_since_the_tag_left_storage():
    wins = np.array([[0, 98, 529], [0, 0, 0], [4, 0, 0]], np.int16)
    ev = misfiled_shelf({"a": 0, "b": 1, "c": 2, "d": 7}, wins, ["R/S1", "R/S2", "R/S3"], {"a"})
    assert isinstance(ev, ShelfEvidence)
    assert ev.credits("a") == {"R/S2": 98, "R/S3": 529}
    assert ev.credits("b") == {}  # known, no shelf antenna credited it since it last left storage
    assert ev.credits("c") == {"R/S1": 4}
    assert ev.credits("d") == {} and ev.credits("zz") == {}  # beyond the evidence, never placed
    assert ev("a") == "R/S3" and ev("c") == ""  # the misfiled shelf, as before, for held dossiers only
    assert misfiled_shelf({"a": 0}, np.zeros((1, 0), np.int16), [], {"a"}).credits("a") == {}


def test_agreed_takes_the_credited_unit_the_handheld_reads_loudest_when_the_home_has_no_credit():
    # seed 14: home S20 (here S06) read 6 periods at -55 dBm, never credited; S13 (here S02) credited 98, read 16 at -15
    ev = _ev(S01=(12, -42), S02=(16, -15), S06=(6, -55))
    assert agreed(ev, UNITS, "R/S06", {"R/S02": 98, "R/S05": 529}) == "R/S02"
    assert arbitrate(ev, UNITS, "R/S06", located="R/S06", moved=False, credits={"R/S02": 98, "R/S05": 529}) == "R/S02"
    # without the shelf antennas' credits (or with any credit at home) the home prior keeps it
    assert arbitrate(ev, UNITS, "R/S06", located="R/S06", moved=False) == "R/S06"
    assert agreed(ev, UNITS, "R/S06", {"R/S02": 98, "R/S06": 1}) == ""
    assert arbitrate(ev, UNITS, "R/S06", located="R/S06", moved=False, credits={"R/S02": 98, "R/S06": 1}) == "R/S06"


def test_agreed_needs_the_handheld_to_beat_the_home_by_agree_db():
    # seed 9: home S10 (here S04) read 5 at -56, the credited bay across the aisle (here S03) 7 at -55: stays home
    ev = _ev(S03=(7, -55.0), S04=(5, -56.0), S05=(7, -55.5))
    assert agreed(ev, UNITS, "R/S04", {"R/S03": 552}) == ""
    assert arbitrate(ev, UNITS, "R/S04", located="R/S03", moved=False, credits={"R/S03": 552}) == "R/S04"
    louder = _ev(S03=(7, -56.0 + AGREE_DB), S04=(5, -56.0))
    assert agreed(louder, UNITS, "R/S04", {"R/S03": 552}) == "R/S03"
    fewer = _ev(S03=(4, -20.0), S04=(5, -56.0))  # louder but read less steadily than at home
    assert agreed(fewer, UNITS, "R/S04", {"R/S03": 552}) == ""


def test_agreed_when_the_home_is_not_read_and_the_estimate_still_shows_it():
    # seed 14: home S12 never read by the handheld, its estimate still there; S01's antenna credited 42, read 11
    ev = _ev(S01=(11, -47), S02=(8, -68), S03=(4, -53), S04=(12, -47), S07=(15, -51))
    cr = {"R/S01": 42}
    assert arbitrate(ev, UNITS, "R/S08", located="R/S08", moved=False) == "R/S08"  # before: "its antenna holds it"
    assert arbitrate(ev, UNITS, "R/S08", located="R/S08", moved=False, credits=cr) == "R/S01"
    assert agreed(ev, UNITS, "", cr) == ""  # no home known: nothing to agree against
    assert agreed(_ev(S01=(2, -47), S07=(15, -51)), UNITS, "R/S08", cr) == ""  # S01 no candidate


def test_a_steady_handheld_reading_outweighs_the_fixed_unit_only_where_a_shelf_antenna_credited_it():
    # seed 13: the fixed antennas rest it on S01 (792 won), the handheld reads the next bay S02 in 12 periods, S01 in 2
    ev = _ev(S01=(2, -60), S02=(12, -43), S03=(2, -37))
    assert arbitrate(ev, UNITS, "R/S08", located="R/S01") == "R/S02"  # credits unknown: the steady reading (before)
    assert arbitrate(ev, UNITS, "R/S08", located="R/S01", credits={"R/S01": 792}) == "R/S01"
    # seed 3: the shelf antennas split (across the aisle 391, the dossier's own bay 43): the handheld's steady bay
    ev3 = _ev(S04=(1, -64), S05=(6, -35), S06=(10, -47), S07=(1, -76))
    assert arbitrate(ev3, UNITS, "R/S07", located="R/S04", credits={"R/S04": 391, "R/S06": 43}) == "R/S06"
    # the same with a credit at home (no agreement against it): the steady reading at a credited bay still wins
    split = {"R/S04": 391, "R/S06": 43, "R/S07": 1}
    assert agreed(ev3, UNITS, "R/S07", split) == ""
    assert arbitrate(ev3, UNITS, "R/S07", located="R/S04", credits=split) == "R/S06"
    assert arbitrate(ev3, UNITS, "R/S07", located="R/S04", credits={"R/S04": 391, "R/S07": 1}) == "R/S04"


def test_doubt_lists_the_steadiest_bays_and_where_it_was_placed():
    # seed 4: S10 13 periods, S15 11, S19 9, home S12 9, S04 6 (here S01, S02, S03, S04, S05)
    ev = _ev(S01=(13, -38), S02=(11, -38), S03=(9, -45), S04=(9, -55), S05=(6, -48))
    assert doubt(ev, UNITS, "R/S04") == ["R/S01", "R/S02", "R/S03", "R/S04"]
    assert doubt(ev, UNITS, "R/S04", bays=1) == ["R/S01", "R/S04"]
    assert doubt(ev, UNITS, "R/S01") == []  # placed on its steadiest bay: nothing in doubt
    assert doubt(_ev(), UNITS, "R/S04") == []


def _reads(per_tag: dict[str, dict[str, int]], rng) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    """A 20 s slot per unit; per tag and unit, that many report periods at -45 dBm (first one at -40)."""
    t, epc, rssi = [], [], []
    for e, per in per_tag.items():
        for u, n in per.items():
            k = UNITS.index(u)
            for j in range(n):
                t.append(int((20 * k + 2 + j + rng.random() * 0.5) * S))
                epc.append(e)
                rssi.append(-40 if j == 0 else -45)
    return np.array(t, np.int64), epc, np.array(rssi, np.int16), np.arange(len(UNITS), dtype=np.int64) * 20 * S


def test_place_reads_lists_a_taken_out_uncredited_dossier_to_check_at_its_candidate_bays():
    rng = np.random.default_rng(4)
    per = {"x": {"R/S01": 13, "R/S02": 11, "R/S04": 9},  # taken out, no shelf credit since: where? check by eye
           "y": {"R/S01": 13, "R/S04": 9},  # taken out but a shelf antenna credited its home: no doubt
           "z": {"R/S01": 13, "R/S04": 9}}  # never taken out (moved False): no doubt
    t, epc, rssi, unit_t = _reads(per, rng)
    home = {e: "R/S04" for e in per}
    credits = {"x": {}, "y": {"R/S04": 300}, "z": {}}
    check: list[dict] = []
    found = place_reads(t, epc, rssi, unit_t, UNITS, home, located=lambda e: "R/S04", moved=lambda e: e != "z",
                        credits=credits.get, check=check)  # fmt: skip
    assert found == {"x": "R/S04", "y": "R/S04", "z": "R/S04"}  # the home prior holds all three
    assert check == [{"epc": "x", "home": "R/S04", "found": "R/S04", "candidates": ["R/S01", "R/S02", "R/S04"]}]
    check2: list[dict] = []  # credits unknown (a core without them): no check rows
    place_reads(t, epc, rssi, unit_t, UNITS, home, located=lambda e: "R/S04", check=check2)
    assert check2 == []


SITE = {"storage": [{"id": u, "space": "R", "kind": "shelf"} for u in UNITS],
        "readers": [{"id": "H-1", "kind": "handheld",
                     "antennas": [{"port": 1, "kind": "handheld", "covers": {"space": "R"}}]}]}  # fmt: skip


def test_a_sweep_report_carries_the_check_rows():
    rng = np.random.default_rng(13)
    per = {"a": {"R/S01": 13, "R/S02": 11, "R/S04": 9}, "b": {"R/S05": 14, "R/S06": 3}}
    t, epc, rssi, unit_t = _reads(per, rng)
    inv = Inventory(SITE)
    inv.event({"t_us": 0, "kind": "sweep_start", "officer": "dk-1", "detail": "H-1 R 8 units"})
    for u, tu in zip(UNITS, unit_t.tolist()):
        inv.event({"t_us": tu, "kind": "sweep_unit", "officer": "dk-1", "detail": f"H-1 {u}"})
    inv.reads("H-1", t, epc, rssi)
    inv.event({"t_us": 170 * S, "kind": "sweep_end", "officer": "dk-1", "detail": "H-1 R 8 units"})
    shelves = misfiled_shelf({"a": 0, "b": 1}, np.array([[0] * 8, [0, 0, 0, 0, 500, 0, 0, 0]], np.int16), UNITS,
                             set())  # fmt: skip
    (rep,) = inv.finish(200 * S, 0, {"a": "R/S04", "b": "R/S05"}, lambda e: False,
                        lambda: {"a": ("R", "R/S04"), "b": ("R", "R/S05")}, lambda e: True,
                        lambda e: True, shelves)  # fmt: skip
    assert rep["present"] == ["a", "b"]
    assert rep["check"] == [{"epc": "a", "home": "R/S04", "found": "R/S04",
                             "candidates": ["R/S01", "R/S02", "R/S04"]}]  # fmt: skip
    rows = [r for r in report_rows(rep) if r["status"] == "check"]
    assert rows == [{"status": "check", "epc": "a", "home": "R/S04", "found": "R/S01 R/S02 R/S04"}]


evidence = st.lists(st.tuples(st.integers(0, 16), st.integers(-80, -10)), min_size=len(UNITS), max_size=len(UNITS))


@given(evidence, st.sampled_from(UNITS), st.sets(st.sampled_from(UNITS), max_size=4))
def test_agreed_is_a_credited_candidate_other_than_the_home(rows, home, credited):
    ev = np.array([(n, r if n else -np.inf) for n, r in rows], float)
    cr = {u: 10 for u in credited}
    u = agreed(ev, UNITS, home, cr)
    if u:
        k = UNITS.index(u)
        assert u != home and u in cr and ev[k, 0] >= 0.2 * ev[:, 0].max() and ev[k, 0] > 0
        h = UNITS.index(home)
        assert ev[h, 0] < 0.2 * ev[:, 0].max() or ev[k, 1] >= ev[h, 1] + AGREE_DB
    if home in cr:
        assert u == ""
    if ev[:, 0].max() > 0:
        assert arbitrate(ev, UNITS, home, credits=cr) in UNITS
