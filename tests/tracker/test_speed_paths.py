"""Short cuts taken for throughput keep the plain rules' results: locatable rows in one compiled pass, badge arrivals
dropped as a prefix while in time order, reader clocks skipping advances without keepalives."""

from __future__ import annotations

import pickle

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.calib import ReaderClocks
from twin.tracker.custody import ARRIVALS_KEEP_S, Custody
from twin.tracker.kernels_ingest import locatable_rows

S = 1_000_000


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7)), max_size=40), st.lists(st.booleans(), min_size=6,
       max_size=6), st.lists(st.integers(-1, 3), min_size=8, max_size=8))  # fmt: skip
def test_locatable_rows_match_the_array_form(rows, carried, kind):
    ant = np.array([a for a, _ in rows], np.int32)
    tag = np.array([g for _, g in rows], np.int32)
    carried_ant, kinds = np.array(carried, bool), np.array(kind, np.int8)
    keep = ~carried_ant[ant] & (kinds[tag] != 3)
    drop, got = locatable_rows(ant, tag, carried_ant, kinds, 3)
    assert drop == int((~keep).sum())
    assert got.tolist() == keep.tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 7200), max_size=30), st.integers(0, 10_000))
def test_arrivals_dropped_as_a_prefix_are_the_filtered_list(times_s, now_s):
    """Whether appended in time order or not, a flush keeps exactly the arrivals of the last ARRIVALS_KEEP_S."""
    c = Custody()
    for t in times_s:  # as update appends them
        if c.arrivals and t * S < c.arrivals[-1][0]:
            c._arrivals_sorted = False
        c.arrivals.append((t * S, "officer", "room"))
    old = now_s * S - int(ARRIVALS_KEEP_S * 1e6)
    want = [a for a in c.arrivals if a[0] >= old]
    c._flush(now_s * S)
    assert c.arrivals == want
    assert c._arrivals_sorted == all(a[0] <= b[0] for a, b in zip(want, want[1:]))


def test_reader_clocks_skip_advances_without_keepalives_and_keep_the_drift_flag():
    c = ReaderClocks(2)
    t0 = 1_700_000_000 * S
    for k in range(4 * 360):  # 4 h of keepalives every 10 s, reader 0 running 20 ppm fast
        t = t0 + k * 10 * S
        c.observe(np.array([0, 1]), np.array([t + int(20e-6 * (t - t0)), t]))
        c.arrive(t + S)
    assert c.drifting and abs(c.ppm[0] - 20.0) < 1.0 and c.ppm[1] == 0.0
    sums = c.sums.copy()
    c.arrive(t0 + 5 * 3600 * S)  # nothing handed in since: nothing changes
    assert np.array_equal(c.sums, sums)
    back = pickle.loads(pickle.dumps(c))
    assert back.drifting
    t = np.array([t0 + 3600 * S], np.int64)
    assert back.correct(np.array([0]), t)[0] < t[0]
