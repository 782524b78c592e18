"""The world: chunks tile the run, truth partitions time, carried tags ride with holders, reads are reproducible."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.building.floorfile import load_floor
from twin.building.graph import FloorGraph
from twin.run import run_loaded, scenario_toml
from twin.scenario import SCENARIOS_DIR, load_scenario
from twin.world import World

from . import fakes
from .invariants import check_carried_with_holder, check_segments_cover, check_truth

FAKE = dict(agents=(fakes.build_population, fakes.start_agents), engine_factory=fakes.FakeEngine)
CI = load_scenario(SCENARIOS_DIR / "ci-baseline.toml")
GRAPH = FloorGraph(load_floor(CI.floor))


def small(seed: int, hours: float, officers: int, dossiers: int, chunk_s: float):
    pop = CI.population.model_copy(update={"case_officers": officers, "active_dossiers": dossiers})
    return CI.model_copy(update={"seed": seed, "duration_s": hours * 3600.0, "population": pop, "chunk_s": chunk_s})


def collect(world: World):
    chunks = list(world.run())
    reads = np.concatenate([c.reads for c in chunks])
    segs = np.concatenate([c.segments for c in chunks])
    truth = pa.concat_tables([c.truth for c in chunks])
    return chunks, reads, segs, truth


def reads_hash(chunks) -> str:
    h = hashlib.sha256()
    for c in chunks:
        h.update(np.ascontiguousarray(c.reads).tobytes())
    return h.hexdigest()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31), st.floats(0.3, 1.5), st.integers(1, 12), st.integers(5, 200),
       st.sampled_from([10.0, 60.0, 300.0]))
def test_world_invariants_on_generated_scenarios(seed, hours, officers, dossiers, chunk_s):
    scn = small(seed, hours, officers, dossiers, chunk_s)
    world = World(scn, **FAKE)
    chunks, reads, segs, truth = collect(world)
    # chunks tile [start, end)
    assert chunks[0].t0_us == scn.start_us and chunks[-1].t1_us == scn.end_us
    assert all(a.t1_us == b.t0_us for a, b in zip(chunks, chunks[1:]))
    reg = {r: scn.start_us for r in set(truth.column("epc").to_pylist())}
    assert len(reg) == world.ledger.n_tags
    check_truth(truth, reg, scn.end_us, GRAPH.adjacent)
    check_segments_cover(segs, reg, scn.end_us)
    badges = {name: badge for name, badge, _, _ in world.population.officers}
    check_carried_with_holder(truth, segs, badges)
    # no read falls outside its chunk, and none from an antenna that cannot reach the tag's true position
    for c in chunks:
        assert np.all((c.reads["first_us"] >= c.t0_us) & (c.reads["t_us"] < c.t1_us))


def test_same_seed_same_reads_and_another_seed_differs():
    scn = small(5, 1.0, 8, 100, 60.0)
    a = reads_hash(list(World(scn, **FAKE).run()))
    b = reads_hash(list(World(scn, **FAKE).run()))
    c = reads_hash(list(World(scn.with_overrides(seed=6), **FAKE).run()))
    assert a == b != c


def test_run_writes_workspace(tmp_path):
    scn = small(3, 1.0, 6, 60, 60.0)
    m = run_loaded(scn, tmp_path, save_streams=True, progress=False, **FAKE)
    on_disk = json.loads((tmp_path / "metrics.json").read_text())
    assert on_disk == m
    assert m["reads"]["rows"] == pq.read_metadata(tmp_path / "reads.parquet").num_rows > 0
    truth = pq.read_table(tmp_path / "truth.parquet")
    assert truth.num_rows == m["moves"]["truth_intervals"]
    check_truth(truth, {e: scn.start_us for e in set(truth.column("epc").to_pylist())}, scn.end_us, GRAPH.adjacent)
    assert pq.read_table(tmp_path / "events.parquet").num_rows == m["events"]["total"]
    assert pq.read_table(tmp_path / "anomalies.parquet").num_rows == m["anomalies"]["total"]
    assert m["population"]["dossiers"] == 60 and m["runtime"]["real_time_factor"] > 0
    again = load_scenario(tmp_path / "scenario.toml")
    assert scenario_toml(again).splitlines()[1:] == scenario_toml(scn).splitlines()[1:]


def test_scheduled_outage_silences_reader_and_is_an_anomaly():
    from twin.scenario import Outage

    scn = small(4, 1.0, 10, 200, 60.0)
    world0 = World(scn, **FAKE)
    _, reads0, _, _ = collect(world0)
    busiest = max(set(reads0["reader"].tolist()), key=lambda r: int((reads0["reader"] == r).sum())).decode()
    out = Outage(reader=busiest, start=scn.at(600.0), duration_s=1200.0)
    scn2 = scn.model_copy(update={"faults": scn.faults.model_copy(update={"outages": (out,)})})
    world = World(scn2, **FAKE)
    chunks, reads, _, _ = collect(world)
    t0, t1 = scn.start_us + 600_000_000, scn.start_us + 1_800_000_000
    mine = reads[reads["reader"] == busiest.encode()]
    assert not np.any((mine["t_us"] >= t0) & (mine["first_us"] < t1))
    assert len(mine) > 0
    an = pa.concat_tables([c.anomalies for c in chunks]).to_pylist()
    assert [(a["kind"], a["t_us"]) for a in an if a["kind"] == "reader_offline"] == [("reader_offline", t0)]


@pytest.mark.parametrize("name", ["ci-baseline", "ci-week", "ci-busy", "ci-misbehaviour", "ci-lean",
                                  "baseline", "week", "busy", "misbehaviour", "lean"])
def test_scenarios_load_and_roundtrip(name, tmp_path):
    scn = load_scenario(SCENARIOS_DIR / f"{name}.toml")
    (tmp_path / "s.toml").write_text(scenario_toml(scn))
    again = load_scenario(tmp_path / "s.toml")
    assert again.model_dump(exclude={"source"}) == scn.model_dump(exclude={"source"})
    if not name.startswith("ci-"):
        assert scn.population.officers >= 120 and scn.population.active_dossiers >= 3000
        assert scn.start.weekday() < 5 and (scn.start.hour, scn.start.minute) == (0, 0)


def test_state_between_chunks_is_bounded_by_population():
    """Nothing accumulates with run length: after each chunk only per-tag and per-officer state is left."""
    scn = small(8, 12.0, 6, 50, 600.0)
    world = World(scn, **FAKE)
    led = world.ledger
    for ch in world.run():
        assert led._closed_pieces == [] and all(len(col) == 0 for col in led._truth)
        assert sum(len(o.pieces) for o in led._officer_list) <= 40 * led.n_officers
        assert sum(len(o.crossings) for o in led._officer_list) <= 40 * led.n_officers
    assert ch.t1_us == scn.end_us
