"""Queries on a hand-made store with known answers: where, history, space, officer, alerts, overdue; EPC as URI."""

from __future__ import annotations

import pytest

from twin.agents import epc as tagids
from twin.errors import InputError
from twin.tracker import query as q
from twin.tracker.store import Store

CP = "0614141"
D1, D2, I1 = tagids.dossier_epc(CP, 5, 1), tagids.dossier_epc(CP, 5, 2), tagids.item_epc(CP, 9)
S = 1_000_000


@pytest.fixture
def run_dir(tmp_path):
    with Store(tmp_path) as s:
        s.append_chunk(60 * S, estimates=[
            {"t_us": 10 * S, "epc": D1, "space": "dossier_room", "storage": "dossier_room/S01", "confidence": 0.9},
            {"t_us": 10 * S, "epc": D2, "space": "dossier_room", "storage": "dossier_room/S02", "confidence": 0.9},
            {"t_us": 20 * S, "epc": I1, "space": "evidence", "storage": "evidence/C1", "confidence": 0.8},
        ], lifecycle=[{"t_us": 5 * S, "case": "C5", "stage": "accepted", "deadline_us": 200 * S},
                      {"t_us": 6 * S, "case": "C6", "stage": "accepted", "deadline_us": 10_000 * S}])  # fmt: skip
        s.append_chunk(120 * S, estimates=[
            {"t_us": 70 * S, "epc": D1, "space": "corridor", "holder": "o-1", "confidence": 0.7},
            {"t_us": 90 * S, "epc": D1, "space": "office-1", "storage": "office-1/desk", "holder": "", "confidence": 0.8},
        ], custody=[{"t_us": 70 * S, "epc": D1, "holder": "o-1", "from": "", "how": "badge"}],
           alerts=[{"t_us": 100 * S, "state": "raised", "kind": "drawer", "epc": D1, "space": "office-1"},
                   {"t_us": 101 * S, "state": "raised", "kind": "reader_offline", "space": "archive"},
                   {"t_us": 102 * S, "state": "raised", "kind": "overdue_warning", "epc": D1,
                    "detail": "case C6; stage accepted; deadline_us 10000000000"}])  # fmt: skip
        s.append_chunk(300 * S, custody=[{"t_us": 250 * S, "epc": D1, "holder": "o-2", "from": "o-1", "how": "handover"}],
                       alerts=[{"t_us": 260 * S, "state": "cleared", "kind": "drawer", "epc": D1, "space": "office-1"}])  # fmt: skip
    return tmp_path


def test_where_now_and_then(run_dir):
    now = q.where(run_dir, D1)
    assert (now["space"], now["storage"], now["holder"]) == ("office-1", "office-1/desk", "o-2")
    then = q.where(run_dir, D1, t_us=80 * S)
    assert (then["space"], then["holder"]) == ("corridor", "o-1")
    assert q.where(run_dir, D1, t_us=5 * S) is None


def test_epc_as_uri_equals_hex(run_dir):
    assert q.where(run_dir, tagids.to_uri(D1)) == q.where(run_dir, D1) == q.where(run_dir, D1.lower())
    assert q.where(run_dir, "urn:epc:id:gdti:0614141.00001.999999") is None
    with pytest.raises(InputError, match="epc"):
        q.where(run_dir, "not-an-epc")


def test_history_between_two_times(run_dir):
    h = q.history(run_dir, D1, 60 * S, 300 * S)
    assert [(r["t_us"] // S, r["change"]) for r in h] == [(70, "place"), (70, "custody"), (90, "place"),
                                                         (250, "custody")]  # fmt: skip
    assert h[-1]["from"] == "o-1" and h[-1]["how"] == "handover"
    assert len(q.history(run_dir, D1)) == 5


def test_space_holds(run_dir):
    assert [r["epc"] for r in q.space(run_dir, "dossier_room")] == sorted([D2])
    assert {r["epc"] for r in q.space(run_dir, "dossier_room", t_us=60 * S)} == {D1, D2}
    assert [r["epc"] for r in q.space(run_dir, "dossier_room/S02")] == [D2]


def test_officer_holds(run_dir):
    assert [r["epc"] for r in q.officer(run_dir, "o-2")] == [D1]
    assert q.officer(run_dir, "o-1") == []
    assert [r["epc"] for r in q.officer(run_dir, "o-1", t_us=100 * S)] == [D1]


def test_open_alerts(run_dir):
    assert [a["kind"] for a in q.alerts(run_dir, t_us=200 * S)] == ["drawer", "reader_offline", "overdue_warning"]
    assert [a["kind"] for a in q.alerts(run_dir)] == ["reader_offline", "overdue_warning"]
    assert q.alerts(run_dir, kind="drawer") == []


def test_overdue(run_dir):
    rows = q.overdue(run_dir)
    assert [(r["case"], r["status"]) for r in rows] == [("C5", "overdue"), ("C6", "warning")]
    assert rows[0]["late_s"] == pytest.approx(100.0)
    assert q.overdue(run_dir, t_us=150 * S)[0]["case"] == "C6"


def test_dispatcher_and_render(run_dir):
    from rich.console import Console

    r = q.query(run_dir, "where", epc=D1)
    assert r.rows[0]["space"] == "office-1" and "where" in r.title
    r = q.query(run_dir, "history", epc=D1, t0="1970-01-01T08:01:00+08:00", t1=300 * S)
    assert len(r.rows) == 4
    assert len(q.query(run_dir, "space", space="dossier_room").rows) == 1
    con = Console(width=200, record=True)
    con.print(q.render(q.query(run_dir, "alerts")))
    text = con.export_text()
    assert "reader_offline" in text and "1970-01-01T08:01:41+08:00" in text
    with pytest.raises(InputError, match="what"):
        q.query(run_dir, "nowhere")
    with pytest.raises(InputError, match="ISO 8601"):
        q.query(run_dir, "where", epc=D1, at="yesterday")


def test_missing_store(tmp_path):
    with pytest.raises(InputError, match="store.sqlite"):
        q.where(tmp_path, D1)
