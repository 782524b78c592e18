"""The compiled session rules (`sessionkernels`) against the numpy rules they replaced (`sessions`, compiled=False):
from the same Generator state, the same counts, times and flags carried over to the bit, and the Generator left in
the same state (the same draws)."""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.sessions import SessionState, session_reads, split

TAU, RESET = 2e6, 3e6


def _close(a, b, tol=0):
    return len(a) == len(b) and bool(np.all(np.abs(np.asarray(a, np.int64) - np.asarray(b, np.int64)) <= tol))


def _groups(g, G, scale=4.0):
    """Groups sorted by key then time, as the engine hands them over: a few keys, each over several periods."""
    nkeys = max(1, G // 3)
    key = np.sort(g.integers(0, nkeys, G)) + 7
    t = np.zeros(G, np.int64)
    for k in np.unique(key):  # consecutive periods of one key
        i = np.flatnonzero(key == k)
        t[i] = np.arange(len(i)) * 10_000_000 + g.integers(0, 5_000_000)
    s0 = 1_700_000_000_000_000 + t
    s1 = s0 + g.integers(100_000, 10_000_000, G)
    lam = g.exponential(scale, G) * (g.random(G) < 0.9)
    return (g.random(G) < 0.5, key, lam, s0, s1, g.random(G) < 0.4, g.random(G) < 0.15)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 300), st.booleans(), st.sampled_from([4.0, 40.0]))
def test_session_reads_same_as_numpy(seed, G, carried, scale):
    """Also with flicker rates >= 10 (scale 40), where the compiled rule hands over to the numpy rule."""
    g = np.random.default_rng(seed)
    s1_mode, key, lam, s0, s1, steady, gv = _groups(g, G, scale)
    st1 = SessionState()
    if carried:  # flags from an earlier call: some keys known, armed or not, eligible later
        ks = np.unique(key)[::2]
        st1.update(ks.astype(np.int64), s0.min() + g.integers(-10**7, 10**7, len(ks)), g.random(len(ks)) < 0.5,
                   s0.min() - g.integers(0, 10**7, len(ks)))
    st2 = copy.deepcopy(st1)
    a, b = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    n1, f1, l1 = session_reads(s1_mode, key, lam, s0, s1, steady, gv, st1, a, TAU, RESET, compiled=True)
    n2, f2, l2 = session_reads(s1_mode, key, lam, s0, s1, steady, gv, st2, b, TAU, RESET, compiled=False)
    assert np.array_equal(n1, n2)
    assert _close(f1, f2) and _close(l1, l2)
    assert np.array_equal(st1.keys, st2.keys) and np.array_equal(st1.armed, st2.armed)
    assert _close(st1.elig_us, st2.elig_us) and np.array_equal(st1.seen_us, st2.seen_us)
    assert a.random() == b.random()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 300))
def test_split_same_as_numpy(seed, G):
    g = np.random.default_rng(seed)
    size = g.integers(1, 5, G)  # members (antennas) per group
    grp = np.repeat(np.arange(G), size)
    lam = g.exponential(2.0, len(grp))
    n = g.integers(0, 40, G)  # above 30 reads the compiled form hands over to the numpy rule
    first = g.integers(0, 10**9, G)
    last = first + g.integers(0, 10**7, G) * (n > 1)
    a, b = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    m1, f1, l1 = split(a, grp, lam, n, first, last, compiled=True)
    m2, f2, l2 = split(b, grp, lam, n, first, last, compiled=False)
    assert np.array_equal(m1, m2) and np.array_equal(f1, f2) and np.array_equal(l1, l2)
    assert np.array_equal(np.bincount(grp, m1, minlength=G).astype(np.int64), n)  # every read goes to a member
    assert a.random() == b.random()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 600), st.integers(1, 40))
def test_groups_equal_numpy_reductions(seed, n, n_groups):
    """`sessionkernels.group_rows` against the numpy boundaries and min/max reductions it replaced."""
    from twin.readers.sessionkernels import group_rows

    g = np.random.default_rng(seed)
    key = np.sort(g.integers(0, n_groups, n))
    per = np.zeros(n, np.int64)
    g.exponential(1.0, n), g.uniform(-6, 6, n)  # drawn only to keep the generator where the cases below expect it
    s0 = g.integers(0, 10**9, n)
    s1 = s0 + g.integers(1, 10**6, n)
    steady, gvn, s1m = g.random(n) < 0.5, g.random(n) < 0.8, g.random(n) < 0.5
    b = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    starts, gk, g0, g1, gst, gv, gs1, grp = group_rows(key, per, s0, s1, steady, gvn, s1m)
    assert np.array_equal(starts, b) and np.array_equal(gk, key[b])
    assert np.array_equal(g0, np.minimum.reduceat(s0, b)) and np.array_equal(g1, np.maximum.reduceat(s1, b))
    assert np.array_equal(gst, np.maximum.reduceat(steady.astype(np.int8), b).astype(bool))
    assert np.array_equal(gv, np.minimum.reduceat(gvn.astype(np.int8), b).astype(bool))
    assert np.array_equal(gs1, s1m[b]) and np.array_equal(grp, np.cumsum(np.r_[True, key[1:] != key[:-1]]) - 1)
