"""Alert rules on where tags are: left_building, drawer, missing, misfiled, separated.

Each rule reads the per-tag state kept by twin.tracker.alerts (estimated space, unit, holder, time of the last change)
and the site's kinds; it raises through the alert book (deduplicated, cleared on resolution). Rule times are the
times the rule's condition became true (event time, never before its evidence).
"""

from __future__ import annotations

import numpy as np

STORAGE_ROOMS = ("dossier_room", "archive", "evidence_room")
SHELF_KINDS = ("shelf", "cabinet")


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
        self.case_of: dict[str, str] = {}  # item / dossier epc -> case
        self.dossiers_of: dict[str, set[str]] = {}  # case -> dossier epcs
        self.home: dict[str, str] = {}  # dossier epc -> home unit
        self.away: set[str] = set()  # dossiers taken out of their storage room since their last rest
        self.alone: dict[str, int] = {}  # dossier epc -> since when alone in a non-workspace room
        self.carried_to: dict[str, str] = {}  # dossier epc -> the space a badge last carried it in
        self.badge_in: dict[str, int] = {}  # space -> when a badge last passed into it
        self.badge_out: dict[str, int] = {}  # space -> when a badge last passed out of it
        self.apart: dict[str, int] = {}  # item epc -> since when apart from its case's dossiers
        self.met: set[str] = set()  # items seen beside a volume of their case since they last left the evidence room
        self.last_drawer_us = None

    # -- business events -------------------------------------------------------------------------------------------
    def event(self, e: dict) -> None:
        kind, epc = e.get("kind"), e.get("epc") or ""
        if kind == "checkout" and epc:
            self.checked_out.add(epc)
        elif kind == "checkin" and epc:
            self.checked_out.discard(epc)
        elif kind == "register" and epc:
            self.case_of[epc] = e.get("case") or ""
            self.dossiers_of.setdefault(e.get("case") or "", set()).add(epc)
        elif kind == "item_register" and epc:
            self.case_of[epc] = e.get("case") or ""
        elif kind == "archive" and epc and e.get("detail"):
            self.home[epc] = str(e["detail"])
            self.away.discard(epc)

    def outside(self, space: str, unit: str) -> bool:
        """Outside the building on the station's grounds (external places are reached by road under a checkout
        or an off-site stage the core cannot always see, e.g. one begun before it started)."""
        return self.space_kind.get(space) == "outside" or self.unit_kind.get(unit) == "vehicle"

    # -- on an estimate change --------------------------------------------------------------------------------------
    def changed(self, st: dict, epc: str, t: int, old_space: str) -> None:
        book, space, unit, kind = self.book, st["space"], st["storage"], st["kind"]
        if kind == "badge" and space != old_space:
            if space:
                self.badge_in[space] = t
            if old_space:
                self.badge_out[old_space] = t
        if kind == "dossier":
            if st["holder"]:
                self.carried_to[epc] = space
            elif space != old_space:
                self.carried_to.pop(epc, None)  # moved without a holder: no put-down seen here
            if self.outside(space, unit):
                if epc not in self.checked_out:
                    book.raise_(t, "left_building", epc, space, st["holder"], f"at {unit or space} without checkout")
            else:
                book.clear(t, "left_building", epc)
            if unit and self.unit_kind.get(unit) in SHELF_KINDS and self.home.get(epc) == unit:
                book.clear(t, "misfiled", epc)
            if self.purpose.get(space) in STORAGE_ROOMS or st["holder"]:
                book.clear(t, "drawer", epc)
            book.clear(t, "missing", epc)

    # -- on the clock ----------------------------------------------------------------------------------------------
    def tick(self, now_us: int, state: dict[str, dict], of_kind=None) -> None:
        """of_kind(kind) -> the epcs of that kind in the state's order (default: a scan of the state)."""
        if of_kind is None:
            def of_kind(kind):
                return [e for e, st in state.items() if st["kind"] == kind]
        self._shelves(now_us, state, of_kind)
        self._drawer(now_us, state)
        self._abandoned(now_us, state, of_kind)
        self._separated(now_us, state, of_kind)

    def _shelves(self, now_us: int, state: dict[str, dict], of_kind) -> None:
        """Homes and misfiled returns from the shelf antennas' inventories (ReadEvidence), not from the estimates.

        A dossier's home is its archive event's unit, else the shelf that won `misfile_periods` inventories before
        it was first taken out. A dossier taken out since and now won `misfile_periods` times by another shelf of the
        storage rooms, its own shelf never, is misfiled (at the end of the inventory that made it so); it is cleared
        when its own shelf wins an inventory again."""
        ev, need = self.ev, int(self.cfg.misfile_periods)
        if not ev.units:
            return
        self._taken_out(now_us, state)
        homeless = [e for e in of_kind("dossier") if e not in self.home]
        cand = sorted(e for e in self.away if e in state)
        opened = sorted(e for (k, e) in self.book.open if k == "misfiled" and e in state)
        epcs = homeless + cand + opened
        tags = np.array([state[e]["tag"] for e in epcs], np.int64)
        ev.grow(int(tags.max()) + 1 if len(tags) else 0)
        col, _ = ev.resting(tags, need)
        nh = len(homeless)
        for i in np.flatnonzero(col[:nh] >= 0).tolist():
            self.home[epcs[i]] = ev.units[int(col[i])]
        for i in range(nh, nh + len(cand)):
            e, c = epcs[i], int(col[i])
            home = self.home.get(e)
            if c < 0 or home is None or ev.units[c] == home:
                continue
            h = ev.col_of.get(home, -1)
            if h >= 0 and ev.wins[tags[i], h] > 0:
                continue
            t = min(ev.period_end_us(int(tags[i]), c), now_us)
            if self.book.raise_(t, "misfiled", e, state[e]["space"], "", f"on {ev.units[c]}, home {home}"):
                self.away.discard(e)
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
        epcs = [e for e in self.home if e in state and e not in self.away]
        if not epcs:
            return
        tags = np.array([state[e]["tag"] for e in epcs], np.int64)
        ev.grow(int(tags.max()) + 1)
        last, other = ev.last_store_us[tags], ev.last_else_us[tags]
        out = np.flatnonzero((last >= 0) & (other > last) & (now_us - last > int(self.cfg.away_quiet_s * 1e6)))
        for i in out.tolist():
            self.away.add(epcs[i])
        ev.reset(tags[out])

    def _drawer(self, now_us: int, state) -> None:
        cfg = self.cfg
        mark = local_day_time_us(now_us, cfg.utc_offset_s, cfg.end_of_day_s + cfg.drawer_grace_s)
        if self.last_drawer_us is None:
            self.last_drawer_us = mark  # policy times before the core started are not judged
            return
        if mark <= self.last_drawer_us:
            return
        self.last_drawer_us = mark
        quiet = mark - int(cfg.drawer_quiet_s * 1e6)
        seen = mark - int(cfg.drawer_seen_s * 1e6)
        heard, other = self.ev.last_store_us, self.ev.last_else_us
        for epc, st in sorted(state.items()):
            g = st["tag"]
            if g >= len(heard) or heard[g] >= quiet or other[g] < seen or other[g] <= heard[g]:
                continue  # a storage room still hears it, or nothing outside storage has of late: no evidence
            if st["kind"] == "dossier" and not st["holder"] and self.purpose.get(st["space"]) in cfg.workspace_purposes:
                self.book.raise_(mark, "drawer", epc, st["space"], "", f"at {st['storage'] or st['space']} past end of day")

    def _left_room(self, epc: str, st: dict) -> bool:
        """Carried by a badge into a room that is neither storage nor a workspace (interview, meeting) and resting
        there (its estimate may keep the carrier's name: the put-down shows as that badge's passage out)."""
        sp = st["space"]
        return (bool(sp) and epc not in self.checked_out and self.carried_to.get(epc) == sp
                and self.space_kind.get(sp) == "room"
                and self.purpose.get(sp) not in STORAGE_ROOMS + tuple(self.cfg.workspace_purposes))

    def _abandoned(self, now_us: int, state, of_kind) -> None:
        """A dossier put down in a room that is neither storage nor an officer's workspace (an interview room, a
        meeting room) and left there: missing (forgotten where it was used). The evidence is a put-down-and-leave:
        a badge carried it into the room, it stays there, a badge then passed out of the room while it stayed,
        and no badge passed back in for abandoned_s. A badge merely not estimated in the room says nothing (badge
        estimates inside a room are unreliable; its portal passages are not)."""
        lim = int(self.cfg.abandoned_s * 1e6)
        for epc in of_kind("dossier"):
            st = state[epc]
            sp = st["space"]
            if not self._left_room(epc, st):
                self.alone.pop(epc, None)
                continue
            left = self.badge_out.get(sp, -1)
            if left < st["since"]:
                self.alone.pop(epc, None)  # nobody has left the room since it was put down
                continue
            t0 = self.alone.setdefault(epc, left)
            back = self.badge_in.get(sp, -1)
            if back > t0:  # someone came back: alone again only from a later passage out
                if left <= back:
                    self.alone.pop(epc, None)
                    continue
                self.alone[epc] = t0 = left
            if now_us - t0 >= lim:
                self.book.raise_(t0 + lim, "missing", epc, sp, "", "put down and left outside storage")

    def _separated(self, now_us: int, state, of_kind) -> None:
        lim = int(self.cfg.separated_s * 1e6)
        for epc in of_kind("item"):
            st = state[epc]
            case = self.case_of.get(epc)
            vols = self.dossiers_of.get(case or "", ())
            sp = st["space"]
            if not sp or self.purpose.get(sp) == "evidence_room":
                self.met.discard(epc)
            beside = bool(sp) and any(state.get(d, {}).get("space") == sp for d in vols)
            if beside and self.purpose.get(sp) != "evidence_room":
                self.met.add(epc)
            together = (not sp or self.purpose.get(sp) == "evidence_room" or st["holder"] or not vols or beside
                        or epc not in self.met)  # an item never seen with its case has not parted from it
            if together:
                self.apart.pop(epc, None)
                self.book.clear(now_us, "separated", epc)
                continue
            t0 = self.apart.setdefault(epc, now_us)
            if now_us - t0 >= lim:
                self.book.raise_(t0 + lim, "separated", epc, sp, "", f"apart from case {case}")
