"""The compiled screen of moving tags x fixed antennas keeps every pair the exact numpy screens keep (a superset, in
the same row-major order); the pairs it does not call borderline all pass the exact screens, and few are
borderline."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers import kernels, reportkernels, rf
from twin.readers.engine import ReaderEngine
from twin.readers.moving import _candidates, _exact_screens
from twin.rng import Streams

from _floors import epcs, placement, two_rooms


def _exact(eng, lv, F, xy, cell, shield_tag, container, th, off, dead):
    """The screens of `_fixed_pieces` on the whole (slot, antenna) matrix, as numpy does them."""
    P = eng.params.rf
    d = np.hypot(xy[:, 0:1] - eng.a_xy[F, 0], xy[:, 1:2] - eng.a_xy[F, 1])
    ni, na = np.nonzero(d <= eng.a_range[F])
    pt = eng.walls.levels_at(lv, F[na], cell[ni], walls=False)[0].astype(np.float64)
    sa = eng.a_storage[F][na]
    shielded = (shield_tag[ni] | eng._metal[sa]) & (container[ni] != sa)
    pt = pt - P.metal_loss_db * shielded
    ok = rf.best_margin_db(pt, P) >= rf.min_margin_db(P)
    if P.metal_opaque:
        ok &= ~shielded
    ni, na, pt = ni[ok], na[ok], pt[ok]
    fwd = eng._forward_fading_db(F[na], xy[ni], th[ni])
    ok = (pt + fwd - (P.tag_sensitivity_dbm + off[ni]) >= rf.min_margin_db(P)) & ~dead[ni]
    return ni[ok], na[ok]


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1), st.booleans())
def test_compiled_screen_keeps_a_superset_of_the_exact_screens(seed, cold):
    eng = ReaderEngine(two_rooms(), placement(), streams=Streams(seed % 7))
    g = np.random.default_rng(seed)
    n = 2000
    xy = np.column_stack([g.uniform(-2, 18, n), g.uniform(-3, 9, n)])  # some outside the floor (negative cells)
    F = eng.fixed[eng.a_level[eng.fixed] == 0]
    cell = eng.walls.cells(0, xy)
    e = epcs(n)
    th = rf.tag_hash(eng.seed, e)
    off, dead = rf.tag_quality(eng.seed, e, eng.params.rf)
    container = g.choice(np.array([-1, -1, -1, 0, 1]), n)  # loose, on the shelf, in the metal cabinet
    shield_tag = eng._metal[container]
    if not cold:  # levels of every cell already known: the screen judges every pair
        eng.walls.levels_at(0, np.repeat(F, n), np.tile(cell, len(F)), walls=False)
    ci, cj, border = _candidates(eng, 0, F, xy, cell, shield_tag, container, th, off, dead)
    ei, ej = _exact(eng, 0, F, xy, cell, shield_tag, container, th, off, dead)
    key_c, key_e = ci * len(F) + cj, ei * len(F) + ej
    assert np.all(np.diff(key_c) > 0)  # row-major, each pair once
    assert np.isin(key_e, key_c).all()  # never drops a pair the exact screens keep
    assert np.isin(key_c[~border], key_e).all()  # and what it is sure of, the exact screens keep
    b = np.flatnonzero(border)
    ok = _exact_screens(eng, 0, F, xy, cell, shield_tag, container, ci[b], cj[b], th, off, dead)
    keep = np.ones(len(ci), bool)
    keep[b] = ok
    assert np.array_equal(key_c[keep], key_e)  # with the borderline ones decided exactly: the exact screens
    if not cold:
        assert border.sum() <= max(5, len(key_e) // 100)  # few are borderline once the levels are known


def test_warm_compiles_or_loads_the_kernels():
    assert kernels.warm() >= 0.0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_compiled_wall_counts_equal_the_floor_count(seed):
    from twin.readers.linkcache import crossed_from, crossed_pairs

    floor = two_rooms()
    W = floor.walls("L1")
    g = np.random.default_rng(seed)
    n = 400
    a = np.column_stack([g.uniform(-1, 17, n), g.uniform(-2, 8, n)])
    t = np.column_stack([g.uniform(-1, 17, n), g.uniform(-2, 8, n)])
    on_wall = W[g.integers(0, len(W), n // 4)]  # some points exactly on a wall's end or line: never a crossing
    t[: n // 4] = on_wall[:, :2] + g.integers(0, 2, (n // 4, 1)) * (on_wall[:, 2:] - on_wall[:, :2]) * 0.5
    t[-5:] = a[-5:]  # degenerate segments
    assert np.array_equal(crossed_pairs(a, t, W), floor.walls_crossed("L1", a, t))
    assert np.array_equal(crossed_from(a[0], t, W), floor.walls_crossed("L1", np.repeat(a[:1], n, axis=0), t))
    from twin.readers.linkcache import walls_by_antenna  # antennas in groups, each against its own wall box

    ants = a[:7]
    ai = g.integers(0, len(ants), n)
    assert np.array_equal(walls_by_antenna(floor, "L1", ants, ai, t), floor.walls_crossed("L1", ants[ai], t))


def _clip_reference(ai, s, e, wa, ws, we, t0):
    """The window alive at each slot's end, then where different the one alive at its start (packed-key search)."""
    def locate(t):
        wk = (wa << 40) | (ws - t0)
        j = np.searchsorted(wk, (ai << 40) | (t - t0), side="right") - 1
        return np.where((j >= 0) & (wa[np.maximum(j, 0)] == ai), j, -1)

    j2, j1 = locate(e - 1), locate(s)
    two = np.flatnonzero(j1 != j2)
    i, w = np.r_[np.arange(len(ai)), two], np.r_[j2, j1[two]]
    i, w = i[w >= 0], w[w >= 0]
    s0, s1 = np.maximum(s[i], ws[w]), np.minimum(e[i], we[w])
    return i[s1 > s0], w[s1 > s0], s0[s1 > s0], s1[s1 > s0]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_compiled_clip_equals_the_window_search(seed):
    from twin.readers.moving import clip

    g = np.random.default_rng(seed)
    t0, nA = 1_000_000, 6
    rows = []
    for a in range(nA):  # sorted, disjoint windows per antenna (some antennas have none)
        edges = np.sort(g.choice(np.arange(0, 60_000), size=2 * int(g.integers(0, 8)), replace=False))
        rows += [(a, t0 + edges[k], t0 + edges[k + 1]) for k in range(0, len(edges), 2)]
    wa, ws, we = (np.array([r[c] for r in rows], np.int64).reshape(-1) for c in range(3))
    n = 300
    ai = g.integers(0, nA, n)
    s = t0 + g.integers(0, 59_000, n)
    e = s + g.integers(1, 3_000, n)
    got, ref = clip(ai, s, e, wa, ws, we, t0), _clip_reference(ai, s, e, wa, ws, we, t0)
    assert all(np.array_equal(x, y) for x, y in zip(got, ref))


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 3000), st.integers(1, 100), st.integers(1, 500))
def test_message_ids_are_the_distinct_reader_periods_of_the_rows(seed, n, n_readers, spread):
    """`kernels.message_ids`: every row's (reader, period) is its message's, each message once; a table too big for
    max_cells gives nothing (the caller then sorts)."""
    g = np.random.default_rng(seed)
    rdr = g.integers(0, n_readers, n)
    per = 1_700_000_000 + g.integers(0, spread, n) * g.integers(1, 60, n_readers)[rdr]
    gi, ur, up = reportkernels.message_ids(rdr, per, n_readers, 10**7)
    assert np.array_equal(ur[gi], rdr) and np.array_equal(up[gi], per)
    ug = np.unique(per * n_readers + rdr)
    assert len(ur) == len(ug) and np.array_equal(np.sort(up * n_readers + ur), ug)
    if n:
        assert len(reportkernels.message_ids(rdr, per, n_readers, len(ug) - 1)[0]) == 0


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 3000), st.integers(1, 400), st.sampled_from([0, 5, 30, 45, 62]))
def test_report_row_order_is_the_stable_sort_by_rank_then_last_seen(seed, n, n_ranks, bits):
    """`reports._order` (one sort of packed unique keys, or np.lexsort when they do not fit) against np.lexsort."""
    from twin.readers.reports import _order

    g = np.random.default_rng(seed)
    rank = g.integers(0, n_ranks, n)
    tl = 1_700_000_000_000_000 + g.integers(0, 2**bits + 1, n)
    assert np.array_equal(_order(rank, tl, n_ranks), np.lexsort((tl, rank)))
