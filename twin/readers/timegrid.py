"""Time bookkeeping of the read engine: each antenna's alive report windows, and legs cut into grid slots.

A window is the part of one report period in which an antenna can read (its reader up, the antenna connected, a
carried antenna in someone's hands). Reads are generated per (antenna, tag, window) and reported per report period,
so a period is one window unless a fault or a handheld hand-over cuts it. Moving tags and carried antennas are
sampled at the midpoints of a fixed time grid (EngineParams.grid_ms).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twin.readers.radix import argsort_pairs


def expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [lo[i], hi[i]): (owner i, value) of every integer inside, vectorised."""
    n = np.maximum(np.asarray(hi) - np.asarray(lo), 0)
    own = np.repeat(np.arange(len(n)), n)
    start = np.cumsum(n) - n
    return own, np.asarray(lo)[own] + np.arange(int(n.sum())) - np.repeat(start, n)


def subtract(iv: np.ndarray, down: np.ndarray) -> np.ndarray:
    """Half-open intervals iv (K, 2), sorted and disjoint, minus the intervals `down` (M, 2)."""
    out = [tuple(x) for x in iv]
    for a, b in down:
        nxt = []
        for lo, hi in out:
            if b <= lo or a >= hi:
                nxt.append((lo, hi))
                continue
            if lo < a:
                nxt.append((lo, a))
            if b < hi:
                nxt.append((b, hi))
        out = nxt
    return np.array(out, np.int64).reshape(-1, 2)


