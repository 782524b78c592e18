"""`fixed_rows` against the numpy passes it replaced in `Workspace.observe`."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.kernels_alerts import fixed_rows


@settings(max_examples=200, deadline=None)
@given(st.data(), st.integers(1, 6))
def test_fixed_rows_matches_plain_form(data, n_ant):
    n = data.draw(st.integers(0, 40))
    ant = np.array(data.draw(st.lists(st.integers(0, n_ant - 1), min_size=n, max_size=n)), np.int16)
    tag = np.array(data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), np.int32)
    t = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), np.int64)
    if data.draw(st.booleans()):
        o = np.lexsort((t, tag))
        tag, t, ant = tag[o], t[o], ant[o]
    ant_reader = np.array(data.draw(st.lists(st.integers(0, 9), min_size=n_ant, max_size=n_ant)), np.int32)
    ant_kind = np.array(data.draw(st.lists(st.integers(0, 4), min_size=n_ant, max_size=n_ant)), np.int8)
    reader, n_hand, ordered = fixed_rows(tag, t, ant, ant_reader, ant_kind == 4)
    np.testing.assert_array_equal(reader, ant_reader[ant])
    assert reader.dtype == ant_reader[ant].dtype
    assert n_hand == int((ant_kind[ant] == 4).sum())
    assert ordered == bool(n < 2 or np.all((tag[1:] > tag[:-1]) | ((tag[1:] == tag[:-1]) & (t[1:] >= t[:-1]))))
