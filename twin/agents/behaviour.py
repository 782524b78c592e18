"""Misbehaviour: drawn per opportunity with the [behaviour] rates; each occurrence is a ground-truth anomaly.

  left_building  a dossier carried out of the building to a vehicle without a checkout (per dossier use, at the end
                 of the day); anomaly time = the exterior door crossing
  drawer         a dossier resting on a desk (not carried, not in storage) at the station's end-of-day check (shift
                 end + DRAWER_CHECK_S, every day of the run: a timed event of the world, not a side of the tidy);
                 time = the check. Kept overnight on purpose (drawer_rate, per dossier tidied) or still there because
                 its officer tidies later, or not at all: outside storage past the policy, whoever meant it. Once per
                 rest on a desk (a dossier left over a weekend is one anomaly, as it is one open alert)
  misfiled       a dossier put on the wrong shelf (per shelf return); time = the put
  missing        a dossier put down in a non-storage place and forgotten (per dossier use); time = the put
  separated      an evidence item left behind when its dossier goes back (per item taken out; also an item waiting
                 on one desk while a volume of its case is shelved from another's, e.g. a reviewer's); time = the
                 parting
  unrecorded_handover  a hand-over without its business event (per hand-over; see Station.hand_over)
"""

from __future__ import annotations

#: The station's end-of-day check, after the shift's end: a dossier at a desk then is outside storage past the policy
#: (assumption: the same 25 min grace as the tracker's default AlertConfig.drawer_grace_s).
DRAWER_CHECK_S = 1500.0


def end_of_day_checks(st):
    """SimPy process: the end-of-day check at shift end + DRAWER_CHECK_S of every day inside the run."""
    env, cal = st.env, st.cal
    day = cal.day_of(env.now)
    while True:
        t = cal.at(day, cal.shift_end_s) + DRAWER_CHECK_S
        if t > st.scenario.duration_s:
            return
        if t >= env.now:
            yield env.timeout(t - env.now)
            drawer_check(st)
        day += 1


def drawer_check(st) -> list[str]:
    """Label drawer every dossier resting on a desk now and not yet labelled in this rest; returns their EPCs."""
    fl, out = st.floor, []
    for e in sorted(st.pop.dossiers):
        d = st.pop.dossiers[e]
        if d.holder or not d.storage or fl.storage[d.storage].kind != "desk" or e in st.drawered:
            continue
        st.drawered.add(e)
        oid = next((o for o in sorted(st.at_desk) if e in st.at_desk[o]), "")
        how = "kept overnight" if e in st.kept else "at the end-of-day check"
        st.journal.anomaly(st.now, "drawer", epc=e, space=fl.storage[d.storage].space, officer=oid,
                           detail=f"at {d.storage}, {how}; case {d.case}")  # fmt: skip
        out.append(e)
    return out


def maybe_forget(st, oid: str, d, case):
    """Generator: with forget_rate, put the carried dossier down here (a non-storage place) and forget it."""
    if st.rng("misbehaviour").random() >= st.beh.forget_rate:
        return False
    here = st.pos[oid]
    if st.floor.spaces[here.space].purpose in ("dossier_room", "archive", "evidence_room"):
        return False
    st.put(d, here, "")
    d.lost, d.busy = True, False
    st.journal.anomaly(st.now, "missing", epc=d.epc, space=here.space, officer=oid, detail=f"case {case.id}")
    yield from st.walk(oid, st.desk_place(oid))
    return True


def exterior_crossing_s(st, route, t0: float) -> float:
    """When a walk that began at t0 passes from inside the building to the outside."""
    for c in route.crossings:
        if st.floor.spaces[c.to_space].kind in ("outside", "external") and st.floor.spaces[c.from_space].kind not in (
            "outside",
            "external",
        ):
            return t0 + c.t_s
    return t0


