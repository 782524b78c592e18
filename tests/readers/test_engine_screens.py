"""Read engine shortcuts are exact: the fading screen, per-antenna wall culling and the (slot, antenna) level matrix
give what the plain formulas give, and a chunked run stays byte-identical for a seed."""

from __future__ import annotations

import hashlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers import rf
from twin.readers.engine import ReaderEngine
from twin.readers.segments import TagSegments
from twin.rng import Streams

from _floors import epcs, placement, shelf_tags, two_rooms

T0 = 1_700_000_000_000_000
MIN = 60_000_000


def _engine(seed: int = 3) -> ReaderEngine:
    return ReaderEngine(two_rooms(), placement(), streams=Streams(seed))


def test_forward_fading_screen_keeps_every_pair_above_p_floor():
    eng, P = _engine(), rf.RFParams()
    g = np.random.default_rng(0)
    n = 20_000
    ai = g.choice(eng.fixed, n)
    txy = np.column_stack([g.uniform(0, 16, n), g.uniform(0, 6, n)])
    e = epcs(n)
    th = rf.tag_hash(eng.seed, e)
    off, dead = rf.tag_quality(eng.seed, e, P)
    walls = two_rooms().walls_crossed("L1", eng.a_xy[ai], txy)
    p, _ = rf.pair_link(eng.A, ai, eng.a_xy[ai], txy, th, off, dead, walls, np.zeros(n, bool), eng.seed, P)
    p_tag, _ = rf.pair_mean_levels(eng.A, ai, eng.a_xy[ai], txy, walls, np.zeros(n, bool), P)
    kept = (p_tag + eng._forward_fading_db(ai, txy, th) - (P.tag_sensitivity_dbm + off) >= rf.min_margin_db(P)) & ~dead
    assert np.all(kept[p >= P.p_floor])  # never drops a pair in field
    assert (~kept).sum() > n // 4  # and it does drop many


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_walls_counted_per_antenna_box_equal_the_floor_count(seed):
    eng = _engine()
    g = np.random.default_rng(seed)
    n = 300
    ai = g.choice(eng.fixed, n)
    txy = np.column_stack([g.uniform(-1, 17, n), g.uniform(-6, 7, n)])
    assert np.array_equal(eng._walls_by_antenna("L1", ai, txy), eng.floor.walls_crossed("L1", eng.a_xy[ai], txy))


def test_level_matrix_equals_flat_lookup():
    eng = _engine()
    g = np.random.default_rng(1)
    xy = np.column_stack([g.uniform(0, 16, 50), g.uniform(0, 6, 50)])
    F = eng.fixed[eng.a_level[eng.fixed] == 0]
    cell = eng.walls.cells(0, xy)
    pm, rm, w = eng.walls.levels_at(0, F[None, :], cell[:, None])
    ai = np.repeat(F[None, :], len(xy), axis=0).ravel()
    fp, fr, fw = eng.walls.mean_levels(0, ai, np.repeat(xy, len(F), axis=0))
    assert np.array_equal(pm.ravel().astype(float), fp) and np.array_equal(rm.ravel().astype(float), fr)
    assert np.array_equal(w.ravel(), fw)


