"""Door light barriers, beam_batch_place: a one-sided burst counts when the tag's earlier passage in the same batch
took it to the crossing's origin side (or a corridor joined to it), not only when it was there before the batch."""

from __future__ import annotations

import numpy as np

from twin.tracker.beam_passages import _batch_place
from twin.tracker.beams import Beams
from twin.tracker.core import TrackerCore
from twin.tracker.sitemodel import site_model

from .synth import DOSSIER, S, T0, reads
from .test_beams import _crossing, _site, _table


def test_batch_place_takes_the_latest_directed_passage_at_another_door():
    ds = np.array([[0, 1], [0, 2]])  # door 0: corr (0) / room-a (1); door 1: corr / room-b (2)
    tag = np.array([5, 5, 5, 5, 6])
    door = np.array([0, 0, 1, 1, 1])
    young = np.array([True, True, False, False, False])
    to = np.array([-1, -1, 1, 1, 0], np.int8)  # out of room-a at door 0, then a crossing into room-b at door 1
    here = np.array([1, 1, 1, 1, 2])
    # door 0's own rows keep the place before their burst; door 1's rows see the corridor door 0 took it to
    assert _batch_place(tag, door, young, to, ds, here).tolist() == [1, 1, 0, 0, 2]


def test_reach_joins_corridors_through_unwatched_doors():
    s = _site()
    s["spaces"].append({"id": "corr-2", "kind": "corridor", "purpose": "circulation"})
    s["spaces"].append({"id": "corr-3", "kind": "corridor", "purpose": "circulation"})
    s["doors"] += [{"id": "d-c2", "a": "corr", "b": "corr-2"}, {"id": "d-c3", "a": "corr-2", "b": "corr-3"}]
    s["adjacency"] = {**s["adjacency"], "corr": ["room-a", "room-b", "corr-2"], "corr-2": ["corr", "corr-3"],
                      "corr-3": ["corr-2"]}
    m = site_model(s)
    b = Beams(m)
    ix = m.space_index
    assert b.reach[ix("corr"), ix("corr-3")] and not b.free[ix("corr"), ix("corr-3")]
    assert not b.reach[ix("room-a"), ix("corr")]  # a portal-watched door is no open passage


def _one_sided_entry(cfg: dict) -> list[str]:
    """A dossier carried out of room-a (both sides heard, beams say out), then 6 s later into room-b, heard by
    room-b's side only (the corridor side never heard it): all in one batch; returns the spaces estimated."""
    core = TrackerCore(_site(), cfg)
    rows = [(k * 1.0, "R-a", 1, DOSSIER, -50) for k in range(10)]
    core.ingest(reads(rows))
    core.advance(T0 + 30 * S)
    t = 700.0  # quiet at both doors for long
    rows = [(t, "R-d-a", 1, DOSSIER, -45, 5), (t + 0.5, "R-d-a", 1, DOSSIER, -42, 5),
            (t + 1.0, "R-d-a", 2, DOSSIER, -44, 5), (t + 1.5, "R-d-a", 2, DOSSIER, -40, 5),
            (t + 7.0, "R-d-b", 1, DOSSIER, -48, 5), (t + 7.5, "R-d-b", 1, DOSSIER, -45, 5),
            (t + 8.0, "R-d-b", 1, DOSSIER, -47, 5)]  # fmt: skip
    gpi = _crossing("R-d-a", 2, 1, t + 0.8) + _crossing("R-d-b", 1, 2, t + 6.8)
    core.reader_events(_table(gpi))
    core.ingest(reads(rows))
    return core.advance(T0 + int((t + 60) * S)).estimates.column("space").to_pylist()


def test_a_one_sided_entry_after_a_passage_in_the_same_batch_counts():
    assert _one_sided_entry({})[-1] == "room-b"
    # judged by the place before the batch (room-a, not the corridor the crossing came from): no entry
    assert "room-b" not in _one_sided_entry({"beam_batch_place": False})


