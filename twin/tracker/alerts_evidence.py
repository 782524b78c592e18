"""Read evidence for the alert rules: where the fixed antennas keep hearing each tag, independent of the estimates.

A located unit can flicker between neighbouring shelves and a stale estimate can keep a returned dossier on a desk,
so the rules that judge storage (misfiled, drawer, missing) ask the reads themselves:

- per (tag, shelf unit): in how many periodic inventories since the tag last left storage the unit's shelf antenna
  was the loudest to report it (one credit per tag per report period of the shelf's reader), and the last such
  period; a dossier rests on a shelf when that shelf wins inventory after inventory while its own shelf stays silent;
- per tag: the last time any non-portal antenna of a storage room (shelf or room antenna) reported it, so a dossier
  a storage room still hears at the end of the day is not in a drawer, and the last time a desk or room antenna
  elsewhere did: a file heard elsewhere and no longer in storage was taken out;
- per tag: the doors whose portals reported it since a storage room last did, so a dossier heard at a desk but
  never carried through a door of that room (a shelf heard through the wall) is not taken to rest there;
- per tag: the last report by any fixed antenna and the last by a portal antenna of an exterior door (site.json
  `exits`), so a file last heard at the way out and by nothing since has left the building whatever its estimate;
- per tag: the last report by a door's portal (and which door), and the antenna of the last report by a desk or
  room antenna outside storage, so the drawer rule can tell a file last heard going through a room's door, and by
  nothing since, from one that went on, and the room a file with a corridor estimate is heard in;
- per tag: the current run of reports by fixed non-portal antennas with no gap longer than `gap_us` (its first and
  last report), so a tag that rested in view and then fell silent can be told from one heard now and then through
  a wall, whose silence is its normal state.

One compiled pass per chunk over its rows, which arrive sorted by (tag, time); no per-row Python.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .sitemodel import KIND_CODES, STORAGE_PURPOSES

SHELF_UNIT_KINDS = ("shelf", "cabinet")


class ReadEvidence:
    def __init__(self, model, site: dict, gap_s: float = 120.0) -> None:
        self.gap_us = int(gap_s * 1e6)
        unit_kind = {str(u.get("id", "")): u.get("kind", "") for u in site.get("storage", [])}
        period_ms = {str(r.get("id", "")): float(r.get("report_period_ms") or 1000.0) for r in site.get("readers", [])}
        kind = model.ant_kind
        ant_unit = model.ant_storage
        shelf_units = sorted({int(u) for u, k in zip(ant_unit.tolist(), kind.tolist())
                              if u >= 0 and k == KIND_CODES["shelf"] and unit_kind.get(model.storage[u]) in SHELF_UNIT_KINDS})  # fmt: skip
        self.units = [model.storage[u] for u in shelf_units]  # column -> unit name
        self.col_of = {name: i for i, name in enumerate(self.units)}
        col = np.full(len(model.storage) + 1, -1, np.int32)
        col[shelf_units] = np.arange(len(shelf_units), dtype=np.int32)
        self.ant_col = np.where(ant_unit >= 0, col[np.where(ant_unit >= 0, ant_unit, len(model.storage))], -1)
        self.ant_col = np.where(kind == KIND_CODES["shelf"], self.ant_col, -1).astype(np.int32)
        store_space = np.array([p in STORAGE_PURPOSES for p in model.purposes] + [False], bool)
        sp = np.where(model.ant_space >= 0, model.ant_space, len(model.purposes))
        self.ant_store = store_space[sp] & (kind != KIND_CODES["portal"]) & (kind != KIND_CODES["handheld"])
        self.ant_else = ~store_space[sp] & (kind != KIND_CODES["portal"]) & (kind != KIND_CODES["handheld"])
        self.ant_period = np.array([max(1, int(period_ms.get(model.readers[r], 1000.0) * 1000))
                                    for r in model.ant_reader.tolist()], np.int64)  # fmt: skip
        k = len(self.units)
        self.wins = np.zeros((0, k), np.int16)  # loudest-in-an-inventory credits since the tag last left storage
        self.lastp = np.full((0, k), -1, np.int64)  # last credited report period (t_us // period)
        self.period = np.zeros(0, np.int64)  # report period of that last credit's antenna (µs)
        self.last_store_us = np.full(0, -1, np.int64)  # last report by a storage room's shelf or room antenna
        self.last_else_us = np.full(0, -1, np.int64)  # last report by a desk or room antenna outside storage rooms
        self.touched = np.zeros(0, bool)  # tags with new shelf credits since take_touched() last ran
        self.run_start_us = np.full(0, -1, np.int64)  # first report of the current run (fixed non-portal antennas)
        exits = {str(d) for d in site.get("exits") or []}
        door = model.ant_door
        self.ant_exit = np.array([kind[a] == KIND_CODES["portal"] and door[a] >= 0 and model.doors[door[a]] in exits
                                  for a in range(len(kind))], bool)  # fmt: skip
        self.last_any_us = np.full(0, -1, np.int64)  # last report by any fixed antenna
        self.last_exit_us = np.full(0, -1, np.int64)  # last report by an exterior door's portal antenna
        self.exit_heard: set[int] = set()  # tags heard at an exterior door since exits() last took them
        self.ant_door = np.where(kind == KIND_CODES["portal"], model.ant_door, -1).astype(np.int32)
        self.door_spaces: list[set[str]] = [set() for _ in model.doors]  # door index -> the spaces it joins
        didx = {d: i for i, d in enumerate(model.doors)}
        for d in site.get("doors") or []:
            if str(d.get("id", "")) in didx:
                self.door_spaces[didx[str(d["id"])]] |= {str(d.get("a", "")), str(d.get("b", ""))}
        # per door index: its bit (doors beyond 63 share the last bit: an assumption-free superset, never a miss)
        self.door_bit = np.left_shift(np.uint64(1), np.minimum(np.arange(len(model.doors)), 63).astype(np.uint64))
        store_names = {n for n, p in zip(model.spaces, model.purposes) if p in STORAGE_PURPOSES}
        self.store_doors = 0  # bits of the doors of storage rooms
        self.door_store = np.array([bool(sp & store_names) for sp in self.door_spaces] + [False], bool)  # [-1]: none
        for i, sp in enumerate(self.door_spaces):
            if sp & store_names:
                self.store_doors |= int(self.door_bit[i])
        self.doors_since = np.zeros(0, np.uint64)  # doors whose portals reported the tag since storage last did
        self.run_last_us = np.full(0, -1, np.int64)  # last report of that run
        self.last_door_us = np.full(0, -1, np.int64)  # last report by a door's portal antenna
        self.last_door = np.full(0, -1, np.int32)  # ... and that door's index
        self.last_else_ant = np.full(0, -1, np.int32)  # antenna of the last report counted in last_else_us
        self.ant_space_name = [model.spaces[s] if s >= 0 else "" for s in model.ant_space.tolist()]

    def grow(self, n_tags: int) -> None:
        k = n_tags - len(self.last_store_us)
        if k > 0:
            w = self.wins.shape[1]
            self.wins = np.vstack([self.wins, np.zeros((k, w), np.int16)])
            self.lastp = np.vstack([self.lastp, np.full((k, w), -1, np.int64)])
            self.last_store_us = np.concatenate([self.last_store_us, np.full(k, -1, np.int64)])
            self.last_else_us = np.concatenate([self.last_else_us, np.full(k, -1, np.int64)])
            self.touched = np.concatenate([self.touched, np.zeros(k, bool)])
            self.run_start_us = np.concatenate([self.run_start_us, np.full(k, -1, np.int64)])
            self.last_any_us = np.concatenate([self.last_any_us, np.full(k, -1, np.int64)])
            self.last_exit_us = np.concatenate([self.last_exit_us, np.full(k, -1, np.int64)])
            self.doors_since = np.concatenate([self.doors_since, np.zeros(k, np.uint64)])
            self.run_last_us = np.concatenate([self.run_last_us, np.full(k, -1, np.int64)])
            self.last_door_us = np.concatenate([self.last_door_us, np.full(k, -1, np.int64)])
            self.last_door = np.concatenate([self.last_door, np.full(k, -1, np.int32)])
            self.last_else_ant = np.concatenate([self.last_else_ant, np.full(k, -1, np.int32)])

    def observe(self, t: np.ndarray, tag: np.ndarray, ant: np.ndarray, rssi: np.ndarray, ordered: bool = False) -> None:
        """Rows of fixed antennas sorted by (tag, time) (others are put in that order first; `ordered`: the caller
        has checked that they are)."""
        if len(t) == 0:
            return
        self.grow(int(tag.max()) + 1)
        if not ordered and not _sorted_by_tag_time(tag, t):
            o = np.lexsort((t, tag))
            t, tag, ant, rssi = t[o], tag[o], ant[o], rssi[o]
        exits = _evidence_pass(t, tag, ant, rssi, self.ant_store, self.ant_else, self.ant_door, self.door_bit,
                               self.ant_exit, self.ant_col, self.ant_period, self.gap_us, bool(self.units),
                               self.last_store_us, self.last_else_us, self.run_start_us, self.run_last_us,
                               self.last_any_us, self.last_exit_us, self.doors_since, self.wins, self.lastp,
                               self.touched, self.last_door_us, self.last_door, self.last_else_ant)  # fmt: skip
        if len(exits):
            self.exit_heard.update(np.unique(exits).tolist())

    def passed_into(self, tag: int, space: str) -> bool:
        """Whether a portal of a door of this space reported the tag since storage last did (or ever, for a tag
        storage never heard): it can have been carried in, not just heard through a wall."""
        if tag >= len(self.doors_since):
            return False
        bits = int(self.doors_since[tag])
        return any(bits >> min(i, 63) & 1 for i, sp in enumerate(self.door_spaces) if space in sp)

    def last_through(self, tag: int, space: str) -> bool:
        """Whether the tag's latest report by any fixed antenna was a portal's of a door of this space, after storage
        last heard it: last heard going through that door, and by nothing since."""
        if tag >= len(self.last_door_us) or self.last_door[tag] < 0:
            return False
        t = self.last_door_us[tag]
        return bool(t >= self.last_any_us[tag] and t > self.last_store_us[tag]
                    and space in self.door_spaces[int(self.last_door[tag])])

    def left_storage(self, tag: int) -> bool:
        """Whether a storage room's door portal reported the tag since storage last heard it (carried out of it)."""
        return tag < len(self.doors_since) and bool(int(self.doors_since[tag]) & self.store_doors)

    def into_storage(self, tags: np.ndarray, now_us: int, quiet_us: int) -> np.ndarray:
        """Per tag: its last report of all, after the last desk or room antenna outside storage heard it, was a
        storage room's door portal's, quiet_us or more ago (carried to the shelves, where their antennas may not hear
        it; a desk file that a storage door's portal keeps hearing through a wall is heard again within minutes)."""
        d = self.last_door[tags]
        t = self.last_door_us[tags]
        return (self.door_store[d] & (t > self.last_else_us[tags]) & (t >= self.last_any_us[tags])
                & (now_us - t > quiet_us))

    def else_space(self, tag: int) -> str:
        """The space of the desk or room antenna outside storage that heard the tag last ("" if none has)."""
        a = int(self.last_else_ant[tag]) if tag < len(self.last_else_ant) else -1
        return self.ant_space_name[a] if a >= 0 else ""

    def take_touched(self) -> np.ndarray:
        """Tag ids credited since the last call (their shelf verdicts may have changed); clears the marks."""
        out = np.flatnonzero(self.touched)
        self.touched[out] = False
        return out

    def reset(self, tags: np.ndarray) -> None:
        """These tags left storage: their shelf credits start again."""
        if len(tags):
            self.grow(int(np.max(tags)) + 1)
            self.wins[tags] = 0

    def resting(self, tags: np.ndarray, min_wins: int) -> tuple[np.ndarray, np.ndarray]:
        """(column of the shelf that won most inventories, or -1 when fewer than min_wins; its wins) per tag."""
        if len(tags) == 0 or not self.units:
            return np.full(len(tags), -1, np.int32), np.zeros(len(tags), np.int16)
        w = self.wins[tags]
        best = np.argmax(w, axis=1).astype(np.int32)
        n = w[np.arange(len(tags)), best]
        return np.where(n >= min_wins, best, -1), n

    def period_end_us(self, tag: int, col: int) -> int:
        """End of the last report period in which the shelf of `col` was the tag's loudest (60 s periods: one)."""
        p = int(self.lastp[tag, col])
        per = int(np.max(self.ant_period[self.ant_col == col])) if (self.ant_col == col).any() else 1
        return (p + 1) * per


