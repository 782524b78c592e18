"""Small floors built in code: the canned layouts the calibration report measures, and test floors.

They are built straight from the model classes (no floor file) so that calibration does not depend on the default
station and a planner can read the exact geometry each figure was measured on.
"""

from __future__ import annotations

from twin.building.model import Door, Floor, Level, Link, Space, StorageUnit


def rect(x0: float, y0: float, x1: float, y1: float) -> tuple[tuple[float, float], ...]:
    """Counter-clockwise rectangle polygon."""
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))



def _one_level(name: str, func: str, spaces: dict, doors: dict, storage: dict, entrance: str) -> Floor:
    """A one-level canned floor named after the function that builds it."""
    return Floor(name=name, source=f"<twin.readers.layouts.{func}>", schema_version=1,
                 levels={"L1": Level("L1", "Ground", 0.0)}, spaces=spaces, doors=doors, links={}, storage=storage,
                 entrance=entrance)

def open_hall_floor(length_m: float = 20.0, width_m: float = 12.0) -> Floor:
    """One empty hall, no inner walls: an antenna at one end and tags along the axis at chosen distances."""
    spaces = {
        "hall": Space("hall", "Hall", "room", "meeting", "L1", rect(0.0, 0.0, length_m, width_m)),
        "yard": Space("yard", "Yard", "outside", "car_park", "L1", rect(0.0, -6.0, length_m, 0.0)),
    }
    doors = {"d-hall-yard": Door("d-hall-yard", "hall", "yard", "L1", (1.0, 0.0), 2.0, exterior=True)}
    return Floor(
        name="calibration-hall",
        source="<twin.readers.layouts.open_hall_floor>",
        schema_version=1,
        levels={"L1": Level("L1", "Ground", 0.0)},
        spaces=spaces,
        doors=doors,
        links={},
        storage={},
        entrance="d-hall-yard",
    )


def two_rooms_floor() -> Floor:
    """Two 6 x 5 m rooms side by side joined by a 1.2 m door in their shared wall, plus a yard.

    The portal layout: a portal on `d-a-b`, tags carried through the door and tags resting on desks in both rooms.
    """
    spaces = {
        "room-a": Space("room-a", "Room A", "room", "office", "L1", rect(0.0, 0.0, 6.0, 5.0)),
        "room-b": Space("room-b", "Room B", "room", "office", "L1", rect(6.0, 0.0, 12.0, 5.0)),
        "yard": Space("yard", "Yard", "outside", "car_park", "L1", rect(0.0, -6.0, 12.0, 0.0)),
    }
    doors = {
        "d-a-b": Door("d-a-b", "room-a", "room-b", "L1", (6.0, 2.5), 1.2),
        "d-a-yard": Door("d-a-yard", "room-a", "yard", "L1", (2.0, 0.0), 1.2, exterior=True),
    }
    storage = {
        "room-a/D1": StorageUnit("room-a/D1", "room-a", "desk", (3.0, 2.5), 1.4, 0.7, 20),
        "room-a/D2": StorageUnit("room-a/D2", "room-a", "desk", (4.5, 4.0), 1.4, 0.7, 20),
        "room-b/D1": StorageUnit("room-b/D1", "room-b", "desk", (9.0, 2.5), 1.4, 0.7, 20),
        "room-b/D2": StorageUnit("room-b/D2", "room-b", "desk", (7.5, 4.0), 1.4, 0.7, 20),
    }
    return _one_level("calibration-two-rooms", "two_rooms_floor", spaces, doors, storage, "d-a-yard")


