"""Dense integer ids for fixed-width byte strings (EPCs, reader ids), for whole columns at once.

Names are hashed word by word (murmur3's fmix64 mixing) and looked up in an open-addressing table probed for all
rows together; every hit is compared word by word with the stored name, so a hash collision can never merge two
names (a collision falls back to an exact, slower path).
"""

from __future__ import annotations

import numpy as np

_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)
_S33 = np.uint64(33)


def words(col: np.ndarray) -> np.ndarray:
    """A fixed-width bytes column as rows of uint64 words (zero-padded to a multiple of 8 bytes)."""
    width = col.dtype.itemsize
    col = np.ascontiguousarray(col)
    if width % 8 == 0:
        return col.view(np.uint64).reshape(len(col), width // 8)
    buf = np.zeros((len(col), -(-width // 8) * 8), dtype=np.uint8)
    buf[:, :width] = col.view(np.uint8).reshape(len(col), width)
    return buf.view(np.uint64)


def hash_words(w: np.ndarray) -> np.ndarray:
    """64-bit hash per row of words: multiply each word by its own odd constant, xor, then fmix64's last steps."""
    h = w[:, 0] * _MIX[0]
    for j in range(1, w.shape[1]):
        h ^= w[:, j] * _MIX[j % 4]
    h ^= h >> _S33
    h *= _MIX[1]
    h ^= h >> _S33
    return h


class Interner:
    """Maps names to ids 0..n-1 in order of first appearance; `ids(col)` returns one id per row (-1: unknown)."""

    def __init__(self, width: int):
        self.dtype = np.dtype(f"S{width}")
        self.names: list[bytes] = []
        self._ids: dict[bytes, int] = {}
        self._w = np.zeros((0, -(-width // 8)), dtype=np.uint64)
        self._wT: list[np.ndarray] = []
        self._slot_h = np.zeros(16, dtype=np.uint64)
        self._slot_id = np.full(16, -1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.names)

    def add(self, names: list[bytes]) -> list[int]:
        """Intern new names (once per distinct name, a plain loop); returns the ids of the names given."""
        new = [n for n in dict.fromkeys(names) if n not in self._ids]
        for n in new:
            self._ids[n] = len(self.names)
            self.names.append(n)
        if new:
            self._rebuild()
        return [self._ids[n] for n in names]

    def _rebuild(self) -> None:
        self._w = words(np.array(self.names, dtype=self.dtype))
        self._wT = [np.ascontiguousarray(self._w[:, j]) for j in range(self._w.shape[1])]
        h = hash_words(self._w)
        size = 1 << max(4, int(8 * len(h)).bit_length())  # load <= 1/8: probing is rare
        mask = size - 1
        slot_h = np.zeros(size, dtype=np.uint64)
        slot_id = np.full(size, -1, dtype=np.int64)
        slot = (h & np.uint64(mask)).astype(np.int64)
        todo = np.arange(len(h))
        while len(todo):  # place all names at once; the ones whose slot is taken move one slot on
            s = slot[todo]
            free = slot_id[s] < 0
            cand, cs = todo[free], s[free]
            _, first = np.unique(cs, return_index=True)
            win = cand[first]
            slot_id[slot[win]] = win
            slot_h[slot[win]] = h[win]
            placed = np.zeros(len(h), bool)
            placed[win] = True
            todo = todo[~placed[todo]]
            slot[todo] = (slot[todo] + 1) & mask
        self._slot_h, self._slot_id = slot_h, slot_id

    def lookup(self, w: np.ndarray) -> np.ndarray:
        """Ids of word rows; -1 for names not interned."""
        h = hash_words(w)
        mask = np.uint64(len(self._slot_h) - 1)
        slot = h & mask
        sid = self._slot_id[slot]
        ids = np.where((sid >= 0) & (self._slot_h[slot] == h), sid, -1)
        rows = np.flatnonzero((sid >= 0) & (ids < 0))
        slot, hh = slot[rows], h[rows]
        while len(rows):
            slot = (slot + np.uint64(1)) & mask
            sid = self._slot_id[slot]
            hit = (sid >= 0) & (self._slot_h[slot] == hh)
            ids[rows[hit]] = sid[hit]
            go = (sid >= 0) & ~hit
            rows, slot, hh = rows[go], slot[go], hh[go]
        if len(self.names):
            found = ids >= 0
            at = np.maximum(ids, 0)
            same = found.copy()
            for j in range(w.shape[1]):  # exact check, one word column at a time
                same &= self._wT[j][at] == w[:, j]
            bad = found & ~same
            if bad.any():  # pragma: no cover - a 64-bit hash collision
                ids[bad] = [self._ids.get(bytes(x), -1) for x in w[bad].view(f"S{w.shape[1] * 8}").ravel()]
        return ids

    def ids(self, col: np.ndarray, grow: bool = True) -> tuple[np.ndarray, list[int]]:
        """(id per row, ids newly interned) for a bytes column; unknown names get -1 when grow is False."""
        col = col.astype(self.dtype, copy=False)
        ids = self.lookup(words(col))
        new: list[int] = []
        if grow:
            miss = ids < 0
            if miss.any():
                uniq = np.unique(col[miss])
                new = self.add([bytes(x) for x in uniq])
                ids[miss] = self.lookup(words(col[miss]))
        return ids, new
