"""Custody: holder changes from the estimates, recorded hand-overs, unrecorded ones flagged once."""

from __future__ import annotations

from twin.tracker.custody import Custody, CustodyConfig

S = 1_000_000
D, BA, BB = "2C" + "0" * 22, "2D" + "0" * 21 + "1", "2D" + "0" * 21 + "2"


def _walk(c: Custody, rows, now_s: float) -> None:
    cols = list(zip(*rows)) or [[]] * 6
    c.update([int(t * S) for t in cols[0]], *cols[1:], now_us=int(now_s * S))


def _scene(c: Custody, recorded: bool) -> tuple[list, list]:
    """B sits in room-b; A carries D in and stays; B takes it over there and walks it out to the corridor."""
    c.name_badge(BA, "A")
    c.name_badge(BB, "B")
    if recorded:
        c.apply([{"t_us": 200 * S, "kind": "handover", "epc": D, "officer": "B", "detail": "A"}])
    _walk(c, [(0, BB, "room-b", "", "", "badge")], 5)
    _walk(c, [(100, BA, "room-b", "", "", "badge"), (100, D, "room-b", "", "A", "dossier")], 110)
    _walk(c, [(250, BB, "corr", "", "", "badge"), (250, D, "corr", "", "B", "dossier")], 260)
    _walk(c, [(300, BB, "room-a", "", "", "badge"), (300, D, "room-a", "", "B", "dossier")], 310)
    _walk(c, [], 2000)
    return c.take()


def test_unrecorded_handover_is_flagged_once():
    rows, alerts = _scene(Custody(CustodyConfig(handover_window_s=300)), recorded=False)
    assert [a["kind"] for a in alerts] == ["unrecorded_handover"]
    assert alerts[0]["epc"] == D and alerts[0]["officer"] == "B" and alerts[0]["t_us"] == 250 * S
    assert [(r["holder"], r["from"], r["how"]) for r in rows] == [("A", "", "badge"), ("B", "A", "badge")]


def test_recorded_handover_is_custody_not_alert():
    rows, alerts = _scene(Custody(), recorded=True)
    assert alerts == []
    assert ("B", "A", "handover") in [(r["holder"], r["from"], r["how"]) for r in rows]


def test_put_on_a_unit_ends_custody_and_walking_away_puts_down():
    c = Custody()
    c.name_badge(BA, "A")
    _walk(c, [(10, BA, "room-b", "", "", "badge"), (10, D, "room-b", "", "A", "dossier")], 20)
    assert c.held_by("A") == [D]
    _walk(c, [(100, BA, "corr", "", "", "badge")], 110)  # A leaves without D
    assert c.held_by("A") == []
    rows, _ = c.take()
    assert rows[-1]["how"] == "inferred" and rows[-1]["holder"] == ""


def test_a_flickering_estimate_named_after_passers_by_is_no_handover():
    """A tag resting between two rooms flickers from one to the other, each time named after a badge passing the
    door (the locator's holder guess); the badges themselves are estimated elsewhere: no hand-over."""
    c = Custody(CustodyConfig(handover_window_s=300))
    c.name_badge(BA, "A")
    c.name_badge(BB, "B")
    _walk(c, [(10, BA, "room-a", "", "", "badge"), (10, D, "room-a", "", "A", "dossier"),
              (10, BB, "corr", "", "", "badge")], 20)  # fmt: skip
    _walk(c, [(100, D, "room-b", "", "A", "dossier")], 110)
    _walk(c, [(200, D, "room-a", "", "A", "dossier")], 210)
    _walk(c, [(300, D, "room-b", "", "B", "dossier")], 310)  # named after B passing the door; B's badge: corridor
    _walk(c, [(400, D, "room-a", "", "B", "dossier")], 410)
    _walk(c, [], 2000)
    assert c.take()[1] == []


