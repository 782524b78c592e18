"""Business events as the oracle's priors: what the case-management software tells every core, used as a real core
may use it, so the oracle stays a bound on cores that read events too.

Events are applied at their own time inside the filter, not at the start of the interval that brings them (a filing
at 2155 s in the chunk [2100, 2160) must not be overridden by the carry that led to it): `apply_events` queues
(t_us, tag, candidate, mass) operations and `due_ops` hands the filter those of its interval (`oracle_filter` mixes
the mass in at the step holding the event); events before the filter's clock are applied at once.

- `archive` (detail: the unit a dossier was filed on): the tag's belief gets FILED_MASS on that unit; a tag not yet
  known starts there (and is shown there until reads say otherwise);
- `register` / `item_register` whose detail names the unit the case software assigned (`home UNIT`): the same, on the
  home unit (the tracker takes it as the tag's home; without it the oracle showed resting dossiers their own shelf
  never hears in their room on no unit, and trailed the tracker on storage detection);
- `checkout` whose detail names an off-site space (one without a level: the court, the procuratorate): a dossier no
  reader has heard is placed there at once (nothing will show it leaving); one that readers hear is left to its reads
  until it has gone by road (below): checked out is not yet gone, it is carried out through the building first;
- `checkin`: the volume is back on its home unit (the tracker's rule: the case software's return), FILED_MASS there;
- `stage` events that send a case's volumes to another authority (arrest approval, transfer: the tracker's
  `OffsitePrior` and its default stage map) place its dossiers no reader has heard yet at that off-site space, until a
  `checkin`/`archive` clears it — the same rule the tracker applies, so the oracle is not beaten on it;
- a dossier checked out to an off-site place, shown in an outside space (the car park) and unheard for the tracker's
  `offsite_silence_s` since, has left by road: its belief moves to that place (the tracker's rule, `OffsitePrior.due`;
  without it the oracle kept every driven dossier in the car park while it was at the procuratorate);
- `register`ed dossiers no reader has heard and no event placed after UNREAD_S of stream are shown, once, where most
  of the read dossiers without a filing event are (the tracker's unread prior: the same information used the same
  way, so the oracle is not beaten on it). Shown only: the filter starts afresh at the first read.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..tracker.events import home_in

UNREAD_S = 600.0  # stream time before unread registered dossiers are shown (the tracker's default)
FILED_MASS = 0.9  # belief a filing event puts on the named unit (assumption: the software is right, the shelf
#                   may have been mixed up)


def apply_events(core, events: pa.Table) -> list[tuple[int, int, int]]:
    """Update beliefs from events; (t_us, tag, candidate) rows to show for tags whose place they set."""
    if events is None or events.num_rows == 0:
        return []
    m = core.m
    col = {c: events.column(c).to_pylist() for c in ("t_us", "kind", "epc", "detail")}
    unit_cand = {u: int(np.flatnonzero(m.c_storage == i)[0]) for i, u in enumerate(m.storage_ids)
                 if (m.c_storage == i).any()}
    off_site = {m.space_ids[s]: int(core.gen_of_space[s][0]) for s in range(len(m.space_ids))
                if len(core.gen_of_space[s]) and (m.c_level[core.gen_of_space[s]] < 0).all()}
    rows = []
    away = core.offsite.apply(events)
    for t, k, e, d in zip(col["t_us"], col["kind"], col["epc"], col["detail"]):
        if k == "register" and e and len(e) == 24 and e.startswith("2C"):  # GDTI-96: a dossier
            core._registered.append(e.encode("ascii"))
        if not e or len(e) != 24 or not d:
            continue
        if k == "archive" and d in unit_cand:
            c, mass = unit_cand[d], FILED_MASS
        elif k in ("register", "item_register") and home_in(d) in unit_cand:
            c, mass = unit_cand[home_in(d)], FILED_MASS
        elif k == "checkin" and core.home.get(e) in unit_cand:
            c, mass = unit_cand[core.home[e]], FILED_MASS
        elif k == "checkout" and d.split(";")[0].strip() in off_site:
            c, mass = off_site[d.split(";")[0].strip()], -1.0  # only if still unheard when its time comes
        else:
            continue
        if k in ("register", "item_register"):
            core.home[e] = home_in(d)
        i = int(core._epcs.ids(np.array([e.encode("ascii")], dtype="S24"))[0])
        core._grow()
        core.placed[i] = True
        if k in ("register", "item_register"):
            core.home_c[i] = c
        core._ops.append((int(t or 0), i, c, mass))
    # after the filing and home priors (queued before it): a volume the case software says is away is there, whatever
    # its home, unless its reads placed it (as the tracker)
    for t, e, s in away:
        gen = core.gen_of_space[s]
        if not len(gen) or len(e) != 24:
            continue
        i = int(core._epcs.ids(np.array([e.encode("ascii")], dtype="S24"))[0])
        core._grow()
        core.placed[i] = True
        core._ops.append((int(t or 0), i, int(gen[0]), -1.0))
    return [r for r in rows if r is not None]


def due_ops(core, t0_us: int, t1_us: int) -> tuple[list[tuple[int, int, int]], np.ndarray]:
    """Queued event operations: those before t0_us applied now (rows to show), those in [t0_us, t1_us) returned as
    an (n, 4) int64 array (t_us, tag, candidate, mass x 1e6) for the filter; later ones stay queued. A checkout's
    placement (mass -1) holds only for a tag no reader has heard by then. A tag without a belief yet starts from its
    first event at once (there is no history before it to filter)."""
    rows, now, keep, started = [], [], [], set()
    for op in sorted(core._ops):
        t, i, c, mass = op
        if mass < 0:
            if core.read_ever[i]:
                continue
            op = (t, i, c, 1.0)
        if t < t0_us or (t < t1_us and core.sup[i, 0] < 0 and i not in started):
            rows.append(op)
            started.add(i)
        else:
            (now if t < t1_us else keep).append(op)
    core._ops = keep
    shown = [_set(core, i, c, mass, t) for t, i, c, mass in rows]
    ops = np.array([(t, i, c, int(round(mass * 1e6))) for t, i, c, mass in now], np.int64).reshape(-1, 4)
    return [r for r in shown if r is not None], ops


def _set(core, i: int, c: int, mass: float, t) -> tuple[int, int, int] | None:
    """Put `mass` of tag i's belief on candidate c; the row to show if that sets its place."""
    core.placed[i] = True
    fresh = core.sup[i, 0] < 0
    sup, bel = core.sup[i].copy(), core.bel[i] * (1.0 - mass)
    at = np.flatnonzero(sup == c)
    j = int(at[0]) if len(at) else int(np.argmin(np.where(sup >= 0, bel, -1.0)))
    sup[j] = c
    bel[j] = (bel[j] if len(at) else 0.0) + mass
    bel = np.where(sup >= 0, bel, 0.0)
    o = np.argsort(-bel, kind="stable")
    core.sup[i], core.bel[i] = sup[o], bel[o] / bel.sum()
    if fresh or mass >= 1.0:
        return int(t or 0), i, c
    return None


