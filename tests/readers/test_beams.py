"""Door light barriers: closed-form interruption times, walks past break nothing, chunking, merging, misses, outages."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.beams import (BEAM_OFFSET_M, BODY_DEPTH_M, GPI_EVENT, DoorBeams, beam_set, interruptions,
                                merge_intervals, with_beams)
from twin.readers.layouts import mini_station_floor
from twin.readers.placement import Antenna, GpiInput, Placement, Reader
from twin.records import READER_EVENTS_SCHEMA

FLOOR = mini_station_floor()  # d-office at (3, 4) on the wall y = 4: office below, corridor above; 1.0 m wide
T0 = 1_800_000_000_000_000
R, O = BODY_DEPTH_M / 2, BEAM_OFFSET_M


def placement() -> Placement:
    ants = (Antenna("R-office", 1, "portal", "L1", (3.0, 3.85), 2.3, 270.0, 55.0, 6.0, "office", door="d-office"),
            Antenna("R-office", 2, "portal", "L1", (3.0, 4.15), 2.3, 90.0, 55.0, 6.0, "corr", door="d-office"))
    gpi = (GpiInput("R-office", 1, "light_barrier", "d-office", "office"),
           GpiInput("R-office", 2, "light_barrier", "d-office", "corr"))
    reader = Reader("R-office", "fixed", 30.0, "S0", 200.0, 1000.0, ants, "gpi", gpi)
    return Placement("t", "<test>", 1, FLOOR.name, {"R-office": reader})


BEAMS = beam_set(FLOOR, placement())


def legs(*pieces):
    """Pieces (t0_s, t1_s, x0, y0, x1, y1) on level L1 as leg columns (µs from T0)."""
    arr = np.array(pieces, np.float64).reshape(-1, 6)
    us = lambda c: T0 + np.rint(arr[:, c] * 1e6).astype(np.int64)  # noqa: E731
    return {"t0_us": us(0), "t1_us": us(1),
            "level": np.zeros(len(arr), np.int64), "x0": arr[:, 2], "y0": arr[:, 3], "x1": arr[:, 4], "y1": arr[:, 5]}


def cut(lg):
    return interruptions(BEAMS, lg["t0_us"], lg["t1_us"], lg["level"], lg["x0"], lg["y0"], lg["x1"], lg["y1"])


def expected(t_door_s: float, v: float) -> dict[int, tuple[int, int]]:
    """Office -> corridor at speed v, on the door line at t_door_s: the office beam (port 1) from (o + r)/v before
    to (r - o)/v after, the corridor beam (port 2) from (o - r)/v to (o + r)/v after."""
    us = lambda s: T0 + int(round(s * 1e6))  # noqa: E731
    return {1: (us(t_door_s - (O + R) / v), us(t_door_s + (R - O) / v)),
            2: (us(t_door_s + (O - R) / v), us(t_door_s + (O + R) / v))}


def by_port(b, on, off):
    return {int(BEAMS.port[i]): (int(a), int(e)) for i, a, e in zip(b, on, off)}


def test_beams_of_the_placement_lie_on_their_sides():
    assert BEAMS.reader == ("R-office", "R-office")
    assert list(BEAMS.port) == [1, 2]
    assert (BEAMS.ny[0], BEAMS.ny[1]) == (-1.0, 1.0)  # office side is y < 4
    assert list(BEAMS.half_w) == [0.5, 0.5]


@pytest.mark.parametrize("v", [0.8, 1.3, 2.0])
def test_straight_crossing_closed_form(v):
    # one straight leg from 2 m inside the office to 2 m into the corridor (it crosses y = 4 mid-leg)
    lg = legs((10.0, 10.0 + 4.0 / v, 3.0, 2.0, 3.0, 6.0))
    got = by_port(*cut(lg))
    exp = expected(10.0 + 2.0 / v, v)
    for port in (1, 2):
        assert abs(got[port][0] - exp[port][0]) <= 1 and abs(got[port][1] - exp[port][1]) <= 1
    assert got[1][0] < got[2][0] < got[1][1] < got[2][1]  # A on, B on, A off, B off


@pytest.mark.parametrize("angle_deg", [90.0, 30.0, 5.0])
def test_legs_meeting_at_the_door_point_pass_square_at_the_leg_speed(angle_deg):
    # the router's legs meet at the door point at any angle; the passage is taken square to the door
    v, a = 1.3, np.radians(angle_deg)
    dx, dy = 3.0 * np.cos(a), 3.0 * np.sin(a)
    lg = legs((0.0, 3.0 / v, 3.0 - dx, 4.0 - dy, 3.0, 4.0), (3.0 / v, 6.0 / v, 3.0, 4.0, 3.0 + dx, 4.0 + dy))
    b, on, off = cut(lg)
    b, on, off, _ = merge_intervals(b, on, off)
    got, exp = by_port(b, on, off), expected(3.0 / v, v)
    for port in (1, 2):
        assert abs(got[port][0] - exp[port][0]) <= 1 and abs(got[port][1] - exp[port][1]) <= 1


def test_turn_at_the_door_along_the_wall_still_clears_the_far_beam_last():
    v = 1.3
    lg = legs((0.0, 2.0 / v, 3.0, 2.0, 3.0, 4.0), (2.0 / v, 4.0 / v, 3.0, 4.0, 1.0, 4.0))  # out, then along the wall
    got = by_port(*merge_intervals(*cut(lg))[:3])
    exp = expected(2.0 / v, v)
    assert {p: tuple(abs(a - b) <= 1 for a, b in zip(got[p], exp[p])) for p in (1, 2)} == {1: (True, True),
                                                                                              2: (True, True)}


@pytest.mark.parametrize("piece", [
    (0.0, 10.0, 0.0, 4.5, 12.0, 4.5),  # along the corridor, 0.5 m off the wall
    (0.0, 10.0, 0.0, 4.0, 12.0, 4.0),  # the router's walk along the wall line, through the door point
    (0.0, 10.0, 0.0, 3.5, 6.0, 3.5),  # along the office wall inside
    (0.0, 10.0, 5.0, 3.0, 5.0, 5.0),  # through the wall beside the door (1.5 m to the side): not the opening
    (0.0, 10.0, 3.0, 5.0, 3.0, 5.0),  # standing in the corridor in front of the door
])
def test_walks_past_break_nothing(piece):
    assert len(cut(legs(piece))[0]) == 0


def test_standing_in_the_doorway_breaks_both_beams_while_there():
    got = by_port(*cut(legs((1.0, 5.0, 3.0, 4.0, 3.0, 4.0))))
    assert got == {1: (T0 + 1_000_000, T0 + 5_000_000), 2: (T0 + 1_000_000, T0 + 5_000_000)}


def test_other_level_breaks_nothing():
    lg = legs((10.0, 13.0, 3.0, 2.0, 3.0, 6.0))
    lg["level"] = np.array([1])
    assert len(cut(lg)[0]) == 0


def rows(beams: DoorBeams, lg, t0_s=0.0, t1_s=60.0):
    return beams.rows(T0 + int(t0_s * 1e6), T0 + int(t1_s * 1e6), lg)


def test_rows_are_gpi_events_in_time_order():
    v = 1.3
    tab = rows(DoorBeams(FLOOR, placement(), np.random.default_rng(0), miss_p=0.0),
               legs((10.0, 10.0 + 4.0 / v, 3.0, 2.0, 3.0, 6.0)))
    assert tab.schema == READER_EVENTS_SCHEMA
    d = tab.to_pydict()
    assert d["kind"] == [GPI_EVENT] * 4 and d["reader"] == ["R-office"] * 4
    assert list(zip(d["antenna"], d["detail"])) == [(1, "true"), (2, "true"), (1, "false"), (2, "false")]
    exp = expected(10.0 + 2.0 / v, v)
    want = sorted([exp[1][0], exp[2][0], exp[1][1], exp[2][1]])
    assert all(abs(a - b) <= 1 for a, b in zip(d["t_us"], want))


@settings(max_examples=25, deadline=None)
@given(st.floats(0.5, 59.5), st.floats(0.6, 2.0), st.booleans())
def test_chunking_does_not_change_the_rows(cut_s, v, back):
    # a crossing split across two chunks at any instant gives the rows of one chunk
    path = [(28.0, 28.0 + 2.0 / v, 3.0, 2.0, 3.0, 4.0), (28.0 + 2.0 / v, 28.0 + 4.0 / v, 3.0, 4.0, 3.0, 6.0)]
    if back:
        path += [(40.0, 40.0 + 4.0 / v, 3.0, 6.0, 3.0, 2.0)]
    whole = rows(DoorBeams(FLOOR, placement(), np.random.default_rng(0), miss_p=0.0), legs(*path))
    split = DoorBeams(FLOOR, placement(), np.random.default_rng(0), miss_p=0.0)
    parts = []
    for a, b in ((0.0, cut_s), (cut_s, 60.0)):
        clipped = [(max(p[0], a), min(p[1], b)) + _at(p, max(p[0], a)) + _at(p, min(p[1], b))
                   for p in path if p[1] > a and p[0] < b]
        parts.append(rows(split, legs(*clipped), a, b))
    got = pa.concat_tables(parts)
    assert got.to_pydict()["detail"] == whole.to_pydict()["detail"]
    assert np.max(np.abs(np.array(got["t_us"]) - np.array(whole["t_us"]))) <= 20  # µs: a piece's rounded times


def _at(p, t):
    f = (t - p[0]) / (p[1] - p[0])
    return (p[2] + (p[4] - p[2]) * f, p[3] + (p[5] - p[3]) * f)


def test_two_bodies_in_one_beam_are_one_interruption():
    v = 1.3
    two = legs((10.0, 10.0 + 4.0 / v, 3.0, 2.0, 3.0, 6.0), (10.1, 10.1 + 4.0 / v, 3.2, 2.0, 3.2, 6.0))
    d = rows(DoorBeams(FLOOR, placement(), np.random.default_rng(0), miss_p=0.0), two).to_pydict()
    assert list(zip(d["antenna"], d["detail"])) == [(1, "true"), (2, "true"), (1, "false"), (2, "false")]


def test_missed_interruptions_send_nothing():
    lg = legs((10.0, 13.0, 3.0, 2.0, 3.0, 6.0))
    assert rows(DoorBeams(FLOOR, placement(), np.random.default_rng(0), miss_p=1.0), lg).num_rows == 0


def test_miss_rate_matches_its_probability():
    crossings = [(10.0 + 5 * k, 13.0 + 5 * k, 3.0, 2.0, 3.0, 6.0) for k in range(2000)]
    beams = DoorBeams(FLOOR, placement(), np.random.default_rng(1), miss_p=0.1)
    n = rows(beams, legs(*crossings), 0.0, 10_100.0).num_rows
    missed = 1.0 - n / (2000 * 4)
    assert 0.08 < missed < 0.12


def test_no_rows_while_the_connection_is_down_and_none_invented_after():
    lg = legs((10.0, 13.0, 3.0, 2.0, 3.0, 6.0), (30.0, 33.0, 3.0, 6.0, 3.0, 2.0))
    down = np.array([[T0 + 11_500_000, T0 + 31_000_000]], np.int64)  # from mid-first crossing to before the second
    beams = DoorBeams(FLOOR, placement(), np.random.default_rng(0), silent=lambda r: down, miss_p=0.0)
    d = rows(beams, lg).to_pydict()
    assert all(not (down[0, 0] <= t < down[0, 1]) for t in d["t_us"])
    assert len(d["t_us"]) == 4 + 2  # the second crossing whole, the first one's onsets only


def test_same_seed_same_rows_other_seed_may_differ():
    crossings = legs(*[(10.0 + 5 * k, 13.0 + 5 * k, 3.0, 2.0, 3.0, 6.0) for k in range(500)])
    a = rows(DoorBeams(FLOOR, placement(), np.random.default_rng(7), miss_p=0.05), crossings, 0.0, 3000.0)
    b = rows(DoorBeams(FLOOR, placement(), np.random.default_rng(7), miss_p=0.05), crossings, 0.0, 3000.0)
    c = rows(DoorBeams(FLOOR, placement(), np.random.default_rng(8), miss_p=0.05), crossings, 0.0, 3000.0)
    assert a.equals(b) and not a.equals(c)


class Shift:
    def __init__(self, us):
        self.us = us

    def to_reader(self, t):
        return np.asarray(t, np.int64) + self.us


def test_with_beams_puts_gpi_rows_on_the_reader_clock_in_status_order():
    status = pa.table({"t_us": [T0 + 5, T0 + 1_000_000], "reader": ["R-a", "R-office"], "antenna": [0, 0],
                       "kind": ["KEEPALIVE", "KEEPALIVE"], "detail": ["", ""]}, schema=READER_EVENTS_SCHEMA)
    gpi = pa.table({"t_us": [T0, T0 + 999_990], "reader": ["R-office", "R-office"], "antenna": [1, 2],
                    "kind": [GPI_EVENT] * 2, "detail": ["true", "true"]}, schema=READER_EVENTS_SCHEMA)
    out = with_beams(status, gpi, lambda r: Shift(10) if r == "R-office" else None).to_pydict()
    assert out["t_us"] == [T0 + 5, T0 + 10, T0 + 1_000_000, T0 + 1_000_000]
    assert out["kind"] == ["KEEPALIVE", GPI_EVENT, GPI_EVENT, "KEEPALIVE"]
    assert with_beams(status, gpi.slice(0, 0), lambda r: None) is status
