"""Cleaning: per-tag adaptive smoothing and cross-read arbitration, vectorised over a batch.

Reads of a tag are pooled into 1 s cycles per logical place (a space, or a storage unit). In each cycle the place
with the most weighted evidence wins (cross-read arbitration: an antenna's weight is how far its reads can be
trusted, fitted from data or set by kind, plus a small RSSI tie-breaker). A place becomes the tag's accepted place
once a run of cycles it wins gathers `threshold` evidence, where the run must not pause longer than the tag's own
window -- in the spirit of SMURF (Jeffery et al., VLDB 2006; ANCHORS): the window is sized from each tag's observed
read rate so that a present tag is missed for a whole window with probability < delta. Runs carry over between
batches through per-tag state arrays; there is no Python loop over reads or cycles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BIN_US = 1_000_000


@dataclass
class Cycles:
    """One row per (tag, cycle): the winning place, its evidence, all evidence, time of its last read."""

    tag: np.ndarray
    place: np.ndarray
    ev: np.ndarray
    total: np.ndarray
    t_us: np.ndarray
    strong: np.ndarray | None = None  # the winner's evidence holds a passage read (accepted without min_cycles)


def cycles(tag: np.ndarray, t_us: np.ndarray, place: np.ndarray, ev: np.ndarray, n_places: int,
           incumbent: np.ndarray | None = None, strong: np.ndarray | None = None) -> Cycles:  # fmt: skip
    """Arbitrate per (tag, 1 s cycle): rows must be sorted by (tag, time) and have place >= 0.

    On equal evidence the tag's incumbent place (its accepted one) wins, so a tie never starts a move.
    """
    n = len(tag)
    if n == 0:
        z = np.zeros(0, np.int64)
        return Cycles(z.astype(np.int32), z.astype(np.int32), z.astype(float), z.astype(float), z)
    b = t_us // BIN_US
    newg = np.ones(n, bool)
    newg[1:] = (tag[1:] != tag[:-1]) | (b[1:] != b[:-1])
    starts = np.flatnonzero(newg)
    g = np.cumsum(newg) - 1  # (tag, cycle) group, nondecreasing
    # common case: one place in the whole group -> no sorting needed
    differs = place != place[starts][g]
    mixed_g = np.zeros(len(starts), bool)
    mixed_g[g[differs]] = True
    win_pl = place[starts].copy()
    win_ev = np.add.reduceat(ev, starts)
    total = win_ev.copy()
    win_t = np.maximum.reduceat(t_us, starts)
    win_s = np.maximum.reduceat(strong, starts) if strong is not None else None
    if mixed_g.any():
        rows = np.flatnonzero(mixed_g[g])
        key = g[rows] * n_places + place[rows]
        o = np.argsort(key, kind="stable")
        key, t_s, ev_s = key[o], t_us[rows][o], ev[rows][o]
        st = np.ones(len(key), bool)
        st[1:] = key[1:] != key[:-1]
        idx = np.flatnonzero(st)
        sums = np.add.reduceat(ev_s, idx)
        tmax = np.maximum.reduceat(t_s, idx)
        smax = np.maximum.reduceat(strong[rows][o], idx) if strong is not None else None
        kg, kp = key[idx] // n_places, key[idx] % n_places
        inc = np.zeros(len(kg), bool) if incumbent is None else kp == incumbent[tag[starts][kg]]
        o = np.lexsort((inc, sums, kg))  # winner per group: the last row sorted by (group, evidence, incumbent)
        last = np.ones(len(o), bool)
        last[:-1] = kg[o][1:] != kg[o][:-1]
        w = o[last]
        win_pl[kg[w]], win_ev[kg[w]], win_t[kg[w]] = kp[w], sums[w], tmax[w]
        if win_s is not None:
            win_s[kg[w]] = smax[w]
    return Cycles(tag[starts].astype(np.int32), win_pl.astype(np.int32), win_ev, total, win_t, win_s)


@dataclass
class RunState:
    """Per-tag carry-over of the smoother: accepted place, current candidate run."""

    accepted: np.ndarray  # int32, -1 none
    cand: np.ndarray  # int32, -1 none
    cand_ev: np.ndarray  # float64
    cand_t: np.ndarray  # int64, time of the candidate's last cycle
    cand_n: np.ndarray  # int32, cycles the candidate won in its run

    @classmethod
    def empty(cls) -> "RunState":
        return cls(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0), np.zeros(0, np.int64),
                   np.zeros(0, np.int32))  # fmt: skip

    def grow(self, n: int) -> None:
        k = n - len(self.accepted)
        if k > 0:
            self.accepted = np.concatenate([self.accepted, np.full(k, -1, np.int32)])
            self.cand = np.concatenate([self.cand, np.full(k, -1, np.int32)])
            self.cand_ev = np.concatenate([self.cand_ev, np.zeros(k)])
            self.cand_t = np.concatenate([self.cand_t, np.zeros(k, np.int64)])
            self.cand_n = np.concatenate([self.cand_n, np.zeros(k, np.int32)])


def accept(c: Cycles, st: RunState, threshold: float | np.ndarray, gap_us: np.ndarray,
           min_cycles: int = 1, place_gap_us: np.ndarray | None = None) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Run acceptance over cycles sorted by (tag, time); updates st; returns (tag, t_us, place, confidence) of changes.

    A run is accepted at the first cycle where it has gathered `threshold` evidence (one number or one per tag) over
    at least `min_cycles` won cycles; gap_us is each tag's longest pause inside a run (its adaptive window), and
    place_gap_us (optional, per place) a longer pause allowed for a place whose antennas take periodic inventories.
    """
    n = len(c.tag)
    if n == 0:
        z = np.zeros(0, np.int64)
        return z.astype(np.int32), z, z.astype(np.int32), z.astype(np.float32)
    tag, pl, ev, t = c.tag, c.place, c.ev, c.t_us
    first = np.ones(n, bool)
    first[1:] = tag[1:] != tag[:-1]
    prev_t = np.empty(n, np.int64)
    prev_t[1:] = t[:-1]
    prev_t[first] = st.cand_t[tag[first]]
    prev_p = np.empty(n, np.int32)
    prev_p[1:] = pl[:-1]
    prev_p[first] = st.cand[tag[first]]
    gap = gap_us[tag]
    if place_gap_us is not None:
        gap = np.maximum(gap, place_gap_us[pl])
    cont = (pl == prev_p) & (t - prev_t <= gap)
    newrun = ~cont
    carry = np.where(first & cont, st.cand_ev[tag], 0.0)
    start = newrun | first
    idx = np.where(start, np.arange(n), 0)
    np.maximum.accumulate(idx, out=idx)  # row of each run's start
    cs = np.cumsum(ev)
    own = cs - (cs - ev)[idx]  # the run's evidence within this batch
    cum = own + carry[idx]
    tot_cs = np.cumsum(c.total)
    other = (tot_cs - (tot_cs - c.total)[idx]) - own  # rivals' evidence in the run's cycles
    n_run = np.arange(n) - idx + 1 + np.where(first[idx] & cont[idx], st.cand_n[tag], 0)
    thr = threshold[tag] if isinstance(threshold, np.ndarray) else threshold
    long_enough = n_run >= min_cycles
    if c.strong is not None:
        sc = np.cumsum(c.strong.astype(np.int64))
        long_enough |= (sc - (sc - c.strong)[idx]) > 0  # a passage read in the run
    cross = (cum >= thr - 1e-9) & long_enough  # every cycle of an accepted run; changes are found below
    # accepted places in order; a change where the accepted place differs from the one before
    a_rows = np.flatnonzero(cross)
    a_tag, a_pl = tag[a_rows], pl[a_rows]
    a_first = np.ones(len(a_rows), bool)
    a_first[1:] = a_tag[1:] != a_tag[:-1]
    a_prev = np.empty(len(a_rows), np.int32)
    a_prev[1:] = a_pl[:-1]
    a_prev[a_first] = st.accepted[a_tag[a_first]]
    ch = a_pl != a_prev
    rows = a_rows[ch]
    conf = cum[rows] / np.maximum(cum[rows] + other[rows], 1e-9)
    # carry-over
    last = np.ones(n, bool)
    last[:-1] = first[1:]
    lt = tag[last]
    st.cand[lt], st.cand_ev[lt], st.cand_t[lt], st.cand_n[lt] = pl[last], cum[last], t[last], n_run[last]
    if len(a_rows):
        a_last = np.ones(len(a_rows), bool)
        a_last[:-1] = a_first[1:]
        st.accepted[a_tag[a_last]] = a_pl[a_last]
    return tag[rows], t[rows], pl[rows], conf.astype(np.float32)
