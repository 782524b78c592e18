"""The engine's fused session step (`sessionfuse.sessions_fused`) against its plain steps (`ReaderEngine.
_sessions_py`): exposures of S0, S1, S2 and S3 readers mixed, some given, flags carried over or not; from the same
Generator state the same rows to the bit, the same session state after, and the Generator left in the same state."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.engine import ReaderEngine
from twin.readers.gen2 import Gen2Params
from twin.readers.sessionfuse import sessions_fused
from twin.readers.sessions import SessionState

T0 = 1_700_000_000_000_000


def _case(g, n, scale, carried):
    n_rdr = int(g.integers(1, 5))
    n_ant = 3 * n_rdr
    a_reader = np.repeat(np.arange(n_rdr), 3)
    r_code = g.integers(0, 3, n_rdr) if g.random() < 0.8 else np.zeros(n_rdr, np.int64)  # 2: S2/S3
    n_win = int(g.integers(1, 12))
    wa = np.sort(g.integers(0, n_ant, n_win))
    wk = g.integers(0, 4, n_win) + 1000
    w = g.integers(0, n_win, n)
    seg = g.integers(0, max(2, n // 2), n)
    tagid = np.arange(max(2, n // 2)) + 100
    s0 = T0 + wk[w] * 10_000_000 + g.integers(0, 5_000_000, n)
    s1 = s0 + g.integers(1, 5_000_000, n)
    lam = g.exponential(scale, n) * (g.random(n) < 0.9)
    given_ = g.random(n) < 0.15
    lam = np.where(given_, np.ceil(lam), lam)
    ex = (w, seg, lam, g.normal(-60, 5, n), s0, s1, g.random(n) < 0.4, given_, tagid)
    state = SessionState()
    if carried and n:
        k = np.unique((a_reader[wa[w]].astype(np.int64) << 44) | tagid[seg])[::2]
        state.update(k, s0.min() + g.integers(-10**7, 10**7, len(k)), g.random(len(k)) < 0.5,
                     s0.min() - g.integers(0, 10**7, len(k)))
    eng = SimpleNamespace(params=SimpleNamespace(gen2=Gen2Params()), state=state, a_reader=a_reader,
                          r_code=r_code.astype(np.int64), plain=True)
    return eng, ex, wa, wk


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**31), st.integers(0, 300), st.sampled_from([0.05, 0.5, 3.0, 40.0]), st.booleans())
def test_fused_sessions_equal_plain_steps(seed, n, scale, carried):
    g = np.random.default_rng(seed)
    eng, ex, wa, wk = _case(g, n, scale, carried)
    eng2 = copy.deepcopy(eng)
    ra, rb = np.random.default_rng(seed), np.random.default_rng(seed)
    a = ReaderEngine._sessions_py(eng, ex, wa, wk, ra)
    b = sessions_fused(eng2, ex, wa, wk, rb)
    assert (a is None) == (b is None)
    if a is not None:
        for x, y in zip(a, b):
            assert np.array_equal(x, y)
    for f in ("keys", "elig_us", "armed", "seen_us"):
        assert np.array_equal(getattr(eng.state, f), getattr(eng2.state, f))
    assert ra.bit_generator.state == rb.bit_generator.state


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**31), st.integers(0, 400), st.sampled_from([0.01, 0.3, 1.0, 3.0, 50.0, 900.0]))
def test_fused_s0_reads_equal_numpy_rule(seed, n, scale):
    """`sessionfuse.s0_reads_fused` against `sessions.s0_reads`: the same rows, counts, times and draws."""
    from twin.readers.sessionfuse import s0_reads_fused
    from twin.readers.sessions import s0_reads

    g = np.random.default_rng(seed)
    lam = g.exponential(scale, n) * (g.random(n) < 0.8)
    s0 = T0 + g.integers(0, 10**8, n)
    s1 = s0 + g.integers(1, 10**8, n)
    ra, rb = np.random.default_rng(seed), np.random.default_rng(seed)
    for x, y in zip(s0_reads(ra, lam, s0, s1), s0_reads_fused(rb, lam, s0, s1)):
        assert np.array_equal(x, y) and x.dtype == y.dtype
    assert ra.bit_generator.state == rb.bit_generator.state


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 300), st.booleans())
def test_merged_pieces_equal_numpy_rule(seed, n, wide):
    """`ReaderEngine._exposures` (compiled merge) against `_exposures_py`: pieces of a few windows and tags, repeated
    (window, tag) with several pieces, zero lam, keys too wide to pack (the numpy rule then)."""
    g = np.random.default_rng(seed)
    tags = SimpleNamespace(tag=np.arange(60) * (2**50 if wide else 1) + 7)
    w = g.integers(0, 9, n)
    seg = g.integers(0, 60, n)
    s0 = T0 + g.integers(0, 10**8, n)
    s1 = s0 + g.integers(1, 10**7, n)
    lam = g.exponential(1.0, n) * (g.random(n) < 0.85)
    r = g.normal(-60, 8, n)
    steady = g.random(n) < 0.5
    eng = ReaderEngine.__new__(ReaderEngine)  # the two rules need nothing of an engine but `plain`
    eng.plain = False
    a = eng._exposures(w, seg, lam, r, s0, s1, steady, tags)
    b = eng._exposures_py(w, seg, lam, r, s0, s1, steady, tags)
    for x, y in zip(a, b):
        assert np.array_equal(x, y) and x.dtype == y.dtype
