"""Tampering with the store file directly (UPDATE / DELETE / INSERT) is detected and located by verify."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.chain import GENESIS, canonical, link, verify
from twin.tracker.store import Store

N = 12


def _make(tmp_path):
    s = Store(tmp_path)
    for i in range(N):
        s.append_chunk(
            1000 * (i + 1),
            custody=[{"t_us": 1000 * i + 1, "epc": f"E{i % 3}", "holder": f"o{i}", "from": f"o{i - 1}", "how": "badge"}],
            alerts=[{"t_us": 1000 * i + 2, "state": "raised", "kind": "drawer", "epc": f"E{i}", "space": "office"}],
        )
    s.close()
    return tmp_path / "store.sqlite"


def _sql(db, *stmts):
    con = sqlite3.connect(db)
    for s in stmts:
        con.execute(s)
    con.commit()
    con.close()


def _only(report, table):
    probs = report.problems
    assert not report.ok and probs, "tampering went unnoticed"
    assert {p.table for p in probs} == {table}
    return probs


def test_intact_store_verifies(tmp_path):
    db = _make(tmp_path)
    r = verify(tmp_path)
    assert r.ok and [c.rows for c in r.chains] == [N, N]
    assert verify(db).ok  # the file itself works too
    assert "OK" in r.lines()[0]


@pytest.mark.parametrize("table", ["custody", "alerts"])
def test_edited_row_is_named(tmp_path, table):
    db = _make(tmp_path)
    col = "holder" if table == "custody" else "kind"
    _sql(db, f"UPDATE {table} SET {col} = 'x' WHERE id = 5")
    (p,) = _only(verify(tmp_path), table)
    assert (p.row_id, p.kind) == (5, "edited")


def test_edited_time_is_named(tmp_path):
    db = _make(tmp_path)
    _sql(db, "UPDATE custody SET t_us = t_us + 1 WHERE id = 1")
    (p,) = _only(verify(tmp_path), "custody")
    assert (p.row_id, p.kind) == (1, "edited")


def test_deleted_row_is_named(tmp_path):
    db = _make(tmp_path)
    _sql(db, "DELETE FROM alerts WHERE id = 7")
    (p,) = _only(verify(tmp_path), "alerts")
    assert p.kind == "deleted" and p.row_id == 8 and "7" in p.detail


def test_deleted_last_row_is_caught_by_the_head(tmp_path):
    db = _make(tmp_path)
    _sql(db, f"DELETE FROM custody WHERE id = {N}")
    (p,) = _only(verify(tmp_path), "custody")
    assert p.kind == "deleted" and p.row_id == N - 1


def test_deleted_row_with_ids_renumbered_is_located(tmp_path):
    db = _make(tmp_path)
    _sql(db, "DELETE FROM custody WHERE id = 4", "UPDATE custody SET id = id - 1 WHERE id > 4")
    probs = _only(verify(tmp_path), "custody")
    assert probs[0].row_id == 4


def test_inserted_row_at_the_end_is_named(tmp_path):
    db = _make(tmp_path)
    _sql(db, f"INSERT INTO custody (id, chunk, t_us, epc, holder, from_holder, how, hash) "
             f"VALUES ({N + 1}, {N}, 99999, 'E9', 'mallory', '', 'handover', x'00')")  # fmt: skip
    probs = _only(verify(tmp_path), "custody")
    assert probs[0].row_id == N + 1 and probs[0].kind in ("inserted", "edited")


def test_inserted_row_with_a_forged_hash_at_the_end_is_caught_by_the_head(tmp_path):
    db = _make(tmp_path)
    con = sqlite3.connect(db)
    (head,) = con.execute(f"SELECT hash FROM custody WHERE id = {N}").fetchone()
    vals = (99999, "E9", "mallory", "", "handover")
    forged = link(bytes(head), "custody", vals)
    con.execute("INSERT INTO custody (id, chunk, t_us, epc, holder, from_holder, how, hash) VALUES (?,?,?,?,?,?,?,?)",
                (N + 1, N, *vals, forged))  # fmt: skip
    con.commit()
    con.close()
    (p,) = _only(verify(tmp_path), "custody")
    assert (p.row_id, p.kind) == (N + 1, "inserted")


def test_inserted_row_in_the_middle_is_named(tmp_path):
    db = _make(tmp_path)
    con = sqlite3.connect(db)
    rows = con.execute("SELECT id FROM alerts WHERE id >= 6 ORDER BY id DESC").fetchall()
    for (i,) in rows:
        con.execute("UPDATE alerts SET id = ? WHERE id = ?", (i + 1, i))
    con.execute("INSERT INTO alerts (id, chunk, t_us, state, kind, epc, space, officer, detail, hash) "
                "VALUES (6, 5, 5500, 'cleared', 'drawer', 'E5', 'office', '', '', x'00')")  # fmt: skip
    con.commit()
    con.close()
    probs = _only(verify(tmp_path), "alerts")
    assert (probs[0].row_id, probs[0].kind) == (6, "inserted")


def test_inserted_row_in_the_middle_with_forged_hash_is_named(tmp_path):
    db = _make(tmp_path)
    con = sqlite3.connect(db)
    (prev,) = con.execute("SELECT hash FROM alerts WHERE id = 5").fetchone()
    for (i,) in con.execute("SELECT id FROM alerts WHERE id >= 6 ORDER BY id DESC").fetchall():
        con.execute("UPDATE alerts SET id = ? WHERE id = ?", (i + 1, i))
    vals = (5500, "cleared", "drawer", "E5", "office", "", "")
    con.execute("INSERT INTO alerts (id, chunk, t_us, state, kind, epc, space, officer, detail, hash) "
                "VALUES (6, 5, ?, ?, ?, ?, ?, ?, ?, ?)", (*vals, link(bytes(prev), "alerts", vals)))  # fmt: skip
    con.commit()
    con.close()
    probs = _only(verify(tmp_path), "alerts")
    assert (probs[0].row_id, probs[0].kind) == (6, "inserted")


def test_hash_is_sha256_of_prev_and_canonical_bytes(tmp_path):
    import hashlib

    db = _make(tmp_path)
    con = sqlite3.connect(db)
    (h1, t, e, ho, fr, how) = con.execute("SELECT hash, t_us, epc, holder, from_holder, how FROM custody WHERE id=1").fetchone()
    assert bytes(h1) == hashlib.sha256(GENESIS + canonical("custody", (t, e, ho, fr, how))).digest()
    assert canonical("custody", (1, "E", "o", "", "badge")) == b'["custody",1,"E","o","","badge"]'


@settings(max_examples=40, deadline=None)
@given(row=st.integers(1, N), value=st.text(min_size=1, max_size=8))
def test_any_single_edit_is_located(tmp_path_factory, row, value):
    path = tmp_path_factory.mktemp("chain")
    db = _make(path)
    con = sqlite3.connect(db)
    (old,) = con.execute("SELECT detail FROM alerts WHERE id = ?", (row,)).fetchone()
    con.execute("UPDATE alerts SET detail = ? WHERE id = ?", (old + value, row))
    con.commit()
    con.close()
    (p,) = _only(verify(path), "alerts")
    assert p.row_id == row
