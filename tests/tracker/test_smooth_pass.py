"""The compiled passes of the smoother (`cycles`, `accept`; twin.tracker.kernels_smooth) against the plain array
forms they replaced: the same cycles, the same changes, the same run state, bit for bit (hypothesis)."""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.kernels_smooth import reduce_sum
from twin.tracker.smooth import BIN_US, Cycles, RunState, accept, cycles


def plain_cycles(tag: np.ndarray, t_us: np.ndarray, place: np.ndarray, ev: np.ndarray, n_places: int,
           incumbent: np.ndarray | None = None, strong: np.ndarray | None = None) -> Cycles:  # fmt: skip
    """The array form `cycles` had before its compiled pass (the rule the pass must keep)."""
    n = len(tag)
    if n == 0:
        z = np.zeros(0, np.int64)
        return Cycles(z.astype(np.int32), z.astype(np.int32), z.astype(float), z.astype(float), z)
    b = t_us // BIN_US
    newg = np.ones(n, bool)
    newg[1:] = (tag[1:] != tag[:-1]) | (b[1:] != b[:-1])
    starts = np.flatnonzero(newg)
    g = np.cumsum(newg) - 1  # (tag, cycle) group, nondecreasing
    # common case: one place in the whole group -> no sorting needed
    differs = place != place[starts][g]
    mixed_g = np.zeros(len(starts), bool)
    mixed_g[g[differs]] = True
    win_pl = place[starts].copy()
    win_ev = np.add.reduceat(ev, starts)
    total = win_ev.copy()
    win_t = np.maximum.reduceat(t_us, starts)
    win_s = np.maximum.reduceat(strong, starts) if strong is not None else None
    if mixed_g.any():
        rows = np.flatnonzero(mixed_g[g])
        key = g[rows] * n_places + place[rows]
        o = np.argsort(key, kind="stable")
        key, t_s, ev_s = key[o], t_us[rows][o], ev[rows][o]
        st = np.ones(len(key), bool)
        st[1:] = key[1:] != key[:-1]
        idx = np.flatnonzero(st)
        sums = np.add.reduceat(ev_s, idx)
        tmax = np.maximum.reduceat(t_s, idx)
        smax = np.maximum.reduceat(strong[rows][o], idx) if strong is not None else None
        kg, kp = key[idx] // n_places, key[idx] % n_places
        inc = np.zeros(len(kg), bool) if incumbent is None else kp == incumbent[tag[starts][kg]]
        o = np.lexsort((inc, sums, kg))  # winner per group: the last row sorted by (group, evidence, incumbent)
        last = np.ones(len(o), bool)
        last[:-1] = kg[o][1:] != kg[o][:-1]
        w = o[last]
        win_pl[kg[w]], win_ev[kg[w]], win_t[kg[w]] = kp[w], sums[w], tmax[w]
        if win_s is not None:
            win_s[kg[w]] = smax[w]
    return Cycles(tag[starts].astype(np.int32), win_pl.astype(np.int32), win_ev, total, win_t, win_s)


def plain_accept(c: Cycles, st: RunState, threshold: float | np.ndarray, gap_us: np.ndarray,
           min_cycles: int = 1, place_gap_us: np.ndarray | None = None) -> tuple[np.ndarray, ...]:  # fmt: skip
    """The array form `accept` had before its compiled pass (the rule the pass must keep)."""
    n = len(c.tag)
    if n == 0:
        z = np.zeros(0, np.int64)
        return z.astype(np.int32), z, z.astype(np.int32), z.astype(np.float32)
    tag, pl, ev, t = c.tag, c.place, c.ev, c.t_us
    first = np.ones(n, bool)
    first[1:] = tag[1:] != tag[:-1]
    prev_t = np.empty(n, np.int64)
    prev_t[1:] = t[:-1]
    prev_t[first] = st.cand_t[tag[first]]
    prev_p = np.empty(n, np.int32)
    prev_p[1:] = pl[:-1]
    prev_p[first] = st.cand[tag[first]]
    gap = gap_us[tag]
    if place_gap_us is not None:
        gap = np.maximum(gap, place_gap_us[pl])
    cont = (pl == prev_p) & (t - prev_t <= gap)
    newrun = ~cont
    carry = np.where(first & cont, st.cand_ev[tag], 0.0)
    start = newrun | first
    idx = np.where(start, np.arange(n), 0)
    np.maximum.accumulate(idx, out=idx)  # row of each run's start
    cs = np.cumsum(ev)
    own = cs - (cs - ev)[idx]  # the run's evidence within this batch
    cum = own + carry[idx]
    tot_cs = np.cumsum(c.total)
    other = (tot_cs - (tot_cs - c.total)[idx]) - own  # rivals' evidence in the run's cycles
    n_run = np.arange(n) - idx + 1 + np.where(first[idx] & cont[idx], st.cand_n[tag], 0)
    thr = threshold[tag] if isinstance(threshold, np.ndarray) else threshold
    long_enough = n_run >= min_cycles
    if c.strong is not None:
        sc = np.cumsum(c.strong.astype(np.int64))
        long_enough |= (sc - (sc - c.strong)[idx]) > 0  # a passage read in the run
    cross = (cum >= thr - 1e-9) & long_enough  # every cycle of an accepted run; changes are found below
    # accepted places in order; a change where the accepted place differs from the one before
    a_rows = np.flatnonzero(cross)
    a_tag, a_pl = tag[a_rows], pl[a_rows]
    a_first = np.ones(len(a_rows), bool)
    a_first[1:] = a_tag[1:] != a_tag[:-1]
    a_prev = np.empty(len(a_rows), np.int32)
    a_prev[1:] = a_pl[:-1]
    a_prev[a_first] = st.accepted[a_tag[a_first]]
    ch = a_pl != a_prev
    rows = a_rows[ch]
    conf = cum[rows] / np.maximum(cum[rows] + other[rows], 1e-9)
    # carry-over
    last = np.ones(n, bool)
    last[:-1] = first[1:]
    lt = tag[last]
    st.cand[lt], st.cand_ev[lt], st.cand_t[lt], st.cand_n[lt] = pl[last], cum[last], t[last], n_run[last]
    if len(a_rows):
        a_last = np.ones(len(a_rows), bool)
        a_last[:-1] = a_first[1:]
        st.accepted[a_tag[a_last]] = a_pl[a_last]
    return tag[rows], t[rows], pl[rows], conf.astype(np.float32)


