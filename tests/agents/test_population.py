from collections import Counter

import pytest

from twin.agents.population import build_population, checked_out_at
from twin.agents.clock import Calendar
from twin.errors import InputError
from twin.rng import Streams

from .conftest import small


@pytest.fixture(scope="module")
def pop(base_scenario, floor, graph):
    scn = small(base_scenario, population={"active_dossiers": 600, "archived_dossiers": 300})
    return scn, build_population(scn, floor, graph, Streams(3).generator("population"))


def test_roles_desks_speeds_badges(pop, floor):
    scn, p = pop
    roles = Counter(o.role for o in p.officers.values())
    assert roles["case_officer"] == scn.population.case_officers
    assert sum(roles.values()) == scn.population.officers
    for o in p.officers.values():
        assert floor.storage[o.desk].kind == "desk"
        assert 1.1 <= o.speed_mps <= 1.5
    want = {"case_officer": "office", "legal_officer": "legal", "leader": "leader", "duty_officer": "duty"}
    for o in p.officers.values():
        if o.role in want:
            assert floor.spaces[o.desk_space].purpose == want[o.role]
    assert len({o.badge_epc for o in p.officers.values()}) == len(p.officers)


def test_capacity_and_counts(pop, floor):
    scn, p = pop
    homes = Counter(d.home for d in p.dossiers.values()) + Counter(i.home for i in p.items.values())
    for u, n in homes.items():
        assert n <= floor.storage[u].capacity
        assert p.fill[u] == n
    active = [d for d in p.dossiers.values() if p.cases[d.case].plan.stage_at(0.0).stage != "archived"]
    assert len(active) >= scn.population.active_dossiers
    arch = [d for d in p.dossiers.values() if d not in active]
    assert all(floor.spaces[floor.storage[d.home].space].purpose == "archive" for d in arch)
    assert all(floor.spaces[floor.storage[i.home].space].purpose == "evidence_room" for i in p.items.values())
    assert len(p.vehicles) <= scn.population.vehicles
    assert all(floor.storage[v].kind == "vehicle" for v in p.vehicles)


def test_initial_places_agree_with_stages(pop):
    scn, p = pop
    cal = Calendar.of(scn.start, scn.population.shift)
    for c in p.cases.values():
        out = checked_out_at(c.plan, 0.0, cal)
        for d in c.volumes:
            assert (d.space == "procuratorate") == out
            assert c.accepted_s <= 0


def test_too_many_dossiers_is_an_input_error(base_scenario, floor, graph):
    scn = small(base_scenario, population={"active_dossiers": 100_000})
    with pytest.raises(InputError, match="population.active_dossiers"):
        build_population(scn, floor, graph, Streams(1).generator("population"))
