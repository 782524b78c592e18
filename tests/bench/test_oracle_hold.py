"""The oracle's side holds and road (twin.bench.oracle_hold): a tag the light barriers saw cross stays on the side it
entered, whatever the cross-reads say, until somebody crosses back; a checked-out dossier in an outside space is
driven to the place its checkout names."""

from __future__ import annotations

import dataclasses

import numpy as np

from twin.bench.oracle import OracleCore
from twin.building.model import Space
from twin.readers.site import export_site
from twin.records import READ_DTYPE

from .test_oracle import T0
from .test_oracle_beams import _core, _gpi, belief_by_space
from .test_oracle_passes import D1, _events, _site

S = 1_000_000


def _space_belief(core: OracleCore, epc: str) -> dict[str, float]:
    return belief_by_space(core, int(core._epcs.ids(np.array([epc.encode()], dtype="S24"))[0]))


def _reads(t_s, ports, n=20) -> np.ndarray:
    r = np.zeros(len(t_s), READ_DTYPE)
    r["t_us"] = T0 + (np.asarray(t_s, float) * S).astype(np.int64)
    r["epc"] = D1.encode()
    r["reader"] = b"R-p"
    r["antenna"] = ports
    r["count"] = n
    if "rssi_dbm" in r.dtype.names:
        r["rssi_dbm"] = -60.0
    return r


def _cross_then_cross_reads(core: OracleCore, back: bool) -> dict[str, float]:
    """D1 in a crosses to b (beams), then for 26 s it is heard as a tag on a's shelf S2 would be (antenna 2, whose
    reads a's shelf explains as well as b's doorway, and not the two antennas that hear b's doorway); with `back`,
    somebody crosses from b to a meanwhile."""
    i = int(core._epcs.ids(np.array([D1.encode()], dtype="S24"))[0])
    core._grow()
    s = core.m.space_ids.index("a")
    core.sup[i, 0], core.bel[i, 0] = int(core.gen_of_space[s][0]), 1.0
    core.last_space[i], core.last_store[i] = s, -1
    ev = [(T0 + 2 * S, 1, True), (T0 + 2 * S + 300_000, 2, True), (T0 + 3 * S, 1, False), (T0 + 3 * S, 2, False)]
    if back:
        ev += [(T0 + 6 * S, 2, True), (T0 + 6 * S + 300_000, 1, True), (T0 + 7 * S, 2, False), (T0 + 7 * S, 1, False)]
    core.reader_events(_gpi(ev))
    core.ingest(_reads(np.arange(8) / 2, np.tile([1, 2], 4), 1))  # the pass: both antennas, alternating
    core.advance(T0 + 4 * S)
    core.ingest(_reads(np.arange(5, 31), np.full(26, 2)))  # then only what a tag on the a side would give
    core.advance(T0 + 31 * S)
    return _space_belief(core, D1)


def _held_core(holds: bool = True) -> OracleCore:
    core = _core()
    if not holds:
        core.holds = None
    return core


def test_a_crossing_holds_the_tag_on_its_destination_against_cross_reads():
    assert _cross_then_cross_reads(_held_core(), back=False).get("b", 0.0) > 0.99
    # without the hold the same reads take it back to a, with no crossing the beams saw
    assert _cross_then_cross_reads(_held_core(holds=False), back=False).get("a", 0.0) > 0.99


def test_a_crossing_back_releases_the_hold():
    assert _cross_then_cross_reads(_held_core(), back=True).get("a", 0.0) > 0.99


def _road_core(checkout: bool) -> tuple[OracleCore, int]:
    """Room a and an outside space b (a car park) joined by the portal door; D1 carried into b, silent there."""
    f, pl = _site()
    b = f.spaces["b"]
    f = dataclasses.replace(f, spaces={**f.spaces, "b": Space("b", "B", "outside", "car_park", b.level, b.polygon)})
    core = OracleCore(export_site(f, pl), {"floor": f, "placement": pl, "rf_seed": 1})
    rows = [{"t_us": T0, "kind": "register", "case": "K1", "epc": D1}]
    if checkout:
        rows.append({"t_us": T0 + S, "kind": "checkout", "case": "K1", "epc": D1,
                     "detail": "procuratorate; approved by ld-001"})
    core.apply(_events(rows))
    i = int(core._epcs.ids(np.array([D1.encode()], dtype="S24"))[0])
    core._grow()
    core.read_ever[i] = True
    s = core.m.space_ids.index("b")
    core.sup[i] = -1
    core.bel[i] = 0.0
    core.sup[i, 0], core.bel[i, 0] = int(core.gen_of_space[s][0]), 1.0
    core.last_space[i], core.last_store[i] = s, -1
    return core, i


