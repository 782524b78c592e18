"""drawer: dossiers outside storage past the end of day, judged as they stood at the policy time.

The rule runs at the first tick past the day's mark (end_of_day_s + drawer_grace_s, local time), but an advance's
estimate changes and reads reach past the mark: files tidied in the minutes after it would be judged already back on
their shelves. So the estimates as they were at the mark (`mark_state`: a tag's state before its first change past
the mark, kept by `before_change`) and the read evidence as it was at the last tick before the mark (`snapshot`)
are what the rule reads. `rules` is the PlaceRules instance whose state, book and evidence these functions use.
"""

from __future__ import annotations

import copy

import numpy as np

from .alert_place import STORAGE_ROOMS, local_day_time_us

#: ReadEvidence arrays the drawer rule reads (copied for the snapshot before the mark)
_EVIDENCE = ("last_store_us", "last_else_us", "last_door_us", "last_door", "last_else_ant", "doors_since",
             "last_any_us")


def next_mark_us(rules, now_us: int) -> int:
    cfg = rules.cfg
    return local_day_time_us(now_us, cfg.utc_offset_s, cfg.end_of_day_s + cfg.drawer_grace_s) + 86_400_000_000


def before_change(rules, epc: str, t_us: int, st: dict | None) -> None:
    """An estimate change of this tag at t_us: keep its state as it stood at the coming mark, once."""
    if rules.upcoming_mark is not None and t_us > rules.upcoming_mark and epc not in rules.mark_state:
        rules.mark_state[epc] = dict(st) if st is not None else None


def snapshot(rules, now_us: int) -> None:
    """At a tick before the coming mark: the read evidence as it stands (copied within the hour before the mark)."""
    rules.upcoming_mark = mark = next_mark_us(rules, now_us)
    if mark - now_us <= 3_600_000_000:
        ev = copy.copy(rules.ev)
        for name in _EVIDENCE:
            setattr(ev, name, getattr(rules.ev, name).copy())
        rules.mark_ev = ev


def drawer(rules, now_us: int, state: dict[str, dict]) -> None:
    """At the mark, every dossier resting in a room outside storage that a storage room has not heard of late and
    something outside storage has (docs/tracker.md, drawer), unheld and not missing, carried into that room."""
    cfg = rules.cfg
    mark = local_day_time_us(now_us, cfg.utc_offset_s, cfg.end_of_day_s + cfg.drawer_grace_s)
    if rules.last_drawer_us is None:
        rules.last_drawer_us = mark  # policy times before the core started are not judged
    elif mark > rules.last_drawer_us:
        rules.last_drawer_us = mark
        _judge(rules, mark, state)
    rules.mark_state, rules.mark_ev = {}, None
    snapshot(rules, now_us)


def _judge(rules, mark: int, state: dict[str, dict]) -> None:
    cfg = rules.cfg
    quiet = mark - int(cfg.drawer_quiet_s * 1e6)
    seen = mark - int(cfg.drawer_seen_s * 1e6)
    ev = rules.mark_ev if rules.mark_ev is not None else rules.ev
    heard, other = ev.last_store_us, ev.last_else_us
    held = rules.held_in_force
    desks, lag = tuple(cfg.workspace_purposes), int(cfg.drawer_through_s * 1e6)
    for epc, now_st in sorted(state.items()):
        st = rules.mark_state.get(epc, now_st)
        if st is None:
            continue  # first seen after the mark
        g = st["tag"]
        if g >= len(heard) or heard[g] >= quiet or st["kind"] != "dossier":
            continue  # a storage room still hears it
        sp = st["space"]
        if rules.space_kind.get(sp) != "room" and other[g] > ev.last_door_us[g]:
            # a corridor estimate (often a carrier's, left behind): the room of the desk or room antenna that
            # heard it last, if no door's portal has reported it since
            sp = ev.else_space(g) or sp
        if rules.space_kind.get(sp) != "room" or rules.purpose.get(sp) in STORAGE_ROOMS:
            continue
        if not (other[g] >= seen and other[g] > heard[g] and ev.else_space(g) == sp) and not (
                rules.purpose.get(sp) in desks and ev.last_through(g, sp)
                and (st["since"] >= ev.last_door_us[g] - lag or ev.left_storage(g))):
            # nothing of this room outside storage has heard it of late (a desk next door that heard it before it
            # was carried on down the corridor says nothing of this room), nor was it last heard going in through
            # this room's door, its estimate there since, or heard by this room's door after it was carried out of
            # storage (a door's portal that keeps hearing a shelved file next door says nothing)
            continue
        if ev.into_storage(np.array([g]), mark, int(cfg.drawer_quiet_s * 1e6))[0]:
            continue  # last through a storage room's door after a desk last heard it: back on the shelves
        if epc in rules.mark_state:
            holder = st["holder"]  # as the estimate stood at the mark (custody has moved on since)
        else:
            holder = held.get(epc, st["holder"]) if held is not None else st["holder"]
        if holder and st["since"] < quiet:
            holder = ""  # named after a badge, but its estimate has not moved for drawer_quiet_s: lying by its
            # officer (a desk beside a badge that sits on past the mark), not carried
        if holder or ("missing", epc) in rules.book.open:
            continue  # carried (custody: its holder has not walked away from it), or already missing
        if not ev.passed_into(g, sp):
            continue  # never through a door of this room since storage heard it: heard through a wall
        rules.book.raise_(mark, "drawer", epc, sp, "", f"at {st['storage'] or sp} past end of day")


__all__ = ["before_change", "drawer", "next_mark_us", "snapshot"]
