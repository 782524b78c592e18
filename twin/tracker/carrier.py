"""The carrier's antenna sequence: a dossier carried through a portal crosses with the badge of whoever carries it.

A storage room's portal hears a carried dossier a few times among the shelf tags in its field, so the dossier's own
antenna sequence (`Passages.seq`) is noisy; the carrier's badge, worn on the body, crosses the same door at the same
moment and is heard by both sides on its own. Its sequence is a second, independent reading of the same walk: for
each portal row of a tag that is not a badge, `carrier_seq` is the sequence of the badge burst at the same door that
started nearest to the row's burst (within a window), as heard up to the row's time (never later: an estimate is
stamped with the read that decided it).
"""

from __future__ import annotations

import numpy as np

from .kernels_portal import carrier_pass


def carrier_seq(door: np.ndarray, start: np.ndarray, t_us: np.ndarray, is_badge: np.ndarray, seq: np.ndarray,
                rows: np.ndarray, window_us: int, span_us: int) -> np.ndarray:
    """Per row of `rows` (indices into the portal rows): the carrier badge's antenna sequence, NaN when none.

    door, start, t_us, seq: per portal row (its door, its burst's start, its time, its sequence so far; NaN while one
    side is unheard); is_badge: the row's tag is a badge. A badge row qualifies for row i when it is at i's door, its
    burst started within window_us of i's burst and it is no later than i (and at most span_us before it); of those,
    the badge burst that started nearest to i's wins, its latest row gives the sequence.
    """
    out = np.full(len(rows), np.nan)
    b = np.flatnonzero(is_badge & ~np.isnan(seq))
    if len(b) == 0 or len(rows) == 0:
        return out
    o = np.lexsort((t_us[b], door[b]))
    b = b[o]
    return carrier_pass(door, start, t_us, np.asarray(rows, np.int64), door[b], t_us[b], start[b], seq[b],
                        int(window_us), int(span_us))  # fmt: skip
