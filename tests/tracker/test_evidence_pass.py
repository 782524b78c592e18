"""The compiled pass of `ReadEvidence.observe` against the plain array form it replaced: same state after each chunk."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.alerts_evidence import ReadEvidence


class PlainEvidence(ReadEvidence):
    def observe(self, t: np.ndarray, tag: np.ndarray, ant: np.ndarray, rssi: np.ndarray) -> None:
        """The array form `observe` had before its compiled pass (the rule the pass must keep)."""
        if len(t) == 0:
            return
        self.grow(int(tag.max()) + 1)
        m = self.ant_store[ant]
        if m.any():
            np.maximum.at(self.last_store_us, tag[m], t[m])
            self.doors_since[tag[m]] = 0  # heard in storage: door passages count again from here
        m = self.ant_else[ant]
        self._latest(t, tag, ant, m, self.last_else_us, self.last_else_ant, ant)
        self._latest(t, tag, ant, self.ant_door[ant] >= 0, self.last_door_us, self.last_door, self.ant_door[ant])
        if m.any():
            np.maximum.at(self.last_else_us, tag[m], t[m])
        self._runs(t, tag, self.ant_store[ant] | m)
        np.maximum.at(self.last_any_us, tag, t)
        d = self.ant_door[ant]
        m = (d >= 0) & (t > self.last_store_us[tag])
        if m.any():
            np.bitwise_or.at(self.doors_since, tag[m], self.door_bit[d[m]])
        m = self.ant_exit[ant]
        if m.any():
            np.maximum.at(self.last_exit_us, tag[m], t[m])
            self.exit_heard.update(np.unique(tag[m]).tolist())
        c = self.ant_col[ant]
        m = c >= 0
        if not m.any() or not self.units:
            return
        tg, cc, aa = tag[m], c[m], ant[m]
        p = t[m] // self.ant_period[aa]
        o = np.lexsort((-rssi[m].astype(np.int32), p, tg))  # per (tag, period): loudest first
        tg, cc, p = tg[o], cc[o], p[o]
        first = np.r_[True, (tg[1:] != tg[:-1]) | (p[1:] != p[:-1])]
        tg, cc, p = tg[first], cc[first], p[first]
        new = p > self.lastp[tg, cc]
        np.add.at(self.wins, (tg[new], cc[new]), 1)
        self.touched[tg[new]] = True
        np.maximum.at(self.lastp, (tg, cc), p)

    @staticmethod
    def _latest(t, tag, ant, m, last_us, last_what, what) -> None:
        """Per tag, its latest row of these (the later row of equal times, in (tag, time) order) sets last_what."""
        if not m.any():
            return
        tg, tt, ww = tag[m], t[m], what[m]
        o = np.lexsort((tt, tg))
        tg, tt, ww = tg[o], tt[o], ww[o]
        last = np.flatnonzero(np.r_[tg[1:] != tg[:-1], True])
        newer = tt[last] >= last_us[tg[last]]
        last_us[tg[last[newer]]] = tt[last[newer]]
        last_what[tg[last[newer]]] = ww[last[newer]]

    def _runs(self, t: np.ndarray, tag: np.ndarray, m: np.ndarray) -> None:
        """Extend or restart each tag's run of reports with these rows (a gap longer than gap_us starts a new run)."""
        if not m.any():
            return
        tg, tt = tag[m], t[m]
        o = np.lexsort((tt, tg))
        tg, tt = tg[o], tt[o]
        first = np.r_[True, tg[1:] != tg[:-1]]
        prev = np.where(first, self.run_last_us[tg], np.r_[0, tt[:-1]])
        starts = (prev < 0) | (tt - prev > self.gap_us)
        idx = np.flatnonzero(starts)
        if len(idx):
            keep = np.r_[tg[idx][1:] != tg[idx][:-1], True]  # each tag's last start (rows in time order per tag)
            self.run_start_us[tg[idx[keep]]] = tt[idx[keep]]
        last = np.flatnonzero(np.r_[tg[1:] != tg[:-1], True])
        self.run_last_us[tg[last]] = np.maximum(self.run_last_us[tg[last]], tt[last])


