"""Stand-ins for the agents and the reader engine, to test the world's plumbing on its own.

Random walkers fetch dossiers from shelves to their desk and back; the reader "engine" reads every tag within
REACH_M of an antenna on the same level once per segment. Both use only the public interfaces the world uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.records import READ_DTYPE

REACH_M = 2.5


@dataclass
class FakePopulation:
    officers: list  # (name, badge epc, desk storage id, speed)
    dossiers: list  # (epc, storage id)


def build_population(scenario, floor, graph, rng) -> FakePopulation:
    desks = sorted(u.id for u in floor.storage.values() if u.kind == "desk")
    shelves = sorted(u.id for u in floor.storage.values() if u.kind == "shelf")
    n_off = min(scenario.population.case_officers, len(desks))
    officers = [(f"off{k:03d}", f"B{k:023X}", desks[k], float(rng.uniform(1.1, 1.5))) for k in range(n_off)]
    n_dos = scenario.population.active_dossiers
    dossiers = [(f"D{k:023X}", shelves[int(rng.integers(len(shelves)))]) for k in range(n_dos)]
    return FakePopulation(officers, dossiers)


def start_agents(env, pop, ledger, journal, graph, scenario, streams) -> None:
    rng = streams.generator("walkers")
    on_shelf: dict[str, list[str]] = {}
    for epc, sid in pop.dossiers:
        ledger.add_tag(epc, "dossier", 0.0, graph.place_of_storage(sid), storage=sid)
        on_shelf.setdefault(sid, []).append(epc)
    shelves = sorted(on_shelf)
    for name, badge, desk, speed in pop.officers:
        home = graph.place_of_storage(desk)
        ledger.add_officer(name, badge, home, 0.0)
        env.process(_walker(env, name, home, desk, speed, shelves, on_shelf, ledger, journal, graph, rng))


def _walker(env, name, home, desk, speed, shelves, on_shelf, ledger, journal, graph, rng):
    while True:
        yield env.timeout(float(rng.exponential(900.0)))
        sid = shelves[int(rng.integers(len(shelves)))]
        there = graph.place_of_storage(sid)
        r = graph.route(home, there, speed)
        ledger.walk(name, r, env.now)
        yield env.timeout(r.duration_s)
        if not on_shelf[sid]:
            r = graph.route(there, home, speed)
            ledger.walk(name, r, env.now)
            yield env.timeout(r.duration_s)
            continue
        epc = on_shelf[sid].pop()
        ledger.pick(epc, name, env.now)
        journal.event(env.now, "checkout", epc=epc, officer=name)
        r = graph.route(there, home, speed)
        ledger.walk(name, r, env.now)
        yield env.timeout(r.duration_s)
        ledger.put(epc, env.now, home, storage=desk)
        yield env.timeout(float(rng.exponential(1200.0)))
        ledger.pick(epc, name, env.now)
        r = graph.route(home, there, speed)
        ledger.walk(name, r, env.now)
        yield env.timeout(r.duration_s)
        ledger.put(epc, env.now, there, storage=sid)
        on_shelf[sid].append(epc)
        if rng.random() < 0.1:
            journal.anomaly(env.now, "misfiled", epc=epc, space=there.space, officer=name)
        r = graph.route(there, home, speed)
        ledger.walk(name, r, env.now)
        yield env.timeout(r.duration_s)


class FakeEngine:
    """Reads every tag segment whose midpoint is within REACH_M of an antenna on its level (one row each)."""

    def __init__(self, floor, placement, params, streams):
        self.levels = {lv: i for i, lv in enumerate(floor.levels)}
        self.ants = [a for a in placement.antennas if a.kind != "handheld"]
        self.rng = streams.generator("fake")

    def reachable(self, ant, level: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        same = level == self.levels[ant.level]
        return same & (np.hypot(x - ant.position[0], y - ant.position[1]) <= REACH_M)

    def generate(self, t0_us, t1_us, segs, antennas_override=None) -> np.ndarray:
        mx = (segs["x0"] + segs["x1"]) / 2
        my = (segs["y0"] + segs["y1"]) / 2
        out = []
        for a in self.ants:
            hit = np.flatnonzero(self.reachable(a, segs["level"], mx, my) & (self.rng.random(len(segs)) < 0.7))
            if len(hit) == 0:
                continue
            r = np.zeros(len(hit), READ_DTYPE)
            r["first_us"] = segs["t0_us"][hit]
            r["t_us"] = (segs["t0_us"][hit] + segs["t1_us"][hit]) // 2
            r["reader"] = a.reader.encode()
            r["antenna"] = a.port
            r["epc"] = segs["epc"][hit]
            r["rssi_dbm"] = -60
            r["count"] = 1
            out.append(r)
        if not out:
            return np.zeros(0, READ_DTYPE)
        reads = np.concatenate(out)
        return reads[np.argsort(reads["t_us"], kind="stable")]
