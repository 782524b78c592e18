"""Test floors and placements built straight from the model classes (no files)."""

from __future__ import annotations

import numpy as np

from twin.building.model import Door, Floor, Level, Space, StorageUnit
from twin.readers.placement import Antenna, Placement, Reader
from twin.readers.segments import TagSegments


def rect(x0, y0, x1, y1):
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def two_rooms(metal: bool = True) -> Floor:
    """Room A (0-8 x 0-6) and room B (8-16 x 0-6) with a door at (8, 3), one level; a steel cabinet in A."""
    spaces = {
        "a": Space("a", "A", "room", "archive", "L1", rect(0, 0, 8, 6)),
        "b": Space("b", "B", "room", "office", "L1", rect(8, 0, 16, 6)),
        "out": Space("out", "Out", "outside", "car_park", "L1", rect(0, -5, 16, 0)),
        "up": Space("up", "Up", "room", "office", "L2", rect(0, 0, 8, 6)),
    }
    doors = {
        "d-ab": Door("d-ab", "a", "b", "L1", (8.0, 3.0), 1.2),
        "d-a-out": Door("d-a-out", "a", "out", "L1", (2.0, 0.0), 1.2, exterior=True),
    }
    storage = {
        "a/S1": StorageUnit("a/S1", "a", "shelf", (2.0, 5.0), 3.0, 0.4, 500),
        "a/C1": StorageUnit("a/C1", "a", "cabinet", (6.0, 5.0), 1.0, 0.5, 100, metal=metal),
    }
    return Floor("test-two-rooms", "<tests>", 1, {"L1": Level("L1", "G", 0.0), "L2": Level("L2", "1", 3.5)},
                 spaces, doors, {}, storage, "d-a-out")


def ant(reader, port, kind, xy, az=0.0, *, level="L1", height=2.7, bw=70.0, gain=6.0, space="a", storage="",
        door=""):
    return Antenna(reader, port, kind, level, xy, height, az, bw, gain, space, door=door, storage=storage)


def placement(session="S0", dwell_ms=250.0, period_ms=1000.0, power=30.0) -> Placement:
    readers = {
        "R-a": Reader("R-a", "fixed", power, session, dwell_ms, period_ms,
                      (ant("R-a", 1, "zone", (4.0, 3.0)), ant("R-a", 2, "shelf", (2.0, 4.5), 90.0, height=1.2))),
        "R-cab": Reader("R-cab", "fixed", 27.0, "S0", dwell_ms, period_ms,
                        (ant("R-cab", 1, "shelf", (6.0, 5.0), 90.0, height=1.0, storage="a/C1", gain=2.0),)),
        "R-b": Reader("R-b", "fixed", power, session, dwell_ms, period_ms,
                      (ant("R-b", 1, "zone", (12.0, 3.0), space="b"),)),
    }
    return Placement("test", "<tests>", 1, "test-two-rooms", readers)


def epcs(n: int, start: int = 0) -> np.ndarray:
    return np.array([f"3000{i:020X}".encode() for i in range(start, start + n)], dtype="S24")


def shelf_tags(n: int, t0: int, t1: int, *, x=(0.8, 3.2), y=5.0, container=0, start=0) -> TagSegments:
    xs = np.linspace(x[0], x[1], n)
    return TagSegments.static(epcs(n, start), 0, xs, np.full(n, y), t0, t1, container, tag=np.arange(start, start + n))
