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


__all__ = ["fixed_rows", "missing_candidates", "taken_out"]
