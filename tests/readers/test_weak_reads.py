"""The compiled reads of rarely read resting pairs (`airtime.weak_reads`) against the plain rule (`weak_reads_py`):
from the same uniforms the same exposures to the bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.airtime import weak_reads, weak_reads_py


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(1, 60), st.integers(1, 500),
       st.sampled_from([1_000, 60_000_000, 3_600_000_000]))
def test_weak_reads_same_as_plain_rule(seed, n_ant, n_pairs, n, chunk_us):
    g = np.random.default_rng(seed)
    per_ant = g.integers(0, 4, n_ant)  # windows per antenna (some none), sorted by antenna
    lo = np.r_[0, np.cumsum(per_ant)[:-1]].astype(np.int64)
    hi = (lo + per_ant).astype(np.int64)
    nW = int(per_ant.sum())
    if not nW:
        return
    wa = np.repeat(np.arange(n_ant), per_ant)
    ws = np.sort(g.integers(0, chunk_us, nW)).astype(np.int64) + 1_700_000_000_000_000
    dur = g.integers(1, max(2, chunk_us // 4), nW).astype(np.float64)
    rate = g.random(nW) * (g.random(nW) < 0.9)
    cum0 = np.r_[0.0, np.cumsum(rate * dur)]
    sa = g.choice(wa, n_pairs)  # pairs of antennas with windows
    lam = g.exponential(1.0, n_pairs)
    i = np.flatnonzero(g.random(n_pairs) < 0.7)
    if not len(i):
        return
    cl = np.cumsum(lam[i])
    tot = float(cl[-1])
    seg, sr = g.integers(0, 10**6, n_pairs), g.normal(-60, 5, n_pairs)
    u1, u2, u3 = g.random(n), g.random(n), g.random(n)
    got = weak_reads(u1, u2, u3, tot, cl, i, sa, lo, hi, cum0, ws, dur, seg, sr)
    exp = weak_reads_py(u1, u2, u3, tot, cl, i, sa, lo, hi, cum0, ws, dur, seg, sr)
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(got, exp))


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.integers(0, 300), st.booleans())
def test_plan_pass_same_as_plain_rule(seed, n_ant, n_pairs, mixed_q):
    """Antennas with no window, one Q or (mixed_q) several Q over their windows; pairs well and rarely read."""
    from types import SimpleNamespace

    from twin.readers.airtime import _plan, _plan_py
    from twin.readers.engine import EngineParams

    g = np.random.default_rng(seed)
    per_ant = g.integers(0, 5, n_ant)
    wa = np.repeat(np.arange(n_ant), per_ant).astype(np.int64)
    nW = len(wa)
    ws = np.sort(g.integers(0, 60_000_000, nW)).astype(np.int64)
    we = ws + g.integers(1, 20_000_000, nW)
    q_ant = g.integers(0, 6, n_ant)
    qi = q_ant[wa] + (g.integers(0, 3, nW) if mixed_q else 0)
    P = EngineParams()
    L = np.exp2((P.gen2.q_min + qi).astype(np.float64))
    rate = g.random(nW) * 1e-5 * (g.random(nW) < 0.9)
    sa = g.integers(0, n_ant, n_pairs).astype(np.int32)
    sp = g.random(n_pairs) ** 3
    eng = SimpleNamespace(ant=[None] * n_ant, params=P, plain=False)
    got = _plan(eng, sa, sp, wa, ws, we, L, qi, rate)
    exp = _plan_py(eng, sa, sp, wa, ws, we, L, qi, rate)
    assert set(got) == set(exp)
    for k in exp:
        a, b = np.asarray(got[k]), np.asarray(exp[k])
        assert np.array_equal(a, b) and (a.dtype == b.dtype or k == "tot"), k
