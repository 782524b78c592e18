"""The compiled steps of the resting pairs' gather (`staticpairs.split_pairs`, `same_rest`) against the plain rules
they replace (`_split_py`, `_memo_py`)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.segments import TagSegments
from twin.readers.staticpairs import _cols, _memo_py, _split_py, rf, same_rest, split_pairs

T0, CH = 1_700_000_000_000_000, 60_000_000


def _tags(g, n):
    t0 = T0 - g.integers(0, CH, n) * (g.random(n) < 0.7)
    t1 = T0 + CH + g.integers(0, CH, n) * (g.random(n) < 0.7) - g.integers(0, CH, n) * (g.random(n) < 0.2)
    x, y = g.uniform(0, 10, n), g.uniform(0, 10, n)
    epc = np.array([f"30{int(k):022X}".encode() for k in g.integers(0, 10**9, n)], dtype="S24")
    return TagSegments(np.arange(n), epc, t0, np.maximum(t1, t0 + 1), np.zeros(n), x, y, x, y, g.integers(-1, 3, n))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 200), st.integers(1, 12), st.integers(0, 40))
def test_split_pairs_same_as_plain_rule(seed, n, n_ant, n_win):
    g = np.random.default_rng(seed)
    tags = _tags(g, n)
    stt = np.flatnonzero(g.random(n) < 0.8)
    q = np.sort(g.integers(0, max(len(stt), 1), 3 * len(stt))) if len(stt) else np.zeros(0, np.int64)
    pa = g.integers(0, n_ant, len(q)).astype(np.int32)
    pp, pr = g.random(len(q)), g.normal(-60, 5, len(q))
    wa = np.sort(g.integers(0, n_ant, n_win))
    ws = T0 + g.integers(0, CH, n_win)
    we = ws + g.integers(1, CH // 3, n_win)
    got = split_pairs(stt, q, pa, pp, pr, tags.t0_us, tags.t1_us, wa, ws, we, T0, T0 + CH, 0.5, n_ant)
    (a0, a1, a2, a3), part = _split_py(stt, q, pa, pp, pr, tags, T0, T0 + CH, wa, ws, we, 0.5)
    for x, y in zip(got, (a0, a1, a2, a3) + part[:7]):
        assert np.array_equal(x, y) and x.dtype == y.dtype


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 100), st.sampled_from(["same", "epc", "x", "level", "container"]))
def test_same_rest_as_plain_rule(seed, n, change):
    g = np.random.default_rng(seed)
    tags = _tags(g, n)
    stt = np.flatnonzero(g.random(n) < 0.8)
    memo = (0, _cols(tags, stt), None)
    if change != "same" and len(stt):
        k = stt[g.integers(0, len(stt))]
        col = {"epc": tags.epc, "x": tags.x0, "level": tags.level, "container": tags.container}[change]
        col[k] = b"F" * 24 if change == "epc" else col[k] + 1
    want = _memo_py(memo, 0, _cols(tags, stt))
    got = same_rest(stt, rf.epc_words(tags.epc), tags.x0, tags.y0, tags.level.astype(np.int64),
                    tags.container.astype(np.int64), *memo[1])
    assert got == want


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(1, 300))
def test_seg_keys_same_as_plain_rule(seed, n):
    """Positions on and off the millimetre grid's half points, negative levels and containers, float levels."""
    from types import SimpleNamespace

    from twin.readers.staticpairs import seg_keys, seg_keys_py

    g = np.random.default_rng(seed % 2**32)
    tags = _tags(g, n)
    x = np.round(g.uniform(-50, 50, n), int(g.integers(0, 5))) + g.choice([0.0, 5e-4, -5e-4], n)
    lv = g.integers(-1, 3, n).astype(g.choice([np.int64, np.float64]))
    tags = TagSegments(tags.tag, tags.epc, tags.t0_us, tags.t1_us, lv, x, -x, x, -x, tags.container)
    idx = np.flatnonzero(g.random(n) < 0.8)
    eng = SimpleNamespace(seed=seed, plain=False)
    assert np.array_equal(seg_keys(eng, tags, idx), seg_keys_py(eng, tags, idx))