def test_a_checked_out_dossier_in_the_car_park_is_driven_to_its_place():
    core, _ = _road_core(checkout=True)
    core.ingest(_reads([0.0], [2], 1))  # heard once in the car park, then silent
    core.advance(T0 + 20 * S)
    got = _space_belief(core, D1)
    # 20 s on, before the tracker's 30 s rule could place it: the road and the car park's zone reader's silence
    # have put most of its belief at the procuratorate
    assert got.get("procuratorate", 0.0) > 0.5
    core.advance(T0 + 120 * S)
    assert _space_belief(core, D1).get("procuratorate", 0.0) > 0.95


def test_without_a_checkout_nothing_goes_by_road():
    core, _ = _road_core(checkout=False)
    core.ingest(_reads([0.0], [2], 1))
    core.advance(T0 + 120 * S)
    assert _space_belief(core, D1).get("procuratorate", 0.0) < 0.01


def _put_down_share(rate: float, monkeypatch) -> float:
    """Belief on its home shelf a/S1 (a unit no antenna hears) of a dossier carried in room a, 10 s later, silent."""
    import twin.bench.oracle_hold as oh
    from .test_oracle_passes import _core as _passes_core

    monkeypatch.setattr(oh, "PUT_DOWN_RATE", rate)
    core = _passes_core()
    core.apply(_events([{"t_us": T0 - 100 * S, "kind": "register", "case": "K1", "epc": D1,
                         "detail": "volume 1; home a/S1"}]))
    core.advance(T0 - 99 * S)
    i = int(core._epcs.ids(np.array([D1.encode()], dtype="S24"))[0])
    core.sup[i], core.bel[i] = -1, 0.0
    s = core.m.space_ids.index("a")
    core.sup[i, 0], core.bel[i, 0] = int(core.gen_of_space[s][0]), 1.0
    core.last_space[i], core.last_store[i] = s, -1
    core.read_ever[i] = True
    core._t = T0
    core.advance(T0 + 10 * S)
    unit = core.m.storage_ids.index("a/S1")
    return float(sum(b for c, b in zip(core.sup[i], core.bel[i]) if c >= 0 and core.m.c_storage[c] == unit))


def test_a_carried_dossier_is_put_down_on_a_unit_of_its_room_within_seconds(monkeypatch):
    from twin.bench.oracle_hold import PUT_DOWN_RATE

    assert _put_down_share(PUT_DOWN_RATE, monkeypatch) > 0.5
    # at the rate of re-placing a tag at rest it would still be shown carried
    assert _put_down_share(0.0, monkeypatch) < 0.1


def test_a_silence_too_weak_to_matter_in_one_interval_still_counts_over_many(monkeypatch):
    """A silent dossier, half on its deaf shelf a/S1 and half on room a's centroid (which the door antenna hears
    0.044 times a second: a 10 s interval's silence costs it e^-0.44, too little to filter the tag for): over five
    minutes of 10 s intervals the centroid is refuted all the same."""
    import twin.bench.oracle_hold as oh
    from .test_oracle_passes import _core as _passes_core

    monkeypatch.setattr(oh, "PUT_DOWN_RATE", 0.0)  # the silence alone, not the put-down, is under test
    core = _passes_core()
    i = int(core._epcs.ids(np.array([D1.encode()], dtype="S24"))[0])
    core._grow()
    a = core.m.space_ids.index("a")
    unit = int(np.flatnonzero(core.m.c_storage == core.m.storage_ids.index("a/S1"))[0])
    centroid = int(core.gen_of_space[a][0])
    core.sup[i, :2], core.bel[i, :2] = (unit, centroid), (0.5, 0.5)
    core.last_space[i], core.last_store[i] = a, core.m.storage_ids.index("a/S1")
    core.read_ever[i] = True
    core._t = T0
    for k in range(1, 31):
        core.advance(T0 + 10 * k * S)
    on = dict(zip(core.sup[i].tolist(), core.bel[i].tolist()))
    assert on.get(unit, 0.0) > 0.99 and on.get(centroid, 0.0) < 0.01


def test_a_dossier_at_an_off_site_place_stays_there_while_silent():
    """Off-site places are left by road only when the reads say so: a silent dossier placed at the procuratorate
    (road link to space b) is still there an hour later (the road is not a move of the filter's graph)."""
    from twin.building.model import Link

    f, pl = _site()
    f = dataclasses.replace(f, links={"road": Link("road", "road", "b", "procuratorate", 600.0)})
    core = OracleCore(export_site(f, pl), {"floor": f, "placement": pl, "rf_seed": 1})
    i = int(core._epcs.ids(np.array([D1.encode()], dtype="S24"))[0])
    core._grow()
    s = core.m.space_ids.index("procuratorate")
    core.sup[i, 0], core.bel[i, 0] = int(core.gen_of_space[s][0]), 1.0
    core.sup[i, 1] = int(core.gen_of_space[core.m.space_ids.index("b")][0])  # where it came from, in its support
    core.last_space[i], core.last_store[i] = s, -1
    core.read_ever[i] = True
    core._t = T0
    for k in range(1, 61):
        core.advance(T0 + 60 * k * S)
    assert _space_belief(core, D1).get("procuratorate", 0.0) > 0.99
