"""Record types that cross module boundaries: numpy dtypes for in-memory chunks, Arrow schemas for the files.

Field names carry their units (DESIGN rule 5). All times are int64 microseconds since the Unix epoch.
The Parquet contracts are those of DESIGN.md; in memory the same columns live in numpy structured arrays so that
chunks are cheap to build, concatenate and hand to a core.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

EPC_HEX_LEN = 24  # 96-bit EPCs as uppercase hex
ID_LEN = 32  # space / door / storage / reader / officer ids are short ASCII slugs

#: One LLRP TagReportData row: a tag seen `count` times by one antenna between first_us and t_us (reader clock).
READ_DTYPE = np.dtype(
    [
        ("t_us", "<i8"),
        ("first_us", "<i8"),
        ("reader", f"S{ID_LEN}"),
        ("antenna", "<u2"),
        ("epc", f"S{EPC_HEX_LEN}"),
        ("rssi_dbm", "<i2"),
        ("count", "<u4"),
        ("channel", "<u2"),
    ]
)

READS_SCHEMA = pa.schema(
    [
        ("t_us", pa.int64()),
        ("first_us", pa.int64()),
        ("reader", pa.string()),
        ("antenna", pa.uint16()),
        ("epc", pa.string()),
        ("rssi_dbm", pa.int16()),
        ("count", pa.uint32()),
        ("channel", pa.uint16()),
    ]
)

TRUTH_SCHEMA = pa.schema(
    [
        ("epc", pa.string()),
        ("tag_kind", pa.string()),
        ("t0_us", pa.int64()),
        ("t1_us", pa.int64()),
        ("space", pa.string()),
        ("storage", pa.string()),
        ("holder", pa.string()),
    ]
)

ANOMALIES_SCHEMA = pa.schema(
    [
        ("t_us", pa.int64()),
        ("kind", pa.string()),
        ("epc", pa.string()),
        ("space", pa.string()),
        ("officer", pa.string()),
        ("detail", pa.string()),
    ]
)

EVENTS_SCHEMA = pa.schema(
    [
        ("t_us", pa.int64()),
        ("kind", pa.string()),
        ("case", pa.string()),
        ("epc", pa.string()),
        ("officer", pa.string()),
        ("stage", pa.string()),
        ("deadline_us", pa.int64()),
        ("detail", pa.string()),
    ]
)

ESTIMATES_SCHEMA = pa.schema(
    [
        ("t_us", pa.int64()),
        ("epc", pa.string()),
        ("space", pa.string()),
        ("storage", pa.string()),
        ("holder", pa.string()),
        ("confidence", pa.float32()),
    ]
)

ALERTS_SCHEMA = ANOMALIES_SCHEMA

#: reader_events.parquet: one LLRP message a client receives from a reader besides tag reports -- KEEPALIVE, or a
#: READER_EVENT_NOTIFICATION's event (ConnectionAttemptEvent, ConnectionCloseEvent, AntennaEvent,
#: ReaderExceptionEvent, GPIEvent); `t_us` reader clock, `antenna` the AntennaID, or the GPIPortNumber of a GPIEvent
#: (0 when none), `detail` the event's field (Status, EventType, Message, or a GPIEvent's new state "true"/"false").
#: See twin.readers.keepalive, twin.readers.beams and docs/reader-events.md.
READER_EVENTS_SCHEMA = pa.schema(
    [
        ("t_us", pa.int64()),
        ("reader", pa.string()),
        ("antenna", pa.uint16()),
        ("kind", pa.string()),
        ("detail", pa.string()),
    ]
)

#: Alert and anomaly kinds share one vocabulary so the bench can match alerts to anomalies.
ALERT_KINDS = (
    "left_building",
    "drawer",
    "missing",
    "misfiled",
    "overdue_warning",
    "overdue",
    "separated",
    "reader_offline",
    "unrecorded_handover",
)

TAG_KINDS = ("dossier", "badge", "item")


def empty_reads(n: int = 0) -> np.ndarray:
    return np.zeros(n, dtype=READ_DTYPE)


def reads_to_arrow(reads: np.ndarray) -> pa.Table:
    """Convert a READ_DTYPE array to an Arrow table with the reads.parquet schema."""
    cols = {}
    for name in READS_SCHEMA.names:
        col = reads[name]
        if col.dtype.kind == "S":
            col = np.char.decode(col, "ascii")
        cols[name] = pa.array(col, type=READS_SCHEMA.field(name).type)
    return pa.table(cols, schema=READS_SCHEMA)


def reads_from_arrow(table: pa.Table) -> np.ndarray:
    """Convert an Arrow table with the reads schema back to a READ_DTYPE array (strings encoded as ASCII bytes)."""
    out = empty_reads(table.num_rows)
    for name in READS_SCHEMA.names:
        col = table.column(name).to_numpy(zero_copy_only=False)
        if READ_DTYPE[name].kind == "S":
            out[name] = np.asarray(col, dtype=object).astype(READ_DTYPE[name])
        else:
            out[name] = col
    return out


def rows_to_table(rows: Iterable[dict], schema: pa.Schema) -> pa.Table:
    """Build an Arrow table from dict rows; missing string fields become "" and missing ints 0."""
    rows = list(rows)
    cols = {}
    for f in schema:
        default = "" if pa.types.is_string(f.type) else 0
        cols[f.name] = pa.array([r.get(f.name, default) for r in rows], type=f.type)
    return pa.table(cols, schema=schema)


class ParquetSink:
    """Appends record batches to one Parquet file chunk by chunk, so long runs never hold a whole stream."""

    def __init__(self, path: str | Path, schema: pa.Schema):
        self.path = Path(path)
        self.schema = schema
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        self._writer.write_table(table.cast(self.schema))
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is None:
            # An empty stream is still a valid file with the contract's schema.
            pq.write_table(self.schema.empty_table(), self.path)
        else:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> "ParquetSink":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
