"""Light-barrier faults through twin and tracker: the tracker stops trusting a door whose beam is blocked (its stuck
rule) and trusts it again once it clears, and the portal direction of the dossier passages through a faulted door
is no worse than the antennas-only tracker's on the same stream. A door whose two beams are dead is caught by the beam
watch (twin.tracker.beam_watch) minutes after people start crossing it, and its passages are then shown as fast as
the antennas alone show them; every fault is a reader_offline alert naming its reader and port
(docs/reader-events.md, figures)."""

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


def test_each_blocked_beam_is_one_reader_offline_alert_the_bench_matches(short):
    rows = short.alerts["beams"].filter(pa.compute.equal(short.alerts["beams"]["kind"], "reader_offline")).to_pylist()
    assert sorted(r["detail"] for r in rows) == [
        "reader R-d-archive light barrier 2 (d-archive, corr-2c side) interrupted for over 60 s",
        "reader R-d-dossier-room light barrier 1 (d-dossier-room, dossier-room side) interrupted for over 60 s"]
    got = B.offline_alerts(short, "beams")
    assert (got["precision"], got["recall"]) == (1.0, 1.0) and got["delays_s"] == [60.0, 60.0]
    assert B.offline_alerts(short, "antennas")["alerts"] == 0


@pytest.fixture(scope="module")
def full():
    scn = load_scenario(B.SCENARIO)
    return B.run(scn, {"beams": {}, "silent_alerts": {"beam_silent_alert": True}, "no_watch": {"beam_watch": False},
                       "antennas": {"beams": False},
                       "silence_10min": {"beam_silence_s": 600.0, "beam_watch": False}}), scn


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


@pytest.mark.slow
def test_the_dead_archive_door_is_distrusted_minutes_after_people_cross_it_and_its_passages_are_fast_again(full):
    r, _ = full
    f = next(f for f in r.world.beam_faults if f.door == "d-archive")
    first = B.first_crossing_us(r, f.door, f.t0_us, f.t1_us)  # nobody crosses it for its first 26 min
    assert first is not None and first - f.t0_us > 600 * US
    # trusted until people cross it (a door nobody uses says nothing), distrusted within 10 min of the first crossing
    # (two carried through unseen, a minute's stay, a chunk); without the watch: trusted throughout (24 h rule)
    assert B.trusted_share(r, "beams", f.door, first - 600 * US, first) == 1.0
    lost = B.distrusted_after_s(r, "beams", f.door, first, f.t1_us)
    assert lost <= 600.0, lost
    assert B.trusted_share(r, "no_watch", f.door, first, f.t1_us) == 1.0
    # the passages after that: as fast as the antennas alone show them (healthy beams: 0.4 s), not 3-6 s late
    d = r.world.floor.doors[f.door]
    ps = B.passages(r.truth, d.a, d.b, first + int(lost * US), f.t1_us)
    assert len(ps) >= 2  # (08:37:56 and 08:38:15 on this seed)
    watch, ants = B.latency_s(r.estimates["beams"], ps), B.latency_s(r.estimates["antennas"], ps)
    slow = B.latency_s(r.estimates["no_watch"], ps)
    assert np.median(watch) <= np.median(ants) + 0.5 and np.median(watch) < np.median(slow) - 1.0, (watch, ants, slow)
    assert B.right(r.estimates["beams"], ps).all()


@pytest.mark.slow
def test_every_fault_is_one_reader_offline_alert_naming_its_reader_and_port(full):
    r, scn = full
    rows = r.alerts["silent_alerts"].filter(
        pa.compute.equal(r.alerts["silent_alerts"]["kind"], "reader_offline")).to_pylist()
    named = sorted((row["detail"].split()[1], int(row["detail"].split()[4])) for row in rows)
    assert named == sorted((f.reader, f.port) for f in scn.faults.beams)
    # a dead beam shows when people cross its door (office-04's sixth one-beam crossing, the archive's first crossings
    # 26 min in), past the 10 min the bench gives a reader outage, but the bench matches a fault's alert while the
    # fault lasts: every one matches, none is false
    got = B.offline_alerts(r, "silent_alerts")
    assert (got["precision"], got["recall"]) == (1.0, 1.0)
    # by default a door silent through crossings is distrusted without an alert (misjudged moves look the same):
    # the blocked beam and office-04's dead one are named, the archive's two dead beams are not
    got = B.offline_alerts(r, "beams")
    assert (got["precision"], got["alerts"], got["recall"]) == (1.0, 2, 0.5)
    assert B.offline_alerts(r, "no_watch")["alerts"] == 0


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
