"""Home units: a sweep's find names a tag's unit and home; a first unit from one won cycle; a rival of the home."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from twin.tracker.core import TrackerCore
from twin.tracker.events import home_in

from .synth import DOSSIER, S, SITE, T0, reads
from .test_locate import _feed
from .test_sealed_offsite import _archived, _events, _feed_with_events


def _zone_a(t0_s: float, t1_s: float) -> list[tuple]:
    return [(t, "R-a", 1, DOSSIER, -50) for t in np.arange(t0_s, t1_s, 0.5).tolist()]


def test_a_sweep_find_puts_a_tag_in_its_room_on_the_unit():
    """Heard only by room-a's zone antenna (no unit), then found on S2 by a sweep: on S2 from the sweep on."""
    core = TrackerCore(SITE)
    est = _feed(core, reads(_zone_a(0, 50)), 60)
    assert est["space"].to_pylist()[-1] == "room-a" and est["storage"].to_pylist()[-1] == ""
    tag = core.ingest_.epcs.add([DOSSIER.encode("ascii")])
    core.locator.found(T0 + 90 * S, np.array(tag, np.int32), np.array([core.model.storage.index("room-a/S2")], np.int32))
    est = core.advance(T0 + 180 * S).estimates
    assert est["storage"].to_pylist() == ["room-a/S2"] and est["t_us"].to_pylist() == [T0 + 90 * S]
    assert core.locator.prior_unit[tag[0]] == core.model.storage.index("room-a/S2")
    off = TrackerCore(SITE, {"sweep_unit": False})
    _feed(off, reads(_zone_a(0, 50)), 60)
    off.locator.found(T0 + 90 * S, np.array(tag, np.int32), np.array([1], np.int32))
    assert off.advance(T0 + 180 * S).estimates.num_rows == 0


def test_one_shelf_read_gives_a_first_unit_when_asked():
    rows = reads(_zone_a(0, 20) + [(30.0, "R-a", 3, DOSSIER, -55)])
    assert _feed(TrackerCore(SITE, {"storage_first_step": 0.34}), rows, 60)["storage"].to_pylist()[-1] == ""
    assert _feed(TrackerCore(SITE, {"storage_first_step": 1.0}), rows, 60)["storage"].to_pylist()[-1] == "room-a/S2"


def _on_s2(n: int, every_s: float = 2.0, start_s: float = 300.0) -> list[tuple]:
    return [(start_s + k * every_s, "R-a", 3, DOSSIER, -50) for k in range(n)]


def test_a_filed_dossier_heard_steadily_on_another_shelf_is_estimated_there():
    """Filed on S1 at 200 s while in room-a; S2's antenna then hears it every minute (misfiled): with home_first off
    it goes to S2 after 1 / storage_rival_step inventories, with home_first on it stays on its home."""
    rows = reads(_zone_a(0, 150) + _on_s2(30))
    cfg = {"home_first": False, "storage_rival_step": 0.2}
    est = _feed_with_events(TrackerCore(SITE, cfg), rows, _archived(200.0), 1200)
    assert est["storage"].to_pylist()[-1] == "room-a/S2"
    assert est["t_us"].to_pylist()[-1] >= T0 + int((300 + 4 * 2) * S)  # the fifth cycle at the earliest
    est = _feed_with_events(TrackerCore(SITE, {"home_first": True}), rows, _archived(200.0), 1200)
    assert est["storage"].to_pylist()[-1] == "room-a/S1"


def test_a_rival_cross_read_between_home_reads_does_not_move_a_filed_dossier():
    home = [(300.0 + k * 2, "R-a", 2, DOSSIER, -50) for k in range(40)]
    rival = [(301.0 + k * 4, "R-a", 3, DOSSIER, -45) for k in range(20)]
    rows = reads(sorted(_zone_a(0, 150) + home + rival))
    est = _feed_with_events(TrackerCore(SITE, {"home_first": False, "storage_rival_step": 0.2}), rows,
                            _archived(200.0), 1200)  # fmt: skip
    assert est["storage"].to_pylist()[-1] == "room-a/S1"


def _registered(t_s: float, home: str = "room-a/S1") -> pa.Table:
    t = _events([(T0 + int(t_s * S), "register", "C1", DOSSIER, "")])
    return t.set_column(t.schema.get_field_index("detail"), "detail", pa.array([f"volume 1 of 1; criminal; home {home}"]))


def test_home_in_reads_the_unit_a_registration_names():
    assert home_in("volume 1 of 2; criminal; home archive/S04") == "archive/S04"
    assert home_in("home dossier-room/C01") == "dossier-room/C01"
    assert home_in("volume 1 of 2; criminal") == "" and home_in("") == ""


def test_a_registered_dossier_heard_only_by_its_rooms_zone_antenna_is_on_its_home():
    """Registered with home S1 as the stream begins; only room-a's zone antenna hears it: on S1, not just in room-a.
    With registered homes off it stays in room-a on no unit."""
    rows = reads(_zone_a(0, 50))
    est = _feed_with_events(TrackerCore(SITE), rows, _registered(0.0), 120)
    assert est["space"].to_pylist()[-1] == "room-a" and est["storage"].to_pylist()[-1] == "room-a/S1"
    off = _feed_with_events(TrackerCore(SITE, {"registered_home": False}), rows, _registered(0.0), 120)
    assert off["storage"].to_pylist()[-1] == ""


def test_a_home_named_after_the_tag_was_placed_in_its_room_puts_it_on_the_unit():
    """The registration arrives after reads placed the dossier in room-a on no unit: put on its home then."""
    est = _feed_with_events(TrackerCore(SITE), reads(_zone_a(0, 50)), _registered(90.0), 180)
    assert est["storage"].to_pylist() == ["", "room-a/S1"]
    assert est["t_us"].to_pylist()[-1] >= T0 + 90 * S


def test_a_registered_dossier_heard_in_another_room_is_not_put_on_its_home():
    rows = reads([(k * 0.5, "R-b", 1, DOSSIER, -50) for k in range(100)])
    est = _feed_with_events(TrackerCore(SITE), rows, _registered(0.0), 120)
    assert est["space"].to_pylist()[-1] == "room-b" and est["storage"].to_pylist()[-1] == ""
