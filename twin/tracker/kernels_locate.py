"""Compiled per-row passes of the locator (twin.tracker.locate) and of its self-calibration (twin.tracker.calib).

Rows come sorted by (tag, time) from ingest's pop, so each pass is one walk over the rows with per-tag state in
arrays: the rows that can place a tag, their evidence, the sealed-space rule and the calibration counts (the space
and unit halves are in twin.tracker.kernels_smooth). Each keeps the arithmetic of the array form it replaced,
operation for operation, so the locator's output does not move; tests/tracker/test_locate_pass.py checks every pass
against that plain form.
"""

from __future__ import annotations

import numpy as np
from numba import njit



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
              open_us, both_sides, factor, batch_place=False, door_spaces=None, beam_to=None,
              beam_factor=-1.0):  # fmt: skip
    """Sealed spaces (see Locator.process): a placed tag's evidence for another place times `factor` unless a burst at
    a door of the sealed space it leaves (and of the sealed space it enters, when its place came from reads) began
    within open_us before. Returns ev itself when no row is blocked, else a changed copy.

    batch_place: the tag's place is the destination of its latest passage row (strong) earlier in the batch, else its
    accepted place (a passage in the batch also makes the place one read from reads). beam_to (per tag and door, with
    door_spaces): the direction the door's light barriers gave the tag's burst there (+1: toward the door's space with
    the higher index, -1: the lower, 0: none or both ways); a burst the beams took into the space opens it for no
    leaving, one they took out of the space opens it for no entering; a row blocked so (the beams closed the way)
    counts beam_factor of itself when that is >= 0, else factor."""
    out = ev
    copied = False
    hr = -1
    prior = False
    for i in range(len(tag)):
        tg, sp = tag[i], space[i]
        if i == 0 or tag[i - 1] != tg:
            hr, prior = accepted[tg], by_prior[tg]
        if batch_place and strong[i]:
            hr, prior = sp, False
            continue
        if sp == hr or hr < 0 or strong[i] or not (sealed[hr] or sealed[sp]):
            continue
        blocked = False
        shut = False
        for side in range(2):  # leave the space it is in; enter the one the evidence names
            pl = hr if side == 0 else sp
            if not sealed[pl] or (side == 1 and prior):
                continue
            recent = False
            for j in range(space_doors.shape[1]):
                d = space_doors[pl, j]
                if d < 0:
                    continue
                st = p_start[tg, d]
                if st <= t_us[i] and t_us[i] - st <= open_us and (not both_sides or p_sides[tg, d] == 3):
                    if beam_to is not None:
                        bt = beam_to[tg, d]
                        hi = max(door_spaces[d, 0], door_spaces[d, 1])
                        into = (bt > 0) == (pl == hi)  # the beams took it into pl (when bt != 0)
                        if bt != 0 and into == (side == 0):
                            shut = True
                            continue  # taken into the space it is in / out of the one named: no way through
                    recent = True
                    break
            if not recent:
                blocked = True
        if blocked:
            if not copied:
                out = ev.copy()
                copied = True
            out[i] *= beam_factor if (shut and beam_factor >= 0.0) else factor
    return out


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
