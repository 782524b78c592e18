"""`timegrid.lexsort_ints` gives np.lexsort's order (packed into one key when it fits, np.lexsort when not)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.timegrid import lexsort_ints


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 4), st.integers(1, 62))
def test_same_order_as_lexsort(seed, n_keys, bits):
    g = np.random.default_rng(seed)
    n = int(g.integers(0, 400))
    keys = tuple(g.integers(-(1 << (bits // 2)), 1 << bits, n) if k % 2 else g.integers(0, 5, n)  # many ties
                 for k in range(n_keys))
    assert np.array_equal(lexsort_ints(keys), np.lexsort(keys))


@given(st.lists(st.integers(0, 5000), max_size=300), st.integers(0, 3))
def test_unique_index_equals_np_unique(values, spread):
    from twin.readers.timegrid import unique_index

    a = np.array(values, np.int64) * (1 + spread)
    n = int(a.max()) + 1 if len(a) else 1
    u, inv = unique_index(a, n)
    eu, einv = np.unique(a, return_inverse=True)
    assert np.array_equal(u, eu) and np.array_equal(inv, einv)
