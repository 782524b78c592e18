"""Reader status stream in the tracker: keepalive timeouts, close/exception/antenna events, recovery, bad frames."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from twin.records import READER_EVENTS_SCHEMA
from twin.tracker.alerts import AlertConfig, Alerts
from twin.tracker.core import TrackerCore

from .test_alerts import D1, D2, IT, S, SITE, T0, _est, _obs

PORTAL = "R-d-exit"  # reports only while someone passes: silence proves nothing, keepalives do


def _status(a: Alerts, rows: list[tuple]) -> int:
    """rows: (t_s, reader, antenna, kind, detail)."""
    cols = list(zip(*rows))
    return a.watch.status([T0 + int(t * S) for t in cols[0]], *cols[1:])


def _keepalives(reader: str, t0_s: int, t1_s: int, period_s: int = 10) -> list[tuple]:
    return [(t, reader, 0, "KEEPALIVE", "") for t in range(t0_s, t1_s, period_s)]


def _offline(a: Alerts) -> list[tuple]:
    return [(r["state"], (r["t_us"] - T0) / S, r["space"], r["detail"]) for r in a.book.take()
            if r["kind"] == "reader_offline"]


def test_missing_keepalives_take_a_silent_portal_offline_and_a_reconnect_brings_it_back():
    a = Alerts(SITE)
    _status(a, _keepalives(PORTAL, 0, 100) + [(400, PORTAL, 0, "ConnectionAttemptEvent", "Success")]
            + _keepalives(PORTAL, 400, 600))
    for now in range(0, 600, 60):
        a.tick(T0 + now * S)
    rows = _offline(a)
    assert rows[0] == ("raised", 90 + 30, "corr", f"reader {PORTAL} sent no KEEPALIVE for 30 s")
    assert rows[1][:3] == ("cleared", 400, "corr") and len(rows) == 2


def test_a_short_gap_inside_one_batch_is_an_outage_and_a_short_blip_is_not():
    a = Alerts(SITE)
    _status(a, _keepalives(PORTAL, 0, 100) + _keepalives(PORTAL, 150, 300)
            + _keepalives("R-office", 0, 100) + _keepalives("R-office", 120, 300))  # 30 s gap: under the timeout
    a.tick(T0 + 300 * S)
    assert [g[:3] for g in _offline(a)] == [("raised", 120, "corr"), ("cleared", 150, "corr")]


def test_close_and_exception_events_raise_at_once_antenna_events_raise_and_clear():
    a = Alerts(SITE)
    _status(a, _keepalives("R-office", 0, 300) + [(55, "R-office", 0, "ReaderExceptionEvent", "RF fault"),
                                                  (100, "R-office", 1, "AntennaEvent", "Antenna_Disconnected")])
    _status(a, _keepalives(PORTAL, 0, 50) + [(50, PORTAL, 0, "ConnectionCloseEvent", "")])
    a.tick(T0 + 60 * S)
    got = _offline(a)
    assert [g[:3] for g in got] == [("raised", 50, "corr"), ("raised", 55, "office")]
    assert "ConnectionCloseEvent" in got[0][3] and "ReaderExceptionEvent: RF fault" in got[1][3]
    _obs(a, 70, [0], 2)  # reports again: the exception is over (cleared by the reports, as a silent outage is)
    assert [r["state"] for r in a.book.take()] == ["cleared"]
    a.tick(T0 + 120 * S)
    assert [g[:3] for g in _offline(a)] == [("raised", 100, "office")]
    _status(a, [(200, "R-office", 1, "AntennaEvent", "Antenna_Connected")])
    a.tick(T0 + 240 * S)
    assert [g[:3] for g in _offline(a)] == [("cleared", 200, "office")]


def test_events_wait_for_the_clock_and_keepalives_do_not_clear_an_exception():
    a = Alerts(SITE)
    _status(a, [(500, "R-office", 0, "ReaderExceptionEvent", "x")] + _keepalives("R-office", 0, 900))
    a.tick(T0 + 400 * S)
    assert _offline(a) == []  # not yet: the core's clock has not reached it
    a.tick(T0 + 800 * S)
    assert [g[:3] for g in _offline(a)] == [("raised", 500, "office")]  # keepalives go on: hung, still offline


def test_bad_frames_are_quarantined_and_counted():
    a = Alerts(SITE)
    kept = _status(a, [(10, "R-nope", 0, "KEEPALIVE", ""), (10, PORTAL, 0, "HELLO", ""),
                       (10, PORTAL, 1, "AntennaEvent", "Antenna_Exploded"), (20, PORTAL, 0, "KEEPALIVE", "")])
    kept += a.watch.status([5, None, T0 + 10 ** 12 * S], [PORTAL] * 3, [0] * 3, ["KEEPALIVE"] * 3, [""] * 3,
                           now_us=T0)
    assert kept == 1
    assert dict(a.watch.quarantine) == {"unknown_reader": 1, "unknown_kind": 1, "bad_antenna_event": 1,
                                        "bad_time": 3}
    a.tick(T0 + 30 * S)  # the one good keepalive is used


def test_no_missing_while_an_antenna_of_the_tags_reader_is_disconnected():
    cfg = AlertConfig(missing_s=600)
    a = Alerts(SITE, cfg)
    _est(a, [(0, D1, "office", "", "", "dossier", 0), (0, D2, "office", "", "", "dossier", 1),
             (0, IT, "office", "", "", "item", 2)])  # fmt: skip
    _status(a, _keepalives("R-office", 0, 3000) + [(60, "R-office", 1, "AntennaEvent", "Antenna_Disconnected")])
    for now in range(0, 3000, 60):  # D2 read once, then its antenna is off for the rest: never missing
        _obs(a, now, [0, 1, 2] if now == 0 else [0, 2], 2)
        a.tick(T0 + now * S)
    assert [r for r in a.book.take() if r["kind"] == "missing"] == []


def test_without_a_status_stream_nothing_changes():
    a = Alerts(SITE)
    for now in range(0, 3000, 60):
        a.tick(T0 + now * S)
    assert _offline(a) == []


def _table(rows):
    cols = list(zip(*rows)) if rows else [[]] * 5
    return pa.table({n: pa.array(c, type=READER_EVENTS_SCHEMA.field(n).type)
                     for n, c in zip(READER_EVENTS_SCHEMA.names, cols)}, schema=READER_EVENTS_SCHEMA)


def test_core_entry_point_raises_from_the_stream_and_counts_bad_frames():
    core = TrackerCore(SITE)
    core.reader_events(_table([(T0 + t * S, PORTAL, 0, "KEEPALIVE", "") for t in range(0, 60, 10)]
                              + [(T0 + 5 * S, "R-ghost", 0, "KEEPALIVE", "")]))
    core.reader_events(pa.table({"t_us": [T0]}))  # not the contract: quarantined, no crash
    core.reader_events(pa.table({"t_us": ["soon"], "reader": [PORTAL], "antenna": [0], "kind": ["KEEPALIVE"],
                                 "detail": [None]}))
    core.reader_events(None)
    out = core.advance(T0 + 300 * S)
    rows = out.alerts.to_pylist()
    assert [(r["kind"], r["space"]) for r in rows] == [("reader_offline", "corr")]
    assert rows[0]["t_us"] == T0 + 80 * S
    q = core.stats()["reader_events"]
    assert q["kept"] == {"KEEPALIVE": 6}
    assert q["quarantine"] == {"unknown_reader": 1, "missing_columns": 1, "bad_columns": 1}
    assert np.all(np.diff([r["t_us"] for r in rows]) >= 0)


def test_replay_takes_a_reader_events_file_and_rejects_one_without_the_contract(tmp_path):
    import json

    import pyarrow.parquet as pq
    import pytest

    from twin.errors import InputError
    from twin.records import empty_reads, reads_to_arrow
    from twin.tracker.replay import replay

    reads = empty_reads(40)
    reads["t_us"] = T0 + np.arange(40) * 15 * S
    reads["first_us"] = reads["t_us"]
    reads["reader"], reads["antenna"], reads["epc"], reads["rssi_dbm"], reads["count"] = b"R-office", 1, D1, -50, 1
    pq.write_table(reads_to_arrow(reads), tmp_path / "reads.parquet")
    (tmp_path / "site.json").write_text(json.dumps(SITE), encoding="utf-8")
    pq.write_table(_table([(T0 + t * S, PORTAL, 0, "KEEPALIVE", "") for t in range(0, 200, 10)][::-1]),
                   tmp_path / "reader_events.parquet")
    args = (tmp_path / "reads.parquet", tmp_path / "site.json", None)
    replay(*args, tmp_path / "plain")
    stats = replay(*args, tmp_path / "status", reader_events_path=tmp_path / "reader_events.parquet")
    plain = pq.read_table(tmp_path / "plain" / "alerts.parquet").to_pylist()
    got = pq.read_table(tmp_path / "status" / "alerts.parquet").to_pylist()
    assert [r for r in plain if r["kind"] == "reader_offline"] == []
    assert [(r["space"], r["t_us"]) for r in got if r["kind"] == "reader_offline"] == [("corr", T0 + 220 * S)]
    assert stats["reader_events"]["kept"] == {"KEEPALIVE": 20}
    pq.write_table(pa.table({"t_us": [T0]}), tmp_path / "bad.parquet")
    with pytest.raises(InputError):
        replay(*args, tmp_path / "bad", reader_events_path=tmp_path / "bad.parquet")
    from typer.testing import CliRunner

    from twin.cli import app

    res = CliRunner().invoke(app, ["replay", str(args[0]), "--site", str(args[1]), "--out", str(tmp_path / "cli"),
                                   "--reader-events", str(tmp_path / "reader_events.parquet")])
    assert res.exit_code == 0, res.output
    got = pq.read_table(tmp_path / "cli" / "alerts.parquet").to_pylist()
    assert [r["space"] for r in got if r["kind"] == "reader_offline"] == ["corr"]


def test_an_outage_found_by_the_clock_is_not_raised_again_when_the_reconnect_shows_the_gap():
    a = Alerts(SITE)
    _status(a, _keepalives("R-office", 0, 100))
    a.tick(T0 + 300 * S)
    assert [g[:3] for g in _offline(a)] == [("raised", 120, "office")]
    _obs(a, 1005, [0], 2)  # reports come back before the status rows of that chunk are applied
    _status(a, [(1000, "R-office", 0, "ConnectionAttemptEvent", "Success")] + _keepalives("R-office", 1000, 1100))
    a.tick(T0 + 1100 * S)
    assert [g[:3] for g in _offline(a)] == [("cleared", 1005, "office")]


def _twin_stream_through_watch(spans, chunk_s, end_s=4000):
    """The twin's status stream for link outages on the portal, fed chunk by chunk; the offline rows it raises."""
    from twin.readers.keepalive import ReaderStatus, StatusOutage

    outs = [StatusOutage(PORTAL, 0, T0 + a * S, T0 + b * S, m) for a, b, m in spans]
    st = ReaderStatus([PORTAL, "R-office"], outs, 10.0, np.random.default_rng(2))
    a = Alerts(SITE)
    got = []
    for t0 in range(0, end_s, chunk_s):
        tab = st.rows(T0 + t0 * S, T0 + (t0 + chunk_s) * S)
        a.watch.status(*(tab.column(c).to_pylist() for c in READER_EVENTS_SCHEMA.names), now_us=T0 + t0 * S)
        a.tick(T0 + (t0 + chunk_s - 2) * S)
        got += _offline(a)
    return got


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(60, 600), st.sampled_from(["power_loss", "connection_close"])),
                min_size=1, max_size=4), st.sampled_from([20, 60, 300]))
