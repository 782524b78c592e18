"""The station: spaces, doors, storage, geometry, the walking graph; floor files; plots.

`load_floor` / `validate_floor_file` read floor files (docs/floor-format.md); `twin.building.graph.FloorGraph`
routes people through a floor; `twin.building.plot.plot_floor` draws it.
"""

from .floorfile import load_floor, load_floor_text, validate_floor_file
from .model import Door, Floor, Level, Link, Space, StorageUnit

__all__ = [
    "Door",
    "Floor",
    "Level",
    "Link",
    "Space",
    "StorageUnit",
    "load_floor",
    "load_floor_text",
    "validate_floor_file",
]
