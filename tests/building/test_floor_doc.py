"""The example in docs/floor-format.md is a valid floor (so the documentation cannot rot)."""

from __future__ import annotations

from floortools import DOC, check_route, doc_example

from twin.building.floorfile import load_floor_text
from twin.building.graph import FloorGraph


def test_doc_example_loads_and_routes():
    floor = load_floor_text(doc_example(), "docs/floor-format.md")
    assert floor.name == "tiny-station"
    assert len(floor.levels) == 2 and len(floor.spaces) == 8 and len(floor.storage) == 4
    assert floor.storage["office/D1"].facing_deg == 270.0  # defaulted towards the room's centroid
    g = FloorGraph(floor)
    r = g.route(g.place_in("hall"), g.place_of_storage("office/D1"), 1.3)
    assert [c.via for c in r.crossings] == ["o-hall-corridor", "d-stair-g", "stair", "d-office"]
    check_route(g, r, 1.3)


def test_every_documented_key_is_a_key_the_loader_knows():
    from twin.building.floorfile import FLOOR_FIELDS, TABLE_FIELDS

    text = DOC.read_text(encoding="utf-8")
    for key in FLOOR_FIELDS:
        assert f"`{key}`" in text
    for fields in TABLE_FIELDS.values():
        for key in fields:
            assert f"`{key}`" in text, key
