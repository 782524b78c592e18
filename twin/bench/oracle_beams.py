"""The oracle's door light barriers: directed door crossings from the GPIEvent rows, as the tracker pairs them.

A real deployment senses the beams, so the oracle may use them: the reader status rows the bench hands a core
(`reader_events`, kind "GPIEvent", antenna = GPI port, detail "true"/"false") go to the tracker's own pairing
(`twin.tracker.beams.Beams`, stamps taken back to true time with the engine's clock model), and the filter's
passing step (`oracle_filter._pass`) asks `share` how much of a passing tag's belief on one side of a door crosses
it in one step: most of it towards the destination of a crossing of that door near the step, none the other way,
none at all when the door's beams work and nobody crossed (a walk past), the antenna-only share when the door has
no working beams.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..tracker.beams import CROSSED, Beams
from ..tracker.sitemodel import site_model

BEAM_CROSS = 0.9  # share of a passing tag's belief on a crossing's origin side moved to its destination in a step
#                   that a directed crossing of the door lies near (assumption: another walker may cross beside a
#                   tag walking past; the reads' own evidence then keeps it)
NEAR_S = 3.0  # a crossing counts for a portal step within this of it (assumption: a portal reads a carried tag for
#               a few seconds around the doorway; the beams are broken in the middle of that)

GAP_S = 5.0  # portal reads of a tag at a door this far apart start a new burst (assumption: the GPI portal reads
#              every second while its door sensor sees someone)
BURST_S = 8.0  # a crossing moves a tag only within this after the start of its burst of reads at the door, or 1 s
#                before (assumption: a carried tag is read from a step or two before the doorway; one put down
#                beside the door is read on, and the carrier's way out must not take it along)


class OracleBeams:
    """Crossings of the site's light-barrier doors, in the oracle's door and space indices."""

    def __init__(self, core, near_s: float = NEAR_S, cross: float = BEAM_CROSS) -> None:
        self.core = core
        self.near_us, self.cross = int(near_s * 1e6), float(cross)
        try:
            self.model = site_model(core.site)
        except Exception:  # a site the tracker's loader refuses: no beams (the antennas alone)
            self.model = None
        self.beams = Beams(self.model) if self.model is not None and len(self.model.gpi_port) else None
        m = core.m
        sp = {s: i for i, s in enumerate(m.space_ids)}
        portal = sorted({d for d in core._portal_doors() if d in m.floor.doors})
        di = {d: i for i, d in enumerate(portal)}
        if self.beams is not None:
            self.door_of = np.array([di.get(d, -1) for d in self.model.doors], np.int64)  # tracker -> oracle door
            self.space_of = np.array([sp.get(s, -1) for s in self.model.spaces] + [-1], np.int64)
            rid = {r: i for i, r in enumerate(core.trig.reader_ids)}
            self.trig_reader = np.array([rid.get(r, -1) for r in self.model.readers], np.int64)
            self.r_ix = {r: i for i, r in enumerate(self.model.readers)}
        self.t = np.zeros(0, np.int64)  # directed crossings, sorted by (door, t): true time, oracle door, dest space
        self.door = np.zeros(0, np.int64)
        self.dest = np.zeros(0, np.int64)
        self.live = np.zeros(len(portal), bool)
        self.nd = len(portal) + 1
        self._last: dict[int, tuple[int, int]] = {}  # (tag x nd + door) -> (its last portal read, its burst start)
        self.r_key = self.r_t = self.r_start = np.zeros(0, np.int64)  # this interval's portal reads, by (key, t)

    def note_reads(self, tag: np.ndarray, door: np.ndarray, t: np.ndarray) -> None:
        """The interval's reads (tag, door of the portal antenna or -1, true time): the start of each portal read's
        burst at its door, carried over from the intervals before."""
        on = door >= 0
        key, t = tag[on].astype(np.int64) * self.nd + door[on], t[on].astype(np.int64)
        o = np.lexsort((t, key))
        key, t = key[o], t[o]
        new = np.ones(len(t), bool)
        new[1:] = (key[1:] != key[:-1]) | (t[1:] - t[:-1] > int(GAP_S * 1e6))
        start = np.where(new, t, -1)
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, np.int64)
        for i in first.tolist():  # a burst carried over from the interval before
            last = self._last.get(int(key[i]))
            if last is not None and t[i] - last[0] <= int(GAP_S * 1e6):
                start[i] = last[1]
        idx = np.where(start >= 0, np.arange(len(t)), 0)
        start = start[np.maximum.accumulate(idx)] if len(t) else start
        ends = np.r_[first[1:] - 1, len(t) - 1] if len(first) else first
        for i in ends.tolist():
            self._last[int(key[i])] = (int(t[i]), int(start[i]))
        self.r_key, self.r_t, self.r_start = key, t, start

    def burst_start(self, tag: np.ndarray, door: np.ndarray, t1_us: np.ndarray) -> np.ndarray:
        """Per row: the start of the tag's burst at the door as of its latest portal read before t1_us (-1: none)."""
        key = np.asarray(tag, np.int64) * self.nd + np.asarray(door, np.int64)
        out = np.full(len(key), -1, np.int64)
        lo, hi = np.searchsorted(self.r_key, key), np.searchsorted(self.r_key, key, side="right")
        for i in range(len(key)):
            j = lo[i] + int(np.searchsorted(self.r_t[lo[i]:hi[i]], t1_us[i])) - 1
            if j >= lo[i]:
                out[i] = self.r_start[j]
        return out

    def heard_near(self, tag: int, door: int, t_us: int) -> bool:
        """Whether the door's portal read the tag within near_s of t_us (this interval's reads, or the last one of
        the intervals before)."""
        key = int(tag) * self.nd + int(door)
        lo, hi = np.searchsorted(self.r_key, [key, key + 1])
        ts = self.r_t[lo:hi]
        if len(ts) and (np.abs(ts - t_us) <= self.near_us).any():
            return True
        last = self._last.get(key)
        return last is not None and abs(last[0] - t_us) <= self.near_us

    def push(self, table: pa.Table | None) -> None:
        """Take the GPIEvent rows of a reader status table (other rows and bad frames are left out)."""
        if self.beams is None or table is None or table.num_rows == 0:
            return
        if any(c not in table.column_names for c in ("t_us", "reader", "antenna", "kind", "detail")):
            return
        kind = table.column("kind").to_pylist()
        g = [i for i, k in enumerate(kind) if k == "GPIEvent"]
        if not g:
            return
        sub = table.take(pa.array(g, pa.int64()))
        r = np.array([self.r_ix.get(x, -1) for x in sub.column("reader").to_pylist()], np.int64)
        t = np.asarray(sub.column("t_us").to_numpy(zero_copy_only=False), np.int64)
        tr = np.where(r >= 0, self.trig_reader[np.maximum(r, 0)], -1)
        t = self.core.trig.true_time(tr, t)
        port = np.asarray(sub.column("antenna").fill_null(0).to_numpy(zero_copy_only=False), np.int64)
        self.beams.push(t, r, port, sub.column("detail").to_pylist())

    def update(self, now_us: int) -> None:
        """Pair the edges up to now_us; keep the directed crossings of the last `keep_s` in oracle indices."""
        if self.beams is None:
            return
        b = self.beams
        b.update(int(now_us))
        ok = (b.c_kind == CROSSED) & (b.c_dest >= 0)
        door = self.door_of[b.c_door[ok]]
        dest = self.space_of[b.c_dest[ok]]
        keep = (door >= 0) & (dest >= 0)
        t, door, dest = b.c_t[ok][keep], door[keep], dest[keep]
        o = np.lexsort((t, door))
        self.t, self.door, self.dest = t[o], door[o], dest[o]
        live = np.zeros(len(self.live), bool)
        d_ok = self.door_of >= 0
        live[self.door_of[d_ok]] = b.live[: len(self.door_of)][d_ok]
        self.live = live

    def share(self, door: np.ndarray, frm: np.ndarray, to: np.ndarray, t0_us: np.ndarray, t1_us: np.ndarray,
              q: float, tag: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        """Per passing row (door, space left, space entered, its step [t0_us, t1_us), the tag): the share of the
        belief on `frm` that crosses. A directed crossing within near_s of the step (and, given the tag, from 1 s
        before the start of its burst of reads at the door to BURST_S after): `cross` towards its destination, 0
        away from it (both ways near: q); none and the door's beams work: 0 (a walk past); beams not working: q."""
        n = len(door)
        out = np.full(n, float(q))
        if self.beams is None or n == 0:
            return out
        door = np.asarray(door, np.int64)
        live = self.live[door]
        t0_us, t1_us = np.asarray(t0_us, np.int64) - self.near_us, np.asarray(t1_us, np.int64) + self.near_us
        if tag is not None:
            bs = self.burst_start(tag, door, t1_us - self.near_us)
            t0_us = np.where(bs >= 0, np.maximum(t0_us, bs - 1_000_000), t0_us)
            t1_us = np.where(bs >= 0, np.minimum(t1_us, bs + int(BURST_S * 1e6)), t1_us)
        for dd in np.unique(door).tolist():
            a, z = np.searchsorted(self.door, [dd, dd + 1])
            ct, cd = self.t[a:z], self.dest[a:z]
            for i in np.flatnonzero(door == dd).tolist():
                lo, hi = np.searchsorted(ct, [t0_us[i], t1_us[i]])
                hi = max(hi, lo)
                d = cd[lo:hi]
                if len(d) == 0:
                    out[i] = 0.0 if live[i] else q
                elif (d == to[i]).all():
                    out[i] = self.cross
                elif (d == frm[i]).all():
                    out[i] = 0.0
        return out
