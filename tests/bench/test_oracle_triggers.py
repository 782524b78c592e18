"""The oracle's read model under start triggers: periodic S2 room readers and a GPI portal, with the real engine.

Closed forms: a periodic antenna runs one dwell slot per report period (minus outages); a GPI portal runs from a
walker entering the sensor radius to `hold` after leaving it; a periodic S2 read is log(1 - e^-Λ) + log(lam_a / Λ) and
a silent inventory -Λ. Known answers: static shelf tags under periodic S2 readers go to their shelf.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from twin.bench.naive import NaiveCore
from twin.bench.oracle import OracleCore
from twin.bench.oracle_filter import evidence
from twin.readers.engine import ReaderEngine
from twin.readers.faults import Faults
from twin.readers.placement import Antenna, Placement, Reader
from twin.readers.segments import TagSegments
from twin.readers.site import export_site
from twin.rng import Streams

from .test_oracle import MIN, T0, _epcs, _final_hits, floor

PERIOD_MS = 10_000.0


def placement() -> Placement:
    def ant(rd, port, kind, xy, az, h, space, storage="", door=""):
        return Antenna(rd, port, kind, "L1", xy, h, az, 70.0, 6.0, space, storage=storage, door=door)

    readers = {
        "R-a": Reader("R-a", "fixed", 27.0, "S2", 200.0, PERIOD_MS, (
            ant("R-a", 1, "shelf", (1.5, 4.6), 90.0, 1.2, "a", "a/S1"),
            ant("R-a", 2, "shelf", (6.5, 4.6), 90.0, 1.2, "a", "a/S2")), "periodic"),
        "R-b": Reader("R-b", "fixed", 27.0, "S2", 200.0, PERIOD_MS,
                      (ant("R-b", 1, "zone", (12.0, 3.0), 0.0, 2.7, "b"),), "periodic"),
        "R-d": Reader("R-d", "fixed", 30.0, "S0", 200.0, 1000.0, (
            ant("R-d", 1, "portal", (7.5, 3.0), 180.0, 2.2, "a", door="d-ab"),
            ant("R-d", 2, "portal", (8.5, 3.0), 0.0, 2.2, "b", door="d-ab")), "gpi"),
    }
    return Placement("oracle-trig", "<tests>", 1, "oracle-test", readers)


def _engine(faults=None, seed=7):
    return ReaderEngine(floor(), placement(), streams=Streams(seed), faults=faults, t_ref_us=T0)


def _statics(n_per, minutes):
    f = floor()
    pts = [f.storage["a/S1"].position, f.storage["a/S2"].position, f.spaces["b"].centroid]
    epc = _epcs(3 * n_per)
    xy = np.repeat(np.array(pts), n_per, axis=0)
    tags = TagSegments.static(epc, 0, xy[:, 0], xy[:, 1], T0, T0 + minutes * MIN, np.repeat([0, 1, -1], n_per))
    truth = [("a", "a/S1"), ("a", "a/S2"), ("b", "")]
    return tags, {e.decode(): truth[i // n_per] for i, e in enumerate(epc)}


def _core(eng, **kw):
    f, pl = eng.floor, eng.placement
    return OracleCore(export_site(f, pl), {"floor": f, "placement": pl, "rf_seed": eng.seed, "engine": eng, **kw})


def test_periodic_slots_and_outages_are_the_exposure():
    down = np.array([[T0 + 5 * MIN, T0 + 6 * MIN]], np.int64)
    eng = _engine(Faults({"R-b": down}))
    tags, _ = _statics(1, 10)
    eng.generate(T0, T0 + MIN, tags)  # the engine draws its phases on its first call
    core = _core(eng)
    X = core.trig.exposure(T0, 60, 10_000_000)  # ten minutes in 10 s steps
    ka = {k[0].decode(): i for i, k in enumerate(core.m.A.keys)}
    a, b = ka["R-a"], ka["R-b"]
    assert X[:, a].sum() == pytest.approx(60.0)  # one whole slot per 10 s period
    assert X[:, b].sum() == pytest.approx(54.0)  # six periods lost to the outage
    assert np.all(X[30:36, b] == 0)
    d = [i for i, k in enumerate(core.m.A.keys) if k[0] == b"R-d"]
    assert X[:, d].sum() == 0  # nobody walked: the portal never ran


def test_gpi_window_is_the_walk_past_the_sensor_plus_hold():
    eng = _engine()
    core = _core(eng)
    # a walker crossing the door at 1 m/s along y = 3 from x = 4 to x = 12 during [T0 + 10 s, T0 + 18 s)
    seg = TagSegments(np.array([0]), _epcs(1), np.array([T0 + 10_000_000]), np.array([T0 + 18_000_000]),
                      np.array([0]), np.array([4.0]), np.array([3.0]), np.array([12.0]), np.array([3.0]),
                      np.array([-1]))
    core.observe(T0, T0 + MIN, seg)
    X = core.trig.exposure(T0, 6, 10_000_000)
    d = [i for i, k in enumerate(core.m.A.keys) if k[0] == b"R-d"]
    # sensor centre (8, 3), radius 1.5 m: inside from 12.5 s to 15.5 s, then 2 s hold -> 5 s alive
    assert X[:, d[0]].sum() == pytest.approx(5.0, abs=1e-3)
    assert X[1, d[0]] == pytest.approx(5.0, abs=1e-3)


def test_periodic_s2_read_and_silence_closed_form():
    eng = _engine()
    tags, _ = _statics(1, 1)
    eng.generate(T0, T0 + MIN, tags)
    core = _core(eng)
    e = _epcs(1)
    core.ingest(np.zeros(0, dtype=eng.generate(T0, T0 + 1, tags).dtype))
    core._epcs.ids(e)
    core._grow()
    m = core.m
    c = np.array([[m.storage_ids.index("a/S1")]])
    a = [i for i, k in enumerate(m.A.keys) if k == (b"R-a", 1)][0]
    X = np.zeros((2, len(m.A.keys)))
    X[:, a] = 1.0  # one slot of antenna 1 in each step; the tag is read in step 0 only
    z = np.zeros(0, np.int64)
    E = evidence(core, np.array([0]), c, X, np.array([0]), np.array([a]), np.array([0]), np.array([1]))
    j = m.lut[c[0, 0], a]
    lam = core.rates.lam(core.p[0, j:j + 1].astype(float), np.array([a]))[0]
    assert lam > 0
    assert E[0, 0, 0] == pytest.approx(np.log(-np.expm1(-lam)), rel=1e-6, abs=1e-9)  # read once in the slot
    assert E[0, 1, 0] == pytest.approx(-lam, rel=1e-6)  # silent inventory
    E0 = evidence(core, np.array([0]), c, X, z, z, z, z)
    assert E0[0, 0, 0] == pytest.approx(-lam, rel=1e-6)


@pytest.fixture(scope="module")
def periodic_world():
    eng = _engine()
    tags, want = _statics(12, 6)
    chunks = [eng.generate(T0 + k * MIN, T0 + (k + 1) * MIN, tags) for k in range(6)]
    return eng, chunks, want


def test_periodic_s2_shelf_tags_go_to_their_shelf(periodic_world):
    eng, chunks, want = periodic_world
    out, naive = [], NaiveCore(export_site(eng.floor, eng.placement))
    core = _core(eng)
    nv = []
    for k, reads in enumerate(chunks):
        for c in (core, naive):
            c.ingest(reads)
        core.observe(T0 + k * MIN, T0 + (k + 1) * MIN, None)
        out.append(core.advance(T0 + (k + 1) * MIN).estimates)
        nv.append(naive.advance(T0 + (k + 1) * MIN).estimates)
    est, nest = pa.concat_tables(out), pa.concat_tables(nv)
    read = {e.decode() for e in np.concatenate(chunks)["epc"]}
    want = {e: w for e, w in want.items() if e in read}  # a tag never read is nowhere for every core
    assert len(want) >= 30
    assert _final_hits(est, want, "space") >= 0.95
    assert _final_hits(est, want, "storage") >= 0.9
    assert _final_hits(est, want, "storage") >= _final_hits(nest, want, "storage")


def test_filing_and_off_site_events_set_places():
    eng = _engine()
    core = _core(eng)
    e1, e2 = (x.decode() for x in _epcs(2))
    ev = pa.table({"t_us": pa.array([T0 + 5, T0 + 7], pa.int64()), "kind": ["archive", "checkout"],
                   "case": ["C1", "C2"], "epc": [e1, e2], "officer": ["", "co-1"], "stage": ["", ""],
                   "deadline_us": pa.array([None, None], pa.int64()), "detail": ["a/S2", "nowhere; approved"]})
    core.apply(ev)
    out = core.advance(T0 + MIN).estimates.to_pylist()
    assert [(r["epc"], r["space"], r["storage"], r["t_us"]) for r in out] == [(e1, "a", "a/S2", T0 + 5)]
    i = core._epcs.ids(np.array([e1.encode()], dtype="S24"))[0]
    assert core.m.storage_ids[core.m.c_storage[core.sup[i, 0]]] == "a/S2" and core.bel[i, 0] >= 0.9


def test_six_inventories_read_in_one_step_are_six_reads():
    eng = _engine()
    tags, _ = _statics(1, 1)
    reads = eng.generate(T0, T0 + MIN, tags)
    core = _core(eng)
    core._epcs.ids(_epcs(3))
    core._grow()
    m = core.m
    a = [i for i, k in enumerate(m.A.keys) if k == (b"R-a", 1)][0]
    c = np.array([[m.storage_ids.index("a/S1")]])
    X = np.zeros((1, len(m.A.keys)))
    X[0, a] = 6.0
    P, off = core.trig.period_us[a], core.trig.off[a]
    t = T0 // P * P + off + np.arange(6) * P + 1000  # inside six consecutive slots
    one = np.ones(6, np.int64)
    E = evidence(core, np.array([0]), c, X, 0 * one, a * one, 0 * one, one, t)
    assert len(reads) and E[0, 0, 0] == pytest.approx(6 * np.log(-np.expm1(-core.lam[0, m.lut[c[0, 0], a]])), rel=1e-5)
