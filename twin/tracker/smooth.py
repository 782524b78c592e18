"""Cleaning: per-tag adaptive smoothing and cross-read arbitration, vectorised over a batch.

Reads of a tag are pooled into 1 s cycles per logical place (a space, or a storage unit). In each cycle the place
with the most weighted evidence wins (cross-read arbitration: an antenna's weight is how far its reads can be
trusted, fitted from data or set by kind, plus a small RSSI tie-breaker). A place becomes the tag's accepted place
once a run of cycles it wins gathers `threshold` evidence, where the run must not pause longer than the tag's own
window -- in the spirit of SMURF (Jeffery et al., VLDB 2006; ANCHORS): the window is sized from each tag's observed
read rate so that a present tag is missed for a whole window with probability < delta. Runs carry over between
batches through per-tag state arrays; rows come sorted by (tag, time), so each step is one compiled walk over them
(twin.tracker.kernels_smooth), never a Python loop over reads or cycles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kernels_smooth import accept_pass, cycles_pass

BIN_US = 1_000_000
_NO_BOOL, _NO_INT, _NO_FLOAT, _NO_I64 = np.zeros(1, bool), np.zeros(1, np.int32), np.zeros(1), np.zeros(1, np.int64)


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

    In each cycle the place with the most evidence wins; on equal evidence the tag's incumbent place (its accepted
    one) wins, so a tie never starts a move, then the higher place index. One compiled walk over the rows
    (twin.tracker.kernels_smooth.cycles_pass); n_places is kept for callers (any place index is fine).
    """
    n = len(tag)
    if n == 0:
        z = np.zeros(0, np.int64)
        return Cycles(z.astype(np.int32), z.astype(np.int32), z.astype(float), z.astype(float), z)
    has_s, has_i = strong is not None, incumbent is not None
    starts, pl, w_ev, total, w_t, w_s = cycles_pass(
        tag, t_us, place, np.asarray(ev, np.float64), strong if has_s else _NO_BOOL, has_s,
        incumbent if has_i else _NO_INT, has_i, BIN_US)  # fmt: skip
    return Cycles(tag[starts].astype(np.int32), pl, w_ev, total, w_t, w_s if has_s else None)


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
    at least `min_cycles` won cycles (or holds a strong cycle); gap_us is each tag's longest pause inside a run (its
    adaptive window), and place_gap_us (optional, per place) a longer pause allowed for a place whose antennas take
    periodic inventories. A change is a cycle whose accepted place differs from the one before; its confidence is the
    run's evidence over all evidence in the run's cycles. One compiled walk (kernels_smooth.accept_pass).
    """
    n = len(c.tag)
    if n == 0:
        z = np.zeros(0, np.int64)
        return z.astype(np.int32), z, z.astype(np.int32), z.astype(np.float32)
    per_tag = isinstance(threshold, np.ndarray)
    has_s, has_g = c.strong is not None, place_gap_us is not None
    rows, conf = accept_pass(
        c.tag, c.place, c.ev, c.total, c.t_us, c.strong if has_s else _NO_BOOL, has_s,
        st.accepted, st.cand, st.cand_ev, st.cand_t, st.cand_n,
        np.asarray(threshold, np.float64) if per_tag else _NO_FLOAT, 0.0 if per_tag else float(threshold), per_tag,
        np.asarray(gap_us, np.int64), np.asarray(place_gap_us, np.int64) if has_g else _NO_I64, has_g,
        int(min_cycles))  # fmt: skip
    return c.tag[rows], c.t_us[rows], c.place[rows], conf
