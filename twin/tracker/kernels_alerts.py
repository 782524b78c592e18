"""Compiled row passes of the alert side (twin.tracker.workspace): one walk over an advance's rows instead of several
numpy passes. Plain forms kept in tests/tracker/test_kernels_alerts.py."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def fixed_rows(tag, t, ant, ant_reader, ant_hand):
    """(reader of each row, rows from handheld antennas, whether the rows are sorted by (tag, time))."""
    n = len(ant)
    reader = np.empty(n, ant_reader.dtype)
    n_hand = 0
    ordered = True
    for i in range(n):
        a = ant[i]
        reader[i] = ant_reader[a]
        if ant_hand[a]:
            n_hand += 1
        if i > 0 and (tag[i] < tag[i - 1] or (tag[i] == tag[i - 1] and t[i] < t[i - 1])):
            ordered = False
    return reader, n_hand, ordered


@njit(cache=True)
def missing_candidates(miss_ok, last_else, last_store, last_door, last_door_us, last_any, door_store, run_start,
                       run_last, now_us, quiet_us, steady_us):  # fmt: skip
    """Tag ids the unseen-missing rule may judge (miss_ok) last heard out of storage (a desk or room antenna after
    the storage rooms' last report), not carried through a storage room's door since (ReadEvidence.into_storage),
    at the end of a run of reports at least steady_us long. door_store[-1] is the "no door" entry."""
    out = np.empty(len(miss_ok), np.int64)
    k = 0
    for g in range(len(miss_ok)):
        if not miss_ok[g] or last_else[g] <= last_store[g]:
            continue
        t = last_door_us[g]
        if door_store[last_door[g]] and t > last_else[g] and t >= last_any[g] and now_us - t > quiet_us:
            continue
        if run_last[g] - run_start[g] >= steady_us:
            out[k] = g
            k += 1
    return out[:k]


@njit(cache=True)
def taken_out(home_tag, away_tag, last_store, last_else, now_us, quiet_us):
    """Tag ids with a home, not yet away, heard by a desk or room antenna elsewhere after the storage rooms last
    reported them, quiet_us or more ago (PlaceRules._taken_out)."""
    out = np.empty(len(home_tag), np.int64)
    k = 0
    for g in range(len(home_tag)):
        if (home_tag[g] and not away_tag[g] and last_store[g] >= 0 and last_else[g] > last_store[g]
                and now_us - last_store[g] > quiet_us):  # fmt: skip
            out[k] = g
            k += 1
    return out[:k]




@njit(cache=True)
def links_due(ka_last, ka_timeout, ka_us, down_since, ka_checked, now_us):
    """(readers, due times) of up links whose keepalive timeout passed before now_us; marks every reader with a
    status stream as checked up to now_us."""
    n = len(ka_last)
    rs = np.empty(n, np.int64)
    ts = np.empty(n, np.int64)
    m = 0
    for r in range(n):
        if ka_last[r] >= 0:
            due = ka_last[r] + np.int64(ka_timeout * ka_us[r])
            if down_since[r] < 0 and due < now_us:
                rs[m], ts[m] = r, due
                m += 1
            ka_checked[r] = now_us
    return rs[:m], ts[:m]


@njit(cache=True)
def silent_down(steady, last_us, down_since, thr_us, now_us, key, cnt, heard, since_tag, min_tags):
    """Steady readers up and silent past their threshold at now_us of which at least min_tags running pairs
    reported twice have a tag whose estimate did not change after the reader last heard it (per tag id the time of
    its last change in since_tag; a tag beyond it has none): the readers to take down, in order."""
    n = len(last_us)
    silent = np.zeros(n, np.bool_)
    k = 0
    for r in range(n):
        if steady[r] and last_us[r] >= 0 and down_since[r] < 0 and now_us - last_us[r] > thr_us[r]:
            silent[r] = True
            k += 1
    out = np.empty(k, np.int64)
    if k == 0:
        return out
    still = np.zeros(n, np.int64)
    for i in range(len(key)):
        r = key[i] & 0xFFFFFFFF
        if cnt[i] >= 2 and silent[r]:
            g = key[i] >> 32
            if not (g < len(since_tag) and since_tag[g] > heard[i]):
                still[r] += 1
    m = 0
    for r in range(n):
        if silent[r] and still[r] >= min_tags:
            out[m] = r
            m += 1
    return out[:m]



@njit(cache=True)
def shelf_judged(touched, dossier, home, away, opened):
    """Tag ids marked in `touched` (new shelf credits; the marks are cleared) that are dossiers without a home or
    taken out, or marked in `opened` (a misfiled alert open): those whose shelf verdict may change."""
    out = np.empty(len(touched), np.int64)
    m = 0
    for g in range(len(touched)):
        if touched[g]:
            touched[g] = False
            if ((g < len(dossier) and dossier[g] and (not home[g] or away[g]))
                    or (g < len(opened) and opened[g])):  # fmt: skip
                out[m] = g
                m += 1
    return out[:m]

__all__ = ["fixed_rows", "links_due", "missing_candidates", "shelf_judged", "silent_down", "taken_out"]
