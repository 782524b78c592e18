"""Light-barrier faults through twin and tracker: the tracker stops trusting a door whose beam is blocked (its stuck
rule) and trusts it again once it clears, and the portal direction of the dossier passages through a faulted door
is no worse than the antennas-only tracker's on the same stream. A door whose beams are dead is caught only by the
silence rule (`beam_silence_s`, 24 h by default): shown here with a 10 min window (docs/scenario-format.md, figures)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401
import pytest

from twin.errors import InputError
from twin.run import scenario_toml
from twin.scenario import load_scenario
from twin.world import World

from . import beam_fault_run as B

US = 1_000_000


def _faults(scn, keep):
    return scn.model_copy(update={"faults": scn.faults.model_copy(update={"beams": keep})})


def test_the_scenario_file_reads_back_and_bad_faults_name_file_field_and_value(tmp_path):
    scn = load_scenario(B.SCENARIO)
    assert [(f.reader, f.port, f.kind, f.duration_s) for f in scn.faults.beams] == [
        ("R-d-dossier-room", 1, "blocked", 3600.0), ("R-d-archive", 1, "dead", 3600.0),
        ("R-d-archive", 2, "dead", 3600.0), ("R-d-office-04", 1, "dead", 10800.0)]
    again = tmp_path / "as-run.toml"
    again.write_text(scenario_toml(scn))
    assert load_scenario(again).faults == scn.faults
    bad = (scn.faults.beams[0].model_copy(update={"reader": "R-d-nowhere"}),
           scn.faults.beams[1].model_copy(update={"port": 7}))
    with pytest.raises(InputError) as e:
        World(_faults(scn, bad))
    msg = str(e.value)
    assert "beam-faults.toml: faults.beams[0].reader = 'R-d-nowhere': expected a reader of the placement" in msg
    assert "faults.beams[1].port = 7: expected a light-barrier GPI port of reader R-d-archive (1, 2)" in msg
    text = B.SCENARIO.read_text().replace('kind = "blocked"', 'kind = "stuck"')
    (tmp_path / "s.toml").write_text(text.replace('"floors/', f'"{B.SCENARIO.parent}/floors/').replace(
        '"placements/', f'"{B.SCENARIO.parent}/placements/'))
    with pytest.raises(InputError, match=r"faults.beams\[0\].kind = 'stuck'"):
        load_scenario(tmp_path / "s.toml")


@pytest.fixture(scope="module")
def short():
    """The first hour of scenarios/beam-faults.toml with blocked beams instead: the dossier room's room-side beam
    08:25-08:55 and the archive's corridor-side one 08:28-08:45 (this hour's passages there: 08:30, 08:51; 08:31-08:38)."""
    scn = load_scenario(B.SCENARIO).model_copy(update={"duration_s": 3600.0})
    blocked = next(f for f in scn.faults.beams if f.kind == "blocked")
    at = lambda m: scn.start + timedelta(minutes=m)  # noqa: E731
    faults = (blocked.model_copy(update={"start": at(25), "duration_s": 1800.0}),
              blocked.model_copy(update={"reader": "R-d-archive", "port": 2, "start": at(28), "duration_s": 1020.0}))
    return B.run(_faults(scn, faults), {"beams": {}, "antennas": {"beams": False}})


def test_blocked_beam_door_is_distrusted_while_blocked_and_direction_holds(short):
    assert {(f.door, f.kind) for f in short.world.beam_faults} == {("d-dossier-room", "blocked"),
                                                                  ("d-archive", "blocked")}
    n = 0
    for f in short.world.beam_faults:
        # the stuck rule: beam_stuck_s (60 s) after the "true", plus the watermark and a chunk
        assert B.trusted_share(short, "beams", f.door, f.t0_us + 120 * US, f.t1_us) == 0.0
        # trusted before (from the stream's first beam change, ~08:15 on this seed) and once cleared
        assert B.trusted_share(short, "beams", f.door, f.t0_us - 240 * US, f.t0_us) == 1.0
        assert B.trusted_share(short, "beams", f.door, f.t1_us + 120 * US, f.t1_us + 600 * US) == 1.0
        d = short.world.floor.doors[f.door]
        ps = B.passages(short.truth, d.a, d.b, f.t0_us, f.t1_us)
        n += len(ps)
        assert B.right(short.estimates["beams"], ps).sum() >= B.right(short.estimates["antennas"], ps).sum()
    assert n >= 10


@pytest.fixture(scope="module")
def full():
    scn = load_scenario(B.SCENARIO)
    return B.run(scn, {"beams": {}, "antennas": {"beams": False}, "silence_10min": {"beam_silence_s": 600.0}}), scn


@pytest.mark.slow
def test_the_scenario_shows_each_fault_in_the_stream_and_the_truth(full):
    r, scn = full
    got = {(f.reader, f.port, f.kind) for f in r.world.beam_faults}
    assert got == {(f.reader, f.port, f.kind) for f in scn.faults.beams}
    assert r.world.journal.anomaly_counts["reader_offline"] == len(scn.faults.beams)


@pytest.mark.slow
def test_every_fault_leaves_direction_no_worse_than_antennas_alone(full):
    r, _ = full
    rows = B.report(r)
    for row in rows:
        assert row["right_beams"] >= row["right_antennas"], row
    blocked = next(row for row in rows if "blocked" in row["fault"])
    assert blocked["passages"] >= 10
    assert blocked["trusted_during_beams"] == 0.0 and blocked["trusted_after_beams"] == 1.0


@pytest.mark.slow
def test_dead_beams_are_distrusted_by_the_silence_rule(full):
    r, _ = full
    for f in r.world.beam_faults:
        if f.kind != "dead":
            continue
        # a 10 min silence window catches a dead beam within minutes (the default, 24 h, not in this run)
        assert B.trusted_share(r, "silence_10min", f.door, f.t0_us + 900 * US, f.t1_us) < 0.35
    t, live = r.live["beams"]
    assert np.asarray(live).shape == (len(t), len(r.doors))


def _stream(scn):
    w = World(scn)
    h, st = [], []
    for ch in w.run():
        h.append(np.ascontiguousarray(ch.reads).tobytes())
        st.append(ch.reader_events)
    return w, b"".join(h), pa.concat_tables(st)


def test_random_beam_faults_touch_only_the_faulted_beams_rows():
    base = load_scenario(B.SCENARIO).model_copy(update={"duration_s": 1200.0})  # people walk from ~08:15
    base = _faults(base, ())
    rnd = base.model_copy(update={"faults": base.faults.model_copy(update={"beam_mtbf_h": 0.25,
                                                                           "beam_mttr_min": 3.0})})
    w0, r0, s0 = _stream(base)
    w1, r1, s1 = _stream(rnd)
    assert w0.beam_faults == () and len(w1.beam_faults) >= 10
    assert {f.kind for f in w1.beam_faults} == {"blocked", "dead"} and not any(f.scheduled for f in w1.beam_faults)
    assert r0 == r1  # the reads do not change
    gpi = lambda s: pa.compute.equal(s["kind"], "GPIEvent")  # noqa: E731
    assert s0.filter(pa.compute.invert(gpi(s0))).equals(s1.filter(pa.compute.invert(gpi(s1))))
    faulted = {(f.reader, f.port) for f in w1.beam_faults}
    rows = lambda s: [r for r in s.filter(gpi(s)).to_pylist()]  # noqa: E731
    clean = lambda s: [r for r in rows(s) if (r["reader"], r["antenna"]) not in faulted]  # noqa: E731
    assert clean(s0) == clean(s1)  # the other beams' rows are the same
    assert len(rows(s0)) - len(clean(s0)) >= 20  # ... and the faulted ones had rows to lose
    for f in w1.beam_faults:  # strictly inside a fault (on the reader's clock) the beam says nothing
        a, b = w1._reader_clock(f.reader).to_reader(np.array([f.t0_us, f.t1_us], np.int64)).tolist()
        inside = [r for r in rows(s1) if (r["reader"], r["antenna"]) == (f.reader, f.port) and a < r["t_us"] < b]
        assert inside == [], (f, inside)
