"""Portal direction and per-day scores on hand-made tables with answers worked out by hand."""

from __future__ import annotations

import pytest

from twin.bench.score import score
from twin.bench.score_days import day_windows

from .tables import SITE, T0, S, estimates, truth

DAY = 86_400


def run(tr=None, est=None, *, end_s=100, warmup_s=0, site=SITE):
    return score(tr, est, None, None, start_us=T0, end_us=T0 + end_s * S, warmup_s=warmup_s, site=site)


def test_day_windows_clip_to_the_scoring_window():
    assert day_windows(T0, T0 + 10 * S, T0 + (DAY + 5) * S) == [
        (0, T0 + 10 * S, T0 + DAY * S), (1, T0 + DAY * S, T0 + (DAY + 5) * S)]  # fmt: skip
    assert day_windows(T0, T0 + (DAY + 1) * S, T0 + (DAY + 2) * S) == [(1, T0 + (DAY + 1) * S, T0 + (DAY + 2) * S)]
    assert day_windows(T0, T0, T0) == []


def test_portal_direction_counts_passages_through_portal_doors_only():
    # A: corr -> archive through the portal door d-archive, stays 40 s; the core shows archive: right.
    # B: corr -> archive, the core puts it back in corr: wrong.
    # C: corr -> office (no portal on d-office): not a portal passage at all.
    # D: corr -> archive at the end, staying only 5 s (< 10 s): not counted.
    tr = truth(
        ("A", 0, 50, "corr"), ("A", 50, 90, "archive"),
        ("B", 0, 50, "corr"), ("B", 50, 90, "archive"),
        ("C", 0, 50, "corr"), ("C", 50, 90, "office"),
        ("D", 0, 85, "corr"), ("D", 85, 90, "archive"),
    )  # fmt: skip
    est = estimates((0, "A", "corr"), (51, "A", "archive"), (0, "B", "corr"), (51, "B", "archive"),
                    (60, "B", "corr"), (0, "C", "corr"), (0, "D", "corr"))  # fmt: skip
    d = run(tr, est)["portal_direction_right"]
    assert d["passages"] == 2
    assert d["value"] == pytest.approx(0.5)


def test_a_stay_split_by_a_put_down_is_one_stay():
    # the archive stay is two truth rows (carried, then on a shelf): one passage, judged 10 s after it
    tr = truth(("A", 0, 50, "corr"), ("A", 50, 52, "archive"), ("A", 52, 90, "archive", "archive/S01"))
    m = run(tr, estimates((0, "A", "corr"), (55, "A", "archive", "archive/S01"), (80, "A", "corr")))
    assert m["portal_direction_right"]["passages"] == 1
    assert m["portal_direction_right"]["value"] == 1.0  # the drift back to corr at 80 s is not a direction error
    # shown only 30 s after the passage: too late to count as the direction taken
    m = run(tr, estimates((0, "A", "corr"), (80, "A", "archive", "archive/S01")))
    assert m["portal_direction_right"]["value"] == 0.0


def test_a_core_that_never_estimates_gets_no_passage_right():
    m = run(truth(("A", 0, 50, "corr"), ("A", 50, 90, "archive")), estimates())
    assert m["portal_direction_right"] == {"value": 0.0, "unit": "ratio", "passages": 1, "value_all": 0.0,
                                           "dead_passages": 0}


def test_a_dead_tags_passages_are_counted_apart():
    # A right, B wrong, B's tag never answers: over live tags 1 of 1, over all 1 of 2
    tr = truth(("A", 0, 50, "corr"), ("A", 50, 90, "archive"), ("B", 0, 50, "corr"), ("B", 50, 90, "archive"))
    est = estimates((0, "A", "corr"), (51, "A", "archive"), (0, "B", "corr"))
    both = score(tr, est, None, None, start_us=T0, end_us=T0 + 100 * S, warmup_s=0, site=SITE)
    assert both["portal_direction_right"]["value"] == 0.5 and both["portal_direction_right"]["dead_passages"] == 0
    d = score(tr, est, None, None, start_us=T0, end_us=T0 + 100 * S, warmup_s=0, site=SITE,
              dead_tags=["B"])["portal_direction_right"]
    assert (d["value"], d["value_all"], d["passages"], d["dead_passages"]) == (1.0, 0.5, 1, 1)
    only = score(tr, est, None, None, start_us=T0, end_us=T0 + 100 * S, warmup_s=0, site=SITE,
                 dead_tags=["A", "B"])["portal_direction_right"]
    assert only["value"] is None and only["value_all"] == 0.5


def test_no_portal_doors_no_direction_metric():
    site = {**SITE, "readers": [r for r in SITE["readers"] if r["id"] != "R-archive"]}
    assert "portal_direction_right" not in run(truth(("A", 0, 50, "corr"), ("A", 50, 90, "archive")), site=site)


def test_worst_day_is_the_minimum_over_run_days():
    # day 0 all right; day 1 half right (the estimate turns wrong at the middle of day 1)
    end = 2 * DAY
    tr = truth(("A", 0, end, "office"))
    est = estimates((0, "A", "office"), (DAY + DAY / 2, "A", "corr"))
    m = run(tr, est, end_s=end)
    z = m["zone_detection_probability_min_day"]
    assert [d["value"] for d in z["by_day"]] == [1.0, pytest.approx(0.5)]
    assert z["value"] == pytest.approx(0.5)
    assert m["zone_detection_probability"]["value"] == pytest.approx(0.75)
    # a one-day run has no per-day metric
    assert "zone_detection_probability_min_day" not in run(tr, est, end_s=DAY)


def test_portal_direction_and_latency_by_day():
    tr = truth(("A", 0, 100, "corr"), ("A", 100, DAY + 100, "archive"), ("A", DAY + 100, 2 * DAY, "corr"))
    est = estimates((0, "A", "corr"), (102, "A", "archive"), (DAY + 103, "A", "archive"))
    m = run(tr, est, end_s=2 * DAY)
    d = m["portal_direction_right_min_day"]
    assert [x["passages"] for x in d["by_day"]] == [1, 1]
    assert [x["value"] for x in d["by_day"]] == [1.0, 0.0]  # day 1's move back to corr never shown
    lat = m["latency_portal_s_p95_max_day"]
    assert lat["by_day"][0]["value"] == pytest.approx(2.0)
    assert lat["by_day"][1]["value"] is None and lat["value"] == pytest.approx(2.0)
