"""Inventory: a hand-made dossier-room sweep finds every present dossier and each misfiled one at its true shelf."""

from __future__ import annotations

import numpy as np

from twin.tracker.inventory import Inventory, place_reads, reconcile, report_table

S = 1_000_000
UNITS = [f"dossiers/S{k}" for k in range(1, 5)]
SITE = {"storage": [{"id": u, "space": "dossiers", "kind": "shelf"} for u in UNITS],
        "readers": [{"id": "H-1", "kind": "handheld",
                     "antennas": [{"port": 1, "kind": "handheld", "covers": {"space": "dossiers"}}]}]}  # fmt: skip


def _epc(u: int, k: int) -> str:
    return f"2C{u:02d}{k:020d}"


def test_reconcile_lists():
    rep = reconcile({"a": "S1", "b": "S1", "c": "S2"}, {"a": "S1", "c": "S1", "x": "S2"})
    assert rep == {"present": ["a"], "misplaced": [{"epc": "c", "home": "S2", "found": "S1"}], "missing": ["b"],
                   "unexpected": [{"epc": "x", "found": "S2"}]}  # fmt: skip


def test_sweep_finds_present_and_misfiled_at_true_shelf():
    homes = {_epc(u, k): UNITS[u] for u in range(4) for k in range(10)}
    truth = dict(homes)
    truth[_epc(0, 3)] = UNITS[2]  # misfiled on S3
    truth[_epc(1, 5)] = UNITS[3]  # misfiled on S4
    absent = _epc(2, 7)  # checked out: not on its shelf
    truth.pop(absent)
    rng = np.random.default_rng(5)
    inv = Inventory(SITE, slot_s=10.0)
    inv.event({"t_us": 0, "kind": "sweep_start", "officer": "dk-1", "detail": "H-1 4 units"})
    t, epc, rssi = [], [], []
    for k, u in enumerate(UNITS):  # 20 s at each shelf: its own tags loud, the neighbours' faint
        for e, tu in sorted(truth.items()):
            for j in range(4):
                near = tu == u
                if near or rng.random() < 0.3:
                    t.append((20 * k + 5 * j + rng.random()) * S)
                    epc.append(e)
                    rssi.append(-45 if near else -70)
    inv.reads("H-1", np.array(t, np.int64), epc, np.array(rssi, np.int16))
    inv.event({"t_us": 80 * S, "kind": "sweep_end", "officer": "dk-1", "detail": "H-1 4 units"})
    assert inv.finish(81 * S, 2 * S, homes, lambda e: False) == []  # not past the watermark yet
    (rep,) = inv.finish(83 * S, 2 * S, homes, lambda e: False)
    assert rep["space"] == "dossiers" and rep["expected"] == 40
    assert set(rep["present"]) == set(truth) - {_epc(0, 3), _epc(1, 5)}
    assert rep["misplaced"] == [{"epc": _epc(0, 3), "home": UNITS[0], "found": UNITS[2]},
                                {"epc": _epc(1, 5), "home": UNITS[1], "found": UNITS[3]}]  # fmt: skip
    assert rep["missing"] == [absent] and rep["unexpected"] == []
    assert report_table(rep).row_count == 4


def test_place_reads_empty():
    assert place_reads(np.zeros(0, np.int64), [], np.zeros(0, np.int16), {}, 10.0) == {}
