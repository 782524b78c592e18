"""Light-barrier faults: a blocked beam reads interrupted from its fault's start to its end, a dead one says nothing,
each ends in the beam's real state; chunking changes nothing; scheduled faults are validated against the placement
and random ones come from their own stream."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.errors import InputError
from twin.readers.beams import DoorBeams
from twin.readers.faults import BeamFault, beam_faults
from twin.readers.layouts import mini_station_floor
from twin.readers.placement import Antenna, GpiInput, Placement, Reader
from twin.scenario import BeamFault as BeamFaultConfig
from twin.scenario import FaultsConfig

FLOOR = mini_station_floor()  # d-office at (3, 4) on the wall y = 4: office below, corridor above; 1.0 m wide
T0 = 1_800_000_000_000_000


def placement() -> Placement:
    """The portal of tests/readers/test_beams.py: R-office, light barriers on GPI ports 1 (office) and 2 (corr)."""
    ants = (Antenna("R-office", 1, "portal", "L1", (3.0, 3.85), 2.3, 270.0, 55.0, 6.0, "office", door="d-office"),
            Antenna("R-office", 2, "portal", "L1", (3.0, 4.15), 2.3, 90.0, 55.0, 6.0, "corr", door="d-office"))
    gpi = (GpiInput("R-office", 1, "light_barrier", "d-office", "office"),
           GpiInput("R-office", 2, "light_barrier", "d-office", "corr"))
    reader = Reader("R-office", "fixed", 30.0, "S0", 200.0, 1000.0, ants, "gpi", gpi)
    return Placement("t", "<test>", 1, FLOOR.name, {"R-office": reader})


def legs(*pieces):
    """Pieces (t0_s, t1_s, x0, y0, x1, y1) on level L1 as leg columns (µs from T0)."""
    arr = np.array(pieces, np.float64).reshape(-1, 6)
    us = lambda c: T0 + np.rint(arr[:, c] * 1e6).astype(np.int64)  # noqa: E731
    return {"t0_us": us(0), "t1_us": us(1),
            "level": np.zeros(len(arr), np.int64), "x0": arr[:, 2], "y0": arr[:, 3], "x1": arr[:, 4], "y1": arr[:, 5]}

S = 1_000_000
V = 1.3
#: office -> corridor crossings starting at these seconds (each breaks port 1 then port 2, ~0.3 s)
CROSS_S = (10.0, 30.0, 50.0)
PATH = [(t, t + 4.0 / V, 3.0, 2.0, 3.0, 6.0) for t in CROSS_S]


def fault(kind: str, a_s: float, b_s: float, port: int = 1) -> BeamFault:
    return BeamFault("R-office", port, kind, T0 + int(a_s * S), T0 + int(b_s * S))


def run(faults=(), path=PATH, cuts=(), end_s=60.0):
    """The rows of one DoorBeams over [0, end_s) cut into chunks at `cuts`, as (port, t_s, state) tuples."""
    b = DoorBeams(FLOOR, placement(), np.random.default_rng(0), miss_p=0.0, faults=faults)
    edges = [0.0, *sorted(cuts), end_s]
    parts = []
    for a, e in zip(edges, edges[1:]):
        clipped = [(max(p[0], a), min(p[1], e)) + _at(p, max(p[0], a)) + _at(p, min(p[1], e))
                   for p in path if p[1] > a and p[0] < e]
        parts.append(b.rows(T0 + int(a * S), T0 + int(e * S), legs(*clipped) if clipped else legs()))
    d = pa.concat_tables(parts).to_pydict()
    return [(p, (t - T0) / S, s == "true") for p, t, s in zip(d["antenna"], d["t_us"], d["detail"])]


def _at(p, t):
    f = (t - p[0]) / (p[1] - p[0])
    return (p[2] + (p[4] - p[2]) * f, p[3] + (p[5] - p[3]) * f)


def port(rows, k):
    return [(round(t, 3), s) for p, t, s in rows if p == k]


def test_no_faults_changes_nothing():
    legs_ = legs(*PATH)
    plain = DoorBeams(FLOOR, placement(), np.random.default_rng(0), miss_p=0.0).rows(T0, T0 + 60 * S, legs_)
    assert DoorBeams(FLOOR, placement(), np.random.default_rng(0), miss_p=0.0, faults=()).rows(
        T0, T0 + 60 * S, legs_).equals(plain)
    base = run()
    assert len(base) == 12 and [s for _, _, s in base[:4]] == [True, True, False, False]


def test_blocked_beam_reads_interrupted_from_start_to_end_and_nothing_between():
    base, got = run(), run([fault("blocked", 20.0, 40.0)])
    assert port(got, 2) == port(base, 2)  # the door's other beam is untouched
    p1, b1 = port(got, 1), port(base, 1)
    assert p1 == b1[:2] + [(20.0, True), (40.0, False)] + b1[4:]  # the crossing at 30 s is not seen on port 1


def test_dead_beam_says_nothing_while_dead():
    base, got = run(), run([fault("dead", 20.0, 40.0)])
    assert port(got, 2) == port(base, 2)
    assert port(got, 1) == port(port_rows := base, 1)[:2] + port(port_rows, 1)[4:]


def test_blocked_while_interrupted_sends_no_second_true_and_ends_when_the_body_leaves():
    on, off = [t for t, s in port(run(), 1)][:2]  # the first crossing's interruption of port 1
    mid = round((on + off) / 2, 3)
    got = port(run([fault("blocked", mid, 20.0)]), 1)
    assert got[:2] == [(on, True), (20.0, False)]  # the fault started with the beam already broken
    got = port(run([fault("blocked", 5.0, mid)]), 1)
    assert got[:2] == [(5.0, True), (off, False)]  # it ended with a body in the beam: cleared when it left


def test_dead_beam_holds_its_last_state_and_tells_the_real_one_at_the_end():
    on, off = [t for t, s in port(run(), 1)][:2]
    mid = round((on + off) / 2, 3)
    got = port(run([fault("dead", mid, 20.0)]), 1)
    assert got[:2] == [(on, True), (20.0, False)]  # broken when it died: reads broken until it works again
    got = port(run([fault("dead", 5.0, mid)]), 1)
    assert got[:2] == [(mid, True), (off, False)]  # back to work with a body in the beam


def test_back_to_back_faults_and_a_fault_past_the_run():
    got = port(run([fault("blocked", 20.0, 35.0), fault("dead", 35.0, 52.0), fault("blocked", 55.0, 90.0)]), 1)
    b1 = port(run(), 1)
    assert got == b1[:2] + [(20.0, True), (35.0, False), (55.0, True)]  # dead from 35 s: the 50 s crossing unseen


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.5, 59.5), min_size=1, max_size=4), st.sampled_from(["blocked", "dead"]),
       st.floats(0.0, 50.0), st.floats(0.2, 30.0))
def test_chunking_does_not_change_the_faulted_rows(cuts, kind, a_s, d_s):
    f = [fault(kind, a_s, a_s + d_s)]
    whole, split = run(f), run(f, cuts=cuts)
    assert [(p, s) for p, _, s in split] == [(p, s) for p, _, s in whole]
    assert np.max(np.abs(np.array([t for _, t, _ in split]) - [t for _, t, _ in whole]), initial=0) <= 2e-5


def test_rows_alternate_true_false_per_beam_whatever_the_faults():
    f = [fault("blocked", 9.0, 10.1), fault("dead", 29.9, 30.05, port=2), fault("dead", 49.0, 55.0, port=2)]
    got = run(f)
    for k in (1, 2):
        states = [s for _, s in port(got, k)]
        assert all(a != b for a, b in zip(states, states[1:])) and (not states or states[0])


START = datetime(2026, 3, 2, 8, tzinfo=timezone(timedelta(hours=8)))
START_US = int(START.timestamp() * S)


def cfg(*beams, **kw):
    return FaultsConfig(beams=tuple(BeamFaultConfig(reader=r, port=p, kind=k, start=START + timedelta(seconds=a),
                                                    duration_s=d) for r, p, k, a, d in beams), **kw)  # fmt: skip


def test_scheduled_faults_are_validated_against_the_placement():
    with pytest.raises(InputError) as e:
        beam_faults(cfg(("R-nowhere", 1, "dead", 0, 60), ("R-office", 3, "blocked", 0, 60)), placement(), START_US,
                    START_US + 3600 * S, np.random.default_rng(0), "scn.toml")  # fmt: skip
    msg = str(e.value)
    assert "scn.toml: faults.beams[0].reader = 'R-nowhere'" in msg
    assert "scn.toml: faults.beams[1].port = 3: expected a light-barrier GPI port of reader R-office (1, 2)" in msg


def test_scheduled_faults_are_clipped_to_the_run_and_sorted():
    got = beam_faults(cfg(("R-office", 2, "dead", 600, 7200), ("R-office", 1, "blocked", -60, 120)), placement(),
                      START_US, START_US + 3600 * S, np.random.default_rng(0))  # fmt: skip
    assert [(f.port, f.kind, f.t0_us - START_US, f.t1_us - START_US) for f in got] == [
        (1, "blocked", 0, 60 * S), (2, "dead", 600 * S, 3600 * S)]
    assert got[0].door == "d-office" and got[0].side == "office" and got[1].side == "corr"
    assert got[0].detail() == "reader R-office light barrier 1 (d-office, office side) blocked for 60 s"


def test_overlapping_faults_on_one_beam_are_an_input_error():
    with pytest.raises(ValueError, match="beams\\[1\\]"):
        cfg(("R-office", 1, "dead", 0, 600), ("R-office", 1, "blocked", 300, 60))
    cfg(("R-office", 1, "dead", 0, 600), ("R-office", 2, "blocked", 300, 60))  # the other beam: fine


def test_random_faults_follow_mtbf_mttr_and_share_and_spare_the_scheduled():
    span = 2000 * 86400 * S
    got = beam_faults(cfg(("R-office", 1, "dead", 0, 86400 * 100), beam_mtbf_h=24.0, beam_mttr_min=120.0,
                          beam_blocked_share=0.25), placement(), START_US, START_US + span, np.random.default_rng(3))
    rnd = [f for f in got if not f.scheduled]
    n = len(rnd)
    assert 2 * 2000 / (1 + 2 / 24) * 0.9 < n < 2 * 2000 / (1 + 2 / 24) * 1.1  # ~one a day per beam
    d_h = np.mean([(f.t1_us - f.t0_us) / 3600e6 for f in rnd])
    assert 1.8 < d_h < 2.2
    assert 0.2 < np.mean([f.kind == "blocked" for f in rnd]) < 0.3
    assert not any(f.port == 1 and f.t0_us < START_US + 86400 * 100 * S for f in rnd)
    again = beam_faults(cfg(("R-office", 1, "dead", 0, 86400 * 100), beam_mtbf_h=24.0, beam_mttr_min=120.0,
                            beam_blocked_share=0.25), placement(), START_US, START_US + span, np.random.default_rng(3))
    assert again == got


def test_no_random_faults_by_default():
    assert FaultsConfig().beam_mtbf_h == 0
    assert beam_faults(FaultsConfig(), placement(), START_US, START_US + 86400 * S, SimpleNamespace()) == ()
