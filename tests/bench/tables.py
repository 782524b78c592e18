"""Hand-made tables for the bench tests: a tiny site, truth/estimate/anomaly/alert builders."""

from __future__ import annotations

import pyarrow as pa

from twin.records import ANOMALIES_SCHEMA, ESTIMATES_SCHEMA, TRUTH_SCHEMA, rows_to_table

S = 1_000_000  # one second in microseconds
T0 = 1_772_380_800 * S  # 2026-03-02T00:00:00+08:00, the run's start

SITE = {
    "spaces": [
        {"id": "corr", "purpose": "circulation"},
        {"id": "office", "purpose": "office"},
        {"id": "archive", "purpose": "archive"},
        {"id": "yard", "purpose": "car_park"},
    ],
    "doors": [
        {"id": "d-office", "a": "corr", "b": "office"},
        {"id": "d-archive", "a": "corr", "b": "archive"},
        {"id": "d-main", "a": "corr", "b": "yard"},
    ],
    "storage": [
        {"id": "archive/S01", "space": "archive", "kind": "shelf"},
        {"id": "archive/S02", "space": "archive", "kind": "shelf"},
        {"id": "office/D01", "space": "office", "kind": "desk"},
    ],
    "readers": [
        {"id": "R-archive", "antennas": [
            {"port": 1, "kind": "shelf", "covers": {"space": "archive", "storage": "archive/S01"}},
            {"port": 2, "kind": "shelf", "covers": {"space": "archive", "storage": "archive/S02"}},
            {"port": 3, "kind": "portal", "covers": {"space": "archive", "door": "d-archive", "side": "archive",
                                                     "other_side": "corr"}},
            {"port": 4, "kind": "portal", "covers": {"space": "corr", "door": "d-archive", "side": "corr",
                                                     "other_side": "archive"}},
        ]},
        {"id": "R-office", "antennas": [
            {"port": 1, "kind": "zone", "covers": {"space": "office"}},
            {"port": 2, "kind": "desk", "covers": {"space": "office", "storage": "office/D01"}},
        ]},
        {"id": "R-hand", "kind": "handheld", "antennas": [
            {"port": 1, "kind": "handheld", "covers": {"space": "office", "mobile": True}},
        ]},
    ],
}  # fmt: skip


def truth(*rows) -> pa.Table:
    """Rows (epc, t0_s, t1_s, space[, storage[, tag_kind]]) relative to T0."""
    out = []
    for r in rows:
        epc, a, b, space, *rest = r
        out.append({"epc": epc, "t0_us": T0 + round(a * S), "t1_us": T0 + round(b * S), "space": space,
                    "storage": rest[0] if rest else "", "tag_kind": rest[1] if len(rest) > 1 else "dossier"})
    return rows_to_table(out, TRUTH_SCHEMA)


def estimates(*rows) -> pa.Table:
    """Rows (t_s, epc, space[, storage])."""
    return rows_to_table(
        [{"t_us": T0 + int(round(t * S)), "epc": e, "space": s, "storage": rest[0] if rest else "", "confidence": 1.0}
         for t, e, s, *rest in rows],
        ESTIMATES_SCHEMA,
    )  # fmt: skip


def events(*rows) -> pa.Table:
    """Anomaly or alert rows (t_s, kind, epc[, space])."""
    return rows_to_table(
        [{"t_us": T0 + int(round(t * S)), "kind": k, "epc": e, "space": rest[0] if rest else ""} for t, k, e, *rest in rows],
        ANOMALIES_SCHEMA,
    )
