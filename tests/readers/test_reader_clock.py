"""Reader clocks: NTP-disciplined, so the error stays bounded by offset + drift x sync however long a run lasts."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from twin.readers.reports import ReaderClock

DAY_US = 86_400 * 1_000_000


@given(offset_ms=st.floats(-50, 50), drift_ppm=st.floats(-20, 20), sync_s=st.sampled_from([64.0, 1024.0]),
       days=st.integers(1, 30))  # fmt: skip
def test_error_is_bounded_by_offset_plus_drift_over_one_sync(offset_ms, drift_ppm, sync_s, days):
    c = ReaderClock(offset_ms * 1e3, drift_ppm, 0, int(sync_s * 1e6))
    t = np.linspace(0, days * DAY_US, 5_001).astype(np.int64)
    err = c.to_reader(t) - t
    bound = abs(offset_ms) * 1e3 + abs(drift_ppm) * sync_s + 1  # us, +1 for rounding
    assert np.abs(err).max() <= bound


def test_without_sync_the_drift_grows_and_with_it_resets():
    free = ReaderClock(0.0, 20.0, 0, 0)
    synced = ReaderClock(0.0, 20.0, 0, 1024 * 1_000_000)
    t = np.array([DAY_US], np.int64)
    assert int((free.to_reader(t) - t)[0]) == 1_728_000  # 20 ppm of a day: 1.728 s
    assert int((synced.to_reader(t) - t)[0]) == round(20e-6 * ((DAY_US) % (1024 * 1_000_000)))
    # just before and just after a sync: the clock steps back by drift x sync
    t = np.array([1024 * 1_000_000 - 1, 1024 * 1_000_000], np.int64)
    e = synced.to_reader(t) - t
    assert e[0] == round(20e-6 * (1024 * 1_000_000 - 1)) and e[1] == 0


@given(offset_ms=st.floats(-50, 50), drift_ppm=st.floats(-20, 20), sync_s=st.sampled_from([0.0, 64.0, 1024.0]))
def test_per_row_clock_equals_the_clock_object(offset_ms, drift_ppm, sync_s):
    from twin.readers.reports import to_reader_rows

    c = ReaderClock(offset_ms * 1e3, drift_ppm, 123, int(sync_s * 1e6))
    t = np.linspace(0, 3 * DAY_US, 1_001).astype(np.int64)
    n = len(t)
    rows = to_reader_rows(t, np.full(n, c.offset_us), np.full(n, c.drift_ppm), c.ref_us, c.sync_us)
    assert np.array_equal(rows, c.to_reader(t))
