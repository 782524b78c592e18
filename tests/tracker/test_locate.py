"""Cleaning and locating on hand-made streams: cross-reads suppressed, passages followed in the right direction,
storage units, and the smoother's runs carrying over exactly between batches."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.bench.naive import NaiveCore
from twin.tracker.core import TrackerCore
from twin.tracker.smooth import Cycles, RunState, accept, cycles

from .synth import DOSSIER, DOSSIER2, S, SITE, T0, reads, stationary, walk_a_to_b


def _feed(core, rows: np.ndarray, until_s: float, step_s: float = 60.0) -> pa.Table:
    out = []
    t = 0.0
    while t < until_s:
        t += step_s
        m = (rows["t_us"] >= T0 + int((t - step_s) * S)) & (rows["t_us"] < T0 + int(t * S))
        core.ingest(rows[m])
        out.append(core.advance(T0 + int(t * S)).estimates)
    out.append(core.advance(T0 + int((t + step_s) * S)).estimates)
    return pa.concat_tables(out)


def test_cycles_pick_the_place_with_most_evidence():
    tag = np.array([0, 0, 0, 0, 1], np.int32)
    t = T0 + np.array([0, 100, 200, 1_500_000, 0])
    place = np.array([2, 1, 1, 2, 0], np.int32)
    ev = np.array([0.9, 0.5, 0.5, 1.0, 1.0])
    c = cycles(tag, t, place, ev, 3)
    assert c.tag.tolist() == [0, 0, 1] and c.place.tolist() == [1, 2, 0]
    np.testing.assert_allclose(c.ev, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(c.total, [1.9, 1.0, 1.0])
    assert c.t_us[0] == T0 + 200


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(4, 64)), min_size=1, max_size=60),
       st.integers(0, 60))  # fmt: skip
def test_runs_carry_over_between_batches_exactly(script, cut):
    """Acceptance over one batch equals acceptance over the same cycles split in two with state carried over.

    Evidence is drawn in 1/64 steps (exact in binary floating point), so sums do not depend on the order of adding."""
    rows = sorted((tg, k, pl, ev / 64) for k, (tg, pl, ev) in enumerate(script))
    tag = np.array([r[0] for r in rows], np.int32)
    t = np.array([T0 + r[1] * S for r in rows], np.int64)
    c = Cycles(tag, np.array([r[2] for r in rows], np.int32), np.array([r[3] for r in rows]),
               np.array([r[3] for r in rows]) * 1.5, t)  # fmt: skip
    gap = np.full(3, 3 * S, np.int64)

    def run(parts):
        st_ = RunState.empty()
        st_.grow(3)
        got = []
        for p in parts:
            got += list(zip(*(x.tolist() for x in accept(p, st_, 1.0, gap)[:3])))
        return sorted(got), st_.accepted.tolist()

    # split by time so that each part stays sorted by (tag, time)
    cut_t = T0 + cut * S
    m = c.t_us < cut_t
    part = lambda sel: Cycles(c.tag[sel], c.place[sel], c.ev[sel], c.total[sel], c.t_us[sel])  # noqa: E731
    assert run([c]) == run([part(m), part(~m)])


def test_cross_reads_are_suppressed_where_naive_flips():
    rng = np.random.default_rng(7)
    rows = stationary(DOSSIER, 0, 600, 4.0, "R-a", 1, rng, cross=("R-b", 1), cross_share=0.1)
    r = reads(rows)
    est = _feed(TrackerCore(SITE), r, 600)
    assert est.column("space").to_pylist() == ["room-a"]
    naive = _feed(NaiveCore(SITE), r, 600)
    assert naive.num_rows > 50  # last read wins flips to room-b at every cross-read


def test_a_passage_is_followed_in_the_right_direction():
    rng = np.random.default_rng(1)
    rows = stationary(DOSSIER, 0, 100, 4.0, "R-a", 1, rng) + walk_a_to_b(DOSSIER, 100.0)
    rows += stationary(DOSSIER, 115, 300, 3.0, "R-b", 1, rng)
    est = _feed(TrackerCore(SITE), reads(rows), 300)
    spaces = est.column("space").to_pylist()
    assert spaces == ["room-a", "corr", "room-b"]
    t = [(x - T0) / S for x in est.column("t_us").to_pylist()]
    assert 100.0 <= t[1] <= 100.0 + 5 and 106.0 <= t[2] <= 106.0 + 5  # latency <= 5 s after each crossing
    conf = est.column("confidence").to_pylist()
    assert all(0.0 <= c <= 1.0 for c in conf)


def test_a_tag_lingering_at_a_door_is_not_moved_by_it():
    """A tag on a shelf beside the door is read by the corridor-side portal all along: no passage."""
    rng = np.random.default_rng(2)
    rows = stationary(DOSSIER, 0, 600, 4.0, "R-a", 1, rng)
    rows += stationary(DOSSIER, 0, 600, 0.5, "R-d-a", 2, rng)
    cfg = {"antenna_weight": {"R-d-a:2": 0.05, "R-d-a:1": 0.05}}
    est = _feed(TrackerCore(SITE, cfg), reads(rows), 600)
    assert est.column("space").to_pylist() == ["room-a"]


def test_storage_unit_by_the_loudest_shelf_antenna():
    rng = np.random.default_rng(4)
    rows = stationary(DOSSIER, 0, 300, 4.0, "R-a", 2, rng, cross=("R-a", 3), cross_share=0.3)
    rows += stationary(DOSSIER2, 0, 300, 4.0, "R-a", 3, rng, cross=("R-a", 2), cross_share=0.3)
    est = _feed(TrackerCore(SITE), reads(rows), 300)
    last = {e: (s, u) for e, s, u in zip(*(est.column(c).to_pylist() for c in ("epc", "space", "storage")))}
    assert last[DOSSIER] == ("room-a", "room-a/S1")
    assert last[DOSSIER2] == ("room-a", "room-a/S2")


def test_estimates_only_on_change_and_in_time_order():
    rng = np.random.default_rng(5)
    rows = stationary(DOSSIER, 0, 600, 4.0, "R-a", 1, rng) + stationary(DOSSIER2, 0, 600, 4.0, "R-b", 1, rng)
    est = _feed(TrackerCore(SITE), reads(rows), 600, step_s=7.0)
    assert est.num_rows == 2
    t = est.column("t_us").to_numpy()
    assert (np.diff(t) >= 0).all()


def test_a_dossier_carried_with_a_badge_gets_a_holder():
    from .synth import BADGE

    rng = np.random.default_rng(6)
    rows = stationary(DOSSIER, 0, 100, 4.0, "R-a", 1, rng) + stationary(BADGE, 0, 100, 4.0, "R-a", 1, rng)
    rows += walk_a_to_b(DOSSIER, 100.0) + walk_a_to_b(BADGE, 100.2)
    rows += stationary(DOSSIER, 115, 200, 3.0, "R-b", 1, rng) + stationary(BADGE, 115, 200, 3.0, "R-b", 1, rng)
    est = _feed(TrackerCore(SITE), reads(rows), 200)
    d = est.filter(pa.compute.equal(est["epc"], DOSSIER))
    assert d.column("space").to_pylist() == ["room-a", "corr", "room-b"]
    holders = d.column("holder").to_pylist()
    assert holders[0] == "" and holders[1].startswith("urn:epc:id:gsrn:") and holders[2] == holders[1]


def test_ale_cycles_report_net_additions_and_deletions():
    rng = np.random.default_rng(8)
    rows = reads(stationary(DOSSIER, 0, 50, 4.0, "R-a", 2, rng) + walk_a_to_b(DOSSIER, 70.0)
                 + stationary(DOSSIER, 80, 110, 3.0, "R-b", 1, rng))  # fmt: skip
    core = TrackerCore(SITE)
    reports = []
    for t in (60, 120, 180):
        m = (rows["t_us"] >= T0 + (t - 60) * S) & (rows["t_us"] < T0 + t * S)
        core.ingest(rows[m])
        core.advance(T0 + t * S)
        reports.append({r.reader: (r.additions, r.deletions) for r in core.last_cycle})
    assert reports[0] == {"room-a": ((DOSSIER,), ()), "room-a/S1": ((DOSSIER,), ())}
    # the corridor was crossed within the second cycle: in neither list
    assert reports[1] == {"room-a": ((), (DOSSIER,)), "room-a/S1": ((), (DOSSIER,)), "room-b": ((DOSSIER,), ())}
    assert reports[2] == {}
