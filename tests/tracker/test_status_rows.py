"""The whole-table decoding of reader status rows (TrackerCore.reader_events) against the per-row rule it keeps
(reader_events_py): the same watch queue, clocks, beams, counters and quarantine, bad frames included."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.records import READER_EVENTS_SCHEMA
from twin.tracker.alert_readers import KA
from twin.tracker.core import TrackerCore

from .synth import T0, S
from .test_beams import _crossing, _site

READERS = ["R-d-a", "R-d-b", "R-a", "H-1", "R-ghost", "", None]
KINDS = ["KEEPALIVE", "GPIEvent", "ConnectionAttemptEvent", "ConnectionCloseEvent", "AntennaEvent",
         "ReaderExceptionEvent", "HELLO", None]
DETAILS = ["", "true", "false", "Success", "Failed", "Antenna_Disconnected", "Antenna_Connected", "RF fault", None]


def _table(rows: list[tuple], schema=READER_EVENTS_SCHEMA) -> pa.Table:
    cols = list(zip(*rows)) if rows else [[]] * len(schema)
    return pa.table({f.name: pa.array(c, type=f.type) for f, c in zip(schema, cols)}, schema=schema)


def _state(core: TrackerCore) -> tuple:
    w = core.workspace.alerts.watch
    q = [np.concatenate(c).tolist() for c in zip(*w._status)] if w._status else []
    if q:  # a keepalive's detail is never read (the watch's rules read the details of events only): not decoded
        q[4] = ["" if c == KA else d for c, d in zip(q[1], q[4])]
    b = core.beams
    edges = [np.concatenate(c).tolist() for c in zip(*b._edges)] if b._edges else []
    bw = [np.concatenate(c).tolist() for c in zip(*core.beam_watch._edges)] if core.beam_watch._edges else []
    return (q, dict(w.quarantine), dict(w.status_counts), core.clocks.pending.tolist(), core.clocks._waiting,
            edges, dict(b.quarantine), dict(b.counts), bw)


def _both(frames: list[pa.Table | None]) -> tuple[tuple, tuple]:
    fast, slow = TrackerCore(_site()), TrackerCore(_site())
    for f in frames:
        fast.reader_events(f)
        slow.reader_events_py(f)
    return _state(fast), _state(slow)


def test_a_stream_of_every_kind_is_taken_as_the_per_row_rule_takes_it():
    rows = [(T0 + t * S, r, 0, "KEEPALIVE", "") for t in range(0, 120, 10) for r in ("R-d-a", "R-a")]
    rows += _crossing("R-d-a", 1, 2, 30) + _crossing("R-d-b", 2, 1, 50)
    rows += [(T0 + 40 * S, "R-a", 0, "ReaderExceptionEvent", "RF fault"),
             (T0 + 41 * S, "R-a", 2, "AntennaEvent", "Antenna_Disconnected"),
             (T0 + 42 * S, "R-d-b", 0, "ConnectionCloseEvent", ""),
             (T0 + 43 * S, "R-d-b", 0, "ConnectionAttemptEvent", "Success"),
             (T0 + 44 * S, "R-d-a", 9, "GPIEvent", "true"),  # no light barrier on that port
             (T0 + 45 * S, "R-ghost", 1, "GPIEvent", "maybe")]
    fast, slow = _both([_table(rows)])
    assert fast == slow
    assert fast[2]["GPIEvent"] == 8 and fast[2]["KEEPALIVE"] == 24 and fast[2]["ReaderExceptionEvent"] == 1
    assert fast[1]["gpi_unknown_port"] == 1


def test_bad_frames_missing_columns_nulls_unknown_readers_and_other_types():
    rows = [(None, "R-d-a", 0, "KEEPALIVE", ""), (T0, None, 0, "KEEPALIVE", None), (T0, "R-d-a", None, "GPIEvent",
            "true"), (T0, "R-d-a", 1, None, "true"), (T0, "R-d-a", 1, "GPIEvent", None), (T0, "", 0, "KEEPALIVE", ""),
            (T0, "R-a", None, "AntennaEvent", "Antenna_Connected"), (5, "R-a", 0, "KEEPALIVE", "")]
    large = pa.schema([pa.field(f.name, pa.large_string() if f.type == pa.string() else f.type)
                       for f in READER_EVENTS_SCHEMA])  # fmt: skip
    frames = [_table(rows), _table([]), None, pa.table({"t_us": [T0]}),
              pa.table({"t_us": ["soon"], "reader": ["R-d-a"], "antenna": [0], "kind": ["KEEPALIVE"], "detail": [""]}),
              pa.table({"t_us": [T0], "reader": [3], "antenna": [0], "kind": ["KEEPALIVE"], "detail": [""]}),
              _table(rows[:3], large), _table([(T0, "R-d-a", 0, "KEEPALIVE", "")])]
    fast, slow = _both(frames)
    assert fast == slow
    assert fast[1]["missing_columns"] == 1 and fast[1]["bad_columns"] == 1 and fast[1]["unknown_reader"] >= 3


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 600)), st.sampled_from(READERS),
                          st.one_of(st.none(), st.integers(0, 4)), st.sampled_from(KINDS), st.sampled_from(DETAILS)),
                max_size=40), st.integers(1, 4))
def test_any_rows_in_any_frames_give_what_the_per_row_rule_gives(rows, n_frames):
    rows = [(None if t is None else T0 + t * S, r, a, k, d) for t, r, a, k, d in rows]
    k = max(1, len(rows) // n_frames)
    fast, slow = _both([_table(rows[i:i + k]) for i in range(0, len(rows), k)])
    assert fast == slow


def test_reader_index_of_tag_reports_by_the_interner_equals_the_per_id_lookup():
    from twin.records import READ_DTYPE

    core = TrackerCore(_site())
    names = [b"R-d-a", b"R-a", b"R-ghost", b"", b"H-1", b"R-d-b", b"R-a"]
    col = np.array(names, dtype=READ_DTYPE["reader"])
    fast = core._reader_of(col)  # the field at the interner's width
    slow = core._reader_of(col.astype(f"S{READ_DTYPE['reader'].itemsize + 8}"))  # another width: one by one
    assert fast.tolist() == slow.tolist() == [core._reader_ix.get(n.decode(), -1) for n in names]
    assert core._reader_of(col[:0]).tolist() == []
