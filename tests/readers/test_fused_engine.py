"""The engine with its compiled passes (`sessionpass`, `reportpass`, `airtime.weak_reads`) against the same engine on
the plain steps they replaced (`ReaderEngine.plain`): the same rows and delivery times to the bit over consecutive
chunks (session flags carried over), for every session, trigger and a fault."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers.engine import ReaderEngine
from twin.readers.faults import Faults
from twin.readers.segments import TagSegments
from twin.rng import Streams

from _floors import epcs, placement, shelf_tags, two_rooms

T0 = 1_700_000_000_000_000
MIN = 60_000_000


def _tags(g, n_static, n_moving):
    shelf = shelf_tags(n_static, T0, T0 + 3 * MIN)
    k = n_moving
    t0 = T0 + g.integers(0, 2 * MIN, k)
    mv = TagSegments(np.arange(5000, 5000 + k), epcs(k, 5000), t0, t0 + g.integers(1_000_000, MIN, k), np.zeros(k),
                     g.uniform(0.5, 15, k), g.uniform(0.5, 5.5, k), g.uniform(0.5, 15, k), g.uniform(0.5, 5.5, k),
                     np.full(k, -1))
    return TagSegments.concat([shelf, mv])


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**31), st.sampled_from(["S0", "S1", "S2", "S3"]), st.sampled_from(["continuous", "periodic"]),
       st.integers(1, 300), st.integers(0, 6), st.booleans())
def test_fused_engine_same_bytes_as_plain_steps(seed, session, trigger, n_static, n_moving, fault):
    g = np.random.default_rng(seed)
    f = two_rooms()
    pl = placement(session=session, dwell_ms=200.0, period_ms=float(g.choice([500.0, 1000.0, 10_000.0])),
                   power=float(g.uniform(20, 30)))
    if trigger == "periodic":
        pl = dataclasses.replace(pl, readers={k: dataclasses.replace(r, trigger="periodic")
                                              for k, r in pl.readers.items()})
    tags = _tags(g, n_static, n_moving)
    out = []
    for plain in (True, False):
        faults = Faults({"R-a": np.array([[T0 + MIN // 2, T0 + MIN + MIN // 3]])} if fault else {})
        eng = ReaderEngine(f, pl, streams=Streams(seed), faults=faults)
        eng.plain = plain
        out.append([eng.generate_with_delivery(T0 + c * MIN, T0 + (c + 1) * MIN, tags) for c in range(3)])
    for (ra, da), (rb, db) in zip(*out):
        assert ra.tobytes() == rb.tobytes() and np.array_equal(da, db)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 400), st.sampled_from([3, 5000, 10**7]))
def test_report_shaping_same_as_plain_steps(seed, n, max_reads):
    """Engine rows of any shape (counts beyond the Blom table, periods far apart) shaped by `reportpass` and by
    `reports.report_rows`: the same records and delivery times."""
    from twin.readers.reportpass import report_rows_fused
    from twin.readers.reports import report_rows

    g = np.random.default_rng(seed)
    eng = ReaderEngine(two_rooms(), placement(), streams=Streams(seed))
    tags = _tags(g, 50, 2)
    eng.generate(T0, T0 + MIN, tags)  # clocks drawn
    ant = g.integers(0, len(eng.ant), n)
    per = g.integers(0, 3, n) + (T0 // 1_000_000) + g.choice([0, 10**6], n) * (max_reads == 10**7)
    f = T0 + g.integers(0, MIN, n)
    rows = (ant, g.integers(0, len(tags), n), per, g.integers(1, max_reads, n), f, f + g.integers(0, 10**6, n),
            g.normal(-60, 8, n))
    a, b = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    ra, da = report_rows_fused(eng, rows, tags, a)
    rb, db = report_rows(eng, rows, tags, b)
    assert ra.tobytes() == rb.tobytes() and np.array_equal(da, db) and a.random() == b.random()
