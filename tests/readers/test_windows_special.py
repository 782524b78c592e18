"""`timegrid.windows` with special antennas (faults, carried, GPI) against the plain per-interval rule."""

import numpy as np
from hypothesis import given, settings, strategies as st

from twin.readers.timegrid import windows


def plain(t0, t1, period, special, off, ln):
    """Per antenna: whole-chunk periods unless special; per special interval, each period's slot clipped to it."""
    rows = []
    for a in range(len(period)):
        p, o, n = int(period[a]), int(off[a]), int(ln[a])
        ivs = special.get(a, [(t0, t1)])
        for lo, hi in ivs:
            for k in range((lo - o - n) // p, (hi - 1) // p + 1):  # every period that may meet [lo, hi)
                s, e = max(k * p + o, lo), min(k * p + o + n, hi)
                if e > s:
                    rows.append((a, s, e, k))
    rows.sort()
    return [tuple(map(np.array, zip(*rows)))] if rows else []


@st.composite
def cases(draw):
    A = draw(st.integers(1, 5))
    period = np.array([draw(st.integers(1, 40)) for _ in range(A)], np.int64)
    ln = np.array([draw(st.integers(1, int(p))) for p in period], np.int64)
    off = np.array([draw(st.integers(0, int(p - n))) for p, n in zip(period, ln)], np.int64)
    t0 = draw(st.integers(0, 100))
    t1 = t0 + draw(st.integers(1, 120))
    special = {}
    for a in draw(st.sets(st.integers(0, A - 1))):
        cuts = sorted(draw(st.sets(st.integers(t0, t1), max_size=6)))
        special[a] = np.array([(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)], np.int64).reshape(-1, 2)
    return t0, t1, period, special, off, ln


@settings(max_examples=200, deadline=None)
@given(cases())
def test_windows_match_plain_rule(case):
    t0, t1, period, special, off, ln = case
    got = windows(t0, t1, period, special, off, ln)
    want = plain(t0, t1, period, {a: [tuple(x) for x in iv] for a, iv in special.items()}, off, ln)
    got_rows = sorted(zip(*(g.tolist() for g in got)))
    want_rows = sorted(zip(*(w.tolist() for w in want[0]))) if want else []
    assert got_rows == want_rows
    assert np.all(np.diff(got[0]) >= 0)  # sorted by antenna, then start
    same = got[0][1:] == got[0][:-1]
    assert np.all(got[1][1:][same] > got[1][:-1][same])


@settings(max_examples=200, deadline=None)
@given(cases())
def test_compiled_special_windows_same_as_plain_steps(case):
    """`timegrid.special_windows` (compiled) and `special_windows_py` give the same arrays, in the same order."""
    t0, t1, period, special, off, ln = case
    got = windows(t0, t1, period, special, off, ln)
    want = windows(t0, t1, period, special, off, ln, plain_rule=True)
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(got, want))
