"""Routes on the default station: connectivity, optimality against networkx, timings and leg invariants."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import pytest
from floortools import STATION, check_route, close, nx_best_time

from twin.building.floorfile import load_floor
from twin.building.graph import FloorGraph, Place


@pytest.fixture(scope="module")
def graph() -> FloorGraph:
    return FloorGraph(load_floor(STATION))


def _places(g: FloorGraph) -> list[Place]:
    fl = g.floor
    out = [g.place_in(s) for s in fl.spaces]
    out += [g.place_of_storage(u) for u in list(fl.storage)[::7]]
    return out


def test_spaces_graph_is_connected_with_one_edge_per_door_and_link(graph):
    fl = graph.floor
    assert nx.is_connected(graph.spaces)
    assert graph.spaces.number_of_edges() == len(fl.doors) + len(fl.links)
    for d in fl.doors.values():
        data = graph.spaces.get_edge_data(d.a, d.b, key=d.id)
        assert data["kind"] == d.kind and data["fixed_s"] == 0.0 and data["length_m"] > 0
    for lk in fl.links.values():
        assert graph.spaces.get_edge_data(lk.a, lk.b, key=lk.id)["fixed_s"] == lk.traversal_s
    assert graph.spaces.nodes["dossier-room"] == {"level": "L2", "kind": "room", "purpose": "dossier_room"}
    assert nx.is_connected(graph.waypoints)


def test_adjacent(graph):
    assert graph.adjacent("corr-2b", "dossier-room") and graph.adjacent("dossier-room", "corr-2b")
    assert graph.adjacent("stair-1", "stair-2") and graph.adjacent("car-park", "court")
    assert not graph.adjacent("office-01", "office-02")
    assert not graph.adjacent("reception", "dossier-room")


def test_every_pair_routes_optimally_with_consistent_legs(graph):
    places = _places(graph)
    for a, b in itertools.product(places[::2], places[1::3]):
        r = graph.route(a, b, graph.nominal_speed_mps)
        check_route(graph, r, graph.nominal_speed_mps)
        best, _ = nx_best_time(graph, a, b)
        assert math.isclose(r.duration_s, best, abs_tol=1e-4), (a, b)


def test_route_follows_the_networkx_shortest_path(graph):
    pairs = [
        (graph.place_in("reception"), graph.place_of_storage("dossier-room/S05")),
        (graph.place_of_storage("office-03/D1"), graph.place_in("court")),
        (graph.place_of_storage("evidence/C01"), graph.place_of_storage("archive/S10")),
        (graph.place_in("interrogation-2"), graph.place_of_storage("legal-2/D2")),
    ]
    for a, b in pairs:
        r = graph.route(a, b, 1.3)
        _, nodes = nx_best_time(graph, a, b)
        doors = [n for n in nodes if n in graph.floor.doors]
        assert [c.via for c in r.crossings if c.via in graph.floor.doors] == doors


def test_durations_scale_with_speed_and_keep_fixed_link_times(graph):
    a, b = graph.place_of_storage("office-03/D1"), graph.place_of_storage("evidence/S02")
    slow, fast = graph.route(a, b, 0.8), graph.route(a, b, 1.6)
    assert [c.via for c in slow.crossings] == [c.via for c in fast.crossings]  # path chosen at nominal speed
    fixed = sum(graph.floor.links[c.via].traversal_s for c in slow.crossings if c.via in graph.floor.links)
    assert fixed > 0  # goes down a level
    assert close(slow.length_m, fast.length_m)
    assert close(slow.duration_s, slow.length_m / 0.8 + fixed)
    assert close(fast.duration_s, fast.length_m / 1.6 + fixed)
    check_route(graph, slow, 0.8)
    check_route(graph, fast, 1.6)


def test_same_space_route_is_one_straight_leg(graph):
    a, b = graph.place_of_storage("dossier-room/S01"), graph.place_of_storage("dossier-room/S24")
    r = graph.route(a, b, 1.0)
    assert len(r.legs) == 1 and not r.crossings
    assert close(r.length_m, math.dist(a.xy, b.xy)) and close(r.duration_s, r.length_m)


def test_trip_to_court_drives_the_road(graph):
    r = graph.route(graph.place_of_storage("office-05/D2"), graph.place_in("court"), 1.3)
    vias = [c.via for c in r.crossings]
    assert vias[-2:] == ["d-side-exit", "road-court"] or vias[-1] == "road-court"
    assert 20 * 60 < r.duration_s < 20 * 60 + 180
    assert r.legs[-1].space == "court" and r.legs[-2].p0 == r.legs[-2].p1


def test_walk_past_doors_on_a_corridor_does_not_cross_them(graph):
    # from one end of the first-floor corridor segment to the other: no door of the offices it passes is crossed
    r = graph.route(Place("corr-2a", (0.5, 7.2)), Place("corr-2a", (13.5, 7.2)), 1.3)
    assert not r.crossings
    r = graph.route(graph.place_in("office-01"), graph.place_in("office-04"), 1.3)
    assert [c.via for c in r.crossings] == ["d-office-01", "d-office-04"]


def test_places_and_errors(graph):
    u = graph.floor.storage["dossier-room/S01"]
    p = graph.place_of_storage(u.id)
    assert p.space == "dossier-room" and graph.floor.spaces["dossier-room"].contains(*p.xy)
    assert graph.place_in("court") == Place("court", (0.0, 0.0))
    assert graph.place_at_door("d-dossier-room", "corr-2b").xy == graph.floor.doors["d-dossier-room"].position
    with pytest.raises(ValueError):
        graph.place_at_door("d-dossier-room", "archive")
    with pytest.raises(KeyError):
        graph.route(Place("nowhere", (0, 0)), p, 1.3)
    with pytest.raises(ValueError):
        graph.route(graph.place_in("reception"), p, 0.0)


def test_routes_are_memoised(graph):
    a, b = graph.place_in("duty"), graph.place_of_storage("archive/S03")
    assert graph.route(a, b, 1.1) is graph.route(a, b, 1.1)