@njit(cache=True)
def _sorted_by_tag_time(tag, t) -> bool:
    for i in range(1, len(tag)):
        if tag[i] < tag[i - 1] or (tag[i] == tag[i - 1] and t[i] < t[i - 1]):
            return False
    return True


@njit(cache=True)
def _evidence_pass(t, tag, ant, rssi, ant_store, ant_else, ant_door, door_bit, ant_exit, ant_col, ant_period, gap_us,
                   has_units, last_store, last_else, run_start, run_last, last_any, last_exit, doors_since, wins, lastp,
                   touched, last_door_us, last_door, last_else_ant):  # fmt: skip
    """`ReadEvidence.observe` over rows sorted by (tag, time), one tag at a time; returns the tags of exit rows.

    Per tag: 1) its latest reports and its runs of fixed non-portal reports (kept in locals, written back once per
    tag); 2) door bits for its portal reports after its latest storage report (of the whole chunk, as before); 3) per
    report period (t // the antenna's period), its loudest shelf report (the earliest of equals) credits that shelf
    once per new period."""
    n = len(t)
    exits = np.empty(n, np.int64)
    rows = np.empty(n, np.int64)
    per = np.empty(n, np.int64)
    prow = np.empty(n, np.int64)
    n_exit = 0
    s = 0
    while s < n:
        g, e, m, q = tag[s], s, 0, 0
        ls, le, lea = last_store[g], last_else[g], last_else_ant[g]
        ldu, ld, rs, rl = last_door_us[g], last_door[g], run_start[g], run_last[g]
        la, lx, ds = last_any[g], last_exit[g], doors_since[g]
        prev = rl
        while e < n and tag[e] == g:
            a, ti = ant[e], t[e]
            st, el, d = ant_store[a], ant_else[a], ant_door[a]
            if st:
                if ti > ls:
                    ls = ti
                ds = np.uint64(0)
            if el and ti >= le:
                le = ti
                lea = a
            if d >= 0:
                if ti >= ldu:
                    ldu = ti
                    ld = d
                prow[q] = e
                q += 1
            if st or el:
                if prev < 0 or ti - prev > gap_us:
                    rs = ti
                if ti > rl:
                    rl = ti
                prev = ti
            if ti > la:
                la = ti
            if ant_exit[a]:
                if ti > lx:
                    lx = ti
                exits[n_exit] = g
                n_exit += 1
            if has_units and ant_col[a] >= 0:
                rows[m], per[m] = e, ti // ant_period[a]
                m += 1
            e += 1
        for k in range(q):
            i = prow[k]
            if t[i] > ls:
                ds |= door_bit[ant_door[ant[i]]]
        last_store[g], last_else[g], last_else_ant[g] = ls, le, lea
        last_door_us[g], last_door[g], run_start[g], run_last[g] = ldu, ld, rs, rl
        last_any[g], last_exit[g], doors_since[g] = la, lx, ds
        s = e
        for j in range(1, m):
            pj, rj, b = per[j], rows[j], j
            while b > 0 and per[b - 1] > pj:
                per[b], rows[b] = per[b - 1], rows[b - 1]
                b -= 1
            per[b], rows[b] = pj, rj
        j = 0
        while j < m:
            p, best = per[j], rows[j]
            j += 1
            while j < m and per[j] == p:
                if rssi[rows[j]] > rssi[best]:
                    best = rows[j]
                j += 1
            c = ant_col[ant[best]]
            if p > lastp[g, c]:
                wins[g, c] += 1
                touched[g] = True
                lastp[g, c] = p
    return exits[:n_exit]


__all__ = ["ReadEvidence"]
