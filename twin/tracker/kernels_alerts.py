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


__all__ = ["fixed_rows"]
