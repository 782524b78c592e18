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


def _events(rows):
    import pyarrow as pa

    from twin.records import EVENTS_SCHEMA

    cols = {n: [] for n in EVENTS_SCHEMA.names}
    for r in rows:
        for n in EVENTS_SCHEMA.names:
            cols[n].append(r.get(n, None if n == "deadline_us" else ""))
    return pa.table(cols, schema=EVENTS_SCHEMA)


def test_a_dossier_whose_case_is_away_is_placed_off_site_until_read():
    site = {**SITE, "spaces": SITE["spaces"] + [{"id": "procuratorate", "kind": "external", "purpose": "external"}]}
    core = TrackerCore(site)
    core.apply(_events([{"t_us": T0 - 100 * S, "kind": "register", "case": "C1", "epc": DOSSIER},
                        {"t_us": T0 - 50 * S, "kind": "stage", "case": "C1", "stage": "transferred"}]))  # fmt: skip
    est = core.advance(T0).estimates
    assert est["space"].to_pylist() == ["procuratorate"] and est["t_us"].to_pylist() == [T0 - 50 * S]
    # back: a checkin clears it, and reads place it again
    est = _feed(core, reads([(5 + k, "R-b", 1, DOSSIER, -50) for k in range(10)]), 60)
    assert est["space"].to_pylist()[-1] == "room-b"


def test_runs_may_pause_for_a_periodic_readers_report_period():
    """A tag read once per 60 s inventory by a half-trusted shelf antenna is placed (two reads 60 s apart)."""
    site = {**SITE, "readers": [dict(r, report_period_ms=60_000.0) if r["id"] == "R-a" else r for r in SITE["readers"]]}
    rows = reads([(10 + 60 * k, "R-a", 2, DOSSIER, -50) for k in range(4)])
    est = _feed(TrackerCore(site, {"calibrate": False}), rows, 300)
    assert "room-a" in est["space"].to_pylist()
    est = _feed(TrackerCore(SITE, {"calibrate": False}), rows, 300)  # 1 s reports: a 60 s pause breaks the run
    assert "room-a" not in est["space"].to_pylist()
