"""Over days: a tag no reader hears follows the business events (filing, checkin, checkout by road), and a
neighbouring shelf's cross-reads hours apart do not add up to move a dossier off its home."""

from __future__ import annotations

import copy

import numpy as np
import pyarrow as pa

from twin.tracker.core import TrackerCore
from twin.tracker.offsite import OffsitePrior

from .synth import DOSSIER, S, SITE, T0, reads
from .test_sealed_offsite import _events, _feed_with_events

HOUR = 3600.0


def _with_detail(t: pa.Table, details: list[str]) -> pa.Table:
    return t.set_column(t.schema.get_field_index("detail"), "detail", pa.array(details))


def _site(period_ms: float = 60_000.0, external: bool = False) -> dict:
    """SITE with room-a's reader taking an inventory a minute (and, when asked, a car park and a procuratorate)."""
    site = copy.deepcopy(SITE)
    for r in site["readers"]:
        if r["id"] == "R-a":
            r["trigger"], r["report_period_ms"] = "periodic", period_ms
    if external:
        site["spaces"] += [{"id": "car-park", "kind": "outside", "purpose": "parking"},
                           {"id": "procuratorate", "kind": "external", "purpose": "procuratorate"}]
    return site


def _last(est: pa.Table) -> tuple[str, str]:
    rows = [(s, u) for e, s, u in zip(est["epc"].to_pylist(), est["space"].to_pylist(), est["storage"].to_pylist())
            if e == DOSSIER]  # fmt: skip
    return rows[-1] if rows else ("", "")


def _registered(t_s: float, home: str) -> pa.Table:
    return _with_detail(_events([(T0 + int(t_s * S), "register", "C1", DOSSIER, "")]), [f"volume 1 of 1; home {home}"])


def test_a_neighbouring_shelfs_cross_reads_hours_apart_leave_a_dossier_on_its_home():
    """Home S1, placed in room-a by its zone antenna; S2's antenna hears it once every 30 min, 24 times over 12 h
    (never S1's): it stays on S1. With the old unit gap (1000 periods) the cross-reads add up and move it to S2;
    heard by S2 at every inventory (misfiled there) it does move."""
    zone = [(float(k), "R-a", 1, DOSSIER, -50) for k in range(0, 20, 2)]
    cross = [(600.0 + k * 1800.0, "R-a", 3, DOSSIER, -60) for k in range(24)]
    steady = [(600.0 + k * 60.0, "R-a", 3, DOSSIER, -60) for k in range(30)]
    home = _registered(0.0, "room-a/S1")
    until = 13 * HOUR
    est = _feed_with_events(TrackerCore(_site()), reads(zone + cross), home, until, 600.0)
    assert _last(est) == ("room-a", "room-a/S1")
    old = _feed_with_events(TrackerCore(_site(), {"unit_gap_periods": 1000.0}), reads(zone + cross), home, until, 600.0)
    assert _last(old) == ("room-a", "room-a/S2")
    est = _feed_with_events(TrackerCore(_site()), reads(zone + steady), home, 3 * HOUR, 600.0)
    assert _last(est) == ("room-a", "room-a/S2")


def test_an_unheard_dossier_placed_by_a_prior_follows_its_filing_event():
    """A tag no reader hears: the unread prior puts it on its registered home (S1); archived onto S2 a day later it
    is shown on S2 (a read tag would be moved by its reads)."""
    other = [(float(k), "R-a", 1, "2C" + "0" * 21 + "1", -50) for k in range(0, 700, 5)]  # starts the stream
    ev = pa.concat_tables([_registered(0.0, "room-a/S1"),
                           _with_detail(_events([(T0 + int(26 * HOUR * S), "archive", "C1", DOSSIER, "")]),
                                        ["room-a/S2"])])  # fmt: skip
    est = _feed_with_events(TrackerCore(_site()), reads(other), ev, 27 * HOUR, 600.0)
    rows = est.filter(pa.compute.equal(est["epc"], DOSSIER))
    assert rows["storage"].to_pylist() == ["room-a/S1", "room-a/S2"]
    assert rows["t_us"].to_pylist()[-1] == T0 + int(26 * HOUR * S)


def test_an_unheard_dossier_checked_out_goes_by_road_and_comes_back_home_at_its_checkin():
    site = _site(external=True)
    other = [(float(k), "R-a", 1, "2C" + "0" * 21 + "1", -50) for k in range(0, 700, 5)]
    t_out, t_in = 2 * HOUR, 6 * HOUR
    ev = pa.concat_tables([
        _registered(0.0, "room-a/S1"),
        _with_detail(_events([(T0 + int(t_out * S), "checkout", "C1", DOSSIER, "")]), ["procuratorate; approved by l1"]),
        _with_detail(_events([(T0 + int(t_in * S), "checkin", "C1", DOSSIER, "")]), ["procuratorate"]),
    ])  # fmt: skip
    est = _feed_with_events(TrackerCore(site), reads(other), ev, 7 * HOUR, 600.0)
    rows = est.filter(pa.compute.equal(est["epc"], DOSSIER))
    got = list(zip(rows["space"].to_pylist(), rows["storage"].to_pylist(), rows["t_us"].to_pylist()))
    assert [(s, u) for s, u, _ in got] == [("room-a", "room-a/S1"), ("procuratorate", ""), ("room-a", "room-a/S1")]
    assert got[1][2] == T0 + int((t_out + 30) * S) and got[2][2] == T0 + int(t_in * S)


def test_an_unheard_checked_out_dossier_is_due_outside_or_not():
    spaces = ("car-park", "procuratorate", "office")
    p = OffsitePrior(spaces, {}, 0.0, silence_s=30.0)
    t = _with_detail(_events([(T0, "checkout", "C1", "E1", "")]), ["procuratorate; approved by l1"])
    p.apply(t)
    outside, last = np.array([True, False, False, False]), np.zeros(1, np.int64)
    in_office = np.array([2], np.int32)
    assert len(p.due(T0 + 60 * S, lambda e: [0], last, in_office, outside)[1]) == 0  # heard: it is in the office
    t_g, tags, sp = p.due(T0 + 60 * S, lambda e: [0], last, in_office, outside, np.array([True]))
    assert list(sp) == [1] and list(t_g) == [T0 + 30 * S]  # never heard: gone by road after the silence


def test_a_checkin_puts_a_volume_read_just_before_on_its_home_when_its_door_passage_was_missed():
    """Read in room-b (its passage to room-a unseen), then checked in at 200 s: home S1 in room-a from the checkin;
    without the home (no registration) nothing moves."""
    rows = reads([(k * 0.5, "R-b", 1, DOSSIER, -50) for k in range(300)])
    checkin = _with_detail(_events([(T0 + 200 * S, "checkin", "C1", DOSSIER, "")]), ["procuratorate"])
    est = _feed_with_events(TrackerCore(_site()), rows, pa.concat_tables([_registered(0.0, "room-a/S1"), checkin]), 300)
    assert _last(est) == ("room-a", "room-a/S1")
    assert est["t_us"].to_pylist()[-1] == T0 + 200 * S
    est = _feed_with_events(TrackerCore(_site()), rows, checkin, 300)
    assert _last(est) == ("room-b", "")
