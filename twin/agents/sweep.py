"""Scheduled inventory sweeps: a dossier keeper walks along the dossier-room shelves with a handheld reader on."""

from __future__ import annotations

from .config import clock_s


def planned_sweeps(st, oid: str, day: int) -> list:
    """Sweeps of `day` for this keeper: inventory_sweeps_per_day, hourly from sweep_at, keepers taking turns."""
    keepers = sorted(o.id for o in st.pop.by_role("dossier_keeper"))
    n = st.beh.inventory_sweeps_per_day
    if oid not in keepers or n <= 0 or not st.sweep_units or not st.cal.is_workday(day):
        return []
    out = []
    for k in range(n):
        if keepers[(day + k) % len(keepers)] == oid:
            out.append((st.cal.at(day, clock_s(st.beh.sweep_at) + 3600.0 * k), lambda o: sweep(st, o)))
    return out


def sweep(st, oid: str):
    """Walk the shelves in order with the handheld on; sweep_start / sweep_end business events."""
    reader = st.handhelds[0] if st.handhelds else ""
    units = st.sweep_units
    yield from st.walk(oid, st.unit_place(units[0]))
    if reader:
        st.ledger.handheld_on(reader, oid, st.now)
    st.journal.event(st.now, "sweep_start", officer=oid, detail=f"{reader} {len(units)} units")
    for u in units[1:]:
        yield from st.walk(oid, st.unit_place(u))
        yield st.env.timeout(20.0)  # pause at each unit so the handheld covers it (assumption)
    if reader:
        st.ledger.handheld_off(reader, st.now)
    st.journal.event(st.now, "sweep_end", officer=oid, detail=f"{reader} {len(units)} units")
    yield from st.walk(oid, st.desk_place(oid))
