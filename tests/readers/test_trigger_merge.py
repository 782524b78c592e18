"""The compiled union of trigger intervals (`triggers.merge`) against the plain rule (`merge_py`)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.triggers import merge, merge_py


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 200), st.integers(1, 8), st.sampled_from([10, 1000, 10**8]))
def test_merge_same_as_plain_rule(seed, n, owners, span):
    """Touching, nested, equal and overlapping intervals of a few owners in any order."""
    g = np.random.default_rng(seed)
    owner = g.integers(0, owners, n)
    lo = g.integers(0, span, n)
    hi = lo + g.integers(1, max(2, span // 4), n)
    a, b = merge(owner, lo, hi), merge_py(owner, lo, hi)
    assert list(a) == list(b)
    assert all(np.array_equal(a[k], b[k]) and a[k].dtype == b[k].dtype and a[k].shape == b[k].shape for k in a)


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 60), st.integers(1, 6))
def test_gpi_intervals_compiled_same_as_plain_steps(seed, n, R):
    """Legs passing, touching, standing (static legs are not people walking) near door sensors on two levels, with
    carry-over from the chunk before."""
    from twin.readers.segments import TagSegments
    from twin.readers.triggers import gpi_intervals

    g = np.random.default_rng(seed)
    t0, t1 = 1_700_000_000_000_000, 1_700_000_060_000_000
    s = t0 + g.integers(-30_000_000, 60_000_000, n)
    e = s + g.integers(1, 40_000_000, n)
    x0, y0 = g.uniform(0, 10, n), g.uniform(0, 10, n)
    still = g.random(n) < 0.2
    x1 = np.where(still, x0, g.uniform(0, 10, n))
    y1 = np.where(still, y0, g.uniform(0, 10, n))
    lv = g.integers(0, 2, n)
    tags = TagSegments(np.arange(n), np.zeros(n, "S24"), s, e, lv, x0, y0, x1, y1, np.full(n, -1))
    live = (e > t0) & (s < t1) & (g.random(n) < 0.95)
    cxy, clv = g.uniform(0, 10, (R, 2)), g.integers(0, 2, R)
    carry = np.where(g.random(R) < 0.3, t0 + g.integers(-5_000_000, 5_000_000, R), 0).astype(np.int64)
    a, ca = gpi_intervals(t0, t1, cxy, clv, 1.5, 2_000_000, carry, tags, live)
    b, cb = gpi_intervals(t0, t1, cxy, clv, 1.5, 2_000_000, carry, tags, live, plain=True)
    assert list(a) == list(b) and all(np.array_equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a)
    assert np.array_equal(ca, cb)
