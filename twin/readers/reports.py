"""LLRP TagReportData shaping: reader clocks (offset, drift), channel hopping, peak RSSI, report batches, delivery.

Times inside the engine are true simulation time; a report carries the reader's clock (LLRP First/LastSeen in
microseconds, ANCHORS LLRP 1.1 §14.2) and reaches the core after a small network delay past the end of its report
period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from twin.records import READ_DTYPE
from twin.readers.rf import _GOLD, _mix, hash_normal, to_normal


@dataclass(frozen=True)
class ReaderClock:
    """A reader's clock: t_reader = t + offset + drift * ((t - ref) mod sync).

    The crystal drifts by `drift_ppm`; NTP steps the clock back every `sync_us` (0: never), so the error is bounded
    by offset + drift x sync instead of growing for as long as the run lasts.
    """

    offset_us: float
    drift_ppm: float
    ref_us: int
    sync_us: int = 0

    @classmethod
    def draw(cls, rng: np.random.Generator, ref_us: int, max_offset_ms: float, max_drift_ppm: float,
             sync_s: float = 0.0) -> "ReaderClock":  # fmt: skip
        return cls(float(rng.uniform(-1, 1) * max_offset_ms * 1e3), float(rng.uniform(-1, 1) * max_drift_ppm),
                   int(ref_us), int(round(sync_s * 1e6)))  # fmt: skip

    def error_us(self, t_us: np.ndarray) -> np.ndarray:
        """Reader time minus true time at true times t (float microseconds)."""
        since = np.asarray(t_us, dtype=np.int64) - self.ref_us
        if self.sync_us > 0:
            since = np.mod(since, self.sync_us)
        return self.offset_us + self.drift_ppm * 1e-6 * since.astype(np.float64)

    def to_reader(self, t_us: np.ndarray) -> np.ndarray:
        t = np.asarray(t_us, dtype=np.int64)
        return t + np.rint(self.error_us(t)).astype(np.int64)


def _row_normal(seed: int, reader_key: np.ndarray, salt: int, col: np.ndarray) -> np.ndarray:
    """hash_normal(seed ^ reader_key ^ salt, col) with a per-row reader key."""
    with np.errstate(over="ignore"):
        h0 = np.uint64(seed & 0xFFFFFFFFFFFFFFFF) ^ np.uint64(salt) ^ np.asarray(reader_key, np.uint64)
        return to_normal(_mix(h0 ^ (np.asarray(col, np.int64).view(np.uint64) + _GOLD)))


def channel_rows(seed: int, reader_key: np.ndarray, window: np.ndarray, n_channels: int) -> np.ndarray:
    """`channel_index` with a per-row reader key."""
    u = 0.5 * (1.0 + np.tanh(_row_normal(seed, reader_key, 0x5EED_C4A1, window) * 0.7978845608))
    return (np.minimum((u * n_channels).astype(np.int64), n_channels - 1) + 1).astype(np.uint16)


def delay_rows(seed: int, reader_key: np.ndarray, period: np.ndarray, median_ms: float, sigma: float) -> np.ndarray:
    """`network_delay_us` with a per-row reader key."""
    z = _row_normal(seed, reader_key, 0xDE1A_7000, period)
    return np.rint(median_ms * 1e3 * np.exp(sigma * np.clip(z, -4, 4))).astype(np.int64)


def to_reader_rows(t_us: np.ndarray, offset_us: np.ndarray, drift_ppm: np.ndarray, ref_us: int,
                   sync_us: int = 0) -> np.ndarray:  # fmt: skip
    """`ReaderClock.to_reader` with per-row clock figures (one NTP sync period for all readers)."""
    t = np.asarray(t_us, dtype=np.int64)
    since = t - ref_us
    if sync_us > 0:
        since = np.mod(since, sync_us)
    return t + np.rint(offset_us + drift_ppm * 1e-6 * since.astype(np.float64)).astype(np.int64)


def channel_index(seed: int, reader_key: int, window: np.ndarray, n_channels: int) -> np.ndarray:
    """1-based LLRP ChannelIndex: the reader hops to a pseudo-random channel for each antenna dwell window."""
    z = hash_normal(seed ^ reader_key ^ 0x5EED_C4A1, np.asarray(window, dtype=np.int64))
    u = 0.5 * (1.0 + np.tanh(z * 0.7978845608))  # ~Phi(z): a uniform in (0, 1)
    return (np.minimum((u * n_channels).astype(np.int64), n_channels - 1) + 1).astype(np.uint16)


def network_delay_us(seed: int, reader_key: int, period: np.ndarray, median_ms: float, sigma: float) -> np.ndarray:
    """Lognormal delivery delay of each report batch, a deterministic function of (reader, period)."""
    z = hash_normal(seed ^ reader_key ^ 0xDE1A_7000, np.asarray(period, dtype=np.int64))
    return np.rint(median_ms * 1e3 * np.exp(sigma * np.clip(z, -4, 4))).astype(np.int64)


def _blom(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(expected max of n standard normals (Blom), spread of that max) for counts n >= 1 (float64)."""
    e_max = ndtri((n - 0.375) / (n + 0.25))
    spread = 1.0 / np.sqrt(1.0 + 0.5 * np.log(n))  # the max of many draws varies less than one draw
    return e_max, spread


