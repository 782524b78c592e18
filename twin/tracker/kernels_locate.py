"""Compiled per-row passes of the locator (twin.tracker.locate) and of its self-calibration (twin.tracker.calib).

Rows come sorted by (tag, time) from ingest's pop, so each pass is one walk over the rows with per-tag state in
arrays: the rows that can place a tag, their evidence, the sealed-space rule, the per-tag read rates and the
calibration counts. Each keeps the arithmetic of the array form it replaced, operation for operation, so the
locator's output does not move; tests/tracker/test_locate_pass.py checks every pass against that plain form.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernels_smooth import accept_pass, cycles_pass


@njit(cache=True)
def rows_pass(tag, t_us, ant, cnt, rssi, late, ant_space, portal, seen, last_us):
    """Marks each tag of the batch seen with its latest read time (late rows too), and returns the rows that can
    place a tag (not late, from an antenna that names a space) as (tag, t_us, ant, count, rssi, space, portal row)."""
    n = len(tag)
    keep = np.empty(n, np.int64)
    k = 0
    for i in range(n):
        if i == n - 1 or tag[i + 1] != tag[i]:  # a tag's last row is its latest read
            seen[tag[i]] = True
            last_us[tag[i]] = max(last_us[tag[i]], t_us[i])
        if not late[i] and ant_space[ant[i]] >= 0:
            keep[k] = i
            k += 1
    keep = keep[:k]
    a = ant[keep]
    space = np.empty(k, np.int32)
    pm = np.empty(k, np.bool_)
    for r in range(k):
        space[r] = ant_space[a[r]]
        pm[r] = portal[a[r]]
    return tag[keep], t_us[keep], a, cnt[keep], rssi[keep], space, pm


@njit(cache=True)
def evidence_pass(ant, cnt, rssi, weight, inv_factor, weak_dbm, weak_factor, use_weak):
    """Each row's evidence for its antenna's space: weight x TagSeenCount x the inventory factor, a faint read of a
    zone antenna times `weak_factor`."""
    n = len(ant)
    ev = np.empty(n)
    for i in range(n):
        a = ant[i]
        e = weight[a] * np.float64(cnt[i]) * inv_factor[a]
        if use_weak and np.float32(rssi[i]) < weak_dbm[a]:
            e *= weak_factor
        ev[i] = e
    return ev


@njit(cache=True)
def seal_pass(tag, t_us, space, ev, strong, accepted, sealed, by_prior, space_doors, p_start, p_sides,
              open_us, both_sides, factor):  # fmt: skip
    """Sealed spaces (see Locator.process): a placed tag's evidence for another place times `factor` unless a burst at
    a door of the sealed space it leaves (and of the sealed space it enters, when its place came from reads) began
    within open_us before. Returns ev itself when no row is blocked, else a changed copy."""
    out = ev
    copied = False
    for i in range(len(tag)):
        tg, sp = tag[i], space[i]
        hr = accepted[tg]
        if sp == hr or hr < 0 or strong[i] or not (sealed[hr] or sealed[sp]):
            continue
        blocked = False
        for side in range(2):  # leave the space it is in; enter the one the evidence names
            pl = hr if side == 0 else sp
            if not sealed[pl] or (side == 1 and by_prior[tg]):
                continue
            recent = False
            for j in range(space_doors.shape[1]):
                d = space_doors[pl, j]
                if d < 0:
                    continue
                st = p_start[tg, d]
                if st <= t_us[i] and t_us[i] - st <= open_us and (not both_sides or p_sides[tg, d] == 3):
                    recent = True
                    break
            if not recent:
                blocked = True
        if blocked:
            if not copied:
                out = ev.copy()
                copied = True
            out[i] *= factor
    return out


@njit(cache=True)
def learn_rate_pass(c_tag, c_t, row_tag, p_cycle, lam, bin_us):
    """SMURF's per-tag rates over the cycles of a batch (sorted by tag): p_i, the share of 1 s cycles with a read
    over the span the tag was seen, and lambda_i, reads (rows of row_tag, sorted by tag) per cycle; both smoothed
    0.7 old / 0.3 new."""
    n, m = len(c_tag), len(row_tag)
    j = 0
    s = 0
    while s < n:
        tg = c_tag[s]
        e = s
        lo = hi = c_t[s]
        while e < n and c_tag[e] == tg:
            lo, hi = min(lo, c_t[e]), max(hi, c_t[e])
            e += 1
        span = (hi - lo) // bin_us + 1
        p = min(max((e - s) / span, 0.0), 1.0)
        while j < m and row_tag[j] < tg:
            j += 1
        k = j
        while k < m and row_tag[k] == tg:
            k += 1
        p_cycle[tg] = 0.7 * p_cycle[tg] + 0.3 * p
        lam[tg] = 0.7 * lam[tg] + 0.3 * ((k - j) / span)
        j = k
        s = e
    return


@njit(cache=True)
def unit_rows_pass(tag, ant, cnt, rssi, ant_storage, unit_space, accepted_space, unit_weight, power_lut):
    """Rows that can vote for a unit: a shelf or desk antenna whose unit is in the space the tag is in now. Returns
    (their rows, their unit, their evidence: weight x TagSeenCount x received power, linear)."""
    n = len(tag)
    rows = np.empty(n, np.int64)
    k = 0
    for i in range(n):
        u = ant_storage[ant[i]]
        if u >= 0 and unit_space[u] == accepted_space[tag[i]]:
            rows[k] = i
            k += 1
    rows = rows[:k]
    unit = np.empty(k, np.int32)
    uev = np.empty(k)
    for r in range(k):
        i = rows[r]
        unit[r] = ant_storage[ant[i]]
        uev[r] = unit_weight[ant[i]] * np.float64(cnt[i]) * power_lut[np.int64(rssi[i]) + 32768]
    return rows, unit, uev


@njit(cache=True)
def calib_pass(tag, ant, cnt, space, inside, ref, streak, settle, majority, n_spaces, n_antennas):
    """One batch of rows sorted by tag (space >= 0) against each tag's reference place (see
    AntennaCalibration.observe): updates ref and streak, returns this batch's (reads, agreeing reads) per antenna."""
    n = len(tag)
    per = np.zeros(n_spaces)  # this tag's inside reads by space (whole counts: sums exact in any order)
    mark = np.full(n_spaces, -1, np.int64)  # the tag group (its first row) that touched each space
    touched = np.empty(n_spaces, np.int64)
    dn = np.zeros(n_antennas)
    dhit = np.zeros(n_antennas)
    s = 0
    while s < n:
        tg = tag[s]
        e = s
        nt = 0
        while e < n and tag[e] == tg:
            if inside[ant[e]]:
                sp = space[e]
                if mark[sp] != s:
                    mark[sp] = s
                    per[sp] = 0.0
                    touched[nt] = sp
                    nt += 1
                per[sp] += np.float64(cnt[e])
            e += 1
        if nt > 0:  # its best space (ties: the higher index) is its reference when it holds a clear majority
            best, tot = -1, 0.0
            for q in range(nt):
                sp = touched[q]
                tot += per[sp]
                if best < 0 or per[sp] > per[best] or (per[sp] == per[best] and sp > best):
                    best = sp
            bs = best if per[best] >= majority * tot else -1
            if bs >= 0 and ref[tg] == bs:
                streak[tg] += 1
            else:
                streak[tg] = 1 if bs >= 0 else 0
            ref[tg] = bs
        r = ref[tg]
        if r >= 0 and streak[tg] >= settle:
            for i in range(s, e):
                c = np.float64(cnt[i])
                dn[ant[i]] += c
                if space[i] == r:
                    dhit[ant[i]] += c
        s = e
    return dn, dhit