def mini_station_floor() -> Floor:
    """A two-level miniature station used by the placement and site tests.

    Level L1: an office, a dossier room (a wooden shelf and a metal cabinet), a corridor, a stairwell, the yard
    outside (exterior door) ; level L2: a corridor, an archive and a stairwell; the court off site by road.
    """
    L1, L2 = "L1", "L2"
    spaces = {
        "office": Space("office", "Office", "room", "office", L1, rect(0.0, 0.0, 6.0, 4.0)),
        "dossiers": Space("dossiers", "Dossier room", "room", "dossier_room", L1, rect(6.0, 0.0, 12.0, 4.0)),
        "corr": Space("corr", "Corridor", "corridor", "circulation", L1, rect(0.0, 4.0, 12.0, 6.0)),
        "stair1": Space("stair1", "Stair L1", "stair", "circulation", L1, rect(12.0, 4.0, 14.0, 6.0)),
        "yard": Space("yard", "Yard", "outside", "car_park", L1, rect(0.0, 6.0, 14.0, 10.0)),
        "court": Space("court", "Court", "external", "court", L1),
        "corr2": Space("corr2", "Corridor L2", "corridor", "circulation", L2, rect(0.0, 4.0, 12.0, 6.0)),
        "archive": Space("archive", "Archive", "room", "archive", L2, rect(0.0, 0.0, 6.0, 4.0)),
        "stair2": Space("stair2", "Stair L2", "stair", "circulation", L2, rect(12.0, 4.0, 14.0, 6.0)),
    }
    doors = {
        "d-office": Door("d-office", "office", "corr", L1, (3.0, 4.0), 1.0),
        "d-dossiers": Door("d-dossiers", "dossiers", "corr", L1, (9.0, 4.0), 1.2),
        "d-stair1": Door("d-stair1", "corr", "stair1", L1, (12.0, 5.0), 1.2, kind="opening"),
        "d-main": Door("d-main", "corr", "yard", L1, (2.0, 6.0), 2.0, exterior=True),
        "d-archive": Door("d-archive", "archive", "corr2", L2, (3.0, 4.0), 1.2),
        "d-stair2": Door("d-stair2", "corr2", "stair2", L2, (12.0, 5.0), 1.2, kind="opening"),
    }
    links = {
        "k-stair": Link("k-stair", "stair", "stair1", "stair2", 20.0),
        "k-court": Link("k-court", "road", "yard", "court", 1200.0),
    }
    storage = {
        "office/D1": StorageUnit("office/D1", "office", "desk", (1.5, 1.0), 1.4, 0.7, 20),
        "office/D2": StorageUnit("office/D2", "office", "desk", (4.5, 1.0), 1.4, 0.7, 20),
        "dossiers/S01": StorageUnit("dossiers/S01", "dossiers", "shelf", (7.5, 0.4), 2.0, 0.5, 80),
        "dossiers/C01": StorageUnit("dossiers/C01", "dossiers", "cabinet", (11.0, 0.4), 1.0, 0.5, 40, metal=True),
        "archive/S01": StorageUnit("archive/S01", "archive", "shelf", (1.5, 0.4), 2.0, 0.5, 100),
        "yard/V1": StorageUnit("yard/V1", "yard", "vehicle", (10.0, 8.0), 4.5, 1.8, 10, metal=True),
    }
    return Floor(
        name="mini-station",
        source="<twin.readers.layouts.mini_station_floor>",
        schema_version=1,
        levels={L1: Level(L1, "Ground", 0.0), L2: Level(L2, "First", 3.5)},
        spaces=spaces,
        doors=doors,
        links=links,
        storage=storage,
        entrance="d-main",
    )


def corridor_rooms_floor() -> Floor:
    """Two 5 x 5 m rooms side by side on a 2.4 m corridor, their doors 3 m apart (adjacent doorways).

    The portal layout: a portal watches `d-a`; room B next door has a desk and its own door `d-b`.
    """
    spaces = {
        "room-a": Space("room-a", "Room A", "room", "office", "L1", rect(0.0, 0.0, 5.0, 5.0)),
        "room-b": Space("room-b", "Room B", "room", "office", "L1", rect(5.0, 0.0, 10.0, 5.0)),
        "corr": Space("corr", "Corridor", "corridor", "circulation", "L1", rect(0.0, 5.0, 10.0, 7.4)),
        "yard": Space("yard", "Yard", "outside", "car_park", "L1", rect(0.0, 7.4, 10.0, 12.0)),
    }
    doors = {
        "d-a": Door("d-a", "room-a", "corr", "L1", (3.5, 5.0), 1.0),
        "d-b": Door("d-b", "room-b", "corr", "L1", (6.5, 5.0), 1.0),
        "d-out": Door("d-out", "corr", "yard", "L1", (9.0, 7.4), 1.5, exterior=True),
    }
    storage = {
        "room-a/D1": StorageUnit("room-a/D1", "room-a", "desk", (2.0, 2.0), 1.4, 0.7, 20),
        "room-b/D1": StorageUnit("room-b/D1", "room-b", "desk", (7.5, 3.0), 1.4, 0.7, 20),
    }
    return _one_level("calibration-corridor-rooms", "corridor_rooms_floor", spaces, doors, storage, "d-out")


def storage_room_floor() -> Floor:
    """One 6 x 5 m storage room with a 2 m wooden shelf on its back wall and a metal cabinet, off a yard."""
    spaces = {
        "store": Space("store", "Store", "room", "dossier_room", "L1", rect(0.0, 0.0, 6.0, 5.0)),
        "yard": Space("yard", "Yard", "outside", "car_park", "L1", rect(0.0, 5.0, 6.0, 9.0)),
    }
    doors = {"d-store": Door("d-store", "store", "yard", "L1", (3.0, 5.0), 1.2, exterior=True)}
    storage = {
        "store/S01": StorageUnit("store/S01", "store", "shelf", (2.0, 0.3), 2.0, 0.4, 300),
        "store/C01": StorageUnit("store/C01", "store", "cabinet", (5.0, 0.3), 1.0, 0.5, 60, metal=True),
    }
    return _one_level("calibration-store", "storage_room_floor", spaces, doors, storage, "d-store")
