"""Moving-tag screens skip (slot, antenna) pairs whose antenna has no alive window in the slot's grid slot: the
alive matrix against the plain overlap rule, and the compiled screen with it against the screen without it."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers import rf
from twin.readers.engine import ReaderEngine
from twin.readers.moving import _candidates, _prefill, alive_slots
from twin.readers.timegrid import windows
from twin.rng import Streams

from _floors import epcs, placement, two_rooms

GRID = 500_000


@st.composite
def chunks(draw):
    t0 = draw(st.integers(0, 10**9))
    t1 = t0 + draw(st.integers(1, 90_000_000))
    return t0, t1


@settings(max_examples=40, deadline=None)
@given(chunks(), st.integers(0, 2**31 - 1))
def test_alive_matrix_is_the_plain_overlap_rule(chunk, seed):
    t0, t1 = chunk
    g = np.random.default_rng(seed)
    nA = 6
    period = g.integers(200_000, 3_000_000, nA)
    ln = np.array([g.integers(1, p + 1) for p in period])
    off = np.array([g.integers(0, p - n + 1) for p, n in zip(period, ln)])
    wa, ws, we, _ = windows(t0, t1, period, {}, off, ln)
    F = np.sort(g.choice(nA, g.integers(1, nA + 1), replace=False))
    s = g.integers(t0, t1, 50)
    alive, gslot = alive_slots(F, s, t0, t1, GRID, wa, ws, we)
    g0 = t0 // GRID
    assert np.array_equal(gslot, s // GRID - g0)
    for gi in range(alive.shape[0]):
        lo, hi = (g0 + gi) * GRID, (g0 + gi + 1) * GRID
        for j, a in enumerate(F):
            want = bool(np.any((wa == a) & (ws < hi) & (we > lo)))
            assert alive[gi, j] == want


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1), st.booleans())
def test_screen_with_alive_pairs_is_the_screen_cut_to_them(seed, warm):
    eng = ReaderEngine(two_rooms(), placement(), streams=Streams(seed % 7))
    g = np.random.default_rng(seed)
    n = 1500
    xy = np.column_stack([g.uniform(-2, 18, n), g.uniform(-3, 9, n)])
    F = eng.fixed[eng.a_level[eng.fixed] == 0]
    cell = eng.walls.cells(0, xy)
    e = epcs(n)
    th = rf.tag_hash(eng.seed, e)
    off, dead = rf.tag_quality(eng.seed, e, eng.params.rf)
    container = g.choice(np.array([-1, -1, -1, 0, 1]), n)
    shield_tag = eng._metal[container]
    alive = g.random((7, len(F))) < g.uniform(0.05, 0.9)
    gslot = g.integers(0, 7, n)
    if warm:
        _prefill(eng, 0, F, cell)
    else:  # only the alive pairs filled: the others stay unfilled, which must not matter to them
        _prefill(eng, 0, F, cell, alive, gslot)
    ci, cj, cb = _candidates(eng, 0, F, xy, cell, shield_tag, container, th, off, dead, alive, gslot)
    ai, aj, ab = _candidates(eng, 0, F, xy, cell, shield_tag, container, th, off, dead)
    keep = alive[gslot[ai], aj]
    assert np.array_equal(ci, ai[keep]) and np.array_equal(cj, aj[keep]) and np.array_equal(cb, ab[keep])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_looked_at_is_the_plain_first_visit_rule(seed):
    from twin.readers import kernels
    from twin.readers.moving import alive_lists

    g = np.random.default_rng(seed)
    nA, nc, G, n = 9, 30, 5, int(g.integers(0, 300))
    F = np.sort(g.choice(nA, int(g.integers(1, nA + 1)), replace=False)).astype(np.int64)
    alive = g.random((G, len(F))) < g.uniform(0.0, 1.0)
    cell, gslot = g.integers(0, nc, n), g.integers(0, G, n)
    done = g.random((nc, nA)) < 0.3
    done[g.random(nc) < 0.2] = True  # some cells looked at from every antenna
    full = done[:, F].all(axis=1)
    want_done, want_full, want = done.copy(), full.copy(), []
    for i in range(n):  # the plain rule: each alive (antenna, cell) pair not looked at yet, in slot order
        if want_full[cell[i]]:
            continue
        for j in np.flatnonzero(alive[gslot[i]]):
            if not want_done[cell[i], F[j]]:
                want_done[cell[i], F[j]] = True
                want.append((F[j], cell[i]))
        want_full[cell[i]] = want_done[cell[i], F].all()
    ptr, js, gs = alive_lists(F, n, alive, gslot)
    a, c = kernels.looked_at(cell.astype(np.int64), gs, ptr, js, F, done, full)
    assert list(zip(a.tolist(), c.tolist())) == [(int(x), int(y)) for x, y in want]
    assert np.array_equal(done, want_done) and np.array_equal(full, want_full)
