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
D3, D4 = "2C" + "0" * 21 + "3", "2C" + "0" * 21 + "4"
SITE = {
    "spaces": [{"id": "corr", "kind": "corridor", "purpose": "circulation"},
               {"id": "dossiers", "kind": "room", "purpose": "dossier_room"},
               {"id": "office", "kind": "room", "purpose": "office"},
               {"id": "inquiry", "kind": "room", "purpose": "interrogation"},
               {"id": "car-park", "kind": "outside", "purpose": "car_park"},
               {"id": "court", "kind": "external", "purpose": "court"}],
    "storage": [{"id": "dossiers/S1", "space": "dossiers", "kind": "shelf"},
                {"id": "dossiers/S2", "space": "dossiers", "kind": "shelf"},
                {"id": "office/D1", "space": "office", "kind": "desk"},
                {"id": "car-park/V1", "space": "car-park", "kind": "vehicle"}],
    "readers": [{"id": "R-dossiers", "kind": "fixed", "report_period_ms": 10000.0,
                 "antennas": [{"port": 1, "kind": "zone", "covers": {"space": "dossiers"}}]},
                {"id": "R-d-exit", "kind": "fixed", "report_period_ms": 5000.0,
                 "antennas": [{"port": 1, "kind": "portal", "covers": {"space": "corr", "side": "corr"}}]},
                {"id": "R-office", "kind": "fixed", "report_period_ms": 10000.0,
                 "antennas": [{"port": 1, "kind": "zone", "covers": {"space": "office"}}]},
                {"id": "R-d-office", "kind": "fixed", "report_period_ms": 1000.0,
                 "antennas": [{"port": 1, "kind": "portal", "covers": {"space": "office", "door": "d-office",
                                                                         "side": "office", "other_side": "corr"}}]}],
    "doors": [{"id": "d-office", "a": "office", "b": "corr"}],
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
    a = Alerts(SITE, AlertConfig(left_inside_s=30))  # inside at least 30 s before going out: leaving, not arriving
    a.event({"t_us": T0, "kind": "checkout", "epc": D2})
    _est(a, [(0, D1, "dossiers", "dossiers/S1", "", "dossier", 0), (0, D2, "dossiers", "", "", "dossier", 1)])
    _est(a, [(60, D1, "car-park", "", "A", "dossier", 0), (61, D2, "car-park", "", "B", "dossier", 1),
             (90, D1, "car-park", "car-park/V1", "", "dossier", 0)])  # fmt: skip
    a.tick(T0 + 79 * S)
    assert _raised(a) == []  # not yet left_confirm_s (20 s) outside
    a.tick(T0 + 80 * S)
    assert [(r["kind"], r["epc"], r["t_us"]) for r in a.book.take()] == [("left_building", D1, T0 + 80 * S)]
    _est(a, [(900, D1, "corr", "", "A", "dossier", 0)])
    assert _raised(a) == [("cleared", "left_building", D1)]
    # a door passage read out, back in and on into the building (direction settling) is no leaving ...
    _est(a, [(950, D1, "car-park", "", "A", "dossier", 0), (955, D1, "corr", "", "A", "dossier", 0),
             (960, D1, "dossiers", "", "A", "dossier", 0)])  # fmt: skip
    a.tick(T0 + 990 * S)
    assert _raised(a) == []
    # ... but out and only flicked back to the door's inside space, heard no more, is
    _est(a, [(2000, D1, "car-park", "", "A", "dossier", 0), (2002, D1, "dossiers", "", "A", "dossier", 0)])
    a.tick(T0 + 2030 * S)
    assert [(r["state"], r["t_us"]) for r in a.book.take() if r["epc"] == D1] == [("raised", T0 + 2020 * S)]
    _est(a, [(2100, D1, "corr", "", "A", "dossier", 0)])
    assert _raised(a) == [("cleared", "left_building", D1)]
    # back from court under a checkout the core never saw (made before it started): arriving is no leaving
    _est(a, [(1000, D3, "court", "", "", "dossier", 3), (1100, D3, "car-park", "", "A", "dossier", 3)])
    a.tick(T0 + 1129 * S)
    _est(a, [(1130, D3, "corr", "", "A", "dossier", 3), (1200, D3, "car-park", "", "A", "dossier", 3)])
    a.tick(T0 + 1300 * S)
    assert _raised(a) == [("raised", "left_building", D3)]  # only once it was inside and went out again


def _obs(a: Alerts, t_s: int, tags: list[int], reader: int) -> None:
    """Reports of the reader's (only) antenna at t_s for these tag ids."""
    n, ant = len(tags), reader  # one antenna per reader, in reader order
    a.observe(np.full(n, T0 + t_s * S, np.int64), np.array(tags, np.int32), np.full(n, reader, np.int32), 5,
              np.full(n, ant, np.int32), np.full(n, -50, np.int16))  # fmt: skip


def test_reader_silence_is_an_outage_and_suppresses_missing():
    cfg = AlertConfig(missing_s=600, missing_steady_s=40)
    a = Alerts(SITE, cfg)
    _est(a, [(0, D1, "office", "", "", "dossier", 0), (0, D2, "office", "", "", "dossier", 1),
             (0, IT, "office", "", "", "item", 2)])  # fmt: skip
    for k in range(6):  # steady reports every 10 s, then nothing from t = 50 s
        _obs(a, 10 * k, [0, 1, 2], 2)
        a.tick(T0 + (10 * k + 1) * S)
    for now in range(60, 2000, 60):
        a.tick(T0 + now * S)
    rows = a.book.take()
    assert [(r["kind"], r["space"]) for r in rows] == [("reader_offline", "office")]
    assert rows[0]["t_us"] == T0 + (50 + 120) * S  # silent three periods, at least offline_min_s
    _obs(a, 2000, [0, 2], 2)
    assert _raised(a) == [("cleared", "reader_offline", "office")]
    for now in range(2000, 2700, 60):  # back up: D2 (not read since) goes missing missing_s after the return
        _obs(a, now, [0, 2], 2)
        a.tick(T0 + now * S)
    assert _raised(a) == [("raised", "missing", D2)]


def test_missing_unseen_needs_a_rest_in_view_first():
    """Silence is news only for a tag that was reported steadily before: one heard now and then through a wall
    (a report every 15 min, never two within steady_gap_s) is never called missing; one reported every 10 s for
    missing_steady_s and then silent is, missing_s after its last report."""
    a = Alerts(SITE, AlertConfig(missing_s=600))
    _est(a, [(0, D1, "office", "", "", "dossier", 0), (0, D2, "office", "", "", "dossier", 1),
             (0, IT, "office", "", "", "item", 2)])  # fmt: skip
    for now in range(0, 4000, 10):
        _obs(a, now, [2] + ([0] if now < 400 else []) + ([1] if now % 900 == 0 else []), 2)
        if now % 60 == 0:
            a.tick(T0 + now * S)
    rows = [r for r in a.book.take() if r["kind"] == "missing"]
    assert [(r["epc"], r["t_us"]) for r in rows] == [(D1, T0 + (390 + 600) * S)]


def test_no_missing_for_files_resting_in_storage_rooms():
    a = Alerts(SITE, AlertConfig(missing_s=600))
    _est(a, [(0, D1, "dossiers", "dossiers/S1", "", "dossier", 0), (0, D2, "dossiers", "", "", "dossier", 1)])
    for now in range(0, 3000, 60):  # D2 heard once; shelf reads of stored files are intermittent: not missing
        _obs(a, now, [0, 1] if now == 0 else [0], 0)
        a.tick(T0 + now * S)
    assert [r for r in _raised(a) if r[1] == "missing"] == []


def test_drawer_at_end_of_day_for_files_brought_into_a_room():
    """At the end of day plus grace: dossiers resting unheld in a room outside storage, heard there and not by the
    storage rooms of late, whose last door passage was into that room."""
    a = Alerts(SITE, AlertConfig(end_of_day_s=17.5 * 3600, drawer_grace_s=600))
    a.tick(T0 + 9 * 3600 * S)  # 17:00 local: the first tick only sets the clock
    _est(a, [(9 * 3600, D1, "office", "office/D1", "", "dossier", 0),
             (9 * 3600, D2, "dossiers", "dossiers/S1", "", "dossier", 1),
             (9 * 3600, D2[:-1] + "3", "office", "office/D1", "", "dossier", 3)])  # fmt: skip
    _obs(a, int(9.5 * 3600) - 60, [0], 3)  # D1 carried in through the office door (tag 4: never through it)
    _obs(a, int(9.5 * 3600), [0, 1, 4], 2)  # the office hears D1 and tag 4 (and a stale D2 estimate's file) ...
    _obs(a, int(9.5 * 3600) + 300, [1], 0)  # ... but the dossier room still hears D2; tag 3 is heard nowhere
    _est(a, [(9 * 3600, D4, "office", "office/D1", "", "dossier", 4)])  # heard through a wall from next door
    a.tick(T0 + int(9.5 * 3600 + 500) * S)
    assert _raised(a) == []
    a.tick(T0 + int(9.5 * 3600 + 700) * S)
    rows = a.book.take()
    assert [(r["kind"], r["epc"]) for r in rows] == [("drawer", D1)]
    assert rows[0]["t_us"] == T0 + int(9.5 * 3600 + 600) * S
    a.tick(T0 + 30 * 3600 * S)  # the next day's mark: still open, not raised again
    assert [r for r in _raised(a) if r[1] == "drawer"] == []


SHELF_SITE = {**SITE, "readers": [
    {"id": "R-shelves", "kind": "fixed", "report_period_ms": 60000.0, "trigger": "periodic",
     "antennas": [{"port": 1, "kind": "shelf", "covers": {"space": "dossiers", "storage": "dossiers/S1"}},
                  {"port": 2, "kind": "shelf", "covers": {"space": "dossiers", "storage": "dossiers/S2"}}]},
    {"id": "R-office", "kind": "fixed", "report_period_ms": 10000.0,
     "antennas": [{"port": 1, "kind": "zone", "covers": {"space": "office"}}]}]}  # fmt: skip


def _shelf(a: Alerts, t_s: int, tag: int, ants: dict[int, int]) -> None:
    """One inventory at t_s: antenna index -> RSSI for this tag."""
    n = len(ants)
    a.observe(np.full(n, T0 + t_s * S, np.int64), np.full(n, tag, np.int32), np.zeros(n, np.int32), 4,
              np.array(list(ants), np.int32), np.array(list(ants.values()), np.int16))  # fmt: skip


def test_separated_item_and_misfiled_return():
    a = Alerts(SHELF_SITE, AlertConfig(separated_s=300))
    for e in ({"kind": "register", "epc": D1, "case": "C1"}, {"kind": "item_register", "epc": IT, "case": "C1"},
              {"kind": "archive", "epc": D1, "detail": "dossiers/S1"}):  # fmt: skip
        a.event({"t_us": T0, **e})
    _est(a, [(0, D1, "office", "office/D1", "", "dossier", 0), (0, IT, "office", "office/D1", "", "item", 2)])
    a.tick(T0 + 30 * S)  # the item beside its case's volume: from now on it can be parted from it
    _shelf(a, 0, 0, {0: -50})  # its own shelf's inventory at 0 ...
    n = len(a.evidence.ant_col)
    a.observe(np.array([T0 + 60 * S]), np.array([0], np.int32), np.array([1], np.int32), 4, np.array([n - 1], np.int32),
              np.array([-60], np.int16))  # ... then heard at the office desk: taken out  # fmt: skip
    _est(a, [(100, D1, "corr", "", "A", "dossier", 0)])
    for now in range(100, 500, 60):
        a.tick(T0 + now * S)
    assert _raised(a) == []  # its volume carried off (to an interview, say) is in use: the item is not parted yet
    _est(a, [(600, D1, "dossiers", "dossiers/S2", "", "dossier", 0)])
    for k in range(3):  # S2 loudest in two inventories, S1 never: not yet
        _shelf(a, 600 + 60 * k, 0, {1: -50} if k < 2 else {})
        a.tick(T0 + (610 + 60 * k) * S)
    assert ("raised", "misfiled", D1) not in _raised(a)
    _shelf(a, 800, 0, {0: -70, 1: -50})  # a third inventory (S1 hears it, softer)
    a.tick(T0 + 810 * S)
    assert ("raised", "misfiled", D1) in _raised(a)
    _shelf(a, 900, 0, {0: -40, 1: -60})  # put back on its own shelf: cleared
    a.tick(T0 + 910 * S)
    rows = _raised(a)
    assert ("cleared", "misfiled", D1) in rows
    # the volume back in storage since 600 (first judged at the tick of 610) and the item still out: parted
    assert ("raised", "separated", IT) in rows and a.book.open[("separated", IT)]["t_us"] == T0 + 910 * S


def test_local_day_time_and_bad_config():
    assert local_day_time_us(T0 + 3600 * S, 8 * 3600, 8 * 3600) == T0
    with pytest.raises(InputError):
        AlertConfig.from_dict({"missing_s": -1, "nope": 1})


B1, B2 = "2D" + "0" * 21 + "1", "2D" + "0" * 21 + "2"


def _use_inquiry(a: Alerts) -> None:
    """Officer A carries D1 into the inquiry room and puts it down there; tag 5 is A's badge (B2, tag 6: B's)."""
    a.place.badge_names = {B1: "A", B2: "B"}
    _est(a, [(0, B1, "corr", "", "", "badge", 5), (0, D1, "corr", "", "A", "dossier", 0)])
    _est(a, [(60, B1, "inquiry", "", "", "badge", 5), (60, D1, "inquiry", "", "A", "dossier", 0)])
    _est(a, [(120, D1, "inquiry", "", "", "dossier", 0)])


def test_missing_needs_a_put_down_and_leave():
    a = Alerts(SITE, AlertConfig(abandoned_s=1800))
    _use_inquiry(a)
    _est(a, [(300, B1, "corr", "", "", "badge", 5)])  # A walks out without it; nobody comes back
    for now in range(300, 2400, 60):
        a.tick(T0 + now * S)
    rows = [r for r in a.book.take() if r["kind"] == "missing"]
    assert [(r["state"], r["epc"], r["space"]) for r in rows] == [("raised", D1, "inquiry")]
    assert rows[0]["t_us"] == T0 + (300 + 1800) * S  # abandoned_s after the badge's passage out
    _est(a, [(2400, D1, "corr", "", "B", "dossier", 0)])  # fetched: cleared
    assert _raised(a) == [("cleared", "missing", D1)]


def test_no_missing_while_the_room_is_in_use_or_its_users_return():
    a = Alerts(SITE, AlertConfig(abandoned_s=1800))
    _use_inquiry(a)
    _est(a, [(200, B2, "inquiry", "", "", "badge", 6), (300, B2, "corr", "", "", "badge", 6)])
    for now in range(120, 4000, 60):  # B came and went, A never left: in use, not abandoned
        a.tick(T0 + now * S)
    assert _raised(a) == []
    _est(a, [(4000, B1, "corr", "", "", "badge", 5)])  # out for a break ...
    a.tick(T0 + 5000 * S)
    _est(a, [(5100, B1, "inquiry", "", "", "badge", 5)])  # ... and back before abandoned_s
    for now in range(5100, 9000, 60):
        a.tick(T0 + now * S)
    assert _raised(a) == []


def test_no_missing_for_a_file_brought_in_without_a_holder():
    a = Alerts(SITE, AlertConfig(abandoned_s=1800))
    _est(a, [(0, D1, "corr", "", "", "dossier", 0), (0, B2, "inquiry", "", "", "badge", 6)])
    _est(a, [(60, D1, "inquiry", "", "", "dossier", 0), (120, B2, "corr", "", "", "badge", 6)])
    for now in range(120, 4000, 60):  # no put-down seen (an estimate drifting in): no evidence of abandonment
        a.tick(T0 + now * S)
    assert _raised(a) == []


def test_left_building_from_the_reads_when_the_estimate_stays_inside():
    """Last heard at the exterior door's portal and by nothing since for left_confirm_s: left, whatever the estimate
    (a passage the locator missed leaves it in the corridor); heard inside after the door: not."""
    site = {**SITE, "readers": [{**r, "antennas": [{**r["antennas"][0], "covers": {
        "space": "corr", "door": "d-exit", "side": "corr", "other_side": "car-park"}}]} if r["id"] == "R-d-exit" else r
        for r in SITE["readers"]], "doors": SITE["doors"] + [{"id": "d-exit", "a": "corr", "b": "car-park"}],
        "exits": ["d-exit"]}  # fmt: skip
    a = Alerts(site)
    _est(a, [(0, D1, "office", "", "", "dossier", 0), (0, D2, "office", "", "", "dossier", 1)])
    _est(a, [(100, D1, "corr", "", "A", "dossier", 0), (100, D2, "corr", "", "B", "dossier", 1)])
    _obs(a, 200, [0, 1], 1)  # both read at the exit door (inside for left_inside_s before) ...
    _obs(a, 205, [1], 2)  # ... D2 then heard in the office again
    a.tick(T0 + 219 * S)
    assert _raised(a) == []
    a.tick(T0 + 220 * S)
    rows = [r for r in a.book.take() if r["kind"] == "left_building"]
    assert [(r["epc"], r["t_us"]) for r in rows] == [(D1, T0 + 220 * S)]
    # a file arriving from court, first heard at the door and then not for a while (the stairs): no leaving
    _est(a, [(300, D3, "court", "", "", "dossier", 3), (400, D3, "corr", "", "A", "dossier", 3)])
    _obs(a, 401, [3], 1)
    a.tick(T0 + 500 * S)
    assert [r for r in _raised(a) if r[1] == "left_building"] == []


def test_no_separated_while_a_storage_room_still_hears_the_item():
    """Its volume back in storage and the item's estimate still in the office, but a storage room's antenna keeps
    hearing the item (shelved, the estimate lags): not parted; once storage has been silent away_quiet_s, it is."""
    a = Alerts(SHELF_SITE, AlertConfig(separated_s=300, away_quiet_s=300))
    for e in ({"kind": "register", "epc": D1, "case": "C1"}, {"kind": "item_register", "epc": IT, "case": "C1"}):
        a.event({"t_us": T0, **e})
    _est(a, [(0, D1, "office", "office/D1", "", "dossier", 0), (0, IT, "office", "office/D1", "", "item", 2)])
    a.tick(T0 + 30 * S)  # seen beside its volume
    _est(a, [(60, D1, "dossiers", "dossiers/S1", "", "dossier", 0)])
    for now in range(60, 1400, 60):
        if now <= 600:
            _shelf(a, now, 2, {0: -60})  # the shelves hear the item until 600
        a.tick(T0 + now * S)
    rows = [r for r in a.book.take() if r["kind"] == "separated"]
    # storage last heard it at 600: apart from the first tick past 600 + away_quiet_s (960), raised separated_s on
    assert [(r["state"], r["t_us"]) for r in rows] == [("raised", T0 + 1260 * S)]
