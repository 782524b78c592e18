"""Sealed spaces (a tag leaves a room whose doors are all portal-watched only through a passage) and the off-site
prior's return of volumes after the away stage."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from twin.records import EVENTS_SCHEMA
from twin.tracker.core import TrackerCore
from twin.tracker.offsite import OffsitePrior

from .synth import DOSSIER, S, SITE, T0, reads, walk_a_to_b
from .test_locate import _feed

DAY_US = 86400 * S


def _through_the_wall() -> np.ndarray:
    """In room-a (its zone antenna every 10 s) for 5 min, then room-b's zone antenna hears it every 10 s, louder,
    with room-a's still hearing it every 30 s: a tag heard through a wall, never carried through a door."""
    rows = [(k, "R-a", 1, DOSSIER, -50) for k in range(0, 300, 10)]
    rows += [(k + 0.5, "R-b", 1, DOSSIER, -45) for k in range(300, 1200, 10)]
    rows += [(k + 0.7, "R-a", 1, DOSSIER, -60) for k in range(300, 1200, 30)]
    return reads(sorted(rows))


def test_a_tag_in_a_sealed_room_is_not_moved_through_a_wall():
    sealed = _feed(TrackerCore(SITE), _through_the_wall(), 1200)
    assert set(sealed.filter(pa.compute.equal(sealed["epc"], DOSSIER))["space"].to_pylist()) == {"room-a"}
    unsealed = _feed(TrackerCore(SITE, {"sealed_factor": 1.0}), _through_the_wall(), 1200)
    assert unsealed["space"].to_pylist()[-1] == "room-b"  # the old behaviour: the louder antenna wins


def test_a_passage_still_takes_a_tag_out_of_a_sealed_room():
    rows = [(k * 0.5, "R-a", 1, DOSSIER, -50) for k in range(240)] + walk_a_to_b(DOSSIER, 130.0)
    est = _feed(TrackerCore(SITE), reads(sorted(rows)), 240)
    assert est["space"].to_pylist()[0] == "room-a" and est["space"].to_pylist()[-1] == "room-b"


def _events(rows: list[tuple]) -> pa.Table:
    cols = {f.name: [] for f in EVENTS_SCHEMA}
    for t, kind, case, epc, stage in rows:
        for k, v in zip(("t_us", "kind", "case", "epc", "stage"), (t, kind, case, epc, stage)):
            cols[k].append(v)
        for k in ("officer", "detail"):
            cols[k].append("")
        cols["deadline_us"].append(0)
    return pa.table(cols, schema=EVENTS_SCHEMA)


def test_volumes_come_back_after_the_away_stage():
    spaces = ("dossier-room", "procuratorate")
    ev = [(T0, "register", c, e, "") for c, e in (("C1", "E1"), ("C2", "E2"), ("C3", "E3"))]
    ev += [(T0 + d * DAY_US, "stage", c, "", st) for d, c, st in (
        (1, "C1", "arrest_approval"), (2, "C1", "investigation"), (8, "C2", "arrest_approval"),
        (9, "C2", "investigation"), (9, "C3", "transferred"), (10, "C1", "legal_review"))]  # fmt: skip
    away = OffsitePrior(spaces, {"arrest_approval": "procuratorate", "transferred": "procuratorate"}, 3 * 86400.0)
    got = {e for _, e, _ in away.apply(_events(ev))}
    assert got == {"E2", "E3"}  # C1 left its away stage 8 days ago; C2 2 days ago (not back yet); C3 is transferred
    never = OffsitePrior(spaces, {"arrest_approval": "procuratorate"}, 0.0)
    assert {e for _, e, _ in never.apply(_events(ev))} == {"E1", "E2"}  # return_s 0: only a checkin brings them back


def test_a_checkout_by_road_is_placed_at_its_place_after_the_silence():
    spaces = ("car-park", "procuratorate", "office")
    p = OffsitePrior(spaces, {}, 0.0, silence_s=600.0)
    t = _events([(T0, "checkout", "C1", "E1", "")])
    t = t.set_column(t.schema.get_field_index("detail"), "detail", pa.array(["procuratorate; approved by ld-1"]))
    p.apply(t)
    outside = np.array([True, False, False, False])
    last = np.array([T0 + 60 * S], np.int64)
    for here, now_s, expect in ((0, 600, 0), (0, 700, 1), (2, 700, 0)):
        t_g, tags, sp = p.due(T0 + now_s * S, lambda e: [0], last, np.array([here], np.int32), outside)
        assert len(tags) == expect
        if expect:
            assert sp[0] == 1 and t_g[0] == T0 + 660 * S  # stamped when the silence was complete


