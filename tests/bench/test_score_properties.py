"""The scorer's closed-form tick counting equals a tick-by-tick brute force on generated tables; invariants."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.bench.score import score

from .tables import SITE, T0, S, estimates, truth

SPACES = ["office", "corr", "archive", ""]
STORAGE = {"archive": ["archive/S01", "archive/S02"], "office": ["office/D01"], "corr": [""], "": [""]}
END_S = 30.0


@st.composite
def tables(draw):
    n_tags = draw(st.integers(1, 3))
    tr, est = [], []
    for k in range(n_tags):
        epc = f"E{k}"
        kind = draw(st.sampled_from(["dossier", "dossier", "item"]))
        cuts = sorted(draw(st.lists(st.integers(-5 * S, int(END_S * S) + 5 * S), min_size=2, max_size=7, unique=True)))
        cuts = [c / S for c in cuts]
        for a, b in zip(cuts, cuts[1:]):
            if draw(st.integers(0, 5)) == 0:
                continue  # a gap in the truth
            sp = draw(st.sampled_from(SPACES[:3]))
            tr.append((epc, a, b, sp, draw(st.sampled_from(STORAGE[sp])), kind))
        for _ in range(draw(st.integers(0, 8))):
            t = draw(st.integers(-10 * S, int(END_S * S) + 5 * S)) / S
            if draw(st.booleans()):
                t = float(round(t))  # exactly on a tick
            sp = draw(st.sampled_from(SPACES))
            est.append((t, epc, sp, draw(st.sampled_from(STORAGE[sp]))))
    warm = draw(st.sampled_from([0.0, 2.5, 10.0]))
    return tr, est, warm


def brute(tr, est, warm, field):
    """Tick-by-tick: (ticks right, ticks scored) of dossier time, `field` is 3 (space) or 4 (storage)."""
    good = total = 0
    w0 = T0 + round(warm * S)
    end = T0 + round(END_S * S)
    k = math.ceil((w0 - T0) / S)
    while T0 + k * S < end:
        tau = T0 + k * S
        for row in tr:
            epc, a, b = row[0], T0 + round(row[1] * S), T0 + round(row[2] * S)
            if row[5] != "dossier" or not (a <= tau < b):
                continue
            if field == 4 and not (SITE_PURPOSE.get(row[3]) in ("archive",) and row[4]):
                continue
            total += 1
            best = None
            for e in est:  # latest at or before tau; the later row among equal times
                te = T0 + round(e[0] * S)
                if e[1] == epc and te <= tau and (best is None or te >= best[0]):
                    best = (te, e)
            val = (best[1][2] if field == 3 else best[1][3]) if best else ""
            good += bool(val) and val == row[field]
        k += 1
    return good, total


SITE_PURPOSE = {s["id"]: s["purpose"] for s in SITE["spaces"]}


def run(tr, est, warm):
    return score(truth(*tr), estimates(*est), None, None, start_us=T0, end_us=T0 + round(END_S * S),
                 warmup_s=warm, site=SITE)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_detection_equals_brute_force(case):
    tr, est, warm = case
    m = run(tr, est, warm)
    for name, field in (("zone_detection_probability", 3), ("storage_detection_probability", 4)):
        good, total = brute(tr, est, warm, field)
        assert m[name]["ticks"] == total
        if total:
            assert m[name]["value"] == good / total
            assert 0.0 <= m[name]["value"] <= 1.0
        else:
            assert m[name]["value"] is None


@settings(max_examples=150, deadline=None)
@given(tables())
def test_perfect_estimates_score_one(case):
    tr, _, warm = case
    tr = [r for r in tr if r[5] == "dossier"]
    est = [(r[1], r[0], r[3], r[4]) for r in tr]  # the truth itself, reported at each interval's start
    m = run(tr, est, warm)
    for name in ("zone_detection_probability", "storage_detection_probability"):
        assert m[name]["value"] in (None, 1.0)
    assert m["latency_missed_share"]["value"] in (None, 0.0)
    assert m["latency_s_p95"]["value"] in (None, 0.0)


def brute_latency(tr, est, warm):
    w0, end = T0 + round(warm * S), T0 + round(END_S * S)
    out = []
    for epc in sorted({r[0] for r in tr if r[5] == "dossier"}):
        rows = sorted((T0 + round(r[1] * S), r[3]) for r in tr if r[0] == epc and r[5] == "dossier")
        changes = [(t, sp) for (t, sp), (_, prev) in zip(rows[1:], rows) if sp != prev]
        e = sorted(((T0 + round(x[0] * S), i, x[2]) for i, x in enumerate(est) if x[1] == epc))
        for j, (c, sp) in enumerate(changes):
            if not (w0 <= c < end):
                continue
            nxt = min(changes[j + 1][0] if j + 1 < len(changes) else end, end)
            shown = None
            for tau in sorted({c} | {t for t, _, _ in e if c < t < nxt}):
                cur = [x for x in e if x[0] <= tau]
                if cur and max(cur)[2] == sp:  # latest time, then latest row
                    shown = tau - c
                    break
            out.append(-1 if shown is None else shown)
    return out


@settings(max_examples=200, deadline=None)
@given(tables())
def test_latency_equals_brute_force(case):
    tr, est, warm = case
    lat = brute_latency(tr, est, warm)
    m = run(tr, est, warm)
    assert m["latency_s_p50"]["moves"] == len(lat)
    seen = np.array([x / S for x in lat if x >= 0])
    missed = sum(1 for x in lat if x < 0)
    assert m["latency_missed_share"]["value"] == (missed / len(lat) if lat else None)
    if len(seen):
        assert m["latency_s_p50"]["value"] == float(np.percentile(seen, 50))
