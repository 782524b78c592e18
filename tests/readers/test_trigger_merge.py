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