def _desk_scene(c: Custody, *, b_in: bool = True, recorded: bool = False, b_along: bool = False,
                taker: str = "B", later_s: float = 1800, unit: str = "office/D1"):  # fmt: skip
    """B's badge sits in the office; A carries D in, puts it on a desk there and walks out; later `taker` carries D
    out of the office."""
    c.name_badge(BA, "A")
    c.name_badge(BB, "B")
    if recorded:
        c.apply([{"t_us": 4000 * S, "kind": "handover", "epc": D, "officer": "B", "detail": "A"}])
    _walk(c, [(0, BB, "office", "", "", "badge"), (0, BA, "corr", "", "", "badge")], 10)
    if not b_in:
        _walk(c, [(3500, BB, "corr", "", "", "badge")], 3510)
    if b_along:  # B goes out and comes back with A (the carrier's name may be the companion's)
        _walk(c, [(3600, BB, "corr", "", "", "badge")], 3610)
        _walk(c, [(3900, BB, "office", "", "", "badge")], 3905)
    _walk(c, [(3900, BA, "office", "", "", "badge"), (3900, D, "office", "", "A", "dossier")], 3910)
    _walk(c, [(4000, D, "office", unit, "", "dossier" if unit else "x")], 4010)  # put on a desk ...
    _walk(c, [(4030, BA, "corr", "", "", "badge")], 4040)  # ... A leaves without it
    t = 4000 + later_s
    bt = BB if taker == "B" else BA
    _walk(c, [(t, bt, "corr", "", "", "badge"), (t, D, "corr", "", taker, "dossier")], t + 10)
    _walk(c, [], t + 2000)
    return c.take()


def test_a_file_put_down_by_one_and_carried_on_by_one_who_was_there_is_a_handover_flagged_unless_recorded():
    _, alerts = _desk_scene(Custody())
    assert [(a["kind"], a["epc"], a["officer"], a["t_us"]) for a in alerts] == [
        ("unrecorded_handover", D, "B", 4000 * S)]
    assert _desk_scene(Custody(), recorded=True)[1] == []


def test_no_handover_when_the_taker_was_away_came_along_or_is_the_one_who_put_it_down():
    assert _desk_scene(Custody(), b_in=False)[1] == []  # B not in the room at the put-down: a delivery
    assert _desk_scene(Custody(), b_along=True)[1] == []  # B came in with the file: maybe B carried it in
    assert _desk_scene(Custody(), taker="A")[1] == []  # A fetches it back
    assert _desk_scene(Custody(), later_s=7 * 3600)[1] != []  # carried on at the evening tidy: within keep_s
    assert _desk_scene(Custody(), later_s=11 * 3600)[1] == []  # past keep_s: not a hand-over's sequel
    assert _desk_scene(Custody(), unit="")[1] == []  # never seen on a unit (resting on an interview-room table)


def test_a_badge_renamed_by_an_event_is_one_holder_under_both_names():
    """The locator names a badge by its URI until an event names its officer; a hand-over between the two names of
    one badge is none."""
    c = Custody()
    c.name_badge(BA, "urn-a")
    _walk(c, [(10, BA, "room-b", "", "", "badge"), (10, D, "room-b", "", "urn-a", "dossier")], 20)
    c.apply([{"t_us": 30 * S, "kind": "issue", "epc": BA, "officer": "A"}])
    assert c.held_by("A") == [D] and c.held_by("urn-a") == []
    _walk(c, [(100, BA, "corr", "", "", "badge"), (100, D, "corr", "", "A", "dossier")], 110)
    _walk(c, [], 2000)
    rows, alerts = c.take()
    assert alerts == [] and [r["holder"] for r in rows] == ["urn-a"]  # no change of holder: one badge


BC = "2D" + "0" * 21 + "3"


def test_a_badge_row_earlier_in_the_advance_than_its_taking_the_tag_is_no_walking_away():
    """One advance: A's badge goes through the corridor, then carries D into the office (the badge's office row a
    second after D's). Its corridor row precedes the taking: D stays with A (it used to be put down at the corridor
    row's time, before D even came)."""
    c = Custody()
    c.name_badge(BA, "A")
    _walk(c, [(0, BA, "room-a", "", "", "badge"), (0, D, "dr", "dr/S1", "", "dossier")], 10)
    _walk(c, [(26, BA, "corr", "", "", "badge"), (38, D, "corr", "", "", "dossier"),
              (40, D, "office", "", "A", "dossier"), (41, BA, "office", "", "", "badge")], 60)  # fmt: skip
    assert c.held_by("A") == [D]
    assert [(r["holder"], r["how"]) for r in c.take()[0]] == [("A", "badge")]