@njit(cache=True)
def tag_params(tags, p_cycle, lam, accepted, ln, wmin, wmax, bin_us, threshold, reads_per_thr, thr_max, space_gap_us,
               unit_gap_us, thr, s_gap, u_gap):  # fmt: skip
    """For the tags of a batch (sorted), the numbers the acceptance reads (see Locator.window_us, thresholds): the
    acceptance threshold, and the longest pause inside a space run (SMURF's window; for a tag not placed yet at least
    space_gap_us) and inside a unit run (at least unit_gap_us). Only these tags' entries are written."""
    for i in range(len(tags)):
        tg = tags[i]
        if i and tags[i - 1] == tg:
            continue
        g = np.int64(min(max(ln / max(p_cycle[tg], 1e-3), wmin), wmax) * bin_us)
        thr[tg] = threshold * min(max(lam[tg] / reads_per_thr, 1.0), thr_max)
        s_gap[tg] = max(g, space_gap_us) if accepted[tg] < 0 else g
        u_gap[tg] = max(g, unit_gap_us)


@njit(cache=True)
def space_pass(tag, t_us, space, ev, strong, portal_row, acc, cand, cand_ev, cand_t, cand_n, p_cycle, lam, ln, wmin,
               wmax, bin_us, threshold, reads_per_thr, thr_max, space_gap_us, unit_gap_us, thr, s_gap, u_gap,
               place_gap_us, min_cycles):  # fmt: skip
    """The space half of Locator.process in one call: cycles (incumbent: the accepted place), the read rates (rows
    not of a portal), the batch's thresholds and windows, run acceptance. Returns the changes (tag, t_us, place,
    confidence)."""
    starts, pl, w_ev, total, w_t, w_s = cycles_pass(tag, t_us, space, ev, strong, True, acc, True, bin_us)
    c_tag = tag[starts].astype(np.int32)
    row_tag = tag[~portal_row]
    learn_rate_pass(c_tag, w_t, row_tag, p_cycle, lam, bin_us)
    tag_params(c_tag, p_cycle, lam, acc, ln, wmin, wmax, bin_us, threshold, reads_per_thr, thr_max, space_gap_us,
               unit_gap_us, thr, s_gap, u_gap)  # fmt: skip
    rows, conf = accept_pass(c_tag, pl, w_ev, total, w_t, w_s, True, acc, cand, cand_ev, cand_t, cand_n, thr, 0.0,
                             True, s_gap, place_gap_us, True, min_cycles)  # fmt: skip
    return c_tag[rows], w_t[rows], pl[rows], conf


