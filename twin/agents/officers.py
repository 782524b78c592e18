"""Officers' days: arrive at shift start, work through planned uses and queued tasks at the desk, tidy up, leave.

Case officers fetch an assigned case's dossier from its shelf, work on it, sometimes take it to an interrogation room
or a meeting, show it to a legal officer (recorded hand-over; the legal officer returns it later) and return it to
its home shelf at the end of the day. Misbehaviour is drawn per opportunity (twin.agents.behaviour).
"""

from __future__ import annotations

from . import behaviour as mis

MIN_S = 60.0


def day_shift(st, oid: str):
    """SimPy process of a day-shift officer (every role but duty officers)."""
    env, cal, rng = st.env, st.cal, st.rng("shifts")
    spread = st.pc.shift.arrival_spread_min * MIN_S
    role = st.pop.officers[oid].role
    queues = [st.queue[oid]] + ([st.shared[role]] if role in st.shared else [])
    day = cal.day_of(env.now)
    while True:
        if cal.is_workday(day):
            t_in = cal.at(day, cal.shift_start_s) + rng.uniform(-spread, 0.25 * spread) - st.commute_s(oid)
            t_lunch = cal.at(day, cal.lunch_start_s)
            t_back = cal.at(day, cal.lunch_end_s)
            t_out = cal.at(day, cal.shift_end_s) - rng.uniform(5, 25) * MIN_S
            if env.now < t_out:
                if not st.on_site[oid]:
                    yield env.timeout(max(0.0, t_in - env.now))
                    yield from arrive(st, oid)
                plan = plan_day(st, oid, max(env.now, t_in), t_lunch, t_back, t_out) if role == "case_officer" else []
                plan += mis_plan_sweeps(st, oid, day)
                plan.sort(key=lambda p: p[0])
                yield from st.serve(oid, t_lunch, queues, [p for p in plan if p[0] < t_lunch])
                yield from lunch(st, oid, t_back)
                yield env.timeout(max(0.0, t_back - env.now))
                yield from st.serve(oid, t_out, queues, [p for p in plan if p[0] >= t_back])
                yield from tidy(st, oid)
                yield from leave(st, oid)
        day += 1
        yield env.timeout(max(0.0, cal.at(day, 0.0) - env.now))


def mis_plan_sweeps(st, oid: str, day: int) -> list:
    from .sweep import planned_sweeps

    return planned_sweeps(st, oid, day)


def arrive(st, oid: str):
    """Come in from off site through the main entrance, or by car through the car park (collecting any dossier left
    in the car), to the desk."""
    carried = []
    for epc in sorted(st.in_car[oid]):
        d = st.thing(epc)
        yield from st.walk(oid, st.place_of(d))
        st.pick(d, oid)
        carried.append(d)
    st.in_car[oid].clear()
    yield from st.walk_via(oid, st.gateway_of(oid), st.desk_place(oid))
    for d in carried:
        st.put_at_desk(d, oid)
        d.busy = False
    st.on_site[oid] = True


def leave(st, oid: str):
    """Go off site the way the officer came (main entrance on foot, car park by car)."""
    st.on_site[oid] = False
    yield from st.walk_via(oid, st.gateway_of(oid), st.home_of(oid))


def lunch(st, oid: str, t_back: float):
    """Midday break: with lunch_out_share, leave the desk (dossiers stay where they are) through the main entrance
    for a canteen off site and be back at the desk by the end of the break."""
    env, rng = st.env, st.rng("lunch")
    if not st.off_site or rng.random() >= st.pc.shift.lunch_out_share:
        return
    speed = st.pop.officers[oid].speed_mps
    door = st.graph.place_at_door(st.floor.entrance, st.street)
    out_s = st.graph.route(door, st.home_of(oid), speed).duration_s
    in_s = out_s + st.graph.route(door, st.desk_place(oid), speed).duration_s
    yield env.timeout(rng.uniform(0, 10) * MIN_S)  # finish up (assumption: leave within 10 min of the break)
    back_by = t_back - rng.uniform(0, 10) * MIN_S
    if back_by - env.now < 2 * in_s + 30 * MIN_S:
        return  # a task ran into the break: eat in
    st.on_site[oid] = False
    yield from st.walk_via(oid, door, st.home_of(oid))
    yield env.timeout(max(0.0, back_by - in_s - env.now))
    yield from st.walk_via(oid, door, st.desk_place(oid))
    st.on_site[oid] = True


def plan_day(st, oid: str, t0: float, t_lunch: float, t_back: float, t_out: float) -> list:
    """Planned dossier uses for the day: Poisson(dossier_uses_per_officer_day) at uniform working times."""
    rng = st.rng("uses")
    n = int(rng.poisson(st.beh.dossier_uses_per_officer_day))
    work = max(0.0, t_lunch - t0) + max(0.0, t_out - t_back)
    out = []
    for _ in range(n):
        u = rng.uniform(0, work) if work > 0 else 0
        t = t0 + u if u < t_lunch - t0 else t_back + (u - max(0.0, t_lunch - t0))
        out.append((min(t, t_out - 30 * MIN_S), lambda o: use_dossier(st, o)))
    return out


def usable(st, oid: str, case) -> list:
    return [
        d for d in case.volumes
        if not d.busy and not d.lost and not d.holder and d.space != st.procuratorate
        and (d.storage in st.pop.capacity and st.floor.storage[d.storage].kind in ("shelf", "cabinet")
             or d.epc in st.at_desk[oid])
    ]  # fmt: skip


