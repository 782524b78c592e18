"""A steel cabinet is open to a handheld held right at its face (the keeper opens its doors to scan it): the handheld
reads the cabinet's inside, while every other antenna, even one at the very same spot, still sees it closed."""

from __future__ import annotations

import numpy as np
import pytest

from twin.readers.engine import ReaderEngine
from twin.readers.moving import OPEN_REACH_M, open_to_handheld
from twin.readers.placement import Placement, Reader
from twin.readers.segments import AntennaTrack, TagSegments
from twin.rng import Streams

from _floors import ant, epcs, placement, shelf_tags, two_rooms

T0 = 1_700_000_000_000_000
MIN = 60_000_000
S = 1_000_000
# two_rooms: cabinet a/C1 centred (6, 5), 1.0 m wide, 0.5 m deep, facing +y: its face runs y = 5.25, x 5.5-6.5
FACE_Y = 5.25


def _engine(seed: int = 5) -> ReaderEngine:
    f, base = two_rooms(), placement()
    h = ant("H", 1, "handheld", (0.0, 0.0), 90.0, height=1.0, gain=1.0)
    near = ant("R-near", 1, "shelf", (6.0, FACE_Y + 0.15), 270.0, height=1.0, gain=2.0)  # where the handheld is held
    readers = dict(base.readers)
    readers["H"] = Reader("H", "handheld", 20.0, "S0", 1000.0, 1000.0, (h,))
    readers["R-near"] = Reader("R-near", "fixed", 27.0, "S0", 250.0, 1000.0, (near,))
    return ReaderEngine(f, Placement("open", "<tests>", 1, f.name, readers), streams=Streams(seed))


def _cabinet_tags():
    return TagSegments.concat([shelf_tags(20, T0, T0 + MIN, x=(5.6, 6.4), container=1, start=1000),
                               shelf_tags(20, T0, T0 + MIN, x=(4.6, 5.4), y=4.6, container=-1, start=0)])


def _track(x0, y0, x1, y1):
    return AntennaTrack([b"H"], [1], [T0 + 10 * S], [T0 + 40 * S], [0], [x0], [y0], [x1], [y1], [np.nan])


def test_open_to_handheld_is_the_space_in_front_of_a_metal_cabinets_face():
    eng = _engine()
    c1, s1 = eng.storage_ids.index("a/C1"), eng.storage_ids.index("a/S1")
    pts = np.array([[6.0, FACE_Y + 0.15], [5.55, FACE_Y + 0.01], [6.0, FACE_Y + OPEN_REACH_M + 0.01],
                    [6.6, FACE_Y + 0.15], [6.0, 4.5], [6.0, FACE_Y - 0.01]])
    assert open_to_handheld(eng, pts, np.full(len(pts), c1)).tolist() == [True, True, False, False, False, False]
    assert not open_to_handheld(eng, pts, np.full(len(pts), s1)).any()  # a shelf has nothing to open
    assert not open_to_handheld(eng, pts, np.full(len(pts), -1)).any()  # nor has loose floor space


@pytest.mark.parametrize("leg, least", [((6.0, FACE_Y + 0.15, 6.0, FACE_Y + 0.15), 8),  # held still: one look each
                                        ((5.7, FACE_Y + 0.15, 6.3, FACE_Y + 0.15), 15)])  # passed along: several
def test_handheld_at_the_face_reads_the_inside_other_antennas_do_not(leg, least):
    cab = epcs(20, 1000)
    rows = _engine().generate(T0, T0 + MIN, _cabinet_tags(), antennas_override=_track(*leg))
    inside = np.isin(rows["epc"], cab)
    by_hh = inside & (rows["reader"] == b"H")
    assert len(np.unique(rows["epc"][by_hh])) >= least  # of the 20 (seed 5; the fading of a tag's cell decides)
    assert set(rows["reader"][inside]) == {b"H", b"R-cab"}  # not R-near at the same spot, not R-a
    assert rows["first_us"][by_hh].min() >= T0 + 10 * S - 100_000 and rows["t_us"][by_hh].max() < T0 + 40 * S + 100_000


def test_handheld_a_step_back_sees_the_cabinet_closed():
    rows = _engine().generate(T0, T0 + MIN, _cabinet_tags(), antennas_override=_track(6.0, 4.6, 6.0, 4.6))
    assert (rows["reader"] == b"H").any()  # it reads the shelf nearby
    assert not (np.isin(rows["epc"], epcs(20, 1000)) & (rows["reader"] == b"H")).any()
