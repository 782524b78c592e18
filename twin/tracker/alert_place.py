"""Alert rules on where tags are: left_building, drawer (twin.tracker.alert_drawer), missing, misfiled, separated.

Each rule reads the per-tag state kept by twin.tracker.alerts (estimated space, unit, holder, time of the last change)
and the site's kinds; it raises through the alert book (deduplicated, cleared on resolution). Rule times are the
times the rule's condition became true (event time, never before its evidence).

The clock rules are change-driven: an estimate change, a business event or new shelf credits mark the tags whose
condition may have changed (dirty sets), and each tick judges those plus the tags already waiting on a deadline
(left in a room, apart from their case), in the state's order, instead of walking every tag.
"""

from __future__ import annotations

import numpy as np

from .alert_exit import left_building
from .events import home_in
from .kernels_alerts import shelf_judged, taken_out

STORAGE_ROOMS = ("dossier_room", "archive", "evidence_room")
SHELF_KINDS = ("shelf", "cabinet")
_NONE = np.zeros(0, bool)


def local_day_time_us(t_us: int, offset_s: int, clock_s: float) -> int:
    """The latest time <= t_us at which the local clock showed clock_s (seconds after midnight)."""
    day_us = 86_400_000_000
    local = t_us + offset_s * 1_000_000
    mark = (local // day_us) * day_us + int(clock_s * 1e6)
    if mark > local:
        mark -= day_us
    return mark - offset_s * 1_000_000


class PlaceRules:
    def __init__(self, site, cfg, book, evidence) -> None:
        self.cfg, self.book, self.ev = cfg, book, evidence
        self.space_kind = {s["id"]: s.get("kind", "") for s in site.get("spaces", [])}
        self.purpose = {s["id"]: s.get("purpose", "") for s in site.get("spaces", [])}
        self.unit_kind = {u["id"]: u.get("kind", "") for u in site.get("storage", [])}
        self.checked_out: set[str] = set()
        self.held_in_force: dict[str, str] | None = None  # custody's holder per tag, when the workspace shares it
        self.indoors: dict[str, bool] = {}  # dossier epc -> last estimated inside the building (False: external)
        self.in_since: dict[str, int] = {}  # dossier epc -> when its estimate last came inside
        self.going_out: dict[str, tuple] = {}  # dossier epc -> (since when out without checkout, space it left by)
        self.came_back: set[str] = set()  # of those, estimated back in the space it left by (not settled yet)
        self.case_of: dict[str, str] = {}  # item / dossier epc -> case
        self.dossiers_of: dict[str, set[str]] = {}  # case -> dossier epcs
        self.home: dict[str, str] = {}  # dossier epc -> home unit
        self.away: set[str] = set()  # dossiers taken out of their storage room since their last rest
        self.rested: dict[str, int] = {}  # dossier epc -> evidence column of the shelf that won before it left
        self.alone: dict[str, int] = {}  # dossier epc -> since when alone in a non-workspace room
        self.carried_to: dict[str, str] = {}  # dossier epc -> the space a badge last carried it in
        self.badge_in: dict[str, int] = {}  # space -> when a badge last passed into it
        self.badge_out: dict[str, int] = {}  # space -> when a badge last passed out of it
        self.carrier: dict[str, str] = {}  # dossier epc -> the holder that last carried it
        self.name_in: dict[tuple[str, str], int] = {}  # (holder name, space) -> when that badge last entered it
        self.name_out: dict[tuple[str, str], int] = {}  # (holder name, space) -> when that badge last left it
        self.badge_names: dict[str, str] | None = None  # badge epc -> holder name (custody's, when shared)
        self.apart: dict[str, int] = {}  # item epc -> since when apart from its case's dossiers
        self.met: set[str] = set()  # items seen beside a volume of their case since they last left the evidence room
        self.shelved: set[str] = set()  # items a storage room's antenna still hears (re-judged on the clock)
        self.last_drawer_us = None
        self.upcoming_mark: int | None = None  # the next drawer mark (twin.tracker.alert_drawer)
        self.mark_state: dict[str, dict | None] = {}  # epc -> its state at that mark, for tags changed past it
        self.mark_ev = None  # the read evidence as it stood at the last tick before the mark
        # change-driven bookkeeping (Alerts shares its per-tag state, first-seen order and tag id -> epc map)
        self.state: dict[str, dict] = {}
        self.seq: dict[str, int] = {}  # epc -> position in the state's order
        self.epc_of: dict[int, str] = {}
        self.items_of: dict[str, set[str]] = {}  # case -> item epcs
        self.cases_of: dict[str, set[str]] = {}  # dossier epc -> cases it is a volume of
        self.dirty_room: set[str] = set()  # dossiers whose left-in-a-room condition may have changed
        self.room: set[str] = set()  # dossiers carried into a non-storage, non-workspace room and resting there
        self.dirty_items: set[str] = set()  # items whose apart-from-their-case condition may have changed
        self.dirty_shelf: set[str] = set()  # dossiers to re-judge for homes and misfiled returns besides new credits
        self.home_tag = np.zeros(0, bool)  # per tag id: has a home and is in the state
        self.away_tag = np.zeros(0, bool)  # per tag id: in `away`
        self.dossier_tag = np.zeros(0, bool)  # per tag id: its kind is dossier

    # -- business events -------------------------------------------------------------------------------------------
    def event(self, e: dict) -> None:
        kind, epc = e.get("kind"), e.get("epc") or ""
        if kind == "checkout" and epc:
            self.checked_out.add(epc)
            self.dirty_room.add(epc)
        elif kind == "checkin" and epc:
            self.checked_out.discard(epc)
            self.dirty_room.add(epc)
        elif kind == "register" and epc:
            case = e.get("case") or ""
            self.case_of[epc] = case
            self.dossiers_of.setdefault(case, set()).add(epc)
            self.cases_of.setdefault(epc, set()).add(case)
            self.dirty_items |= self.items_of.get(case, set())
            if home := home_in(str(e.get("detail") or "")):
                self.home[epc] = home  # the unit the case software assigned at registration
                self._mark_home(epc)
                self.dirty_shelf.add(epc)
        elif kind == "item_register" and epc:
            case = e.get("case") or ""
            self.case_of[epc] = case
            self.items_of.setdefault(case, set()).add(epc)
            self.dirty_items.add(epc)
        elif kind == "archive" and epc and e.get("detail"):
            self.home[epc] = str(e["detail"])
            self._set_away(epc, False)
            self._mark_home(epc)
            self.dirty_shelf.add(epc)

    def _grow(self, n: int) -> None:
        k = n - len(self.home_tag)
        if k > 0:
            self.home_tag = np.concatenate([self.home_tag, np.zeros(k, bool)])
            self.away_tag = np.concatenate([self.away_tag, np.zeros(k, bool)])
            self.dossier_tag = np.concatenate([self.dossier_tag, np.zeros(k, bool)])

    def _mark_home(self, epc: str) -> None:
        st = self.state.get(epc)
        if st is not None and epc in self.home:
            self._grow(st["tag"] + 1)
            self.home_tag[st["tag"]] = True

    def _set_away(self, epc: str, away: bool) -> None:
        (self.away.add if away else self.away.discard)(epc)
        st = self.state.get(epc)
        if st is not None:
            self._grow(st["tag"] + 1)
            self.away_tag[st["tag"]] = away

    def was_in(self, epc: str, t: int) -> bool:
        """Inside the building for left_inside_s before t: on its way out (an arrival is heard at the door first)."""
        return bool(self.indoors.get(epc)) and t - self.in_since.get(epc, t) >= int(self.cfg.left_inside_s * 1e6)

    def outside(self, space: str, unit: str) -> bool:
        """Outside the building on the station's grounds (external places are reached by road under a checkout
        or an off-site stage the core cannot always see, e.g. one begun before it started)."""
        return self.space_kind.get(space) == "outside" or self.unit_kind.get(unit) == "vehicle"

    # -- on an estimate change --------------------------------------------------------------------------------------
    def changed(self, st: dict, epc: str, t: int, old_space: str) -> None:
        book, space, unit, kind, g = self.book, st["space"], st["storage"], st["kind"], st["tag"]
        if g >= len(self.dossier_tag):
            self._grow(g + 1)
        self.dossier_tag[g] = kind == "dossier"
        if kind == "item":
            self.dirty_items.add(epc)
        elif kind == "dossier":
            self.dirty_room.add(epc)
            self.dirty_shelf.add(epc)
            for c in self.cases_of.get(epc, ()):
                self.dirty_items |= self.items_of.get(c, set())
            if epc in self.home:
                self._mark_home(epc)
                if epc in self.away:
                    self._set_away(epc, True)
        if kind == "badge" and space != old_space:
            name = (self.badge_names or {}).get(epc, epc)
            if space:
                self.badge_in[space] = self.name_in[(name, space)] = t
            if old_space:
                self.badge_out[old_space] = self.name_out[(name, old_space)] = t
        if kind == "dossier":
            if st["holder"]:
                self.carried_to[epc] = space
                self.carrier[epc] = st["holder"]
            elif space != old_space:
                self.carried_to.pop(epc, None)  # moved without a holder: no put-down seen here
            sk = self.space_kind.get(space)
            if sk == "external":
                self.indoors[epc] = False  # at court, the procuratorate: what comes next is a return
            elif space and sk != "outside":
                if not self.indoors.get(epc):
                    self.in_since[epc] = t  # came in (or first seen inside)
                self.indoors[epc] = True
            if self.outside(space, unit):
                if epc not in self.checked_out and self.was_in(epc, t) and epc not in self.going_out:
                    self.going_out[epc] = (t, old_space)  # on its way out, not back in: judged by _left
                self.came_back.discard(epc)
            else:
                g = self.going_out.get(epc)
                # back inside: settled once its estimate moves on from the door's inside space it went out by
                # (an estimate that only flicks back there and then hears nothing more is still out)
                if g is not None and (space != g[1] or epc in self.came_back):
                    del self.going_out[epc]
                    self.came_back.discard(epc)
                elif g is not None:
                    self.came_back.add(epc)
                book.clear(t, "left_building", epc)
            if unit and self.unit_kind.get(unit) in SHELF_KINDS and self.home.get(epc) == unit:
                book.clear(t, "misfiled", epc)
            if self.purpose.get(space) in STORAGE_ROOMS or st["holder"]:
                book.clear(t, "drawer", epc)
            book.clear(t, "missing", epc)

    # -- on the clock ----------------------------------------------------------------------------------------------
    def tick(self, now_us: int, state: dict[str, dict]) -> None:
        """Judge the tags marked since the last tick and those waiting on a deadline."""
        left_building(self, now_us, state)
        self._shelves(now_us, state)
        from .alert_drawer import drawer

        drawer(self, now_us, state)
        self._abandoned(now_us, state)
        self._separated(now_us, state)

    def _shelves(self, now_us: int, state: dict[str, dict]) -> None:
        """Homes and misfiled returns from the shelf antennas' inventories (ReadEvidence), not from the estimates.

        A dossier's home is its archive event's unit, else its registration's, else the shelf that won `misfile_periods` inventories before
        it was first taken out. A dossier taken out since and now won `misfile_periods` times by another shelf of the
        storage rooms, its own shelf never, is misfiled (at the end of the inventory that made it so), unless that
        shelf is the one that won before it was taken out (a registered home whose antenna never hears the file while
        a neighbour's does: back where it was is no misfiling); it is cleared when its own shelf wins an inventory
        again."""
        ev, need = self.ev, int(self.cfg.misfile_periods)
        if not ev.units:
            return
        self._taken_out(now_us, state)
        # only tags with new shelf credits (or a new home, or just seen) can change their verdict since the last tick
        dirty = self.dirty_shelf
        self.dirty_shelf = set()
        epc_of, seq = self.epc_of, self.seq
        # of those, only dossiers without a home, taken out, or with a misfiled alert open can change a verdict
        # (ev.take_touched and that test in one compiled pass; _taken_out grew the masks to the evidence's length)
        open_mask = _NONE
        if self.book.misfiled:
            open_mask = np.zeros(len(ev.touched), bool)
            open_mask[[g for g in (state[e]["tag"] for e in self.book.misfiled if e in state)
                       if g < len(open_mask)]] = True  # fmt: skip
        judged = shelf_judged(ev.touched, self.dossier_tag, self.home_tag, self.away_tag, open_mask)
        dirty.update(epc_of[g] for g in judged.tolist() if g in epc_of)
        dirty = [e for e in dirty if e in state]
        homeless = sorted((e for e in dirty if e not in self.home and state[e]["kind"] == "dossier"),
                          key=seq.__getitem__)  # fmt: skip
        cand = sorted(e for e in dirty if e in self.away)
        opened = sorted(e for e in dirty if ("misfiled", e) in self.book.open)
        epcs = homeless + cand + opened
        if not epcs:
            return
        tags = np.array([state[e]["tag"] for e in epcs], np.int64)
        ev.grow(int(tags.max()) + 1 if len(tags) else 0)
        col, _ = ev.resting(tags, need)
        nh = len(homeless)
        for i in np.flatnonzero(col[:nh] >= 0).tolist():
            self.home[epcs[i]] = ev.units[int(col[i])]
            self._mark_home(epcs[i])
        for i in range(nh, nh + len(cand)):
            e, c = epcs[i], int(col[i])
            home = self.home.get(e)
            if c < 0 or home is None:
                continue
            if ev.units[c] == home or self.rested.get(e) == c:
                # back home, or where it rested before it was taken out (a home shelf whose antenna never hears it,
                # a neighbour's does: the same signature as before is no misfiling): the return is checked, and the
                # next taking out starts its credits afresh (a file left `away` kept its home's credits, and a
                # later misfiling was never seen)
                self._set_away(e, False)
                continue
            h = ev.col_of.get(home, -1)
            if h >= 0 and ev.wins[tags[i], h] > 0:
                continue
            t = min(ev.period_end_us(int(tags[i]), c), now_us)
            if self.book.raise_(t, "misfiled", e, state[e]["space"], "", f"on {ev.units[c]}, home {home}"):
                self._set_away(e, False)
        for i in range(nh + len(cand), len(tags)):
            e = epcs[i]
            h = ev.col_of.get(self.home.get(e, ""), -1)
            if h >= 0 and ev.wins[tags[i], h] > 0:
                self.book.clear(now_us, "misfiled", e)

    def _taken_out(self, now_us: int, state: dict[str, dict]) -> None:
        """Dossiers with a home heard by a desk or room antenna elsewhere after the storage rooms' antennas last
        reported them, away_quiet_s ago or more, left storage: their
        next rest on a shelf is a return, to be checked (estimates that flicker out of the room while the shelves
        still hear the file say nothing)."""
        ev = self.ev
        self._grow(len(ev.last_store_us))
        n = len(self.home_tag)
        ev.grow(n)
        out = taken_out(self.home_tag, self.away_tag, ev.last_store_us, ev.last_else_us, now_us,
                        int(self.cfg.away_quiet_s * 1e6))  # fmt: skip
        if len(out):
            col, _ = ev.resting(out, int(self.cfg.misfile_periods))
            for g, c in zip(out.tolist(), col.tolist()):
                self.away.add(self.epc_of[g])
                if c >= 0:
                    self.rested[self.epc_of[g]] = c
        self.away_tag[out] = True
        ev.reset(out)

    def _left_room(self, epc: str, st: dict) -> bool:
        """Carried by a badge into a room that is neither storage nor a workspace (interview, meeting) and resting
        there (its estimate may keep the carrier's name: the put-down shows as that badge's passage out)."""
        sp = st["space"]
        return (bool(sp) and epc not in self.checked_out and self.carried_to.get(epc) == sp
                and self.space_kind.get(sp) == "room"
                and self.purpose.get(sp) not in STORAGE_ROOMS + tuple(self.cfg.workspace_purposes))

    def _abandoned(self, now_us: int, state) -> None:
        """A dossier put down in a room that is neither storage nor an officer's workspace (an interview room, a
        meeting room) and left there: missing (forgotten where it was used). The evidence is a put-down-and-leave:
        a badge carried it into the room, it stays there, that badge then passed out of the room while it stayed,
        and did not pass back in for abandoned_s (another badge leaving a meeting says nothing of this file). A
        badge merely not estimated in the room says nothing (badge estimates inside a room are unreliable; its
        portal passages are not)."""
        lim = int(self.cfg.abandoned_s * 1e6)
        for epc in self.dirty_room:
            st = state.get(epc)
            if st is not None and st["kind"] == "dossier" and self._left_room(epc, st):
                self.room.add(epc)
            else:
                self.room.discard(epc)
                self.alone.pop(epc, None)
        self.dirty_room = set()
        for epc in sorted(self.room, key=self.seq.__getitem__):
            st = state[epc]
            sp = st["space"]
            who = self.carrier.get(epc)
            # the carrier's own passage out (when its badge is known), else any badge's
            left = self.name_out.get((who, sp), -1) if who else self.badge_out.get(sp, -1)
            if left < st["since"]:
                self.alone.pop(epc, None)  # nobody has left the room since it was put down
                continue
            t0 = self.alone.setdefault(epc, left)
            back = self.name_in.get((who, sp), -1) if who else self.badge_in.get(sp, -1)
            if back > t0:  # someone came back: alone again only from a later passage out
                if left <= back:
                    self.alone.pop(epc, None)
                    continue
                self.alone[epc] = t0 = left
            if now_us - t0 >= lim:
                self.book.raise_(t0 + lim, "missing", epc, sp, "", "put down and left outside storage")

    def _separated(self, now_us: int, state) -> None:
        lim = int(self.cfg.separated_s * 1e6)
        todo = self.dirty_items | self.apart.keys() | self.shelved
        self.dirty_items = set()
        for epc in sorted((e for e in todo if e in state), key=self.seq.__getitem__):
            st = state[epc]
            if st["kind"] != "item":
                continue
            case = self.case_of.get(epc)
            vols = self.dossiers_of.get(case or "", ())
            sp = st["space"]
            if not sp or self.purpose.get(sp) == "evidence_room":
                self.met.discard(epc)
            beside = bool(sp) and any(state.get(d, {}).get("space") == sp for d in vols)
            if beside and self.purpose.get(sp) != "evidence_room":
                self.met.add(epc)
            # parted: its case's volumes have all gone back to storage while the item stays out (a volume taken to
            # an interview while its evidence waits on the officer's desk is still in use, not parted from it)
            vs = [state[d]["space"] for d in vols if d in state]
            stored = bool(vs) and all(self.purpose.get(v) in STORAGE_ROOMS for v in vs)
            together = (not sp or self.purpose.get(sp) == "evidence_room" or st["holder"] or beside or not stored
                        or epc not in self.met)  # an item never seen with its case has not parted from it
            g, ev = st["tag"], self.ev  # ... nor one a storage room's antenna still hears (the estimate lags)
            shelved = (not together and g < len(ev.last_store_us)
                       and ev.last_store_us[g] >= now_us - int(self.cfg.away_quiet_s * 1e6))  # fmt: skip
            (self.shelved.add if shelved else self.shelved.discard)(epc)  # judged again each tick while so
            together = together or shelved
            if together:
                self.apart.pop(epc, None)
                self.book.clear(now_us, "separated", epc)
                continue
            t0 = self.apart.setdefault(epc, now_us)
            if now_us - t0 >= lim:
                self.book.raise_(t0 + lim, "separated", epc, sp, "", f"apart from case {case}")