_BLOM_N = 4096  # counts below it take (e_max, spread) from a table built by the same formulas (same values)
_BLOM = _blom(np.arange(_BLOM_N, dtype=np.float64).clip(1.0, None))


def peak_rssi(rssi_dbm: np.ndarray, count: np.ndarray, z: np.ndarray, noise_db: float) -> np.ndarray:
    """Integer peak RSSI of `count` reads with N(0, noise_db) measurement noise: expected max (Blom) plus spread."""
    c = np.asarray(count)
    if len(c) and c.dtype.kind in "iu" and int(c.max()) < _BLOM_N:
        i = np.maximum(c, 1)
        e_max, spread = _BLOM[0][i], _BLOM[1][i]
    else:
        e_max, spread = _blom(np.maximum(c.astype(np.float64), 1.0))
    val = rssi_dbm + noise_db * (e_max + spread * z)
    return np.clip(np.rint(val), -100, -15).astype(np.int16)  # assumption: reader RSSI report range


def _order(rank: np.ndarray, tl: np.ndarray, n_ranks: int) -> np.ndarray:
    """The stable order of rows by (rank, tl): one sort of unique int64 keys (rank, tl, row) when they fit in 63
    bits (a stable order whatever the sort), else np.lexsort."""
    n = len(rank)
    if not n:
        return np.zeros(0, np.int64)
    rel = tl - tl.min()
    bt, bi, br = int(rel.max()).bit_length(), max(1, (n - 1).bit_length()), max(1, (n_ranks - 1).bit_length())
    if bt + bi + br > 63:
        return np.lexsort((tl, rank))
    key = (rank.astype(np.int64) << (bt + bi)) | (rel << bi) | np.arange(n, dtype=np.int64)
    return np.sort(key) & ((1 << bi) - 1)


def report_rows(eng, rows, tags, rng) -> tuple[np.ndarray, np.ndarray]:
    """READ_DTYPE rows of the engine's (antenna, segment, period, reads, first, last, mean RSSI) rows on each reader's
    clock, sorted by delivery, and the delivery times: end of the report period (of a periodic reader's cycle) plus
    the network delay. One report message per (reader, period) travels the network once: its end and delay are
    computed per message, and its rows stay together in delivery order (then by last seen)."""
    P = eng.params
    ant, seg, per, n, f, l_, rs = rows
    rdr = eng.a_reader[ant]
    cols = getattr(eng, "_report_cols", None)  # per reader, fixed once the clocks are drawn
    if cols is None:
        cols = eng._report_cols = (np.array([rd.clock.offset_us for rd in eng.readers]),
                                   np.array([rd.clock.drift_ppm for rd in eng.readers]),
                                   np.array([rd.phase_us for rd in eng.readers]),
                                   np.array([rd.id.encode("ascii") for rd in eng.readers], dtype=READ_DTYPE["reader"]))
    off, drift, phase, names = cols[0][rdr], cols[1][rdr], cols[2][rdr], cols[3]
    rssi = peak_rssi(rs, n, rng.standard_normal(len(n)), P.rf.rssi_noise_db)
    chan = channel_rows(eng.seed, eng.r_key[rdr], (f - phase) // eng.r_dwell[rdr], P.n_channels)
    nR = len(eng.readers)
    from twin.readers import reportkernels as kernels

    # report messages (reader, period): a message's rank below depends on its delivery and reader, not on the
    # order messages are listed in
    gi, ur, up = kernels.message_ids(np.ascontiguousarray(rdr, np.int64), np.ascontiguousarray(per, np.int64), nR,
                                     8 * len(rdr) + 4096)
    if len(rdr) and not len(gi):  # periods too spread for a table: sort
        ug, gi = np.unique(per * nR + rdr, return_inverse=True)
        ur, up = ug % nR, ug // nR
    per_end = np.where(eng.r_trig[ur] == 1, up * eng.r_period[ur] + eng.r_phase[ur] + eng.r_run[ur],
                       (up + 1) * eng.r_period[ur])  # a periodic reader reports at the end of its cycle
    dl_u = per_end + delay_rows(eng.seed, eng.r_key[ur], up, P.net_delay_median_ms, P.net_delay_sigma)
    go = np.lexsort((ur, dl_u))  # messages in delivery order; equal (delivery, reader) share a rank
    new = np.r_[True, (dl_u[go][1:] != dl_u[go][:-1]) | (ur[go][1:] != ur[go][:-1])]
    rank = np.empty(len(ur), np.int64)
    rank[go] = np.cumsum(new) - 1
    sync = eng.readers[0].clock.sync_us  # an NTP step inside a report can put first seen past last: clamped below
    tl = to_reader_rows(l_, off, drift, eng._t_ref, sync)
    o = _order(rank[gi], tl, len(rank))  # by (rank, last seen), ties in row order
    out = np.empty(len(o), dtype=READ_DTYPE)  # every field is set by fill_reads
    kernels.fill_reads(out, o, tl, np.minimum(to_reader_rows(f, off, drift, eng._t_ref, sync), tl), rdr, names,
                       eng.a_port, ant, seg, tags.epc, rssi, n, chan)
    return out, dl_u[gi[o]]
