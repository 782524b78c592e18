"""Inventory metrics: hand-made sweep reports against a hand-made truth (known answers)."""

from __future__ import annotations

import pyarrow as pa

from twin.bench.score import score
from twin.bench.score_inventory import misfiled_on, resting, score_inventory
from twin.records import ANOMALIES_SCHEMA, TRUTH_SCHEMA

S = 1_000_000
T0, T1 = 1000 * S, 1600 * S  # the sweep


def _truth() -> pa.Table:
    rows = [("a", "dossier", 0, 5000 * S, "room", "room/S1"),
            ("b", "dossier", 0, 1200 * S, "room", "room/S1"),  # interval split at a chunk edge: still resting
            ("b", "dossier", 1200 * S, 5000 * S, "room", "room/S1"),
            ("c", "dossier", 0, 5000 * S, "room", "room/S2"),  # misfiled on S2 (home S1)
            ("d", "dossier", 0, 1300 * S, "room", "room/S2"),  # taken during the sweep: not counted
            ("d", "dossier", 1300 * S, 5000 * S, "office", ""),
            ("e", "dossier", 0, 5000 * S, "office", "office/desk"),  # elsewhere
            ("f", "dossier", 0, 5000 * S, "room", "room/S2"),
            ("x", "badge", 0, 5000 * S, "room", "")]  # fmt: skip
    cols = list(zip(*rows))
    return pa.table({"epc": list(cols[0]), "tag_kind": list(cols[1]), "t0_us": list(cols[2]), "t1_us": list(cols[3]),
                     "space": list(cols[4]), "storage": list(cols[5]), "holder": [""] * len(rows)},
                    schema=TRUTH_SCHEMA)  # fmt: skip


def _anomalies() -> pa.Table:
    return pa.Table.from_pylist([{"t_us": 500 * S, "kind": "misfiled", "epc": "c", "space": "room", "officer": "o",
                                  "detail": "on room/S2, home room/S1"}], schema=ANOMALIES_SCHEMA)  # fmt: skip


REPORT = {"reader": "H", "space": "room", "t0_us": T0, "t1_us": T1,
          "present": ["a"], "misplaced": [{"epc": "c", "home": "room/S1", "found": "room/S2"},
                                          {"epc": "b", "home": "room/S1", "found": "room/S3"}],
          "missing": ["f", "g"], "unexpected": [],
          "found": {"a": "room/S1", "b": "room/S3", "c": "room/S2"}}  # fmt: skip


def test_resting_and_misfiled():
    assert resting(_truth(), T0, T1, "room") == {"a": "room/S1", "b": "room/S1", "c": "room/S2", "f": "room/S2"}
    assert misfiled_on(_anomalies(), T0) == {"c": ("room/S2", "room/S1")}
    assert misfiled_on(_anomalies(), 100 * S) == {}


def test_known_answers():
    m = score_inventory([REPORT], _truth(), _anomalies(), w0_us=0, w1_us=10_000 * S)
    v = {k: x["value"] for k, x in m.items()}
    assert v["inventory_found_share"] == 3 / 4  # a, b, c of a, b, c, f
    assert v["inventory_found_at_unit_share"] == 2 / 4  # b was placed on S3
    assert v["inventory_misfiled_found_share"] == 1.0
    assert v["inventory_false_missing"] == 1.0  # f was there; g never was
    assert v["inventory_false_misplaced"] == 1.0  # b
    assert v["inventory_sweep_time_s"] == 600.0
    assert m["inventory_found_share"]["by_space"]["room"]["in_room"] == 4
    assert score_inventory([REPORT], _truth(), None, w0_us=T1 + 1, w1_us=10_000 * S) == {}


def test_score_adds_inventory_only_with_sweeps():
    kw = dict(start_us=0, end_us=10_000 * S, warmup_s=0.0)
    assert not any(k.startswith("inventory") for k in score(_truth(), None, _anomalies(), None, **kw))
    m = score(_truth(), None, _anomalies(), None, sweeps=[REPORT], **kw)
    assert m["inventory_misfiled_found_share"]["value"] == 1.0 and m["inventory_found_share"]["value"] == 0.75
