"""Where every tag and officer is at every instant: the single source of ground truth and of tag motion.

Agents tell the ledger what happens (walk, stand, pick, put, hand over); the world pulls, per chunk, the motion of
every tag for the reader engine (`segments`) and the truth intervals closed meanwhile (`closed_truth`). Tags at rest
live in numpy arrays and cost one segment per chunk; carried tags follow their holder's walking legs. Truth rows are
handed out as they close and never kept, so memory is bounded by the population, not by the run's length.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..building.model import Floor
from .motion import INF, SEGMENT_DTYPE, Walker
from .ledger_pull import ChunkPulls

KINDS = ("dossier", "badge", "item")


class LedgerError(ValueError):
    """An agent asked for something physically impossible (a teleport, a pick from afar, an unknown tag)."""


class Ledger(ChunkPulls):
    """Where every tag and officer is at every instant: the single source of ground truth and of tag motion.

    Times (t_s) are seconds since the scenario start, never decreasing; contract times are µs since the epoch
    (start_us + round(t_s * 1e6)). Impossible requests (a pick from another space, a put that would teleport a tag)
    raise LedgerError rather than bend the truth.
    """

    def __init__(self, floor: Floor, start_us: int, clock: Callable[[], float] | None = None):
        self.floor = floor
        self.start_us = int(start_us)
        self.clock = clock  # optional: the simulation clock (seconds), so `where` and `officer_space` mean "now"
        self._space_ids = list(floor.spaces)
        self._space_idx = {s: i for i, s in enumerate(self._space_ids)}
        self._level_idx = {lv: i for i, lv in enumerate(floor.levels)}
        # Off-site places (court, procuratorate) have no plan: their level index is -1, which no antenna shares, so
        # a dossier at the procuratorate is never "read" at the plan's origin.
        self._space_level = np.array(
            [self._level_idx[floor.spaces[s].level] if floor.spaces[s].has_geometry else -1 for s in self._space_ids],
            dtype=np.int16,
        )
        self._storage_ids = list(floor.storage)
        self._storage_idx = {s: i for i, s in enumerate(self._storage_ids)}
        self._officers: dict[str, Walker] = {}
        self._officer_list: list[Walker] = []
        self._tag_idx: dict[str, int] = {}
        self._epcs: list[str] = []
        self._kinds: list[str] = []
        self._n = 0
        cap = 1024
        self._epc_b = np.zeros(cap, dtype="S24")
        self._rest = np.zeros(cap, SEGMENT_DTYPE)  # per tag: its segment row while at rest (times set per chunk)
        self._x = np.zeros(cap)
        self._y = np.zeros(cap)
        self._level = np.zeros(cap, dtype=np.int16)
        self._space = np.zeros(cap, dtype=np.int32)  # truth space (for carried tags: the holder's, as applied)
        self._storage = np.full(cap, -1, dtype=np.int32)
        self._holder = np.full(cap, -1, dtype=np.int32)
        self._since = np.zeros(cap)  # start of the current motion piece (rest or carried by the current holder)
        self._open = np.zeros(cap)  # start of the current truth interval
        self._closed_pieces: list[tuple] = []  # motion pieces ended inside the current chunk
        self._truth: tuple[list, ...] = ([], [], [], [], [], [], [])
        self._handhelds: dict[str, tuple[int, float]] = {}  # reader -> (officer index, t_on)
        self._handheld_closed: list[tuple[str, int, float, float]] = []
        self._horizon = 0.0
        self.moves = 0  # space changes of tags (door crossings while carried), for the run metrics
        self.walks = 0

    # -- helpers -------------------------------------------------------------------------------------------------
    def _us(self, t_s: float) -> int:
        return self.start_us + int(round(t_s * 1e6))

    def _sidx(self, space: str) -> int:
        try:
            return self._space_idx[space]
        except KeyError:
            raise LedgerError(f"unknown space {space!r}") from None

    def _tag(self, epc: str) -> int:
        try:
            return self._tag_idx[epc]
        except KeyError:
            raise LedgerError(f"unknown tag {epc!r}") from None

    def _off(self, officer: str) -> Walker:
        try:
            return self._officers[officer]
        except KeyError:
            raise LedgerError(f"unknown officer {officer!r}") from None

    def _grow(self) -> None:
        cap = len(self._x) * 2
        for name in ("_epc_b", "_rest", "_x", "_y", "_level", "_space", "_storage", "_holder", "_since", "_open"):
            old = getattr(self, name)
            new = np.full(cap, -1, dtype=old.dtype) if name in ("_storage", "_holder") else np.zeros(cap, old.dtype)
            if name == "_rest":
                new = np.zeros(cap, SEGMENT_DTYPE)
            new[: len(old)] = old
            setattr(self, name, new)

    def _emit(self, i: int, t1_s: float) -> None:
        """Close tag i's open truth interval at t1_s (zero-length intervals are dropped) and open the next one."""
        t0_us, t1_us = self._us(self._open[i]), self._us(t1_s)
        if t1_us > t0_us:
            h = self._holder[i]
            s = self._storage[i]
            tr = self._truth
            tr[0].append(self._epcs[i])
            tr[1].append(self._kinds[i])
            tr[2].append(t0_us)
            tr[3].append(t1_us)
            tr[4].append(self._space_ids[self._space[i]])
            tr[5].append(self._storage_ids[s] if s >= 0 else "")
            tr[6].append(self._officer_list[h].name if h >= 0 else "")
        self._open[i] = t1_s

    def _set_rest(self, i: int) -> None:
        r = self._rest
        r["tag"][i] = i
        r["epc"][i] = self._epc_b[i]
        r["level"][i] = self._level[i]
        r["x0"][i] = r["x1"][i] = self._x[i]
        r["y0"][i] = r["y1"][i] = self._y[i]
        r["container"][i] = self._storage[i]

    def _end_piece(self, i: int, t_s: float) -> None:
        """Log tag i's current motion piece [since, t_s) for the chunk's segments."""
        a = self._since[i]
        if t_s > a:
            h = int(self._holder[i])
            if h >= 0:
                self._closed_pieces.append((i, a, t_s, h))
            else:
                self._closed_pieces.append(
                    (i, a, t_s, -1, int(self._level[i]), self._x[i], self._y[i], int(self._storage[i]))
                )
        self._since[i] = t_s

    def _advance(self, o: Walker, t_s: float, strict: bool = False) -> None:
        """Apply the officer's door crossings up to t_s: carried tags' truth intervals split at each space change."""
        cr = o.crossings
        k = 0
        while k < len(cr) and (cr[k][0] < t_s if strict else cr[k][0] <= t_s):
            t_c, sp = cr[k]
            o.space = sp
            for i in o.carried:
                self._emit(i, t_c)
                self._space[i] = sp
                self._level[i] = self._space_level[sp]
                self.moves += 1
            k += 1
        if k:
            del cr[:k]

    def _now(self, default: float) -> float:
        return self.clock() if self.clock is not None else default

    # -- registration --------------------------------------------------------------------------------------------
    def add_officer(self, officer: str, badge_epc: str, place, t_s: float) -> None:
        if officer in self._officers:
            raise LedgerError(f"officer {officer!r} registered twice")
        sp = self._sidx(place.space)
        o = Walker(officer, len(self._officer_list), sp, place)
        lv = int(self._space_level[sp])
        o.pieces.append((t_s, INF, lv, place.xy[0], place.xy[1], place.xy[0], place.xy[1]))
        self._officers[officer] = o
        self._officer_list.append(o)
        self._register(badge_epc, "badge", t_s, place, "", officer)
        o.badge = self._tag_idx[badge_epc]

    def add_tag(self, epc: str, kind: str, t_s: float, place, storage: str = "", holder: str = "") -> None:
        if kind not in ("dossier", "item"):
            raise LedgerError(f"tag kind {kind!r}: expected dossier or item (badges come with add_officer)")
        self._register(epc, kind, t_s, place, storage, holder)

    def _register(self, epc: str, kind: str, t_s: float, place, storage: str, holder: str) -> None:
        if epc in self._tag_idx:
            raise LedgerError(f"tag {epc!r} registered twice")
        if self._n == len(self._x):
            self._grow()
        i = self._n
        self._n += 1
        self._tag_idx[epc] = i
        self._epcs.append(epc)
        self._kinds.append(kind)
        self._epc_b[i] = epc.encode("ascii")
        sp = self._sidx(place.space)
        self._space[i] = sp
        self._level[i] = self._space_level[sp]
        self._x[i], self._y[i] = self._rest_xy(place, storage)
        self._storage[i] = self._storage_idx[storage] if storage else -1
        self._set_rest(i)
        self._since[i] = t_s
        self._open[i] = t_s
        if holder:
            o = self._off(holder)
            self._advance(o, t_s)
            if o.space != sp:
                raise LedgerError(f"tag {epc!r} registered with {holder!r} in {place.space!r} but they are elsewhere")
            self._holder[i] = o.idx
            self._storage[i] = -1
            o.carried.add(i)
        else:
            self._holder[i] = -1

    # -- officer motion ------------------------------------------------------------------------------------------
    def walk(self, officer: str, route, t_s: float) -> None:
        """The officer walks `route` from t_s to t_s + route.duration_s; carried tags move along every leg."""
        o = self._off(officer)
        self._advance(o, t_s)
        o.truncate(t_s)
        if self._sidx(route.origin.space) != o.space:
            raise LedgerError(
                f"{officer!r} starts a route in {route.origin.space!r} at t={t_s} but is in {self._space_ids[o.space]!r}"
            )
        for leg in route.legs:
            o.pieces.append(
                (t_s + leg.t0_s, t_s + leg.t1_s, int(self._space_level[self._sidx(leg.space)]),
                 leg.p0[0], leg.p0[1], leg.p1[0], leg.p1[1])
            )
        end = t_s + route.duration_s
        dx, dy = route.dest.xy
        dsp = self._sidx(route.dest.space)
        o.pieces.append((end, INF, int(self._space_level[dsp]), dx, dy, dx, dy))
        o.crossings = [(t_s + c.t_s, self._sidx(c.to_space)) for c in route.crossings]
        o.place = route.dest
        o.dest = route.dest
        self.walks += 1

    def stand(self, officer: str, place, t_s: float) -> None:
        """The officer stands still at `place` (in the space they are in) from t_s."""
        o = self._off(officer)
        self._advance(o, t_s)
        o.truncate(t_s)
        sp = self._sidx(place.space)
        if sp != o.space:
            raise LedgerError(
                f"{officer!r} cannot stand in {place.space!r} at t={t_s}: they are in {self._space_ids[o.space]!r}"
            )
        o.pieces.append((t_s, INF, int(self._space_level[sp]), place.xy[0], place.xy[1], place.xy[0], place.xy[1]))
        o.place = place
        o.dest = place

    # -- tags changing hands -------------------------------------------------------------------------------------
    def pick(self, epc: str, officer: str, t_s: float) -> None:
        i = self._tag(epc)
        o = self._off(officer)
        self._advance(o, t_s)
        h = int(self._holder[i])
        if h >= 0:
            raise LedgerError(f"{officer!r} cannot pick {epc!r}: {self._officer_list[h].name!r} holds it")
        if self._space[i] != o.space:
            raise LedgerError(
                f"{officer!r} in {self._space_ids[o.space]!r} cannot pick {epc!r} lying in "
                f"{self._space_ids[self._space[i]]!r} at t={t_s}"
            )
        self._end_piece(i, t_s)
        self._emit(i, t_s)
        self._holder[i] = o.idx
        self._storage[i] = -1
        o.carried.add(i)

    def _rest_xy(self, place, storage: str) -> tuple[float, float]:
        """Where a resting tag sits: inside its storage unit (on the shelf, in the drawer), else at the place."""
        return self.floor.storage[storage].position if storage else place.xy

    def put(self, epc: str, t_s: float, place, storage: str = "") -> None:
        i = self._tag(epc)
        sp = self._sidx(place.space)
        h = int(self._holder[i])
        if h >= 0:
            o = self._officer_list[h]
            if i == o.badge:
                raise LedgerError(f"badge {epc!r} cannot be put down")
            self._advance(o, t_s)
            cur = o.space
        else:
            cur = int(self._space[i])
        if sp != cur:
            raise LedgerError(
                f"{epc!r} cannot be put in {place.space!r} at t={t_s}: it is in {self._space_ids[cur]!r}"
            )
        if storage and self.floor.storage[storage].space != place.space:
            raise LedgerError(f"storage {storage!r} is not in {place.space!r}")
        self._end_piece(i, t_s)
        self._emit(i, t_s)
        if h >= 0:
            self._officer_list[h].carried.discard(i)
        self._holder[i] = -1
        self._space[i] = sp
        self._level[i] = self._space_level[sp]
        self._x[i], self._y[i] = self._rest_xy(place, storage)
        self._storage[i] = self._storage_idx[storage] if storage else -1
        self._set_rest(i)

    def hand_over(self, epc: str, from_officer: str, to_officer: str, t_s: float) -> None:
        i = self._tag(epc)
        a, b = self._off(from_officer), self._off(to_officer)
        self._advance(a, t_s)
        self._advance(b, t_s)
        if int(self._holder[i]) != a.idx:
            raise LedgerError(f"{from_officer!r} does not hold {epc!r} at t={t_s}")
        if i == a.badge:
            raise LedgerError(f"badge {epc!r} cannot be handed over")
        if a.space != b.space:
            raise LedgerError(f"hand-over of {epc!r} between {from_officer!r} and {to_officer!r} in different spaces")
        self._end_piece(i, t_s)
        self._emit(i, t_s)
        a.carried.discard(i)
        b.carried.add(i)
        self._holder[i] = b.idx

    # -- handheld readers ----------------------------------------------------------------------------------------
    def handheld_on(self, reader: str, officer: str, t_s: float) -> None:
        if reader in self._handhelds:
            raise LedgerError(f"handheld {reader!r} is already on")
        self._handhelds[reader] = (self._off(officer).idx, t_s)

    def handheld_off(self, reader: str, t_s: float) -> None:
        try:
            h, t_on = self._handhelds.pop(reader)
        except KeyError:
            raise LedgerError(f"handheld {reader!r} is not on") from None
        if t_s > t_on:
            self._handheld_closed.append((reader, h, t_on, t_s))

    # -- queries -------------------------------------------------------------------------------------------------
    def where(self, epc: str) -> tuple[str, str, str]:
        """(space, storage, holder) of a tag now (at the clock, else as of the last change)."""
        i = self._tag(epc)
        h = int(self._holder[i])
        if h >= 0:
            o = self._officer_list[h]
            self._advance(o, self._now(self._since[i]))
            return self._space_ids[o.space], "", o.name
        s = int(self._storage[i])
        return self._space_ids[self._space[i]], (self._storage_ids[s] if s >= 0 else ""), ""

    def officer_place(self, officer: str):
        """Where the officer stands now (while walking: where the current walk ends)."""
        o = self._off(officer)
        return o.place

    def officer_space(self, officer: str) -> str:
        """The space the officer is in now (at the clock)."""
        o = self._off(officer)
        if self.clock is not None:
            self._advance(o, self.clock())
        return self._space_ids[o.space]

    def carried_by(self, officer: str) -> list[str]:
        return sorted(self._epcs[i] for i in self._off(officer).carried)

    @property
    def n_tags(self) -> int:
        return self._n

    @property
    def n_officers(self) -> int:
        return len(self._officer_list)

    def tag_kind_counts(self) -> dict[str, int]:
        return {k: self._kinds.count(k) for k in KINDS}
