"""Queries of the inventory sweeps kept in the store: `sweeps` (counts per report, unread labels included) and `sweep`
(latest findings)."""

from __future__ import annotations

import json

from twin.tracker import query as q
from twin.tracker.store import Store

S = 1_000_000
REP = {"reader": "H-dossier-room", "space": "dossier-room", "officer": "dk-1", "t0_us": 10 * S, "t1_us": 50 * S,
       "expected": 5, "present": ["a", "b"], "missing": ["c"], "unread_label": ["u"],
       "unexpected": [{"epc": "x", "found": "dossier-room/S2"}],
       "misplaced": [{"epc": "d", "home": "dossier-room/S1", "found": "dossier-room/S3"}]}  # fmt: skip


def test_sweeps_and_latest_findings(tmp_path):
    with Store(tmp_path) as s:
        s.append_chunk(60 * S, events=[{"t_us": 50 * S, "kind": "sweep_report", "officer": "dk-1",
                                        "detail": json.dumps(REP)}])  # fmt: skip
    rows = q.sweeps(tmp_path)
    assert rows == [{"t_us": 50 * S, "space": "dossier-room", "reader": "H-dossier-room", "officer": "dk-1",
                     "expected": 5, "present": 2, "missing": 1, "unread_label": 1, "misplaced": 1,
                     "unexpected": 1}]  # fmt: skip
    assert q.sweeps(tmp_path, t_us=40 * S) == [] and q.sweeps(tmp_path, space_id="archive") == []
    res = q.query(tmp_path, "sweep", space="dossier-room")
    assert [(r["status"], r["epc"], r["found"]) for r in res.rows] == [
        ("missing", "c", ""), ("unread_label", "u", ""), ("misplaced", "d", "dossier-room/S3"), ("unexpected", "x", "dossier-room/S2")]
    assert q.render(q.query(tmp_path, "sweeps")).row_count == 1


def test_sweeps_of_a_report_from_before_unread_labels(tmp_path):
    """A report stored before unread labels were told apart (no unread_label list) counts none of them."""
    old = {k: v for k, v in REP.items() if k != "unread_label"}
    with Store(tmp_path) as s:
        s.append_chunk(60 * S, events=[{"t_us": 50 * S, "kind": "sweep_report", "officer": "dk-1",
                                        "detail": json.dumps(old)}])  # fmt: skip
    (row,) = q.sweeps(tmp_path)
    assert (row["missing"], row["unread_label"], row["misplaced"]) == (1, 0, 1)
    assert "unread_label" in q.query(tmp_path, "sweeps").columns