def windows(t0: int, t1: int, period_us: np.ndarray, special: dict[int, np.ndarray],
            slot_off: np.ndarray | None = None, slot_len: np.ndarray | None = None, memo: dict | None = None,
            plain_rule: bool = False):
    """Alive windows of every antenna over [t0, t1): arrays (ant, start, end, period index) sorted by antenna, start.

    period_us: (A,) report period of each antenna's reader. special: antenna -> its alive intervals (K, 2) within the
    chunk when not simply [t0, t1) (faults, carried antennas, GPI triggers); others are alive throughout.
    slot_off, slot_len: (A,) the part [k P + off, k P + off + len) of each period k in which the antenna inventories
    (a periodic reader's antenna dwell); default the whole period. plain_rule: the special windows by the plain rule
    (`special_windows_py`) instead of the compiled one.
    """
    A = len(period_us)
    off = np.zeros(A, np.int64) if slot_off is None else np.asarray(slot_off, np.int64)
    ln = np.asarray(period_us, np.int64) if slot_len is None else np.asarray(slot_len, np.int64)
    plain = np.ones(A, bool)
    plain[list(special)] = False
    ants = np.flatnonzero(plain)
    P, O, N = period_us[ants], off[ants], ln[ants]
    # the plain antennas' windows repeat from chunk to chunk shifted by the chunk start when it moved by whole
    # periods: `memo` (a dict the caller keeps) holds them relative to t0, with the period index relative to t0 // P
    sig = (t1 - t0, ants.tobytes(), (t0 % P).tobytes(), O.tobytes(), N.tobytes())
    if memo is not None and memo.get("sig") == sig:
        a, ws_r, we_r, k_r = memo["plain"]
        ws, we, k = ws_r + t0, we_r + t0, k_r + (t0 // period_us[a])
    else:
        k0, k1 = (t0 - O - N) // P + 1, (t1 - 1 - O) // P + 1
        own, k = expand(k0, k1)
        a = ants[own]
        ws = np.maximum(k * P[own] + O[own], t0)
        we = np.minimum(k * P[own] + O[own] + N[own], t1)
        if memo is not None:
            memo["sig"], memo["plain"] = sig, (a, ws - t0, we - t0, k - t0 // P[own])
    # special antennas without an alive interval (idle GPI portals, antennas no one carries) add no window
    busy = {i: v for i, v in special.items() if len(v)} if not plain_rule else special
    if not busy:
        ok = we > ws  # already sorted by antenna, start
        return a[ok], ws[ok], we[ok], k[ok]
    # every special interval at once: its periods' windows clipped to it (an antenna's intervals are disjoint)
    iv = np.concatenate([np.asarray(v, np.int64).reshape(-1, 2) for v in busy.values()])
    sa = np.repeat(np.fromiter(busy, np.int64, len(busy)), [len(v) for v in busy.values()])
    if plain_rule:
        return special_windows_py(a, ws, we, k, iv, sa, np.asarray(period_us, np.int64), off, ln)
    return special_windows(a, ws, we, k, iv, sa, np.asarray(period_us, np.int64), off, ln)


def special_windows_py(a, ws, we, k, iv, sa, period_us, off, ln):
    """The plain antennas' windows (a, ws, we, k) with those of the special intervals iv (K, 2) of antennas sa, sorted
    by antenna and start, empty ones dropped. The plain rule (reference of `special_windows`)."""
    p, o_, n_ = period_us[sa], off[sa], ln[sa]
    own, kk = expand(iv[:, 0] // p, (iv[:, 1] - 1) // p + 1)
    s = np.maximum(kk * p[own] + o_[own], iv[own, 0])
    e = np.minimum(kk * p[own] + o_[own] + n_[own], iv[own, 1])
    a, ws, we, k = (np.concatenate([x, y]).astype(np.int64) for x, y in ((a, sa[own]), (ws, s), (we, e), (k, kk)))
    o = np.lexsort((ws, a))
    a, ws, we, k = a[o], ws[o], we[o], k[o]
    ok = we > ws
    return a[ok], ws[ok], we[ok], k[ok]


@njit(cache=True)
def _special_windows(a, ws, we, k, iv, sa, period_us, off, ln):
    P = a.shape[0]
    n = P
    for j in range(sa.shape[0]):
        p = period_us[sa[j]]
        n += max((iv[j, 1] - 1) // p + 1 - iv[j, 0] // p, 0)
    A, S, E, K = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    A[:P], S[:P], E[:P], K[:P] = a, ws, we, k
    m = P
    for j in range(sa.shape[0]):
        x = sa[j]
        p, o_, n_ = period_us[x], off[x], ln[x]
        for kk in range(iv[j, 0] // p, (iv[j, 1] - 1) // p + 1):
            A[m], K[m] = x, kk
            S[m] = max(kk * p + o_, iv[j, 0])
            E[m] = min(kk * p + o_ + n_, iv[j, 1])
            m += 1
    o = argsort_pairs(A, S)
    c = 0
    for i in o:
        if E[i] > S[i]:
            c += 1
    ra, rs, re, rk = np.empty(c, np.int64), np.empty(c, np.int64), np.empty(c, np.int64), np.empty(c, np.int64)
    c = 0
    for i in o:
        if E[i] > S[i]:
            ra[c], rs[c], re[c], rk[c] = A[i], S[i], E[i], K[i]
            c += 1
    return ra, rs, re, rk


def special_windows(a, ws, we, k, iv, sa, period_us, off, ln):
    """`special_windows_py` in one compiled pass (the same arrays)."""
    i8 = lambda x: np.ascontiguousarray(x, np.int64)  # noqa: E731
    return _special_windows(i8(a), i8(ws), i8(we), i8(k), i8(iv).reshape(-1, 2), i8(sa), i8(period_us), i8(off),
                            i8(ln))


def unique_index(a: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(a, return_inverse=True)` of indices 0 <= a < n: a mark per possible value instead of a sort when
    n is not much larger than a (the same sorted values and inverse)."""
    a = np.asarray(a, np.int64)
    if n > 4 * len(a) + 1024:
        return np.unique(a, return_inverse=True)
    mark = np.zeros(n + 1, bool)
    mark[a] = True
    u = np.flatnonzero(mark)
    rank = np.cumsum(mark) - 1
    return u, rank[a]


def lexsort_ints(keys) -> np.ndarray:
    """`np.lexsort(keys)` (last key primary, stable) of integer keys: one stable argsort of the keys packed into one
    int64 when their ranges fit in 63 bits (the same order), else np.lexsort."""
    n = len(keys[0])
    if not n:
        return np.zeros(0, np.int64)
    packed, bits = np.zeros(n, np.int64), 0
    for k in keys:  # least significant first
        lo, hi = int(k.min()), int(k.max())
        w = max(1, (hi - lo).bit_length())
        if bits + w > 63:
            return np.lexsort(keys)
        packed |= (k.astype(np.int64) - lo) << bits
        bits += w
    return np.argsort(packed, kind="stable")


def slots(lo: np.ndarray, hi: np.ndarray, grid_us: int):
    """Cut spans [lo, hi) at multiples of grid_us: (owner, piece start, piece end, midpoint)."""
    own, k = expand(lo // grid_us, (hi - 1) // grid_us + 1)
    s = np.maximum(k * grid_us, lo[own])
    e = np.minimum((k + 1) * grid_us, hi[own])
    return own, s, e, (s + e) // 2


def leg_distance(px, py, ax, ay, bx, by) -> np.ndarray:
    """Distance from points p to segments a-b (vectorised, degenerate segments allowed)."""
    dx, dy = bx - ax, by - ay
    L2 = dx * dx + dy * dy
    u = np.clip(((px - ax) * dx + (py - ay) * dy) / np.where(L2 > 0, L2, 1.0), 0.0, 1.0)
    return np.hypot(ax + u * dx - px, ay + u * dy - py)
