"""Dead tags in the scorer: anomalies about tags that never answer are counted apart from recall, present dossiers
with dead tags apart from the sweep shares, and `unread_label` is right for a dead tag only (known answers)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from twin.bench.dead_tags import dead_mask, dead_tags, read_dead_tags, rf_model, write_dead_tags
from twin.bench.score import score
from twin.bench.score_alerts import match_alerts
from twin.bench.score_inventory import score_inventory
from twin.readers import rf
from twin.records import ANOMALIES_SCHEMA, TRUTH_SCHEMA, rows_to_table

S = 1_000_000
T0 = 1_772_409_600 * S


def _rows(kind, *rows):
    """(t_s, epc) rows of one kind."""
    return rows_to_table([{"t_us": T0 + t * S, "kind": kind, "epc": e, "space": "office"} for t, e in rows],
                         ANOMALIES_SCHEMA)  # fmt: skip


def test_recall_over_detectable_anomalies_with_the_undetectable_beside_it():
    an = _rows("drawer", (100, "a"), (100, "b"), (100, "c"), (100, "d"))
    al = _rows("drawer", (110, "a"), (120, "b"), (130, "x"))
    r = match_alerts(an, al, w0_us=T0, w1_us=T0 + 10_000 * S, dead={"c", "d"})["drawer"]
    assert r.undetectable == ("c", "d") and r.found_undetectable == 0
    assert r.recall == 1.0 and r.recall_all == 0.5 and r.precision == 2 / 3  # precision unchanged: x is false
    plain = match_alerts(an, al, w0_us=T0, w1_us=T0 + 10_000 * S)["drawer"]
    assert plain.recall == plain.recall_all == 0.5 and plain.undetectable == ()
    # an alert that matched a dead tag's anomaly (a prior, not a read) counts in recall_all only
    r = match_alerts(an, _rows("drawer", (110, "a"), (110, "c")), w0_us=T0, w1_us=T0 + 10_000 * S,
                     dead={"c", "d"})["drawer"]  # fmt: skip
    assert r.found_undetectable == 1 and r.recall == 0.5 and r.recall_all == 0.5
    # every anomaly undetectable: nothing to recall
    r = match_alerts(_rows("drawer", (100, "c")), None, w0_us=T0, w1_us=T0 + 10_000 * S, dead={"c"})["drawer"]
    assert r.recall is None and r.recall_all == 0.0


def test_score_entries_name_the_undetectable():
    an = _rows("drawer", (100, "a"), (100, "c"))
    m = score(None, None, an, _rows("drawer", (110, "a")), start_us=T0, end_us=T0 + 10_000 * S, warmup_s=0.0,
              dead_tags={"c"})  # fmt: skip
    e = m["alert_drawer_recall"]
    assert e["value"] == 1.0 and e["recall_all"] == 0.5 and e["undetectable"] == 1 and e["undetectable_epcs"] == ["c"]
    assert m["alert_drawer_precision"]["value"] == 1.0
    m = score(None, None, an, _rows("drawer", (110, "a")), start_us=T0, end_us=T0 + 10_000 * S, warmup_s=0.0)
    assert m["alert_drawer_recall"]["value"] == 0.5 and m["alert_drawer_recall"]["undetectable"] == 0


def _truth() -> pa.Table:
    rows = [(e, "dossier", 0, 5000 * S, "room", u) for e, u in
            (("a", "room/S1"), ("b", "room/S1"), ("c", "room/S2"), ("d", "room/S2"), ("f", "room/S2"))]
    rows.append(("e", "dossier", 0, 5000 * S, "office", "office/desk"))  # elsewhere
    cols = list(zip(*rows))
    return pa.table({"epc": list(cols[0]), "tag_kind": list(cols[1]), "t0_us": list(cols[2]), "t1_us": list(cols[3]),
                     "space": list(cols[4]), "storage": list(cols[5]), "holder": [""] * len(rows)},
                    schema=TRUTH_SCHEMA)  # fmt: skip


def test_sweep_counts_dead_tags_apart_and_scores_unread_labels():
    """a, b found; c live and not found (missing); d dead, listed unread_label; f dead, listed missing; e dead and
    elsewhere, listed unread_label (right: its label is dead); g live, listed unread_label (wrong)."""
    rep = {"reader": "H", "space": "room", "t0_us": 1000 * S, "t1_us": 1600 * S, "present": ["a", "b"],
           "misplaced": [], "missing": ["c", "f"], "unread_label": ["d", "e", "g"], "unexpected": [],
           "found": {"a": "room/S1", "b": "room/S1"}}  # fmt: skip
    m = score_inventory([rep], _truth(), None, w0_us=0, w1_us=10_000 * S, dead={"d", "e", "f"})
    v = {k: x["value"] for k, x in m.items()}
    assert v["inventory_found_share"] == 2 / 3  # a, b of the live a, b, c
    assert m["inventory_found_share"]["value_all"] == 2 / 5 and m["inventory_found_share"]["undetectable"] == 2
    assert m["inventory_found_share"]["undetectable_epcs"] == ["d", "f"]
    assert v["inventory_found_at_unit_share"] == 2 / 3
    assert v["inventory_false_missing"] == 1.0 and m["inventory_false_missing"]["undetectable"] == 1  # c; f apart
    assert m["inventory_false_missing"]["value_all"] == 2.0
    assert v["inventory_unread_label_precision"] == 2 / 3  # d, e right; g wrong
    assert v["inventory_unread_label_recall"] == 1 / 2  # d of the dead d, f resting in the room
    plain = score_inventory([rep], _truth(), None, w0_us=0, w1_us=10_000 * S)
    assert plain["inventory_found_share"]["value"] == 2 / 5 and plain["inventory_false_missing"]["value"] == 2.0
    assert plain["inventory_unread_label_precision"]["value"] == 0.0
    assert plain["inventory_unread_label_recall"]["value"] is None


def test_dead_mask_is_the_read_models_dead_flag():
    rng = np.random.default_rng(3)
    epcs = [f"2C{int(x):022X}" for x in rng.integers(0, 2**62, 20_000)]
    seed = 12345
    _, dead = rf.tag_quality(seed, np.array([e.encode() for e in epcs], "S24"))
    got = dead_mask(epcs + ["short", ""], seed)
    assert got[:-2].tolist() == dead.tolist() and not got[-2:].any()
    assert 0.007 < got.mean() < 0.013  # RFParams.dead_share = 1 %


def test_dead_tags_from_a_world_and_the_csv_round_trip(tmp_path):
    class Eng:
        seed = 777
        params = type("P", (), {"rf": rf.RFParams()})()

    world = type("W", (), {"engine": Eng()})()
    rng = np.random.default_rng(4)
    epcs = [f"2C{int(x):022X}" for x in rng.integers(0, 2**62, 3000)]
    truth = pa.table({"epc": epcs, "tag_kind": ["dossier"] * len(epcs), "t0_us": [0] * len(epcs),
                      "t1_us": [1] * len(epcs), "space": [""] * len(epcs), "storage": [""] * len(epcs),
                      "holder": [""] * len(epcs)}, schema=TRUTH_SCHEMA)  # fmt: skip
    dead = dead_tags(truth, world=world)
    assert dead and set(dead) == {e for e, d in zip(epcs, dead_mask(epcs, 777)) if d}
    assert all(k == "dossier" for k in dead.values())
    assert dead_tags(truth, world=type("W", (), {"engine": object()})()) == {}  # a stand-in engine: none known
    assert rf_model() is None
    write_dead_tags(tmp_path / "dead.csv", dead)
    assert read_dead_tags(tmp_path / "dead.csv") == dead
