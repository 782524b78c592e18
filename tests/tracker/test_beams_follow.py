"""Door light barriers, beam_follow_badge: a burst heard on the crossing's origin side only follows a badge through;
a badge itself follows no one (it is the carrier)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from twin.tracker.beam_passages import beam_rows


def _rows(badge):
    """A dossier and a badge resting in the room (space 0) by a door to the corridor (space 1), heard by the room's
    antenna only, loud, quiet at that door for long, while someone crosses from the room to the corridor."""
    n = 2
    crossing = (np.zeros(n, np.int8), np.ones(n, bool), np.ones(n, bool), np.ones(n, bool), np.zeros(n, bool))
    beams = SimpleNamespace(match=lambda *a: crossing, free=np.ones((3, 3), bool), follow=None)
    z = np.zeros(n, np.int64)
    young, _ = beam_rows(beams, np.zeros(n, bool), np.ones(n, bool), np.arange(n), z, z, z + 10, z, z + 1,
                         np.full(n, -50.0), z, 3_000_000, -65.0, True, np.full(n, 10**12), 600_000_000,
                         follow_badge=True, badge=badge)  # fmt: skip
    return young.tolist(), beams.follow.tolist()


def test_a_badge_resting_by_the_door_is_not_taken_through_by_another_ones_crossing():
    assert _rows(np.array([False, True])) == ([True, False], [True, False])
    assert _rows(None) == ([True, True], [True, True])  # without badge flags, every such row may follow
