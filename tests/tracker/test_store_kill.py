"""kill -9 mid-run, restart from the store's last checkpoint on the rest of the stream: same end state as one run."""

from __future__ import annotations

import importlib.util
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from twin.tracker import query as q
from twin.tracker.chain import verify
from twin.tracker.store import Store

HERE = Path(__file__).parent
REPO = HERE.parent.parent
SCRIPT = HERE / "store_core.py"
_spec = importlib.util.spec_from_file_location("store_core", SCRIPT)
core = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(core)

N_CHUNKS = 120


def _committed_chunks(path: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COALESCE(MAX(chunk), 0) FROM checkpoints").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def _answers(run_dir: Path) -> dict:
    epcs = sorted({r[1] for i in range(N_CHUNKS) for r in core.stream_chunk(i)})
    t_end = core.T0_US + N_CHUNKS * core.CHUNK_US
    out = {"where": [q.where(run_dir, e) for e in epcs]}
    out["where_mid"] = [q.where(run_dir, e, t_us=core.T0_US + 37 * core.CHUNK_US) for e in epcs]
    out["space"] = {s: q.space(run_dir, s) for s in core.SPACES}
    out["officer"] = {o: q.officer(run_dir, o) for o in core.OFFICERS if o}
    out["alerts"] = q.alerts(run_dir, t_us=t_end)
    out["history"] = q.history(run_dir, epcs[0], core.T0_US, t_end)
    return out


def _table_dump(path: Path) -> dict:
    s = Store(path)
    try:
        return {t: s.rows(t) for t in ("estimates", "custody", "alerts")}
    finally:
        s.close()


def _start_and_kill(db: Path, env: dict, at_least: int, stall_after: int, resume: bool) -> int:
    """Run the core (resuming or not), SIGKILL it once it has committed `at_least` chunks; chunks committed then."""
    cmd = [sys.executable, str(SCRIPT), str(db), str(N_CHUNKS), "--sleep-s", "0.01", "--stall-after", str(stall_after)]
    proc = subprocess.Popen(cmd + (["--resume"] if resume else []), cwd=REPO, env=env)
    deadline = time.monotonic() + 60
    while _committed_chunks(db) < at_least:
        assert proc.poll() is None, "the core finished or died before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    return _committed_chunks(db)


def test_kill_9_then_resume_equals_uninterrupted(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    whole.mkdir(), killed.mkdir()
    ref_state = core.run(str(whole / "store.sqlite"), N_CHUNKS)

    env = dict(os.environ, PYTHONPATH=str(REPO))
    db = killed / "store.sqlite"
    first = _start_and_kill(db, env, 25, stall_after=60, resume=False)
    assert 25 <= first <= 60, "killed mid-run"
    second = _start_and_kill(db, env, first + 15, stall_after=100, resume=True)  # killed again while resumed
    assert first < second <= 100

    r = subprocess.run([sys.executable, str(SCRIPT), str(db), str(N_CHUNKS), "--resume"], cwd=REPO, env=env)
    assert r.returncode == 0
    s = Store(db)
    state = pickle.loads(s.last_checkpoint().state)
    s.close()
    assert state == ref_state
    assert _table_dump(db) == _table_dump(whole / "store.sqlite")
    assert _answers(killed) == _answers(whole)
    assert verify(killed).ok


def test_resume_drops_rows_after_the_last_checkpoint(tmp_path):
    s = Store(tmp_path)
    s.append_chunk(10, [{"t_us": 5, "epc": "A", "space": "x"}], state=b"one", input_offset=3)
    s.append_chunk(20, [{"t_us": 15, "epc": "A", "space": "y"}],
                   custody=[{"t_us": 15, "epc": "A", "holder": "o", "how": "badge"}])  # fmt: skip
    assert s.count("estimates") == 2 and s.count("custody") == 1
    cp = s.resume()
    assert (cp.state, cp.input_offset, cp.t_us) == (b"one", 3, 10)
    assert [r["space"] for r in s.rows("estimates")] == ["x"]
    assert s.count("custody") == 0 and s.heads["custody"][0] == 0
    s.append_chunk(30, custody=[{"t_us": 25, "epc": "A", "holder": "p", "how": "handover"}])
    s.close()
    assert verify(tmp_path).ok


def test_resume_without_checkpoint_starts_empty(tmp_path):
    s = Store(tmp_path)
    s.append_chunk(10, [{"t_us": 5, "epc": "A", "space": "x"}])
    assert s.resume() is None
    assert s.count("estimates") == 0 and s.last_chunk == 0
    s.close()


def test_arrow_and_dict_rows_store_alike(tmp_path):
    import pyarrow as pa

    from twin.records import ESTIMATES_SCHEMA

    rows = [{"t_us": 1, "epc": "E1", "space": "a", "storage": "a/S1", "holder": "", "confidence": 0.5}]
    with Store(tmp_path / "a") as a, Store(tmp_path / "b") as b:
        a.append_chunk(2, pa.Table.from_pylist(rows, schema=ESTIMATES_SCHEMA))
        b.append_chunk(2, rows)
        assert a.rows("estimates") == b.rows("estimates")
        assert a.rows("estimates")[0]["storage"] == "a/S1"


def test_store_settings(tmp_path):
    with Store(tmp_path) as s:
        assert s.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.con.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_missing_store_is_an_input_error(tmp_path):
    from twin.errors import InputError

    with pytest.raises(InputError, match="store.sqlite"):
        verify(tmp_path)


def test_queries_open_the_store_read_only(tmp_path):
    import sqlite3 as sq

    from twin.tracker.store import open_store

    with Store(tmp_path) as s:
        s.append_chunk(10, [{"t_us": 5, "epc": "2C" + "0" * 22, "space": "x"}])
    ro = open_store(tmp_path)
    with pytest.raises(sq.OperationalError):
        ro.append_chunk(20, [{"t_us": 15, "epc": "2C" + "0" * 22, "space": "y"}])
    ro.close()
    assert q.where(tmp_path, "2C" + "0" * 22)["space"] == "x"


def test_foreign_file_is_an_input_error(tmp_path):
    from twin.errors import InputError

    (tmp_path / "store.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(InputError, match="format_version"):
        q.where(tmp_path, "2C" + "0" * 22)
