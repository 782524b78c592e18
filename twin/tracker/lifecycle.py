"""Case lifecycle from business events: each case's stage and legal deadline; overdue_warning and overdue alerts.

A component the core composes: `apply(events)` queues business events (EVENTS_SCHEMA rows), `advance(t_us)` replays
them in time order together with the deadline timers and returns the alert rows raised or cleared up to t_us
(each with `state` raised/cleared; the bench sees only raised ones). `take_changes()` hands the lifecycle rows
(t_us, case, stage, deadline_us) to the store.

Rules. The deadline in force is the one the latest stage event carries. A *limit* begins when a stage event brings a
new deadline (not an approved extension) or enters a stage that starts a legal clock (detention); its warning lead is
min(warning_lead_s, warning_lead_share x (deadline - limit start)). While a deadline is in force from time a:
`overdue_warning` at max(deadline - lead, a) and `overdue` at the deadline when it is not before a, each once.
When the deadline in force changes (next limit, an extension, a stage with none) or the case is archived, open
alerts are cleared. Alert times are the rule's times (a timer-driven deployment fires them then).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any, Iterable

import pyarrow as pa

from ..errors import ProblemList

DAY_US = 86_400_000_000


@dataclass(frozen=True)
class LifecycleConfig:
    """Warning lead and stage policy (assumption: the station's own policy; set it in the core's config)."""

    warning_lead_s: float = 3 * 86_400.0  # warn this long before a deadline ...
    warning_lead_share: float = 0.25  # ... but at most this share of the limit (a 3-day limit warns 18 h ahead)
    clock_start_stages: tuple[str, ...] = ("detention",)  # entering these starts a limit even with an unchanged deadline
    closed_stages: tuple[str, ...] = ("archived",)  # the case is done: clear and forget it

    @classmethod
    def from_dict(cls, d: dict | None, file: str = "tracker config") -> "LifecycleConfig":
        d = dict(d or {})
        probs = ProblemList(file)
        known = set(cls.__dataclass_fields__)
        for k in sorted(set(d) - known):
            probs.add(f"lifecycle.{k}", d[k], f"one of {', '.join(sorted(known))}")
        for k in ("warning_lead_s", "warning_lead_share"):
            if k in d and (not isinstance(d[k], (int, float)) or isinstance(d[k], bool) or d[k] < 0):
                probs.add(f"lifecycle.{k}", d[k], "a number >= 0")
        for k in ("clock_start_stages", "closed_stages"):
            if k in d:
                if not isinstance(d[k], (list, tuple)) or not all(isinstance(s, str) for s in d[k]):
                    probs.add(f"lifecycle.{k}", d[k], "a list of stage names")
                else:
                    d[k] = tuple(d[k])
        probs.raise_if_any()
        return cls(**{k: d[k] for k in known & set(d)})


@dataclass
class _Case:
    epc: str = ""
    officer: str = ""
    stage: str = ""
    deadline_us: int | None = None
    span: int = 0  # bumps whenever the deadline in force changes; stale timers carry an old span
    span_start_us: int = 0
    lead_us: int = 0
    open: set[str] = field(default_factory=set)  # alert kinds raised and not cleared


def _event_rows(events: Any) -> list[dict]:
    if events is None:
        return []
    if isinstance(events, pa.Table):
        return events.to_pylist()
    return [dict(e) for e in events]


class Lifecycle:
    """Stages, deadlines and overdue alerts of every open case (see the module docstring for the rules)."""

    def __init__(self, config: LifecycleConfig | dict | None = None):
        self.config = config if isinstance(config, LifecycleConfig) else LifecycleConfig.from_dict(config)
        self.cases: dict[str, _Case] = {}
        self._pending: list[tuple[int, int, dict]] = []  # heap of (t_us, seq, event)
        self._timers: list[tuple[int, int, str, str, int]] = []  # heap of (t_us, seq, case, kind, span)
        self._seq = 0
        self._changes: list[dict] = []
        self.now_us: int | None = None

    # -- input -----------------------------------------------------------------------------------------------------
    def apply(self, events: Any) -> None:
        """Queue business events (Arrow table or dict rows with EVENTS_SCHEMA columns); `advance` replays them."""
        for e in _event_rows(events):
            self._seq += 1
            heapq.heappush(self._pending, (int(e["t_us"]), self._seq, e))

    def advance(self, t_us: int) -> list[dict]:
        """Replay queued events and due timers up to t_us in time order; the alert rows raised / cleared."""
        out: list[dict] = []
        t_us = int(t_us)
        while True:
            te = self._pending[0][0] if self._pending else None
            tt = self._timers[0][0] if self._timers else None
            if te is not None and te <= t_us and (tt is None or te <= tt):
                _, _, e = heapq.heappop(self._pending)
                self._event(e, out)
            elif tt is not None and tt <= t_us:
                t, _, cid, kind, span = heapq.heappop(self._timers)
                c = self.cases.get(cid)
                if c is not None and c.span == span and kind not in c.open:
                    c.open.add(kind)
                    out.append(self._alert(t, "raised", kind, cid, c))
            else:
                break
        self.now_us = t_us
        return out

    def take_changes(self) -> list[dict]:
        """Lifecycle rows (t_us, case, stage, deadline_us) since the last call, for the store."""
        ch, self._changes = self._changes, []
        return ch

    # -- rules -----------------------------------------------------------------------------------------------------
    def _event(self, e: dict, out: list[dict]) -> None:
        kind, cid, t = e.get("kind", ""), e.get("case") or "", int(e["t_us"])
        if not cid:
            return
        c = self.cases.get(cid)
        if c is None:
            if kind not in ("register", "assign", "stage", "item_register"):
                return  # a checkout / archive of a case already forgotten (archived) or never seen
            c = self.cases[cid] = _Case()
        if kind == "register" and not c.epc:
            c.epc = e.get("epc") or ""
        if e.get("officer") and kind in ("register", "assign", "stage"):
            c.officer = c.officer if kind == "register" and c.officer else e["officer"]
        if kind == "archive" or (kind == "stage" and e.get("stage") in self.config.closed_stages):
            self._clear(t, cid, c, out)
            if kind == "stage":
                self._changes.append({"t_us": t, "case": cid, "stage": e.get("stage", ""), "deadline_us": None})
            del self.cases[cid]
            return
        if kind != "stage":
            return
        stage, dl = e.get("stage") or "", e.get("deadline_us")
        dl = None if dl is None else int(dl)
        extension = (e.get("detail") or "").startswith("extension")
        new_limit = dl is not None and not extension and (dl != c.deadline_us or stage in self.config.clock_start_stages
                                                          and stage != c.stage)  # fmt: skip
        changed = dl != c.deadline_us or new_limit
        c.stage = stage
        self._changes.append({"t_us": t, "case": cid, "stage": stage, "deadline_us": dl})
        if not changed:
            return
        self._clear(t, cid, c, out)
        c.deadline_us, c.span, c.span_start_us = dl, c.span + 1, t
        if dl is None:
            return
        if new_limit or c.lead_us == 0:
            cfg = self.config
            c.lead_us = int(min(cfg.warning_lead_s * 1e6, cfg.warning_lead_share * max(dl - t, 0)))
        self._timer(max(dl - c.lead_us, t), cid, "overdue_warning", c.span)
        if dl >= t:
            self._timer(dl, cid, "overdue", c.span)

    def _timer(self, t: int, cid: str, kind: str, span: int) -> None:
        self._seq += 1
        heapq.heappush(self._timers, (int(t), self._seq, cid, kind, span))

    def _clear(self, t: int, cid: str, c: _Case, out: list[dict]) -> None:
        for kind in sorted(c.open):
            out.append(self._alert(t, "cleared", kind, cid, c))
        c.open.clear()

    def _alert(self, t: int, state: str, kind: str, cid: str, c: _Case) -> dict:
        return {"t_us": int(t), "state": state, "kind": kind, "epc": c.epc, "space": "", "officer": c.officer,
                "detail": f"case {cid}; stage {c.stage}; deadline_us {c.deadline_us}"}  # fmt: skip

    # -- checkpointing ---------------------------------------------------------------------------------------------
    def state(self) -> dict:
        """Everything needed to resume (plain data: pickle it into the core's checkpoint blob)."""
        return {"cases": self.cases, "pending": self._pending, "timers": self._timers, "seq": self._seq,
                "now_us": self.now_us}  # fmt: skip

    @classmethod
    def from_state(cls, state: dict, config: LifecycleConfig | dict | None = None) -> "Lifecycle":
        lc = cls(config)
        lc.cases, lc._pending, lc._timers = state["cases"], state["pending"], state["timers"]
        lc._seq, lc.now_us = state["seq"], state["now_us"]
        return lc


def raised(rows: Iterable[dict]) -> list[dict]:
    """Only the raised alerts (what a core hands the bench as ALERTS_SCHEMA rows)."""
    return [{k: r[k] for k in ("t_us", "kind", "epc", "space", "officer", "detail")} for r in rows
            if r["state"] == "raised"]  # fmt: skip


__all__ = ["DAY_US", "Lifecycle", "LifecycleConfig", "raised"]
