"""The oracle core on a hand-made floor with the real read engine: it beats last-read-wins, emits on change only,
and is deterministic; its link model is the engine's (same draws as rf.pair_link)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from twin.bench.naive import NaiveCore
from twin.bench.oracle import OracleCore
from twin.bench.protocol import Core
from twin.building.model import Door, Floor, Level, Space, StorageUnit
from twin.readers import rf
from twin.readers.engine import ReaderEngine
from twin.readers.placement import Antenna, Placement, Reader
from twin.readers.segments import TagSegments
from twin.readers.site import export_site
from twin.rng import Streams

T0 = 1_700_000_040_000_000
MIN = 60_000_000


def rect(x0, y0, x1, y1):
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def floor() -> Floor:
    """Two 8 x 6 m rooms joined by a door; two shelves 5 m apart in room a."""
    spaces = {"a": Space("a", "A", "room", "archive", "L1", rect(0, 0, 8, 6)),
              "b": Space("b", "B", "room", "office", "L1", rect(8, 0, 16, 6))}
    doors = {"d-ab": Door("d-ab", "a", "b", "L1", (8.0, 3.0), 1.2),
             "d-a-out": Door("d-a-out", "a", "b", "L1", (8.0, 5.0), 0.8)}
    del doors["d-a-out"]
    storage = {"a/S1": StorageUnit("a/S1", "a", "shelf", (1.5, 5.5), 1.5, 0.4, 100, facing_deg=270.0),
               "a/S2": StorageUnit("a/S2", "a", "shelf", (6.5, 5.5), 1.5, 0.4, 100, facing_deg=270.0)}
    return Floor("oracle-test", "<tests>", 1, {"L1": Level("L1", "G", 0.0)}, spaces, doors, {}, storage, "d-ab")


def placement() -> Placement:
    def ant(rd, port, kind, xy, az, h, space, storage=""):
        return Antenna(rd, port, kind, "L1", xy, h, az, 70.0, 6.0, space, storage=storage)

    readers = {
        "R-a": Reader("R-a", "fixed", 30.0, "S1", 200.0, 1000.0, (
            ant("R-a", 1, "shelf", (1.5, 4.6), 90.0, 1.2, "a", "a/S1"),
            ant("R-a", 2, "shelf", (6.5, 4.6), 90.0, 1.2, "a", "a/S2"))),
        "R-b": Reader("R-b", "fixed", 30.0, "S1", 200.0, 1000.0, (ant("R-b", 1, "zone", (12.0, 3.0), 0.0, 2.7, "b"),)),
    }
    return Placement("oracle-test", "<tests>", 1, "oracle-test", readers)


def _epcs(n):
    return np.array([f"2C{i:022X}".encode() for i in range(n)], dtype="S24")


def _world(n_per=12, minutes=6, seed=5):
    """Static tags: n_per on each shelf (inside it, where the ledger rests them) and n_per in room b's centre."""
    f, pl = floor(), placement()
    pts = [f.storage["a/S1"].position, f.storage["a/S2"].position, f.spaces["b"].centroid]
    truth = [("a", "a/S1"), ("a", "a/S2"), ("b", "")]
    epc = _epcs(3 * n_per)
    xy = np.repeat(np.array(pts), n_per, axis=0)
    cont = np.repeat([0, 1, -1], n_per)
    tags = TagSegments.static(epc, 0, xy[:, 0], xy[:, 1], T0, T0 + minutes * MIN, cont)
    eng = ReaderEngine(f, pl, streams=Streams(seed))
    chunks = [eng.generate(T0 + k * MIN, T0 + (k + 1) * MIN, tags) for k in range(minutes)]
    want = {e.decode(): truth[i // n_per] for i, e in enumerate(epc)}
    return f, pl, eng, chunks, want


def _drive(core, chunks):
    out = []
    for k, reads in enumerate(chunks):
        core.ingest(reads)
        out.append(core.advance(T0 + (k + 1) * MIN).estimates)
    return pa.concat_tables(out)


def _final_hits(est: pa.Table, want: dict, column: str) -> float:
    last = {}
    for e, s, u in zip(est["epc"].to_pylist(), est["space"].to_pylist(), est["storage"].to_pylist()):
        last[e] = s if column == "space" else (s, u)
    good = sum((last.get(e) == (w[0] if column == "space" else w)) for e, w in want.items())
    return good / len(want)


@pytest.fixture(scope="module")
def world():
    return _world()


def test_oracle_is_a_core_and_knows_the_engine_draws(world):
    f, pl, eng, chunks, want = world
    seed = eng.seed
    core = OracleCore(export_site(f, pl), {"floor": f, "placement": pl, "rf_seed": seed, "engine": eng})
    assert isinstance(core, Core) and core.name == "oracle"
    m = core.m
    e = _epcs(4)
    P = m.per_round_p(e)
    ai, xy = m._ex
    off, dead = rf.tag_quality(seed, e, m.P)
    th = rf.tag_hash(seed, e)
    walls = np.array([f.walls_crossed("L1", m.A.xy[a], xy[j:j + 1])[0] for j, a in enumerate(ai)])
    for i in range(len(e)):
        n = len(ai)
        p, _ = rf.pair_link(m.A.arrays, ai, m.A.xy[ai], xy, np.repeat(th[i], n), np.repeat(off[i], n),
                            np.repeat(dead[i], n), walls, np.zeros(n, bool), seed, m.P)
        np.testing.assert_allclose(P[i, m._exact_rows], p)


def test_oracle_beats_last_read_wins_and_reaches_the_physics(world):
    f, pl, eng, chunks, want = world
    site = export_site(f, pl)
    oracle = _drive(OracleCore(site, {"floor": f, "placement": pl, "rf_seed": eng.seed, "engine": eng}), chunks)
    naive = _drive(NaiveCore(site), chunks)
    o_zone, n_zone = _final_hits(oracle, want, "space"), _final_hits(naive, want, "space")
    o_unit, n_unit = _final_hits(oracle, want, "storage"), _final_hits(naive, want, "storage")
    assert o_zone >= n_zone and o_zone >= 0.95
    # known gap: a weakly read shelf tag is sometimes better explained by the space's "anywhere" candidate
    assert o_unit >= 0.9 and o_unit >= n_unit - 0.1


def test_rows_only_on_change_and_deterministic(world):
    f, pl, eng, chunks, want = world
    cfg = {"floor": f, "placement": pl, "rf_seed": eng.seed, "engine": eng}
    a = _drive(OracleCore(export_site(f, pl), cfg), chunks)
    b = _drive(OracleCore(export_site(f, pl), cfg), chunks)
    assert a.equals(b) and a.num_rows > 0
    last = {}
    for e, s, u in zip(a["epc"].to_pylist(), a["space"].to_pylist(), a["storage"].to_pylist()):
        assert last.get(e) != (s, u)
        last[e] = (s, u)
    t = a["t_us"].to_numpy()
    assert np.all(np.diff(t) >= 0) and t.max() <= T0 + len(chunks) * MIN


def test_bad_config_is_an_input_error():
    from twin.errors import InputError

    with pytest.raises(InputError):
        OracleCore({}, {})