def test_every_link_outage_of_the_twin_is_raised_once_within_a_timeout(gaps, chunk_s):
    spans, t = [], 100
    for d, mode in gaps:  # outages of 60..600 s, 200 s apart
        spans.append((t, t + d, mode))
        t += d + 200
    got = _twin_stream_through_watch(spans, chunk_s)
    raised = [g for g in got if g[0] == "raised"]
    assert len(raised) == len(spans)
    for (a, b, mode), g in zip(spans, raised):
        assert a <= g[1] <= a + (0 if mode == "connection_close" else 40)  # at the close, or one timeout + period
    assert all(g[2] == "corr" for g in got)
    cleared = [g[1] for g in got if g[0] == "cleared"]
    assert cleared == [b for _, b, _ in spans]  # back on the reconnect


def test_a_reader_keeping_alive_slower_than_configured_is_not_offline_between_keepalives():
    a = Alerts(SITE)  # configured 10 s; the portal sends every 30 s
    _status(a, _keepalives(PORTAL, 0, 600, 30))
    for now in range(60, 900, 60):
        a.tick(T0 + now * S)
    assert [g[:2] for g in _offline(a)] == [("raised", 570 + 90)]  # three of its own periods after the last


def test_two_readers_down_in_one_space_are_two_alerts_and_each_recovery_clears_its_own():
    a = Alerts(SITE)  # R-office (zone) and R-d-office (door portal) both cover the office
    _status(a, [(50, "R-office", 0, "ConnectionCloseEvent", ""), (60, "R-d-office", 0, "ConnectionCloseEvent", "")])
    a.tick(T0 + 90 * S)
    got = _offline(a)
    assert [g[:3] for g in got] == [("raised", 50, "office"), ("raised", 60, "office")]
    assert "R-office" in got[0][3] and "R-d-office" in got[1][3]
    _status(a, [(120, "R-d-office", 0, "ConnectionAttemptEvent", "Success")] + _keepalives("R-d-office", 120, 300))
    a.tick(T0 + 300 * S)
    got = _offline(a)
    assert [g[:3] for g in got] == [("cleared", 120, "office")] and "R-d-office" in got[0][3]
    assert [k for k in a.book.open if k[0] == "reader_offline"] == [("reader_offline", "@office/R-office")]
