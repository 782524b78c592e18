"""Door light barriers: who crossed a portal door, and which way, from the order its two beams were interrupted.

Directional portals pair the RFID antennas with two light barriers across the doorway, one just inside each face of
the door (site.json reader `gpi`, kind light_barrier); the reader reports each beam's changes as LLRP GPIEvents in
its status stream (GPIPortNumber; "true": interrupted, "false": cleared). A person walking through breaks the beam on
the side they come from first and the other one a moment later; a walk past the door breaks neither. `Beams` keeps
each beam's state, pairs the interruptions of a door's two beams into crossings (time, destination, confidence; one
beam alone, or both at the same instant: a crossing of unknown direction) and tells per door whether its beams are
working (reader up, heard lately, none stuck), so a tag's burst of reads at the door can take a crossing's direction,
or be a walk past when there was none. Memory: per beam a few numbers, and the crossings of the last `keep_s`.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from numba import njit

from .sitemodel import SiteModel

CROSSED, ONE_BEAM, TIED = 0, 1, 2  # crossing kinds: both beams in order; one beam only; both at the same instant
EPOCH_2000_US = 946_684_800_000_000  # GPIEvent timestamps before this are impossible here (as other status rows)
FUTURE_US = 86_400_000_000  # ... and a day ahead of the core's clock
_OLD = -(1 << 62)


class Beams:
    """The site's door light barriers and the crossings they report.

    pair_s: the second beam's interruption must follow the first within this to make one crossing (assumption: a
    walker passes the ~0.2 m between the beams in well under a second; a slow one stands in the doorway a little);
    silence_s: a door's beams count as working only while each has changed within this, counted from the stream's
    first beam change at the earliest (assumption: a door in use is crossed at least once a day; a beam silent
    longer is more likely dead than idle, and the door falls back to the antennas alone); stuck_s: a beam
    interrupted longer than this is taken as blocked or failed (assumption); keep_s: crossings are kept this long for
    matching with bursts of reads.
    """

    def __init__(self, model: SiteModel, pair_s: float = 1.5, silence_s: float = 86400.0, stuck_s: float = 60.0,
                 keep_s: float = 600.0) -> None:  # fmt: skip
        self.n_doors = max(len(model.doors), 1)
        self.pair_us, self.silence_us = int(pair_s * 1e6), int(silence_s * 1e6)
        self.shared_us = 0  # an interruption alone this soon after the other beam's paired one: a second crossing
        self.stuck_us, self.keep_us = int(stuck_s * 1e6), int(keep_s * 1e6)
        n_r = max(len(model.readers), 1)
        nb = len(model.gpi_port)
        self.lut = np.full((n_r, int(model.gpi_port.max()) + 1 if nb else 1), -1, np.int64)
        self.b_door = model.gpi_door.astype(np.int64)
        self.b_reader = model.gpi_reader.astype(np.int64)
        ds = model.door_spaces if len(model.door_spaces) else np.full((self.n_doors, 2), -1, np.int32)
        self.door_spaces = np.asarray(ds, np.int64).reshape(-1, 2)
        self.b_side = np.zeros(nb, np.int64)  # 0: the door's `a` side, 1: its `b` side
        self.side_beam = np.full((self.n_doors, 2), -1, np.int64)  # per door, the beam on each side
        for k in range(nb):
            self.lut[model.gpi_reader[k], model.gpi_port[k]] = k
            d = int(model.gpi_door[k])
            s = 0 if int(model.gpi_space[k]) == int(self.door_spaces[d, 0]) else 1
            self.b_side[k] = s
            self.side_beam[d, s] = k
        self.has = (self.side_beam >= 0).all(axis=1)  # doors with a beam on both sides
        # spaces a tag may pass between unseen: the same, or joined by a link or a door no portal watches (last
        # row / column: no space, open to none)
        n_s = len(model.spaces)
        self.free = np.zeros((n_s + 1, n_s + 1), bool)
        self.free[np.arange(n_s), np.arange(n_s)] = True
        for i, adj in enumerate(model.adjacency):
            for v in adj:
                if frozenset((i, v)) not in model.portal_pairs:
                    self.free[i, v] = self.free[v, i] = True
        # ... and the same joined through any chain of such passages (a corridor run with its stairs and lifts)
        self.reach = self.free.copy()
        for k in range(n_s):
            self.reach |= self.reach[:, k:k + 1] & self.reach[k:k + 1, :]
        self.door_readers = [sorted({int(self.b_reader[k]) for k in self.side_beam[d] if k >= 0})
                             for d in range(self.n_doors)]  # fmt: skip
        self.down = np.full(nb, -1, np.int64)  # interrupted since (-1: clear)
        self.last = np.full(nb, _OLD, np.int64)  # last change of any kind
        self._edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (t_us, beam, interrupted) waiting
        self._rises = np.zeros((0, 2), np.int64)  # interruptions not yet paired: (t_us, beam)
        # crossings, sorted by (door, t_us): time (the second beam's interruption), door, destination, origin
        # (space indices; -1: unknown), kind, confidence
        self.c_t = np.zeros(0, np.int64)
        self.c_door = np.zeros(0, np.int64)
        self.c_dest = np.zeros(0, np.int64)
        self.c_origin = np.zeros(0, np.int64)
        self.c_kind = np.zeros(0, np.int64)
        self.c_conf = np.zeros(0)
        self.live = np.zeros(self.n_doors, bool)  # per door: its beams are working (as of the last update)
        self.heard_us = _OLD  # the first beam change of the stream: every door's beams are presumed working since
        #: per portal row of the last `beam_rows`: a passage only if a badge crossing beside it went where it did
        self.follow = np.zeros(0, bool)
        #: per portal row of the last `beam_rows`: crossings both ways beside it
        self.both = np.zeros(0, bool)
        self.shift = np.zeros(0, bool)  # ... rows taken on a crossing just after them (stamped later)
        self.counts: Counter[str] = Counter()  # crossings by kind, edges taken
        self.quarantine: Counter[str] = Counter()

    @property
    def any(self) -> bool:
        return bool(self.has.any())

    def push(self, t_us: np.ndarray, reader: np.ndarray, port: np.ndarray, detail: list | np.ndarray,
             now_us: int | None = None) -> int:  # fmt: skip
        """Take GPIEvent rows (times on the core's clock, reader indices (-1: unknown), GPI ports, "true"/"false");
        bad frames (unknown reader, a port that is no light barrier, another state, an impossible time) are
        quarantined with counts by reason. Rows wait for the `update` whose clock reaches them. Returns rows kept."""
        t = np.asarray(t_us, np.int64)
        r, p = np.asarray(reader, np.int64), np.asarray(port, np.int64)
        d = np.asarray(detail, dtype=object)
        state = np.array([x in ("true", "false") for x in d.tolist()], bool)
        on = d == "true"
        ok_r = (r >= 0) & (r < self.lut.shape[0])
        ok_p = ok_r & (p >= 0) & (p < self.lut.shape[1])
        beam = np.full(len(t), -1, np.int64)
        beam[ok_p] = self.lut[r[ok_p], p[ok_p]]
        hi = now_us + FUTURE_US if now_us is not None else np.iinfo(np.int64).max
        bad = {"gpi_unknown_reader": ~ok_r}
        bad["gpi_unknown_port"] = ok_r & (beam < 0)
        bad["gpi_bad_state"] = (beam >= 0) & ~state
        bad["gpi_bad_time"] = (beam >= 0) & state & ((t < EPOCH_2000_US) | (t > hi))
        keep = (beam >= 0) & state & ~bad["gpi_bad_time"]
        for why, m in bad.items():
            if m.any():
                self.quarantine[why] += int(m.sum())
        if keep.any():
            self._edges.append((t[keep], beam[keep], on[keep]))
            self.counts["edges"] += int(keep.sum())
        return int(keep.sum())

    def update(self, now_us: int, reader_up: np.ndarray | None = None) -> None:
        """Apply the edges up to now_us in time order, pair interruptions into crossings (final once the partner's
        window has passed), forget crossings older than keep_s, and judge each door's beams working or not."""
        if self._edges:
            t, b, on = (np.concatenate(c) for c in zip(*self._edges))
            due = t <= now_us
            self._edges = [(t[~due], b[~due], on[~due])] if not due.all() else []
            t, b, on = t[due], b[due], on[due]
            o = np.argsort(t, kind="stable")
            t, b, on = t[o], b[o], on[o]
            rise = _edges_pass(t, b, on, self.down, self.last)
            if len(rise):
                self._rises = np.concatenate([self._rises, np.stack([t[rise], b[rise]], axis=1)])
                self._rises = self._rises[np.argsort(self._rises[:, 0], kind="stable")]
        if len(self._rises):
            out, rest = _pair_pass(self._rises[:, 0].copy(), self._rises[:, 1].copy(), self.b_door, self.b_side,
                                   self.door_spaces, self.pair_us, int(now_us), self.shared_us)  # fmt: skip
            self._rises = self._rises[rest]
            if len(out[0]):
                self._add(*out)
        old = self.c_t < now_us - self.keep_us
        if old.any():
            self._take(~old)
        if self.heard_us == _OLD and self.counts["edges"]:
            self.heard_us = int(self.last.max())
        self.live = self.has.copy()
        h = np.flatnonzero(self.has)  # every such door at once: its two beams (and their readers) side by side
        if len(h):
            ks = self.side_beam[h]
            quiet = (now_us - np.maximum(self.last[ks], self.heard_us) > self.silence_us).any(axis=1)
            down = self.down[ks]
            stuck = ((down >= 0) & (now_us - down > self.stuck_us)).any(axis=1)
            live = ~(quiet | stuck)
            if reader_up is not None:
                live &= np.asarray(reader_up, bool)[self.b_reader[ks]].all(axis=1)
            self.live[h] = live

    def _add(self, t, door, dest, origin, kind, conf) -> None:
        for k, nm in ((CROSSED, "crossed"), (ONE_BEAM, "one_beam"), (TIED, "tied")):
            self.counts[nm] += int((kind == k).sum())
        self.c_t = np.concatenate([self.c_t, t])
        self.c_door = np.concatenate([self.c_door, door])
        self.c_dest = np.concatenate([self.c_dest, dest])
        self.c_origin = np.concatenate([self.c_origin, origin])
        self.c_kind = np.concatenate([self.c_kind, kind])
        self.c_conf = np.concatenate([self.c_conf, conf])
        self._take(np.lexsort((self.c_t, self.c_door)))

    def _take(self, sel) -> None:
        self.c_t, self.c_door, self.c_dest = self.c_t[sel], self.c_door[sel], self.c_dest[sel]
        self.c_origin, self.c_kind, self.c_conf = self.c_origin[sel], self.c_kind[sel], self.c_conf[sel]

    def match(self, door: np.ndarray, start: np.ndarray, t_us: np.ndarray, pre_us: int) -> tuple[np.ndarray, ...]:
        """Per portal row (its door, its burst's start, its time): (to, crossed, live, to_hi, to_lo) -- to: +1 when
        every directed crossing of the door from pre_us before the burst's start up to the row's time went to the
        door's space with the higher index, -1 when every one went to the lower, 0 otherwise (none, undirected only,
        or both ways); crossed: some crossing (directed or not) lies in that span; live: the door's beams work;
        to_hi / to_lo: some crossing in the span went to the higher / lower. A crossing is never taken from after
        the row (an estimate is stamped with the read that decided it)."""
        n = len(door)
        if n == 0 or not self.any:
            z = np.zeros(n, np.int8)
            return z, z.astype(bool), z.astype(bool), z.astype(bool), z.astype(bool)
        live = self.live[np.asarray(door, np.int64)]
        to, crossed, to_hi, to_lo = _match_pass(np.asarray(door, np.int64), np.asarray(start, np.int64),
                                                np.asarray(t_us, np.int64), int(pre_us), self.c_door, self.c_t,
                                                self.c_dest, self.c_origin)  # fmt: skip
        return to, crossed, live, to_hi, to_lo


@njit(cache=True)
def _edges_pass(t, b, on, down, last):
    """Beam edges in time order: each beam's state and last change updated; True where an edge opens an
    interruption (a repeated "true" or "false" is no new edge)."""
    rise = np.zeros(len(t), np.bool_)
    for i in range(len(t)):
        k = b[i]
        if on[i]:
            if down[k] < 0:
                down[k] = t[i]
                rise[i] = True
        else:
            down[k] = -1
        last[k] = max(last[k], t[i])
    return rise


@njit(cache=True)
def _pair_pass(t, b, b_door, b_side, door_spaces, pair_us, now_us, shared_us=0):
    """Interruptions (t, beam) in time order paired per door: one on each side within pair_us is a crossing from the
    first side to the other (at the second's time; the same instant: tied, no direction); one left alone once its
    window has passed is a one-beam crossing, unless the other beam's interruption, already paired, came at most
    shared_us before it: then two people crossed the door opposite ways at once, the other beam's interruptions by
    both merged into one, and it is a crossing toward its own side. Returns the crossings (t, door, dest, origin,
    kind, confidence) and the indices of interruptions still waiting for a partner."""
    n = len(t)
    used = np.zeros(n, np.bool_)
    ct = np.empty(n, np.int64)
    cd = np.empty(n, np.int64)
    cdest = np.empty(n, np.int64)
    corig = np.empty(n, np.int64)
    ck = np.empty(n, np.int64)
    cc = np.empty(n)
    m = 0
    for i in range(n):
        if used[i]:
            continue
        d, s = b_door[b[i]], b_side[b[i]]
        j = i + 1
        partner = -1
        while j < n and t[j] - t[i] <= pair_us:
            if not used[j] and b_door[b[j]] == d and b_side[b[j]] != s:
                partner = j
                break
            j += 1
        if partner < 0:
            if now_us - t[i] <= pair_us:
                continue  # its partner may still come
            used[i] = True
            ct[m], cd[m], ck[m], cc[m] = t[i], d, 1, 0.5
            cdest[m], corig[m] = -1, -1
            j = i - 1
            while shared_us > 0 and j >= 0 and t[i] - t[j] <= shared_us:
                if used[j] and b_door[b[j]] == d and b_side[b[j]] != s and t[j] < t[i]:
                    ck[m], cdest[m], corig[m] = 0, door_spaces[d, s], door_spaces[d, 1 - s]
                    break
                j -= 1
            m += 1
            continue
        used[i] = used[partner] = True
        gap = t[partner] - t[i]
        ct[m], cd[m] = t[partner], d
        if gap == 0:
            ck[m], cc[m], cdest[m], corig[m] = 2, 0.5, -1, -1
        else:
            ck[m], cdest[m], corig[m] = 0, door_spaces[d, 1 - s], door_spaces[d, s]
            cc[m] = 1.0 - 0.5 * np.exp(-gap / 50_000.0)  # assumption: a gap of 0.05 s or more is a clear order
        m += 1
    rest = np.flatnonzero(~used)
    return (ct[:m], cd[:m], cdest[:m], corig[:m], ck[:m], cc[:m]), rest


@njit(cache=True)
def _match_pass(door, start, t, pre_us, c_door, c_t, c_dest, c_origin):
    """`Beams.match` over the rows; crossings sorted by (door, time)."""
    n = len(door)
    to = np.zeros(n, np.int8)
    crossed = np.zeros(n, np.bool_)
    to_hi = np.zeros(n, np.bool_)
    to_lo = np.zeros(n, np.bool_)
    for i in range(n):
        lo = np.searchsorted(c_door, door[i])
        up = np.searchsorted(c_door, door[i], side="right")
        if lo == up:
            continue
        j = lo + np.searchsorted(c_t[lo:up], start[i] - pre_us)
        hi_n = lo_n = 0
        while j < up and c_t[j] <= t[i]:
            crossed[i] = True
            if c_dest[j] >= 0:
                if c_dest[j] > c_origin[j]:
                    hi_n += 1
                else:
                    lo_n += 1
            j += 1
        if hi_n > 0 and lo_n == 0:
            to[i] = 1
        elif lo_n > 0 and hi_n == 0:
            to[i] = -1
        to_hi[i], to_lo[i] = hi_n > 0, lo_n > 0
    return to, crossed, to_hi, to_lo
