"""Holder inference: a dossier or item that changes space together with an officer's badge is carried by that officer.

Works on the estimate changes of one advance (Python per change, never per read): a dossier's change into a space is
matched to a badge's change into the same space within `holder_window_s`; the holder is the officer named for that
badge by business events, else the badge's EPC URI. Put into a storage unit, the dossier has no holder any more.
"""

from __future__ import annotations

import bisect

import numpy as np

from .epcs import KIND_BADGE, KIND_DOSSIER, KIND_ITEM


class Holders:
    def __init__(self, window_s: float):
        self.window_us = int(window_s * 1e6)
        self.of: dict[int, str] = {}  # tag id -> holder in force
        self.seen: set[int] = set()  # tags with an estimate already (a first sighting is no move)

    def infer(self, t: np.ndarray, tag: np.ndarray, space: np.ndarray, unit: np.ndarray, kind: np.ndarray,
              badge_name) -> list[str]:  # fmt: skip
        """Holder per change row; badge_name(tag id) -> officer id or URI."""
        n = len(t)
        if n == 0:
            return []
        # plain lists once: the loops below look at single rows (a numpy scalar per look costs more than the look)
        tl, gl, sl, ul = t.tolist(), tag.tolist(), space.tolist(), unit.tolist()
        kl = kind[tag].tolist()
        seen = self.seen
        first = [False] * n
        for i, tg in enumerate(gl):
            if tg not in seen:
                first[i] = True
                seen.add(tg)
        by_space: dict[int, tuple[list[int], list[int]]] = {}
        for i in range(n):  # rows are in time order
            if kl[i] == KIND_BADGE and not first[i]:
                ts, tags = by_space.setdefault(sl[i], ([], []))
                ts.append(tl[i])
                tags.append(gl[i])
        out = [""] * n
        win = self.window_us
        for i in range(n):
            if kl[i] != KIND_DOSSIER and kl[i] != KIND_ITEM:
                continue
            tg = gl[i]
            if ul[i] >= 0 or first[i]:
                self.of.pop(tg, None)
                continue
            ts, tags = by_space.get(sl[i], ([], []))
            ti = tl[i]
            j = bisect.bisect_left(ts, ti - win)
            best, best_dt, same = None, win + 1, False
            now = self.of.get(tg)
            while j < len(ts) and ts[j] <= ti + win:
                dt = abs(ts[j] - ti)
                # the badge that carried it here keeps it when it came along too (a passer-by's badge whose
                # estimate flickers between neighbouring rooms changes space every minute and may be closer in time)
                mine = now is not None and badge_name(tags[j]) == now
                if (mine and not same) or (mine == same and dt < best_dt):
                    best, best_dt, same = tags[j], dt, mine
                j += 1
            if best is not None:
                self.of[tg] = badge_name(best)
            out[i] = self.of.get(tg, "")
        return out
