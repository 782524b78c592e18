"""Resting tags' links computed once per resting place (`staticpairs.new_static`) equal the per-tag computation they
replaced: every (tag, antenna) pair in range, the wall-free screen, walls counted from the floor, then the screens
and the exact link of `links.links`. Same pairs, same order, same bits."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.engine import ReaderEngine
from twin.readers.links import free_reach, links
from twin.readers.placement import Placement
from twin.readers.segments import TagSegments
from twin.readers.staticpairs import new_static, seg_keys
from twin.rng import Streams

from _floors import epcs, placement, two_rooms


def per_tag(eng, idx, keys, tags):
    """The per-tag form: (key, antenna, p, rssi) of every kept pair, tag-major, antennas in order."""
    uk, first = np.unique(keys, return_index=True)
    idx = idx[first]
    out = [], [], [], []
    for lv in np.unique(tags.level[idx]):
        s, sk = idx[tags.level[idx] == lv], uk[tags.level[idx] == lv]
        fa = eng.fixed[eng.a_level[eng.fixed] == lv]
        if not len(fa):
            continue
        d = np.hypot(tags.x0[s][:, None] - eng.a_xy[fa, 0], tags.y0[s][:, None] - eng.a_xy[fa, 1])
        ci, ca = np.nonzero(d <= eng.a_range[fa])
        seg, ai = s[ci], fa[ca]
        txy = np.column_stack([tags.x0[seg], tags.y0[seg]])
        ok = free_reach(eng, ai, tags.container[seg], eng.a_xy[ai], txy)
        ci, seg, ai, txy = ci[ok], seg[ok], ai[ok], txy[ok]
        walls = eng.floor.walls_crossed(eng.level_ids[lv], eng.a_xy[ai], txy)
        k, p, r = links(eng, ai, seg, eng.a_xy[ai], txy, walls, tags, None)
        out[0].append(sk[ci[k]])
        out[1].append(ai[k])
        out[2].append(p)
        out[3].append(r)
    z = (np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    return [np.concatenate(x) if x else e for x, e in zip(out, z)]


def _placement(isolated: bool) -> Placement:
    pl = placement()
    if not isolated:
        return pl
    r = pl.readers["R-cab"]  # the cabinet's own antenna walled in by its bay
    a = dataclasses.replace(r.antennas[0], isolation_db=30.0)
    return dataclasses.replace(pl, readers={**pl.readers, "R-cab": dataclasses.replace(r, antennas=(a,))})


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 300), st.booleans())
def test_links_per_place_equal_links_per_tag(seed, n, isolated):
    g = np.random.default_rng(seed)
    places = np.array([[2.0, 5.0, 0], [6.0, 5.0, 1], [3.5, 2.0, -1], [12.0, 4.0, -1], [7.9, 3.1, -1]])
    pick = g.integers(0, len(places) + 1, n)  # a few shared places, and some tags anywhere
    xy = np.column_stack([g.uniform(0.2, 15.8, n), g.uniform(0.2, 5.8, n)])
    c = np.full(n, -1)
    at = pick < len(places)
    xy[at], c[at] = places[pick[at], :2], places[pick[at], 2].astype(int)
    level = (g.random(n) < 0.1).astype(int)  # some upstairs (no fixed antenna there)
    tags = TagSegments(np.arange(n), epcs(n), np.zeros(n, np.int64), np.ones(n, np.int64), level, xy[:, 0],
                       xy[:, 1], xy[:, 0], xy[:, 1], c)
    eng = ReaderEngine(two_rooms(), _placement(isolated), streams=Streams(seed % 5))
    idx = np.arange(n)
    keys = seg_keys(eng, tags, idx)
    new_static(eng, idx, keys, tags)
    assert not eng.pairs.missing(keys).any()
    k, a, p, r = per_tag(eng, idx, keys, tags)
    o = np.argsort(k, kind="stable")  # the cache holds pairs sorted by key, a key's pairs in their order
    assert np.array_equal(eng.pairs.k, k[o]) and np.array_equal(eng.pairs.ant, a[o])
    assert np.array_equal(eng.pairs.p, p[o]) and np.array_equal(eng.pairs.r, r[o])


def test_pair_cache_merge_keeps_keys_sorted_and_pairs_in_order():
    eng = ReaderEngine(two_rooms(), placement(), streams=Streams(1))
    pc = eng.pairs
    pc.put(np.array([5, 1], np.uint64), np.array([5, 1, 5], np.uint64), np.array([0, 1, 2], np.int32), np.ones(3),
           np.zeros(3))
    pc.put(np.array([3, 9, 7], np.uint64), np.array([9, 3, 9], np.uint64), np.array([3, 4, 5], np.int32),
           np.ones(3), np.zeros(3))
    assert pc.known.tolist() == [1, 3, 5, 7, 9] and pc.k.tolist() == [1, 3, 5, 5, 9, 9]
    assert pc.ant.tolist() == [1, 4, 0, 2, 3, 5]
    q, ant, _, _ = pc.gather(np.array([9, 7, 5], np.uint64))
    assert q.tolist() == [0, 0, 2, 2] and ant.tolist() == [3, 5, 0, 2]


def _carried_per_pair(eng, h, lvl, seg, axy, txy, tags):
    """The per-pair form of `moving._carried_links`: range, wall-free screen, walls, then `links.links`."""
    from twin.readers.linkcache import walls_between

    m = np.flatnonzero(np.hypot(txy[:, 0] - axy[:, 0], txy[:, 1] - axy[:, 1]) <= eng.a_range[h])
    m = m[free_reach(eng, np.full(len(m), h, np.int64), tags.container[seg[m]], axy[m], txy[m])]
    walls = walls_between(eng.floor, eng.level_ids[lvl], axy[m], txy[m])
    k, p, r = links(eng, np.full(len(m), h, np.int64), seg[m], axy[m], txy[m], walls, tags, np.ones(len(m), bool))
    ok, pa, ra = np.zeros(len(seg), bool), np.zeros(len(seg)), np.zeros(len(seg))
    ok[m[k]], pa[m[k]], ra[m[k]] = True, p, r
    return ok, pa, ra


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 120), st.integers(1, 12))
def test_carried_links_per_geometry_equal_links_per_pair(seed, n, n_slots):
    """A handheld at a few points (slots) x resting tags at shared places and moving tags: `_carried_links`
    (once per geometry) gives every pair the link the per-pair form gives it."""
    from twin.readers.moving import _carried_links
    from twin.readers.placement import Reader

    from _floors import ant

    g = np.random.default_rng(seed)
    f = two_rooms()
    h = ant("H", 1, "handheld", (4.0, 3.0), 90.0, height=1.0, gain=1.0)
    pl = Placement("hh", "<t>", 1, f.name, {"H": Reader("H", "handheld", 27.0, "S0", 1000.0, 1000.0, (h,))})
    eng = ReaderEngine(f, pl, streams=Streams(seed % 5))
    places = np.array([[2.0, 5.0, 0], [6.0, 5.0, 1], [3.5, 2.0, -1], [9.0, 4.0, -1]])
    pick = g.integers(0, len(places), n)
    x0, y0, c = places[pick, 0], places[pick, 1], places[pick, 2].astype(int)
    mv = g.random(n) < 0.2  # some carried along a leg
    x1, y1 = np.where(mv, x0 + g.uniform(-2, 2, n), x0), np.where(mv, y0 + g.uniform(-1, 1, n), y0)
    tags = TagSegments(np.arange(n), epcs(n), np.zeros(n, np.int64), np.full(n, 10**6), np.zeros(n, int), x0, y0,
                       x1, y1, np.where(mv, -1, c))
    seg = np.repeat(np.arange(n), n_slots)
    mid = np.tile(np.sort(g.integers(0, 10**6, n_slots)), n)
    pts = np.column_stack([g.uniform(1, 15, n_slots), g.uniform(1, 5, n_slots)])
    axy = pts[np.searchsorted(np.unique(mid), mid)]
    txy = tags.position(seg, mid)
    a = _carried_links(eng, 0, 0, seg, axy, txy, tags, mid)
    b = _carried_per_pair(eng, 0, 0, seg, axy, txy, tags)
    for x, y in zip(a, b):
        assert np.array_equal(x, y)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 60), st.integers(1, 40))
def test_fading_screen_equals_plain_rule(seed, n_tags, n_rows):
    """The compiled forward-fading screen keeps the pairs numpy's exact rule keeps, in its order, also with
    thresholds at and around the clip bounds and draws just at the threshold (the borderline pairs)."""
    from twin.readers.linkcache import forward_fading_db
    from twin.readers.staticpairs import fading_screen, fading_screen_py

    g = np.random.default_rng(seed)
    eng = ReaderEngine(two_rooms(), placement(), streams=Streams(seed % 7))
    P = eng.params.rf
    nA = len(eng.ant)
    pxy = np.column_stack([g.uniform(0, 16, 9), g.uniform(0, 6, 9)])
    ci = np.sort(g.integers(0, 9, n_rows))
    ai = g.integers(0, nA, n_rows)
    th = g.integers(0, 2**63, n_tags + 1).astype(np.uint64)
    off = g.normal(0, 2, n_tags + 1)
    alive = np.sort(g.choice(n_tags + 1, n_tags, replace=False)) if n_tags else np.zeros(0, np.int64)
    lo = np.searchsorted(ci, np.arange(9))[g.integers(0, 9, n_tags)] if n_tags else np.zeros(0, np.int64)
    hi = np.minimum(lo + g.integers(0, 6, len(lo)), n_rows)
    base = P.tag_sensitivity_dbm + rf_min_margin(P)
    need = g.choice([-P.shadow_clip_sigma, P.shadow_clip_sigma, 0.0, 1.3], n_rows) + g.normal(0, 1e-7, n_rows)
    p_tag = base - need * P.shadow_sigma_db  # thresholds near the clip bounds and inside
    if n_tags and n_rows:  # one pair exactly at its draw: the threshold is its own fading
        t0, r0 = alive[0], (lo[0] if hi[0] > lo[0] else None)
        if r0 is not None:
            fwd = forward_fading_db(eng.seed, eng.A.key[ai[[r0]]], pxy[ci[[r0]]], th[[t0]], P)[0]
            p_tag[r0] = P.tag_sensitivity_dbm + off[t0] + rf_min_margin(P) - fwd
    p_tag = p_tag + g.choice([0.0, 0.0, 5.0, -5.0], n_rows)
    a = fading_screen(eng, alive, lo, hi, ci, pxy, ai, th, off, p_tag)
    b = fading_screen_py(eng, alive, lo, hi, ci, pxy, ai, th, off, p_tag)
    for x, y in zip(a, b):
        assert np.array_equal(x, y)


def rf_min_margin(P):
    from twin.readers.rf import min_margin_db

    return min_margin_db(P)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 20))
def test_places_of_few_segments_equal_lexsort_rule(seed, n):
    """`places` for a few segments (a sort of Python tuples) gives the lexsort rule's places and order, with
    repeated points, containers and signed zeros."""
    from twin.readers.staticpairs import places, places_py

    g = np.random.default_rng(seed)
    pts = np.array([0.0, -0.0, 1.5, -2.25, 3.0])
    xy = pts[g.integers(0, len(pts), (n, 2))]
    c = g.integers(-1, 2, n)
    tags = TagSegments(np.arange(n), epcs(n), np.zeros(n, np.int64), np.ones(n, np.int64), np.zeros(n, np.int64),
                       xy[:, 0], xy[:, 1], xy[:, 0], xy[:, 1], c)
    s = g.permutation(n)[: g.integers(1, n + 1)]  # callers ask for at least one segment
    a, b = places(tags, s), places_py(tags, s)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_point_walls_small_and_repeated_sets_count_as_the_floor():
    """`PointWalls.walls` counted directly (a few pairs) or through its memo of repeated points: the floor's counts."""
    eng = ReaderEngine(two_rooms(), placement(), streams=Streams(1))
    g = np.random.default_rng(3)
    lv = eng.level_ids[0]
    for n in (1, 7, 300, 2000):
        pts = np.column_stack([g.uniform(0, 16, 40), g.uniform(0, 6, 40)])[g.integers(0, 40, n)]
        ai = eng.fixed[g.integers(0, len(eng.fixed), n)]
        want = eng.floor.walls_crossed(lv, eng.a_xy[ai], pts)
        assert np.array_equal(eng._point_walls.walls(lv, ai, pts), want)
