"""The read engine's cache of resting tags' links: per resting segment key (a hash of tag, position and container)
its (antenna, p, rssi) pairs, flat arrays sorted by key, with compiled look-ups and merges (`_missing`, `_gather`,
`_merge`; the numpy rules kept as `missing_py`, `gather_py`, `put_py`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twin.readers.kernels import _lower_bound


class PairCache:
    """Static segment key -> its (antenna, p, rssi) pairs with p > 0; flat arrays sorted by key."""

    LIMIT = 4_000_000  # pairs; bounded memory on long runs with much churn (stale keys are dropped wholesale)

    def __init__(self) -> None:
        self.resets = getattr(self, "resets", -1) + 1  # times the cache was emptied (callers' memos go stale)
        self.known = np.zeros(0, np.uint64)
        self.k = np.zeros(0, np.uint64)
        self.ant = np.zeros(0, np.int32)
        self.p = np.zeros(0)
        self.r = np.zeros(0)
        self._last: tuple | None = None

    def missing_py(self, keys: np.ndarray) -> np.ndarray:
        """Mask of keys never computed (the plain rule of `missing`)."""
        if not len(self.known):
            return np.ones(len(keys), bool)
        i = np.minimum(np.searchsorted(self.known, keys), len(self.known) - 1)
        return self.known[i] != keys

    def missing(self, keys: np.ndarray) -> np.ndarray:
        """Mask of keys never computed (`_missing`: one binary search per key, compiled)."""
        return _missing(self.known, np.ascontiguousarray(keys, np.uint64))

    def put(self, computed: np.ndarray, k, ant, p, r, plain: bool = False) -> None:
        """Record that the segment keys `computed` are done, with their pairs (k, ant, p, r). `plain`: the numpy
        steps (`put_py`), else one compiled merge (`_merge`, the same arrays)."""
        if plain:
            return self.put_py(computed, k, ant, p, r)
        if len(self.k) + len(k) > self.LIMIT:
            self.__init__()
        c = np.unique(computed)
        k = np.ascontiguousarray(k, np.uint64)
        o = np.argsort(k, kind="stable")
        self.known, self.k, self.ant, self.p, self.r, self._uk, self._start, self._len = _merge(
            self.known, np.ascontiguousarray(c, np.uint64), self.k, self.ant, self.p, self.r, k[o],
            np.ascontiguousarray(ant[o], np.int32), np.ascontiguousarray(p[o], np.float64),
            np.ascontiguousarray(r[o], np.float64))
        self._last = None

    def put_py(self, computed: np.ndarray, k, ant, p, r) -> None:
        """The plain rule of `put` (numpy inserts into the sorted arrays)."""
        if len(self.k) + len(k) > self.LIMIT:
            self.__init__()
        c = np.unique(computed)
        c = c[self.missing(c)]  # merged into the sorted keys (insertion, not a sort of the whole cache)
        self.known = np.insert(self.known, np.searchsorted(self.known, c), c)
        o = np.argsort(k, kind="stable")  # after equal keys already held, in their order: a stable sort's order
        pos = np.searchsorted(self.k, k[o], side="right")
        self.k, self.ant = np.insert(self.k, pos, k[o]), np.insert(self.ant, pos, ant[o])
        self.p, self.r = np.insert(self.p, pos, p[o]), np.insert(self.r, pos, r[o])
        first = np.flatnonzero(np.r_[True, self.k[1:] != self.k[:-1]]) if len(self.k) else np.zeros(0, np.int64)
        self._uk, self._start = self.k[first], first  # each key with pairs: where its run starts, and its length
        self._len = np.diff(np.r_[first, len(self.k)])
        self._last = None

    def gather(self, keys: np.ndarray, plain: bool = False):
        """(query row, antenna, p, rssi) of every cached pair of the queried keys (all must be known), each key's
        pairs in cache order. `plain`: the numpy steps (`gather_py`), else one compiled pass (`_gather`)."""
        if self._last is not None and np.array_equal(self._last[0], keys):
            return self._last[1]
        if plain:
            return self.gather_py(keys)
        uk = getattr(self, "_uk", self.k)
        if not len(uk):
            return self.gather_py(keys)
        out = _gather(np.ascontiguousarray(keys, np.uint64), uk, self._start, self._len, self.ant, self.p, self.r)
        self._last = (keys.copy(), out)
        return out

    def gather_py(self, keys: np.ndarray):
        """The plain rule of `gather` (numpy searches, repeats and fancy indexing)."""
        uk = getattr(self, "_uk", self.k)
        if not len(uk):
            lo = n = np.zeros(len(keys), np.int64)
        else:
            j = np.minimum(np.searchsorted(uk, keys), len(uk) - 1)  # one search over the keys that have pairs
            hit = uk[j] == keys
            lo, n = self._start[j], np.where(hit, self._len[j], 0)
        own = np.repeat(np.arange(len(keys)), n)
        idx = np.repeat(lo - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
        out = (own, self.ant[idx], self.p[idx], self.r[idx])
        self._last = (keys.copy(), out)
        return out


@njit(cache=True)
def _missing(known, keys):
    """`PairCache.missing_py`: a key is missing unless a binary search of the sorted known keys finds it."""
    n, K = keys.shape[0], known.shape[0]
    out = np.ones(n, np.bool_)
    for i in range(n):
        k = keys[i]
        lo = _lower_bound(known, 0, K, k)
        out[i] = not (lo < K and known[lo] == k)
    return out


@njit(cache=True)
def _gather(keys, uk, start, ln, ant, p, r):
    """`PairCache.gather_py` in one pass: each key's run of pairs (binary search of the keys with pairs), query
    rows ascending, a run's pairs in cache order."""
    n, U = keys.shape[0], uk.shape[0]
    lo_k = np.empty(n, np.int64)
    n_k = np.zeros(n, np.int64)
    tot = 0
    for i in range(n):
        k = keys[i]
        lo = _lower_bound(uk, 0, U, k)
        j = min(lo, U - 1)
        lo_k[i] = start[j]
        if uk[j] == k:
            n_k[i] = ln[j]
            tot += ln[j]
    own = np.empty(tot, np.int64)
    oa = np.empty(tot, ant.dtype)
    op = np.empty(tot)
    orr = np.empty(tot)
    m = 0
    for i in range(n):
        for x in range(lo_k[i], lo_k[i] + n_k[i]):
            own[m], oa[m], op[m], orr[m] = i, ant[x], p[x], r[x]
            m += 1
    return own, oa, op, orr


