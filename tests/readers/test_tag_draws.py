"""A tag's own draws in one compiled pass (`tagdraws.tag_draws`) against `rf.tag_hash` and `rf.tag_quality`."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers import rf
from twin.readers.tagdraws import tag_draws


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2000), st.sampled_from([0.0, 0.02, 0.5]))
def test_tag_draws_same_as_rf(seed, n, dead_share):
    """Any seed, EPC and dead share (none, the default's order, half)."""
    g = np.random.default_rng(seed % 2**32)
    epc = np.array([bytes(g.integers(48, 58, 24).astype(np.uint8)) for _ in range(n)], dtype="S24")
    P = dataclasses.replace(rf.RFParams(), dead_share=dead_share)
    th, off, dead = tag_draws(seed, epc, P)
    o2, d2 = rf.tag_quality(seed, epc, P)
    assert np.array_equal(th, rf.tag_hash(seed, epc)) and np.array_equal(off, o2) and np.array_equal(dead, d2)