def use_dossier(st, oid: str):
    """One dossier use: fetch, work, maybe interrogation / meeting / legal review, leave it on the desk."""
    rng, beh, env = st.rng("uses"), st.beh, st.env
    mine = [c for c in st.pop.cases.values() if c.officer == oid]
    cand = [(c, usable(st, oid, c)) for c in mine]
    cand = [(c, v) for c, v in cand if v and c.plan.stage_at(env.now).stage not in ("archived", "transferred")]
    if not cand:
        return
    case, vols = cand[int(rng.integers(len(cand)))]
    d = vols[int(rng.integers(len(vols)))]
    d.busy = True
    st.counts["use"] += 1
    if d.epc not in st.at_desk[oid]:
        yield from st.walk(oid, st.place_of(d))
        st.pick(d, oid)
        yield from st.walk(oid, st.desk_place(oid))
        st.put_at_desk(d, oid)
    items = [i for i in case.items if not i.busy and not i.holder and i.storage == i.home]
    if items and rng.random() < beh.evidence_share:
        for i in items:
            i.busy = True
        st.give("evidence_keeper", lambda k, items=items, to=oid, c=case.id: bring_items(st, k, items, to, c))
    yield env.timeout(rng.uniform(20, 90) * MIN_S)
    stage = case.plan.stage_at(env.now).stage
    for share, rooms in ((beh.interrogation_share, st.interrogation), (beh.meeting_share, st.meeting)):
        if rooms and rng.random() < share:
            st.pick(d, oid)
            room = rooms[int(rng.integers(len(rooms)))]
            yield from st.walk(oid, st.graph.place_in(room))
            yield env.timeout(rng.uniform(30, 75) * MIN_S)
            if (yield from mis.maybe_forget(st, oid, d, case)):
                return
            yield from st.walk(oid, st.desk_place(oid))
            st.put_at_desk(d, oid)
    legal = [o.id for o in st.pop.by_role("legal_officer") if st.on_site.get(o.id)]
    if legal and (stage == "legal_review" or rng.random() < beh.review_share):
        lo = legal[int(rng.integers(len(legal)))]
        st.pick(d, oid)
        yield from st.walk(oid, st.desk_place(lo))
        if st.idle.get(lo) and st.pos[lo] == st.desk_place(lo):
            st.hand_over(d, oid, lo, case.id)
            st.put_at_desk(d, lo)
            d.busy = False
            env.process(review_timer(st, lo, d, oid, case.id))
            yield from st.walk(oid, st.desk_place(oid))
            return
        yield from st.walk(oid, st.desk_place(oid))  # not there: keep it
        st.put_at_desk(d, oid)
    d.busy = False
    if items and all(i.holder == "" and i.epc in st.at_desk[oid] for i in items):
        st.give("evidence_keeper", lambda k, items=items, frm=oid, c=case.id: collect_items(st, k, items, frm, c))


def review_timer(st, lo: str, d, giver: str, case: str):
    yield st.env.timeout(st.rng("uses").uniform(30, 150) * MIN_S)
    st.give(lo, lambda o: return_review(st, o, d, giver, case))


def return_review(st, lo: str, d, giver: str, case: str):
    """The legal officer brings a reviewed dossier back to the case officer (recorded hand-over)."""
    if d.epc not in st.at_desk[lo] or d.holder or d.busy:
        return
    if not (st.on_site.get(giver) and st.idle.get(giver)):
        return  # the giver is away: the legal officer keeps it and shelves it at the end of the day
    d.busy = True
    st.pick(d, lo)
    yield from st.walk(lo, st.desk_place(giver))
    if st.idle.get(giver) and st.pos[giver] == st.desk_place(giver):
        st.hand_over(d, lo, giver, case)
        st.put_at_desk(d, giver)
    else:
        yield from st.walk(lo, st.desk_place(lo))
        st.put_at_desk(d, lo)
    d.busy = False
    yield from st.walk(lo, st.desk_place(lo))


def bring_items(st, k: str, items, to: str, case: str):
    """The evidence keeper fetches a case's items from the evidence room to the case officer's desk."""
    for i in items:
        yield from st.walk(k, st.place_of(i))
        st.pick(i, k)
    yield from st.walk(k, st.desk_place(to))
    for i in items:
        if st.idle.get(to) and st.pos[to] == st.desk_place(to):
            st.hand_over(i, k, to, case)
        st.put_at_desk(i, to)
        i.busy = False
    yield from st.walk(k, st.desk_place(k))


def collect_items(st, k: str, items, frm: str, case: str):
    """The evidence keeper takes items back from a desk to their home units."""
    here = [i for i in items if i.epc in st.at_desk[frm] and not i.holder and not i.busy]
    st.counts["item_out"] += len(here)
    rng = st.rng("misbehaviour")
    here = [i for i in here if rng.random() >= st.beh.separated_rate]  # the others stay behind (separated)
    if not here:
        return
    for i in here:
        i.busy = True  # reserved before the walk
    yield from st.walk(k, st.desk_place(frm))
    for i in here:
        st.pick(i, k)
    for i in sorted(here, key=lambda i: i.home):
        yield from st.walk(k, st.unit_place(i.home))
        st.put(i, st.unit_place(i.home), i.home)
        i.busy = False
    yield from st.walk(k, st.desk_place(k))


def tidy(st, oid: str):
    """End of day: every dossier on the desk goes back to its home shelf -- unless misbehaviour keeps it."""
    yield from mis.end_of_day(st, oid)