def test_moving_and_resting_tags_over_chunks_byte_identical_for_a_seed():
    f, pl = two_rooms(), placement()
    shelf = shelf_tags(100, T0, T0 + 3 * MIN)
    n = 12
    mv = TagSegments(np.arange(500, 500 + n), epcs(n, 500), np.full(n, T0), np.full(n, T0 + 3 * MIN), np.zeros(n),
                     np.linspace(0.5, 15.5, n), np.full(n, 1.0), np.linspace(15.5, 0.5, n), np.full(n, 5.5),
                     np.full(n, -1))
    tags = TagSegments.concat([shelf, mv])

    def run(seed):
        eng, h = ReaderEngine(f, pl, streams=Streams(seed)), hashlib.sha256()
        for c in range(3):
            rows, dl = eng.generate_with_delivery(T0 + c * MIN, T0 + (c + 1) * MIN, tags)
            h.update(rows.tobytes())
            h.update(dl.tobytes())
        return h.hexdigest(), rows

    a, rows = run(5)
    assert np.isin(rows["epc"], epcs(n, 500)).any()  # the moving tags are read
    assert run(5)[0] == a and run(6)[0] != a


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 64))
def test_walls_between_blocks_equal_the_floor_count(seed, block):
    from twin.readers.linkcache import walls_between

    f, g = two_rooms(), np.random.default_rng(seed)
    n = 200
    a = np.column_stack([g.uniform(-1, 17, n), g.uniform(-1, 7, n)])
    t = np.column_stack([g.uniform(-1, 17, n), g.uniform(-1, 7, n)])
    assert np.array_equal(walls_between(f, "L1", a, t, block), f.walls_crossed("L1", a, t))
    one = np.tile(a[0], (n, 1))  # a resting antenna: one point to many
    assert np.array_equal(walls_between(f, "L1", one, t, block), f.walls_crossed("L1", one, t))


def test_point_walls_shared_points_and_repeats_equal_the_floor_count():
    eng, g = _engine(), np.random.default_rng(7)
    pts = np.column_stack([g.uniform(0, 16, 12), g.uniform(0, 6, 12)])  # few points, many tags on each
    for _ in range(3):  # later calls come (partly) from the memory
        n = 400
        ai = g.choice(eng.fixed, n)
        txy = pts[g.integers(0, len(pts), n)]
        assert np.array_equal(eng._walls_by_antenna("L1", ai, txy), eng.floor.walls_crossed("L1", eng.a_xy[ai], txy))
    assert len(eng._point_walls._d) <= len(eng.fixed) * len(pts)


def test_carried_links_are_per_pair_so_one_per_resting_tag_serves_every_slot():
    from twin.readers.moving import _carried_links

    from twin.readers.placement import Placement, Reader
    from _floors import ant

    f = two_rooms()
    h = ant("H", 1, "handheld", (4.0, 3.0), 90.0, height=1.0, gain=1.0)
    pl = Placement("hh", "<t>", 1, f.name, {"H": Reader("H", "handheld", 27.0, "S0", 1000.0, 1000.0, (h,))})
    eng = ReaderEngine(f, pl, streams=Streams(2))
    tags = shelf_tags(60, T0, T0 + MIN)
    seg = np.arange(len(tags))
    axy = np.tile([4.0, 3.0], (len(seg), 1))
    txy = np.column_stack([tags.x0, tags.y0])
    one = _carried_links(eng, 0, 0, seg, axy, txy, tags)
    rep = np.repeat(seg, 3)
    three = _carried_links(eng, 0, 0, rep, axy[rep], txy[rep], tags)
    assert one[0].any()
    for a, b in zip(one, three):
        assert np.array_equal(a[rep], b)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from([1_000_000, 2_000_000, 5_000_000, 10_000_000, 60_000_000]), min_size=1, max_size=6),
       st.integers(0, 59_000_000), st.lists(st.integers(0, 40), min_size=1, max_size=5))
def test_windows_memo_equals_fresh_windows(periods, off, steps):
    from twin.readers.timegrid import windows

    P = np.array(periods, np.int64)
    so = np.minimum(np.full(len(P), off), P - 1)
    sl = np.maximum(P // 3, 1)
    memo: dict = {}
    t0 = T0
    for s in steps:  # chunks moved by whole minutes (memo hits) or by odd amounts (misses)
        t0 += s * MIN + (0 if s % 2 else 1_500_000)
        fresh = windows(t0, t0 + MIN, P, {}, so, sl)
        got = windows(t0, t0 + MIN, P, {}, so, sl, memo)
        assert all(np.array_equal(a, b) for a, b in zip(fresh, got))
