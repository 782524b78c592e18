"""The pair cache's compiled look-ups and merge (`PairCache.missing`, `gather`, `put`) equal their numpy rules."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.paircache import PairCache


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


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 5))
def test_put_equals_plain_rule(seed, n_puts):
    """Puts of known and new keys, keys without pairs, repeated keys and equal keys already held: the same arrays
    (pairs of equal keys in the order numpy's inserts give)."""
    g = np.random.default_rng(seed)
    pool = g.integers(0, 2**64, 30, dtype=np.uint64, endpoint=False)
    a, b = PairCache(), PairCache()
    for _ in range(n_puts):
        known = g.choice(pool, int(g.integers(0, 12)))
        k = g.choice(known, int(g.integers(0, 20))) if len(known) else np.zeros(0, np.uint64)
        args = (known, k.astype(np.uint64), g.integers(0, 9, len(k)).astype(np.int32), g.random(len(k)),
                g.normal(-60, 5, len(k)))
        a.put(*args)
        b.put(*args, plain=True)
        for f in ("known", "k", "ant", "p", "r", "_uk", "_start", "_len"):
            x, y = getattr(a, f), getattr(b, f)
            assert np.array_equal(x, y) and x.dtype == y.dtype, f
