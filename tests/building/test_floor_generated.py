"""Property tests on generated floors: the loader accepts them, every pair of places routes, invariants hold."""

from __future__ import annotations

import itertools
import math

import networkx as nx
from floortools import check_route, generated_floor, nx_best_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.building.floorfile import load_floor_text
from twin.building.graph import FloorGraph

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(text=generated_floor(), speed=st.floats(0.5, 2.5))
def test_generated_floors_load_and_route(text, speed):
    floor = load_floor_text(text, "<generated>")
    g = FloorGraph(floor)
    assert nx.is_connected(g.spaces)
    places = [g.place_in(s) for s in floor.spaces] + [g.place_of_storage(u) for u in floor.storage]
    for a, b in itertools.product(places, places[:8]):
        r = g.route(a, b, speed)
        check_route(g, r, speed)
        at_nominal = g.route(a, b, g.nominal_speed_mps)
        best, _ = nx_best_time(g, a, b)
        assert math.isclose(at_nominal.duration_s, best, abs_tol=1e-4)


@SETTINGS
@given(text=generated_floor())
def test_generated_floor_walls_and_point_queries(text):
    floor = load_floor_text(text, "<generated>")
    for s in floor.spaces.values():
        if s.has_geometry:
            assert floor.space_at(s.level, *s.centroid) == s.id
    for u in floor.storage.values():
        assert floor.spaces[u.space].contains(*u.access_point)
    for d in floor.doors.values():
        # a doorway is an opening: walking straight through its centre crosses no wall
        a, b = floor.spaces[d.a], floor.spaces[d.b]
        if a.has_geometry and b.has_geometry:
            n = floor.walls_crossed(d.level, a.centroid, b.centroid)
            assert n.shape == (1,)
