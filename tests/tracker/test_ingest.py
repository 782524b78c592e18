"""Ingest: EPC kinds decoded once per tag, bad rows quarantined by reason beside good ones, duplicates idempotent,
out-of-order rows within the watermark re-ordered, later rows counted."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from twin.tracker.core import TrackerCore
from twin.tracker.epcs import KIND_BADGE, KIND_DOSSIER, KIND_FOREIGN, KIND_ITEM, decode

from .synth import BADGE, DOSSIER, FOREIGN, ITEM, S, SITE, T0, reads


def _run(chunks, core=None, step_s=60.0):
    core = core or TrackerCore(SITE)
    out = []
    for k, ch in enumerate(chunks):
        core.ingest(ch)
        out.append(core.advance(T0 + int((k + 1) * step_s * S)).estimates)
    out.append(core.advance(T0 + int((len(chunks) + 1) * step_s * S)).estimates)
    return core, pa.concat_tables(out)


def test_epc_kinds():
    assert decode(DOSSIER.encode())[0] == KIND_DOSSIER
    assert decode(BADGE.encode())[0] == KIND_BADGE
    assert decode(ITEM.encode())[0] == KIND_ITEM
    kind, uri = decode(FOREIGN.encode())
    assert kind == KIND_FOREIGN and uri.startswith("urn:epc:id:sgtin:")
    assert decode(b"FFFFFFFFFFFFFFFFFFFFFFFF")[0] == KIND_FOREIGN


def test_bad_rows_are_quarantined_by_reason_and_good_rows_kept():
    good = [(1.0 + 0.5 * k, "R-a", 1, DOSSIER) for k in range(10)]
    bad = [
        (2.0, "R-nowhere", 1, DOSSIER),  # unknown reader
        (2.1, "R-a", 9, DOSSIER),  # unknown antenna
        (2.2, "R-a", 1, "XYZ"),  # malformed EPC
        (2.3, "R-a", 1, DOSSIER, -50, 0),  # TagSeenCount 0
        (2.4, "R-a", 1, DOSSIER, 60),  # impossible RSSI
        (2.5, "R-a", 1, FOREIGN),  # foreign: counted, not quarantined, not located
    ]
    r = reads(good + bad)
    r2 = reads([(3.0, "R-a", 1, DOSSIER)])
    r2["t_us"] = 5  # a reader clock that was never set
    core, est = _run([np.concatenate([r, r2])])
    q = core.stats()["quarantine"]
    assert q == {"unknown_reader": 1, "unknown_antenna": 1, "malformed_epc": 1, "malformed_count": 1,
                 "malformed_rssi": 1, "bad_timestamp": 1}  # fmt: skip
    assert core.stats()["counts"]["foreign_tags"] == 1
    assert est.column("epc").to_pylist() == [DOSSIER]
    assert est.column("space").to_pylist() == ["room-a"]


def test_duplicates_are_idempotent():
    rows = reads([(1.0 + 0.5 * k, "R-a", 1, DOSSIER) for k in range(10)] + [(8.0, "R-b", 1, DOSSIER)] * 3)
    _, once = _run([rows])
    core, twice = _run([np.concatenate([rows, rows])])
    assert once.equals(twice)
    assert core.stats()["counts"]["duplicates"] == 2 * len(rows) - 11  # 11 distinct rows
    # the same chunk delivered again after it was processed changes nothing either
    core, again = _run([rows, rows])
    assert again.equals(once)
    assert core.stats()["counts"]["late"] == 11  # duplicates are dropped before lateness is counted


def test_out_of_order_within_the_watermark_is_reordered():
    rows = [(1.0 + 0.5 * k, "R-a", 1, DOSSIER) for k in range(10)] + [(20.0 + 0.5 * k, "R-b", 1, DOSSIER) for k in range(10)]
    ordered = reads(rows)
    _, want = _run([ordered])
    rng = np.random.default_rng(3)
    shuffled = ordered[rng.permutation(len(ordered))]
    _, got = _run([shuffled])
    assert got.equals(want)
    # rows older than what was already processed: counted late, never rewind an estimate
    core = TrackerCore(SITE)
    core.ingest(ordered[10:])  # the room-b rows first
    e1 = core.advance(T0 + 30 * S).estimates
    core.ingest(ordered[:10])  # the room-a rows, older than what was processed: late
    e2 = core.advance(T0 + 60 * S).estimates
    assert core.stats()["counts"]["late"] == 10
    assert e1.column("space").to_pylist() == ["room-b"] and e2.num_rows == 0


def test_handheld_reads_do_not_place_tags():
    core, est = _run([reads([(1.0 + k, "H-1", 1, DOSSIER) for k in range(10)])])
    assert est.num_rows == 0 and core.stats()["counts"]["not_locating"] == 10
