"""The scorer on hand-made truth/estimate/anomaly/alert tables with answers worked out by hand."""

from __future__ import annotations

import pytest

from twin.bench.score import flat_values, score

from .tables import SITE, T0, S, estimates, events, truth


def run(tr=None, est=None, an=None, al=None, *, end_s=100, warmup_s=0, site=SITE, **kw):
    return score(tr, est, an, al, start_us=T0, end_us=T0 + end_s * S, warmup_s=warmup_s, site=site, **kw)


def zdp(m):
    return m["zone_detection_probability"]["value"]


def test_estimate_mid_second_counts_from_the_next_tick():
    m = run(truth(("A", 0, 100, "office")), estimates((10.5, "A", "office")))
    # ticks 0..99; the estimate is in force from 10.5 s: ticks 11..99 = 89 of 100
    assert m["zone_detection_probability"]["ticks"] == 100
    assert zdp(m) == pytest.approx(89 / 100)


def test_estimate_exactly_on_a_tick_counts_that_tick():
    m = run(truth(("A", 0, 100, "office")), estimates((10, "A", "office")))
    assert zdp(m) == pytest.approx(90 / 100)


def test_a_tag_never_read_scores_zero_for_its_time():
    m = run(truth(("A", 0, 100, "office"), ("B", 0, 100, "office")), estimates((0, "A", "office")))
    assert zdp(m) == pytest.approx(0.5)
    assert run(truth(("B", 0, 100, "office")))["zone_detection_probability"]["value"] == 0.0


def test_move_at_a_chunk_border_is_exact():
    # true move at 60 s (a chunk border); the core reports it at exactly 60 s: every tick right
    tr = truth(("A", 0, 60, "office"), ("A", 60, 120, "corr"))
    m = run(tr, estimates((0, "A", "office"), (60, "A", "corr")), end_s=120)
    assert zdp(m) == 1.0
    assert m["latency_s_p50"]["value"] == 0.0
    # reported one microsecond late: tick 60 is wrong
    est = estimates((0, "A", "office"), (60.000001, "A", "corr"))
    assert zdp(run(tr, est, end_s=120)) == pytest.approx(119 / 120)


def test_estimates_before_the_warmup_are_in_force_after_it():
    tr = truth(("A", 0, 100, "office"))
    m = run(tr, estimates((5, "A", "corr"), (7, "A", "office")), warmup_s=50)
    assert m["zone_detection_probability"]["ticks"] == 50
    assert zdp(m) == 1.0
    # the last of several rows with the same time wins
    m = run(tr, estimates((7, "A", "office"), (7, "A", "corr")), warmup_s=50)
    assert zdp(m) == 0.0


def test_only_dossier_time_is_scored_and_breakdowns_by_purpose():
    tr = truth(
        ("A", 0, 50, "office"), ("A", 50, 100, "archive", "archive/S01"),
        ("BADGE", 0, 100, "corr", "", "badge"),
    )  # fmt: skip
    est = estimates((0, "A", "office"), (75, "A", "archive", "archive/S02"), (0, "BADGE", "office"))
    m = run(tr, est)
    z = m["zone_detection_probability"]
    assert z["ticks"] == 100
    assert z["value"] == pytest.approx(75 / 100)
    assert z["by_purpose"]["office"] == {"value": 1.0, "ticks": 50}
    assert z["by_purpose"]["archive"] == {"value": 0.5, "ticks": 50}
    assert z["by_space"]["archive"]["value"] == 0.5
    st = m["storage_detection_probability"]
    assert st["ticks"] == 50 and st["value"] == 0.0  # shelf S02 estimated, S01 true
    assert set(st["by_purpose"]) == {"archive"}


def test_storage_detection_counts_the_storage_unit():
    tr = truth(("A", 0, 100, "archive", "archive/S01"), ("B", 0, 100, "office", "office/D01"))
    est = estimates((20, "A", "archive", "archive/S01"), (0, "B", "office", "office/D01"))
    st = run(tr, est)["storage_detection_probability"]
    assert st["ticks"] == 100  # the desk is not in a storage room
    assert st["value"] == pytest.approx(0.8)


def test_latency_and_missed_moves():
    tr = truth(
        ("A", 0, 10, "office"), ("A", 10, 40, "corr"), ("A", 40, 100, "archive"),  # 2 moves: 10 s, 40 s
        ("B", 0, 30, "corr"), ("B", 30, 50, "office"), ("B", 50, 100, "corr"),  # moves at 30 s, 50 s
    )  # fmt: skip
    est = estimates(
        (0, "A", "office"), (13, "A", "corr"), (41.5, "A", "archive"),  # latencies 3 s and 1.5 s
        (0, "B", "corr"), (55, "B", "office"),  # B's move to office seen only after it left: missed; corr already
    )  # fmt: skip
    m = run(tr, est)
    # latencies: A 3 s and 1.5 s; B->office missed; B->corr at 50 s: the estimate in force is still corr -> 0 s
    assert m["latency_s_p50"]["moves"] == 4
    assert m["latency_missed_share"]["value"] == pytest.approx(1 / 4)
    assert m["latency_s_p50"]["value"] == pytest.approx(1.5)
    assert m["latency_s_p95"]["value"] == pytest.approx(1.5 + 0.9 * 1.5)


