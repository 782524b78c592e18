"""Door light barriers in the tracker (twin.tracker.beams): the site's gpi entries, GPIEvent rows paired into crossings,
bad frames quarantined, which doors' beams are trusted, and passage judging with and without them."""

from __future__ import annotations

import copy

import numpy as np
import pyarrow as pa
import pytest

from twin.errors import InputError
from twin.records import READER_EVENTS_SCHEMA
from twin.tracker.beams import CROSSED, ONE_BEAM, TIED, Beams
from twin.tracker.core import TrackerCore
from twin.tracker.sitemodel import site_model

from .synth import DOSSIER, SITE, S, T0, reads

MS = 1000


def _site() -> dict:
    s = copy.deepcopy(SITE)
    for r in s["readers"]:
        if r["id"] == "R-d-a":
            r["gpi"] = [{"port": 1, "kind": "light_barrier", "door": "d-a", "side": "corr"},
                        {"port": 2, "kind": "light_barrier", "door": "d-a", "side": "room-a"}]
        if r["id"] == "R-d-b":
            r["gpi"] = [{"port": 1, "kind": "light_barrier", "door": "d-b", "side": "corr"},
                        {"port": 2, "kind": "light_barrier", "door": "d-b", "side": "room-b"}]
    return s


def _crossing(reader: str, first: int, second: int, t_s: float, gap_ms: int = 150) -> list[tuple]:
    """GPIEvent rows of one person breaking beam `first` at t_s, then `second` gap_ms later (0.3 s each)."""
    t = T0 + int(t_s * S)
    return [(t, reader, first, "GPIEvent", "true"), (t + gap_ms * MS, reader, second, "GPIEvent", "true"),
            (t + 300 * MS, reader, first, "GPIEvent", "false"), (t + (300 + gap_ms) * MS, reader, second, "GPIEvent", "false")]


def _table(rows: list[tuple]) -> pa.Table:
    rows = sorted(rows)
    return pa.table({"t_us": [r[0] for r in rows], "reader": [r[1] for r in rows], "antenna": [r[2] for r in rows],
                     "kind": [r[3] for r in rows], "detail": [r[4] for r in rows]}, schema=READER_EVENTS_SCHEMA)


def _push(b: Beams, m, rows: list[tuple]) -> int:
    ix = {r: i for i, r in enumerate(m.readers)}
    rows = sorted(rows)
    return b.push(np.array([r[0] for r in rows], np.int64), np.array([ix.get(r[1], -1) for r in rows], np.int64),
                  np.array([r[2] for r in rows], np.int64), [r[4] for r in rows], now_us=T0)


def test_site_model_reads_the_light_barriers_and_names_bad_entries():
    m = site_model(_site())
    assert len(m.gpi_port) == 4
    k = [i for i in range(4) if m.readers[m.gpi_reader[i]] == "R-d-a" and m.gpi_port[i] == 2][0]
    assert m.doors[m.gpi_door[k]] == "d-a" and m.spaces[m.gpi_space[k]] == "room-a"
    assert [m.spaces[x] for x in m.door_spaces[m.doors.index("d-b")]] == ["corr", "room-b"]
    assert len(site_model(SITE).gpi_port) == 0  # a site without beams
    bad = _site()
    bad["readers"][2]["gpi"] = [{"port": 1, "kind": "light_barrier", "door": "d-a", "side": "room-b"},
                                {"port": 0, "kind": "light_barrier", "door": "d-a", "side": "corr"},
                                {"port": 3, "kind": "light_barrier", "door": "d-x", "side": "corr"},
                                {"port": 4, "kind": "motion", "door": "d-x"}]  # other kinds: not ours, ignored
    with pytest.raises(InputError) as e:
        site_model(bad)
    msg = str(e.value)
    assert "readers[2].gpi[0].side" in msg and "readers[2].gpi[1].port" in msg and "readers[2].gpi[2].door" in msg
    assert "gpi[3]" not in msg


def test_beam_order_gives_the_crossing_one_beam_and_a_tie_give_none():
    m = site_model(_site())
    b = Beams(m, pair_s=1.5)
    corr, room_a = m.space_index("corr"), m.space_index("room-a")
    rows = (_crossing("R-d-a", 1, 2, 10.0)  # corr -> room-a
            + _crossing("R-d-a", 2, 1, 20.0)  # room-a -> corr
            + _crossing("R-d-a", 1, 2, 30.0, gap_ms=0)  # both at once: no direction
            + [(T0 + 40 * S, "R-d-a", 2, "GPIEvent", "true"), (T0 + 40 * S + 200 * MS, "R-d-a", 2, "GPIEvent", "false")])
    assert _push(b, m, rows) == len(rows)
    b.update(T0 + 40 * S + 500 * MS)  # the lone interruption at 40 s may still get its partner
    assert b.c_kind.tolist() == [CROSSED, CROSSED, TIED]
    assert b.c_dest.tolist() == [room_a, corr, -1] and b.c_origin.tolist() == [corr, room_a, -1]
    assert b.c_t[0] == T0 + 10 * S + 150 * MS  # at the second beam
    b.update(T0 + 45 * S)
    assert b.c_kind.tolist() == [CROSSED, CROSSED, TIED, ONE_BEAM] and b.counts["one_beam"] == 1
    assert b.live[m.doors.index("d-a")] and b.live[m.doors.index("d-b")]  # both presumed working since the first


