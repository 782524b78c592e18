"""Route speed on the default station (opt-in: pytest -m benchmark tests/building/test_floor_route_bench.py)."""

from __future__ import annotations

import pytest
from floortools import STATION

from twin.building.floorfile import load_floor
from twin.building.graph import FloorGraph

pytestmark = pytest.mark.benchmark


def _pairs(g):
    places = [g.place_of_storage(u) for u in g.floor.storage] + [g.place_in(s) for s in g.floor.spaces]
    return [(a, b) for a in places[::4] for b in places[::9]]


def test_bench_route_uncached(benchmark):
    g = FloorGraph(load_floor(STATION))
    pairs = _pairs(g)

    def run():
        g._cache.clear()
        for a, b in pairs:
            g.route(a, b, 1.25)

    benchmark(run)
    benchmark.extra_info["routes_per_round"] = len(pairs)


def test_bench_route_cached(benchmark):
    g = FloorGraph(load_floor(STATION))
    pairs = _pairs(g)
    for a, b in pairs:
        g.route(a, b, 1.25)
    benchmark(lambda: [g.route(a, b, 1.25) for a, b in pairs])
    benchmark.extra_info["routes_per_round"] = len(pairs)


def test_bench_load_and_build(benchmark):
    benchmark(lambda: FloorGraph(load_floor(STATION)))