def unread_prior(core, t_us: int) -> list[tuple[int, int, int]]:
    """Once, UNREAD_S after the first advance: rows (t_us, tag, candidate) showing unread, unplaced registered
    dossiers in the space holding most read dossiers without a filing event."""
    if core._unread_done or core._t_first is None or t_us - core._t_first < UNREAD_S * 1e6 or not core._registered:
        return []
    core._unread_done = True
    m = core.m
    ids = core._epcs.ids(np.array(core._registered, dtype="S24"))
    core._grow()
    dossier = np.array([n[:2] == b"2C" for n in core._epcs.names], bool)
    active = core.read_ever & ~core.placed & dossier & (core.sup[:, 0] >= 0)
    if not active.any():
        return []
    space = int(np.bincount(m.c_space[core.sup[active, 0]], minlength=len(m.space_ids)).argmax())
    gen = core.gen_of_space[space]
    todo = np.unique(ids[~core.read_ever[ids] & ~core.placed[ids] & (core.sup[ids, 0] < 0)])
    return [(int(t_us), int(i), int(gen[0])) for i in todo] if len(gen) else []


def road_trips(core, t_us: int) -> list[tuple[int, int, int]]:
    """Rows (t_us, tag, candidate) of checked-out dossiers gone by road (`OffsitePrior.due` on the shown places)."""
    if not core.offsite.checkout:
        return []
    core._grow()

    def tag_of(epcs: list[str]) -> np.ndarray:
        ids = core._epcs.ids(np.array([e.encode("ascii") for e in epcs], dtype="S24"))
        core._grow()
        return ids

    t, tags, sp = core.offsite.due(int(t_us), tag_of, core.last_read, core.last_space, core.outside)
    rows = []
    for ti, i, s in zip(t.tolist(), tags.tolist(), sp.tolist()):
        gen = core.gen_of_space[s]
        if len(gen):
            rows.append(_set(core, int(i), int(gen[0]), 1.0, ti))
    return [r for r in rows if r is not None]
