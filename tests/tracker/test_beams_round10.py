"""Passage rules of round 10 (docs/tracker.md "Figures (round 10)") on synthetic cases with known answers: a dossier
carried into a storage room heard on the corridor side only, just after the door's crossing out of that side, is a
passage with no badge beside it (beam_alone_s, beam_alone_dbm), also when the crossing comes just after the row
(beam_alone_post)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from twin.tracker.beam_passages import _latest_pass, beam_rows

S = 1_000_000
CORR, ROOM = 0, 1


def _beams(c_t_s, c_dest, c_origin):
    """A door (0) between the corridor (space 0) and a storage room (space 1) with the given directed crossings; every
    row's match says: crossed, beams working, toward the room (the higher index) and, with a crossing out of the room,
    also toward the corridor."""
    c_t = (np.asarray(c_t_s, float) * S).astype(np.int64)
    c_dest, c_origin = np.asarray(c_dest, np.int64), np.asarray(c_origin, np.int64)
    both = bool((c_dest < c_origin).any())

    def match(door, start, t, pre_us):
        n = len(door)
        return (np.full(n, 0 if both else 1, np.int8), np.ones(n, bool), np.ones(n, bool), np.ones(n, bool),
                np.full(n, both))  # fmt: skip

    return SimpleNamespace(match=match, free=np.ones((2, 2), bool), follow=None, c_door=np.zeros(len(c_t), np.int64),
                           c_t=c_t, c_dest=c_dest, c_origin=c_origin)  # fmt: skip


def _rows(beams, t_s, rssi, alone_s, alone_dbm=-60.0, post_s=0.0, alone_post=False):
    """One dossier row per t_s, heard on the corridor side only, placed in the corridor, quiet at the door for long."""
    n = len(t_s)
    z = np.zeros(n, np.int64)
    t = (np.asarray(t_s, float) * S).astype(np.int64)
    young, to = beam_rows(beams, np.zeros(n, bool), np.ones(n, bool), np.arange(n), z, t - S, t, z + CORR,
                          z + ROOM, np.asarray(rssi, float), z + CORR, 3 * S, -65.0, True, np.full(n, 10**12),
                          600 * S, follow_badge=True, badge=np.zeros(n, bool), alone_us=int(alone_s * S),
                          alone_dbm=alone_dbm, post_us=int(post_s * S), follow_post=post_s > 0,
                          alone_post=alone_post)  # fmt: skip
    return young.tolist(), beams.follow.tolist(), to.tolist()


def test_a_loud_row_just_after_a_crossing_out_of_its_side_is_a_passage_without_a_badge():
    b = _beams([10.0], [ROOM], [CORR])
    # 0.2 s after the crossing at -50 dBm: a passage into the room; 2 s after: a row that may only follow a badge
    assert _rows(b, [10.2, 12.0], [-50, -50], 1.0) == ([True, True], [False, True], [1, 1])
    assert _rows(b, [10.2], [-62], 1.0) == ([True], [True], [1])  # too faint: follows a badge, as before
    assert _rows(b, [10.2], [-50], 0.0) == ([True], [True], [1])  # off: as before


def test_the_latest_crossing_must_go_out_of_the_rows_side():
    # someone came into the room at 10.0 s and someone left it at 10.1 s: the latest crossing went into the corridor
    b = _beams([10.0, 10.1], [ROOM, CORR], [CORR, ROOM])
    young, follow, to = _rows(b, [10.2], [-50], 1.0)
    assert follow == [True] and to == [0]  # not taken alone; left to a badge, as before


def test_latest_directed_crossing_per_row():
    c_door = np.array([0, 0, 0, 1])
    c_t = np.array([10, 20, 30, 15], np.int64) * S
    c_dest = np.array([1, -1, 0, 3])
    c_origin = np.array([0, -1, 1, 2])
    door = np.array([0, 0, 0, 1, 1])
    t = np.array([5, 10, 25, 40, 14], np.int64) * S
    dest, orig, when = _latest_pass(door, t, c_door, c_t, c_dest, c_origin)
    assert dest.tolist() == [-1, 1, 1, 3, -1]  # the undirected crossing at 20 s is skipped
    assert orig.tolist() == [-1, 0, 0, 2, -1]
    assert (when // S).tolist() == [-1, 10, 10, 15, -1]


def _beams_late(c_t_s):
    """As _beams, but the match sees the crossing into the room only from its time on (a row before it: none)."""
    c_t = int(c_t_s * S)

    def match(door, start, t, pre_us):
        n = len(door)
        seen = np.asarray(t) >= c_t
        return (seen.astype(np.int8), seen.copy(), np.ones(n, bool), seen.copy(), np.zeros(n, bool))

    return SimpleNamespace(match=match, free=np.ones((2, 2), bool), follow=None, c_door=np.zeros(1, np.int64),
                           c_t=np.array([c_t], np.int64), c_dest=np.array([ROOM]), c_origin=np.array([CORR]),
                           shift=None)  # fmt: skip


def test_a_loud_row_just_before_a_crossing_out_of_its_side_is_a_passage_stamped_after_it():
    # the corridor side heard the dossier at 9.6 s, the carrier broke the beams into the room at 10.0 s
    young, follow, to = _rows(_beams_late(10.0), [9.6], [-50], 1.0, post_s=1.0, alone_post=True)
    assert (young, follow, to) == ([True], [False], [1])
    young, follow, to = _rows(_beams_late(10.0), [9.6], [-50], 1.0, post_s=1.0)  # off: follows a badge, as before
    assert (young, follow, to) == ([True], [True], [1])
    young, follow, to = _rows(_beams_late(10.0), [9.6], [-70], 1.0, post_s=1.0, alone_post=True)  # too faint
    assert young == [False]