def test_sealed_space_is_not_opened_for_leaving_by_a_burst_the_beams_took_into_it():
    from twin.tracker.kernels_locate import seal_pass

    # space 1 (a sealed office) behind door 0 from space 0 (the corridor); the tag (0) placed in the office, a row of
    # corridor evidence 30 s after the tag's burst at the office door (heard by both sides)
    tag, t = np.array([0]), np.array([130 * S], np.int64)
    space, ev, strong = np.array([0]), np.array([1.0]), np.array([False])
    accepted, by_prior = np.array([1, -1]), np.array([False])
    sealed = np.array([False, True, False])
    space_doors = np.array([[-1], [0], [-1]])
    p_start, p_sides = np.array([[100 * S]], np.int64), np.array([[3]], np.int8)
    door_spaces = np.array([[0, 1]])
    args = (tag, t, space, ev, strong, accepted, sealed, by_prior, space_doors, p_start, p_sides, 120 * S, True, 0.1)
    assert seal_pass(*args)[0] == 1.0  # the burst opened the office
    for to, want in ((1, 0.1), (-1, 1.0), (0, 1.0)):  # beams: into the office / out of it / none or both ways
        assert seal_pass(*args, False, door_spaces, np.array([[to]], np.int8))[0] == want
    assert seal_pass(*args, False, door_spaces, np.array([[1]], np.int8), 0.02)[0] == 0.02  # shut by the beams
    # ... and a passage earlier in the batch places the tag before its later rows are judged
    tag2, t2 = np.array([0, 0]), np.array([125 * S, 130 * S], np.int64)
    sp2, ev2, st2 = np.array([1, 0]), np.array([5.0, 1.0]), np.array([True, False])
    acc2 = np.array([0, -1])  # in the corridor before the batch: its corridor row is no move
    a2 = (tag2, t2, sp2, ev2, st2, acc2, sealed, by_prior, space_doors, p_start, p_sides, 120 * S, True, 0.1)
    assert seal_pass(*a2)[1] == 1.0
    assert seal_pass(*a2, True, door_spaces, np.array([[1]], np.int8))[1] == 0.1  # now in the office, entered


def _both_ways(cfg: dict) -> list[str]:
    """A dossier heard by d-a's corridor side, then by its room side (its own sequence: into room-a), beside a badge
    heard the other way round (out), with crossings both ways in the burst; returns the dossier's spaces."""
    from .synth import BADGE

    core = TrackerCore(_site(), cfg)
    t = 100.0
    rows = [(t, "R-d-a", 2, DOSSIER, -45, 5), (t + 0.5, "R-d-a", 2, DOSSIER, -42, 5),
            (t + 1.0, "R-d-a", 1, DOSSIER, -44, 5), (t + 2.0, "R-d-a", 1, DOSSIER, -40, 5),
            (t + 3.0, "R-d-a", 1, DOSSIER, -41, 5)]  # fmt: skip
    rows += [(t - 1.0, "R-d-a", 1, BADGE, -40, 5), (t - 0.5, "R-d-a", 1, BADGE, -40, 5)]
    rows += [(t + 2.0 + k * 0.5, "R-d-a", 2, BADGE, -40, 5) for k in range(4)]
    core.reader_events(_table(_crossing("R-d-a", 1, 2, t + 0.2) + _crossing("R-d-a", 2, 1, t + 1.6)))
    core.ingest(reads(sorted(rows)))
    est = core.advance(T0 + int((t + 60) * S)).estimates
    return [s for e, s in zip(est.column("epc").to_pylist(), est.column("space").to_pylist()) if e == DOSSIER]


def test_crossings_both_ways_leave_the_direction_to_the_tags_own_sequence():
    assert _both_ways({})[-1] == "room-a"
    assert _both_ways({"beam_both_own_seq": False})[-1] == "corr"  # the badge's sequence (out) outweighed it


def _new_side_first(cfg: dict) -> tuple[list[str], list[int]]:
    """A dossier in the corridor (placed by a passage out of room-b) heard by d-a's room side only, 0.5 s before
    someone breaks d-a's beams corridor -> room-a: (spaces estimated, their times)."""
    core = TrackerCore(_site(), cfg)
    t0 = 100.0
    out = [(t0, "R-d-b", 1, DOSSIER, -45, 5), (t0 + 0.5, "R-d-b", 1, DOSSIER, -42, 5),
           (t0 + 1.0, "R-d-b", 2, DOSSIER, -44, 5), (t0 + 1.5, "R-d-b", 2, DOSSIER, -40, 5)]  # fmt: skip
    core.reader_events(_table(_crossing("R-d-b", 2, 1, t0 + 0.7)))
    core.ingest(reads(out))
    core.advance(T0 + int((t0 + 30) * S))
    t = t0 + 40.0
    core.reader_events(_table(_crossing("R-d-a", 1, 2, t + 0.35)))
    core.ingest(reads([(t, "R-d-a", 1, DOSSIER, -48, 5)]))
    est = core.advance(T0 + int((t + 30) * S)).estimates
    return est.column("space").to_pylist(), est.column("t_us").to_pylist()


def test_a_new_side_read_just_before_the_crossing_counts_stamped_after_it():
    spaces, times = _new_side_first({})
    assert spaces == ["room-a"] and times[0] >= T0 + int(140.5 * S)  # never before the crossing (140.5 s)
    assert _new_side_first({"beam_post_s": 0})[0] == []

