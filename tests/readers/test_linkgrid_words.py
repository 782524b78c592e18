"""LinkGrid's grids start as zero pages: a filled level never reads as unfilled, and reads back as its float32."""

import numpy as np
from hypothesis import given, strategies as st

from twin.readers.linkcache import encode, unfilled


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1, max_size=50))
def test_encoded_levels_are_filled_and_equal(xs):
    x = np.array(xs, np.float32)
    w = encode(x)
    assert not unfilled(w).any()
    assert np.array_equal(w, x)  # -0.0 == +0.0: the same level in every sum and comparison
    assert np.array_equal(w.astype(np.float64) + 1.5, x.astype(np.float64) + 1.5)


def test_zero_pages_are_unfilled():
    assert unfilled(np.zeros(4, np.float32)).all()
    assert not unfilled(np.array([-0.0, 1e-30, -3.0], np.float32)).any()
