"""Dense integer ids for fixed-width byte strings (EPCs, reader ids), for whole columns at once.

Names are hashed word by word (murmur3's fmix64 mixing) and looked up in an open-addressing table with linear
probing; a slot's name is compared word by word with the row before it is taken, so a hash collision can never merge
two names. The probe is one compiled pass over the rows (twin.tracker.kernels_ingest) instead of a dozen numpy
calls; a row naming the same as the row before it costs one compare. New names are inserted into the table in place;
it is rebuilt only when its load would pass 1/2 (a dense table stays in cache; linear probing at load <= 1/2 takes
~1.5 probes a hit).
"""

from __future__ import annotations

import numpy as np

from .kernels_ingest import insert, probe

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


def field_words(rec: np.ndarray, name: str) -> np.ndarray | None:
    """A fixed-width bytes field of a record array read in place as rows of uint64 words (a strided, possibly
    unaligned view: no copy), or None when the field's width is not a multiple of 8 bytes or the array is not
    contiguous."""
    f = rec.dtype.fields.get(name) if rec.dtype.fields else None
    if f is None or f[0].kind != "S" or f[0].itemsize % 8 or not rec.flags.c_contiguous or rec.ndim != 1:
        return None
    if len(rec) == 0:
        return np.zeros((0, f[0].itemsize // 8), np.uint64)
    return np.ndarray((len(rec), f[0].itemsize // 8), "<u8", buffer=rec, offset=f[1], strides=(rec.dtype.itemsize, 8))


class Interner:
    """Maps names to ids 0..n-1 in order of first appearance; `ids(col)` returns one id per row (-1: unknown)."""

    def __init__(self, width: int):
        self.dtype = np.dtype(f"S{width}")
        self.names: list[bytes] = []
        self._ids: dict[bytes, int] = {}
        self._k = -(-width // 8)
        self._buf = np.zeros((16, self._k), dtype=np.uint64)  # names as words; capacity doubles
        self._slot_h = np.zeros(16, dtype=np.uint64)
        self._slot_id = np.full(16, -1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.names)

    @property
    def _w(self) -> np.ndarray:
        return self._buf[: len(self.names)]

    def add(self, names: list[bytes]) -> list[int]:
        """Intern new names (once per distinct name, a plain loop); returns the ids of the names given."""
        new = [n for n in dict.fromkeys(names) if n not in self._ids]
        if new:
            start = len(self.names)
            for n in new:
                self._ids[n] = len(self.names)
                self.names.append(n)
            self._store(start, new)
        return [self._ids[n] for n in names]

    def _store(self, start: int, new: list[bytes]) -> None:
        n = len(self.names)
        if n > len(self._buf):
            buf = np.zeros((max(n, 2 * len(self._buf)), self._k), dtype=np.uint64)
            buf[:start] = self._buf[:start]
            self._buf = buf
        self._buf[start:n] = words(np.array(new, dtype=self.dtype))
        if 2 * n > len(self._slot_h):  # load would pass 1/2: a larger table, every name placed again
            size = 1 << max(4, int(2 * n).bit_length())
            self._slot_h = np.zeros(size, dtype=np.uint64)
            self._slot_id = np.full(size, -1, dtype=np.int64)
            start = 0
        insert(self._buf[:n], start, self._slot_h, self._slot_id, _MIX)

    @property
    def table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(names as words, slot hashes, slot ids, mixing constants): what the compiled probes read."""
        return self._buf, self._slot_h, self._slot_id, _MIX

    def lookup(self, w: np.ndarray) -> np.ndarray:
        """Ids of word rows; -1 for names not interned."""
        out = np.empty(len(w), np.int64)
        if len(w):
            probe(np.ascontiguousarray(w), self._buf, self._slot_h, self._slot_id, _MIX, out)
        return out

    def ids(self, col: np.ndarray, grow: bool = True) -> tuple[np.ndarray, list[int]]:
        """(id per row, ids newly interned) for a bytes column; unknown names get -1 when grow is False."""
        col = col.astype(self.dtype, copy=False)
        ids = self.lookup(words(col))
        return ids, (self.fill(col, ids) if grow else [])

    def fill(self, col: np.ndarray, ids: np.ndarray) -> list[int]:
        """Intern the names of the rows whose id is -1 (in sorted order of the new names) and set their ids; the ids
        newly interned."""
        miss = ids < 0
        if not miss.any():
            return []
        col = col[miss].astype(self.dtype, copy=False)
        new = self.add([bytes(x) for x in np.unique(col)])
        ids[miss] = self.lookup(words(col))
        return new