def test_bad_gpi_frames_are_quarantined_and_counted():
    m = site_model(_site())
    b = Beams(m)
    rows = [(T0, "R-d-a", 7, "GPIEvent", "true"),  # no light barrier on port 7
            (T0, "R-nope", 1, "GPIEvent", "true"),
            (T0, "R-d-a", 1, "GPIEvent", "maybe"),
            (1000, "R-d-a", 1, "GPIEvent", "true"),  # before 2000
            (T0 + 3 * 86_400 * S, "R-d-a", 1, "GPIEvent", "true"),  # days ahead of the clock
            (T0, "R-d-a", 1, "GPIEvent", "true")]
    assert _push(b, m, rows) == 1
    assert dict(b.quarantine) == {"gpi_unknown_port": 1, "gpi_unknown_reader": 1, "gpi_bad_state": 1, "gpi_bad_time": 2}


def test_match_takes_crossings_of_the_burst_up_to_the_row_and_doors_stop_being_trusted():
    m = site_model(_site())
    b = Beams(m, silence_s=600.0, stuck_s=60.0)
    d_a, d_b = m.doors.index("d-a"), m.doors.index("d-b")
    _push(b, m, _crossing("R-d-a", 1, 2, 10.0) + _crossing("R-d-b", 2, 1, 11.0))
    b.update(T0 + 20 * S)
    door = np.array([d_a, d_a, d_a, d_b])
    start = np.array([9, 9, 13, 9]) * S + T0  # a crossing up to pre_us (3 s) before a burst belongs to it
    t = np.array([10.0, 12.0, 15.0, 12.0]) * S + T0
    to, crossed, live, to_hi, to_lo = b.match(door, start.astype(np.int64), t.astype(np.int64), 3 * S)
    room_a_hi = m.space_index("room-a") > m.space_index("corr")
    assert crossed.tolist() == [False, True, True, True]  # the first row is before the crossing: not yet
    assert to[1] == (1 if room_a_hi else -1) and to[3] == (-1 if m.space_index("room-b") > m.space_index("corr") else 1)
    assert live.all()
    # a beam blocked for over stuck_s, or a door whose reader is down: no longer trusted
    _push(b, m, [(T0 + 30 * S, "R-d-b", 1, "GPIEvent", "true")])
    up = np.ones(len(m.readers), bool)
    up[m.readers.index("R-d-a")] = False
    b.update(T0 + 100 * S, up)
    assert not b.live[d_a] and not b.live[d_b]
    b2 = Beams(m, silence_s=600.0)
    _push(b2, m, _crossing("R-d-a", 1, 2, 10.0))
    b2.update(T0 + 700 * S)
    assert not b2.live[d_a]  # silent too long


def _walk(core: TrackerCore, gpi: list[tuple], t_s: float = 100.0, out: bool = False) -> list[str]:
    """A dossier heard by d-a's corridor side, then loudly by its room side (out: the other way round), after
    a quiet spell; returns the spaces estimated."""
    a, b = (1, 2) if out else (2, 1)
    rows = [(t_s, "R-d-a", a, DOSSIER, -45, 5), (t_s + 0.5, "R-d-a", a, DOSSIER, -40, 5),
            (t_s + 1.0, "R-d-a", b, DOSSIER, -45, 5), (t_s + 1.5, "R-d-a", b, DOSSIER, -40, 5),
            (t_s + 2.0, "R-d-a", b, DOSSIER, -45, 5), (t_s + 3.0, "R-d-a", b, DOSSIER, -42, 5)]
    if gpi:
        core.reader_events(_table(gpi))
    core.ingest(reads(rows))
    return core.advance(T0 + int((t_s + 100) * S)).estimates.column("space").to_pylist()


def test_a_burst_takes_its_crossing_and_without_one_it_is_a_walk_past():
    # the beams say corr -> room-a: the dossier is in room-a
    assert _walk(TrackerCore(_site()), _crossing("R-d-a", 1, 2, 100.7))[-1] == "room-a"
    # the beams say room-a -> corr (against the antennas' order): the crossing's direction wins
    assert "room-a" not in _walk(TrackerCore(_site()), _crossing("R-d-a", 2, 1, 100.7))
    # in room-a, then a burst the antennas read as going out, while the beams (working: a crossing at d-b) saw
    # nobody at d-a: a walk past, the dossier stays
    core = TrackerCore(_site())
    assert _walk(core, _crossing("R-d-a", 1, 2, 100.7))[-1] == "room-a"
    assert _walk(core, _crossing("R-d-b", 1, 2, 250.0), t_s=300.0, out=True) == []
    # no beams (config off): the antennas alone, as before -- the same bursts move it out
    core = TrackerCore(_site(), {"beams": False})
    assert _walk(core, _crossing("R-d-a", 1, 2, 100.7))[-1] == "room-a"
    assert _walk(core, _crossing("R-d-b", 1, 2, 250.0), t_s=300.0, out=True)[-1] == "corr"
    core = TrackerCore(_site())
    _walk(core, _crossing("R-d-a", 1, 2, 100.7) + [(T0, "R-d-a", 9, "GPIEvent", "true")])
    st = core.stats()
    assert st["beams"]["crossed"] == 1 and st["reader_events"]["quarantine"]["gpi_unknown_port"] == 1
    assert st["reader_events"]["kept"]["GPIEvent"] == 4 and "unknown_kind" not in st["reader_events"]["quarantine"]
