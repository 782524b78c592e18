"""Stable sorting inside the engine's compiled passes: an LSD radix argsort of non-negative integer keys.

numba's own sorts are comparison sorts several times slower than numpy's vectorised ones on the few thousand keys a
chunk sorts; a radix sort over the keys' actual bit width (a few 11-bit passes) is cheaper, and stable, so it gives
exactly the order of numpy's stable argsort (and of np.lexsort on keys packed into one integer).

numba's on-disk cache keys a compiled function on its own source file only: a pass that calls a kernel of another
module (this one, `sessionkernels`, `reportkernels`) keeps its cached machine code when only that module changes.
After changing such a kernel, touch the files of the passes calling it (or clear their __pycache__).
"""

from __future__ import annotations

import numpy as np
from numba import njit

DIGIT = 11  # bits per pass (a 2048-bin histogram stays in L1)


@njit(cache=True)
def argsort_stable(keys):
    """np.argsort(keys, kind="stable") of non-negative int64 keys."""
    n = keys.shape[0]
    o = np.arange(n)
    if n < 2:
        return o
    hi = keys.max()
    bits = 0
    while hi > 0:
        hi >>= 1
        bits += 1
    if n <= 32:  # insertion sort: stable, cheaper than a pass for a handful of keys
        for i in range(1, n):
            v = o[i]
            j = i - 1
            while j >= 0 and keys[o[j]] > keys[v]:
                o[j + 1] = o[j]
                j -= 1
            o[j + 1] = v
        return o
    tmp = np.empty(n, np.int64)
    cnt = np.empty((1 << DIGIT) + 1, np.int64)
    mask = (1 << DIGIT) - 1
    shift = 0
    while shift < bits:
        cnt[:] = 0
        for i in range(n):
            cnt[((keys[o[i]] >> shift) & mask) + 1] += 1
        for d in range(1 << DIGIT):
            cnt[d + 1] += cnt[d]
        for i in range(n):
            d = (keys[o[i]] >> shift) & mask
            tmp[cnt[d]] = o[i]
            cnt[d] += 1
        o, tmp = tmp, o
        shift += DIGIT
    return o


@njit(cache=True)
def width(lo, hi):
    """Bits needed for values hi - lo (at least 1)."""
    d, w = hi - lo, 0
    while d > 0:
        d >>= 1
        w += 1
    return max(w, 1)


@njit(cache=True)
def argsort_pairs(major, minor):
    """The stable order of rows by (major, minor), int64 columns: one radix argsort of the two packed into one key
    when they fit in 63 bits, else two (minor, then major)."""
    n = major.shape[0]
    if n == 0:
        return np.arange(0)
    a_lo, a_hi, b_lo, b_hi = major.min(), major.max(), minor.min(), minor.max()
    wb = width(b_lo, b_hi)
    if width(a_lo, a_hi) + wb <= 63:
        key = np.empty(n, np.int64)
        for i in range(n):
            key[i] = ((major[i] - a_lo) << wb) | (minor[i] - b_lo)
        return argsort_stable(key)
    o = argsort_stable(minor - b_lo)
    return o[argsort_stable(major[o] - a_lo)]
