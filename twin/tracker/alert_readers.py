"""Reader outages inferred from silence: a reader that stops reporting while tags it was reading have not moved.

A fixed reader (other than a portal's, which reports only while someone passes) reports each tag in its field once per report period (site.json `report_period_ms`); a reader with no
tag in its field says nothing, so silence alone proves nothing. A reader is taken as offline when it has been silent
for `offline_periods` report periods (at least `offline_min_s`) and at least `offline_min_tags` of the tags it reported at least twice
in its last `recent_s` (at least three report periods) of activity still stand where they were then (no estimate change since). It is back when it
reports again. Tags whose last reader is down, or came back less than `missing_s` ago, are not called missing.
"""

from __future__ import annotations

import numpy as np


class ReaderWatch:
    def __init__(self, readers: list[str], period_us: list[int], space: list[str], cfg, steady: list[bool]) -> None:
        self.readers, self.space, self.cfg = readers, space, cfg
        self.steady = np.array(steady, bool)  # readers expected to report tags resting in their field
        n = len(readers)
        self.recent_us = np.array([max(cfg.recent_s * 1e6, 3 * p) for p in period_us], np.int64)
        self.thr_us = np.array([max(cfg.offline_periods * p, cfg.offline_min_s * 1e6) for p in period_us], np.int64)
        self.last_us = np.full(n, -1, np.int64)  # last report per reader
        self.back_us = np.full(n, -(1 << 62), np.int64)  # when it came back after an outage
        self.down_since = np.full(n, -1, np.int64)  # outage detected at (-1: up)
        self.recent: list[set[int]] = [set() for _ in range(n)]  # tag ids it reported steadily of late
        self.seen_by: list[dict[int, tuple[int, int]]] = [{} for _ in range(n)]  # tag -> (reports, last batch)
        self.last_seen = np.zeros(0, np.int64)  # per tag id
        self.last_reader = np.zeros(0, np.int32)

    def grow(self, n_tags: int) -> None:
        k = n_tags - len(self.last_seen)
        if k > 0:
            self.last_seen = np.concatenate([self.last_seen, np.zeros(k, np.int64)])
            self.last_reader = np.concatenate([self.last_reader, np.full(k, -1, np.int32)])

    def observe(self, t: np.ndarray, tag: np.ndarray, reader: np.ndarray) -> list[tuple[int, int]]:
        """Rows sorted by (tag, time) from fixed readers; the readers back online as (reader, t_us)."""
        back = []
        if len(t) == 0:
            return back
        last = np.flatnonzero(np.r_[tag[1:] != tag[:-1], True])
        newer = t[last] >= self.last_seen[tag[last]]
        self.last_seen[tag[last[newer]]] = t[last[newer]]
        self.last_reader[tag[last[newer]]] = reader[last[newer]]
        rmax = np.full(len(self.readers), -1, np.int64)
        np.maximum.at(rmax, reader, t)
        for r in np.flatnonzero(rmax >= 0).tolist():
            if self.down_since[r] >= 0:
                self.down_since[r] = -1
                self.back_us[r] = int(rmax[r])
                back.append((r, int(rmax[r])))
            self.last_us[r] = max(self.last_us[r], rmax[r])
            lo = int(self.last_us[r] - self.recent_us[r])
            m = (reader == r) & (t >= lo)
            g, n = np.unique(tag[m], return_counts=True)
            last = self.seen_by[r]
            for gi, ni in zip(g.tolist(), n.tolist()):
                c, _ = last.get(gi, (0, 0))
                last[gi] = (c + ni, int(self.last_us[r]))
            self.seen_by[r] = {gi: v for gi, v in last.items() if v[1] >= lo}
            self.recent[r] = {gi for gi, (c, _) in self.seen_by[r].items() if c >= 2}  # reported at least twice
        return back

    def check(self, now_us: int, moved_after) -> list[tuple[int, int]]:
        """Readers newly found offline as (reader, t_us of detection); moved_after(tag id, t_us) -> bool."""
        out = []
        silent = np.flatnonzero(self.steady & (self.last_us >= 0) & (self.down_since < 0) & (now_us - self.last_us > self.thr_us))
        for r in silent.tolist():
            t0 = int(self.last_us[r])
            still = sum(1 for g in self.recent[r] if not moved_after(g, t0))
            if still >= self.cfg.offline_min_tags:
                self.down_since[r] = t0 + int(self.thr_us[r])
                out.append((r, int(self.down_since[r])))
        return out

    def unseen(self, now_us: int, missing_us: int, tags: np.ndarray) -> np.ndarray:
        """Of these tag ids, those seen once and unseen for missing_us while their last reader was up."""
        if len(tags) == 0:
            return tags
        seen = self.last_seen[tags]
        r = self.last_reader[tags]
        ok = (seen > 0) & (r >= 0)
        rr = np.where(r >= 0, r, 0)
        since = np.maximum(seen, self.back_us[rr])
        up = self.down_since[rr] < 0
        return tags[ok & up & (now_us - since > missing_us)]
