"""Cases on the clock: registration of new cases by the duty officer, stage events, deadline marks, checkouts to the
procuratorate and back, day trips to court hearings, and archiving by a dossier keeper. Replays the plans drawn in
twin.agents.cases.
"""

from __future__ import annotations

from . import epc as epcs
from .cases import OUT_STAGES, arrival_times, draw_kind, plan_case, plan_hearings
from .population import Dossier, Item

RETRY_S = 3600.0
HEARING_LEAD_S = 50 * 60.0  # the case officer sets off this long before a hearing opens (assumption; 20 min by road)


def initial_events(st, case) -> None:
    """The business history of a case that began before the run (true past times, t_s < 0)."""
    j, plan = st.journal, case.plan
    for d in case.volumes:
        j.event(case.accepted_s, "register", case=case.id, epc=d.epc, officer=case.officer,
                detail=f"volume {d.volume} of {len(case.volumes)}; {case.kind}; home {d.home}")  # fmt: skip
    j.event(case.accepted_s, "assign", case=case.id, officer=case.officer)
    for i in case.items:
        j.event(case.accepted_s, "item_register", case=case.id, epc=i.epc, officer=case.officer, detail=f"home {i.home}")
    for s in plan.steps:
        if s.t_s <= 0:
            j.event(s.t_s, "stage", case=case.id, officer=case.officer, stage=s.stage, deadline_s=s.deadline_s)
            if s.stage == "archived":
                for d in case.volumes:
                    j.event(s.t_s, "archive", case=case.id, epc=d.epc, detail=d.home)
    for t, stage, dl in plan.extensions():
        if t <= 0:
            j.event(t, "stage", case=case.id, officer=case.officer, stage=stage, deadline_s=dl,
                    detail="extension approved")  # fmt: skip
    for ph in plan.phases:  # overdue marks already raised and still standing (their phase is open at t = 0)
        if ph.end_s > 0:
            for t, kind, dl in ph.marks():
                if t <= 0:
                    _mark(st, case, t, kind, dl)


def _mark(st, case, t: float, kind: str, deadline_s: float) -> None:
    d = next((v for v in case.volumes if not v.lost), case.volumes[0] if case.volumes else None)
    space = (d.space or (st.pos.get(d.holder).space if d.holder else "")) if d else ""
    st.journal.anomaly(t, kind, epc=d.epc if d else "", space=space, officer=case.officer,
                       detail=f"case {case.id}; deadline_us {st.journal.start_us + round(deadline_s * 1e6)}")  # fmt: skip


def case_process(st, case):
    """Stage events, extensions and overdue marks at their times; physical checkouts / archiving as tasks."""
    plan, env = case.plan, st.env
    acts = [(s.t_s, 0, "stage", s) for s in plan.steps if s.t_s > env.now]
    acts += [(t, 1, "ext", (stage, dl)) for t, stage, dl in plan.extensions() if t > env.now]
    acts += [(t, 2, "mark", (kind, dl)) for t, kind, dl in plan.marks() if t > env.now]
    if st.court is not None:
        hearings = plan_hearings(plan, st.beh, st.cal, st.rng("hearings"))
        acts += [(t - HEARING_LEAD_S, 3, "hearing", t) for t in hearings if t - HEARING_LEAD_S > env.now]
    acts.sort(key=lambda a: (a[0], a[1]))
    horizon = st.scenario.duration_s
    prev = plan.stage_at(env.now)
    for t, _, what, x in acts:
        if t > horizon:
            return
        yield env.timeout(t - env.now)
        if what == "stage":
            st.journal.event(env.now, "stage", case=case.id, officer=case.officer, stage=x.stage, deadline_s=x.deadline_s)
            if x.stage in OUT_STAGES:
                st.give(case.officer, lambda o, c=case: checkout(st, o, c))
            if prev is not None and prev.stage in OUT_STAGES:
                st.give(case.officer, lambda o, c=case: checkin(st, o, c))
            if x.stage == "archived":
                st.give("dossier_keeper", lambda o, c=case: archive(st, o, c))
            prev = x
        elif what == "hearing":
            st.give(case.officer, lambda o, c=case, t=x: hearing(st, o, c, t))
        elif what == "ext":
            st.journal.event(env.now, "stage", case=case.id, officer=case.officer, stage=x[0], deadline_s=x[1],
                             detail=f"extension approved by {st.leader()}")  # fmt: skip
        else:
            _mark(st, case, env.now, x[0], x[1])


def _gather(st, oid: str, vols):
    """Generator: collect the case's volumes (resting anywhere reachable) into the officer's hands."""
    got = [d for d in sorted(vols, key=lambda d: (d.space, d.storage)) if not (d.lost or d.holder or d.busy)]
    for d in got:
        d.busy = True  # reserved before walking, so no other task moves them meanwhile
    for d in got:
        yield from st.walk(oid, st.place_of(d))
        st.pick(d, oid)
    return got


def checkout(st, oid: str, case):
    """The case officer takes the volumes to the procuratorate (checkout approved by a leader) by road."""
    if st.procuratorate is None:
        return
    got = yield from _gather(st, oid, case.volumes)
    leader = st.leader()
    for d in got:
        st.journal.event(st.now, "checkout", case=case.id, epc=d.epc, officer=oid, detail=f"procuratorate; approved by {leader}")
    yield from st.walk(oid, st.graph.place_in(st.procuratorate))
    for d in got:
        st.put(d, st.pos[oid], "")
        d.busy = False
    yield from st.walk(oid, st.desk_place(oid))


