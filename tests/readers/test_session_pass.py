"""The fused session step (`sessionpass.session_rows`) against its plain steps (`session_rows_py`): from the same
Generator state the same rows to the bit, the same session state after, and the Generator left in the same state;
and its pieces (numpy's reduceat sum, the state merge) against numpy."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.gen2 import Gen2Params
from twin.readers.sessionpass import merge_state, reduceat_sum, session_rows, session_rows_py
from twin.readers.sessions import SessionState


def _exposures(g, n, scale, carried):
    """Exposures of a few readers (session codes 1 or 2) with several antennas, tags and periods, as the engine
    hands them over (any order), and an engine stand-in with a session state (flags carried over or not)."""
    n_rdr = int(g.integers(1, 4))
    rdr = g.integers(0, n_rdr, n)
    ant = rdr * 4 + g.integers(0, 3, n)
    tag = g.integers(0, max(2, n // 3), n) + 100
    per = g.integers(0, 4, n) + 1000
    s0 = 1_700_000_000_000_000 + per * 10_000_000 + g.integers(0, 5_000_000, n)
    s1 = s0 + g.integers(1, 5_000_000, n)
    lam = g.exponential(scale, n) * (g.random(n) < 0.9)
    code = np.where(rdr % 2 == 0, 2, 1)
    state = SessionState()
    if carried:
        ks = np.unique((rdr << 44) | tag)[::2].astype(np.int64)
        state.update(ks, s0.min() + g.integers(-10**7, 10**7, len(ks)), g.random(len(ks)) < 0.5,
                     s0.min() - g.integers(0, 10**7, len(ks)))
    eng = SimpleNamespace(params=SimpleNamespace(gen2=Gen2Params()), state=state)
    rows = np.flatnonzero(g.random(n) < 0.9)
    return eng, (rows, lam, s0, s1, g.random(n) < 0.4, g.random(n) < 0.15, ant, per, tag, rdr, code)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 400), st.sampled_from([0.3, 4.0, 40.0]), st.booleans())
def test_session_rows_same_as_plain_steps(seed, n, scale, carried):
    """Also with flicker rates >= 10 and groups of over 30 reads (scale 40): the numpy rules take over."""
    g = np.random.default_rng(seed)
    eng, args = _exposures(g, n, scale, carried)
    if not len(args[0]):
        return
    ref = copy.deepcopy(eng)
    a, b = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    out = session_rows(eng, *args, a)
    exp = session_rows_py(ref, *args, b)
    assert all(np.array_equal(x, y) and x.dtype == y.dtype for x, y in zip(out, exp))
    for f in ("keys", "elig_us", "armed", "seen_us"):
        assert np.array_equal(getattr(eng.state, f), getattr(ref.state, f))
    assert a.random() == b.random()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 600), st.integers(1, 40))
def test_reduceat_sum_is_numpys(seed, n, k):
    """Segments of 1 to hundreds of values over many magnitudes: numpy's pairwise sums to the bit."""
    g = np.random.default_rng(seed)
    a = g.random(n) * 10.0 ** g.uniform(-6, 6, n)
    starts = np.unique(np.r_[0, g.integers(0, n, k)]).astype(np.int64)
    assert np.array_equal(reduceat_sum(a, starts), np.add.reduceat(a, starts))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 50), st.integers(1, 50))
def test_merge_state_is_update(seed, S, U):
    g = np.random.default_rng(seed)
    state = SessionState()
    if S:
        k = np.unique(g.integers(0, 100, S)).astype(np.int64)
        state.update(k, g.integers(0, 9, len(k)), g.random(len(k)) < 0.5, g.integers(0, 9, len(k)))
    uk = np.unique(g.integers(0, 100, U)).astype(np.int64)
    ue, ua, us = g.integers(0, 9, len(uk)), g.random(len(uk)) < 0.5, g.integers(0, 9, len(uk))
    got = merge_state(state.keys.astype(np.int64), state.elig_us.astype(np.int64), state.armed.astype(bool),
                      state.seen_us.astype(np.int64), uk, ue, ua, us)
    state.update(uk, ue, ua, us)
    for x, f in zip(got, ("keys", "elig_us", "armed", "seen_us")):
        assert np.array_equal(x, getattr(state, f))
