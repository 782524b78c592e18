"""Online self-calibration: each antenna's cross-read rate, learned from the stream itself (no recording, no truth).

Room, shelf and desk antennas stand inside the space they report, so the space most of a tag's such reads name in a
batch is a good reference for where the tag is (moving tags are a small share of the rows). Every antenna's reads of
tags with a clear reference are counted as agreeing (its space is the reference) or not, on top of a prior from the
antenna's kind (pseudo-counts); its weight is then the log-likelihood ratio of that precision over the acceptance
threshold's, as `twin tracker fit` computes it from a recording with known positions. A corridor-side portal antenna
that hears a storage room's shelves all day thus learns within minutes that its reads say little.
"""

from __future__ import annotations

import math

import numpy as np

from .kernels_locate import calib_pass
from .sitemodel import KIND_CODES, SiteModel

#: Evidence needed to accept a place as a log-likelihood ratio: odds of 99:1 (assumption; the same as fit.ACCEPT_LLR).
ACCEPT_LLR = math.log(99.0)
#: Weight limits: a read never counts for nothing (a tag may truly be there) nor for more than a whole threshold.
W_MIN, W_MAX = 0.02, 1.0


def precision_of_weight(w: np.ndarray) -> np.ndarray:
    """Inverse of weight_of_precision within the limits: the precision a prior weight stands for."""
    return 1.0 / (1.0 + np.exp(-np.asarray(w, np.float64) * ACCEPT_LLR))


def weight_of_precision(p: np.ndarray) -> np.ndarray:
    """A read's weight: log(p / (1 - p)) over ACCEPT_LLR, within [W_MIN, W_MAX] (p below 0.5 -> W_MIN)."""
    p = np.minimum(np.maximum(p, 0.5), 1 - 1e-4)  # np.clip's values, without its dispatch (called every batch)
    return np.minimum(np.maximum(np.log(p / (1 - p)) / ACCEPT_LLR, W_MIN), W_MAX)


class AntennaCalibration:
    """Per antenna: reads of tags with a reference place, and how many agreed with it (plus the prior's counts)."""

    def __init__(self, model: SiteModel, prior_weight: np.ndarray, prior_reads: float = 50.0, settle: int = 3,
                 majority: float = 0.7):  # fmt: skip
        self.model = model
        self.n = np.full(model.n_antennas, float(prior_reads))
        self.hit = precision_of_weight(prior_weight) * self.n
        self.settle, self.majority = settle, majority
        self.ref = np.zeros(0, np.int32)  # per tag: the space its inside antennas name, -1 none
        self.streak = np.zeros(0, np.int32)  # per tag: batches in a row that named it
        k = model.ant_kind
        self._inside = (k == KIND_CODES["zone"]) | (k == KIND_CODES["shelf"]) | (k == KIND_CODES["desk"])
        self._n_spaces = max(len(model.spaces), 1)

    def grow(self, n: int) -> None:
        k = n - len(self.ref)
        if k > 0:
            self.ref = np.concatenate([self.ref, np.full(k, -1, np.int32)])
            self.streak = np.concatenate([self.streak, np.zeros(k, np.int32)])

    def observe(self, tag: np.ndarray, ant: np.ndarray, cnt: np.ndarray, space: np.ndarray) -> None:
        """Count one batch of rows (sorted by tag, as ingest pops them; space >= 0) against each tag's reference.

        A tag's reference is the space its inside antennas named (a clear majority: `majority` of its inside reads
        of the batch, ties to the higher space index) in `settle` batches in a row; inventories come every 10-60 s,
        so one batch holds only a read or two of a resting tag. One compiled walk (kernels_locate.calib_pass).
        """
        if len(tag) == 0:
            return
        dn, dhit = calib_pass(tag, ant, cnt, space, self._inside, self.ref, self.streak, self.settle, self.majority,
                              self._n_spaces, self.model.n_antennas)  # fmt: skip
        self.n += dn
        self.hit += dhit

    def precision(self) -> np.ndarray:
        return self.hit / np.maximum(self.n, 1e-9)

    def weights(self) -> np.ndarray:
        return weight_of_precision(self.precision())



