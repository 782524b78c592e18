"""The compiled merge (twin.tracker.kernels_merge) against the array form it replaced, on random space and unit
changes: the same reported rows, the same per-tag state after."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.kernels_merge import merge_pass
from twin.tracker.locate import _ffill


def _plain(tag, t, kind, val, out_space, out_unit, pre_unit, prior_unit, unit_space, home_first, t_change):
    gstart = np.ones(len(tag), bool)
    gstart[1:] = tag[1:] != tag[:-1]
    sp = _ffill(val, kind == 0, gstart, out_space[tag])
    un = _ffill(val, kind == 1, gstart, pre_unit[tag])
    pu = prior_unit[tag]
    un = np.where((unit_space[pu] == sp) & ((unit_space[un] != sp) | home_first), pu, un)
    un = np.where(unit_space[un] == sp, un, -1)
    prev_sp = np.empty_like(sp)
    prev_un = np.empty_like(un)
    prev_sp[1:], prev_un[1:] = sp[:-1], un[:-1]
    prev_sp[gstart], prev_un[gstart] = out_space[tag[gstart]], out_unit[tag[gstart]]
    ch = (sp != prev_sp) | (un != prev_un)
    last = np.ones(len(tag), bool)
    last[:-1] = gstart[1:]
    out_space[tag[last]], out_unit[tag[last]] = sp[last], un[last]
    if ch.any():
        t_change[tag[ch]] = np.maximum(t_change[tag[ch]], t[ch])
    return sp, un, ch


_i = st.integers
N_TAGS, N_SPACES, N_UNITS = 4, 3, 5


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_i(0, N_TAGS - 1), _i(0, 30), _i(0, 1), _i(-1, N_UNITS - 1)), max_size=40),
       st.lists(_i(-1, N_SPACES - 1), min_size=N_TAGS, max_size=N_TAGS),
       st.lists(_i(-1, N_UNITS - 1), min_size=3 * N_TAGS, max_size=3 * N_TAGS),
       st.lists(_i(0, N_SPACES - 1), min_size=N_UNITS, max_size=N_UNITS), st.booleans())  # fmt: skip
def test_merge_pass_matches_the_array_form(rows, spaces, units, unit_space, home_first):
    rows = sorted(rows, key=lambda r: (r[0], r[1], r[2]))
    tag = np.array([r[0] for r in rows], np.int32)
    t = np.array([r[1] for r in rows], np.int64)
    kind = np.array([r[2] for r in rows], np.int8)
    val = np.array([r[3] if r[2] else min(r[3], N_SPACES - 1) for r in rows], np.int32)
    us = np.append(np.array(unit_space, np.int32), -2).astype(np.int32)
    u = np.array(units, np.int32)
    state = [np.array(spaces, np.int32), u[:N_TAGS].copy(), u[N_TAGS : 2 * N_TAGS].copy(), u[2 * N_TAGS :].copy(),
             np.arange(N_TAGS, dtype=np.int64) * 7]  # fmt: skip
    a = [x.copy() for x in state]
    b = [x.copy() for x in state]
    ra = merge_pass(tag, t, kind, val, a[0], a[1], a[2], a[3], us, home_first, a[4])
    rb = _plain(tag, t, kind, val, b[0], b[1], b[2], b[3], us, home_first, b[4])
    for x, y in zip(ra, rb):
        assert x.tolist() == y.tolist()
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
