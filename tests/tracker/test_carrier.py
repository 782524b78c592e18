"""The carrier's antenna sequence: a dossier's portal rows borrow the sequence of the badge crossing with it (same
door, burst starts within the window, badge rows no later than the dossier's), and `direction` averages the two."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.carrier import carrier_seq
from twin.tracker.portal import Passages, Walks, direction

S = 1_000_000
T0 = 1_772_409_600 * S


def _rows(spec):
    """spec: (door, start_s, t_s, is_badge, seq) per row -> arrays."""
    d, s, t, b, q = zip(*spec)
    return (np.array(d, np.int32), T0 + (np.array(s) * S).astype(np.int64), T0 + (np.array(t) * S).astype(np.int64),
            np.array(b, bool), np.array(q, float))  # fmt: skip


def test_a_dossier_takes_the_sequence_of_the_badge_crossing_with_it_up_to_its_own_time():
    door, start, t, badge, seq = _rows([
        (0, 10.0, 10.2, True, 0.3),  # badge, burst from 10.0
        (0, 10.0, 11.0, True, 0.9),  # ... later in its burst
        (0, 10.5, 10.6, False, -0.2),  # dossier at 10.6: the badge so far (0.3)
        (0, 10.5, 11.4, False, -0.1),  # dossier at 11.4: the badge's latest (0.9)
        (1, 10.5, 11.4, False, 0.4),  # another door: no badge there
    ])  # fmt: skip
    out = carrier_seq(door, start, t, badge, seq, np.array([2, 3, 4]), 3 * S, 8 * S)
    assert out[:2].tolist() == [0.3, 0.9]
    assert np.isnan(out[2])


def test_the_badge_whose_burst_started_nearest_wins_and_a_far_one_is_none():
    door, start, t, badge, seq = _rows([
        (0, 5.0, 6.0, True, -1.0),  # started 5 s before the dossier's burst: outside a 3 s window
        (0, 9.0, 10.0, True, 0.5),  # 1 s before
        (0, 10.5, 10.9, True, -0.5),  # 0.5 s after: nearest
        (0, 10.0, 11.0, False, 0.0),
        (0, 20.0, 21.0, False, 0.0),  # no badge burst near 20 s
    ])  # fmt: skip
    out = carrier_seq(door, start, t, badge, seq, np.array([3, 4]), 3 * S, 8 * S)
    assert out[0] == -0.5 and np.isnan(out[1])


def test_a_badge_row_with_one_side_unheard_carries_nothing():
    door, start, t, badge, seq = _rows([(0, 10.0, 10.2, True, np.nan), (0, 10.0, 10.5, False, 0.2)])
    assert np.isnan(carrier_seq(door, start, t, badge, seq, np.array([1]), 3 * S, 8 * S)).all()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.floats(0, 30), st.floats(0, 3), st.booleans(),
                          st.floats(-5, 5)), min_size=1, max_size=30))  # fmt: skip
def test_carrier_is_some_earlier_badge_rows_sequence_at_the_same_door(spec):
    door, start, t, badge, seq = _rows([(d, s, s + dt, b, q) for d, s, dt, b, q in spec])
    rows = np.flatnonzero(~badge)
    out = carrier_seq(door, start, t, badge, seq, rows, 3 * S, 8 * S)
    for k, i in enumerate(rows.tolist()):
        if np.isnan(out[k]):
            continue
        cand = badge & (door == door[i]) & (t <= t[i]) & (np.abs(start - start[i]) <= 3 * S) & (seq == out[k])
        assert cand.any()


def test_passages_fill_the_carrier_of_fresh_dossier_rows():
    p = Passages(1, quiet_s=20.0, burst_s=8.0)
    p.carrier_window_us = 3 * S
    p.grow(2)
    # tag 0: badge, tag 1: dossier; both carried from side 1 to side 2 together (rows sorted by tag, time)
    tag = np.array([0, 0, 0, 0, 1, 1, 1], np.int32)
    t = T0 + np.array([0.0, 0.5, 1.5, 2.0, 0.1, 1.2, 2.1]) * S
    side = np.array([1, 1, 2, 2, 1, 2, 2], np.int8)
    young = p.young(tag, t.astype(np.int64), np.zeros(7, np.int32), side, count=np.ones(7, np.uint32),
                    badge=tag == 0)  # fmt: skip
    assert young[4:].tolist() == [False, True, True]
    assert np.isnan(p.carrier[:6]).all()  # badges have none; at 1.2 s the badge had one side heard only
    assert p.carrier[6] == p.seq[3] and p.seq[3] > 0  # at 2.1 s: the badge's sequence at 2.0 s


def test_direction_averages_the_carriers_sequence_with_the_tags_own():
    # a dossier whose own sequence (-0.3 s) says side 1 but whose carrier says side 2 clearly (+1.0 s)
    n = 1
    args = (np.zeros(n, np.int32), np.full(n, T0, np.int64), np.zeros(n, np.int32), np.full(n, T0, np.int64),
            np.zeros(n, np.int32), np.ones(n, np.int32), np.full(n, -1, np.int32), np.zeros(n, bool))
    hops = np.zeros((3, 3), np.int32)

    def run(**kw):
        w = Walks(60.0)
        w.grow(1)
        return direction(*args, w, hops, seq=np.array([-0.3]), **kw)[0][0]

    assert run() == 0
    assert run(carrier=np.array([1.0]), carrier_w=0.0) == 0  # off
    assert run(carrier=np.array([1.0]), carrier_w=1.0) == 1
    assert run(carrier=np.array([np.nan]), carrier_w=1.0) == 0


def test_latest_passage_row_of_a_tag_outweighs_its_earlier_rows():
    from twin.tracker.portal import latest_wins

    tag = np.array([0, 0, 0, 1, 1], np.int32)
    ev = np.array([40.0, 3.0, 5.0, 2.0, 1.0])
    out = latest_wins(tag, ev)
    assert out[0] == 40.0 and out[3] == 2.0  # a tag's first row keeps its evidence
    assert out[1] > out[0] and out[2] > out[0] + out[1]  # each later row beats all earlier ones of its tag
    assert out[4] > out[3]
    assert (out >= ev).all()