#: Reader clocks: two advances' envelopes further apart than this are a keepalive slipping into the next report
#: window or a reader back from an outage, not drift (20 ppm is 1.2 ms a minute), and are bridged (assumption).
CLOCK_JUMP_US = 1_000_000
CLOCK_MIN_S = 3 * 3_600.0  # the drift is used once this much of a reader's clock was followed (assumption)
CLOCK_MAX_PPM = 100.0  # a fitted drift beyond this is taken as none (assumption: crystals are within +-100 ppm)


class ReaderClocks:
    """Each reader's clock drift against the core's own clock, learned from its KEEPALIVE stamps (no truth).

    A reader stamps its reports by its own clock; a crystal off by 20 ppm is 1.7 s a day off, so after a few days
    the readers disagree by seconds and one tag's reads at different readers (the door it passed, the room it
    entered) come in the wrong order. Keepalives come at a fixed period, so at each `advance` (the core's clock) the
    latest keepalive stamp minus the advance time moves with the reader's offset and nothing else; jumps of a whole
    period (a keepalive falling into the next window) are bridged. The drift is the least-squares slope of that
    track; rows are corrected by drift x (stamp - the first advance), taking the offset at the start as nil (the
    clocks are set at start; the twin draws offsets within 50 ms).
    """

    def __init__(self, n_readers: int):
        self.n = n_readers
        self.t0_us: int | None = None
        self.pending = np.full(n_readers, np.iinfo(np.int64).min, np.int64)  # latest keepalive stamp since last advance
        self.y_last = np.full(n_readers, np.nan)  # last envelope (stamp - advance time), us
        self.u = np.zeros(n_readers)  # the envelope with jumps bridged, us
        self.sums = np.zeros((5, n_readers))  # n, sum x, sum y, sum xx, sum xy (x: s since t0, y: us)
        self.x_first = np.full(n_readers, np.nan)
        self.ppm = np.zeros(n_readers)

    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)
        self.drifting = bool(self.ppm.any())  # a checkpoint from before the flag

    def observe(self, reader: np.ndarray, t_us: np.ndarray) -> None:
        """Keepalive stamps handed in (reader index per row; negative: unknown reader, ignored)."""
        ok = reader >= 0
        if ok.any():
            np.maximum.at(self.pending, reader[ok], np.asarray(t_us)[ok].astype(np.int64))
            self._waiting = True

    #: some keepalive was handed in since the last arrive (an advance without one skips the fit)
    _waiting = True
    #: some reader has a drift fitted (rows need correcting)
    drifting = False

    def arrive(self, now_us: int) -> None:
        """The core's clock at an advance: the keepalives handed in since the last one had arrived by now."""
        now_us = int(now_us)
        if self.t0_us is None:
            self.t0_us = now_us
        if not self._waiting:
            return
        self._waiting = False
        has = self.pending > np.iinfo(np.int64).min
        if not has.any():
            return
        y = (self.pending[has] - now_us).astype(np.float64)
        d = y - self.y_last[has]
        step = np.where(np.isfinite(d) & (np.abs(d) <= CLOCK_JUMP_US), d, 0.0)
        self.u[has] += step
        self.y_last[has] = y
        x = (now_us - self.t0_us) / 1e6
        self.x_first[has] = np.where(np.isnan(self.x_first[has]), x, self.x_first[has])
        u = self.u[has]
        self.sums[:, has] += np.vstack([np.ones(len(u)), np.full(len(u), x), u, np.full(len(u), x * x), x * u])
        self.pending[:] = np.iinfo(np.int64).min
        n, sx, sy, sxx, sxy = self.sums
        var = sxx - sx * sx / np.maximum(n, 1)
        ppm = np.where(var > 0, (sxy - sx * sy / np.maximum(n, 1)) / np.maximum(var, 1e-300), 0.0)  # us per s = ppm
        span = x - self.x_first
        self.ppm = np.where((span >= CLOCK_MIN_S) & (np.abs(ppm) <= CLOCK_MAX_PPM), ppm, 0.0)
        self.drifting = bool(self.ppm.any())

    def correct(self, reader: np.ndarray, t_us: np.ndarray) -> np.ndarray:
        """Stamps on the core's clock: t - drift x (t - t0) (unknown readers, no fit yet: unchanged)."""
        if self.t0_us is None or not self.drifting:
            return t_us
        p = np.where(reader >= 0, self.ppm[np.maximum(reader, 0)], 0.0)
        return t_us - np.rint(p * 1e-6 * (t_us - self.t0_us)).astype(np.int64)
