"""The pair cache's compiled look-ups (`PairCache.missing`, `gather`) equal their numpy rules."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.linkcache import PairCache


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 40), st.integers(0, 60), st.integers(0, 50))
def test_missing_and_gather_equal_plain_rules(seed, n_known, n_pairs, n_query):
    g = np.random.default_rng(seed)
    pool = g.integers(0, 2**64, 60, dtype=np.uint64, endpoint=False)
    c = PairCache()
    for _ in range(g.integers(0, 3)):  # a few puts, some keys without pairs, repeated keys
        known = g.choice(pool, n_known)
        k = g.choice(known, n_pairs) if n_known else np.zeros(0, np.uint64)
        c.put(known, k.astype(np.uint64), g.integers(0, 9, len(k)).astype(np.int32), g.random(len(k)),
              g.normal(-60, 5, len(k)))
    q = g.choice(pool, n_query)
    assert np.array_equal(c.missing(q), c.missing_py(q))
    q = q[~c.missing_py(q)]  # gather asks for known keys only
    a = c.gather(q)
    c._last = None
    b = c.gather_py(q)
    assert all(np.array_equal(x, y) and x.dtype == y.dtype for x, y in zip(a, b))
