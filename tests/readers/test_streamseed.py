"""The engine's cheap named Generators give numpy's own numbers (`streamseed`)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.streamseed import Spawner, pcg64_state
from twin.rng import Streams


@settings(max_examples=200, deadline=None)
@given(seed=st.one_of(st.integers(0, 2**32), st.integers(0, 2**130)), name=st.text(max_size=40))
def test_state_is_numpys(seed, name):
    s = Streams(seed)
    want = s.generator(name).bit_generator.state["state"]
    assert pcg64_state(seed, s._key(name)) == (want["state"], want["inc"])


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**64), names=st.lists(st.text(max_size=12), min_size=1, max_size=4))
def test_spawned_generators_draw_the_same(seed, names):
    s = Streams(seed)
    sp = Spawner(s)
    for name in names:  # one kept bit generator, reseeded per name: each stream as numpy's, from its start
        a, b = s.generator(name), sp.generator(name)
        assert np.array_equal(a.random(3), b.random(3))
        assert np.array_equal(a.standard_normal(5), b.standard_normal(5))
        assert np.array_equal(a.poisson(3.0, 4), b.poisson(3.0, 4))


def test_spawn_key_padding_and_small_seeds():
    for seed in (0, 1, 2**32 - 1, 2**32, 2**96 + 1):
        s = Streams(seed)
        want = s.generator("reads/0").bit_generator.state["state"]
        assert pcg64_state(seed, s._key("reads/0")) == (want["state"], want["inc"])
