"""Reader start triggers (LLRP ROSpecStartTrigger): when each antenna is actually inventorying.

- continuous: the reader cycles its antennas all the time (each gets 1/n of the air time, `ReaderEngine.a_duty`);
- periodic: one antenna cycle per report period, each antenna alone for its dwell in port order, starting at a
  per-reader phase; the report is sent at the end of the cycle. Between cycles the tags are unpowered for longer
  than the S2/S3 persistence (ANCHORS: > 2 s), so a single-target S2 reader reads every tag in reach once per cycle;
- gpi: a door's motion sensor / light barrier (GPI input) starts the inventory when a person comes near the door
  and a duration stop trigger ends it `hold` after they left; the antennas are alive only inside those intervals.

Every person in the station wears a badge tag, so moving tag legs stand for the people a sensor sees (assumption).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twin.readers.radix import argsort_pairs

CODES = {"continuous": 0, "periodic": 1, "gpi": 2}


def slot_offsets(reader: np.ndarray, port_rank: np.ndarray, dwell_us: np.ndarray, period_us: np.ndarray,
                 phase_us: np.ndarray, periodic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per antenna: (offset, length) of its active slot inside each report period.

    Continuous and GPI antennas: (0, period). Periodic ones: phase of the reader + rank x dwell, length dwell."""
    P = period_us[reader]
    off = np.where(periodic, phase_us[reader] + port_rank * dwell_us[reader], 0)
    ln = np.where(periodic, np.minimum(dwell_us[reader], P), P)
    off = np.where(periodic, np.minimum(off, P - ln), off)
    return off.astype(np.int64), ln.astype(np.int64)


def leg_inside(t0_us, t1_us, x0, y0, x1, y1, cx, cy, radius_m):
    """Per (leg, centre) row: the sub-interval [a, b) of the leg within radius of the centre; b <= a when none."""
    span = (t1_us - t0_us).astype(np.float64)
    dx, dy = x1 - x0, y1 - y0
    fx, fy = x0 - cx, y0 - cy
    A = dx * dx + dy * dy
    B = 2.0 * (fx * dx + fy * dy)
    C = fx * fx + fy * fy - radius_m * radius_m
    disc = B * B - 4.0 * A * C
    moving = A > 0
    sq = np.sqrt(np.maximum(disc, 0.0))
    Aq = np.where(moving, 2.0 * A, 1.0)
    u0 = np.where(moving, (-B - sq) / Aq, np.where(C <= 0, 0.0, 1.0))
    u1 = np.where(moving, (-B + sq) / Aq, np.where(C <= 0, 1.0, 0.0))
    hit = np.where(moving, disc >= 0, C <= 0)
    u0, u1 = np.clip(u0, 0.0, 1.0), np.clip(u1, 0.0, 1.0)
    a = t0_us + (u0 * span).astype(np.int64)
    b = t0_us + (u1 * span).astype(np.int64)
    return a, np.where(hit & (u1 > u0), b, a)


