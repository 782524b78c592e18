"""Inventory: a dossier the core holds misfiled is reported on the shelf the fixed antennas rest it on, though its
estimate still shows its home (seeded synthetic sweeps, known answers)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from twin.tracker.inventory import Inventory, fixed_unit, place_reads, unit_evidence
from twin.tracker.unread import misfiled_shelf

S = 1_000_000
UNITS = [f"dossiers/S{k}" for k in range(1, 6)]
SITE = {"storage": [{"id": u, "space": "dossiers", "kind": "shelf"} for u in UNITS],
        "readers": [{"id": "H-1", "kind": "handheld",
                     "antennas": [{"port": 1, "kind": "handheld", "covers": {"space": "dossiers"}}]}]}  # fmt: skip


def _epc(u: int, k: int) -> str:
    return f"2C{u:02d}{k:020d}"


def _sweep(inv: Inventory, truth: dict[str, str], seed: int) -> None:
    """A unit-by-unit sweep (15 s a unit, 1 s reports): a tag answers at its own unit in most reports, loud, and at
    the units next to it in some, fainter; two units away it is not heard."""
    rng = np.random.default_rng(seed)
    inv.event({"t_us": 0, "kind": "sweep_start", "officer": "dk-1", "detail": "H-1 dossiers 5 units"})
    t, epc, rssi = [], [], []
    for k, u in enumerate(UNITS):
        inv.event({"t_us": 20 * k * S, "kind": "sweep_unit", "officer": "dk-1", "detail": f"H-1 {u}"})
        for e, tu in sorted(truth.items()):
            d = abs(UNITS.index(tu) - k)
            for j in range(15):
                if (d == 0 and rng.random() < 0.9) or (d == 1 and rng.random() < 0.45):
                    t.append(int((2 + 20 * k + j + rng.random()) * S))
                    epc.append(e)
                    rssi.append(int(-40 - 15 * d + rng.normal(0, 6)))
    inv.reads("H-1", np.array(t, np.int64), epc, np.array(rssi, np.int16))
    inv.event({"t_us": 100 * S, "kind": "sweep_end", "officer": "dk-1", "detail": "H-1 dossiers 5 units"})


def test_misfiled_shelf_is_the_shelf_that_won_most_inventories_of_a_dossier_held_misfiled():
    units = ["R/S1", "R/S2", "R/S3"]
    wins = np.array([[0, 339, 83], [0, 0, 0], [5, 0, 0], [0, 0, 64]], np.int16)
    tag_of = {"a": 0, "b": 1, "c": 2, "d": 3, "e": 9}
    shelf = misfiled_shelf(tag_of, wins, units, {"a", "b", "e", "z"})
    assert shelf("a") == "R/S2"  # held misfiled: the shelf whose antenna won most since it was taken out
    assert shelf("b") == ""  # held misfiled, no shelf credits: nothing to say
    assert shelf("c") == "" and shelf("d") == ""  # not held misfiled: the estimate speaks for them
    assert shelf("e") == "" and shelf("z") == ""  # beyond the evidence, or never placed
    assert misfiled_shelf({"a": 0}, np.zeros((1, 0), np.int16), [], {"a"})("a") == ""  # no shelf antennas


def test_fixed_unit_prefers_the_misfiled_shelf_over_the_estimate():
    unit_of = {"a": "S1", "b": "S2"}
    assert fixed_unit(unit_of)("a") == "S1" and fixed_unit(unit_of)("c") == ""
    located = fixed_unit(unit_of, {"a": "S4"}.get)
    assert located("a") == "S4" and located("b") == "S2" and located("c") == ""


def test_a_dossier_held_misfiled_is_reported_where_the_fixed_antennas_rest_it_though_its_estimate_shows_home():
    """Two dossiers put back two shelves from home: the handheld never hears them at home (too far), its estimate
    still shows the home (the locator keeps a homed dossier there until a rival shelf wins long enough), and the
    misfiled rule holds them on their true shelf. Without that word the home would win (the estimate's unit, not
    scanned near the tag); with it, both are misplaced at their true shelf. The rest stay present, unmoved."""
    homes = {_epc(u, k): UNITS[u] for u in range(5) for k in range(8)}
    a, b = _epc(0, 1), _epc(4, 2)
    truth = {**homes, a: UNITS[2], b: UNITS[2]}
    loc = {e: ("dossiers", u) for e, u in homes.items()}  # the estimates: every dossier on its home
    held = {a: UNITS[2], b: UNITS[2]}
    reps = {}
    for word in (False, True):
        inv = Inventory(SITE)
        _sweep(inv, truth, 4)
        (reps[word],) = inv.finish(110 * S, 2 * S, homes, lambda e: False, lambda: loc, None,
                                   lambda e: e in held, held.get if word else None)  # fmt: skip
    assert reps[False]["misplaced"] == [] and a in reps[False]["present"]  # shown on its home: missed
    assert reps[True]["misplaced"] == [{"epc": a, "home": UNITS[0], "found": UNITS[2]},
                                       {"epc": b, "home": UNITS[4], "found": UNITS[2]}]  # fmt: skip
    assert set(reps[True]["present"]) == set(homes) - {a, b} and reps[True]["missing"] == []


def test_a_misfiled_shelf_that_was_not_scanned_leaves_a_home_the_handheld_read():
    """The misfiled rule's shelf stands for the fixed antennas' unit, nothing more: on a unit the sweep did not scan
    it cannot overrule a home the handheld read the dossier at steadily."""
    homes = {_epc(u, k): UNITS[u] for u in range(5) for k in range(8)}
    back = _epc(1, 3)  # back on its home S2 since; the misfiled rule has not caught up
    loc = {e: ("dossiers", u) for e, u in homes.items()}
    inv = Inventory(SITE)
    _sweep(inv, homes, 6)
    (rep,) = inv.finish(110 * S, 2 * S, homes, lambda e: False, lambda: loc, None, lambda e: e == back,
                        {back: "dossiers/S9"}.get)  # fmt: skip
    assert rep["misplaced"] == [] and back in rep["present"]  # S9 not scanned: the home, a candidate, wins


@given(st.lists(st.tuples(st.integers(0, 79), st.sampled_from(["a", "b", "c"]), st.integers(-90, -20)), min_size=1,
                max_size=60),
       st.sampled_from(UNITS), st.sampled_from(UNITS + [""]))  # fmt: skip
def test_a_misfiled_shelf_the_handheld_read_best_always_wins(rows, home, estimate):
    """Whatever the home and the estimate, a tag held misfiled on the unit the handheld read it at most steadily is
    found there; with no tag held misfiled the word changes nothing."""
    t = np.array([(20 * (s // 20) + 2 + s % 20) * S for s, _, _ in rows], np.int64)
    epc = [e for _, e, _ in rows]
    rssi = np.array([r for _, _, r in rows], np.int16)
    unit_t = np.arange(len(UNITS), dtype=np.int64) * 20 * S
    homes = {e: home for e in "abc"}
    shown = {e: estimate for e in "abc"}
    plain = place_reads(t, epc, rssi, unit_t, UNITS, homes, located=fixed_unit(shown), moved=lambda e: True)
    none = place_reads(t, epc, rssi, unit_t, UNITS, homes, located=fixed_unit(shown, lambda e: ""),
                       moved=lambda e: True)  # fmt: skip
    assert none == plain
    ev = unit_evidence(t, epc, rssi, unit_t, len(UNITS))
    best = {e: UNITS[max(range(len(UNITS)), key=lambda k: (v[k, 0], v[k, 1]))] for e, v in ev.items()}
    held = place_reads(t, epc, rssi, unit_t, UNITS, homes, located=fixed_unit({}, best.get), moved=lambda e: True)
    assert held == best