@njit(cache=True)
def unit_pass(tag, t_us, ant, cnt, rssi, ant_storage, unit_space, space_acc, unit_weight, power_lut, acc, cand,
              cand_ev, cand_t, cand_n, prior_unit, step, first_step, rival_step, threshold, u_gap, bin_us):  # fmt: skip
    """The unit half of Locator.process in one call: the rows that vote for a unit (unit_rows_pass), cycles won by
    the loudest antenna (incumbent: the accepted unit), each won cycle one `step` (a tag with no unit nor home yet:
    `first_step`; a unit other than its home: `rival_step`) and rivals' share in steps, run acceptance. Returns the
    changes (tag, t_us, unit, confidence)."""
    um, unit, uev = unit_rows_pass(tag, ant, cnt, rssi, ant_storage, unit_space, space_acc, unit_weight, power_lut)
    no_strong = np.zeros(1, np.bool_)
    starts, pl, w_ev, total, w_t, w_s = cycles_pass(tag[um], t_us[um], unit, uev, no_strong, False, acc, True, bin_us)
    c_tag = tag[um][starts].astype(np.int32)
    k = len(starts)
    ev = np.empty(k)
    for i in range(k):
        total[i] = total[i] / max(w_ev[i], 1e-300) * step  # rivals' share, in steps
        ev[i] = step
        tg = c_tag[i]
        if first_step != step and acc[tg] < 0 and prior_unit[tg] < 0:
            ev[i] = first_step
        if rival_step != step and prior_unit[tg] >= 0 and pl[i] != prior_unit[tg]:
            ev[i] = rival_step
    no_place_gap = np.zeros(1, np.int64)
    rows, conf = accept_pass(c_tag, pl, ev, total, w_t, no_strong, False, acc, cand, cand_ev, cand_t, cand_n, np.zeros(1),
                             threshold, False, u_gap, no_place_gap, False, 1)  # fmt: skip
    return c_tag[rows], w_t[rows], pl[rows], conf

