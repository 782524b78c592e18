"""The station's people and paper at the start of a run: officers by role with desks and badges, cases with their
dossier volumes and evidence items on their home shelves (capacity respected), and the vehicles in the car park.

Active cases are drawn at consistent ages: each is accepted at a uniform time within `max_case_age_d` before the
start and its whole plan (twin.agents.cases) is drawn, so its stage at t = 0, its deadlines and where its dossiers are
(on the shelf, or out at the procuratorate) all agree. Cases already archived by then are redrawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, Problem, display_path
from . import epc as epcs
from .cases import OUT_STAGES, CasePlan, draw_kind, plan_case
from .clock import DAY_S, Calendar

ROLES = ("case_officer", "legal_officer", "dossier_keeper", "evidence_keeper", "leader", "duty_officer")
_ROLE_PREFIX = {"case_officer": "co", "legal_officer": "lo", "dossier_keeper": "dk", "evidence_keeper": "ek",
                "leader": "ld", "duty_officer": "du"}  # fmt: skip
#: Where each role's desk is, in order of preference (space purposes).
DESK_PURPOSES = {
    "case_officer": ("office",),
    "legal_officer": ("legal", "office"),
    "leader": ("leader", "office"),
    "dossier_keeper": ("dossier_room", "archive", "case_centre", "office"),
    "evidence_keeper": ("evidence_room", "case_centre", "office"),
    "duty_officer": ("duty", "reception", "office"),
}
#: Active dossiers rest in the dossier room; when it is full, in case-centre cabinets, then in the archive room.
ACTIVE_PURPOSES = ("dossier_room", "case_centre", "archive")
ARCHIVE_AGE_D = (200.0, 730.0)  # archived cases were accepted this long ago (assumption)


@dataclass(frozen=True)
class Officer:
    id: str
    role: str
    badge_epc: str
    desk: str  # storage id of the officer's desk (shared when a space has fewer desks than officers)
    desk_space: str
    speed_mps: float
    by_car: bool  # comes through the car park rather than the main entrance
    duty_group: int = -1  # duty officers: which day of the rota


@dataclass(eq=False)
class Dossier:
    """A dossier volume; `home` is its shelf; space/storage/holder is where it is now (kept by the agents)."""

    epc: str
    case: str
    volume: int
    home: str
    space: str = ""
    storage: str = ""
    holder: str = ""
    busy: bool = False  # an officer is working with it (or on the way to it)
    lost: bool = False  # put down somewhere and forgotten


@dataclass(eq=False)
class Item:
    epc: str
    case: str
    home: str
    space: str = ""
    storage: str = ""
    holder: str = ""
    busy: bool = False


@dataclass(eq=False)
class Case:
    id: str
    no: int
    kind: str
    officer: str
    accepted_s: float
    plan: CasePlan
    volumes: list[Dossier] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


@dataclass
class Population:
    officers: dict[str, Officer]
    cases: dict[str, Case]
    dossiers: dict[str, Dossier]
    items: dict[str, Item]
    vehicles: tuple[str, ...]
    capacity: dict[str, int]
    fill: dict[str, int]  # dossiers/items whose home is the unit
    active_units: tuple[tuple[str, ...], ...]  # tiers, filled in order
    archive_units: tuple[tuple[str, ...], ...]
    evidence_units: tuple[tuple[str, ...], ...]
    company_prefix: str
    next_case_no: int = 1
    next_item_no: int = 1

    def by_role(self, role: str) -> list[Officer]:
        return [o for o in self.officers.values() if o.role == role]

    def free(self, unit: str) -> int:
        return self.capacity[unit] - self.fill.get(unit, 0)

    def allocate(self, tiers: tuple[tuple[str, ...], ...], rng: np.random.Generator) -> str | None:
        """A unit with spare room from the first tier that has any (weighted by free room), or None when all full."""
        for units in tiers:
            free = np.array([max(self.free(u), 0) for u in units], dtype=np.float64)
            if len(units) == 0 or free.sum() <= 0:
                continue
            u = units[int(rng.choice(len(units), p=free / free.sum()))]
            self.fill[u] = self.fill.get(u, 0) + 1
            return u
        return None

    def release(self, unit: str) -> None:
        self.fill[unit] = self.fill.get(unit, 0) - 1

    def new_case(self, kind: str, officer: str, accepted_s: float, plan: CasePlan) -> Case:
        c = Case(f"C{self.next_case_no:06d}", self.next_case_no, kind, officer, accepted_s, plan)
        self.next_case_no += 1
        self.cases[c.id] = c
        return c


def _units(floor, purposes: tuple[str, ...], kinds=("shelf", "cabinet")) -> tuple[str, ...]:
    out = []
    for purpose in purposes:
        spaces = {s.id for s in floor.spaces_with_purpose(purpose)}
        out += sorted(u.id for u in floor.storage.values() if u.space in spaces and u.kind in kinds)
    return tuple(out)


def _desks(floor, role: str) -> list[str]:
    for purpose in DESK_PURPOSES[role]:
        d = _units(floor, (purpose,), ("desk",))
        if d:
            return list(d)
    return list(_units(floor, tuple({s.purpose for s in floor.spaces.values()}), ("desk",)))


def build_population(scenario, floor, graph, rng: np.random.Generator):
    """Officers, cases with dossiers and items on their home units, vehicles: the station at t = 0."""
    pc, beh = scenario.population, scenario.behaviour
    shown = display_path(scenario.source) if scenario.source else scenario.name
    cal = Calendar.of(scenario.start, pc.shift)
    prefix = pc.company_prefix
    problems = []
    officers: dict[str, Officer] = {}
    n = 0
    for role in ROLES:
        count = getattr(pc, role + "s")
        desks = _desks(floor, role)
        if not desks:
            problems.append(Problem(display_path(floor.source), "storage", "(no desks)", f"desks for {role}s"))
            continue
        for k in range(count):
            n += 1
            oid = f"{_ROLE_PREFIX[role]}-{k + 1:03d}"
            desk = desks[k % len(desks)]
            officers[oid] = Officer(
                id=oid, role=role, badge_epc=epcs.badge_epc(prefix, n), desk=desk,
                desk_space=floor.storage[desk].space, speed_mps=float(rng.uniform(*pc.walking_speed_mps)),
                by_car=bool(rng.random() < pc.by_car_share),
                duty_group=(k % pc.shift.duty_groups) if role == "duty_officer" else -1,
            )  # fmt: skip
    active_units = tuple(t for t in (_units(floor, (p,)) for p in ACTIVE_PURPOSES) if t)
    archive_units = tuple(t for t in (_units(floor, ("archive",)),) if t)
    evidence_units = tuple(t for t in (_units(floor, ("evidence_room",)),) if t)
    capacity = {u.id: u.capacity for u in floor.storage.values()}
    room = sum(capacity[u] for t in active_units for u in t)
    if pc.active_dossiers > room:
        problems.append(Problem(shown, "population.active_dossiers", pc.active_dossiers,
                                f"at most {room} (the dossier-room, case-centre and archive shelves and cabinets of the floor)"))  # fmt: skip
    if pc.active_dossiers and not evidence_units and pc.items_per_case_mean > 0:
        problems.append(Problem(shown, "population.items_per_case_mean", pc.items_per_case_mean,
                                "0 (the floor has no evidence-room shelves or cabinets)"))  # fmt: skip
    if problems:
        raise InputError(problems)
    vehicles = tuple(sorted(u.id for u in floor.storage.values() if u.kind == "vehicle"))[: pc.vehicles]
    pop = Population(officers, {}, {}, {}, vehicles, capacity, {}, active_units, archive_units, evidence_units, prefix)
    case_officers = [o.id for o in officers.values() if o.role == "case_officer"]
    proc = next((s.id for s in floor.spaces.values() if s.purpose == "procuratorate"), None)

    def volumes_of() -> int:
        return 1 + int(rng.poisson(pc.volumes_per_case_mean - 1.0))

    # Active cases at consistent ages, until enough volumes are active.
    active = []
    vols = 0
    while vols < pc.active_dossiers:
        kind = draw_kind(beh, rng)
        acc = -float(rng.uniform(0.0, pc.max_case_age_d)) * DAY_S
        plan = plan_case(kind, acc, beh, cal, rng)
        st = plan.stage_at(0.0)
        if st is None or st.stage == "archived":
            continue
        nv = volumes_of()
        active.append((acc, kind, plan, nv))
        vols += nv
    # Archived cases, as many volumes as asked for and as the archive holds beside any active overflow.
    archive_room = sum(capacity[u] for t in archive_units for u in t)
    overflow = max(0, vols - sum(capacity[u] for t in active_units if t not in archive_units for u in t))
    archived = []
    reserve = int(0.1 * pc.active_dossiers) + 10  # room kept free for new cases' volumes (assumption: ~10 %)
    left = min(pc.archived_dossiers, max(0, archive_room - overflow - reserve))
    while left > 0:
        kind = draw_kind(beh, rng)
        acc = -float(rng.uniform(*ARCHIVE_AGE_D)) * DAY_S
        archived.append((acc, kind, plan_case(kind, acc, beh, cal, rng), min(volumes_of(), left)))
        left -= archived[-1][3]
    # Case numbers follow acceptance order; active homes are allocated first (the archive room may also hold the
    # dossier room's overflow), then the archived ones.
    ordered = sorted(archived + active, key=lambda a: a[0])
    made = [(pop.new_case(kind, str(rng.choice(case_officers)), acc, plan), nv) for acc, kind, plan, nv in ordered]
    made.sort(key=lambda cn: cn[0].plan.stage_at(0.0).stage == "archived")
    for case, nv in made:
        plan = case.plan
        is_archived = plan.stage_at(0.0).stage == "archived"
        units = archive_units if is_archived else active_units
        out = (not is_archived) and proc is not None and checked_out_at(plan, 0.0, cal)
        for v in range(1, nv + 1):
            home = pop.allocate(units, rng)
            if home is None:  # cannot happen for active ones (checked above); the archive is filled to capacity
                break
            d = Dossier(epcs.dossier_epc(prefix, case.no, v), case.id, v, home)
            d.space, d.storage = (proc, "") if out else (floor.storage[home].space, home)
            case.volumes.append(d)
            pop.dossiers[d.epc] = d
        if not is_archived and evidence_units:
            for _ in range(int(rng.poisson(pc.items_per_case_mean))):
                home = pop.allocate(evidence_units, rng)
                if home is None:
                    break
                it = Item(epcs.item_epc(prefix, pop.next_item_no), case.id, home, floor.storage[home].space, home)
                pop.next_item_no += 1
                case.items.append(it)
                pop.items[it.epc] = it
    return pop


def checked_out_at(plan: CasePlan, t_s: float, cal: Calendar) -> bool:
    """True when the case's dossiers are at the procuratorate at t_s: checked out when an out-stage begins (a working
    time), back at the first working time after it ends."""
    steps = plan.steps
    for i, s in enumerate(steps):
        if s.stage in OUT_STAGES:
            back = cal.next_work_time(steps[i + 1].t_s) if i + 1 < len(steps) else float("inf")
            if cal.next_work_time(s.t_s) <= t_s < back:
                return True
    return False


def start_agents(env, population, ledger, journal, graph, scenario, streams, **kw) -> None:
    """Register everything in the ledger and start every SimPy process (see twin.agents.station)."""
    from .station import start_agents as _start

    return _start(env, population, ledger, journal, graph, scenario, streams, **kw)
