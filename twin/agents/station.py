"""The agents' runtime on one simpy.Environment: officer positions and task queues, and the moves every behaviour is
made of (walk, pick, put, hand over), each told to the ledger at the moment it happens.

Every officer is one SimPy process that works through a queue of tasks during its shift (the actor model), so an
officer is never in two places at once; time only advances by timeouts to the next state change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np
import simpy

from .clock import Calendar


class Station:
    """Shared state of all agents; behaviours are generator functions that use its helpers."""

    def __init__(self, env, pop, ledger, journal, graph, scenario, streams, handhelds=()):
        self.env, self.pop, self.ledger, self.journal, self.graph = env, pop, ledger, journal, graph
        self.scenario = scenario
        self.floor = ledger.floor
        self.pc, self.beh = scenario.population, scenario.behaviour
        self.cal = Calendar.of(scenario.start, self.pc.shift)
        self.streams = streams
        self._rngs: dict[str, np.random.Generator] = {}
        #: handheld reader -> the storage room it is kept for ('' = any room)
        self.handhelds = dict(handhelds) if isinstance(handhelds, Mapping) else {h: "" for h in handhelds}
        self.pos: dict[str, object] = {}
        self.on_site: dict[str, bool] = {}
        self.idle: dict[str, bool] = {}  # at the desk and free to receive a hand-over
        self.queue = {o: simpy.Store(env) for o in pop.officers}
        self.shared = {r: simpy.Store(env) for r in ("duty_officer", "dossier_keeper", "evidence_keeper")}
        self.at_desk: dict[str, set[str]] = {o: set() for o in pop.officers}  # dossier/item epcs resting at a desk
        self.in_car: dict[str, set[str]] = {o: set() for o in pop.officers}
        self.kept: set[str] = set()  # dossiers kept on a desk overnight on purpose (until picked up again)
        self.drawered: set[str] = set()  # dossiers labelled drawer in their present rest on a desk
        self.counts: Counter[str] = Counter()  # opportunities per misbehaviour rate (uses, returns, hand-overs ...)
        fl = self.floor
        ent = fl.doors[fl.entrance]
        outside = [s for s in (ent.a, ent.b) if fl.spaces[s].kind == "outside"]
        self.street = outside[0] if outside else next(s.id for s in fl.spaces.values() if s.kind == "outside")
        self.car_park = next((s.id for s in fl.spaces.values() if s.purpose == "car_park"), self.street)
        #: Where officers are off duty (and at the midday break): the floor's off_site place, else the street.
        self.off_site = next((s.id for s in fl.spaces.values() if s.purpose == "off_site"), None)
        self.court = next((s.id for s in fl.spaces.values() if s.purpose == "court"), None)
        self.procuratorate = next((s.id for s in fl.spaces.values() if s.purpose == "procuratorate"), None)
        self.reception = next(
            (s.id for p in ("reception", "case_centre", "duty") for s in fl.spaces.values() if s.purpose == p), None
        )
        self.interrogation = tuple(s.id for s in fl.spaces.values() if s.purpose == "interrogation")
        self.meeting = tuple(s.id for s in fl.spaces.values() if s.purpose == "meeting")
        #: Places where a forgotten dossier can be put down: rooms and corridors that are not storage rooms.
        self.loose = tuple(
            s.id for s in fl.spaces.values()
            if s.kind in ("room", "corridor") and s.purpose not in ("dossier_room", "archive", "evidence_room")
        )  # fmt: skip
        self._via: dict[tuple, object] = {}

    # -- helpers ---------------------------------------------------------------------------------------------------
    def rng(self, name: str) -> np.random.Generator:
        g = self._rngs.get(name)
        if g is None:
            g = self._rngs[name] = self.streams.generator(name)
        return g

    @property
    def now(self) -> float:
        return self.env.now

    def gateway_of(self, oid: str):
        """Where the officer comes onto the grounds: the car park (drivers) or the main entrance's street side."""
        if self.pop.officers[oid].by_car:
            return self.graph.place_in(self.car_park)
        return self.graph.place_at_door(self.floor.entrance, self.street)

    def home_of(self, oid: str):
        """Where the officer is off duty: the off-site place (reached through the gateway), else the gateway."""
        return self.graph.place_in(self.off_site) if self.off_site else self.gateway_of(oid)

    def commute_s(self, oid: str) -> float:
        """Time from home to the gateway (0 without an off-site place)."""
        if not self.off_site:
            return 0.0
        o = self.pop.officers[oid]
        return self.graph.route(self.home_of(oid), self.gateway_of(oid), o.speed_mps).duration_s

    def desk_place(self, oid: str):
        return self.graph.place_of_storage(self.pop.officers[oid].desk)

    def unit_place(self, unit: str):
        return self.graph.place_of_storage(unit)

    def thing(self, epc: str):
        return self.pop.dossiers.get(epc) or self.pop.items[epc]

    def place_of(self, t):
        """Where a resting dossier/item can be reached."""
        return self.unit_place(t.storage) if t.storage else self.graph.place_in(t.space)

    # -- moves -----------------------------------------------------------------------------------------------------
    def walk(self, oid: str, dest):
        """Generator: walk the officer to `dest`; returns the route (None when already there)."""
        src = self.pos[oid]
        if src == dest:
            return None
        r = self.graph.route(src, dest, self.pop.officers[oid].speed_mps)
        self.ledger.walk(oid, r, self.env.now)
        self.pos[oid] = dest
        self.idle[oid] = False
        yield self.env.timeout(r.duration_s)
        return r

    def walk_via(self, oid: str, via, dest):
        """Generator: walk to `dest` passing `via` (one walk: e.g. in through the main entrance, not the gate)."""
        src = self.pos[oid]
        if src == via or via == dest:
            return (yield from self.walk(oid, dest))
        o = self.pop.officers[oid]
        key = (src, via, dest, o.speed_mps)
        r = self._via.get(key)
        if r is None:
            r = self._via[key] = join_routes(self.graph.route(src, via, o.speed_mps),
                                             self.graph.route(via, dest, o.speed_mps))  # fmt: skip
        self.ledger.walk(oid, r, self.env.now)
        self.pos[oid] = dest
        self.idle[oid] = False
        yield self.env.timeout(r.duration_s)
        return r

    def pick(self, t, oid: str) -> None:
        self.ledger.pick(t.epc, oid, self.env.now)
        for s in self.at_desk.values():
            s.discard(t.epc)
        for s in self.in_car.values():
            s.discard(t.epc)
        self.kept.discard(t.epc)
        self.drawered.discard(t.epc)
        t.holder, t.storage, t.space = oid, "", ""

    def put(self, t, place, storage: str = "") -> None:
        self.ledger.put(t.epc, self.env.now, place, storage)
        t.holder, t.space, t.storage = "", place.space, storage

    def put_at_desk(self, t, oid: str) -> None:
        self.put(t, self.desk_place(oid), self.pop.officers[oid].desk)
        self.at_desk[oid].add(t.epc)

    def hand_over(self, t, giver: str, receiver: str, case: str) -> None:
        """An in-person hand-over: the receiver is in the same room (the ledger refuses otherwise; callers hand over only
        to a receiver at their desk) and takes the file, holding it from now; the caller then has the receiver keep it
        (put it on their own desk, or carry it). Recorded as a business event unless misbehaving: then an
        unrecorded_handover anomaly at this instant, when custody passes."""
        self.ledger.hand_over(t.epc, giver, receiver, self.env.now)
        t.holder = receiver
        self.counts["handover"] += 1
        if self.rng("misbehaviour").random() < self.beh.unrecorded_handover_rate:
            self.journal.anomaly(self.now, "unrecorded_handover", epc=t.epc, space=self.pos[receiver].space,
                                 officer=receiver, detail=f"from {giver}; case {case}")  # fmt: skip
        else:
            self.journal.event(self.now, "handover", case=case, epc=t.epc, officer=receiver, detail=giver)

    def give(self, oid: str, task) -> None:
        """Queue a task (a generator function of the officer id) for one officer or for a role's shared queue."""
        (self.queue.get(oid) or self.shared[oid]).put(task)

    def leader(self) -> str:
        ls = [o.id for o in self.pop.by_role("leader")]
        return ls[int(self.rng("approvals").integers(len(ls)))] if ls else ""

    def serve(self, oid: str, until_s: float, queues, planned=None):
        """Generator: take tasks from the queues (and planned work at its time) until `until_s`."""
        env = self.env
        planned = planned if planned is not None else []
        while env.now < until_s:
            due = planned[0][0] if planned else until_s
            if due <= env.now:
                _, task = planned.pop(0)
                yield from task(oid)
                continue
            gets = [q.get() for q in queues]
            wait = env.timeout(min(due, until_s) - env.now)
            self.idle[oid] = self.pos[oid] == self.desk_place(oid)
            yield env.any_of(gets + [wait])
            self.idle[oid] = False
            got = [g.value for g in gets if g.triggered]
            for g in gets:
                if not g.triggered:
                    g.cancel()
            for task in got:
                yield from task(oid)


