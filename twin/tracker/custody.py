"""Custody: who holds each dossier and item over time, from the estimates' holders and recorded hand-overs.

The locator names a holder when a tag changes space with an officer's badge (twin.tracker.holder). Custody keeps the
holder in force per tag, writes a custody row on every change (`how`: badge, handover, registered, inferred), and
flags a change of holder from one officer straight to another (no rest in storage between), made where the old
holder's badge stood after the tag stayed there `min_stay_s` and confirmed by the tag moving on with the new holder
(whose badge is estimated where the tag went by the end of that advance), that no `handover` business event for the
tag backs within `handover_window_s`: an `unrecorded_handover` alert, raised once `handover_window_s` has passed
without the event. A tag whose holder's badge leaves its space without it is put
down (`how` inferred, holder empty).

An in-person hand-over at a desk is flagged too: the tag came in with A's badge and was put down on a desk unit
(the tag's storage estimate) that belongs to B, B's badge was in the room before the file came (`receiver_lead_s`; not
B carrying it in, named after a companion) and stayed, A's badge left the room without it within `settle_s`, and no `handover` event names the tag within `handover_window_s`. Whose desk a unit is, is learned
from the badges: the badge whose estimates rested on that unit longest (at least `owner_min_s`, and `owner_share` of
all badge time there); a unit without a clear owner, or A's own, is no hand-over (a delivery to an empty desk is not
one either: nobody took it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class CustodyConfig:
    handover_window_s: float = 300.0  # a recorded hand-over this close to the inferred change backs it (assumption)
    min_stay_s: float = 60.0  # a hand-over happens where both stand: the tag stayed there at least this long
    release_s: float = 20.0  # the holder's badge left the tag's space this long ago without the tag: put down
    settle_s: float = 600.0  # a put-down on another's desk is judged until this long after (the giver leaves)
    owner_min_s: float = 1200.0  # a badge rested on a desk unit this long (in all) to own it (assumption) ...
    owner_share: float = 0.7  # ... and this share of all badges' time there (shared desks have no owner)
    receiver_lead_s: float = 60.0  # the receiver's badge was in the room this long before the file came in


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
        self.stay: dict[str, int] = {}  # epc -> how long it stayed in the space before its last change (µs)
        self.confirm: dict[str, tuple] = {}  # epc -> suspected hand-over waiting for the tag to move on with it
        self.pending: list[tuple[int, str, str, str, str]] = []  # (t, epc, from, to, space) awaiting an event
        self.storage: dict[str, str] = {}  # epc -> estimated storage unit
        self.badge_rest: dict[str, tuple[str, int]] = {}  # badge epc -> (storage unit, since) of its estimate
        self.dwell: dict[str, dict[str, int]] = {}  # storage unit -> holder name -> µs its badge rested there
        self.put_downs: list[tuple[int, str, str, str]] = []  # (t, epc, by, space) of holders putting a tag down
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

    def _canon(self, name: str) -> str:
        return self.alias.get(name, name) if name else name

    def update(self, t, epc, space, storage, holder, kind, now_us: int) -> None:
        """Estimate change rows of one advance (lists, time order); `kind` is the tag kind name per row."""
        w = int(self.config.release_s * 1e6)
        moved_badges: list[tuple[int, str, str]] = []
        moved_on: list[tuple[tuple, str]] = []
        for ti, e, s, u, h, k in zip(t, epc, space, storage, holder, kind):
            self.space_before[e] = self.space.get(e)
            if self.space.get(e) != s:
                self.stay[e] = int(ti) - self.entered.get(e, int(ti))
                self.entered[e] = int(ti)
            self.space[e] = s
            self.storage[e] = u or ""
            if k == "badge":
                self._rest(e, u or "", int(ti))
                if e in self.name_of:
                    self.badge_space[self.name_of[e]] = s
                moved_badges.append((ti, e, s))
                continue
            if k not in ("dossier", "item"):
                continue
            old = self.holder.get(e, "")
            new = "" if u else (self._canon(h) or old)
            c = self.confirm.get(e)
            if c is not None:  # a suspected hand-over counts once the tag moves on with the new holder
                if new == c[3] and self._canon(h) == c[3] and s != c[4]:
                    moved_on.append((c, e))
                    del self.confirm[e]
                elif new != c[3]:
                    del self.confirm[e]
            if new == old:
                continue
            b_old = self.badge_space.get(old)
            dwelt = self.stay.get(e, 0) >= int(self.config.min_stay_s * 1e6)
            if old and new and dwelt and b_old is not None and b_old == self.space_before.get(e) and not self._backed(e, ti):
                self.confirm[e] = (ti, e, old, new, s)
            self._row(ti, e, new, old, "badge" if new else "inferred")
            if old and not new:
                self.put_downs.append((int(ti), e, old, s))
        for c, e in moved_on:  # ... and that holder's badge went there too (not a resting tag's estimate flickering
            if self.badge_space.get(c[3]) == self.space.get(e):  # between rooms, named after a passer-by)
                self.pending.append(c)
        for ti, b, s in moved_badges:  # a holder walking away without the tag has put it down
            h = self.name_of.get(b)
            for e in sorted(self.held.get(h, ())) if h else ():
                if self.space.get(e) not in (s, None):
                    self._row(ti + w, e, "", h, "inferred")
                    self.put_downs.append((int(ti), e, h, self.space[e]))
        self._judge_put_downs(now_us)
        self._flush(now_us)

    def _rest(self, badge: str, unit: str, t: int) -> None:
        """Badge time per storage unit (whose desk it is)."""
        prev = self.badge_rest.get(badge)
        if prev is not None and prev[0] and badge in self.name_of:
            d = self.dwell.setdefault(prev[0], {})
            d[self.name_of[badge]] = d.get(self.name_of[badge], 0) + max(0, t - prev[1])
        if prev is None or prev[0] != unit:
            self.badge_rest[badge] = (unit, t)

    def owner(self, unit: str, now_us: int | None = None) -> str:
        """The holder whose badge rested on the unit longest, if clearly its own; else ""."""
        d: dict[str, int] = {}
        for n, v in self.dwell.get(unit, {}).items():
            d[self._canon(n)] = d.get(self._canon(n), 0) + v
        if now_us is not None:  # badges resting there now count up to now
            for b, (u, t0) in self.badge_rest.items():
                if u == unit and b in self.name_of:
                    d[self.name_of[b]] = d.get(self.name_of[b], 0) + max(0, now_us - t0)
        if not d:
            return ""
        name, best = max(sorted(d.items()), key=lambda kv: kv[1])
        if best < int(self.config.owner_min_s * 1e6) or best < self.config.owner_share * sum(d.values()):
            return ""
        return name

    def _judge_put_downs(self, now_us: int) -> None:
        """A put-down on B's desk with B in the room, A gone: an in-person hand-over (pending its event)."""
        settle, lead, keep = int(self.config.settle_s * 1e6), int(self.config.receiver_lead_s * 1e6), []
        for p in self.put_downs:
            t, e, a, sp = p
            a = self._canon(a)
            if self.space.get(e) != sp or self.holder.get(e):
                continue  # moved on or picked up again: judged by the holder rule if at all
            b = self.owner(self.storage.get(e, ""), now_us) if self.storage.get(e) else ""
            waited = self.entered.get(self.badge_of.get(b, ""), t) + lead <= self.entered.get(e, 0)
            if b and b != a and self.badge_space.get(b) == sp and self.badge_space.get(a) != sp and waited:
                if not self._backed(e, t):
                    self.pending.append((t, e, a, b, sp))
                continue
            if now_us - t < settle:
                keep.append(p)
        self.put_downs = keep

    def _backed(self, epc: str, t: int) -> bool:
        w = int(self.config.handover_window_s * 1e6)
        return any(abs(x - t) <= w for x in self.recorded.get(epc, ()))

    def _flush(self, now_us: int) -> None:
        w = int(self.config.handover_window_s * 1e6)
        keep = []
        for p in self.pending:
            t, e, frm, to, s = p
            if self._backed(e, t):
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
