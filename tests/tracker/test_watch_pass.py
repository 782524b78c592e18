"""`ReaderWatch.observe` / `step` against the plain array forms they replaced: same pairs, state and outages."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.alert_readers import LINK, SILENCE, ReaderWatch


class PlainWatch(ReaderWatch):
    """observe / check / step as they were (pairs keyed reader << 32 | tag)."""

    def observe(self, t: np.ndarray, tag: np.ndarray, reader: np.ndarray) -> list[tuple[int, int]]:
        """The array form `observe` had before its compiled pass, pairs keyed (reader << 32 | tag)."""
        if len(t) == 0:
            return []
        last = np.flatnonzero(np.r_[tag[1:] != tag[:-1], True])
        newer = t[last] >= self.last_seen[tag[last]]
        self.last_seen[tag[last[newer]]] = t[last[newer]]
        self.last_reader[tag[last[newer]]] = reader[last[newer]]
        rmax = np.full(len(self.readers), -1, np.int64)
        np.maximum.at(rmax, reader, t)
        seen = rmax >= 0
        back = self._reporting(rmax)
        lo = self.last_us - self.recent_us  # per reader; only those reporting now are counted and pruned
        # (reader, tag) pairs reported in each reader's recent window, merged into the running counts in one go
        k = (reader.astype(np.int64) << 32) | tag.astype(np.int64)
        kk = k[t >= lo[reader]]
        keys, n = np.unique(kk, return_counts=True)
        heard = np.full(len(keys), -1, np.int64)
        np.maximum.at(heard, np.searchsorted(keys, kk), t[t >= lo[reader]])
        stamp = self.last_us[keys >> 32]
        at = np.searchsorted(self.pair_key, keys)
        hit = at < len(self.pair_key)
        hit[hit] = self.pair_key[at[hit]] == keys[hit]
        self.pair_n[at[hit]] += n[hit]
        self.pair_last[at[hit]] = stamp[hit]
        self.pair_seen[at[hit]] = np.maximum(self.pair_seen[at[hit]], heard[hit])
        pk = np.concatenate([self.pair_key, keys[~hit]])
        order = np.argsort(pk, kind="stable")
        pk = pk[order]
        pn = np.concatenate([self.pair_n, n[~hit]])[order]
        pl = np.concatenate([self.pair_last, stamp[~hit]])[order]
        ps = np.concatenate([self.pair_seen, heard[~hit]])[order]
        pr = pk >> 32
        keep = ~seen[pr] | (pl >= lo[pr])
        self.pair_key, self.pair_n, self.pair_last, self.pair_seen = pk[keep], pn[keep], pl[keep], ps[keep]
        return back

    def check(self, now_us: int, moved_after) -> list[tuple[int, int]]:
        """Readers newly found offline as (reader, t_us of detection); moved_after(tag id, t_us) -> bool.
        (The raises of `step`; its recoveries are cleared by the next reports, as before the status stream.)"""
        return [(r, t) for t, r, up, _ in self.step(now_us, moved_after) if up]

    def step(self, now_us: int, moved_after) -> list[tuple[int, int, bool, str]]:
        """Reader outages raised and cleared up to now_us, in time order: (t_us, reader, raised, why)."""
        self._apply_status(now_us)
        for r in np.flatnonzero((self.ka_last >= 0) & (self.down_since < 0)).tolist():
            t = int(self.ka_last[r]) + int(self.ka_timeout * self.ka_us[r])
            if t < now_us:  # no keepalive for the timeout: the link is dead
                self._down(r, t, LINK, f"sent no KEEPALIVE for {self.ka_timeout * self.ka_us[r] / 1e6:.0f} s")
        self.ka_checked[self.ka_last >= 0] = now_us
        silent = np.flatnonzero(self.steady & (self.last_us >= 0) & (self.down_since < 0)
                                & (now_us - self.last_us > self.thr_us))
        for r in silent.tolist():
            t0 = int(self.last_us[r])
            mine = (self.pair_key >> 32 == r) & (self.pair_n >= 2)  # reported steadily (twice) of late
            recent = zip((self.pair_key[mine] & 0xFFFFFFFF).tolist(), self.pair_seen[mine].tolist())
            still = sum(1 for g, tg in recent if not moved_after(g, tg))
            if still >= self.cfg.offline_min_tags:
                self._down(r, t0 + int(self.thr_us[r]), SILENCE, "silent")
        out, self._pending = sorted(self._pending), []
        return out


CFG = SimpleNamespace(recent_s=3.0, offline_periods=3, offline_min_s=2.0, offline_min_tags=2)


def pairs(w: ReaderWatch, reader_first: bool) -> set[tuple[int, int, int, int]]:
    """(reader, tag, reports, stamp, the tag's last report) of each running pair, whatever the key's layout."""
    hi, lo = (w.pair_key >> 32).tolist(), (w.pair_key & 0xFFFFFFFF).tolist()
    r, g = (hi, lo) if reader_first else (lo, hi)
    return set(zip(r, g, w.pair_n.tolist(), w.pair_last.tolist(), w.pair_seen.tolist()))


@settings(max_examples=100, deadline=None)
@given(st.data(), st.integers(1, 4), st.integers(1, 5))
def test_watch_pass_matches_plain_rule(data, n_readers, n_tags):
    args = ([f"r{i}" for i in range(n_readers)], [1_000_000] * n_readers, ["s"] * n_readers, CFG, [True] * n_readers)
    a, b = ReaderWatch(*args), PlainWatch(*args)
    a.down_since[0] = b.down_since[0] = 1_700_000_000_500_000  # one reader down: its return is reported
    a.down_by[0] = b.down_by[0] = LINK
    t0 = 1_700_000_000_000_000
    for _ in range(data.draw(st.integers(1, 4))):
        n = data.draw(st.integers(0, 30))
        tag = np.sort(np.array(data.draw(st.lists(st.integers(0, n_tags - 1), min_size=n, max_size=n)), np.int32))
        gaps = data.draw(st.lists(st.sampled_from([0, 300_000, 1_000_000, 5_000_000]), min_size=n, max_size=n))
        t = t0 + np.cumsum(np.array(gaps, np.int64))
        t0 = int(t[-1]) if n else t0
        t = np.concatenate([np.sort(t[tag == g]) for g in range(n_tags)]) if n else t
        reader = np.array(data.draw(st.lists(st.integers(0, n_readers - 1), min_size=n, max_size=n)), np.int32)
        for w in (a, b):
            w.grow(n_tags)
        assert a.observe(t, tag, reader) == b.observe(t, tag, reader)
        assert pairs(a, False) == pairs(b, True)
        for name in ("last_seen", "last_reader", "last_us", "back_us", "down_since"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.step(t0 + 10_000_000, lambda g, t: g % 2 == 1) == b.step(t0 + 10_000_000, lambda g, t: g % 2 == 1)
