"""Shared fixtures: the default station floor and graph, and a small scenario on it."""

from __future__ import annotations

import pytest

from twin.building.floorfile import load_floor
from twin.building.graph import FloorGraph
from twin.scenario import SCENARIOS_DIR, load_scenario


@pytest.fixture(scope="session")
def base_scenario():
    return load_scenario(SCENARIOS_DIR / "ci-baseline.toml")


@pytest.fixture(scope="session")
def floor(base_scenario):
    return load_floor(base_scenario.floor)


@pytest.fixture(scope="session")
def graph(floor):
    return FloorGraph(floor)


def small(scn, *, days: float = 1.0, start: str | None = None, population: dict | None = None,
          behaviour: dict | None = None):  # fmt: skip
    """A copy of `scn` with a day's duration from midnight and the given overrides."""
    from datetime import datetime

    upd = {"duration_s": days * 86400.0, "start": datetime.fromisoformat(start or "2026-03-02T00:00:00+08:00")}
    if population:
        upd["population"] = scn.population.model_copy(update=population)
    if behaviour:
        upd["behaviour"] = scn.behaviour.model_copy(update=behaviour)
    return scn.model_copy(update=upd)
