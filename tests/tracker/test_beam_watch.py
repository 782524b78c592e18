"""Failed light barriers (twin.tracker.beam_watch): stuck, dead alone and silent-through-crossings verdicts on
hand-made streams with known answers, the door's trust masked, and the reader_offline alerts the core raises (one per
beam, named as the twin names its faults, cleared by the beam's next change, matched by the bench's scorer)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.bench.score_alerts import match_alerts, reader_of
from twin.tracker.beam_watch import ALONE, OK, SILENT, STUCK, BeamWatch
from twin.tracker.beams import Beams
from twin.tracker.core import TrackerCore
from twin.tracker.sitemodel import site_model

from .synth import DOSSIER, DOSSIER2, S, T0, reads
from .test_beams import _crossing, _site, _table
from .test_beams import _push as _push_beams

MS = 1000
BADGE3 = "2D15A8754400020000000300"  # any other 96-bit tags: only their ids matter here
DOSSIER3 = "2C15A8754400020000011A6D"


def _watch(**kw):
    m = site_model(_site())
    b = Beams(m)
    return m, b, BeamWatch(m, b, **kw)


def _push(w: BeamWatch, m, rows: list[tuple]) -> None:
    ix = {r: i for i, r in enumerate(m.readers)}
    rows = sorted(rows)
    w.push(np.array([r[0] for r in rows], np.int64), np.array([ix.get(r[1], -1) for r in rows], np.int64),
           np.array([r[2] for r in rows], np.int64), [r[4] for r in rows])


def _beam(m, reader: str, port: int) -> int:
    return [k for k in range(len(m.gpi_port)) if m.readers[m.gpi_reader[k]] == reader and m.gpi_port[k] == port][0]


def _one(reader: str, port: int, t_s: float) -> list[tuple]:
    """One beam interrupted for 0.3 s (its partner saw nothing)."""
    t = T0 + int(t_s * S)
    return [(t, reader, port, "GPIEvent", "true"), (t + 300 * MS, reader, port, "GPIEvent", "false")]


def test_a_beam_unchanged_through_three_interruptions_of_its_partner_is_dead_and_back_with_its_next_change():
    m, _, w = _watch(alone_n=3)
    _push(w, m, _crossing("R-d-a", 1, 2, 10.0) + _one("R-d-a", 1, 20.0) + _one("R-d-a", 1, 30.0))
    assert w.step(T0 + 40 * S) == []  # two in a row: the twin misses one interruption in 500, so not yet
    _push(w, m, _one("R-d-a", 1, 50.0))
    out = w.step(T0 + 60 * S)
    assert [(t, r, p, up) for t, r, p, up, _ in out] == [(T0 + 50 * S, "R-d-a", 2, True)]
    assert out[0][4] == "(d-a, room-a side) unchanged through 3 interruptions of light barrier 1"
    assert w.why[_beam(m, "R-d-a", 2)] == ALONE
    assert w.trusted.all()  # the live beam still tells a crossing from a walk past
    _push(w, m, _crossing("R-d-a", 1, 2, 70.0))
    assert [(t, r, p, up) for t, r, p, up, _ in w.step(T0 + 80 * S)] == [(T0 + 70 * S + 150 * MS, "R-d-a", 2, False)]
    # a healthy door's crossings, or a door nobody crosses for a day: nothing
    _push(w, m, sum((_crossing("R-d-b", 1, 2, 100.0 + 10 * i) for i in range(20)), []))
    assert w.step(T0 + 86_400 * S) == [] and (w.why == OK).all()


def test_a_beam_interrupted_for_over_stuck_s_is_stuck_until_it_clears():
    m, _, w = _watch(stuck_s=60.0)
    _push(w, m, [(T0 + 10 * S, "R-d-b", 2, "GPIEvent", "true")])
    assert w.step(T0 + 60 * S) == []
    _push(w, m, _one("R-d-b", 1, 30.0))  # the other beam keeps working meanwhile
    out = w.step(T0 + 71 * S)
    assert [(t, r, p, up) for t, r, p, up, _ in out] == [(T0 + 70 * S, "R-d-b", 2, True)]
    assert out[0][4] == "(d-b, room-b side) interrupted for over 60 s" and w.why[_beam(m, "R-d-b", 2)] == STUCK
    assert w.step(T0 + 500 * S) == []  # once
    _push(w, m, [(T0 + 600 * S, "R-d-b", 2, "GPIEvent", "false")])
    assert [(t, up) for t, _, _, up, _ in w.step(T0 + 601 * S)] == [(T0 + 600 * S, False)]


def _carried(w: BeamWatch, m, tag: int, t_s: float, into: str = "room-a", rssi: int = -50,
             badge: int | None = None) -> None:  # fmt: skip
    """Tag `tag` heard by both of d-a's antennas from t_s (corridor side first), then moved by the core into `into`;
    with `badge`, that badge tag heard beside it (the person carrying it)."""
    ant = {(m.readers[r], int(p)): i for i, (r, p) in enumerate(zip(m.ant_reader.tolist(), m.ant_port.tolist()))}
    rows = [(t_s, ant[("R-d-a", 2)]), (t_s + 0.5, ant[("R-d-a", 2)]), (t_s + 1.0, ant[("R-d-a", 1)]),
            (t_s + 1.5, ant[("R-d-a", 1)])]  # fmt: skip
    for g in [tag] + ([] if badge is None else [badge]):
        w.reads(np.full(len(rows), g, np.int64), np.array([T0 + int(t * S) for t, _ in rows], np.int64),
                np.array([a for _, a in rows], np.int64), np.full(len(rows), rssi, np.int64))
    w.moves(np.array([T0 + int((t_s + 3) * S)], np.int64), np.array([tag]), np.array([m.space_index(into)]))


def _placed(w: BeamWatch, m, tags: list[int], space: str = "corr") -> None:
    w.moves(np.full(len(tags), T0, np.int64), np.array(tags), np.full(len(tags), m.space_index(space)))


def test_a_door_whose_beams_stay_silent_while_two_tags_are_carried_through_is_not_trusted_until_a_beam_changes():
    m, b, w = _watch(unseen_n=2, stay_s=60.0)
    w.alert_silent = True  # (core config beam_silent_alert; off by default: the verdict then only masks the trust)
    w.badge = np.array([False] * 5 + [True])  # tag 5: an officer's badge
    d_a = m.doors.index("d-a")
    _placed(w, m, [0, 1, 2, 5])
    _push(w, m, _crossing("R-d-b", 1, 2, 5.0))  # the stream's beams work elsewhere
    _push_beams(b, m, _crossing("R-d-b", 1, 2, 5.0))
    _carried(w, m, 0, 100.0, badge=5)
    assert w.step(T0 + 200 * S) == [] and w.trusted.all()  # one crossing unseen: not yet
    _carried(w, m, 1, 300.0, badge=5)
    assert w.step(T0 + 362 * S) == []  # judged once it stayed stay_s (60 s) after the move at 303 s
    out = w.step(T0 + 364 * S)
    assert sorted((t, r, p, up) for t, r, p, up, _ in out) == [(T0 + 363 * S, "R-d-a", 1, True),
                                                              (T0 + 363 * S, "R-d-a", 2, True)]
    assert out[0][4].endswith("silent through 2 crossings its antennas heard")
    assert not w.trusted[d_a] and w.trusted[m.doors.index("d-b")]
    b.update(T0 + 364 * S)
    assert b.live[d_a]  # Beams alone still trusts the door (24 h silence rule) ...
    assert not (b.live & w.trusted)[d_a]  # ... the core masks it
    assert w.counts["silent"] == 2 and w.counts["unseen_crossings"] == 2
    _push(w, m, _crossing("R-d-a", 1, 2, 400.0))  # the beams speak again
    assert sorted(up for _, _, _, up, _ in w.step(T0 + 401 * S)) == [False, False] and w.trusted.all()
    assert (w.why == OK).all()
    assert SILENT != OK


def test_tags_moved_across_with_no_badge_heard_at_the_door_are_no_crossings():
    """Items resting by a door whose estimates flicker across it at night, beams quiet: no person, no verdict."""
    m, _, w = _watch(unseen_n=2, stay_s=60.0)
    w.badge = np.array([False] * 5 + [True])
    _placed(w, m, [0, 1, 2, 3])
    _push(w, m, _crossing("R-d-b", 1, 2, 5.0))  # the stream's beams work elsewhere
    for g, t in ((0, 100.0), (1, 300.0), (2, 500.0), (3, 700.0)):
        _carried(w, m, g, t)
    assert w.step(T0 + 2000 * S) == [] and w.trusted.all() and w.counts["unseen_crossings"] == 0
    _carried(w, m, 0, 2100.0, into="corr", badge=5)  # with the badge beside it: one unseen crossing
    _carried(w, m, 1, 2300.0, into="corr", badge=5)
    assert w.step(T0 + 3000 * S) == [] and not w.trusted[m.doors.index("d-a")]  # distrusted, no alert by default
    assert w.counts["silent"] == 2


def test_a_stream_without_light_barrier_events_is_not_watched():
    """Before the stream's first beam change `Beams` trusts no door: the watch keeps only the tags' spaces."""
    m, _, w = _watch(unseen_n=2, stay_s=60.0)
    w.need_badge = False
    _placed(w, m, [0, 1, 2])
    _carried(w, m, 0, 100.0)
    _carried(w, m, 1, 300.0)
    assert w.step(T0 + 2000 * S) == [] and w.counts["unseen_crossings"] == 0 and not w.any_edge
    assert w.space[1] == m.space_index("room-a")  # the spaces are kept all the same


def test_crossings_the_beams_saw_flickers_one_tag_again_and_faint_bursts_say_nothing():
    m, _, w = _watch(unseen_n=2, stay_s=60.0)
    w.need_badge = False  # the rules below, badge or not
    _placed(w, m, [0, 1, 2, 3])
    _push(w, m, _crossing("R-d-a", 1, 2, 101.0))  # seen: the beams changed beside it
    _carried(w, m, 0, 100.0)
    _carried(w, m, 1, 300.0)  # unseen, but only one in a row
    _carried(w, m, 1, 500.0, into="corr")  # the same tag again (back out) does not make two
    _carried(w, m, 2, 700.0, rssi=-70)  # a faint burst: heard through the doorway, no crossing
    _carried(w, m, 3, 900.0)
    w.moves(np.array([T0 + 930 * S]), np.array([3]), np.array([m.space_index("corr")]))  # back 27 s later: a flicker
    assert w.step(T0 + 2000 * S) == [] and w.trusted.all()
    assert w.run_n[m.doors.index("d-a")] == 1 and w.counts["unseen_crossings"] == 2


def _core() -> TrackerCore:
    return TrackerCore(_site(), {"watermark_s": 0.0, "beam_alone_n": 3})


def _advance(core: TrackerCore, rows: list[tuple], t_s: float, tag_rows: list[tuple] | None = None) -> pa.Table:
    if rows:
        core.reader_events(_table(rows))
    core.ingest(reads(tag_rows or []))
    return core.advance(T0 + int(t_s * S)).alerts


def test_the_core_raises_reader_offline_once_per_failed_beam_and_the_scorer_matches_it():
    core = _core()
    # keepalives are not needed: a reader without a status stream of its own is up
    a1 = _advance(core, _crossing("R-d-b", 1, 2, 5.0) + [(T0 + 10 * S, "R-d-a", 1, "GPIEvent", "true")], 30.0)
    assert a1.num_rows == 0
    a2 = _advance(core, [], 90.0)  # stuck since 70 s
    rows = a2.to_pylist()
    assert [(r["t_us"], r["kind"], r["space"]) for r in rows] == [(T0 + 70 * S, "reader_offline", "room-a")]
    assert rows[0]["detail"] == "reader R-d-a light barrier 1 (d-a, corr side) interrupted for over 60 s"
    assert reader_of(rows[0]["detail"]) == "R-d-a"
    assert _advance(core, [], 200.0).num_rows == 0  # raised once
    assert not core.beams.live[core.model.doors.index("d-a")]  # (Beams' own stuck rule)
    # d-b's room-side beam dies: its corridor beam's interruptions alone
    b_rows = sum((_one("R-d-b", 1, t) for t in (300.0, 320.0, 340.0)), [])
    a3 = _advance(core, b_rows + [(T0 + 350 * S, "R-d-a", 1, "GPIEvent", "false")], 400.0)
    got = [(r["t_us"], r["space"], r["detail"]) for r in a3.to_pylist()]
    assert got == [(T0 + 340 * S, "room-b",
                    "reader R-d-b light barrier 2 (d-b, room-b side) unchanged through 3 interruptions of light barrier 1")]
    open_ = core.workspace.alerts.book.open
    assert ("reader_offline", "@room-b/R-d-b/gpi2") in open_ and ("reader_offline", "@room-a/R-d-a/gpi1") not in open_
    # the twin's truth for both faults, as the world writes it: matched one to one
    truth = pa.table({"t_us": [T0 + 10 * S, T0 + 290 * S], "kind": ["reader_offline"] * 2, "epc": ["", ""],
                      "space": ["room-a", "room-b"], "officer": ["", ""],
                      "detail": ["reader R-d-a light barrier 1 (d-a, corr side) blocked for 340 s",
                                 "reader R-d-b light barrier 2 (d-b, room-b side) dead for 600 s"]})
    alerts = pa.concat_tables([a2, a3])
    res = match_alerts(truth, alerts, w0_us=T0, w1_us=T0 + 1000 * S)["reader_offline"]
    assert (res.precision, res.recall) == (1.0, 1.0)
    assert res.delays_s.tolist() == [60.0, 50.0]


def test_without_the_watch_the_core_raises_nothing_for_beams():
    core = TrackerCore(_site(), {"watermark_s": 0.0, "beam_watch": False})
    assert core.beam_watch is None
    _advance(core, [(T0 + 10 * S, "R-d-a", 1, "GPIEvent", "true")], 30.0)
    assert _advance(core, [], 200.0).num_rows == 0
    assert core.stats()["beam_watch"] == {}
    assert DOSSIER and DOSSIER2 and BADGE3 and DOSSIER3


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(2.0, 3600.0), st.booleans(), st.booleans(), st.integers(0, 5)), max_size=40))
def test_healthy_beams_are_never_judged_failed(crossings):
    """Any schedule of people crossing either door either way (both beams broken each time), tags carried through
    beside some of them, with quiet hours between: no verdict, no alert, every door trusted."""
    m, _, w = _watch()
    w.need_badge = False  # the stricter check: any tag carried through counts
    _placed(w, m, list(range(6)))
    t = 0.0
    inside = [False] * 6
    out = []
    for gap, door_a, inward, tag in crossings:
        t += gap
        reader = "R-d-a" if door_a else "R-d-b"
        _push(w, m, _crossing(reader, 1 if inward else 2, 2 if inward else 1, t))
        if door_a:  # the tag carried with the person, heard by both antennas, moved across
            inside[tag] = not inside[tag]
            _carried(w, m, tag, t - 1.0, into="room-a" if inside[tag] else "corr")
        out += w.step(T0 + int((t + 0.5) * S))
    assert out + w.step(T0 + int((t + 86_400) * S)) == []
    assert (w.why == OK).all() and w.trusted.all() and w.counts["unseen_crossings"] == 0
