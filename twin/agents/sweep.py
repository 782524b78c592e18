"""Scheduled inventory sweeps: a dossier keeper scans the dossier room (every working day) and the archive (every
`archive_sweep_every_d` working days) shelf by shelf with that room's handheld reader, as archive inventories are done.

Each room is its own sweep (sweep_start / sweep_end naming the room's handheld). At each shelf or cabinet the keeper
first scans the unit's location label, which the handheld app records as a `sweep_unit` event ("READER UNIT"), then
passes the handheld along the unit's face, held a hand's width from the spines and pointed at them (its patch
antenna aimed at the face, `aim_deg`), pausing at a few points; the reads up to the next label belong to that unit.
Walking on to the next unit the handheld points along the walk. A steel cabinet is scanned with its doors open:
held at its face, the handheld reads its inside (the read engine's `readers.moving.open_to_handheld`). Sweep times
fall inside the day shift's working windows: a time in the midday break moves to its end, one too close to the end
of the day moves earlier.
"""

from __future__ import annotations

from ..building.geometry import ahead
from ..building.graph import Place
from .config import clock_s

SWEEP_ROOMS = ("dossier_room", "archive")
LATEST_BEFORE_END_S = 3600.0  # a sweep starts at least this long before the shift ends (assumption)
# How the handheld is passed along a unit's face (assumption: per-location scanning as handheld vendors describe it,
# the reader held close to the labels and moved slowly along the shelf; the points lie about one 0.5 m fading cell
# apart, so each tag gets a few independent looks; a handheld reads 200-500 tags/s, ANCHORS, so a bay of ~140
# dossiers answers within a second at each point). Closer holds (0.05 m) and weaker handhelds (10-17 dBm) were
# tried on the misfile mornings: none placed more misfiled dossiers without losing a found one or adding a false
# misplaced one (docs/inventory.md, "Sweep settings").
HOLD_GAP_M = 0.15  # handheld this far in front of the unit's face
HOLD_ALONG = (-0.3, 0.0, 0.3)  # stops along the face, as a share of the unit's width from its centre
HOLD_S = 4.0  # pause at each stop
LABEL_S = 2.0  # scanning the unit's location label before its reads count


def sweep_rooms(st) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(purpose, space, shelves and cabinets in walking order) of every room swept, dossier room first."""
    cached = getattr(st, "_sweep_rooms", None)
    if cached is not None:
        return cached
    fl = st.floor
    out = []
    for purpose in SWEEP_ROOMS:
        for sp in sorted(s.id for s in fl.spaces_with_purpose(purpose)):
            units = sorted(
                (u.id for u in fl.storage.values() if u.space == sp and u.kind in ("shelf", "cabinet")),
                key=lambda u: (round(fl.storage[u].position[0], 0), fl.storage[u].position[1]),
            )
            if units:
                out.append((purpose, sp, tuple(units)))
    st._sweep_rooms = tuple(out)
    return st._sweep_rooms


def handheld_for(st, space: str) -> str:
    """The handheld reader kept for `space` (placement), else one kept for no room in particular, else ''."""
    hh = st.handhelds
    for want in (space, ""):
        for r in sorted(hh):
            if hh[r] == want:
                return r
    return ""


def hold_points(floor, unit: str) -> list[Place]:
    """Where the handheld is held while a unit is scanned: HOLD_ALONG stops along its face, HOLD_GAP_M in front."""
    u = floor.storage[unit]
    front = ahead(u.position, u.facing_deg, u.depth_m / 2 + HOLD_GAP_M)
    side = u.facing_deg + 90.0
    return [Place(u.space, ahead(front, side, f * u.width_m)) for f in HOLD_ALONG]


def aim_deg(floor, unit: str) -> float:
    """Where the handheld points while `unit` is scanned: at its face, against the unit's facing (plan, deg)."""
    return (floor.storage[unit].facing_deg + 180.0) % 360.0


def planned_sweeps(st, oid: str, day: int) -> list:
    """Sweeps of `day` for this keeper: inventory_sweeps_per_day, hourly from sweep_at, keepers taking turns; the
    first sweep of every archive_sweep_every_d-th working day goes on into the archive."""
    keepers = sorted(o.id for o in st.pop.by_role("dossier_keeper"))
    beh, cal = st.beh, st.cal
    n = beh.inventory_sweeps_per_day
    rooms = sweep_rooms(st)
    if oid not in keepers or n <= 0 or not rooms or not cal.is_workday(day):
        return []
    daily = tuple(r for r in rooms if r[0] == "dossier_room")
    every = beh.archive_sweep_every_d
    with_archive = every > 0 and day % every == 0
    latest = cal.at(day, cal.shift_end_s) - LATEST_BEFORE_END_S
    out = []
    for k in range(n):
        if keepers[(day + k) % len(keepers)] != oid:
            continue
        todo = rooms if (k == 0 and with_archive) else daily
        if not todo:
            continue
        t = min(cal.next_work_time(cal.at(day, clock_s(beh.sweep_at) + 3600.0 * k)), latest)
        out.append((t, lambda o, todo=todo: sweep(st, o, todo)))
    return out


def sweep(st, oid: str, rooms=None):
    """Sweep each room in turn: scan its units in order with its handheld on, between sweep_start and sweep_end."""
    for _, space, units in rooms if rooms is not None else sweep_rooms(st):
        yield from sweep_room(st, oid, space, units)
    yield from st.walk(oid, st.desk_place(oid))


def sweep_room(st, oid: str, space: str, units: tuple[str, ...]):
    reader = handheld_for(st, space)
    yield from st.walk(oid, st.unit_place(units[0]))
    if reader:
        st.ledger.handheld_on(reader, oid, st.now)
    st.journal.event(st.now, "sweep_start", officer=oid, detail=f"{reader} {space} {len(units)} units")
    for u in units:
        stops = hold_points(st.floor, u)
        yield from st.walk(oid, stops[0])
        if reader:  # pointed at the unit's face from its first stop to its last
            st.ledger.aim_handheld(reader, st.now, aim_deg(st.floor, u))
        st.journal.event(st.now, "sweep_unit", officer=oid, detail=f"{reader} {u}")
        yield st.env.timeout(LABEL_S)
        for k, p in enumerate(stops):
            if k:
                yield from st.walk(oid, p)
            yield st.env.timeout(HOLD_S)
        if reader:  # carried along the walk to the next unit
            st.ledger.aim_handheld(reader, st.now, float("nan"))
    if reader:
        st.ledger.handheld_off(reader, st.now)
    st.journal.event(st.now, "sweep_end", officer=oid, detail=f"{reader} {space} {len(units)} units")
