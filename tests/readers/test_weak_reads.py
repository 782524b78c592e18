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
