"""Alerts of the core: each raised once per (kind, tag or space), deduplicated, cleared when resolved.

`Alerts` keeps per-tag state from the estimate changes, hands business events to the rules, and runs the rules of
twin.tracker.alert_place (left_building, drawer, missing, misfiled, separated), twin.tracker.alert_readers
(reader_offline, and missing for tags unseen while their readers were up), and takes the lifecycle's and custody's
alert rows. Every row carries `state` raised or cleared; the bench is handed only raised rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..errors import ProblemList
from .alert_drawer import before_change
from .alert_place import STORAGE_ROOMS, PlaceRules
from .alert_readers import ReaderWatch
from .alerts_evidence import ReadEvidence
from .kernels_alerts import missing_candidates
from .sitemodel import site_model


_NEVER = np.iinfo(np.int64).min  # since_tag of a tag without state: it never moved


@dataclass(frozen=True)
class AlertConfig:
    """Thresholds and policy (assumptions: a station's own policy; set them in the core's `alerts` config)."""

    missing_s: float = 3600.0  # a tag seen once and unseen this long while its readers were up is missing ...
    missing_steady_s: float = 300.0  # ... when it had rested in view before: reported for this long without ...
    steady_gap_s: float = 120.0  # ... a gap longer than this (a tag heard now and then through a wall is not)
    left_confirm_s: float = 20.0  # a dossier outside (grounds, vehicle) this long without checkout left the building
    left_inside_s: float = 120.0  # ... if it had been inside this long before (not one arriving through the door)
    abandoned_s: float = 1800.0  # a dossier resting, unheld, outside storage and off any unit this long is missing
    misfile_periods: int = 3  # the wrong shelf loudest in this many periodic inventories, its own shelf never: misfiled
    away_quiet_s: float = 300.0  # a dossier no storage room's antenna has reported this long was taken out
    separated_s: float = 300.0  # an item apart from every volume of its case this long outside the evidence room
    workspace_purposes: tuple = ("office", "legal", "leader", "duty")  # rooms with officers' own desks
    end_of_day_s: float = 17.5 * 3600  # the station's end of day, local clock (the shift's end)
    drawer_grace_s: float = 1500.0  # dossiers still at a desk this long after the end of day: drawer
    drawer_quiet_s: float = 600.0  # ... that no storage room's antenna has reported for this long before then ...
    drawer_seen_s: float = 1800.0  # ... and a desk or room antenna outside storage has within this long before then
    drawer_through_s: float = 60.0  # ... or its last report was a room's door passage, its estimate in the room since
    utc_offset_s: int = 8 * 3600  # the station's local time (the scenarios' default offset)
    offline_periods: float = 3.0  # silent for this many report periods ...
    offline_min_s: float = 120.0  # ... and at least this long ...
    offline_min_tags: int = 3  # ... while this many tags it was reading steadily have not moved: reader offline
    recent_s: float = 120.0
    keepalive_s: float = 10.0  # the readers' KEEPALIVE period as configured (KeepaliveSpec; twin.readers.keepalive)
    keepalive_timeout_periods: float = 3.0  # no keepalive for this many periods: the link is down (assumption)

    @classmethod
    def from_dict(cls, d: dict | None, source: str = "tracker config") -> "AlertConfig":
        d = dict(d or {})
        pl = ProblemList(source)
        known = {f.name for f in fields(cls)}
        for k in sorted(set(d) - known):
            pl.add(f"alerts.{k}", d.pop(k), f"one of {', '.join(sorted(known))}")
        if "workspace_purposes" in d:
            d["workspace_purposes"] = tuple(str(x) for x in d["workspace_purposes"])
        for k, v in list(d.items()):
            if k != "workspace_purposes" and not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                pl.add(f"alerts.{k}", d.pop(k), "a number >= 0")
        pl.raise_if_any()
        return cls(**d)


def _grown(a: np.ndarray, tags: list[int], fill) -> np.ndarray:
    """`a` long enough for these tag ids, grown as a tag at a time would grow it (by at least 1024)."""
    n = len(a)
    for g in tags:
        if g >= n:
            n += max(g + 1 - n, 1024)
    if n == len(a):
        return a
    return np.concatenate([a, np.full(n - len(a), fill, a.dtype)])


class AlertBook:
    """Open alerts by (kind, key); raise_ and clear append rows with state only on a change.

    The key is the tag's EPC, else the space; `reader` narrows a space's key to one reader (reader_offline: two readers
    down in one space are two alerts, and one's recovery does not clear the other's)."""

    def __init__(self) -> None:
        self.open: dict[tuple[str, str], dict] = {}
        self.rows: list[dict] = []
        self.misfiled: set[str] = set()  # keys of the open misfiled alerts (the shelf rule re-judges them each tick)

    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)
        if "misfiled" not in d:  # a checkpoint from before the index: rebuilt from the open alerts
            self.misfiled = {k for (kind, k) in self.open if kind == "misfiled"}

    def _opened(self, key: tuple[str, str]) -> None:
        if key[0] == "misfiled":
            self.misfiled.add(key[1])

    def _closed(self, key: tuple[str, str]) -> None:
        if key[0] == "misfiled":
            self.misfiled.discard(key[1])

    @staticmethod
    def key(kind: str, epc: str, space: str, reader: str = "") -> tuple[str, str]:
        return (kind, epc or (f"@{space}/{reader}" if reader else f"@{space}"))

    def raise_(self, t: int, kind: str, epc: str, space: str, officer: str = "", detail: str = "",
               reader: str = "") -> bool:  # fmt: skip
        key = self.key(kind, epc, space, reader)
        if key in self.open:
            return False
        row = {"t_us": int(t), "state": "raised", "kind": kind, "epc": epc, "space": space, "officer": officer,
               "detail": detail}  # fmt: skip
        self.open[key] = row
        self._opened(key)
        self.rows.append(row)
        return True

    def clear(self, t: int, kind: str, epc: str, space: str = "", reader: str = "") -> None:
        key = self.key(kind, epc, space, reader)
        row = self.open.pop(key, None)
        if row is not None:
            self._closed(key)
            self.rows.append({**row, "t_us": max(int(t), row["t_us"]), "state": "cleared"})

    def add(self, rows: list[dict]) -> None:
        """Rows decided elsewhere (lifecycle, custody), kept open/closed here too."""
        for r in rows:
            key = self.key(r["kind"], r["epc"], r["space"])
            if r["state"] == "raised":
                if key in self.open:
                    continue
                self.open[key] = r
                self._opened(key)
            else:
                self.open.pop(key, None)
                self._closed(key)
            self.rows.append(r)

    def take(self) -> list[dict]:
        rows, self.rows = sorted(self.rows, key=lambda r: r["t_us"]), []
        return rows


class Alerts:
    """Every alert rule over the core's estimate changes, reads and business events."""

    def __init__(self, site: dict, config: AlertConfig | None = None) -> None:
        self.cfg = config or AlertConfig()
        self.book = AlertBook()
        self.evidence = ReadEvidence(site_model(site), site, self.cfg.steady_gap_s)
        self.place = PlaceRules(site, self.cfg, self.book, self.evidence)
        readers = [r for r in site.get("readers", [])]
        self.reader_ids = [str(r.get("id", "")) for r in readers]
        # portals report only while someone passes: their silence says nothing (handhelds are carried)
        steady = [r.get("kind") != "handheld" and any(a.get("kind") != "portal" for a in r.get("antennas") or [])
                  for r in readers]  # fmt: skip
        period = [int(float(r.get("report_period_ms") or 1000.0) * 1000) for r in readers]
        space = [str(((r.get("antennas") or [{}])[0].get("covers") or {}).get("space", "")) for r in readers]
        self.watch = ReaderWatch(self.reader_ids, period, space, self.cfg, steady)
        self.state: dict[str, dict] = {}  # epc -> space, storage, holder, since, kind, moved
        self.tag_of: dict[str, int] = {}  # epc -> tag id (for the read-time arrays)
        self.epc_of: dict[int, str] = {}
        self.seq: dict[str, int] = {}  # epc -> position in the state's order
        self.place.state, self.place.seq, self.place.epc_of = self.state, self.seq, self.epc_of
        # per tag id: a dossier unheld in a room inside the station outside storage, without an open checkout
        # (the unseen-missing rule's candidates, kept on each change instead of judged for every tag per tick)
        self.miss_ok = np.zeros(0, bool)
        self.since_tag = np.full(0, _NEVER, np.int64)  # per tag id: its state's `since` (the reader watch's moves)

    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)
        if "since_tag" not in d:  # a checkpoint from before the per-tag move times: rebuilt from the state
            self.since_tag = np.full(max(self.epc_of, default=-1) + 1, _NEVER, np.int64)
            for g, e in self.epc_of.items():
                if e in self.state:
                    self.since_tag[g] = self.state[e]["since"]

    def event(self, e: dict) -> None:
        self.place.event(e)
        if e.get("kind") in ("checkout", "checkin") and e.get("epc") in self.state:
            self._judge_missing(e["epc"])

    def _judge_missing(self, e: str) -> None:
        """Whether the unseen-missing rule may judge this tag (see miss_ok)."""
        st, place = self.state[e], self.place
        g = st["tag"]
        if g >= len(self.miss_ok):
            self.miss_ok = np.concatenate([self.miss_ok, np.zeros(max(g + 1 - len(self.miss_ok), 1024), bool)])
        self.miss_ok[g] = (st["kind"] == "dossier" and e not in place.checked_out and not st["holder"]
                           and place.purpose.get(st["space"]) not in STORAGE_ROOMS
                           and place.space_kind.get(st["space"]) == "room")  # fmt: skip

    def changes(self, t, epc, space, storage, holder, kind, tag_ids) -> None:
        if not len(tag_ids):
            return
        gs = tag_ids.tolist() if isinstance(tag_ids, np.ndarray) else [int(g) for g in tag_ids]
        top = max(gs) + 1
        # the per-tag arrays grown once for the advance, to the lengths a change at a time grew them to
        self.since_tag = _grown(self.since_tag, gs, _NEVER)
        self.miss_ok = _grown(self.miss_ok, gs, False)
        place, state, since_tag, miss_ok = self.place, self.state, self.since_tag, self.miss_ok
        place._grow(top)
        checked_out, purpose, space_kind = place.checked_out, place.purpose, place.space_kind
        for ti, e, s, u, h, k, g in zip(t, epc, space, storage, holder, kind, gs):
            ti = int(ti)
            st = state.get(e)
            before_change(place, e, ti, st)  # kept as it stood at the coming drawer mark
            old = st["space"] if st else ""
            if st is None:
                self.seq[e] = len(self.seq)
            moved = bool(st) and (st.get("moved") or s != old)
            state[e] = st = {"space": s, "storage": u, "holder": h, "since": ti, "kind": k, "moved": moved, "tag": g}
            self.tag_of[e], self.epc_of[g] = g, e
            since_tag[g] = ti
            # the unseen-missing rule's candidate (as _judge_missing)
            miss_ok[g] = (k == "dossier" and e not in checked_out and not h and purpose.get(s) not in STORAGE_ROOMS
                          and space_kind.get(s) == "room")  # fmt: skip
            place.changed(st, e, ti, old)
        self.watch.grow(top)

    def observe(self, t: np.ndarray, tag: np.ndarray, reader: np.ndarray, n_tags: int, ant: np.ndarray | None = None,
                rssi: np.ndarray | None = None, ordered: bool = False) -> None:  # fmt: skip
        """Rows of fixed readers sorted by (tag, time); with their antennas and RSSI they feed the read evidence.
        `ordered`: the caller has checked that order (the passes then skip their own checks)."""
        self.watch.grow(n_tags)
        self.evidence.grow(n_tags)
        if ant is not None and rssi is not None:
            self.evidence.observe(t, tag, ant, rssi, ordered)
        for r, tb in self.watch.observe(t, tag, reader, ordered):
            self.book.clear(tb, "reader_offline", "", self.watch.space[r], self.reader_ids[r])

    def moved_after(self, g: int, t0: int) -> bool:
        """Whether tag id g's estimate changed after t0 (the plain form of `since_tag`)."""
        st = self.state.get(self.epc_of.get(g, ""))
        return st is not None and st["since"] > t0

    def tick(self, now_us: int) -> None:
        for t, r, up, why in self.watch.step(now_us, self.since_tag):  # silence, and the reader status stream
            if up:
                self.book.raise_(t, "reader_offline", "", self.watch.space[r], "", f"reader {self.reader_ids[r]} {why}",
                                 self.reader_ids[r])
            else:
                self.book.clear(t, "reader_offline", "", self.watch.space[r], self.reader_ids[r])
        self.place.tick(now_us, self.state)
        # unseen while its readers were up: only away from storage rooms (shelf reads of stored files are intermittent)
        # and inside the station (external places are reached under a checkout the core may not have seen)
        ev = self.evidence
        ev.grow(max(len(self.watch.last_seen), len(self.miss_ok)))
        # last heard out of storage, at the end of a run of reports long enough to say it rested in view
        # (and not carried through a storage room's door since: shelved where no shelf antenna hears it)
        cand = missing_candidates(self.miss_ok, ev.last_else_us, ev.last_store_us, ev.last_door, ev.last_door_us,
                                  ev.last_any_us, ev.door_store, ev.run_start_us, ev.run_last_us, now_us,
                                  int(self.cfg.away_quiet_s * 1e6), int(self.cfg.missing_steady_s * 1e6))  # fmt: skip
        miss_us = int(self.cfg.missing_s * 1e6)
        hits = [self.epc_of[g] for g in self.watch.unseen(now_us, miss_us, cand).tolist()]
        for e in sorted(hits, key=self.seq.__getitem__):
            st = self.state[e]
            g = st["tag"]
            since = max(int(self.watch.last_seen[g]), int(self.watch.back_us[self.watch.last_reader[g]]))
            self.book.raise_(since + miss_us, "missing", e, st["space"], "", "unseen")