def join_routes(a, b):
    """One route made of `a` then `b` (b starts where a ends), times of b shifted by a's duration."""
    from dataclasses import replace

    legs = a.legs + tuple(replace(g, t0_s=g.t0_s + a.duration_s, t1_s=g.t1_s + a.duration_s) for g in b.legs)
    crossings = a.crossings + tuple(replace(c, t_s=c.t_s + a.duration_s) for c in b.crossings)
    return type(a)(a.origin, b.dest, legs, crossings, a.length_m + b.length_m, a.duration_s + b.duration_s)


def duty_shift(st: Station, oid: str):
    """SimPy process of a duty officer: 24 h on duty every `duty_groups` days, registering new cases."""
    from .officers import arrive, leave

    env, cal = st.env, st.cal
    g, n = st.pop.officers[oid].duty_group, st.pc.shift.duty_groups
    p = cal.duty_day(env.now)
    while True:
        if (p + g) % n == 0:
            end = cal.duty_start(p + 1)
            if not st.on_site[oid]:
                t_in = cal.duty_start(p) - st.rng("shifts").uniform(0, 900) - st.commute_s(oid)
                yield env.timeout(max(0.0, t_in - env.now))
                yield from arrive(st, oid)
            yield from st.serve(oid, end, [st.queue[oid], st.shared["duty_officer"]])
            yield from leave(st, oid)
        p += 1
        yield env.timeout(max(0.0, cal.duty_start(p) - 900.0 - st.commute_s(oid) - env.now))


