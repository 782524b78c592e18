"""Custody: who holds each dossier and item over time, from the estimates' holders and recorded hand-overs.

The locator names a holder when a tag changes space with an officer's badge (twin.tracker.holder). Custody keeps the
holder in force per tag, writes a custody row on every change (`how`: badge, handover, registered, inferred), and
flags a change of holder from one officer straight to another (no rest in storage between), made where the old
holder's badge stood after the tag stayed there `min_stay_s` and confirmed by the tag moving on with the new holder
(whose badge is estimated where the tag went by the end of that advance), that no `handover` business event for the
tag backs within `handover_window_s`: an `unrecorded_handover` alert, raised once `handover_window_s` has passed
without the event. A tag whose holder's badge leaves its space without it is put
down (`how` inferred, holder empty).

An in-person hand-over that ends on a desk is flagged too (the receiver takes the file and puts it down, so the tag
never moves on with them at once): the tag came in with A's badge and A put it down (storage estimate, or A's badge
walking away without it) on a unit (a desk: its storage estimate); B's badge was in the room from before the file
came (`receiver_lead_s`: not a companion who carried it in) and at the put-down; later, within `keep_s` (a working
day), B's badge is the one that carries it on, while A's is elsewhere, and the tag does not come back to that room
within `min_stay_s`; no `handover` event names the tag within `handover_window_s` of the put-down or of its coming
into the room (recorded as it is handed over; the desk estimate settles minutes later). The alert's time
is the put-down's (when custody passed); it is decided when B carries the file.

Neither is claimed when the core cannot tell who carried the file: the new holder's badge came into the room with
it (`receiver_lead_s`), or another badge came out beside it (`together_s`); nor is a put-down by a badge that left
the room before the file's estimate came (back) into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa


ARRIVALS_KEEP_S = 3600.0  # badge arrivals kept for `_along` (assumption: taken-on tags wait min_stay_s, not hours)


@dataclass(frozen=True)
class CustodyConfig:
    handover_window_s: float = 300.0  # a recorded hand-over this close to the inferred change backs it (assumption)
    min_stay_s: float = 60.0  # a hand-over happens where both stand: the tag stayed there at least this long
    release_s: float = 20.0  # the holder's badge left the tag's space this long ago without the tag: put down
    keep_s: float = 10 * 3600.0  # a put-down file carried on by one who was there is a hand-over this long after
    # (a working day: a reviewed file handed back in the morning is often carried on only at the evening tidy)
    receiver_lead_s: float = 60.0  # the receiver's badge was in the room this long before the file came in
    #: another badge coming into the tag's new space this close to the taker's taking it on: who carried it is not
    #: known, no hand-over is claimed (assumption; the locator's holder_window_s)
    together_s: float = 3.0


def _rows(events: Any) -> list[dict]:
    if events is None:
        return []
    return events.to_pylist() if isinstance(events, pa.Table) else [dict(e) for e in events]


class Custody:
    """Holder in force per tag; custody rows and unrecorded_handover alert rows (state raised)."""

    def __init__(self, config: CustodyConfig | None = None):
        self.config = config or CustodyConfig()
        self.holder: dict[str, str] = {}  # epc -> holder in force ("" when resting)
        self.held: dict[str, set[str]] = {}  # holder -> epcs in force with them
        self.space: dict[str, str] = {}  # epc -> estimated space (every tag kind, badges included)
        self.name_of: dict[str, str] = {}  # badge epc -> the holder name the locator gives it
        self.badge_of: dict[str, str] = {}  # holder name -> badge epc
        self.alias: dict[str, str] = {}  # a badge's former holder name -> its present one
        self.recorded: dict[str, list[int]] = {}  # epc -> times of recorded hand-overs
        self.space_before: dict[str, str | None] = {}  # epc -> space before its last change
        self.badge_space: dict[str, str] = {}  # holder name -> its badge's space
        self.entered: dict[str, int] = {}  # epc -> when it entered its space
        self.entered_prev: dict[str, int] = {}  # epc -> when it entered its space before the present one
        self.stay: dict[str, int] = {}  # epc -> how long it stayed in the space before its last change (µs)
        self.confirm: dict[str, tuple] = {}  # epc -> suspected hand-over waiting for the tag to move on with it
        self.pending: list[tuple[int, str, str, str, str]] = []  # (t, epc, from, to, space) awaiting an event
        self.storage: dict[str, str] = {}  # epc -> estimated storage unit
        self.on_unit: set[str] = set()  # put-down tags estimated on a storage unit (a desk) since
        self.leaving: dict[str, tuple] = {}  # epc -> (when taken on, hand-over) until it stays away `min_stay_s`
        self.taken: list[tuple[int, str, str, str, str]] = []  # hand-overs seen taken on, awaiting the taker's badge
        self.put_down: dict[str, tuple[int, str, str, frozenset]] = {}  # epc -> (t, by, space, badges there then)
        self.came_for: dict[tuple[int, str], int] = {}  # (put-down t, epc) -> when the tag came into that room
        self.arrivals: list[tuple[int, str, str]] = []  # (t, holder name, space) of badges changing space lately
        self._arrivals_sorted = True  # ... in time order (then _flush drops the old ones as a prefix)
        self.rows: list[dict] = []  # custody rows not yet taken
        self.alerts: list[dict] = []

    # -- input -----------------------------------------------------------------------------------------------------
    def apply(self, events: Any) -> None:
        for e in _rows(events):
            kind, epc, t = e.get("kind"), e.get("epc") or "", int(e.get("t_us") or 0)
            if not epc:
                continue
            if epc.startswith("2D") and e.get("officer"):  # GSRN-96: an officer's badge, named by the event
                self.name_badge(epc, str(e["officer"]))
                continue
            if kind == "handover":
                self.recorded.setdefault(epc, []).append(t)
                frm = e.get("detail") or ""
                self._row(t, epc, e.get("officer") or "", frm, "handover")
            elif kind in ("register", "item_register") and e.get("officer"):
                self._row(t, epc, e.get("officer") or "", "", "registered", keep=False)

    def name_badge(self, badge_epc: str, name: str) -> None:
        """The holder name the locator uses for a badge (officer id or the badge's URI); a new name for a badge (its
        officer learned from an event) makes the old one an alias of it."""
        old = self.name_of.get(badge_epc)
        if old is not None and old != name:
            self.alias[old] = name
            if old in self.badge_space:
                self.badge_space[name] = self.badge_space.pop(old)
            for e in self.held.pop(old, set()):
                self.held.setdefault(name, set()).add(e)
                self.holder[e] = name
        self.name_of[badge_epc] = name
        self.badge_of[name] = badge_epc

    _arrivals_sorted = False  # a checkpoint from before the flag: checked at the next flush

    def _canon(self, name: str) -> str:
        return self.alias.get(name, name) if name else name

    def update(self, t, epc, space, storage, holder, kind, now_us: int) -> None:
        """Estimate change rows of one advance (lists, time order); `kind` is the tag kind name per row."""
        w = int(self.config.release_s * 1e6)
        moved_badges: list[tuple[int, str, str]] = []
        moved_on: list[tuple[tuple, str]] = []
        for ti, e, s, u, h, k in zip(t, epc, space, storage, holder, kind):
            self.space_before[e] = self.space.get(e)
            came = self.entered.get(e)  # when it came into the space it was in before this row
            if self.space.get(e) != s:
                self.stay[e] = int(ti) - self.entered.get(e, int(ti))
                if e in self.entered:
                    self.entered_prev[e] = self.entered[e]
                self.entered[e] = int(ti)
            self.space[e] = s
            self.storage[e] = u or ""
            if k == "badge":
                if e in self.name_of:
                    if self.space_before[e] != s:
                        if self.arrivals and int(ti) < self.arrivals[-1][0]:
                            self._arrivals_sorted = False
                        self.arrivals.append((int(ti), self.name_of[e], s))
                    self.badge_space[self.name_of[e]] = s
                    self._with_tag(self.name_of[e])
                moved_badges.append((ti, e, s))
                continue
            if k not in ("dossier", "item"):
                continue
            lv = self.leaving.get(e)
            if lv is not None and s == lv[1][4]:  # back where it was put down: a flickering estimate, not taken
                del self.leaving[e]
            old = self.holder.get(e, "")
            new = "" if u else (self._canon(h) or old)
            if u and e in self.put_down:
                self.on_unit.add(e)
            c = self.confirm.get(e)
            if c is not None:  # a suspected hand-over counts once the tag moves on with the new holder
                if new == c[3] and self._canon(h) == c[3] and s != c[4]:
                    moved_on.append((c, e))
                    del self.confirm[e]
                elif new != c[3]:
                    del self.confirm[e]
            if new == old:
                continue
            if new:  # (old may be a recorded hand-over's receiver, its event taken in before this advance's rows)
                self._taken(int(ti), e, new, self.space_before.get(e))
            b_old = self.badge_space.get(old)
            dwelt = self.stay.get(e, 0) >= int(self.config.min_stay_s * 1e6)
            if old and new and dwelt and b_old is not None and b_old == self.space_before.get(e) and not self._backed(e, ti):
                b_came = self._came(new, b_old)  # ... not when the new holder came in with the tag: either carried it
                if b_came is None or came is None or abs(b_came - came) > int(self.config.receiver_lead_s * 1e6):
                    self.confirm[e] = (ti, e, old, new, s)
            self._row(ti, e, new, old, "badge" if new else "inferred")
            if old and not new:
                self._put(int(ti), e, old, s)
        for c in self.taken:  # a taker's badge still apart from the tag at the end of the advance: no hand-over
            self._with_tag(c[3])
        self.taken = []
        for c, e in moved_on:  # ... and that holder's badge went there too (not a resting tag's estimate flickering
            if self.badge_space.get(c[3]) == self.space.get(e):  # between rooms, named after a passer-by)
                self.pending.append(c)
        last = {b: i for i, (_, b, _) in enumerate(moved_badges)}
        for i, (ti, b, s) in enumerate(moved_badges):  # a holder walking away without the tag has put it down
            if last[b] != i:  # (its present place only: an earlier row of the advance may precede its taking the tag)
                continue
            h = self.name_of.get(b)
            for e in sorted(self.held.get(h, ())) if h else ():
                if self.space.get(e) not in (s, None):
                    self._row(ti + w, e, "", h, "inferred")
                    self._put(int(ti), e, h, self.space[e])
        self._flush(now_us)

    def _put(self, t: int, e: str, by: str, sp: str) -> None:
        """A holder put the tag down in `sp`: remember who else stood there from before the tag came (only when the
        tag came in with the holder's badge: not a resting tag's estimate named after a passer-by)."""
        lead, came = int(self.config.receiver_lead_s * 1e6), self.entered.get(e, t)
        b = self.badge_of.get(self._canon(by), "")
        if self.space.get(b) != sp and self.entered.get(b, t) < came:  # it walked away before the tag came: a
            return  # resting tag's estimate back from a flicker
        b_came = self._came(by, sp)
        if b_came is None or abs(b_came - came) > lead:
            return
        there = frozenset(n for n, b_sp in self.badge_space.items()
                          if b_sp == sp and n != by and self.entered.get(self.badge_of.get(n, ""), t) + lead <= came)
        self.put_down[e] = (t, self._canon(by), sp, there)
        self.came_for[(t, e)] = came
        (self.on_unit.add if self.storage.get(e) else self.on_unit.discard)(e)

    def _came(self, name: str, sp: str) -> int | None:
        """When the holder's badge came into `sp`, where it is or which it has just left; None: neither."""
        b = self.badge_of.get(self._canon(name), "")
        if self.space.get(b) == sp:
            return self.entered.get(b)
        if self.space_before.get(b) == sp:
            return self.entered_prev.get(b)
        return None

    def _taken(self, t: int, e: str, by: str, frm: str | None) -> None:
        """A holder carries the tag on: one who was there when another put it down took it over."""
        p = self.put_down.pop(e, None)
        if p is None or e not in self.on_unit or frm != p[2] or t - p[0] > int(self.config.keep_s * 1e6):
            return
        t0, a, sp, there = p
        if by != a and by in {self._canon(n) for n in there} and self.badge_space.get(a) != sp and self.space[e] != sp:
            if not self._backed(e, t0, self.came_for.get((t0, e))):
                self.taken.append((t0, e, a, by, sp))
                self._with_tag(by)

    def _with_tag(self, name: str) -> None:
        """Taken-on hand-overs whose taker's badge is (now, as rows come in time order) where the tag is: pending."""
        for c in [c for c in self.taken if c[3] == name and self.badge_space.get(name) == self.space.get(c[1])]:
            self.taken.remove(c)
            self.leaving[c[1]] = (self.entered.get(c[1], c[0]), c, self.space.get(c[1], ""))

    def _along(self, t: int, sp: str, taker: str) -> bool:
        """Another badge came into `sp` within together_s of t (the tag taken on there by `taker`): either may carry
        it (a sitter's badge by the door dragged out by a crossing beside the carrier's, named nearer in time)."""
        w = int(self.config.together_s * 1e6)
        return any(s == sp and abs(ta - t) <= w and self._canon(n) != taker for ta, n, s in self.arrivals)

    def _backed(self, epc: str, t: int, came: int | None = None) -> bool:
        """A recorded hand-over within handover_window_s of t, or of `came` (a desk hand-over happens when the file
        comes into the room; its put-down on the desk is seen when the unit estimate settles, minutes later)."""
        w = int(self.config.handover_window_s * 1e6)
        lo, hi = (min(t, came), max(t, came)) if came is not None else (t, t)
        return any(lo - w <= x <= hi + w for x in self.recorded.get(epc, ()))

    def _flush(self, now_us: int) -> None:
        w = int(self.config.handover_window_s * 1e6)
        stay = int(self.config.min_stay_s * 1e6)
        for e, (t, c, sp) in sorted(self.leaving.items()):
            if now_us - t >= stay:
                del self.leaving[e]
                if not self._along(t, sp, c[3]):
                    self.pending.append(c)
        old = now_us - int(ARRIVALS_KEEP_S * 1e6)
        arr = self.arrivals
        if self._arrivals_sorted:  # in time order (the usual case): the old ones are a prefix
            i = 0
            while i < len(arr) and arr[i][0] < old:
                i += 1
            if i:
                del arr[:i]
        else:
            self.arrivals = arr = [a for a in arr if a[0] >= old]
            self._arrivals_sorted = all(a[0] <= b[0] for a, b in zip(arr, arr[1:]))
        keep = []
        for p in self.pending:
            t, e, frm, to, s = p
            if self._backed(e, t, self.came_for.get((t, e))):
                continue
            if now_us - t < w:
                keep.append(p)
                continue
            self.alerts.append({"t_us": t, "state": "raised", "kind": "unrecorded_handover", "epc": e, "space": s,
                                "officer": to, "detail": f"from {frm}; no handover recorded"})  # fmt: skip
        self.pending = keep

    def _row(self, t: int, epc: str, holder: str, frm: str, how: str, keep: bool = True) -> None:
        if keep or epc not in self.holder:
            old = self.holder.get(epc, "")
            if old:
                self.held.get(old, set()).discard(epc)
            self.holder[epc] = holder
            if holder:
                self.held.setdefault(holder, set()).add(epc)
        self.rows.append({"t_us": int(t), "epc": epc, "holder": holder, "from": frm, "how": how})

    # -- output ----------------------------------------------------------------------------------------------------
    def take(self) -> tuple[list[dict], list[dict]]:
        """Custody rows and alert rows since the last call (time order)."""
        rows, alerts = sorted(self.rows, key=lambda r: r["t_us"]), self.alerts
        self.rows, self.alerts = [], []
        return rows, alerts

    def held_by(self, holder: str) -> list[str]:
        return sorted(self.held.get(holder, ()))


__all__ = ["Custody", "CustodyConfig"]
