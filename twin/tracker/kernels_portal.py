"""Compiled per-row walks of the portal steps: the carrier badge's sequence (twin.tracker.carrier) and the passage
direction (twin.tracker.portal.direction).

Both were per-row Python loops; here each is one compiled walk doing the same comparisons and the same float
operations in the same order, so their output does not move. tests/tracker/test_portal_kernels.py checks each
against the plain form it replaced.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def carrier_pass(door, start, t_us, rows, bd, bt, bs, bq, window_us, span_us):
    """Per row of `rows`: the sequence bq of the badge row (bd, bt, bs sorted by door, then time) at the row's door,
    no later than the row and at most span_us before it, whose burst start bs is nearest the row's (within
    window_us; of one burst its latest row); NaN when none."""
    out = np.full(len(rows), np.nan)
    for k in range(len(rows)):
        i = rows[k]
        d, t, s = door[i], t_us[i], start[i]
        lo = np.searchsorted(bd, d)  # the door's badge rows: [lo, up)
        up = np.searchsorted(bd, d, side="right")
        if lo == up:
            continue
        j = lo + np.searchsorted(bt[lo:up], t, side="right") - 1  # the door's last badge row no later than t
        best, gap = -1, window_us + 1
        while j >= lo and t - bt[j] <= span_us:
            g = abs(bs[j] - s)
            if g < gap:
                best, gap = j, g
            j -= 1
        if best >= 0:
            out[k] = bq[best]
    return out


@njit(cache=True)
def direction_pass(tag, t_us, door, start, own, beyond, here, peak, bd, sq, cq, has_cq, carrier_w, hops, max_hops,
                   w_walk, w_badge, clear_s, peak_s, conf_s, w_origin, w_dest, w_t, w_door, w_start, w_src, w_badge_,
                   passby_us, conf_out, has_conf, bm, w_beam):  # fmt: skip
    """`portal.direction`'s walk over the rows (sorted by tag, time), updating the walk state w_* in place; returns
    (dest, by_path). bd: per row, the badge's destination (-1: none); cq: the carrier's sequence (used if has_cq);
    bm: per row, the door's light-barrier crossing (+1: toward the side with the higher space index, -1: the lower,
    0: none), weighing w_beam."""
    n = len(tag)
    dest = np.full(n, -1, np.int32)
    by_path = np.zeros(n, np.bool_)
    for i in range(n):
        g, a, b = tag[i], own[i], beyond[i]
        if not (w_door[g] == door[i] and w_start[g] == start[i]):
            recent = start[i] - w_t[g] <= passby_us
            to = np.int64(w_dest[g]) if recent else np.int64(here[i])
            frm = np.int64(w_origin[g]) if recent else np.int64(-1)
            if to < 0:
                to = here[i]
            src = -1
            if to == a or to == b:
                src = to
            elif frm == a or frm == b:
                src = frm
            else:
                via = to
                if frm >= 0 and min(hops[frm, a], hops[frm, b]) < min(hops[to, a], hops[to, b]):
                    via = frm
                far = max_hops if via == here[i] else 1 << 20
                if via >= 0 and min(hops[via, a], hops[via, b]) <= far and hops[via, a] != hops[via, b]:
                    src = a if hops[via, a] < hops[via, b] else b
            w_door[g], w_start[g], w_src[g], w_badge_[g] = door[i], start[i], src, bd[i]
        src, bdi = np.int64(w_src[g]), np.int64(w_badge_[g])
        if bd[i] >= 0:
            w_badge_[g] = bd[i]
            bdi = bd[i]
        d = sq[i]
        if has_cq and cq[i] == cq[i]:
            d = cq[i] if d != d else (d + carrier_w * cq[i]) / (1.0 + carrier_w)
        d = 0.0 if d != d else (d if a < b else -d)
        score = d
        bmi = 0.0 if bm[i] == 0 else (w_beam * bm[i] if a < b else -w_beam * bm[i])
        score += bmi
        score += w_walk if src == a else -w_walk if src == b else 0.0
        score += w_badge if bdi == b else -w_badge if bdi == a else 0.0
        if score == 0.0:
            score = -peak_s if peak[i] else 0.0
        if score == 0.0:
            continue
        to_b = score > 0
        dest[i] = b if to_b else a
        by_path[i] = (abs(d) >= clear_s or (src >= 0 and (src == a) == to_b) or (bdi >= 0 and (bdi == b) == to_b)
                      or bmi != 0.0)
        if has_conf:
            conf_out[i] = 1.0 / (1.0 + math.exp(-abs(score) / conf_s))
        w_origin[g] = a if to_b else b
        w_dest[g] = dest[i]
        w_t[g] = max(w_t[g], t_us[i])
    return dest, by_path


@njit(cache=True)
def portal_rows(pm, tag, t_us, ant, rssi, cnt, ant_door, ant_space, ant_other, badge, has_badge):
    """The portal rows (pm) of a batch gathered in one pass: (row index, tag, t_us, door, side 1 / 2 (1: the
    antenna's space has the lower index), rssi, count, the tag is a badge (all False without has_badge))."""
    k = 0
    for i in range(len(pm)):
        k += pm[i]
    idx = np.empty(k, np.int64)
    p_tag = np.empty(k, tag.dtype)
    p_t = np.empty(k, t_us.dtype)
    p_door = np.empty(k, ant_door.dtype)
    p_side = np.empty(k, np.int64)
    p_rssi = np.empty(k, rssi.dtype)
    p_cnt = np.empty(k, cnt.dtype)
    p_badge = np.zeros(k, np.bool_)
    j = 0
    for i in range(len(pm)):
        if pm[i]:
            a = ant[i]
            idx[j], p_tag[j], p_t[j], p_door[j] = i, tag[i], t_us[i], ant_door[a]
            p_side[j] = 1 if ant_space[a] < ant_other[a] else 2
            p_rssi[j], p_cnt[j] = rssi[i], cnt[i]
            if has_badge:
                p_badge[j] = badge[tag[i]]
            j += 1
    return idx, p_tag, p_t, p_door, p_side, p_rssi, p_cnt, p_badge


@njit(cache=True)
def latest_pass(tag, out, factor):
    """`portal.latest_wins` in place on out (rows sorted by tag, time): each row at least factor x the sum of its
    tag's earlier rows as raised."""
    acc = 0.0
    for i in range(len(out)):
        if i == 0 or tag[i] != tag[i - 1]:
            acc = 0.0
        out[i] = max(out[i], factor * acc)
        acc += out[i]
    return out


@njit(cache=True)
def seen_side_pass(tag, door, t_us, young, to, own, reach, moving_us):
    """Per portal row (sorted by tag, time): the tag's latest passage row of the batch at another door, at most
    moving_us before, had no beam direction (crossings both ways: its antennas judged it), and a passage row of that
    burst was heard on a side open to this row's side (`Beams.reach`): the tag may have just been carried along that
    side (`beam_passages.beam_rows`, `beam_follow_seen`; a directed one moved the batch place already)."""
    n = len(tag)
    out = np.zeros(n, np.bool_)
    for i in range(n):
        j = i - 1
        while j >= 0 and tag[j] == tag[i] and not (young[j] and door[j] != door[i]):
            j -= 1
        if j < 0 or tag[j] != tag[i] or t_us[i] - t_us[j] > moving_us or to[j] != 0:
            continue
        d = door[j]
        while j >= 0 and tag[j] == tag[i] and door[j] == d:
            if young[j] and to[j] == 0 and reach[own[j], own[i]]:
                out[i] = True
                break
            j -= 1
    return out


@njit(cache=True)
def crossed_between(door, t0, t1, c_door, c_t):
    """Per row: how many crossings of its door (c_door, c_t sorted by door, then time) lie in (t0, t1)."""
    n = len(door)
    out = np.zeros(n, np.int64)
    for i in range(n):
        lo = np.searchsorted(c_door, door[i])
        up = np.searchsorted(c_door, door[i], side="right")
        if lo == up or t1[i] <= t0[i]:
            continue
        a = lo + np.searchsorted(c_t[lo:up], t0[i], side="right")
        b = lo + np.searchsorted(c_t[lo:up], t1[i])
        out[i] = max(b - a, 0)
    return out
