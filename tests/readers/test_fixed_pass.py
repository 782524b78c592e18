"""Moving tags x fixed antennas in compiled passes (`fixedpass`, `fixedkernels`) against the plain rule they replace
(`moving._fixed_pieces_py` and its steps): the same pieces, values and order to the bit, cold and warm caches, two
levels, cabinets, points off the grid; and each kernel against its numpy step."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers import fixedkernels as fk
from twin.readers import fixedpass
from twin.readers.engine import ReaderEngine
from twin.readers.moving import _exact_screens, _fixed_pieces_py, alive_lists, alive_slots
from twin.readers.placement import Reader
from twin.readers.segments import TagSegments
from twin.readers.tagdraws import tag_draws
from twin.readers.timegrid import slots, windows
from twin.rng import Streams

from _floors import ant, epcs, placement, two_rooms

GRID = 500_000
T0 = 1_700_000_000_000_000


def _placement(period_ms: float, iso: bool = False):
    pl = placement(period_ms=period_ms)
    if iso:  # a shelf antenna in a bay (Antenna.isolation_db): the links' general path
        r = pl.readers["R-a"]
        bay = dataclasses.replace(r.antennas[1], isolation_db=12.0, storage="a/S1")
        r = dataclasses.replace(r, antennas=(r.antennas[0], bay))
        pl = dataclasses.replace(pl, readers={**pl.readers, "R-a": r})
    up = Reader("R-up", "fixed", 30.0, "S1", 250.0, period_ms, (ant("R-up", 1, "zone", (4.0, 3.0), level="L2",
                                                                   space="up"),))
    return dataclasses.replace(pl, readers={**pl.readers, "R-up": up})


def _legs(g, n, t0, t1) -> TagSegments:
    a = t0 + g.integers(-5_000_000, t1 - t0, n)
    b = a + g.integers(1, 30_000_000, n)
    lv = g.integers(0, 2, n)
    x0, y0 = g.uniform(-3, 19, n), g.uniform(-6, 9, n)  # some off the level's grid (clamped cells)
    x1, y1 = x0 + g.normal(0, 4, n), y0 + g.normal(0, 3, n)
    cont = g.choice(np.array([-1, -1, -1, 0, 1]), n)  # some carried inside the shelf's or the cabinet's box
    return TagSegments(np.arange(n), epcs(n, 9000), a, b, lv, x0, y0, x1, y1, cont)


def _windows(g, eng, t0, t1):
    nA = len(eng.ant)
    period = g.integers(200_000, 3_000_000, nA)
    ln = np.array([g.integers(1, p + 1) for p in period])
    off = np.array([g.integers(0, p - n + 1) for p, n in zip(period, ln)])
    return windows(t0, t1, period, {}, off, ln)[:3]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 60), st.sampled_from([500.0, 1000.0, 10_000.0]), st.booleans())
def test_fixed_pieces_are_the_plain_rules(seed, n, period_ms, iso):
    g = np.random.default_rng(seed)
    pl = _placement(period_ms, iso)
    fast, plain = (ReaderEngine(two_rooms(), pl, streams=Streams(seed % 5)) for _ in range(2))
    for c in range(3):  # consecutive chunks: the caches warm up
        t0 = T0 + c * 60_000_000
        t1 = t0 + 60_000_000
        tags = _legs(g, n, t0, t1)
        mv = np.flatnonzero((tags.t1_us > t0) & (tags.t0_us < t1) & ~tags.is_static)
        wa, ws, we = _windows(g, fast, t0, t1)
        got = fixedpass.fixed_pieces(fast, t0, t1, tags, mv, GRID, wa, ws, we)
        want = _fixed_pieces_py(plain, t0, t1, tags, mv, GRID, wa, ws, we)
        for x, y in zip(got, want):
            assert x.dtype == y.dtype and np.array_equal(x, y)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.booleans())
def test_exact_screens_on_cell_tables_are_the_plain_screens(seed, warm):
    g = np.random.default_rng(seed)
    pl = _placement(1000.0)
    fast, plain = (ReaderEngine(two_rooms(), pl, streams=Streams(seed % 5)) for _ in range(2))
    n = 400
    xy = np.column_stack([g.uniform(-2, 18, n), g.uniform(-3, 9, n)])
    cell = fast.walls.cells(0, xy)
    assert all(fixedpass.grid_of(fast, lv) == plain.walls._grid(lv)[:4] for lv in (0, 1))
    C = fixedpass._cells(fast, 0)
    C.room(n)
    C.row[np.unique(cell)] = np.arange(len(np.unique(cell)))
    C.used[0] = len(np.unique(cell))
    if warm:  # some of the pairs filled before
        a = np.repeat(C.F, 5)
        c = g.choice(np.unique(cell), len(a))
        key = np.unique(a * 10**6 + c)
        a, c = key // 10**6, key % 10**6
        fixedpass.fill(fast, [(0, a, c, C.row[c])])
    m = 900
    ni, na = g.integers(0, n, m), g.choice(fast.fixed[fast.a_level[fast.fixed] == 0], m)
    container = g.choice(np.array([-1, -1, 0, 1]), n).astype(np.int32)
    shield = fast._metal[container]
    th, off, dead = tag_draws(fast.seed, epcs(n), fast.params.rf)
    got = fixedpass.exact_screens(fast, 0, xy, cell, shield, container, ni, na, th, off, dead)
    want = _exact_screens(plain, 0, np.arange(len(plain.ant)), xy, cell, shield, container, ni, na, th, off, dead)
    assert np.array_equal(got, want)
    r, j = C.row[cell[ni]], C.col[na]
    f = C.W[r, j] > 0  # what the cell tables hold is what the plain grid holds
    pm, rm, w = plain.walls.levels_at(0, na[f], cell[ni[f]])
    assert np.array_equal(C.P[r[f], j[f]], pm) and np.array_equal(C.R[r[f], j[f]], rm)
    assert np.array_equal(C.W[r[f], j[f]] - 1, w)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 40), st.integers(50_000, 2_000_000))
def test_leg_slots_are_slots_and_positions(seed, n, grid):
    g = np.random.default_rng(seed)
    t0 = int(g.integers(0, 10**12))
    a = t0 + g.integers(-10**7, 10**7, n)
    b = a + g.integers(1, 10**7, n)
    segs = TagSegments(np.arange(n), epcs(n), a, b, np.zeros(n), g.normal(0, 50, n), g.normal(0, 50, n),
                       g.normal(0, 50, n), g.normal(0, 50, n), np.full(n, -1))
    lo, hi = np.maximum(a, t0), np.minimum(b, t0 + 10**7)
    ok = hi > lo
    lo, hi, idx = lo[ok], hi[ok], np.flatnonzero(ok)
    own, s, e, mid, xy = fk.leg_slots(lo, hi, grid, a[idx], b[idx], segs.x0[idx], segs.y0[idx], segs.x1[idx],
                                      segs.y1[idx])
    o2, s2, e2, m2 = slots(lo, hi, grid)
    assert all(np.array_equal(x, y) for x, y in ((own, o2), (s, s2), (e, e2), (mid, m2)))
    assert np.array_equal(xy, segs.position(idx[o2], m2))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_alive_index_is_the_alive_matrix(seed):
    g = np.random.default_rng(seed)
    nA = int(g.integers(1, 9))
    t0 = int(g.integers(0, 10**9))
    t1 = t0 + int(g.integers(1, 90_000_000))
    period = g.integers(200_000, 3_000_000, nA)
    ln = np.array([g.integers(1, p + 1) for p in period])
    off = np.array([g.integers(0, p - k + 1) for p, k in zip(period, ln)])
    wa, ws, we, _ = windows(t0, t1, period, {}, off, ln)
    fixed = g.random(nA) < 0.7
    F = np.flatnonzero(fixed)
    ptr, ants, a_lo, a_hi = fk.alive_index(fixed, wa, ws, we, t0, t1, GRID)
    assert np.array_equal(a_lo, np.searchsorted(wa, np.arange(nA), "left"))
    assert np.array_equal(a_hi, np.searchsorted(wa, np.arange(nA), "right"))
    if not len(F):
        assert len(ants) == 0
        return
    alive, _ = alive_slots(F, np.array([t0]), t0, t1, GRID, wa, ws, we)
    p2, js, _ = alive_lists(F, 1, alive, np.zeros(1, np.int64))
    assert np.array_equal(ptr, p2) and np.array_equal(ants, F[js])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_links_on_given_draws_are_the_links_drawing_them(seed):
    """`links.links` with the tags' draws given (`screened`) on pairs some of which a bay's isolation lowers: the same
    kept pairs, p and rssi as drawing them per segment (the plain rule)."""
    from twin.readers import links, rf

    g = np.random.default_rng(seed)
    eng = ReaderEngine(two_rooms(), _placement(1000.0, iso=True), streams=Streams(seed % 5))
    n = 300
    tags = _legs(g, n, T0, T0 + 60_000_000)
    seg = g.integers(0, n, 2 * n)
    F = eng.fixed[eng.a_level[eng.fixed] == 0]
    ai = g.choice(F, len(seg))
    txy = np.column_stack([g.uniform(-1, 17, len(seg)), g.uniform(-1, 7, len(seg))])
    axy = eng.a_xy[ai]
    walls = eng._walls_by_antenna("L1", ai, txy)
    levels = rf.pair_mean_levels(eng.A, ai, axy, txy, walls, np.zeros(len(ai), bool), eng.params.rf)
    th, off, dead = tag_draws(eng.seed, tags.epc[seg], eng.params.rf)
    got = links.links(eng, ai, seg, axy, txy, walls, tags, None, levels, screened=(th, off, dead))
    want = links.links(eng, ai, seg, axy, txy, walls, tags, None, levels)
    assert len(want[0]) and all(np.array_equal(x, y) for x, y in zip(got, want))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 200), st.booleans())
def test_geometry_groups_are_the_plain_partition(seed, n, slotted):
    from twin.readers.moving import _geometries

    g = np.random.default_rng(seed)
    k = max(1, n // 4)
    x0, y0 = g.choice(np.array([0.5, 1.0, -0.0, 0.0, 2.25]), k), g.choice(np.array([1.0, 3.5, 2.0]), k)
    still = g.random(k) < 0.7
    tags = TagSegments(np.arange(k), epcs(k), np.zeros(k), np.ones(k), np.zeros(k), x0, y0,
                       np.where(still, x0, x0 + 1.0), y0, g.integers(-1, 2, k))
    seg = g.integers(0, k, n)
    slot = g.integers(0, 3, n) * 500_000 if slotted else None
    rep, inv = _geometries(tags, seg, slot)
    rep2, inv2 = fk.geometry_groups(np.zeros(n, np.int64) if slot is None else slot, tags.is_static[seg],
                                    tags.x0[seg].view(np.int64), tags.y0[seg].view(np.int64), tags.container[seg])
    assert len(rep2) == len(rep) and np.array_equal(inv2[rep2], np.arange(len(rep2)))
    same = inv[:, None] == inv[None, :]
    assert np.array_equal(same, inv2[:, None] == inv2[None, :])


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([90.0, np.nan]))
def test_carried_antenna_rows_are_the_plain_rules(seed, aim):
    """A handheld resting then walking along shelves, loose and moving tags about: the same rows and delivery times
    with the compiled passes as on the plain steps (`ReaderEngine.plain`)."""
    from twin.readers.placement import Placement
    from twin.readers.segments import AntennaTrack

    from _floors import shelf_tags

    g = np.random.default_rng(seed)
    f = two_rooms()
    pl = placement()
    h = ant("H", 1, "handheld", (0.0, 0.0), 90.0, height=1.2, bw=90.0, gain=4.0)
    pl = Placement(pl.name, pl.source, 1, f.name, {**pl.readers, "H": Reader("H", "handheld", 20.0, "S0", 200.0,
                                                                               1000.0, (h,))})
    t1 = T0 + 60_000_000
    tags = TagSegments.concat([shelf_tags(60, T0, t1, container=0), shelf_tags(10, T0, t1, x=(5.6, 6.4), container=1,
                                                                             start=100), _legs(g, 20, T0, t1)])
    s = 1_000_000
    x = g.uniform(1, 7, 3)
    tr = AntennaTrack([b"H"] * 3, [1] * 3, [T0 + 5 * s, T0 + 20 * s, T0 + 33 * s], [T0 + 20 * s, T0 + 33 * s,
                      T0 + 50 * s], [0] * 3, x, [4.3] * 3, [x[0], x[2], x[2]], [4.3] * 3, [aim] * 3)
    out = []
    for plain in (False, True):
        eng = ReaderEngine(f, pl, streams=Streams(seed % 5))
        eng.plain = plain
        out.append(eng.generate_with_delivery(T0, t1, tags, tr))
    assert len(out[0][0]) and out[0][0].tobytes() == out[1][0].tobytes()
    assert np.array_equal(out[0][1], out[1][1])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**63 - 1), st.integers(0, 300))
def test_link_on_compiled_fading_hashes_is_the_link(seed, n):
    """`rf.pair_link` given the fading hashes of `fixedkernels.fading_hashes`: the same p and rssi as hashing in
    numpy, and the forward draw the same as `linkcache.forward_fading_db`'s."""
    from twin.readers import rf
    from twin.readers.linkcache import forward_fading_db

    g = np.random.default_rng(seed % 2**32)
    A = rf.AntennaArrays.of([ant("R", i, k, (0.0, 0.0)) for i, k in enumerate(("zone", "shelf", "portal"))],
                            [30.0, 27.0, 30.0])
    P = rf.RFParams()
    ai = g.integers(0, 3, n)
    txy = np.column_stack([g.uniform(-30, 30, n), g.uniform(-30, 30, n)])
    th = g.integers(0, 2**63, n).astype(np.uint64) * np.uint64(3)
    off, dead = g.normal(0, 2, n), g.random(n) < 0.05
    walls, sh = g.integers(0, 4, n), g.random(n) < 0.1
    levels = (g.uniform(-60, 10, n), g.uniform(-100, -30, n))
    h = fk.fading_hashes(np.uint64(seed), A.key[ai], th, txy, P.shadow_cell_m)
    got = rf.pair_link(A, ai, np.zeros((n, 2)), txy, th, off, dead, walls, sh, seed, P, levels=levels, hashes=h)
    want = rf.pair_link(A, ai, np.zeros((n, 2)), txy, th, off, dead, walls, sh, seed, P, levels=levels)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    clip = P.shadow_clip_sigma
    fwd = np.clip(rf.to_normal(h[0]), -clip, clip) * P.shadow_sigma_db
    assert np.array_equal(fwd, forward_fading_db(seed, A.key[ai], txy, th, P))
