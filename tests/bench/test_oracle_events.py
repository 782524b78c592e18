"""The oracle reads the business events every core gets: registered home units and checked-out dossiers gone by
road (the tracker's rules), so it stays a bound on cores that use them; the bench driver tells it when GPI portals
ran."""

from __future__ import annotations

import types

import numpy as np
import pyarrow as pa

from twin.bench.drive import _Driven
from twin.bench.oracle import OracleCore
from twin.bench.oracle_events import road_trips
from twin.readers.site import export_site
from twin.records import EVENTS_SCHEMA

from .test_oracle import MIN, T0, _epcs, floor, placement


def _core():
    f, pl = floor(), placement()
    return OracleCore(export_site(f, pl), {"floor": f, "placement": pl, "rf_seed": 5})


def _event(t_us: int, kind: str, epc: str, detail: str) -> pa.Table:
    row = {"t_us": [t_us], "kind": [kind], "case": ["C1"], "epc": [epc], "officer": ["o1"], "stage": [""],
           "deadline_us": [0], "detail": [detail]}
    return pa.table({n: pa.array(row[n], EVENTS_SCHEMA.field(n).type) for n in EVENTS_SCHEMA.names})


def _reads(epc: bytes, reader: str, port: int, t_s: list[float]) -> np.ndarray:
    from twin.records import READ_DTYPE

    r = np.zeros(len(t_s), READ_DTYPE)
    r["t_us"] = [T0 + int(t * 1e6) for t in t_s]
    r["first_us"] = r["t_us"]
    r["reader"], r["antenna"], r["epc"], r["rssi_dbm"], r["count"] = reader.encode(), port, epc, -50.0, 1
    return r


def test_a_registration_naming_a_home_unit_shows_the_unread_dossier_on_it():
    core = _core()
    epc = _epcs(1)[0].decode()
    core.ingest(_reads(b"2C" + b"F" * 22, "R-b", 1, [1.0]))  # another tag starts the clock
    core.apply(_event(T0, "register", epc, "volume 1 of 1; criminal; home a/S2"))
    est = core.advance(T0 + MIN).estimates
    row = [(s, u) for e, s, u in zip(est["epc"].to_pylist(), est["space"].to_pylist(), est["storage"].to_pylist())
           if e == epc]  # fmt: skip
    assert row == [("a", "a/S2")]


def test_a_checked_out_dossier_silent_outside_goes_to_the_checkout_place():
    """Room b stands for the car park (outside), room a for the checkout's place: shown in b and unheard for the
    tracker's offsite_silence_s (30 s) since the checkout and its last read, it is moved to a; not before."""
    core = _core()
    b, a = core.m.space_ids.index("b"), core.m.space_ids.index("a")
    core.outside[b] = True
    epc = _epcs(1)[0]
    core.apply(_event(T0, "checkout", epc.decode(), "a; approved by o2"))
    i = int(core._epcs.ids(np.array([epc], dtype="S24"))[0])
    core._grow()
    core.last_space[i], core.last_read[i] = b, T0 + 10_000_000
    assert road_trips(core, T0 + 39_000_000) == []
    rows = road_trips(core, T0 + 41_000_000)
    assert [(t, tag, int(core.m.c_space[c])) for t, tag, c in rows] == [(T0 + 40_000_000, i, a)]
    core.last_space[i] = a  # shown there now: nothing more
    assert road_trips(core, T0 + 50_000_000) == []


def test_the_bench_driver_tells_the_oracle_when_the_portals_ran(tmp_path):
    calls = []

    class Stub:
        name = "oracle"

        def observe(self, t0, t1, segments):
            calls.append((t0, t1, segments))

        def ingest(self, reads):
            pass

        def apply(self, events):
            pass

        def advance(self, t_us):
            from twin.bench.protocol import CoreOutput, empty_alerts, empty_estimates

            return CoreOutput(empty_estimates(), empty_alerts())

    d = _Driven("oracle", Stub(), tmp_path)
    d.step(types.SimpleNamespace(t0_us=1, t1_us=2, segments="segs", reads=None, events=None))
    d.close()
    assert calls == [(1, 2, "segs")]


def _deaf_at(core, unit: str, n: int = 3000) -> bytes:
    """A dossier EPC whose true per-round probability is nil on every antenna at the unit (its shadowing draws)."""
    m = core.m
    c = int(np.flatnonzero(m.c_storage == m.storage_ids.index(unit))[0])
    cols = np.arange(m.c_start[c], m.c_start[c + 1])
    epcs = np.array([f"2C{i:022X}".encode() for i in range(1000, 1000 + n)], dtype="S24")
    p = m.per_round_p(epcs)[:, cols].max(axis=1)
    return bytes(epcs[int(np.argmin(p))])


def test_a_filing_counts_from_its_own_time_not_from_the_start_of_its_chunk():
    """Carried in room b (read there until 49 s), then filed on a/S2 at 50 s of the same chunk, on a unit where no
    antenna can hear this tag: the filing shows at 50 s and holds. Applied at the chunk's start (as before), the
    carry's reads after it overrode the filing and the dossier stayed in b."""
    core = _core()
    epc = _deaf_at(core, "a/S2")
    core.ingest(_reads(epc, "R-b", 1, [float(s) for s in range(1, 60)]))
    assert set(core.advance(T0 + MIN).estimates["space"].to_pylist()) == {"b"}
    core.ingest(_reads(epc, "R-b", 1, [float(s) for s in range(60, 110)]))
    core.apply(_event(T0 + MIN + 50_000_000, "archive", epc.decode(), "a/S2"))
    est = core.advance(T0 + 2 * MIN).estimates
    rows = [(t - T0, s, u) for t, e, s, u in zip(est["t_us"].to_pylist(), est["epc"].to_pylist(),
                                                 est["space"].to_pylist(), est["storage"].to_pylist())
            if e == epc.decode()]  # fmt: skip
    assert rows == [(MIN + 50_000_000, "a", "a/S2")]
    est = core.advance(T0 + 10 * MIN).estimates  # eight silent minutes on the deaf unit: it stays
    assert epc.decode() not in est["epc"].to_pylist()



def test_a_carried_dossier_gone_silent_is_put_back_on_its_registered_home():
    """Registered with home a/S2 (a unit no antenna can hear this tag on), carried in room b for a minute, then
    silent while b's reader is down (its silence says nothing): the oracle keeps moving a belief that is off the
    units (carried) and, with the home in its support, shows it back on a/S2. Before, a silent tag whose belief
    expected no reads was not filtered at all and stayed in b."""
    core = _core()
    epc = _deaf_at(core, "a/S2")
    j = core.m.ant_index[(b"R-b", 1)]
    core.trig.down[j] = np.array([[T0 + MIN, T0 + 60 * MIN]], np.int64)
    core.apply(_event(T0 - 3_600_000_000, "register", epc.decode(), "volume 1 of 1; criminal; home a/S2"))
    core.ingest(_reads(epc, "R-b", 1, [float(s) for s in range(1, 60)]))
    last = None
    for k in range(2, 12):
        est = core.advance(T0 + k * MIN).estimates
        for e, s, u in zip(est["epc"].to_pylist(), est["space"].to_pylist(), est["storage"].to_pylist()):
            if e == epc.decode():
                last = (s, u)
    assert last == ("a", "a/S2")
