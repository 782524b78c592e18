"""Collects business events and ground-truth anomalies as they happen; the world drains it per chunk.

Rows are kept column-wise in plain lists until drained, so a chunk costs one Arrow table per stream.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (sort_indices)

from ..records import ALERT_KINDS, ANOMALIES_SCHEMA, EVENTS_SCHEMA

#: Business events the case software records (see DESIGN / the world-agents interface).
EVENT_KINDS = (
    "register",
    "assign",
    "stage",
    "checkout",
    "checkin",
    "handover",
    "archive",
    "item_register",
    "sweep_start",
    "sweep_unit",
    "sweep_end",
)


class Journal:
    """Collects business events and ground-truth anomalies as they happen; the world drains it per chunk."""

    def __init__(self, start_us: int):
        self.start_us = int(start_us)
        self._ev: tuple[list, ...] = ([], [], [], [], [], [], [], [])
        self._an: tuple[list, ...] = ([], [], [], [], [], [])
        self.event_counts: Counter[str] = Counter()
        self.anomaly_counts: Counter[str] = Counter()

    def _us(self, t_s: float) -> int:
        return self.start_us + int(round(t_s * 1e6))

    def event(
        self,
        t_s: float,
        kind: str,
        case: str = "",
        epc: str = "",
        officer: str = "",
        stage: str = "",
        deadline_s: float | None = None,
        detail: str = "",
    ) -> None:
        """Record a business event (events.parquet row); deadline_s is seconds since the scenario start."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"event kind {kind!r}: expected one of {', '.join(EVENT_KINDS)}")
        deadline_us = None if deadline_s is None else self._us(deadline_s)
        row = (self._us(t_s), kind, case, epc, officer, stage, deadline_us, detail)
        for col, v in zip(self._ev, row):
            col.append(v)
        self.event_counts[kind] += 1

    def anomaly(
        self, t_s: float, kind: str, epc: str = "", space: str = "", officer: str = "", detail: str = ""
    ) -> None:
        """Record a ground-truth anomaly (anomalies.parquet row): misbehaviour the core should catch."""
        if kind not in ALERT_KINDS:
            raise ValueError(f"anomaly kind {kind!r}: expected one of {', '.join(ALERT_KINDS)}")
        for col, v in zip(self._an, (self._us(t_s), kind, epc, space, officer, detail)):
            col.append(v)
        self.anomaly_counts[kind] += 1

    def drain(self) -> tuple[pa.Table, pa.Table]:
        """(events, anomalies) recorded since the last drain, each sorted by time (stable)."""
        ev = _table(self._ev, EVENTS_SCHEMA)
        an = _table(self._an, ANOMALIES_SCHEMA)
        self._ev = ([], [], [], [], [], [], [], [])
        self._an = ([], [], [], [], [], [])
        return ev, an


def _table(cols: tuple[list, ...], schema: pa.Schema) -> pa.Table:
    if not cols[0]:
        return schema.empty_table()
    table = pa.table({f.name: pa.array(c, f.type) for f, c in zip(schema, cols)}, schema=schema)
    if table.num_rows > 1:
        table = table.take(pa.compute.sort_indices(table, sort_keys=[("t_us", "ascending")]))
    return table