def end_of_day(st, oid: str):
    """Tidy the desk: shelve each dossier at its home, except those kept (drawer) or taken to a car."""
    rng, beh, pop = st.rng("misbehaviour"), st.beh, st.pop
    dossiers = sorted((pop.dossiers[e] for e in st.at_desk[oid] if e in pop.dossiers), key=lambda d: d.epc)
    dossiers = [d for d in dossiers if not d.busy and not d.holder]
    keep, car, shelve = [], [], []
    for d in dossiers:
        r = rng.random()
        if r < beh.drawer_rate:
            keep.append(d)
        elif r < beh.drawer_rate + beh.left_in_car_rate and pop.vehicles:
            car.append(d)
        else:
            shelve.append(d)
    st.kept.update(d.epc for d in keep)  # labelled by the end-of-day check (drawer_check), as they rest on the desk
    st.counts["kept"] += len(keep)
    items = [pop.items[e] for e in sorted(st.at_desk[oid]) if e in pop.items]
    for d in shelve + car:
        st.pick(d, oid)
        d.busy = True
    t_part = st.now
    for i in items:  # items left on the desk while their dossier leaves it
        if any(v in shelve + car for v in pop.cases[i.case].volumes):
            st.journal.anomaly(t_part, "separated", epc=i.epc, space=st.pos[oid].space, officer=oid,
                               detail=f"case {i.case}")  # fmt: skip
            st.give("evidence_keeper", lambda k, i=i, frm=oid: _collect_one(st, k, i, frm))
    label_parted_elsewhere(st, oid, shelve + car, t_part)
    for d in sorted(shelve, key=lambda d: d.home):
        st.counts["shelf_return"] += 1
        unit = d.home
        if rng.random() < beh.misfile_rate:
            same = [u for t in pop.active_units for u in t
                    if u != d.home and st.floor.storage[u].space == st.floor.storage[d.home].space and pop.free(u) > 0]  # fmt: skip
            if same:
                unit = same[int(rng.integers(len(same)))]
        yield from st.walk(oid, st.unit_place(unit))
        st.put(d, st.unit_place(unit), unit)
        d.busy = False
        if unit != d.home:
            st.journal.anomaly(st.now, "misfiled", epc=d.epc, space=st.pos[oid].space, officer=oid,
                               detail=f"on {unit}, home {d.home}")  # fmt: skip
    if car:
        veh = pop.vehicles[int(rng.integers(len(pop.vehicles)))]
        t0 = st.now
        route = yield from st.walk(oid, st.unit_place(veh))
        t_out = exterior_crossing_s(st, route, t0) if route is not None else t0
        for d in car:
            st.put(d, st.unit_place(veh), veh)
            d.busy = False
            st.in_car[oid].add(d.epc)
            st.journal.anomaly(t_out, "left_building", epc=d.epc, space=st.car_park, officer=oid,
                               detail=f"to {veh} without checkout; case {d.case}")  # fmt: skip


def label_parted_elsewhere(st, oid: str, leaving, t_part: float) -> list[str]:
    """Label separated the items of the leaving volumes' cases that rest on another officer's desk with no other
    volume of their case there (a volume reviewed at a legal officer's desk and shelved from it while its evidence
    waits on the case officer's desk is parted from it as much as one shelved from the same desk). A label only:
    nobody is sent to fetch them. Returns their EPCs."""
    pop, out = st.pop, []
    gone = {d.epc for d in leaving}
    for c in sorted({d.case for d in leaving}):
        case = pop.cases[c]
        for i in sorted(case.items, key=lambda i: i.epc):
            if i.holder or i.busy:
                continue
            o = next((o for o in sorted(st.at_desk) if o != oid and i.epc in st.at_desk[o]), None)
            if o is None or any(v.epc in st.at_desk[o] and v.epc not in gone for v in case.volumes):
                continue
            st.journal.anomaly(t_part, "separated", epc=i.epc, space=st.floor.storage[i.storage].space if i.storage
                               else st.pos[o].space, officer=o, detail=f"case {c}; volume shelved from {oid}'s desk")  # fmt: skip
            out.append(i.epc)
    return out


def _collect_one(st, k: str, i, frm: str):
    """Next working time: the evidence keeper fetches a separated item back."""
    if i.epc not in st.at_desk[frm] or i.holder or i.busy:
        return
    i.busy = True  # reserved before the walk, so no one else moves it meanwhile
    yield from st.walk(k, st.desk_place(frm))
    st.pick(i, k)
    yield from st.walk(k, st.unit_place(i.home))
    st.put(i, st.unit_place(i.home), i.home)
    i.busy = False
    yield from st.walk(k, st.desk_place(k))
