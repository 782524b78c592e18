"""Passage rules of round 9 (docs/tracker.md "Figures (round 9)"), each on a synthetic case with a known answer: two
people crossing a door opposite ways at once, a burst split by a visit to another door, a tag just carried along a
door's origin side, and a follow badge matched by time."""

from __future__ import annotations

import numpy as np

from twin.tracker.beams import CROSSED, ONE_BEAM, Beams
from twin.tracker.kernels_portal import crossed_between, seen_side_pass
from twin.tracker.portal import Passages, badge_destinations
from twin.tracker.sitemodel import site_model

from .synth import S, T0
from .test_beams import MS, _push, _site


def _two_people(shared_s: float):
    """Someone leaves room-a (its beam, then the corridor's) while someone else comes in: the corridor beam is broken
    by both bodies at once and reports one interruption; room-a's beam is broken again 0.2 s after it."""
    m = site_model(_site())
    b = Beams(m, pair_s=1.5)
    b.shared_us = int(shared_s * S)
    t = T0 + 10 * S
    rows = [(t, "R-d-a", 2, "GPIEvent", "true"), (t + 170 * MS, "R-d-a", 1, "GPIEvent", "true"),
            (t + 300 * MS, "R-d-a", 2, "GPIEvent", "false"), (t + 370 * MS, "R-d-a", 2, "GPIEvent", "true"),
            (t + 500 * MS, "R-d-a", 1, "GPIEvent", "false"), (t + 680 * MS, "R-d-a", 2, "GPIEvent", "false")]
    _push(b, m, rows)
    b.update(t + 5 * S)
    return m, b


def test_a_lone_break_just_after_the_other_beams_paired_one_is_a_crossing_the_other_way():
    m, b = _two_people(0.5)
    corr, room_a = m.space_index("corr"), m.space_index("room-a")
    assert b.c_kind.tolist() == [CROSSED, CROSSED]
    assert b.c_dest.tolist() == [corr, room_a] and b.c_origin.tolist() == [room_a, corr]
    assert b.c_t[1] == T0 + 10 * S + 370 * MS
    m, b = _two_people(0.0)  # off: the second break is a crossing of unknown direction, as before
    assert b.c_kind.tolist() == [CROSSED, ONE_BEAM] and b.c_dest.tolist() == [corr, -1]
    m, b = _two_people(0.1)  # the lone break came 0.2 s after the corridor's: too late to share it
    assert b.c_kind.tolist() == [CROSSED, ONE_BEAM]


def _bursts(split_s: float) -> list[int]:
    """A tag heard at door 0 (both sides), then at door 1, then at door 0 again, all within quiet_s (20 s)."""
    p = Passages(2, quiet_s=20.0, burst_s=8.0)
    p.split_us = int(split_s * S)
    p.grow(1)
    t = np.array([0, 1, 5, 6, 10, 11], np.int64) * S + T0
    door = np.array([0, 0, 1, 1, 0, 0])
    side = np.array([1, 2, 1, 2, 1, 2])
    rssi = np.full(6, -50, np.int16)
    _, _, start, _ = p.young(np.zeros(6, np.int64), t, door, side, rssi, detail=True, count=np.ones(6, np.int64))
    return ((start - T0) // S).tolist()


def test_a_visit_to_another_door_splits_the_burst_at_the_first():
    assert _bursts(2.0) == [0, 0, 5, 5, 10, 10]  # back at door 0 after door 1: a new burst, young again
    assert _bursts(0.0) == [0, 0, 5, 5, 0, 0]  # off: one burst since 0 s, its young span long over
    assert _bursts(10.0) == [0, 0, 5, 5, 0, 0]  # silent at door 0 for 9 s only: not enough


def test_a_tag_just_carried_along_the_origin_side_of_a_door_may_follow():
    corr, room, office = 0, 1, 2
    reach = np.eye(4, dtype=bool)  # no two spaces open to each other but themselves
    # tag 0: a passage row at door 1 heard on the corridor side, crossings both ways there (to 0), then a row at
    # door 0 on the corridor side; tag 1: the same but its door-1 passage was directed (to +1: the beams moved it)
    tag = np.array([0, 0, 1, 1])
    door = np.array([1, 0, 1, 0])
    t = np.array([0, 3, 0, 3], np.int64) * S
    young = np.array([True, False, True, False])
    to = np.array([0, 0, 1, 0], np.int8)
    own = np.array([corr, corr, corr, corr])
    assert seen_side_pass(tag, door, t, young, to, own, reach, 60 * S).tolist() == [False, True, False, False]
    assert not seen_side_pass(tag, door, t, young, to, own, reach, 2 * S)[1]  # too long ago
    own_far = np.array([office, corr, office, corr])
    assert not seen_side_pass(tag, door, t, young, to, own_far, reach, 60 * S)[1]  # heard on another side
    del room


def test_badge_matched_by_time_when_its_burst_began_earlier():
    # a dossier's burst at door 3 began at 100 s, its row at 101 s; the carrier's badge had been by the door since
    # 88 s (burst start) and its passage row at 100.5 s went to space 7
    d = np.array([3])
    by_start = badge_destinations(d, np.array([100 * S]), d, np.array([88 * S]), np.array([7]), 3 * S)
    by_time = badge_destinations(d, np.array([101 * S]), d, np.array([int(100.5 * S)]), np.array([7]), 3 * S)
    assert by_start.tolist() == [-1] and by_time.tolist() == [7]


def test_crossings_since_the_door_last_heard_a_tag_are_counted_per_door():
    # door 0 crossed at 10, 20 and 30 s, door 1 at 15 s; rows ask for (t0, t1) open intervals
    c_door = np.array([0, 0, 0, 1])
    c_t = np.array([10, 20, 30, 15], np.int64) * S
    door = np.array([0, 0, 1, 0])
    t0 = np.array([5, 10, 5, 30], np.int64) * S
    t1 = np.array([35, 30, 35, 20], np.int64) * S
    assert crossed_between(door, t0, t1, c_door, c_t).tolist() == [3, 1, 1, 0]
