"""The compiled burst pass of `Passages.young` against the plain array form it replaced: same rows, same state."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.portal import Passages


class PlainPassages(Passages):
    def young(self, tag: np.ndarray, t_us: np.ndarray, door: np.ndarray, side: np.ndarray | None = None,
              rssi: np.ndarray | None = None, detail: bool = False, count: np.ndarray | None = None):  # fmt: skip
        """The array form `Passages.young` had before its per-row pass (the rule the pass must keep)."""
        n = len(tag)
        self.seq = np.full(n, np.nan)
        if n == 0:
            z = np.zeros(0, bool)
            return (z, z, np.zeros(0, np.int64), np.zeros(0, np.int64)) if detail else z
        key = tag.astype(np.int64) * self.n_doors + door
        o = np.argsort(key, kind="stable")  # keeps time order within (tag, door)
        k, t = key[o], t_us[o]
        first = np.ones(n, bool)
        first[1:] = k[1:] != k[:-1]
        flat_last, flat_start, flat_n = self.last.reshape(-1), self.start.reshape(-1), self.n.reshape(-1)
        prev = np.empty(n, np.int64)
        prev[1:] = t[:-1]
        prev[first] = flat_last[k[first]]
        new = (t - prev) > self.quiet_us
        opened = new | first
        pos = np.arange(n)
        at = np.maximum.accumulate(np.where(opened, pos, 0))  # row that opened this row's run
        carried = first[at] & ~new[at]  # the run continues a burst from the previous batch
        start = np.where(carried, flat_start[k[at]], t[at])
        nth = pos - at + np.where(carried, flat_n[k[at]], 0)
        young = (t - start <= self.burst_us) & (nth >= 1)
        last = np.ones(n, bool)
        last[:-1] = first[1:]
        kl = k[last]
        flat_last[kl], flat_start[kl], flat_n[kl] = t[last], start[last], nth[last] + 1
        if side is not None:
            sd = side[o].astype(np.int64)
            flat_sides = self.sides.reshape(-1)
            carry = np.where(carried, flat_sides[k[at]], 0).astype(np.int64)
            heard = np.zeros(n, np.int64)
            for bit in (1, 2):  # has this side been heard in the burst so far (this row included)?
                c = np.cumsum(sd == bit)
                seen = (c - (c - (sd == bit))[at]) > 0
                heard |= np.where(seen | ((carry & bit) > 0), bit, 0)
            # young: within burst_s of the burst's start or of the moment both sides had heard it (a tag read on one
            # side for a while, then carried through: the crossing is when the far side joins in)
            both = heard == 3
            run_id = np.cumsum(opened) - 1
            f3 = np.minimum.reduceat(np.where(both, pos, n), np.flatnonzero(opened))[run_id]
            flat_tb = self.t_both.reshape(-1)
            tb = np.where(carried & ((carry & 3) == 3), flat_tb[k[at]], t[np.minimum(f3, n - 1)])
            young = both & (nth >= 1) & ((t - start <= self.burst_us) | (t - tb <= self.burst_us))
            flat_sides[kl] = heard[last]
            flat_tb[kl] = tb[last]
            if count is not None:
                cn = count[o].astype(np.float64)
                rel = (t - start) / 1e6
                flat_sw, flat_swt = self.sw.reshape(-1, 2), self.swt.reshape(-1, 2)
                cen = np.empty((n, 2))
                for j, bit in enumerate((1, 2)):
                    w = np.where(sd == bit, cn, 0.0)
                    cums = []
                    for x, flat in ((w, flat_sw), (w * rel, flat_swt)):
                        c = np.cumsum(x)
                        c = c - (c - x)[at] + np.where(carried, flat[k[at], j], 0.0)
                        flat[kl, j] = c[last]
                        cums.append(c)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        cen[:, j] = np.where(cums[0] > 0, cums[1] / cums[0], np.nan)
                seq = np.empty(n)
                seq[o] = cen[:, 1] - cen[:, 0]
                self.seq = seq
            if rssi is not None:
                # direction: the side whose loudest read came last is where the tag went (peak-RSSI time on side A
                # before side B => A -> B); only that side's rows count. Running (loudest, latest) per side and burst
                # as one integer key: rssi rank, then row position (rows of a (tag, door) are in time order).
                r = np.clip(rssi[o].astype(np.int64) + 128, 0, 255)
                run = np.cumsum(opened)  # bursts are contiguous and numbered in order
                span = 256 * (n + 1)
                flat_loud = self.loud.reshape(-1, 2)
                flat_tl = self.t_loud.reshape(-1, 2)
                loud = np.empty((n, 2), np.int64)
                t_pk = np.empty((n, 2), np.int64)
                for j, bit in enumerate((1, 2)):
                    key = np.where(sd == bit, r * (n + 1) + pos + 1, -1)
                    ck = np.where(carried, np.clip(flat_loud[k[at], j].astype(np.int64) + 128, -1, 255), -1)
                    key = np.maximum(key, np.where(ck >= 0, ck * (n + 1), -1))  # a carried peak: position 0
                    acc = np.maximum.accumulate(key + run * span) - run * span
                    loud[:, j] = np.where(acc >= 0, acc // (n + 1) - 128, -999)
                    p = acc % (n + 1)
                    t_pk[:, j] = np.where(p > 0, t[np.maximum(p - 1, 0)], flat_tl[k[at], j])
                mine = np.where(sd == 1, t_pk[:, 0], t_pk[:, 1])
                other = np.where(sd == 1, t_pk[:, 1], t_pk[:, 0])
                peak = mine >= other
                if not detail:
                    young &= peak
                flat_loud[kl] = loud[last]
                flat_tl[kl] = t_pk[last]
        out = np.empty(n, bool)
        out[o] = young
        if not detail:
            return out
        pk = np.ones(n, bool)
        lo = np.zeros(n, np.int64)
        if side is not None and rssi is not None:
            pk[o] = peak
            lo[o] = loud.min(axis=1)
        st = np.empty(n, np.int64)
        st[o] = start
        return out, pk, st, lo


@st.composite
def batches(draw):
    """A few batches of portal rows sorted by (tag, time): tags, doors, sides, RSSI, counts, gaps around quiet_s."""
    n_tags, n_doors = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    out, t0 = [], 1_700_000_000_000_000
    for _ in range(draw(st.integers(1, 4))):
        n = draw(st.integers(0, 40))
        tag = np.sort(np.array(draw(st.lists(st.integers(0, n_tags - 1), min_size=n, max_size=n)), np.int32))
        gaps = np.array(draw(st.lists(st.sampled_from([0, 1, 200_000, 900_000, 2_500_000, 7_000_000]),
                                      min_size=n, max_size=n)), np.int64)  # fmt: skip
        t = t0 + np.cumsum(gaps)
        t0 = int(t[-1]) + 1 if n else t0
        t = np.concatenate([np.sort(t[tag == g]) for g in range(n_tags)]) if n else t
        door = np.array(draw(st.lists(st.integers(0, n_doors - 1), min_size=n, max_size=n)), np.int32)
        side = np.array(draw(st.lists(st.integers(1, 2), min_size=n, max_size=n)), np.int64)
        rssi = np.array(draw(st.lists(st.integers(-140, -40), min_size=n, max_size=n)), np.int16)
        cnt = np.array(draw(st.lists(st.integers(1, 5), min_size=n, max_size=n)), np.int32)
        out.append((tag, t, door, side, rssi, cnt))
    return n_tags, n_doors, out


STATE = ("last", "start", "n", "sides", "loud", "t_loud", "t_both", "sw", "swt")


@settings(max_examples=100, deadline=None)
@given(batches(), st.sampled_from(["full", "side", "bare", "no_detail"]))
def test_burst_pass_matches_plain_rule(data, mode):
    n_tags, n_doors, chunks = data
    a, b = Passages(n_doors, 2.0, 5.0), PlainPassages(n_doors, 2.0, 5.0)
    for tag, t, door, side, rssi, cnt in chunks:
        for p in (a, b):
            p.grow(n_tags)
        if mode == "full":
            args, kw = (tag, t, door, side, rssi), {"detail": True, "count": cnt}
        elif mode == "side":
            args, kw = (tag, t, door, side), {"detail": True}
        elif mode == "bare":
            args, kw = (tag, t, door), {}
        else:
            args, kw = (tag, t, door, side, rssi), {"count": cnt}
        got, want = a.young(*args, **kw), b.young(*args, **kw)
        for x, y in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(a.seq, b.seq)  # bit for bit: the centroid sums keep their float order
    for name in STATE[:3] + (STATE[3:] if mode in ("full", "no_detail") else STATE[3:4] if mode == "side" else ()):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