def test_portal_latency_only_for_doors_watched_by_portals():
    tr = truth(("A", 0, 10, "office"), ("A", 10, 40, "corr"), ("A", 40, 100, "archive"))
    est = estimates((0, "A", "office"), (14, "A", "corr"), (41, "A", "archive"))
    m = run(tr, est)
    assert m["latency_portal_s_p50"]["moves"] == 1  # corr -> archive through d-archive (portal)
    assert m["latency_portal_s_p50"]["value"] == pytest.approx(1.0)
    assert m["latency_s_p95"]["value"] == pytest.approx(1 + 0.95 * 3)
    assert "latency_portal_s_p50" not in run(tr, est, site={"spaces": SITE["spaces"]})


def test_moves_before_the_warmup_are_not_counted():
    tr = truth(("A", 0, 10, "office"), ("A", 10, 100, "corr"))
    m = run(tr, estimates((0, "A", "office")), warmup_s=20)
    assert m["latency_s_p50"]["moves"] == 0 and m["latency_s_p50"]["value"] is None


def test_alert_before_its_anomaly_counts_with_negative_delay():
    an = events((100, "left_building", "A"))
    al = events((70, "left_building", "A"))
    m = flat_values(run(an=an, al=al, end_s=1000))
    assert m["alert_left_building_precision"] == 1.0
    assert m["alert_left_building_recall"] == 1.0
    assert m["alert_left_building_delay_s_p50"] == pytest.approx(-30.0)
    # too early (before early_s = 60 s): no match
    m = flat_values(run(an=an, al=events((30, "left_building", "A")), end_s=1000))
    assert m["alert_left_building_precision"] == 0.0 and m["alert_left_building_recall"] == 0.0


def test_duplicate_alerts_match_once_and_other_tags_never():
    an = events((100, "misfiled", "A"), (100, "misfiled", "B"))
    al = events((110, "misfiled", "A"), (120, "misfiled", "A"), (130, "misfiled", "C"), (140, "drawer", "B"))
    m = run(an=an, al=al, end_s=1000)
    assert m["alert_misfiled_precision"]["value"] == pytest.approx(1 / 3)
    assert m["alert_misfiled_recall"]["value"] == pytest.approx(1 / 2)
    assert m["alert_misfiled_delay_s_p50"]["value"] == pytest.approx(10.0)
    assert m["alert_drawer_precision"]["value"] == 0.0
    assert m["alert_drawer_recall"]["value"] is None  # no drawer anomaly


def test_two_anomalies_two_alerts_greedy_matching_is_maximal():
    # misfiled windows: 60 s early, 1800 s late. The alert at 150 s could take either anomaly; taking the one at
    # 200 s would leave the alert at 1950 s nothing (the 100 s anomaly closed at 1900 s)
    an = events((100, "misfiled", "A"), (200, "misfiled", "A"))
    al = events((150, "misfiled", "A"), (1950, "misfiled", "A"))
    m = run(an=an, al=al, end_s=5000)
    assert m["alert_misfiled_recall"]["value"] == 1.0
    assert m["alert_misfiled_delay_s_p50"]["value"] == pytest.approx((50 + 1750) / 2)


def test_reader_offline_matches_on_space_and_windows_are_configurable():
    an = events((100, "reader_offline", "", "archive"))
    al = events((400, "reader_offline", "", "office"), (500, "reader_offline", "", "archive"))
    m = run(an=an, al=al, end_s=1000)
    assert m["alert_reader_offline_recall"]["value"] == 1.0
    assert m["alert_reader_offline_precision"]["value"] == 0.5
    m = run(an=an, al=al, end_s=1000, alert_windows={"reader_offline": {"window_s": 300}})
    assert m["alert_reader_offline_recall"]["value"] == 0.0


def test_alerts_and_anomalies_in_the_warmup_are_not_counted_but_still_match():
    an = events((10, "separated", "A"))
    al = events((70, "separated", "A"))
    m = run(an=an, al=al, end_s=1000, warmup_s=60)
    assert m["alert_separated_recall"]["value"] is None  # the anomaly began in the warm-up
    assert m["alert_separated_precision"]["value"] == 1.0  # the alert is a true one


def test_empty_tables():
    m = run(truth(), estimates(), events(), events())
    assert m["zone_detection_probability"] == {
        "value": None, "unit": "ratio", "ticks": 0, "by_purpose": {}, "by_space": {}}  # fmt: skip
    assert m["storage_detection_probability"]["value"] is None
    assert m["latency_s_p50"]["value"] is None and m["latency_missed_share"]["value"] is None
    assert not [k for k in m if k.startswith("alert_")]
    assert run(None, None, None, None, site=None)["zone_detection_probability"]["value"] is None


def test_every_metric_has_a_unit():
    m = run(truth(("A", 0, 100, "office")), estimates((1, "A", "office")), events((5, "drawer", "A")), events())
    assert all(set(v) >= {"value", "unit"} for v in m.values())