@njit(cache=True)
def _merge(known, c, K, A, P, R, k, a, p, r):
    """`PairCache.put_py` as merges: the distinct keys c not yet known into the sorted known keys; the new pairs
    (sorted by key, stable) into the sorted pairs after those of equal keys already held; then each key with pairs,
    where its run starts and its length."""
    nk, nc = known.shape[0], c.shape[0]
    kn = np.empty(nk + nc, np.uint64)
    i = j = m = 0
    while i < nk or j < nc:
        if j >= nc or (i < nk and known[i] <= c[j]):
            if j < nc and known[i] == c[j]:
                j += 1  # known already
            kn[m] = known[i]
            i += 1
        else:
            kn[m] = c[j]
            j += 1
        m += 1
    kn = kn[:m]
    n0, n1 = K.shape[0], k.shape[0]
    N = n0 + n1
    ok, oa, op, orr = np.empty(N, np.uint64), np.empty(N, np.int32), np.empty(N), np.empty(N)
    i = j = 0
    U = 0
    for m in range(N):
        if j >= n1 or (i < n0 and K[i] <= k[j]):  # held pairs first among equal keys (np.insert side="right")
            ok[m], oa[m], op[m], orr[m] = K[i], A[i], P[i], R[i]
            i += 1
        else:
            ok[m], oa[m], op[m], orr[m] = k[j], a[j], p[j], r[j]
            j += 1
        if m == 0 or ok[m] != ok[m - 1]:
            U += 1
    uk, start, ln = np.empty(U, np.uint64), np.empty(U, np.int64), np.empty(U, np.int64)
    u = -1
    for m in range(N):
        if m == 0 or ok[m] != ok[m - 1]:
            u += 1
            uk[u], start[u], ln[u] = ok[m], m, 0
        ln[u] += 1
    return kn, ok, oa, op, orr, uk, start, ln