def test_a_passage_into_one_room_does_not_open_the_room_behind_its_wall():
    """Carried from the corridor into room-a (a burst at d-a); room-b's zone antenna then hears it through the wall
    at once, every 20 s and louder than room-a's every 30 s: entering room-b needs a burst at d-b, so it stays in
    room-a (without the rule it moves)."""
    rows = [(k * 0.5, "R-d-b", 2, DOSSIER, -60) for k in range(6)]  # heard in the corridor first
    t = 100.0
    rows += [(t, "R-d-a", 2, DOSSIER, -44), (t + 0.4, "R-d-a", 2, DOSSIER, -41), (t + 0.8, "R-d-a", 1, DOSSIER, -43),
             (t + 1.2, "R-d-a", 1, DOSSIER, -40)]  # fmt: skip
    rows += [(t + 2 + k * 0.5, "R-a", 1, DOSSIER, -55) for k in range(6)]
    rows += [(t + 6 + 20 * k, "R-b", 1, DOSSIER, -45) for k in range(12)]
    rows += [(t + 15 + 30 * k, "R-a", 1, DOSSIER, -60) for k in range(8)]  # its own room still hears it, weaker
    site = {**SITE, "readers": [dict(r, report_period_ms=20_000.0) if r["id"] == "R-b" else r for r in SITE["readers"]]}
    est = _feed(TrackerCore(site), reads(sorted(rows)), 400)
    sp = est["space"].to_pylist()
    assert "room-a" in sp and "room-b" not in sp[sp.index("room-a"):]
    unsealed = _feed(TrackerCore(site, {"sealed_factor": 1.0}), reads(sorted(rows)), 400)
    assert unsealed["space"].to_pylist()[-1] == "room-b"


def _feed_with_events(core, rows: np.ndarray, events: pa.Table, until_s: float, step_s: float = 60.0) -> pa.Table:
    out, t, ev_t = [], 0.0, events["t_us"].to_numpy()
    while t < until_s:
        t += step_s
        lo, hi = T0 + int((t - step_s) * S), T0 + int(t * S)
        core.apply(events.filter(pa.array((ev_t >= lo) & (ev_t < hi))))
        m = (rows["t_us"] >= lo) & (rows["t_us"] < hi)
        core.ingest(rows[m])
        out.append(core.advance(hi).estimates)
    return pa.concat_tables(out)


def _archived(t_s: float) -> pa.Table:
    t = _events([(T0 + int(t_s * S), "archive", "C1", DOSSIER, "")])
    return t.set_column(t.schema.get_field_index("detail"), "detail", pa.array(["room-a/S1"]))


def test_a_dossier_handled_just_now_and_filed_is_in_the_units_space():
    """Read in room-b until 150 s, then an archive event names room-a/S1 at 200 s: the keeper filed it there."""
    rows = reads([(k * 0.5, "R-b", 1, DOSSIER, -50) for k in range(300)])
    est = _feed_with_events(TrackerCore(SITE), rows, _archived(200.0), 300)
    assert est["space"].to_pylist()[-1] == "room-a" and est["storage"].to_pylist()[-1] == "room-a/S1"
    assert est["t_us"].to_pylist()[-1] == T0 + 200 * S
    # an old filing (the dossier last read long before it) does not move a dossier read elsewhere since
    est = _feed_with_events(TrackerCore(SITE), rows, _archived(1000.0), 1100)
    assert est["space"].to_pylist()[-1] == "room-b"
    off = _feed_with_events(TrackerCore(SITE, {"filing_move_s": 0}), rows, _archived(200.0), 300)
    assert off["space"].to_pylist()[-1] == "room-b"


def test_faint_zone_reads_count_less():
    """Three reads a second apart by room-b's zone antenna place a new tag when loud, not when near the floor."""
    def placed(rssi: int, cfg: dict | None = None) -> list:
        rows = reads([(10 + k, "R-b", 1, DOSSIER, rssi) for k in range(3)])
        return _feed(TrackerCore(SITE, cfg or {}), rows, 60)["space"].to_pylist()

    assert placed(-50) == ["room-b"]
    assert placed(-80) == []
    assert placed(-80, {"zone_weak_factor": 1.0}) == ["room-b"]


def test_a_tag_found_by_a_sweep_is_moved_into_the_units_space():
    rows = reads([(k * 0.5, "R-b", 1, DOSSIER, -50) for k in range(100)])
    core = TrackerCore(SITE)
    est = _feed(core, rows, 60)
    assert est["space"].to_pylist()[-1] == "room-b"
    tag = core.ingest_.epcs.add([DOSSIER.encode("ascii")])
    unit = np.array([core.model.storage.index("room-a/S1")], np.int32)
    core.locator.found(T0 + 90 * S, np.array(tag, np.int32), unit)
    est = core.advance(T0 + 180 * S).estimates
    assert est["space"].to_pylist() == ["room-a"] and est["storage"].to_pylist() == ["room-a/S1"]
    assert est["t_us"].to_pylist() == [T0 + 90 * S]
