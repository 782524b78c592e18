"""A hand-made three-room floor and a straight-line route builder for ledger tests (routes built by hand)."""

from __future__ import annotations

from twin.building.graph import Crossing, Leg, Place, Route
from twin.building.model import Door, Floor, Level, Space, StorageUnit

START_US = 1_772_380_800_000_000  # 2026-03-02T00:00:00+08:00


def rect(x0, y0, x1, y1):
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


#: Rooms in a row: A | C | B, doors at x = 4 and x = 8 (y = 2). Only A-C and C-B are adjacent.
ROOMS = ("A", "C", "B")
DOORS = {("A", "C"): (4.0, 2.0), ("C", "B"): (8.0, 2.0)}


def small_floor() -> Floor:
    lv = {"L0": Level("L0", "ground", 0.0)}
    spaces = {
        "A": Space("A", "Room A", "room", "dossier_room", "L0", rect(0, 0, 4, 4)),
        "C": Space("C", "Corridor", "corridor", "circulation", "L0", rect(4, 0, 8, 4)),
        "B": Space("B", "Room B", "room", "office", "L0", rect(8, 0, 12, 4)),
    }
    doors = {
        "d-ac": Door("d-ac", "A", "C", "L0", (4.0, 2.0), 1.0),
        "d-cb": Door("d-cb", "C", "B", "L0", (8.0, 2.0), 1.0),
    }
    storage = {
        "A/S01": StorageUnit("A/S01", "A", "shelf", (1.0, 1.0), 1.0, 0.4, 100),
        "B/D01": StorageUnit("B/D01", "B", "desk", (10.0, 3.0), 1.2, 0.6, 20),
    }
    return Floor("small", "test", 1, lv, spaces, doors, {}, storage, "d-ac")


def route(origin: Place, dest: Place, speed_mps: float = 1.0) -> Route:
    """Straight legs origin -> doors -> dest through the row of rooms."""
    i, j = ROOMS.index(origin.space), ROOMS.index(dest.space)
    step = 1 if j >= i else -1
    pts = [origin.xy]
    spaces = [origin.space]
    vias = []
    for k in range(i, j, step):
        a, b = ROOMS[k], ROOMS[k + step]
        key = (a, b) if (a, b) in DOORS else (b, a)
        pts.append(DOORS[key])
        spaces.append(b)
        vias.append("d-ac" if key == ("A", "C") else "d-cb")
    pts.append(dest.xy)
    legs, crossings = [], []
    t = 0.0
    length = 0.0
    for k in range(len(pts) - 1):
        p0, p1 = pts[k], pts[k + 1]
        d = ((p1[0] - p0[0]) ** 2 + (p1[1] - p0[1]) ** 2) ** 0.5
        legs.append(Leg(spaces[k], "L0", t, t + d / speed_mps, p0, p1))
        t += d / speed_mps
        length += d
        if k < len(vias):
            crossings.append(Crossing(vias[k], t, spaces[k], spaces[k + 1]))
    return Route(origin, dest, tuple(legs), tuple(crossings), length, t)
