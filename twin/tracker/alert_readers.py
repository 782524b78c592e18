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
        # (reader << 32 | tag id) pairs reported of late, sorted, with their reports and the reader's last report then
        self.pair_key = np.zeros(0, np.int64)
        self.pair_n = np.zeros(0, np.int64)
        self.pair_last = np.zeros(0, np.int64)
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
        seen = rmax >= 0
        for r in np.flatnonzero(seen & (self.down_since >= 0)).tolist():
            self.down_since[r] = -1
            self.back_us[r] = int(rmax[r])
            back.append((r, int(rmax[r])))
        np.maximum(self.last_us, rmax, out=self.last_us)
        lo = self.last_us - self.recent_us  # per reader; only those reporting now are counted and pruned
        # (reader, tag) pairs reported in each reader's recent window, merged into the running counts in one go
        k = (reader.astype(np.int64) << 32) | tag.astype(np.int64)
        keys, n = np.unique(k[t >= lo[reader]], return_counts=True)
        stamp = self.last_us[keys >> 32]
        at = np.searchsorted(self.pair_key, keys)
        hit = at < len(self.pair_key)
        hit[hit] = self.pair_key[at[hit]] == keys[hit]
        self.pair_n[at[hit]] += n[hit]
        self.pair_last[at[hit]] = stamp[hit]
        pk = np.concatenate([self.pair_key, keys[~hit]])
        order = np.argsort(pk, kind="stable")
        pk = pk[order]
        pn = np.concatenate([self.pair_n, n[~hit]])[order]
        pl = np.concatenate([self.pair_last, stamp[~hit]])[order]
        pr = pk >> 32
        keep = ~seen[pr] | (pl >= lo[pr])
        self.pair_key, self.pair_n, self.pair_last = pk[keep], pn[keep], pl[keep]
        return back

    def check(self, now_us: int, moved_after) -> list[tuple[int, int]]:
        """Readers newly found offline as (reader, t_us of detection); moved_after(tag id, t_us) -> bool."""
        out = []
        silent = np.flatnonzero(self.steady & (self.last_us >= 0) & (self.down_since < 0) & (now_us - self.last_us > self.thr_us))
        for r in silent.tolist():
            t0 = int(self.last_us[r])
            mine = (self.pair_key >> 32 == r) & (self.pair_n >= 2)  # reported steadily (twice) of late
            recent = (self.pair_key[mine] & 0xFFFFFFFF).tolist()
            still = sum(1 for g in recent if not moved_after(g, t0))
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
