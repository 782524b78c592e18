"""Reader start triggers: periodic S2 inventories read each resting tag once per cycle, in the antenna's dwell slot;
GPI-triggered portals read only while someone is near the door; the trigger geometry in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from twin.readers.engine import ReaderEngine
from twin.readers.placement import Placement, Reader
from twin.readers.segments import TagSegments
from twin.readers.triggers import leg_inside, merge
from twin.rng import Streams

from _floors import ant, epcs, shelf_tags, two_rooms

T0 = 1_700_000_000_000_000
MIN = 60_000_000


def _periodic(period_ms=10_000.0, dwell_ms=200.0) -> Placement:
    r = Reader("R-a", "fixed", 30.0, "S2", dwell_ms, period_ms,
               (ant("R-a", 1, "zone", (4.0, 3.0)), ant("R-a", 2, "shelf", (2.0, 4.5), 90.0, height=1.2)), "periodic")
    return Placement("t", "<t>", 1, "test-two-rooms", {"R-a": r})


def _portal() -> Placement:
    r = Reader("R-d", "fixed", 30.0, "S0", 200.0, 1000.0,
               (ant("R-d", 1, "portal", (7.5, 3.0), 0.0, space="a", door="d-ab"),
                ant("R-d", 2, "portal", (8.5, 3.0), 180.0, space="b", door="d-ab")), "gpi")
    return Placement("t", "<t>", 1, "test-two-rooms", {"R-d": r})


def test_periodic_s2_reads_each_tag_at_most_once_per_cycle_inside_the_dwell_slots():
    tags = shelf_tags(100, T0, T0 + 2 * MIN)
    eng = ReaderEngine(two_rooms(), _periodic(), streams=Streams(3))
    rows = eng.generate(T0, T0 + 2 * MIN, tags)
    assert len(rows) > 100
    period = 10_000_000
    k = (rows["first_us"] - T0) // period  # clock offset (<= 50 ms) is far below the period
    # one read per tag per cycle
    assert len({(e, int(i)) for e, i in zip(rows["epc"].tolist(), k)}) == len(rows) and np.all(rows["count"] == 1)
    # every read falls in the reader's 2 x 200 ms cycle of its period (plus the clock offset)
    within = (rows["first_us"] - T0) % period
    phase = eng.r_phase[0]
    assert np.all((within >= phase - 60_000) & (within <= phase + 400_000 + 60_000))


def test_gpi_portal_silent_without_people_and_reads_a_carried_tag():
    f, pl = two_rooms(), _portal()
    still = TagSegments.static(epcs(20), 0, np.full(20, 7.0), np.linspace(2.0, 4.0, 20), T0, T0 + MIN)
    assert len(ReaderEngine(f, pl, streams=Streams(1)).generate(T0, T0 + MIN, still)) == 0
    t_in, t_out = T0 + 20_000_000, T0 + 28_000_000  # walks 4 -> 12 m through the door at 1 m/s
    walker = TagSegments(np.array([99]), epcs(1, 99), np.array([t_in]), np.array([t_out]), np.array([0]),
                         np.array([4.0]), np.array([3.0]), np.array([12.0]), np.array([3.0]), np.array([-1]))
    rows = ReaderEngine(f, pl, streams=Streams(1)).generate(T0, T0 + MIN, TagSegments.concat([still, walker]))
    assert (rows["epc"] == epcs(1, 99)[0]).any()
    # the sensor (1.5 m around the door) sees the walker over [22.5 s, 25.5 s); the inventory holds 2 s more
    assert rows["first_us"].min() >= T0 + 22_500_000 - 60_000
    assert rows["t_us"].max() <= T0 + 27_500_000 + 60_000


def test_leg_inside_closed_form_and_merge():
    t0, t1 = np.array([0]), np.array([10_000_000])
    a, b = leg_inside(t0, t1, np.array([-5.0]), np.array([0.0]), np.array([5.0]), np.array([0.0]), 0.0, 0.0, 1.0)
    assert (a[0], b[0]) == (4_000_000, 6_000_000)
    a, b = leg_inside(t0, t1, np.array([-5.0]), np.array([2.0]), np.array([5.0]), np.array([2.0]), 0.0, 0.0, 1.0)
    assert b[0] <= a[0]  # passes 2 m away: never inside
    a, b = leg_inside(t0, t1, np.array([0.5]), np.array([0.0]), np.array([0.5]), np.array([0.0]), 0.0, 0.0, 1.0)
    assert (a[0], b[0]) == (0, 10_000_000)  # standing inside
    m = merge(np.array([0, 0, 1]), np.array([0, 5, 1]), np.array([6, 9, 2]))
    assert m[0].tolist() == [[0, 9]] and m[1].tolist() == [[1, 2]]


@pytest.mark.parametrize("seed", [0, 1])
def test_periodic_and_gpi_deterministic(seed):
    f = two_rooms()
    tags = shelf_tags(50, T0, T0 + MIN)
    a = ReaderEngine(f, _periodic(), streams=Streams(seed)).generate(T0, T0 + MIN, tags)
    b = ReaderEngine(f, _periodic(), streams=Streams(seed)).generate(T0, T0 + MIN, tags)
    assert a.tobytes() == b.tobytes()
