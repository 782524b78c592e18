"""The compiled radix argsort (`radix`) gives numpy's stable orders."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.radix import argsort_pairs, argsort_stable


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 3000), st.integers(1, 62))
def test_argsort_stable_is_numpys(seed, n, bits):
    """Few or many keys, narrow or wide, many equal ones."""
    keys = np.random.default_rng(seed).integers(0, 2**bits, n) >> np.random.default_rng(seed + 1).integers(0, bits)
    assert np.array_equal(argsort_stable(keys), np.argsort(keys, kind="stable"))


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2000), st.sampled_from([3, 40, 62]))
def test_argsort_pairs_is_lexsort(seed, n, bits):
    """Signed columns, packed into one key or (too wide) sorted in two passes."""
    g = np.random.default_rng(seed)
    a, b = g.integers(-2**bits, 2**bits, n), g.integers(-2**bits, 2**bits, n) // g.integers(1, 50)
    assert np.array_equal(argsort_pairs(a, b), np.lexsort((b, a)))
