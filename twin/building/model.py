"""The station floor: levels, spaces, doors, vertical and road links, storage units. Immutable once validated.

A `Floor` is built only by the floor-file loader (`twin.building.floorfile`) after validation; its query methods
are what readers and agents need: which space holds a point, the walls between two points, storage of a space.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Mapping

import numpy as np

from .geometry import (
    Point,
    Polygon,
    ahead,
    point_in_polygon,
    polygon_area,
    polygon_centroid,
    rectangle,
    segments_crossed,
    wall_segments,
)

SPACE_KINDS = ("room", "corridor", "stair", "lift", "outside", "external")
SPACE_PURPOSES = (
    "reception",
    "duty",
    "office",
    "legal",
    "interrogation",
    "meeting",
    "dossier_room",
    "archive",
    "evidence_room",
    "car_park",
    "court",
    "procuratorate",
    "off_site",
    "leader",
    "case_centre",
    "circulation",
    "service",
)
#: Purposes where dossiers are supposed to rest (shelves and cabinets); used for storage-level scoring.
STORAGE_PURPOSES = ("dossier_room", "archive", "evidence_room")
STORAGE_KINDS = ("shelf", "cabinet", "desk", "vehicle")
DOOR_KINDS = ("door", "opening")
LINK_KINDS = ("stair", "lift", "road")


@dataclass(frozen=True)
class Level:
    id: str
    name: str
    elevation_m: float


@dataclass(frozen=True)
class Space:
    """A room, corridor, stairwell, lift shaft, outdoor area or off-site place (external: no geometry)."""

    id: str
    name: str
    kind: str
    purpose: str
    level: str
    polygon: Polygon = ()

    @property
    def has_geometry(self) -> bool:
        return len(self.polygon) >= 3

    @cached_property
    def centroid(self) -> Point:
        return polygon_centroid(self.polygon) if self.has_geometry else (0.0, 0.0)

    @cached_property
    def area_m2(self) -> float:
        return abs(polygon_area(self.polygon)) if self.has_geometry else 0.0

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in metres."""
        if not self.has_geometry:
            return (0.0, 0.0, 0.0, 0.0)
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return (min(xs), min(ys), max(xs), max(ys))

    def contains(self, x: float, y: float) -> bool:
        return self.has_geometry and point_in_polygon(self.polygon, x, y)


@dataclass(frozen=True)
class Door:
    """A door or open passage between two spaces on one level, at a point of both their boundaries."""

    id: str
    a: str
    b: str
    level: str
    position: Point
    width_m: float
    exterior: bool = False
    kind: str = "door"

    def other(self, space: str) -> str:
        return self.b if space == self.a else self.a


@dataclass(frozen=True)
class Link:
    """A stair flight or lift between levels, or a road to an off-site place, crossed in a fixed time."""

    id: str
    kind: str
    a: str
    b: str
    traversal_s: float

    def other(self, space: str) -> str:
        return self.b if space == self.a else self.a


@dataclass(frozen=True)
class StorageUnit:
    """A shelf, cabinet, desk (with drawer) or vehicle that holds dossiers; `metal` units shield RF."""

    id: str
    space: str
    kind: str
    position: Point
    width_m: float
    depth_m: float
    capacity: int
    metal: bool = False
    name: str = ""
    #: Direction the unit's front (drawer, shelf face, car door) faces, degrees counter-clockwise from +x.
    facing_deg: float = 90.0

    #: How far in front of a unit's face a person stands to pick or put a dossier (assumption).
    ACCESS_GAP_M = 0.4

    @property
    def footprint(self) -> Polygon:
        """Corners of the unit's floor footprint: width across the facing direction, depth along it."""
        return rectangle(self.position, self.width_m, self.depth_m, self.facing_deg)

    @property
    def access_point(self) -> Point:
        """Where a person stands to reach the unit: just in front of its face."""
        return ahead(self.position, self.facing_deg, self.depth_m / 2 + self.ACCESS_GAP_M)


@dataclass(frozen=True)
class Floor:
    """A validated station: every id unique, every door on its spaces' boundaries, everything reachable."""

    name: str
    source: str
    schema_version: int
    levels: Mapping[str, Level]
    spaces: Mapping[str, Space]
    doors: Mapping[str, Door]
    links: Mapping[str, Link]
    storage: Mapping[str, StorageUnit]
    entrance: str  # id of the main entrance door
    _walls: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("levels", "spaces", "doors", "links", "storage"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        walls = {}
        for lv in self.levels:
            polys = [s.polygon for s in self.spaces.values() if s.level == lv and s.has_geometry]
            gaps = [(d.position, d.width_m) for d in self.doors.values() if d.level == lv]
            arr = wall_segments(polys, gaps)
            arr.setflags(write=False)
            walls[lv] = arr
        object.__setattr__(self, "_walls", MappingProxyType(walls))

    # -- queries readers and agents need -------------------------------------------------------------------------
    def walls(self, level: str) -> np.ndarray:
        """Wall segments of a level, (W, 4) read-only array of x1, y1, x2, y2 in metres (door openings cut out)."""
        return self._walls[level]

    def walls_crossed(self, level: str, a_xy, b_xy) -> np.ndarray:
        """Number of walls crossed by the straight line from each point of a_xy to each matching point of b_xy.

        a_xy and b_xy broadcast against each other: (2,) vs (N, 2) is one antenna against N tags.
        """
        a = np.asarray(a_xy, dtype=np.float64)
        b = np.asarray(b_xy, dtype=np.float64)
        a, b = np.broadcast_arrays(a.reshape(-1, 2) if a.ndim > 1 else a[None, :], b.reshape(-1, 2))
        return segments_crossed(a, b, self._walls[level])

    def space_at(self, level: str, x: float, y: float) -> str | None:
        """Id of the space that holds the point (rooms before corridors when on a shared wall), or None."""
        hits = [s for s in self.spaces.values() if s.level == level and s.contains(x, y)]
        if not hits:
            return None
        hits.sort(key=lambda s: (s.kind == "corridor", s.area_m2))
        return hits[0].id

    def storage_in(self, space: str) -> tuple[StorageUnit, ...]:
        return tuple(u for u in self.storage.values() if u.space == space)

    def spaces_with_purpose(self, purpose: str) -> tuple[Space, ...]:
        return tuple(s for s in self.spaces.values() if s.purpose == purpose)

    def doors_of(self, space: str) -> tuple[Door, ...]:
        return tuple(d for d in self.doors.values() if space in (d.a, d.b))

    def level_of(self, space: str) -> str:
        return self.spaces[space].level

    @property
    def exterior_doors(self) -> tuple[Door, ...]:
        return tuple(d for d in self.doors.values() if d.exterior)
