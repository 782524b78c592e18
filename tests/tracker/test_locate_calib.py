"""Online self-calibration of antenna weights: cross-read rates learned from tags a shelf antenna sees steadily."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from twin.tracker.calib import precision_of_weight, weight_of_precision
from twin.tracker.core import TrackerCore

from .synth import DOSSIER, S, SITE, T0, reads, stationary
from .test_locate import _feed


def test_weight_and_precision_are_inverse_within_the_limits():
    w = np.array([0.05, 0.3, 0.5, 0.9])
    np.testing.assert_allclose(weight_of_precision(precision_of_weight(w)), w)
    assert weight_of_precision(np.array([0.2]))[0] == 0.02  # worse than a coin: the floor
    assert abs(weight_of_precision(np.array([0.99]))[0] - 1.0) < 1e-9  # odds 99:1 -> one whole threshold


def _shelved_and_crossread(rng):
    """A dossier on room-a's shelf S1 (read every 20 s) that the corridor-side portal of d-a also hears, 3 x as often."""
    rows = [r for k in range(0, 1800, 20) for r in [(k + rng.uniform(0, 1), "R-a", 2, DOSSIER, -50)]]
    rows += stationary(DOSSIER, 0, 1800, 0.15, "R-d-a", 2, rng, rssi=-60)
    return reads(sorted(rows))


def test_a_portal_hearing_a_shelved_tag_learns_a_low_weight_and_the_tag_stays_put():
    rng = np.random.default_rng(3)
    core = TrackerCore(SITE)
    est = _feed(core, _shelved_and_crossread(rng), 1800)
    m = core.model
    ant = int(m.port_lut[m.readers.index("R-d-a"), 2])
    shelf = int(m.port_lut[m.readers.index("R-a"), 2])
    assert core.locator.weight[ant] <= 0.05 < 0.5 <= core.locator.weight[shelf]
    late = est.filter(pc.greater(est["t_us"], T0 + 600 * S))
    assert set(late["space"].to_pylist()) <= {"room-a"}  # after ten minutes the corridor reads no longer move it


def test_calibration_off_keeps_the_prior_weights():
    core = TrackerCore(SITE, {"calibrate": False})
    _feed(core, _shelved_and_crossread(np.random.default_rng(3)), 600)
    assert core.locator.weight.tolist() == core.locator.prior_weight.tolist()