def test_a_resting_tag_back_from_a_flicker_after_the_badge_left_was_not_put_down_by_it():
    """D rests on a shelf by the door; A walks in and out, and D's estimate flickers to the corridor as A leaves
    (named after A) and back to its shelf after A's badge has left. B's badge sits in the room (a stale estimate);
    later D flickers out with B for minutes. A never carried D in, so B took nothing over from A."""
    c = Custody(CustodyConfig(handover_window_s=300))
    c.name_badge(BA, "A")
    c.name_badge(BB, "B")
    _walk(c, [(0, BB, "dr", "", "", "badge"), (0, D, "dr", "dr/S1", "", "dossier"), (0, BA, "corr", "", "", "badge")],
          10)  # fmt: skip
    _walk(c, [(100, BA, "dr", "", "", "badge"), (104, BA, "corr", "", "", "badge"),
              (105, D, "corr", "", "A", "dossier"), (111, D, "dr", "dr/S1", "", "dossier")], 120)  # fmt: skip
    _walk(c, [(3000, BB, "corr", "", "", "badge"), (3000, D, "corr", "", "B", "dossier")], 3010)
    _walk(c, [], 3100)  # D stayed out with B past min_stay_s
    _walk(c, [(3400, D, "dr", "dr/S1", "", "dossier")], 3410)
    _walk(c, [], 5000)
    assert c.take()[1] == []


def _sitter_scene(c: Custody, *, beside: bool) -> list:
    """B sits in the office; A carries D in, puts it on a desk and walks out; later D is carried out into the
    corridor, named after B, whose badge the locator moves out beside it; with `beside`, C's badge (which the
    locator still placed elsewhere) comes out 0.1 s later, and D goes on with C while B's badge stays."""
    c.name_badge(BA, "A")
    c.name_badge(BB, "B")
    c.name_badge(BC, "C")
    _walk(c, [(0, BB, "office", "", "", "badge"), (0, BA, "corr", "", "", "badge"), (0, BC, "dr", "", "", "badge")],
          10)  # fmt: skip
    _walk(c, [(3900, BA, "office", "", "", "badge"), (3900, D, "office", "", "A", "dossier")], 3910)
    _walk(c, [(4000, D, "office", "office/D1", "", "dossier")], 4010)
    _walk(c, [(4030, BA, "corr2", "", "", "badge")], 4040)
    t = 5800
    rows = [(t, D, "corr", "", "B", "dossier"), (t + 0.05, BB, "corr", "", "", "badge")]
    if beside:
        rows.append((t + 0.1, BC, "corr", "", "", "badge"))
    _walk(c, rows, t + 10)
    if beside:
        _walk(c, [(t + 90, BC, "room-x", "", "", "badge"), (t + 90, D, "room-x", "", "C", "dossier")], t + 100)
    _walk(c, [], t + 2000)
    return c.take()[1]


def test_a_file_carried_out_beside_two_badges_has_no_known_receiver():
    """Two badges came out with the file (a sitter's badge by the door dragged along by the carrier's crossing):
    either may carry it, so no hand-over is claimed; B alone is still flagged."""
    assert [a["officer"] for a in _sitter_scene(Custody(), beside=False)] == ["B"]
    assert _sitter_scene(Custody(), beside=True) == []


def test_a_companion_who_came_in_with_the_file_takes_over_no_handover():
    """A and B come into the room together with D (named after A: the nearer badge); B later carries D out. Either
    carried it in, so no hand-over is claimed; B in the room from long before is one (test above)."""
    c = Custody(CustodyConfig(handover_window_s=300))
    c.name_badge(BA, "A")
    c.name_badge(BB, "B")
    _walk(c, [(100, BB, "room-b", "", "", "badge"), (100.5, D, "room-b", "", "A", "dossier"),
              (103, BA, "room-b", "", "", "badge")], 110)  # fmt: skip
    _walk(c, [(250, BB, "corr", "", "", "badge"), (250, D, "corr", "", "B", "dossier")], 260)
    _walk(c, [(300, BB, "room-a", "", "", "badge"), (300, D, "room-a", "", "B", "dossier")], 310)
    _walk(c, [], 2000)
    assert c.take()[1] == []
