"""Ingest: validate a chunk of tag reports, quarantine bad rows with counts by reason, hold rows to a watermark.

Rows are mapped to (tag id, antenna index) with interners (reader and EPC fields read in place, both looked up in one
compiled pass: twin.tracker.kernels_ingest); each distinct EPC is checked and decoded once when it is
first seen (malformed and foreign EPCs are remembered by tag id, so their rows are filtered by an array lookup).
Good rows wait in a buffer until the clock passes them by `watermark_s`, so rows that arrive out of order within the
watermark are processed in time order; a row older than what was already processed is counted `late` and handed on
flagged, so it still updates statistics but never rewinds an estimate. Exact duplicates are dropped (idempotent).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..records import READ_DTYPE
from .epcs import KIND_FOREIGN, decode, well_formed
from .intern import Interner, field_words
from .kernels_ingest import KIND_MALFORMED, REASONS, probe_rows, screen
from .sitemodel import SiteModel

MIN_T_US = 946_684_800 * 1_000_000  # 2000-01-01: anything earlier is an unset or corrupt reader clock
MAX_SKEW_US = 3_600 * 1_000_000  # a row more than an hour ahead of the core's clock is impossible (assumption)


@dataclass
class Batch:
    """Rows ready to process, sorted by (tag, time): columns as numpy arrays of equal length."""

    t_us: np.ndarray
    tag: np.ndarray
    ant: np.ndarray
    rssi: np.ndarray
    count: np.ndarray
    late: np.ndarray  # row is older than the horizon already processed
    first_us: np.ndarray | None = None  # first seen within the report (LLRP FirstSeenTimestamp); None: same as t_us

    def __post_init__(self) -> None:
        if self.first_us is None:
            self.first_us = self.t_us

    def take(self, keep: np.ndarray) -> "Batch":
        """The rows where keep is True (same order)."""
        return Batch(self.t_us[keep], self.tag[keep], self.ant[keep], self.rssi[keep], self.count[keep],
                     self.late[keep], self.first_us[keep])  # fmt: skip

    def __len__(self) -> int:
        return len(self.t_us)


def _empty_batch() -> Batch:
    z = np.zeros(0, np.int64)
    return Batch(z, z.astype(np.int32), z.astype(np.int32), z.astype(np.int16), z.astype(np.int32), z.astype(bool))


@njit(cache=True)
def _order(t, tag, ant, rssi, cnt, fu, horizon, done_us, n_tags, o_t, o_tag, o_ant, o_rssi, o_cnt, o_fu, o_late,
           r_t, r_tag, r_ant, r_rssi, r_cnt, r_fu):  # pragma: no cover - compiled  # fmt: skip
    """Rows at or before `horizon` to o_* sorted by (tag, time) -- stable, so rows of equal time keep their arrival
    order -- with exact duplicates (tag, time, antenna) dropped and o_late set for rows at or before `done_us`; the
    other rows to r_* in arrival order. Returns (rows out, rows kept back, duplicates, late rows)."""
    n = len(t)
    due = np.empty(n, np.int64)
    k = r = 0
    for i in range(n):
        if t[i] <= horizon:
            due[k] = i
            k += 1
        else:
            r_t[r], r_tag[r], r_ant[r], r_rssi[r], r_cnt[r], r_fu[r] = t[i], tag[i], ant[i], rssi[i], cnt[i], fu[i]
            r += 1
    due = due[:k]
    start = np.zeros(n_tags + 1, np.int64)  # counting sort by tag (stable: arrival order within a tag)
    for j in range(k):
        start[tag[due[j]] + 1] += 1
    for g in range(n_tags):
        start[g + 1] += start[g]
    order = np.empty(k, np.int64)
    for j in range(k):
        g = tag[due[j]]
        order[start[g]] = due[j]
        start[g] += 1
    lo = 0  # then each tag's rows by time (stable): insertion sort for short runs, merge sort for long ones
    while lo < k:
        g = tag[order[lo]]
        hi = lo + 1
        ordered = True
        while hi < k and tag[order[hi]] == g:
            if t[order[hi]] < t[order[hi - 1]]:
                ordered = False
            hi += 1
        if not ordered:
            if hi - lo <= 32:
                for a in range(lo + 1, hi):
                    x = order[a]
                    b = a - 1
                    while b >= lo and t[order[b]] > t[x]:
                        order[b + 1] = order[b]
                        b -= 1
                    order[b + 1] = x
            else:
                seg = order[lo:hi].copy()
                order[lo:hi] = seg[np.argsort(t[seg], kind="mergesort")]
        lo = hi
    m = dups = late = 0
    for j in range(k):
        i = order[j]
        if j and tag[i] == tag[order[j - 1]] and t[i] == t[order[j - 1]] and ant[i] == ant[order[j - 1]]:
            dups += 1
            continue
        o_t[m], o_tag[m], o_ant[m], o_rssi[m], o_cnt[m], o_fu[m] = t[i], tag[i], ant[i], rssi[i], cnt[i], fu[i]
        o_late[m] = t[i] <= done_us
        late += o_late[m]
        m += 1
    return m, r, dups, late


class Ingest:
    """Validation, quarantine, de-duplication and the watermark buffer."""

    def __init__(self, model: SiteModel, watermark_s: float = 2.0):
        self.model = model
        self.watermark_us = int(watermark_s * 1e6)
        self.readers = Interner(READ_DTYPE["reader"].itemsize)
        self.readers.add([r.encode("ascii") for r in model.readers])
        self.epcs = Interner(READ_DTYPE["epc"].itemsize)
        self.kind = np.zeros(0, np.int8)  # per tag id: KIND_* of epcs.py, or KIND_MALFORMED
        self.n_malformed = 0
        lut = model.port_lut
        self._lut = np.full((lut.shape[0] + 1, lut.shape[1] + 1), -1, np.int32)  # padded: last row and column -1
        self._lut[: lut.shape[0], : lut.shape[1]] = lut
        self.uri: list[str] = []
        self.quarantine: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self._buf: list[tuple[np.ndarray, ...]] = []
        self.horizon_us = -(1 << 62)  # rows at or before this were processed
        self.now_us: int | None = None

    # -- per distinct EPC -------------------------------------------------------------------------------------------
    def _learn(self, new: list[int]) -> None:
        kinds = np.empty(len(new), np.int8)
        for i, tid in enumerate(new):
            name = self.epcs.names[tid]
            if well_formed(name):
                k, uri = decode(name)
            else:
                k, uri = KIND_MALFORMED, ""
            kinds[i] = k
            self.n_malformed += k == KIND_MALFORMED
            self.uri.append(uri)
            if k == KIND_FOREIGN:
                self.counts["foreign_tags"] += 1
        self.kind = np.concatenate([self.kind, kinds])

    def _words(self, reads: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The reader and EPC fields as words read in place, when they have the interners' widths."""
        if reads.dtype.fields is None or reads.dtype.fields.get("reader", (None,))[0] != self.readers.dtype \
                or reads.dtype.fields.get("epc", (None,))[0] != self.epcs.dtype:
            return None, None
        return field_words(reads, "reader"), field_words(reads, "epc")

    # -- rows -------------------------------------------------------------------------------------------------------
    def push(self, reads: np.ndarray) -> None:
        """Validate a chunk (any order); good rows go to the buffer, bad ones are counted by reason."""
        n = len(reads)
        if n == 0:
            return
        self.counts["rows_in"] += n
        t = reads["t_us"]
        hi = (self.now_us if self.now_us is not None else int(t.max())) + MAX_SKEW_US
        out = (np.empty(n, np.int64), np.empty(n, np.int32), np.empty(n, np.int32), np.empty(n, np.int16),
               np.empty(n, np.int32), np.empty(n, np.int64))  # fmt: skip
        reason = np.zeros(len(REASONS) + 1, np.int64)
        rw, ew = self._words(reads)
        if rw is not None and ew is not None:  # reader and EPC ids in one pass over the fields in place
            rid, tag = np.empty(n, np.int64), np.empty(n, np.int64)
            if probe_rows(rw, ew, *self.readers.table[:3], *self.epcs.table, rid, tag):
                new = self.epcs.fill(reads["epc"], tag)
            else:
                new = []
        else:
            rid, _ = self.readers.ids(reads["reader"], grow=False)
            tag, new = self.epcs.ids(reads["epc"])
        if new:  # decoded once per distinct EPC, before its rows are screened (even the bad ones intern it)
            self._learn(new)
        k = screen(t, reads["first_us"], rid, reads["antenna"], tag, reads["count"], reads["rssi_dbm"], self._lut,
                   self.kind, self.n_malformed > 0, MIN_T_US, hi, *out, reason)  # fmt: skip
        if k < n:
            for name, c in zip(REASONS, reason[1:].tolist()):
                if c:
                    self.quarantine[name] += c
            out = tuple(c[:k] for c in out)
        self._buf.append(out)

    def pop(self, t_us: int) -> Batch:
        """Rows up to t_us - watermark, sorted by (tag, time), exact duplicates removed; the rest stays buffered."""
        self.now_us = int(t_us) if self.now_us is None else max(self.now_us, int(t_us))
        if not self._buf:
            return _empty_batch()
        cols = [np.concatenate(c) for c in zip(*self._buf)] if len(self._buf) > 1 else list(self._buf[0])
        horizon = self.now_us - self.watermark_us
        n = len(cols[0])
        out = [np.empty(n, c.dtype) for c in cols] + [np.empty(n, np.bool_)]
        rest = [np.empty(n, c.dtype) for c in cols]
        k, r, dups, late = _order(*cols, horizon, self.horizon_us, len(self.epcs), *out, *rest)
        self._buf = [tuple(c[:r] for c in rest)] if r else []
        if k + dups:  # the horizon moves only when rows were due
            self.horizon_us = max(self.horizon_us, horizon)
        if dups:
            self.counts["duplicates"] += dups
        if late:
            self.counts["late"] += late
        if k == 0:
            return _empty_batch()
        t, tag, ant, rssi, count, fu, late_ = (c[:k] for c in out)
        return Batch(t, tag, ant, rssi, count, late_, fu)
