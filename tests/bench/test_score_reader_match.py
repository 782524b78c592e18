"""reader_offline alerts match outages of the same space and, when both name one, of the same reader."""

from __future__ import annotations

from twin.bench.score_alerts import match_alerts, reader_of
from twin.records import ANOMALIES_SCHEMA, rows_to_table

S = 1_000_000
T0 = 1_772_409_600 * S


def _t(*rows):
    """(t_s, space, detail) reader_offline rows."""
    return rows_to_table([{"t_us": T0 + t * S, "kind": "reader_offline", "space": sp, "detail": d}
                          for t, sp, d in rows], ANOMALIES_SCHEMA)


def _res(an, al):
    return match_alerts(an, al, w0_us=T0, w1_us=T0 + 10_000 * S)["reader_offline"]


def test_reader_named_in_details():
    assert reader_of("reader R-office offline for 600 s") == "R-office"
    assert reader_of("antenna R-office:2 disconnected for 60 s") == "R-office"
    assert reader_of("reader R-d-x sent no KEEPALIVE for 30 s") == "R-d-x"
    assert reader_of("") == "" and reader_of(None) == ""


def test_another_readers_alert_in_the_same_space_does_not_detect_an_outage():
    an = _t((100, "office", "reader R-d-office offline for 900 s"))
    r = _res(an, _t((130, "office", "reader R-desk-office-D1 silent")))
    assert (r.tp_alerts, r.found) == (0, 0)
    r = _res(an, _t((130, "office", "reader R-desk-office-D1 silent"), (140, "office", "reader R-d-office x")))
    assert (r.n_alerts, r.tp_alerts, r.found) == (2, 1, 1) and r.delays_s.tolist() == [40.0]


def test_two_readers_down_in_one_space_each_needs_its_own_alert():
    an = _t((100, "office", "reader R-a offline for 900 s"), (110, "office", "reader R-b offline for 900 s"))
    r = _res(an, _t((120, "office", "reader R-b silent"), (150, "office", "reader R-a silent")))
    assert (r.tp_alerts, r.found) == (2, 2) and sorted(r.delays_s.tolist()) == [10.0, 50.0]


def test_rows_without_a_reader_match_by_space_as_before():
    an = _t((100, "office", "reader R-a offline for 900 s"))
    r = _res(an, _t((120, "office", "")))
    assert (r.tp_alerts, r.found) == (1, 1)
    r = _res(_t((100, "office", "")), _t((120, "office", "reader R-a silent"), (130, "archive", "")))
    assert (r.n_alerts, r.tp_alerts, r.found) == (2, 1, 1)


def test_a_fault_is_detected_while_it_lasts_not_only_in_the_first_ten_minutes():
    from twin.bench.score_alerts import lasting_s

    assert lasting_s("reader R-a light barrier 1 (d-archive, archive side) dead for 3600 s") == 3600.0
    assert lasting_s("reader R-a offline for 900 s") == 900.0 and lasting_s("x") == 0.0 and lasting_s(None) == 0.0
    dead = _t((100, "archive", "reader R-a light barrier 1 (d-archive, archive side) dead for 3600 s"))
    r = _res(dead, _t((100 + 1900, "archive", "reader R-a light barrier 1 silent through 2 crossings")))
    assert (r.tp_alerts, r.found) == (1, 1) and r.delays_s.tolist() == [1900.0]
    r = _res(dead, _t((100 + 3601, "archive", "reader R-a light barrier 1 silent")))  # after it ended: false
    assert (r.tp_alerts, r.found) == (0, 0)
    short = _t((100, "office", "reader R-b offline for 120 s"))  # a short outage keeps the 600 s window
    r = _res(short, _t((100 + 500, "office", "reader R-b silent")))
    assert (r.tp_alerts, r.found) == (1, 1)
    r = _res(short, _t((100 + 601, "office", "reader R-b silent")))
    assert (r.tp_alerts, r.found) == (0, 0)
