"""Store wiring: the core writes every advance to DIR/store.sqlite; a resumed core ends where one run ends."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from twin.records import EVENTS_SCHEMA
from twin.tracker import query as q
from twin.tracker.chain import verify
from twin.tracker.core import TrackerCore
from twin.tracker.store import Store
from twin.tracker.workspace import resume_core

from .synth import BADGE, DOSSIER, SITE, T0, S, reads

CHUNK_S = 10


def _stream() -> list[np.ndarray]:
    """The dossier rests in room-a, is carried with the badge through the corridor into room-b and rests there."""
    rows = [(t, "R-a", 1, DOSSIER) for t in range(0, 60, 2)]
    for t0, tag in ((60, DOSSIER), (60.3, BADGE)):
        rows += [(t0, "R-d-a", 1, tag), (t0 + 1, "R-d-a", 2, tag), (t0 + 1.5, "R-d-a", 2, tag)]
        rows += [(t0 + 6, "R-d-b", 2, tag), (t0 + 7, "R-d-b", 1, tag), (t0 + 7.5, "R-d-b", 1, tag)]
    rows += [(t, "R-b", 1, tag) for t in range(70, 200, 2) for tag in (DOSSIER, BADGE)]
    arr = reads(sorted(rows))
    return [arr[(arr["t_us"] >= T0 + k * S) & (arr["t_us"] < T0 + (k + CHUNK_S) * S)] for k in range(0, 200, CHUNK_S)]


EVENTS = pa.Table.from_pylist([{"t_us": T0, "kind": "register", "case": "C1", "epc": DOSSIER, "officer": "co-1",
                                "stage": "accepted", "deadline_us": T0 + 150 * S, "detail": ""},
                               {"t_us": T0, "kind": "stage", "case": "C1", "epc": "", "officer": "co-1",
                                "stage": "accepted", "deadline_us": T0 + 150 * S, "detail": ""}],
                              schema=EVENTS_SCHEMA)  # fmt: skip


def _run(core, chunks, first: int = 0):
    out = []
    for k, ch in enumerate(chunks[first:], start=first):
        core.ingest(ch)
        core.apply(EVENTS if k == 0 else EVENTS.slice(0, 0))
        out.append(core.advance(T0 + (k + 1) * CHUNK_S * S))
    return out


def _dump(path) -> dict:
    with Store(path, readonly=True) as st:
        return {t: [{k: v for k, v in r.items() if k != "id"} for r in st.rows(t)]
                for t in ("estimates", "custody", "alerts", "lifecycle", "events")}  # fmt: skip


def test_core_writes_store_and_queries_work(tmp_path):
    core = TrackerCore(SITE, {"workspace": str(tmp_path), "checkpoint_every": 3})
    outs = _run(core, _stream())
    assert sum(o.estimates.num_rows for o in outs) > 0
    raised = pa.concat_tables([o.alerts for o in outs]).to_pylist()
    assert [r["kind"] for r in raised] == ["overdue_warning", "overdue"]
    core.workspace.store.close()
    assert verify(tmp_path).ok
    where = q.where(tmp_path, DOSSIER)
    assert where["space"] == "room-b"
    assert [r["state"] for r in _dump(tmp_path)["alerts"]] == ["raised", "raised"]
    assert q.history(tmp_path, DOSSIER)


def test_resume_after_a_crash_equals_one_run(tmp_path):
    chunks = _stream()
    one = tmp_path / "one"
    c1 = TrackerCore(SITE, {"workspace": str(one), "checkpoint_every": 4})
    _run(c1, chunks)
    c1.workspace.store.close()
    two = tmp_path / "two"
    c2 = TrackerCore(SITE, {"workspace": str(two), "checkpoint_every": 4})
    _run(c2, chunks[:11])  # "killed" after chunk 11: chunks 9-11 were written after the last checkpoint (8)
    c2.workspace.store.close()
    del c2
    c3, offset = resume_core(two, SITE)
    assert offset == 8
    _run(c3, chunks, first=offset)
    c3.workspace.store.close()
    assert _dump(two) == _dump(one)
