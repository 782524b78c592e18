"""The naive core, "last read wins": a tag is where the antenna that read it last says, nothing else, no alerts.

It is what many deployed systems do and the reference every figure is compared with; it is also the throughput
reference, so a chunk is handled with numpy only: readers and EPCs are mapped to small integers through 64-bit
hashes (verified exactly, with an exact slow path if a hash ever collides), rows are sorted by (tag, time) with a
stable radix sort, and a row is emitted only where a tag's place changes.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..records import ESTIMATES_SCHEMA, READ_DTYPE
from .protocol import CoreOutput, empty_alerts, empty_estimates
from .siteview import as_site_view

_EMPTY = pa.array([""], pa.string())
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)


def _words(col: np.ndarray) -> np.ndarray:
    """A fixed-width bytes column as rows of uint64 words (zero-padded to a multiple of 8 bytes)."""
    width = col.dtype.itemsize
    if width % 8 == 0:
        return np.ascontiguousarray(col).view(np.uint64).reshape(len(col), width // 8)
    buf = np.zeros((len(col), -(-width // 8) * 8), dtype=np.uint8)
    buf[:, :width] = np.ascontiguousarray(col).view(np.uint8).reshape(len(col), width)
    return buf.view(np.uint64)


def _hash(words: np.ndarray) -> np.ndarray:
    """64-bit hash of each row of words (multiply-xorshift, murmur3's fmix64 finaliser)."""
    h = np.zeros(len(words), dtype=np.uint64)
    s33 = np.uint64(33)
    for j in range(words.shape[1]):
        h = (h ^ words[:, j]) * _MIX[j % 4]
        h ^= h >> s33
    h *= _MIX[1]
    h ^= h >> s33
    return h


class _Interner:
    """Maps fixed-width byte strings to dense ids 0..n-1, chunk after chunk, exactly.

    An open-addressing table (load <= 1/4, small enough to stay in cache) is probed for all rows at once; every hit
    is verified word by word against the stored name, so a hash collision can never merge two tags.
    """

    def __init__(self, width: int):
        self.dtype = np.dtype(f"S{width}")
        self.names: list[bytes] = []
        self._ids: dict[bytes, int] = {}
        self._words = np.zeros((0, -(-width // 8)), dtype=np.uint64)  # words of known names, by id
        self._slot_h = np.zeros(1, dtype=np.uint64)
        self._slot_id = np.full(1, -1, dtype=np.int64)

    def add(self, names: list[bytes]) -> None:
        for nm in names:
            if nm not in self._ids:
                self._ids[nm] = len(self.names)
                self.names.append(nm)
        self._words = _words(np.array(self.names, dtype=self.dtype))
        self._cols = [np.ascontiguousarray(self._words[:, j]) for j in range(self._words.shape[1])]
        h = _hash(self._words)
        size = 1 << max(4, int(4 * len(h)).bit_length())
        mask = np.uint64(size - 1)
        self._slot_h = np.zeros(size, dtype=np.uint64)
        self._slot_id = np.full(size, -1, dtype=np.int64)
        for i, hv in enumerate(h.tolist()):  # once per new name set: a plain loop is fine
            s = hv & int(mask)
            while self._slot_id[s] >= 0:
                s = (s + 1) & int(mask)
            self._slot_h[s], self._slot_id[s] = hv, i

    def _probe(self, h: np.ndarray) -> np.ndarray:
        mask = np.uint64(len(self._slot_h) - 1)
        slot = h & mask
        sid = self._slot_id[slot]
        hit = self._slot_h[slot] == h
        ids = np.where(hit & (sid >= 0), sid, -1)
        rows = np.flatnonzero((sid >= 0) & ~hit)  # slot taken by another name: probe on, for these rows only
        slot, h = slot[rows], h[rows]
        while len(rows):
            slot = (slot + np.uint64(1)) & mask
            sid = self._slot_id[slot]
            hit = (sid >= 0) & (self._slot_h[slot] == h)
            ids[rows[hit]] = sid[hit]
            go_on = (sid >= 0) & ~hit
            rows, slot, h = rows[go_on], slot[go_on], h[go_on]
        return ids

    def ids(self, col: np.ndarray, *, grow: bool = True) -> np.ndarray:
        """Dense id per row; -1 for names not known when grow is False."""
        col = col.astype(self.dtype, copy=False)
        w = _words(col)
        ids = self._probe(_hash(w))
        found = ids >= 0
        same = found.copy()
        if len(self.names):
            safe = np.where(found, ids, 0)  # rows of not-found names compare to name 0 and stay masked out
            for j in range(w.shape[1]):
                same &= self._cols[j][safe] == w[:, j]
        if not np.array_equal(same, found):
            return self._exact(col, grow)
        if grow and not found.all():
            miss = ~found
            self.add([bytes(x) for x in np.unique(col[miss])])
            ids[miss] = self.ids(col[miss], grow=False)
        return ids

    def _exact(self, col: np.ndarray, grow: bool) -> np.ndarray:  # pragma: no cover - only on a hash collision
        uniq, inv = np.unique(col, return_inverse=True)
        if grow:
            self.add([bytes(x) for x in uniq])
        lut = np.array([self._ids.get(bytes(x), -1) for x in uniq], dtype=np.int64)
        return lut[inv]


class NaiveCore:
    """Last read wins. Config: none. Estimates carry confidence 1 and no holder."""

    name = "naive"

    def __init__(self, site: dict, config: dict | None = None) -> None:
        view = as_site_view(site)
        self.config = dict(config or {})
        places: dict[tuple[str, str], int] = {}
        self._readers = _Interner(READ_DTYPE["reader"].itemsize)
        ants = [a for a in view.antennas if a.space]  # handheld antennas say nothing about a place
        self._readers.add(sorted({a.reader.encode("ascii") for a in ants}))
        self._max_port = max([a.port for a in ants], default=0)
        self._lut = np.full((len(self._readers.names), self._max_port + 1), -1, dtype=np.int32)
        for a in ants:
            p = places.setdefault((a.space, a.storage), len(places))
            self._lut[self._readers._ids[a.reader.encode("ascii")], a.port] = p
        self._place_space = pa.array([s for s, _ in places] or [""], pa.string())
        self._place_storage = pa.array([u for _, u in places] or [""], pa.string())
        self._epcs = _Interner(READ_DTYPE["epc"].itemsize)
        self._last = np.full(0, -1, dtype=np.int32)  # last place per tag id
        self._pending: list[tuple[np.ndarray, ...]] = []  # (t_us, tag, place, input seq) of changes not yet due
        self._epc_dict = pa.array([], pa.string())
        self.reads_in = 0

    def _place_of(self, reads: np.ndarray) -> np.ndarray:
        rid = self._readers.ids(reads["reader"], grow=False)
        port = reads["antenna"].astype(np.int64)
        ok = (rid >= 0) & (port <= self._max_port)
        place = np.full(len(reads), -1, dtype=np.int32)
        place[ok] = self._lut[rid[ok], port[ok]]
        return place

    def ingest(self, reads: np.ndarray) -> None:
        if len(reads) == 0:
            return
        seq = np.arange(self.reads_in, self.reads_in + len(reads), dtype=np.int64)  # input order breaks time ties
        self.reads_in += len(reads)
        place = self._place_of(reads)
        keep = place >= 0
        if not keep.all():
            reads, place, seq = reads[keep], place[keep], seq[keep]
            if len(reads) == 0:
                return
        t = reads["t_us"]
        tag = self._epcs.ids(reads["epc"])
        if len(self._last) < len(self._epcs.names):
            self._last = np.concatenate([self._last, np.full(len(self._epcs.names) - len(self._last), -1, np.int32)])
        if len(t) > 1 and (t[1:] < t[:-1]).any():
            order = np.argsort(t, kind="stable")
            tag, t, place, seq = tag[order], t[order], place[order], seq[order]
        small = tag.astype(np.uint16 if len(self._epcs.names) <= 1 << 16 else np.int64)
        by_tag = np.argsort(small, kind="stable")  # radix sort; keeps time order within a tag
        tag, place = tag[by_tag], place[by_tag]  # time and input order are gathered for changed rows only
        prev = np.empty_like(place)
        prev[1:] = place[:-1]
        first = np.ones(len(tag), bool)
        first[1:] = tag[1:] != tag[:-1]
        prev[first] = self._last[tag[first]]
        change = place != prev
        last = np.ones(len(tag), bool)
        last[:-1] = first[1:]
        self._last[tag[last]] = place[last]
        if change.any():
            rows = by_tag[change]
            self._pending.append((t[rows], tag[change], place[change], seq[rows]))

    def apply(self, events: pa.Table) -> None:
        return None

    def advance(self, t_us: int) -> CoreOutput:
        if not self._pending:
            return CoreOutput(empty_estimates(), empty_alerts())
        t = np.concatenate([p[0] for p in self._pending])
        tag = np.concatenate([p[1] for p in self._pending])
        place = np.concatenate([p[2] for p in self._pending])
        seq = np.concatenate([p[3] for p in self._pending])
        due = t <= t_us
        self._pending = [(t[~due], tag[~due], place[~due], seq[~due])] if not due.all() else []
        t, tag, place, seq = t[due], tag[due], place[due], seq[due]
        order = np.lexsort((seq, t))  # time order, ties in input order
        t, tag, place = t[order], tag[order], place[order]
        if len(self._epc_dict) != len(self._epcs.names):
            self._epc_dict = pa.array([n.decode("ascii") for n in self._epcs.names], pa.string())
        epc_dict = self._epc_dict
        idx = pa.array(place, pa.int32())
        table = pa.table(
            {
                "t_us": pa.array(t, pa.int64()),
                "epc": pa.DictionaryArray.from_arrays(pa.array(tag, pa.int32()), epc_dict).cast(pa.string()),
                "space": pa.DictionaryArray.from_arrays(idx, self._place_space).cast(pa.string()),
                "storage": pa.DictionaryArray.from_arrays(idx, self._place_storage).cast(pa.string()),
                "holder": pa.DictionaryArray.from_arrays(pa.array(np.zeros(len(t), np.int32)), _EMPTY).cast(pa.string()),
                "confidence": pa.array(np.ones(len(t), np.float32), pa.float32()),
            },
            schema=ESTIMATES_SCHEMA,
        )
        return CoreOutput(table, empty_alerts())