def merge_py(owner: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> dict[int, np.ndarray]:
    """Union of half-open intervals per owner: owner -> (K, 2) sorted, disjoint. The plain rule (reference of
    `merge`)."""
    out: dict[int, np.ndarray] = {}
    if not len(owner):
        return out
    o = np.lexsort((lo, owner))
    owner, lo, hi = owner[o], lo[o], hi[o]
    for ow in np.unique(owner):
        m = owner == ow
        a, b = lo[m], hi[m]
        reach = np.maximum.accumulate(b)
        new = np.r_[True, a[1:] > reach[:-1]]
        s = np.flatnonzero(new)
        out[int(ow)] = np.column_stack([a[s], np.maximum.reduceat(reach, s)]).astype(np.int64)
    return out


@njit(cache=True)
def _merge(owner, lo, hi):
    """`merge_py` in one pass after a stable sort by (owner, start): the owners, where each one's intervals start
    in the output, and the (K, 2) intervals."""
    n = owner.shape[0]
    o = argsort_pairs(owner, lo)
    iv = np.empty((n, 2), np.int64)
    owners = np.empty(n, np.int64)
    ptr = np.zeros(n + 1, np.int64)
    k, m = 0, 0
    reach = 0
    for j in range(n):
        i = o[j]
        first = j == 0 or owner[i] != owner[o[j - 1]]
        if first:
            owners[m] = owner[i]
            ptr[m] = k
            m += 1
        if first or lo[i] > reach:
            iv[k, 0] = lo[i]
            reach = hi[i]
            k += 1
        else:
            reach = max(reach, hi[i])
        iv[k - 1, 1] = reach
    ptr[m] = k
    return owners[:m], ptr[:m + 1], iv[:k]


def merge(owner: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> dict[int, np.ndarray]:
    """Union of half-open intervals per owner: owner -> (K, 2) sorted, disjoint (`_merge`, compiled)."""
    if not len(owner):
        return {}
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    owners, ptr, iv = _merge(i8(owner), i8(lo), i8(hi))
    return {ow: iv[ptr[j]:ptr[j + 1]] for j, ow in enumerate(owners.tolist())}


def gpi_intervals(t0: int, t1: int, centre_xy: np.ndarray, centre_level: np.ndarray, radius_m: float, hold_us: int,
                  carry_us: np.ndarray, tags, live: np.ndarray, plain: bool = False,
                  mv: np.ndarray | None = None) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Triggered intervals within [t0, t1) per GPI reader (index into centre_xy), and each reader's carry-over
    (end of its last trigger, to keep it running into the next chunk). `plain`: the numpy steps, else one compiled
    pass (`_gpi_pass`, the same intervals). `mv`: the live moving segments when the caller has them."""
    if not plain:
        f8 = lambda a: np.ascontiguousarray(a, np.float64)  # noqa: E731
        i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
        mv = np.flatnonzero(live & ~tags.is_static) if mv is None else mv
        owners, ptr, iv, carry = _gpi_pass(int(t0), int(t1), f8(centre_xy).reshape(-1, 2), f8(centre_level),
                                           float(radius_m), int(hold_us), i8(carry_us), mv, f8(tags.level),
                                           i8(tags.t0_us), i8(tags.t1_us), f8(tags.x0), f8(tags.y0), f8(tags.x1),
                                           f8(tags.y1))
        return {ow: iv[ptr[j]:ptr[j + 1]] for j, ow in enumerate(owners.tolist())}, carry
    carry = carry_us.copy()
    mv = np.flatnonzero(live & ~tags.is_static)
    R = len(centre_xy)
    own, lo, hi = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    if len(mv) and R:
        ri, si = np.nonzero(tags.level[mv][None, :] == centre_level[:, None])
        seg = mv[si]
        a, b = leg_inside(tags.t0_us[seg], tags.t1_us[seg], tags.x0[seg], tags.y0[seg], tags.x1[seg], tags.y1[seg],
                          centre_xy[ri, 0], centre_xy[ri, 1], radius_m)
        k = b > a
        own.append(ri[k])
        lo.append(a[k])
        hi.append(b[k] + hold_us)
        if k.any():
            np.maximum.at(carry, ri[k], b[k] + hold_us)
    c = np.flatnonzero(carry_us > t0)
    own.append(c)
    lo.append(np.full(len(c), t0, np.int64))
    hi.append(carry_us[c])
    own, lo, hi = (np.concatenate(x) for x in (own, lo, hi))
    lo, hi = np.maximum(lo, t0), np.minimum(hi, t1)
    k = hi > lo
    return merge(own[k], lo[k], hi[k]), carry


@njit(cache=True)
def _gpi_pass(t0, t1, cxy, clevel, radius_m, hold_us, carry_us, mv, level, t0_us, t1_us, x0, y0, x1, y1):
    """`gpi_intervals` in one pass: `leg_inside` per (GPI reader, moving leg on its level) with numpy's arithmetic
    in its order, the carry-over, then `_merge`."""
    R, n = cxy.shape[0], mv.shape[0]
    carry = carry_us.copy()
    own = np.empty(R * n + R, np.int64)
    lo = np.empty(R * n + R, np.int64)
    hi = np.empty(R * n + R, np.int64)
    m = 0
    for r in range(R):
        cx, cy = cxy[r, 0], cxy[r, 1]
        for s in range(n):
            g = mv[s]
            if level[g] != clevel[r]:
                continue
            span = np.float64(t1_us[g] - t0_us[g])
            dx, dy = x1[g] - x0[g], y1[g] - y0[g]
            fx, fy = x0[g] - cx, y0[g] - cy
            A = dx * dx + dy * dy
            B = 2.0 * (fx * dx + fy * dy)
            C = fx * fx + fy * fy - radius_m * radius_m
            disc = B * B - 4.0 * A * C
            if A > 0:
                sq = np.sqrt(max(disc, 0.0))
                u0, u1, hit = (-B - sq) / (2.0 * A), (-B + sq) / (2.0 * A), disc >= 0
            else:
                u0, u1, hit = (0.0, 1.0, True) if C <= 0 else (1.0, 0.0, False)
            u0, u1 = min(max(u0, 0.0), 1.0), min(max(u1, 0.0), 1.0)
            a = t0_us[g] + np.int64(u0 * span)
            b = t0_us[g] + np.int64(u1 * span) if hit and u1 > u0 else a
            if b > a:
                e = b + hold_us
                carry[r] = max(carry[r], e)
                lo_, hi_ = max(a, t0), min(e, t1)
                if hi_ > lo_:
                    own[m], lo[m], hi[m] = r, lo_, hi_
                    m += 1
    for r in range(R):
        if carry_us[r] > t0:
            lo_, hi_ = t0, min(carry_us[r], t1)
            if hi_ > lo_:
                own[m], lo[m], hi[m] = r, lo_, hi_
                m += 1
    if m == 0:
        z = np.zeros(0, np.int64)
        return z, np.zeros(1, np.int64), np.zeros((0, 2), np.int64), carry
    owners, ptr, iv = _merge(own[:m], lo[:m], hi[:m])
    return owners, ptr, iv, carry
