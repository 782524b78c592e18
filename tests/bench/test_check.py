"""The regression gate: bands and baselines give verdicts, JUnit XML has one testcase per scenario x metric, and
the gate bites: the naive core fails a storage band that the tracker passes on a tiny scenario."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from twin.bench.baselines import Entry, direction, load_baseline, record_baseline
from twin.bench.check import check, default_scenarios, evaluate, junit_xml
from twin.scenario import Band

from .tiny import write_tiny

# On the tiny scenario naive measures ~0.79 zone / ~0.70 shelf and the tracker ~0.98 / ~0.97 (seed of tiny.py).
BANDS = ('zone_detection_probability = { min = 0.9 }\nstorage_detection_probability = { min = 0.85 }\n'
         '"population.officers" = { min = 1 }')


def _metrics(core="tracker", **vals):
    return {"core": core, "population": {"officers": 11},
            "bench": {k: {"value": v, "unit": "ratio"} for k, v in vals.items()}}


def test_directions():
    assert direction("zone_detection_probability") == 1
    assert direction("alert_missing_recall") == 1
    assert direction("latency_s_p95") == -1
    assert direction("latency_missed_share") == -1
    assert direction("alert_drawer_delay_s_p50") == -1
    assert direction("population.dossiers") == 0


@pytest.mark.parametrize("value, verdict", [(0.80, "ok"), (0.79, "ok"), (0.77, "regressed"), (0.83, "better"),
                                            (None, "missing")])  # fmt: skip
def test_baseline_entry_verdicts(value, verdict):
    assert Entry(0.80, 0.02).verdict("zone_detection_probability", value) == verdict


def test_lower_is_better_and_two_sided():
    assert Entry(10.0, 2.0).verdict("latency_s_p95", 13.0) == "regressed"
    assert Entry(10.0, 2.0).verdict("latency_s_p95", 7.0) == "better"
    assert Entry(10.0, 2.0).verdict("population.dossiers", 7.0) == "regressed"


def test_evaluate_band_baseline_and_missing(tmp_path):
    record_baseline("s", "tracker", 1, {"zone_detection_probability": {"value": 0.9, "unit": "ratio"},
                                        "core_wall_s": {"value": 3.0, "unit": "s"},
                                        "latency_s_p50": {"value": None, "unit": "s"}},
                    skip=("core_wall_s",), folder=tmp_path)  # fmt: skip
    base = load_baseline("s", tmp_path)
    assert set(base.metrics) == {"zone_detection_probability"}  # runtime and empty metrics are never recorded
    bands = {"storage_detection_probability": Band(min=0.4), "population.officers": Band(min=1, max=10),
             "alert_missing_recall": Band(min=0.5)}  # fmt: skip
    rows = {r.metric: r for r in evaluate("s", bands, _metrics(storage_detection_probability=0.5,
                                                               zone_detection_probability=0.85), base)}  # fmt: skip
    assert rows["storage_detection_probability"].verdict == "ok"
    assert rows["population.officers"].verdict == "OUT" and rows["population.officers"].value == 11
    assert rows["alert_missing_recall"].verdict == "missing"
    assert rows["zone_detection_probability"].verdict == "regressed"
    assert "regressed from baseline 0.9" in rows["zone_detection_probability"].message
    # a baseline recorded with another core is not applied
    other = {r.metric: r for r in evaluate("s", {}, _metrics("naive", zone_detection_probability=0.5), base)}
    assert other == {}


def test_update_keeps_hand_edited_tolerance(tmp_path):
    bench = {"zone_detection_probability": {"value": 0.9, "unit": "ratio"}}
    path = record_baseline("s", "tracker", 1, bench, folder=tmp_path)
    doc = json.loads(path.read_text())
    doc["metrics"]["zone_detection_probability"]["tol"] = 0.1
    path.write_text(json.dumps(doc))
    record_baseline("s", "tracker", 1, {"zone_detection_probability": {"value": 0.8, "unit": "ratio"}}, folder=tmp_path)
    e = load_baseline("s", tmp_path).metrics["zone_detection_probability"]
    assert (e.value, e.tol) == (0.8, 0.1)


def test_junit_one_testcase_per_metric():
    rows = evaluate("a", {"storage_detection_probability": Band(min=0.4), "population.officers": Band(min=1)},
                    _metrics(storage_detection_probability=0.1), None)  # fmt: skip
    root = ET.fromstring(junit_xml(rows, {"a": 1.5}))
    suite = root.find("testsuite")
    assert suite.get("name") == "a" and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["storage_detection_probability"].find("failure") is not None
    assert cases["population.officers"].find("failure") is None


def test_default_scenarios_are_the_ci_ones():
    names = [p.name for p in default_scenarios()]
    assert names and all(n.startswith("ci-") for n in names)


def test_gate_bites_naive_fails_tracker_passes(tmp_path):
    """Room and shelf accuracy: last-read-wins follows every cross-read; the tracker arbitrates and passes."""
    scn = write_tiny(tmp_path, BANDS)
    base = tmp_path / "baselines"
    junit = tmp_path / "naive.xml"
    assert check([scn], junit, False, "naive", baseline_dir=base) == 1
    failures = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None]
    assert sorted(failures) == ["storage_detection_probability", "zone_detection_probability"]
    assert check([scn], None, False, "tracker", baseline_dir=base) == 0
    # recorded baselines are then held: the same run passes, a tightened band still bites
    assert check([scn], None, True, "tracker", baseline_dir=base) == 0
    assert load_baseline("tiny", base).core == "tracker"
    assert check([scn], None, False, "tracker", baseline_dir=base) == 0
