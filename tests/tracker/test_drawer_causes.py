"""drawer against the causes of round 5's last miss and false alert on the seeded days (hand-made streams)."""

from __future__ import annotations

from .test_alert_causes import D, SITE2, _drawer_run
from .test_alerts import _est, _obs

MARK = int(9.5 * 3600 + 600)  # the drawer mark of _drawer_run, in s after T0

#: SITE2 with a second office next door whose room antenna (reader and antenna index 5) hears its desks
SITE3 = {**SITE2,
         "spaces": SITE2["spaces"] + [{"id": "office-b", "kind": "room", "purpose": "office"}],
         "doors": SITE2["doors"] + [{"id": "d-office-b", "a": "office-b", "b": "corr"}],
         "readers": SITE2["readers"] + [{"id": "R-office-b", "kind": "fixed", "report_period_ms": 10000.0,
                                         "antennas": [{"port": 1, "kind": "zone",
                                                       "covers": {"space": "office-b"}}]}]}  # fmt: skip


def _held_by(a, holder: str) -> None:
    a.place.held_in_force = {d: holder for d in D}  # custody: its carrier's badge never walked away from it


def test_drawer_for_a_file_resting_by_its_officers_badge_past_the_mark():
    """Carried out of the dossier room into an office and put on a desk; its officer sits on past the mark, so the
    estimate and custody still name his badge as holder, and only the office door's portal keeps hearing the file
    (the seeded misbehaviour day: a desk file estimated in the office next door with its officer's badge, which the
    same wall put there too). Its estimate has not moved for 48 min: resting, not carried -- drawer. Moved two
    minutes before the mark with the holder, it is carried: no drawer."""

    def resting(a, last_change_s=MARK - 2900):
        _held_by(a, "A")
        _obs(a, MARK - 3020, [0], 0)  # on its shelf
        _obs(a, MARK - 3010, [0], 4)  # through the dossier room's door
        _est(a, [(MARK - 3000, D[0], "office", "", "A", "dossier", 0)])
        if last_change_s != MARK - 2900:
            _est(a, [(last_change_s, D[0], "office", "", "A", "dossier", 0)])
        for t in range(MARK - 3000, MARK - 60, 100):
            _obs(a, t, [0], 3)  # the office door's portal, through the wall, up to the mark

    assert _drawer_run(resting, SITE2) == [(D[0], "office")]
    assert _drawer_run(lambda a: resting(a, MARK - 120), SITE2) == []


def test_no_drawer_for_a_file_carried_off_past_a_rooms_door_after_a_desk_next_door_heard_it():
    """A file heard at a desk in office-b, then carried down the corridor past office's door (its portal heard it go
    by) and out of reach of any antenna, its estimate stuck in office with no holder (the seeded baseline day: taken
    to an interview room upstairs two minutes before the check and back to the shelves after it). The desk that
    heard it of late is office-b's, not office's: no drawer. Heard of late by office's own room antenna, it is."""

    def carried_past(a, heard_by=5):
        _held_by(a, "")
        _obs(a, MARK - 5000, [0], 0)
        _obs(a, MARK - 4990, [0], 4)
        for t in range(MARK - 4000, MARK - 420, 20):
            _obs(a, t, [0], heard_by)  # at the desk
        _obs(a, MARK - 380, [0], 3)  # past office's door
        _est(a, [(MARK - 380, D[0], "office", "", "", "dossier", 0)])
        _obs(a, MARK - 375, [0], 1)  # on down the corridor, then nothing

    assert _drawer_run(carried_past, SITE3) == []
    assert _drawer_run(lambda a: carried_past(a, heard_by=2), SITE3) == [(D[0], "office")]