@st.composite
def batches(draw):
    """Rows sorted by (tag, time): a few tags, bursts of many rows in one second (numpy's pairwise sums), places
    that tie, evidence with fractions; per-tag run state as a previous batch may have left it."""
    n_tags = draw(st.integers(1, 5))
    n_places = draw(st.integers(1, 4))
    rows = []
    for tg in range(n_tags):
        t = draw(st.integers(0, 3)) * BIN_US
        for _ in range(draw(st.integers(0, 30))):
            t += draw(st.sampled_from([0, 0, 0, 0, 1, 200_000, BIN_US, 3 * BIN_US, 40 * BIN_US]))
            ev = draw(st.sampled_from([0.5, 1.0, 0.1, 0.3, 1 / 3, 2.7, 0.05]))
            rows.append((tg, t, draw(st.integers(0, n_places - 1)), ev, draw(st.booleans())))
    tag = np.array([r[0] for r in rows], np.int32)
    t = np.array([r[1] for r in rows], np.int64)
    place = np.array([r[2] for r in rows], np.int32)
    ev = np.array([r[3] for r in rows], np.float64)
    strong = np.array([r[4] for r in rows], bool) & draw(st.booleans())
    inc = np.array([draw(st.integers(-1, n_places - 1)) for _ in range(n_tags)], np.int32)
    state = RunState(inc.copy(), np.array([draw(st.integers(-1, n_places - 1)) for _ in range(n_tags)], np.int32),
                     np.array([draw(st.sampled_from([0.0, 0.4, 2.0])) for _ in range(n_tags)]),
                     np.array([draw(st.sampled_from([0, BIN_US, 2 * BIN_US])) for _ in range(n_tags)], np.int64),
                     np.array([draw(st.integers(0, 3)) for _ in range(n_tags)], np.int32))  # fmt: skip
    return tag, t, place, ev, strong, inc, n_places, state


def _same(a, b):
    assert (a is None) == (b is None)
    if a is not None:
        assert a.dtype == b.dtype or a.dtype.kind == b.dtype.kind, (a.dtype, b.dtype)
        np.testing.assert_array_equal(a, b)


@settings(max_examples=50, deadline=None)
@given(batches(), st.booleans(), st.booleans())
def test_cycles_pass_is_the_array_form(batch, with_inc, with_strong):
    tag, t, place, ev, strong, inc, n_places, _ = batch
    args = (tag, t, place, ev, n_places, inc if with_inc else None, strong if with_strong else None)
    got, want = cycles(*args), plain_cycles(*args)
    for f in ("tag", "place", "ev", "total", "t_us", "strong"):
        _same(getattr(got, f), getattr(want, f))


@settings(max_examples=50, deadline=None)
@given(batches(), st.booleans(), st.booleans(), st.integers(1, 3), st.sampled_from([0.9, 2.0, 5.0]))
def test_accept_pass_is_the_array_form(batch, per_tag, place_gap, min_cycles, thr):
    tag, t, place, ev, strong, inc, n_places, state = batch
    c = plain_cycles(tag, t, place, ev, n_places, inc, strong)
    n_tags = len(inc)
    threshold = np.linspace(0.5, thr, n_tags) if per_tag else thr
    gap = np.array([BIN_US, 3 * BIN_US, 0, 10 * BIN_US, 2 * BIN_US][:n_tags], np.int64)
    pg = np.arange(n_places, dtype=np.int64) * 20 * BIN_US if place_gap else None
    for strong_c in (c.strong, None):
        cc = Cycles(c.tag, c.place, c.ev, c.total, c.t_us, strong_c)
        a, b = copy.deepcopy(state), copy.deepcopy(state)
        got = accept(cc, a, threshold, gap, min_cycles, pg)
        want = plain_accept(cc, b, threshold, gap, min_cycles, pg)
        for x, y in zip(got, want):
            np.testing.assert_array_equal(x, y)
        for f in ("accepted", "cand", "cand_ev", "cand_t", "cand_n"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=400), st.data())
def test_reduce_sum_is_numpys_reduceat(vals, data):
    a = np.array(vals)
    lo = data.draw(st.integers(0, len(a) - 1))
    hi = data.draw(st.integers(lo + 1, len(a)))
    want = np.add.reduceat(a, [lo, hi])[0] if hi < len(a) else np.add.reduceat(a, [lo])[0]
    assert reduce_sum(a, lo, hi) == want