def evidence(cls, draw, n_ant: int, n_units: int, n_doors: int):
    """A ReadEvidence with drawn antenna tables (shelf columns, storage/elsewhere/portal/exit, report periods)."""
    ev = cls.__new__(cls)
    ev.gap_us = 3_000_000
    ev.units = [f"u{i}" for i in range(n_units)]
    kind = np.array(draw(st.lists(st.sampled_from("spedx"), min_size=n_ant, max_size=n_ant)))
    ev.ant_col = np.array([draw(st.integers(0, n_units - 1)) if k == "s" and n_units else -1 for k in kind], np.int32)
    ev.ant_store = np.isin(kind, ["s", "e"]) & np.array(draw(st.lists(st.booleans(), min_size=n_ant, max_size=n_ant)))
    ev.ant_else = np.isin(kind, ["s", "e"]) & ~ev.ant_store
    ev.ant_door = np.array([draw(st.integers(0, n_doors - 1)) if k in "dx" else -1 for k in kind], np.int32)
    ev.ant_exit = kind == "x"
    ev.ant_period = np.array(draw(st.lists(st.sampled_from([1_000_000, 2_000_000, 60_000_000]), min_size=n_ant,
                                           max_size=n_ant)), np.int64)  # fmt: skip
    ev.door_bit = np.left_shift(np.uint64(1), np.arange(n_doors).astype(np.uint64))
    ev.wins = np.zeros((0, n_units), np.int16)
    ev.lastp = np.full((0, n_units), -1, np.int64)
    for name in ("last_store_us", "last_else_us", "run_start_us", "last_any_us", "last_exit_us", "run_last_us"):
        setattr(ev, name, np.full(0, -1, np.int64))
    ev.touched, ev.doors_since, ev.exit_heard = np.zeros(0, bool), np.zeros(0, np.uint64), set()
    ev.last_door_us, ev.last_door, ev.last_else_ant = np.full(0, -1, np.int64), np.full(0, -1, np.int32), np.full(
        0, -1, np.int32)
    return ev


STATE = ("wins", "lastp", "last_store_us", "last_else_us", "touched", "run_start_us", "last_any_us", "last_exit_us",
         "doors_since", "run_last_us", "exit_heard", "last_door_us", "last_door", "last_else_ant")


@settings(max_examples=100, deadline=None)
@given(st.data(), st.integers(1, 6), st.integers(0, 3), st.integers(1, 3), st.integers(1, 5))
def test_evidence_pass_matches_plain_rule(data, n_ant, n_units, n_doors, n_tags):
    seed = data.draw(st.integers(0, 2**32 - 1))
    a = evidence(ReadEvidence, data.draw, n_ant, n_units, n_doors)
    b = PlainEvidence.__new__(PlainEvidence)
    b.__dict__.update({k: (v.copy() if isinstance(v, np.ndarray) else type(v)(v)) for k, v in a.__dict__.items()})
    t0 = 1_700_000_000_000_000
    for _ in range(data.draw(st.integers(1, 3))):
        n = data.draw(st.integers(0, 30))
        tag = np.sort(np.array(data.draw(st.lists(st.integers(0, n_tags - 1), min_size=n, max_size=n)), np.int32))
        gaps = data.draw(st.lists(st.sampled_from([0, 300_000, 1_000_000, 4_000_000, 61_000_000]), min_size=n,
                                  max_size=n))  # fmt: skip
        t = t0 + np.cumsum(np.array(gaps, np.int64))
        t0 = int(t[-1]) if n else t0
        t = np.concatenate([np.sort(t[tag == g]) for g in range(n_tags)]) if n else t
        ant = np.array(data.draw(st.lists(st.integers(0, n_ant - 1), min_size=n, max_size=n)), np.int64)
        rssi = np.array(data.draw(st.lists(st.integers(-70, -66), min_size=n, max_size=n)), np.int16)
        shuffle = data.draw(st.booleans()) and n_units == 0  # any order (credits' ties follow the sorted order)
        o = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
        a.observe(t[o], tag[o], ant[o], rssi[o])
        b.observe(t[o], tag[o], ant[o], rssi[o])
        for name in STATE:
            x, y = getattr(a, name), getattr(b, name)
            if isinstance(x, set):
                x, y = sorted(x), sorted(y)
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=name)