def _handhelds(scenario, floor) -> dict[str, str]:
    """Handheld reader -> the space its antenna is kept in (the placement's), for the sweeps."""
    try:
        from ..readers.placementfile import load_placement

        pl = load_placement(scenario.placement, floor)
    except Exception:  # no readable placement: sweeps walk without a handheld
        return {}
    return {r.id: (r.antennas[0].space if r.antennas else "")
            for r in sorted(pl.readers.values(), key=lambda r: r.id) if r.kind == "handheld"}  # fmt: skip


def start_agents(env, population, ledger, journal, graph, scenario, streams, handheld_readers=None) -> Station:
    """Register every officer and tag in the ledger at t = env.now and start every SimPy process."""
    from . import casework
    from .behaviour import end_of_day_checks
    from .officers import day_shift

    pop = population
    hh = handheld_readers if handheld_readers is not None else _handhelds(scenario, ledger.floor)
    st = Station(env, pop, ledger, journal, graph, scenario, streams, hh)
    t0, cal = env.now, st.cal
    day = cal.day_of(t0)
    at_work = cal.is_workday(day) and cal.at(day, cal.shift_start_s) <= t0 < cal.at(day, cal.shift_end_s) - 1800
    for oid, o in sorted(pop.officers.items()):
        if o.role == "duty_officer":
            here = (cal.duty_day(t0) + o.duty_group) % st.pc.shift.duty_groups == 0
        else:
            here = at_work
        st.on_site[oid] = here
        st.idle[oid] = False
        st.pos[oid] = st.desk_place(oid) if here else st.home_of(oid)
        ledger.add_officer(oid, o.badge_epc, st.pos[oid], t0)
    for t in list(pop.dossiers.values()) + list(pop.items.values()):
        kind = "dossier" if isinstance(t, type(next(iter(pop.dossiers.values())))) else "item"
        place = st.unit_place(t.storage) if t.storage else graph.place_in(t.space)
        ledger.add_tag(t.epc, kind, t0, place, t.storage)
    for case in sorted(pop.cases.values(), key=lambda c: c.no):
        casework.initial_events(st, case)
        if case.plan.stage_at(t0).stage != "archived":
            env.process(casework.case_process(st, case))
    for oid, o in sorted(pop.officers.items()):
        env.process(duty_shift(st, oid) if o.role == "duty_officer" else day_shift(st, oid))
    env.process(casework.arrivals(st))
    env.process(end_of_day_checks(st))
    return st
