"""Compiled per-row passes of the smoother (twin.tracker.smooth): cycle arbitration and run acceptance, and the
locator's space and unit halves built on them (read rates, thresholds and windows, unit votes and steps). They live
in one module because numba's cache follows a function's own file only: a pass calling a changed one elsewhere
would keep its stale compiled copy.

Rows come sorted by (tag, time), so each is one walk over the rows with a few running numbers per tag instead of
a dozen whole-batch numpy passes. They keep the array forms' arithmetic to the last bit (the outputs must not move
by a float ulp): a group's evidence is summed the way numpy's `add.reduceat` sums it (first value, then numpy's
pairwise sum of the rest), and a run's evidence is a difference of batch-wide running sums, as `cumsum` gave it.
The plain array forms live on in tests/tracker/test_smooth_pass.py and test_locate_pass.py, which check these
passes against them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_PW_BLOCK = 128  # numpy's PW_BLOCKSIZE (pairwise summation)


@njit(cache=True)
def _pairwise(a, lo, n):
    """numpy's pairwise sum of a[lo:lo+n] (npy_pairwise_sum: < 8 in a row, <= 128 in 8 lanes, else halves)."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    if n <= _PW_BLOCK:
        r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
        r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
        i = 8
        m = n - n % 8
        while i < m:
            r0 += a[lo + i]
            r1 += a[lo + i + 1]
            r2 += a[lo + i + 2]
            r3 += a[lo + i + 3]
            r4 += a[lo + i + 4]
            r5 += a[lo + i + 5]
            r6 += a[lo + i + 6]
            r7 += a[lo + i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[lo + i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise(a, lo, n2) + _pairwise(a, lo + n2, n - n2)


@njit(cache=True)
def reduce_sum(a, lo, hi):
    """np.add.reduceat's value for the segment a[lo:hi] (hi > lo): a[lo] plus the pairwise sum of the rest."""
    if hi - lo <= 8:  # the common case: numpy adds the rest in a row, then the first value to that
        res = 0.0
        for i in range(lo + 1, hi):
            res += a[i]
        return a[lo] + res
    return a[lo] + _pairwise(a, lo + 1, hi - lo - 1)


@njit(cache=True)
def cycles_pass(tag, t_us, place, ev, strong, has_strong, incumbent, has_inc, bin_us):
    """Per (tag, bin) group of rows sorted by (tag, time): the winning place (most evidence; ties: the incumbent,
    then the higher place index), its evidence, all evidence, its last read time and whether it holds a strong row.
    Returns (group start rows, place, ev, total, t_us, strong), one entry per group."""
    n = len(tag)
    starts = np.empty(n, np.int64)
    g = 0
    lo = hi = 0  # the current group's bin [lo, hi): a row in it has the same t_us // bin_us
    for i in range(n):
        if i == 0 or tag[i] != tag[i - 1] or t_us[i] < lo or t_us[i] >= hi:
            starts[g] = i
            g += 1
            lo = (t_us[i] // bin_us) * bin_us
            hi = lo + bin_us
    starts = starts[:g]
    w_pl = np.empty(g, np.int32)
    w_ev = np.empty(g)
    total = np.empty(g)
    w_t = np.empty(g, np.int64)
    w_s = np.zeros(g, np.bool_)
    buf = np.empty(n)
    for k in range(g):
        s = starts[k]
        e = starts[k + 1] if k + 1 < g else n
        if e - s == 1:  # most groups: one row (reduceat copies it)
            w_pl[k], w_ev[k], total[k], w_t[k] = place[s], ev[s], ev[s], t_us[s]
            w_s[k] = strong[s] if has_strong else False
            continue
        total[k] = reduce_sum(ev, s, e)
        mixed = False
        for i in range(s + 1, e):
            if place[i] != place[s]:
                mixed = True
                break
        if not mixed:
            w_pl[k], w_ev[k] = place[s], total[k]
            tm, sm = t_us[s], strong[s] if has_strong else False
            for i in range(s + 1, e):
                tm = max(tm, t_us[i])
                if has_strong and strong[i]:
                    sm = True
            w_t[k], w_s[k] = tm, sm
            continue
        inc = incumbent[tag[s]] if has_inc else -1
        best_p, best_ev, best_inc, best_t, best_s = -1, 0.0, False, 0, False
        for i in range(s, e):  # each place once, at its first row; its rows gathered in time order
            p = place[i]
            seen = False
            for j in range(s, i):
                if place[j] == p:
                    seen = True
                    break
            if seen:
                continue
            m = 0
            tm, sm = t_us[i], False
            for j in range(i, e):
                if place[j] == p:
                    buf[m] = ev[j]
                    m += 1
                    tm = max(tm, t_us[j])
                    if has_strong and strong[j]:
                        sm = True
            sp = reduce_sum(buf, 0, m)
            is_inc = p == inc
            better = best_p < 0 or sp > best_ev or (sp == best_ev and (
                (is_inc and not best_inc) or (is_inc == best_inc and p > best_p)))
            if better:
                best_p, best_ev, best_inc, best_t, best_s = p, sp, is_inc, tm, sm
        w_pl[k], w_ev[k], w_t[k], w_s[k] = best_p, best_ev, best_t, best_s
    return starts, w_pl, w_ev, total, w_t, w_s


@njit(cache=True)
def accept_pass(tag, pl, ev, total, t, strong, has_strong, accepted, cand, cand_ev, cand_t, cand_n,
                thr_tag, thr, per_tag_thr, gap_us, place_gap_us, has_place_gap, min_cycles):  # fmt: skip
    """Run acceptance over cycles sorted by (tag, time) (see smooth.accept); updates the run state in place and
    returns (rows of changes, their confidence)."""
    n = len(tag)
    rows = np.empty(n, np.int64)
    conf = np.empty(n, np.float32)
    k = 0
    cs = 0.0  # running sums over the batch, as np.cumsum
    tcs = 0.0
    base = tbase = carry = 0.0
    nbase = 0
    idx = 0
    run_strong = False
    prev_acc = -1
    for i in range(n):
        tg = tag[i]
        first = i == 0 or tag[i - 1] != tg
        if first:
            prev_t, prev_p = cand_t[tg], cand[tg]
            prev_acc = accepted[tg]
        else:
            prev_t, prev_p = t[i - 1], pl[i - 1]
        gap = gap_us[tg]
        if has_place_gap:
            gap = max(gap, place_gap_us[pl[i]])
        cont = pl[i] == prev_p and t[i] - prev_t <= gap
        cs += ev[i]
        tcs += total[i]
        if first or not cont:  # a run starts here
            idx = i
            base, tbase = cs - ev[i], tcs - total[i]
            carry = cand_ev[tg] if first and cont else 0.0
            nbase = cand_n[tg] if first and cont else 0
            run_strong = False
        if has_strong and strong[i]:
            run_strong = True
        own = cs - base
        cum = own + carry
        other = (tcs - tbase) - own
        n_run = i - idx + 1 + nbase
        th = thr_tag[tg] if per_tag_thr else thr
        if cum >= th - 1e-9 and (n_run >= min_cycles or run_strong):
            if pl[i] != prev_acc:
                rows[k] = i
                conf[k] = np.float32(cum / max(cum + other, 1e-9))
                k += 1
            prev_acc = pl[i]
        if i == n - 1 or tag[i + 1] != tg:  # carry-over
            cand[tg], cand_ev[tg], cand_t[tg], cand_n[tg] = pl[i], cum, t[i], n_run
            accepted[tg] = prev_acc
    return rows[:k], conf[:k]


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
        j = min(max(np.int64(rssi[i]) + 32768, 0), len(power_lut) - 1)  # int16 dBm (ingest keeps -127..20)
        uev[r] = unit_weight[ant[i]] * np.float64(cnt[i]) * power_lut[j]
    return rows, unit, uev


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
    rows, conf = accept_pass(c_tag, pl, ev, total, w_t, no_strong, False, acc, cand, cand_ev, cand_t, cand_n,
                             np.zeros(1), threshold, False, u_gap, no_place_gap, False, 1)  # fmt: skip
    return c_tag[rows], w_t[rows], pl[rows], conf
