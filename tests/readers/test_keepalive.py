"""Reader status stream: keepalives while connected, LLRP events at outage edges, chunk-invariant, seeded."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.keepalive import (KINDS, MODES, ReaderStatus, StatusOutage, draw_modes)
from twin.records import READER_EVENTS_SCHEMA

S = 1_000_000
T0 = 1_772_409_600 * S


def _status(outages, readers=("R-a", "R-b"), keepalive_s=10.0, seed=3):
    return ReaderStatus(list(readers), outages, keepalive_s, np.random.default_rng(seed))


def _rows(st, t0_s, t1_s):
    return st.rows(T0 + int(t0_s * S), T0 + int(t1_s * S)).to_pylist()


def test_keepalives_every_period_and_none_while_the_link_is_down():
    out = [StatusOutage("R-a", 0, T0 + 100 * S, T0 + 200 * S, "power_loss")]
    st = _status(out)
    rows = _rows(st, 0, 300)
    ka = np.array([r["t_us"] for r in rows if r["reader"] == "R-a" and r["kind"] == "KEEPALIVE"])
    assert not np.any((ka >= T0 + 100 * S) & (ka < T0 + 200 * S))
    gaps = np.diff(ka)
    assert set(gaps.tolist()) <= {10 * S, 10 * S * 11}  # every period, and one jump over the outage
    other = [r for r in rows if r["reader"] == "R-b"]
    assert len(other) == 30 and {r["kind"] for r in other} == {"KEEPALIVE"}
    # power loss: no close event, a ConnectionAttemptEvent Success on return
    ev = [(r["t_us"], r["kind"], r["detail"]) for r in rows if r["kind"] != "KEEPALIVE"]
    assert ev == [(T0 + 200 * S, "ConnectionAttemptEvent", "Success")]


def test_close_hung_and_antenna_events():
    out = [StatusOutage("R-a", 0, T0 + 100 * S, T0 + 200 * S, "connection_close"),
           StatusOutage("R-b", 0, T0 + 50 * S, T0 + 80 * S, "hung", exception=True),
           StatusOutage("R-b", 2, T0 + 150 * S, T0 + 170 * S, "antenna")]
    rows = _rows(_status(out), 0, 300)
    ev = [(r["t_us"] - T0, r["reader"], r["antenna"], r["kind"], r["detail"]) for r in rows if r["kind"] != "KEEPALIVE"]
    assert ev == [(50 * S, "R-b", 0, "ReaderExceptionEvent", "ROSpec stopped: RF module not responding"),
                  (100 * S, "R-a", 0, "ConnectionCloseEvent", ""),
                  (150 * S, "R-b", 2, "AntennaEvent", "Antenna_Disconnected"),
                  (170 * S, "R-b", 2, "AntennaEvent", "Antenna_Connected"),
                  (200 * S, "R-a", 0, "ConnectionAttemptEvent", "Success")]
    kb = [r for r in rows if r["reader"] == "R-b" and r["kind"] == "KEEPALIVE"]
    assert len(kb) == 30  # a hung reader and one with an antenna off keep their connection
    assert {r["kind"] for r in rows} <= set(KINDS)


def test_rows_follow_the_contract_and_are_sorted_by_time():
    st = _status([StatusOutage("R-a", 0, T0 + 5 * S, T0 + 40 * S, "connection_close")])
    tab = st.rows(T0, T0 + 60 * S)
    assert tab.schema == READER_EVENTS_SCHEMA
    t = tab.column("t_us").to_numpy()
    assert np.all(np.diff(t) >= 0)
    empty = st.rows(T0, T0)
    assert empty.num_rows == 0 and empty.schema == READER_EVENTS_SCHEMA


def test_reader_clock_applies():
    class Clock:
        def to_reader(self, t):
            return t + 7

    st = ReaderStatus(["R-a"], [], 10.0, np.random.default_rng(1), clock=lambda r: Clock())
    plain = ReaderStatus(["R-a"], [], 10.0, np.random.default_rng(1))
    a = st.rows(T0, T0 + 60 * S).column("t_us").to_numpy()
    b = plain.rows(T0, T0 + 60 * S).column("t_us").to_numpy()
    assert np.array_equal(a, b + 7)


def test_modes_are_drawn_from_the_given_stream_only():
    spans = [("R-a", 0, T0 + k * 1000 * S, T0 + (k * 1000 + 60) * S) for k in range(200)] + [("R-b", 1, T0, T0 + S)]
    a = draw_modes(spans, np.random.default_rng(5))
    b = draw_modes(spans, np.random.default_rng(5))
    assert a == b
    share = {m: sum(o.mode == m for o in a) / 200 for m in MODES}
    assert all(0.1 < share[m] < 0.6 for m in MODES)
    assert a[-1].mode == "antenna" and a[-1].port == 1


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3000), st.integers(1, 900), st.sampled_from(MODES)), max_size=5),
       st.integers(1, 600), st.floats(1.0, 30.0))
def test_chunking_does_not_change_the_stream(spans, cut_s, period_s):
    out = [StatusOutage("R-a", 0, T0 + a * S, T0 + (a + d) * S, m) for a, d, m in spans]
    whole = _status(out, keepalive_s=period_s).rows(T0, T0 + 3600 * S)
    st_ = _status(out, keepalive_s=period_s)
    parts = pa.concat_tables([st_.rows(T0, T0 + cut_s * S), st_.rows(T0 + cut_s * S, T0 + 3600 * S)])
    key = lambda t: sorted(zip(*(t.column(c).to_pylist() for c in t.column_names)))  # noqa: E731
    assert key(whole) == key(parts)
    ka = np.array([r["t_us"] for r in whole.to_pylist() if r["reader"] == "R-a" and r["kind"] == "KEEPALIVE"])
    for o in out:
        if o.mode in ("power_loss", "connection_close"):
            assert not np.any((ka >= o.t0_us) & (ka < o.t1_us))
