"""ReaderClocks: a reader's clock drift learned from its keepalive stamps against the core's advances."""

import numpy as np
import pytest

from twin.tracker.calib import ReaderClocks

T0 = 1_772_380_800_000_000
P_US = 10_000_000  # keepalive period
STEP_US = 60_000_000  # one advance a minute


def _feed(clocks: ReaderClocks, ppm: np.ndarray, hours: float, by_stamp: bool) -> None:
    """Keepalives at true times k x P (+ a phase per reader), stamped t + ppm x (t - T0); handed in per advance by
    arrival (live) or cut by the stamps themselves (a replay)."""
    n = len(ppm)
    phase = (np.arange(n) * 1_234_567) % P_US
    for j in range(1, int(hours * 60) + 1):
        edge = T0 + j * STEP_US
        rows_r, rows_t = [], []
        for r in range(n):
            lo = edge - STEP_US - int(3 * STEP_US) if by_stamp else edge - STEP_US  # wide enough to catch all
            t = np.arange(lo - lo % P_US + phase[r], edge + 2 * P_US, P_US)
            s = t + np.rint(ppm[r] * 1e-6 * (t - T0)).astype(np.int64)
            sel = ((s >= edge - STEP_US) & (s < edge)) if by_stamp else ((t >= edge - STEP_US) & (t < edge))
            rows_r.append(np.full(int(sel.sum()), r))
            rows_t.append(s[sel])
        clocks.observe(np.concatenate(rows_r), np.concatenate(rows_t))
        clocks.arrive(edge)


@pytest.mark.parametrize("by_stamp", [False, True])
def test_drift_learned_and_corrected(by_stamp):
    ppm = np.array([19.3, -19.75, -7.1, 0.0, 3.0])
    c = ReaderClocks(len(ppm))
    _feed(c, ppm, 30.0, by_stamp)  # long enough for the stamp-cut feed to slip a keepalive window
    assert np.allclose(c.ppm, ppm, atol=0.3)
    t_true = np.full(len(ppm), T0 + 29 * 3_600_000_000)
    stamp = t_true + np.rint(ppm * 1e-6 * (t_true - T0)).astype(np.int64)
    err = c.correct(np.arange(len(ppm)), stamp) - t_true
    assert np.all(np.abs(err) < 50_000)  # within 50 ms after 29 h (uncorrected: up to 2 s)


def test_nothing_before_three_hours_and_unknown_readers_unchanged():
    c = ReaderClocks(2)
    _feed(c, np.array([20.0, -20.0]), 2.0, False)
    assert not c.ppm.any()
    t = np.array([T0 + 10**10, T0 + 10**10])
    assert np.array_equal(c.correct(np.array([0, -1]), t), t)
