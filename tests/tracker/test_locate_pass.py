"""The compiled passes of the locator and its calibration (twin.tracker.kernels_locate, the space and unit halves in
kernels_smooth) against the plain array forms they replaced: the same rows, evidence and per-tag state, bit for
bit, on random batches sorted by (tag, time)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.kernels_locate import calib_pass, evidence_pass, rows_pass, seal_pass
from twin.tracker.kernels_smooth import learn_rate_pass, unit_rows_pass
from twin.tracker.smooth import BIN_US

from .test_smooth_pass import plain_accept, plain_cycles

N_ANT, N_SP, N_UNIT, N_DOOR = 7, 4, 3, 3


@st.composite
def batches(draw):
    """Rows sorted by (tag, time) of a few tags over a small site; per-tag and per-antenna tables."""
    n_tags = draw(st.integers(1, 6))
    rows = []
    for tg in range(n_tags):
        if not draw(st.booleans()) and tg:
            continue
        t = draw(st.integers(0, 5)) * BIN_US
        for _ in range(draw(st.integers(1, 12))):
            t += draw(st.sampled_from([0, 1, 300_000, BIN_US, 4 * BIN_US, 30 * BIN_US]))
            rows.append((tg, t, draw(st.integers(0, N_ANT - 1)), draw(st.sampled_from([0, 1, 2, 5])),
                         draw(st.integers(-90, -20)), draw(st.booleans()) and draw(st.booleans())))
    c = list(zip(*rows))
    tag, t, ant = np.array(c[0], np.int32), np.array(c[1], np.int64), np.array(c[2], np.int32)
    cnt, rssi, late = np.array(c[3], np.uint32), np.array(c[4], np.int16), np.array(c[5], bool)
    ant_space = np.array([draw(st.integers(-1, N_SP - 1)) for _ in range(N_ANT)], np.int32)
    tables = dict(
        ant_space=ant_space, ant_storage=np.array([draw(st.integers(-1, N_UNIT - 1)) for _ in range(N_ANT)], np.int32),
        unit_space=np.append(np.array([draw(st.integers(0, N_SP - 1)) for _ in range(N_UNIT)], np.int32), -2),
        accepted=np.array([draw(st.integers(-1, N_SP - 1)) for _ in range(n_tags)], np.int32),
        weight=np.array([draw(st.sampled_from([0.02, 0.3, 1 / 3, 1.0])) for _ in range(N_ANT)]),
        inside=np.array([draw(st.booleans()) for _ in range(N_ANT)]),
    )  # fmt: skip
    return tag, t, ant, cnt, rssi, late, n_tags, tables


def plain_rows(tag, t_us, ant, cnt, rssi, late, ant_space, portal, seen, last_us):
    lastrow = np.ones(len(tag), bool)
    lastrow[:-1] = tag[1:] != tag[:-1]
    lt = tag[lastrow]
    seen[lt] = True
    last_us[lt] = np.maximum(last_us[lt], t_us[lastrow])
    live = ~late
    tag, t_us, ant, cnt, rssi = tag[live], t_us[live], ant[live], cnt[live], rssi[live]
    space = ant_space[ant]
    ok = space >= 0
    tag, t_us, ant, cnt, rssi, space = tag[ok], t_us[ok], ant[ok], cnt[ok], rssi[ok], space[ok]
    return tag, t_us, ant, cnt, rssi, space, portal[ant]


@settings(max_examples=50, deadline=None)
@given(batches())
def test_rows_and_evidence_passes(batch):
    tag, t, ant, cnt, rssi, late, n_tags, tb = batch
    s1, s2 = np.zeros(n_tags, bool), np.zeros(n_tags, bool)
    l1, l2 = np.full(n_tags, 2 * BIN_US, np.int64), np.full(n_tags, 2 * BIN_US, np.int64)
    portal = ~tb["inside"]
    got = rows_pass(tag, t, ant, cnt, rssi, late, tb["ant_space"], portal, s1, l1)
    want = plain_rows(tag, t, ant, cnt, rssi, late, tb["ant_space"], portal, s2, l2)
    for x, y in zip(got, want):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(l1, l2)
    inv = np.where(tb["inside"], 2.5, 1.0)
    weak_dbm = np.where(tb["inside"], -60.0, -1e9).astype(np.float32)
    for factor in (0.25, 1.0):
        want = tb["weight"][ant] * cnt * inv[ant]
        if factor < 1.0:
            weak = rssi < weak_dbm[ant]
            want[weak] *= factor
        got = evidence_pass(ant, cnt, rssi, tb["weight"], inv, weak_dbm, factor, factor < 1.0)
        np.testing.assert_array_equal(got, want)


def plain_unit_rows(tag, t, ant, cnt, rssi, ant_storage, unit_space, accepted, unit_weight):
    unit = ant_storage[ant]
    um = (unit >= 0) & (unit_space[unit] == accepted[tag])
    uev = unit_weight[ant[um]] * cnt[um] * np.power(10.0, (rssi[um].astype(np.float64) + 40.0) / 10.0)
    return np.flatnonzero(um), unit[um], uev


@settings(max_examples=50, deadline=None)
@given(batches())
def test_unit_rows_pass(batch):
    from twin.tracker.locate import _POWER_40

    tag, t, ant, cnt, rssi, late, n_tags, tb = batch
    got = unit_rows_pass(tag, ant, cnt, rssi, tb["ant_storage"], tb["unit_space"], tb["accepted"], tb["weight"],
                         _POWER_40)  # fmt: skip
    want = plain_unit_rows(tag, t, ant, cnt, rssi, tb["ant_storage"], tb["unit_space"], tb["accepted"], tb["weight"])
    for x, y in zip(got, want):
        np.testing.assert_array_equal(x, y)


def plain_learn_rate(tag, t_us, row_tag, p_cycle, lam):
    first = np.ones(len(tag), bool)
    first[1:] = tag[1:] != tag[:-1]
    starts = np.flatnonzero(first)
    tg = tag[starts]
    n_cyc = np.diff(np.append(starts, len(tag)))
    span = (np.maximum.reduceat(t_us, starts) - np.minimum.reduceat(t_us, starts)) // BIN_US + 1
    p = np.clip(n_cyc / span, 0.0, 1.0)
    p_cycle[tg] = 0.7 * p_cycle[tg] + 0.3 * p
    n_rows = np.bincount(row_tag, minlength=len(lam))[tg]
    lam[tg] = 0.7 * lam[tg] + 0.3 * (n_rows / span)


@settings(max_examples=50, deadline=None)
@given(batches())
def test_learn_rate_pass(batch):
    tag, t, ant, cnt, rssi, late, n_tags, tb = batch
    row_tag = tag[tb["inside"][ant]]
    p1, p2 = np.full(n_tags, 0.5), np.full(n_tags, 0.5)
    m1, m2 = np.full(n_tags, 0.2), np.full(n_tags, 0.2)
    learn_rate_pass(tag, t, row_tag, p1, m1, BIN_US)
    plain_learn_rate(tag, t, row_tag, p2, m2)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(m1, m2)


def plain_seal(tag, t, space, ev, strong, accepted, sealed, by_prior, space_doors, p_start, p_sides, open_us,
               both_sides, factor):  # fmt: skip
    here = accepted[tag]
    r = np.flatnonzero(space != here)
    hr, sp = here[r], space[r]
    keep = (hr >= 0) & (sealed[hr] | sealed[sp]) & ~strong[r]
    if not keep.any():
        return ev
    r, hr, sp = r[keep], hr[keep], sp[keep]
    tg, tr = tag[r], t[r]
    blocked = np.zeros(len(r), bool)
    for pl, judge in ((hr, sealed[hr]), (sp, sealed[sp] & ~by_prior[tg])):
        k = np.flatnonzero(judge)
        if not len(k):
            continue
        doors = space_doors[pl[k]]
        d = np.maximum(doors, 0)
        tk = tg[k][:, None]
        st_ = p_start[tk, d]
        recent = (doors >= 0) & (st_ <= tr[k][:, None]) & (tr[k][:, None] - st_ <= open_us)
        if both_sides:
            recent &= p_sides[tk, d] == 3
        blocked[k] |= ~recent.any(axis=1)
    if blocked.any():
        ev = ev.copy()
        ev[r[blocked]] *= factor
    return ev


@settings(max_examples=50, deadline=None)
@given(batches(), st.data())
def test_seal_pass(batch, data):
    tag, t, ant, cnt, rssi, late, n_tags, tb = batch
    space = np.maximum(tb["ant_space"][ant], 0)
    ev = np.linspace(0.1, 2.0, len(tag))
    strong = late.copy()
    sealed = np.append(np.array([data.draw(st.booleans()) for _ in range(N_SP)]), False)
    doors = np.full((N_SP + 1, 2), -1, np.int64)
    for s in range(N_SP):
        k = data.draw(st.integers(0, 2))
        doors[s, :k] = data.draw(st.lists(st.integers(0, N_DOOR - 1), min_size=k, max_size=k))
    p_start = np.array(data.draw(st.lists(st.sampled_from([-(1 << 62), 0, BIN_US, 5 * BIN_US, 40 * BIN_US]),
                                          min_size=n_tags * N_DOOR, max_size=n_tags * N_DOOR)), np.int64)
    p_start = p_start.reshape(n_tags, N_DOOR)
    p_sides = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n_tags * N_DOOR, max_size=n_tags * N_DOOR)),
                       np.int8).reshape(n_tags, N_DOOR)  # fmt: skip
    by_prior = np.array([data.draw(st.booleans()) for _ in range(n_tags)])
    for both in (False, True):
        args = (tag, t, space, ev, strong, tb["accepted"], sealed, by_prior, doors, p_start, p_sides, 20 * BIN_US,
                both, 0.1)  # fmt: skip
        np.testing.assert_array_equal(seal_pass(*args), plain_seal(*args))


def plain_calib(tag, ant, cnt, space, inside, ref_, streak, settle, majority, n_spaces, n_antennas):
    """The array form `AntennaCalibration.observe` had (its counts returned instead of added)."""
    dn, dhit = np.zeros(n_antennas), np.zeros(n_antennas)
    ins = inside[ant]
    if ins.any():
        key = tag[ins].astype(np.int64) * n_spaces + space[ins]
        u, inv = np.unique(key, return_inverse=True)
        per = np.bincount(inv, weights=cnt[ins]).astype(np.float64)
        ut = u // n_spaces
        us = (u % n_spaces).astype(np.int32)
        o = np.lexsort((per, ut))
        last = np.ones(len(o), bool)
        last[:-1] = ut[o][1:] != ut[o][:-1]
        best = o[last]
        tot = np.bincount(np.searchsorted(ut[best], ut), weights=per)
        clear = per[best] >= majority * tot
        bt, bs = ut[best], np.where(clear, us[best], -1)
        same = (bs >= 0) & (ref_[bt] == bs)
        streak[bt] = np.where(same, streak[bt] + 1, np.where(bs >= 0, 1, 0))
        ref_[bt] = bs
    ref = ref_[tag]
    has = (ref >= 0) & (streak[tag] >= settle)
    if has.any():
        a, c = ant[has], cnt[has].astype(np.float64)
        agree = space[has] == ref[has]
        dn += np.bincount(a, weights=c, minlength=n_antennas)
        dhit += np.bincount(a, weights=c * agree, minlength=n_antennas)
    return dn, dhit


@settings(max_examples=30, deadline=None)
@given(st.lists(batches(), min_size=1, max_size=4))
def test_calib_pass_over_batches(chunks):
    n_tags = max(c[6] for c in chunks)
    inside = chunks[0][7]["inside"]
    r1, r2 = np.full(n_tags, -1, np.int32), np.full(n_tags, -1, np.int32)
    k1, k2 = np.zeros(n_tags, np.int32), np.zeros(n_tags, np.int32)
    for tag, t, ant, cnt, rssi, late, _, tb in chunks:
        space = np.maximum(tb["ant_space"][ant], 0)
        got = calib_pass(tag, ant, cnt, space, inside, r1, k1, 2, 0.7, N_SP, N_ANT)
        want = plain_calib(tag, ant, cnt, space, inside, r2, k2, 2, 0.7, N_SP, N_ANT)
        for x, y in zip(got, want):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_array_equal(k1, k2)


def _state(n_tags, n_places, data):
    from twin.tracker.smooth import RunState

    ints = st.integers(-1, n_places - 1)
    return RunState(np.array([data.draw(ints) for _ in range(n_tags)], np.int32),
                    np.array([data.draw(ints) for _ in range(n_tags)], np.int32),
                    np.array([data.draw(st.sampled_from([0.0, 0.4, 2.0])) for _ in range(n_tags)]),
                    np.array([data.draw(st.sampled_from([0, BIN_US, 3 * BIN_US])) for _ in range(n_tags)], np.int64),
                    np.array([data.draw(st.integers(0, 3)) for _ in range(n_tags)], np.int32))  # fmt: skip


def _copy(s):
    import copy

    return copy.deepcopy(s)


@settings(max_examples=40, deadline=None)
@given(batches(), st.data())
def test_space_and_unit_passes_are_the_plain_steps(batch, data):
    """space_pass and unit_pass: the plain cycles, read rates, thresholds and windows, steps and acceptance."""
    from twin.tracker.kernels_smooth import space_pass, unit_pass
    from twin.tracker.locate import _POWER_40


    tag, t, ant, cnt, rssi, late, n_tags, tb = batch
    space = np.maximum(tb["ant_space"][ant], 0).astype(np.int32)
    ev = tb["weight"][ant] * cnt + 0.1
    pm, strong = late, late & (rssi > -50)
    ss = _state(n_tags, N_SP, data)
    p0 = np.array([data.draw(st.sampled_from([0.0, 0.05, 0.5, 1.0])) for _ in range(n_tags)])
    l0 = np.array([data.draw(st.sampled_from([0.0, 1.0, 7.0])) for _ in range(n_tags)])
    ln, wmin, wmax, thr0, rpt, tmax, sgap, ugap = np.log(100.0), 2.0, 30.0, 1.0, 3.0, 4.0, 5 * BIN_US, 9 * BIN_US
    place_gap = np.arange(N_SP, dtype=np.int64) * 10 * BIN_US
    # compiled
    a, p1, l1 = _copy(ss), p0.copy(), l0.copy()
    thr, sg, ug = np.zeros(n_tags), np.zeros(n_tags, np.int64), np.zeros(n_tags, np.int64)
    got = space_pass(tag, t, space, ev, strong, pm, a.accepted, a.cand, a.cand_ev, a.cand_t, a.cand_n, p1, l1, ln, wmin,
                     wmax, BIN_US, thr0, rpt, tmax, sgap, ugap, thr, sg, ug, place_gap, 2)  # fmt: skip
    # plain
    b, p2, l2 = _copy(ss), p0.copy(), l0.copy()
    cyc = plain_cycles(tag, t, space, ev, N_SP, b.accepted, strong)
    if len(cyc.tag):
        plain_learn_rate(cyc.tag, cyc.t_us, tag[~pm], p2, l2)
    gap = (np.clip(ln / np.maximum(p2, 1e-3), wmin, wmax) * BIN_US).astype(np.int64)
    s_gap = np.where(b.accepted < 0, np.maximum(gap, sgap), gap)
    want = plain_accept(cyc, b, thr0 * np.clip(l2 / rpt, 1.0, tmax), s_gap, 2, place_gap)
    for x, y in zip(got, want):
        np.testing.assert_array_equal(x, y)
    for f in ("accepted", "cand", "cand_ev", "cand_t", "cand_n"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(l1, l2)
    seen = np.unique(cyc.tag)
    np.testing.assert_array_equal(ug[seen], np.maximum(gap, ugap)[seen])
    # units, on the space state just left
    us = _state(n_tags, N_UNIT, data)
    prior = np.array([data.draw(st.integers(-1, N_UNIT - 1)) for _ in range(n_tags)], np.int32)
    step, first, rival, uthr = 0.25, 1.0, data.draw(st.sampled_from([0.25, 0.05])), 1.0
    ua, ub = _copy(us), _copy(us)
    got = unit_pass(tag, t, ant, cnt, rssi, tb["ant_storage"], tb["unit_space"], a.accepted, tb["weight"], _POWER_40,
                    ua.accepted, ua.cand, ua.cand_ev, ua.cand_t, ua.cand_n, prior, step, first, rival, uthr, ug,
                    BIN_US)  # fmt: skip
    um, unit, uev = plain_unit_rows(tag, t, ant, cnt, rssi, tb["ant_storage"], tb["unit_space"], a.accepted,
                                    tb["weight"])  # fmt: skip
    uc = plain_cycles(tag[um], t[um], unit, uev, N_UNIT, ub.accepted)
    uc.total = uc.total / np.maximum(uc.ev, 1e-300) * step
    uc.ev = np.full(len(uc.ev), step)
    uc.ev[(ub.accepted[uc.tag] < 0) & (prior[uc.tag] < 0)] = first
    if rival != step:
        pu = prior[uc.tag]
        uc.ev[(pu >= 0) & (uc.place != pu)] = rival
    want = plain_accept(uc, ub, uthr, np.maximum(gap, ugap))
    for x, y in zip(got, want):
        np.testing.assert_array_equal(x, y)
    for f in ("accepted", "cand", "cand_ev", "cand_t", "cand_n"):
        np.testing.assert_array_equal(getattr(ua, f), getattr(ub, f))
