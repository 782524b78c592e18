"""`ReaderWatch.step` with the tags' last moves as an array (two compiled passes) against the callable form (the numpy
steps)."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.alert_readers import ReaderWatch

CFG = SimpleNamespace(recent_s=3.0, offline_periods=3, offline_min_s=2.0, offline_min_tags=2)
NEVER = np.iinfo(np.int64).min


@settings(max_examples=100, deadline=None)
@given(st.data(), st.integers(1, 4), st.integers(1, 6))
def test_step_with_move_times_matches_callable(data, n_readers, n_tags):
    args = ([f"r{i}" for i in range(n_readers)], [1_000_000] * n_readers, ["s"] * n_readers, CFG, [True] * n_readers)
    a = ReaderWatch(*args)
    t0 = 1_700_000_000_000_000
    for _ in range(data.draw(st.integers(1, 3))):
        n = data.draw(st.integers(0, 30))
        tag = np.sort(np.array(data.draw(st.lists(st.integers(0, n_tags - 1), min_size=n, max_size=n)), np.int32))
        gaps = data.draw(st.lists(st.sampled_from([0, 300_000, 1_000_000]), min_size=n, max_size=n))
        t = t0 + np.cumsum(np.array(gaps, np.int64))
        t0 = int(t[-1]) if n else t0
        t = np.concatenate([np.sort(t[tag == g]) for g in range(n_tags)]) if n else t
        reader = np.array(data.draw(st.lists(st.integers(0, n_readers - 1), min_size=n, max_size=n)), np.int32)
        a.grow(n_tags)
        a.observe(t, tag, reader)
    # per tag its last move: never, long before, or around the reports; some tags beyond the array (never moved)
    k = data.draw(st.integers(0, n_tags))
    since = np.array(data.draw(st.lists(st.sampled_from([NEVER, 0, t0 - 2_000_000, t0 - 500_000, t0, t0 + 1]),
                                        min_size=k, max_size=k)), np.int64)  # fmt: skip
    # readers with a status stream: their last keepalive long enough ago (link down), recent, or none
    ka = data.draw(st.lists(st.sampled_from([-1, t0 - 40_000_000, t0 - 25_000_000, t0]), min_size=n_readers,
                            max_size=n_readers))  # fmt: skip
    a.ka_last[:] = np.array(ka, np.int64)
    b = copy.deepcopy(a)
    now = t0 + data.draw(st.sampled_from([1_000_000, 10_000_000]))
    plain = b.step(now, lambda g, t: g < len(since) and int(since[g]) > t)  # the numpy steps (_step_plain)
    assert a.step(now, since) == plain  # the compiled passes (links_due, silent_down)
    np.testing.assert_array_equal(a.down_since, b.down_since)
    np.testing.assert_array_equal(a.down_by, b.down_by)
    np.testing.assert_array_equal(a.ka_checked, b.ka_checked)
    assert a.why == b.why


def test_silent_reader_with_resting_tags_goes_down_unless_they_moved():
    w = ReaderWatch(["r0"], [1_000_000], ["s"], CFG, [True])
    w.grow(3)
    t0 = 1_700_000_000_000_000
    t = np.array([t0, t0 + 1_000_000, t0, t0 + 1_000_000, t0, t0 + 1_000_000], np.int64)
    w.observe(t, np.array([0, 0, 1, 1, 2, 2], np.int32), np.zeros(6, np.int32))
    moved = copy.deepcopy(w)
    # all three rested: down at the last report + the silence threshold (3 s)
    assert w.step(t0 + 10_000_000, np.full(3, NEVER, np.int64)) == [(t0 + 4_000_000, 0, True, "silent")]
    # two of three carried off after their last report: one still resting is fewer than offline_min_tags
    assert moved.step(t0 + 10_000_000, np.array([NEVER, t0 + 2_000_000, t0 + 2_000_000], np.int64)) == []