def checkin(st, oid: str, case):
    """The case officer fetches the volumes back from the procuratorate and shelves them."""
    out = [d for d in case.volumes if d.space == st.procuratorate and not d.holder and not d.lost and not d.busy]
    if not out:
        return
    for d in out:
        d.busy = True
    yield from st.walk(oid, st.graph.place_in(st.procuratorate))
    for d in out:
        st.pick(d, oid)
    yield from _check_in(st, oid, case, out, "procuratorate")


def hearing(st, oid: str, case, opens_s: float):
    """A day at court: the case officer checks the volumes out (approved by a leader), keeps them in hand through the
    hearing and brings them back to their home shelves (checkin)."""
    vols = [d for d in case.volumes if not d.lost and d.space != st.procuratorate]
    got = yield from _gather(st, oid, vols)
    if not got:
        return
    leader = st.leader()
    for d in got:
        st.journal.event(st.now, "checkout", case=case.id, epc=d.epc, officer=oid, detail=f"court; approved by {leader}")
    yield from st.walk(oid, st.graph.place_in(st.court))
    lo, hi = st.beh.hearing_h
    yield st.env.timeout(max(0.0, opens_s - st.now) + st.rng("hearings").uniform(lo, hi) * 3600.0)
    yield from _check_in(st, oid, case, got, "court")


def _check_in(st, oid: str, case, vols, where: str):
    """Bring checked-out volumes back to their home shelves (a checkin event each), then go back to the desk."""
    for d in sorted(vols, key=lambda d: d.home):
        yield from st.walk(oid, st.unit_place(d.home))
        st.journal.event(st.now, "checkin", case=case.id, epc=d.epc, officer=oid, detail=where)
        st.put(d, st.unit_place(d.home), d.home)
        d.busy = False
    yield from st.walk(oid, st.desk_place(oid))


def archive(st, oid: str, case):
    """A dossier keeper moves the volumes to the archive (new home there when it has room)."""
    todo = [d for d in case.volumes if not d.lost and d.space != st.procuratorate and d.home not in _archive_units(st)]
    if any(d.busy or d.holder for d in todo):
        st.env.process(_later(st, "dossier_keeper", lambda o, c=case: archive(st, o, c)))
        return
    got = yield from _gather(st, oid, todo)
    for d in sorted(got, key=lambda d: d.home):
        new = st.pop.allocate(st.pop.archive_units, st.rng("storage"))
        if new is not None:
            st.pop.release(d.home)
            d.home = new
        yield from st.walk(oid, st.unit_place(d.home))
        st.put(d, st.unit_place(d.home), d.home)
        d.busy = False
        st.journal.event(st.now, "archive", case=case.id, epc=d.epc, officer=oid, detail=d.home)
    yield from st.walk(oid, st.desk_place(oid))


def _archive_units(st) -> set[str]:
    return {u for t in st.pop.archive_units for u in t}


def _later(st, who: str, task):
    yield st.env.timeout(RETRY_S)
    st.give(who, task)


def arrivals(st):
    """New cases by the seeded non-homogeneous Poisson process; each is registered by an on-duty officer."""
    times = arrival_times(st.beh, st.cal, 0.0, st.scenario.duration_s, st.rng("arrivals"))
    for t in times:
        yield st.env.timeout(max(0.0, t - st.env.now))
        st.give("duty_officer", lambda o: register(st, o))


def register(st, oid: str):
    """Register a new case at reception: volumes and items tagged, officer assigned, shelved in the dossier room."""
    rng, pop, pc, env = st.rng("registration"), st.pop, st.pc, st.env
    yield from st.walk(oid, st.graph.place_in(st.reception))
    kind = draw_kind(st.beh, rng)
    officers = sorted(o.id for o in pop.by_role("case_officer"))
    case = pop.new_case(kind, officers[int(rng.integers(len(officers)))], env.now,
                        plan_case(kind, env.now, st.beh, st.cal, rng))  # fmt: skip
    place = st.pos[oid]
    nv = 1 + int(rng.poisson(pc.volumes_per_case_mean - 1.0))
    for v in range(1, nv + 1):
        home = pop.allocate(pop.active_units, rng)
        if home is None:
            break
        d = Dossier(epcs.dossier_epc(pop.company_prefix, case.no, v), case.id, v, home, holder=oid, busy=True)
        st.ledger.add_tag(d.epc, "dossier", env.now, place, "", oid)
        case.volumes.append(d)
        pop.dossiers[d.epc] = d
        st.journal.event(env.now, "register", case=case.id, epc=d.epc, officer=oid, detail=f"volume {v} of {nv}; {kind}; home {home}")
    st.journal.event(env.now, "assign", case=case.id, officer=case.officer)
    st.journal.event(env.now, "stage", case=case.id, officer=case.officer, stage="accepted",
                     deadline_s=case.plan.steps[0].deadline_s)  # fmt: skip
    for _ in range(int(rng.poisson(pc.items_per_case_mean))):
        home = pop.allocate(pop.evidence_units, rng)
        if home is None:
            break
        it = Item(epcs.item_epc(pop.company_prefix, pop.next_item_no), case.id, home, holder=oid, busy=True)
        pop.next_item_no += 1
        st.ledger.add_tag(it.epc, "item", env.now, place, "", oid)
        case.items.append(it)
        pop.items[it.epc] = it
        st.journal.event(env.now, "item_register", case=case.id, epc=it.epc, officer=oid, detail=f"home {home}")
    env.process(case_process(st, case))
    for t in sorted(case.volumes + case.items, key=lambda t: t.home):
        yield from st.walk(oid, st.unit_place(t.home))
        st.put(t, st.unit_place(t.home), t.home)
        t.busy = False
    yield from st.walk(oid, st.desk_place(oid))
