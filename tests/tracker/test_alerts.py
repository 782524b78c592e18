"""Alert rules on a hand-made site: raised once, cleared on resolution, outages suppress missing."""

from __future__ import annotations

import numpy as np
import pytest

from twin.errors import InputError
from twin.tracker.alert_place import local_day_time_us
from twin.tracker.alerts import AlertBook, AlertConfig, Alerts

S = 1_000_000
T0 = 1_772_409_600 * S  # 2026-03-02 08:00 +08:00
D1, D2, IT = "2C" + "0" * 21 + "1", "2C" + "0" * 21 + "2", "34" + "0" * 21 + "1"
SITE = {
    "spaces": [{"id": "corr", "kind": "corridor", "purpose": "circulation"},
               {"id": "dossiers", "kind": "room", "purpose": "dossier_room"},
               {"id": "office", "kind": "room", "purpose": "office"},
               {"id": "inquiry", "kind": "room", "purpose": "interrogation"},
               {"id": "car-park", "kind": "outside", "purpose": "car_park"}],
    "storage": [{"id": "dossiers/S1", "space": "dossiers", "kind": "shelf"},
                {"id": "dossiers/S2", "space": "dossiers", "kind": "shelf"},
                {"id": "office/D1", "space": "office", "kind": "desk"},
                {"id": "car-park/V1", "space": "car-park", "kind": "vehicle"}],
    "readers": [{"id": "R-dossiers", "kind": "fixed", "report_period_ms": 10000.0,
                 "antennas": [{"port": 1, "kind": "zone", "covers": {"space": "dossiers"}}]},
                {"id": "R-d-exit", "kind": "fixed", "report_period_ms": 5000.0,
                 "antennas": [{"port": 1, "kind": "portal", "covers": {"space": "corr", "side": "corr"}}]}],
}  # fmt: skip


def _est(a: Alerts, rows: list[tuple]) -> None:
    """rows: (t_s, epc, space, storage, holder, kind, tag id)."""
    cols = list(zip(*rows))
    a.changes([T0 + int(t * S) for t in cols[0]], *cols[1:])


def _raised(a: Alerts) -> list[tuple]:
    return [(r["state"], r["kind"], r["epc"] or r["space"]) for r in a.book.take()]


def test_book_raises_once_and_clears():
    b = AlertBook()
    assert b.raise_(1, "missing", D1, "x") and not b.raise_(2, "missing", D1, "x")
    b.clear(3, "missing", D1)
    b.clear(4, "missing", D1)
    assert [(r["t_us"], r["state"]) for r in b.take()] == [(1, "raised"), (3, "cleared")]


def test_left_building_without_checkout_only():
    a = Alerts(SITE)
    a.event({"t_us": T0, "kind": "checkout", "epc": D2})
    _est(a, [(0, D1, "dossiers", "dossiers/S1", "", "dossier", 0), (0, D2, "dossiers", "", "", "dossier", 1)])
    _est(a, [(60, D1, "car-park", "", "A", "dossier", 0), (61, D2, "car-park", "", "B", "dossier", 1),
             (90, D1, "car-park", "car-park/V1", "", "dossier", 0)])  # fmt: skip
    assert _raised(a) == [("raised", "left_building", D1)]
    _est(a, [(900, D1, "corr", "", "A", "dossier", 0)])
    assert _raised(a) == [("cleared", "left_building", D1)]


def test_reader_silence_is_an_outage_and_suppresses_missing():
    cfg = AlertConfig(missing_s=600)
    a = Alerts(SITE, cfg)
    _est(a, [(0, D1, "dossiers", "", "", "dossier", 0), (0, D2, "dossiers", "", "", "dossier", 1),
             (0, IT, "dossiers", "", "", "item", 2)])  # fmt: skip
    for k in range(6):  # steady reports every 10 s, then nothing from t = 50 s
        t = np.array([T0 + (10 * k) * S] * 3, np.int64)
        a.observe(t, np.array([0, 1, 2], np.int32), np.array([0, 0, 0], np.int32), 3)
        a.tick(T0 + (10 * k + 1) * S)
    for now in range(60, 2000, 60):
        a.tick(T0 + now * S)
    rows = a.book.take()
    assert [(r["kind"], r["space"]) for r in rows] == [("reader_offline", "dossiers")]
    assert rows[0]["t_us"] == T0 + (50 + 120) * S  # silent three periods, at least offline_min_s
    a.observe(np.array([T0 + 2000 * S] * 2, np.int64), np.array([0, 2], np.int32), np.array([0, 0], np.int32), 3)
    assert _raised(a) == [("cleared", "reader_offline", "dossiers")]
    for now in range(2000, 2700, 60):  # back up: D2 (not read since) goes missing missing_s after the return
        a.observe(np.array([T0 + now * S] * 2, np.int64), np.array([0, 2], np.int32), np.array([0, 0], np.int32), 3)
        a.tick(T0 + now * S)
    assert _raised(a) == [("raised", "missing", D2)]


def test_drawer_at_end_of_day_in_workspaces_only():
    a = Alerts(SITE, AlertConfig(end_of_day_s=17.5 * 3600, drawer_grace_s=600))
    a.tick(T0 + 9 * 3600 * S)  # 17:00 local: the first tick only sets the clock
    _est(a, [(9 * 3600, D1, "office", "office/D1", "", "dossier", 0),
             (9 * 3600, D2, "dossiers", "dossiers/S1", "", "dossier", 1)])  # fmt: skip
    a.tick(T0 + int(9.5 * 3600 + 500) * S)
    assert _raised(a) == []
    a.tick(T0 + int(9.5 * 3600 + 700) * S)
    rows = a.book.take()
    assert [(r["kind"], r["epc"]) for r in rows] == [("drawer", D1)]
    assert rows[0]["t_us"] == T0 + int(9.5 * 3600 + 600) * S
    a.tick(T0 + 30 * 3600 * S)  # the next day's mark: still open, not raised again
    assert _raised(a) == []


def test_separated_item_and_misfiled_return():
    a = Alerts(SITE, AlertConfig(separated_s=300, misfile_rest_s=300))
    for e in ({"kind": "register", "epc": D1, "case": "C1"}, {"kind": "item_register", "epc": IT, "case": "C1"},
              {"kind": "archive", "epc": D1, "detail": "dossiers/S1"}):  # fmt: skip
        a.event({"t_us": T0, **e})
    _est(a, [(0, D1, "office", "office/D1", "", "dossier", 0), (0, IT, "office", "office/D1", "", "item", 2)])
    _est(a, [(100, D1, "corr", "", "A", "dossier", 0)])
    for now in range(100, 500, 60):
        a.tick(T0 + now * S)
    assert _raised(a) == [("raised", "separated", IT)]
    _est(a, [(600, D1, "dossiers", "dossiers/S2", "", "dossier", 0)])
    a.tick(T0 + 1000 * S)
    assert ("raised", "misfiled", D1) in _raised(a)


def test_local_day_time_and_bad_config():
    assert local_day_time_us(T0 + 3600 * S, 8 * 3600, 8 * 3600) == T0
    with pytest.raises(InputError):
        AlertConfig.from_dict({"missing_s": -1, "nope": 1})
