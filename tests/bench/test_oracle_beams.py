"""The oracle reads the door light barriers (twin.bench.oracle_beams): GPIEvent rows paired into directed crossings,
and a crossing sends a passing tag's belief to its destination, a walk past under working beams to neither side."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa

from twin.bench.oracle import OracleCore
from twin.bench.oracle_beams import BEAM_CROSS
from twin.readers.placement import GpiInput
from twin.readers.site import export_site
from twin.records import READ_DTYPE, READER_EVENTS_SCHEMA

from .test_oracle import T0
from .test_oracle_passes import D1, _site

S = 1_000_000


def _core(beams: bool = True) -> OracleCore:
    f, pl = _site()
    r = pl.readers["R-p"]
    gpi = (GpiInput("R-p", 1, "light_barrier", "d-ab", "a"), GpiInput("R-p", 2, "light_barrier", "d-ab", "b"))
    pl = dataclasses.replace(pl, readers={**pl.readers, "R-p": dataclasses.replace(r, gpi=gpi)})
    return OracleCore(export_site(f, pl), {"floor": f, "placement": pl, "rf_seed": 1, "beams": beams})


def _gpi(rows) -> pa.Table:
    t, port, on = zip(*rows)
    return pa.table({"t_us": list(t), "reader": ["R-p"] * len(t), "antenna": list(port),
                     "kind": ["GPIEvent"] * len(t), "detail": ["true" if x else "false" for x in on]},
                    schema=READER_EVENTS_SCHEMA)


def _pass_reads(t0: int) -> np.ndarray:
    """D1 read by both portal antennas, alternating, every second for 4 s (a pass whose reads show no side)."""
    n = 8
    r = np.zeros(n, READ_DTYPE)
    r["t_us"] = t0 + np.arange(n) * S // 2
    r["epc"] = D1.encode()
    r["reader"] = b"R-p"
    r["antenna"] = np.tile([1, 2], n // 2)
    r["count"] = 1
    if "rssi_dbm" in r.dtype.names:
        r["rssi_dbm"] = -60.0
    return r


def _space_after(core: OracleCore, frm: str, to_side: str | None) -> dict[str, float]:
    """Belief per space of D1 after a pass that starts with all its belief in `frm`, with a crossing to `to_side`
    (None: no crossing, the beams heard working just before)."""
    i = int(core._epcs.ids(np.array([D1.encode()], dtype="S24"))[0])
    core._grow()
    s = core.m.space_ids.index(frm)
    core.sup[i, 0] = int(core.gen_of_space[s][0])
    core.bel[i, 0] = 1.0
    core.last_space[i], core.last_store[i] = s, -1
    t_c = T0 + 2 * S
    if to_side is None:  # the beams work (a crossing of another walker a minute before), nobody crossed now
        ev = [(T0 - 60 * S, 1, True), (T0 - 60 * S + 300_000, 2, True), (T0 - 59 * S, 1, False),
              (T0 - 59 * S, 2, False)]
    else:
        first, second = (1, 2) if to_side == "b" else (2, 1)
        ev = [(t_c, first, True), (t_c + 300_000, second, True), (t_c + S, first, False), (t_c + S, second, False)]
    core.reader_events(_gpi(ev))
    core.ingest(_pass_reads(T0))
    core.advance(T0 + 4 * S)  # the pass's end (later, the zone reader in b would hear a tag there)
    return belief_by_space(core, i)


def belief_by_space(core, i: int) -> dict[str, float]:
    """Tag i's belief summed per space (its candidate places' spaces)."""
    out: dict[str, float] = {}
    for c, b in zip(core.sup[i].tolist(), core.bel[i].tolist()):
        if c >= 0:
            sp = core.m.space_ids[core.m.c_space[c]]
            out[sp] = out.get(sp, 0.0) + b
    return out


def test_crossing_moves_a_passing_tag_to_its_destination_either_way():
    assert _space_after(_core(), "a", "b").get("b", 0.0) > 0.9
    assert _space_after(_core(), "b", "a").get("a", 0.0) > 0.9


def test_crossing_against_the_belief_moves_nothing_and_a_walk_past_stays():
    # a crossing into the space the tag is already in, and a walk past under working beams: it stays
    assert _space_after(_core(), "b", "b").get("b", 0.0) > 0.9
    assert _space_after(_core(), "a", None).get("a", 0.0) > 0.9


def test_without_beams_the_pass_is_left_to_the_reads():
    """The same pass without the light barriers: belief is split by the antenna-only crossing share, not sent."""
    got = _space_after(_core(beams=False), "a", "b")
    assert got.get("b", 0.0) < 0.9


def test_share_rules():
    core = _core()
    ob = core.beams
    a, b = (core.m.space_ids.index(x) for x in ("a", "b"))
    core.reader_events(_gpi([(T0, 1, True), (T0 + 300_000, 2, True), (T0 + S, 1, False), (T0 + S, 2, False)]))
    ob.update(T0 + 5 * S)
    assert ob.dest.tolist() == [b] and ob.live.tolist() == [True]
    d = np.zeros(3, np.int64)
    t0 = np.array([T0, T0, T0 + 60 * S])
    got = ob.share(d, np.array([a, b, a]), np.array([b, a, b]), t0, t0 + S, 0.3)
    assert got.tolist() == [BEAM_CROSS, 0.0, 0.0]
