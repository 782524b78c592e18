"""Reader status rows (READER_EVENTS_SCHEMA) decoded in whole-table Arrow passes for TrackerCore.reader_events.

A day holds some 800,000 status rows, nearly all KEEPALIVEs; turning each into Python objects cost about 2 us a row,
half the tracker's time on the whole live input. Kinds and reader ids are looked up in one `index_in` each, times
and AntennaIDs cast once, and only the rows whose detail matters (events, GPIEvents) are taken to Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .alert_readers import KA, STATUS_KINDS

#: the kinds decoded: the watch's (their codes in twin.tracker.alert_readers) and the light barriers' GPIEvent
KINDS = STATUS_KINDS + ("GPIEvent",)
GPI = len(STATUS_KINDS)
NEED = ("t_us", "reader", "antenna", "kind", "detail")


@dataclass
class StatusRows:
    t_us: np.ndarray  # int64, a missing value -1
    antenna: np.ndarray  # int64, a missing value -1
    code: np.ndarray  # int64 index in KINDS, -1: another kind or none
    reader_core: np.ndarray  # the core's reader index (-1: unknown or none)
    reader_watch: np.ndarray  # the reader watch's index (a missing id taken as "", as the watch does)
    detail: np.ndarray  # object: the detail of every row but keepalives ("" for keepalives and missing ones)
    gpi_detail: list  # the GPIEvent rows' details as recorded (None kept)


_KIND_IX = {k: i for i, k in enumerate(KINDS)}


def _lookup(col, index: dict) -> np.ndarray:
    """Per row index[value] (-1 when absent or null), as dict.get would give it."""
    if not index:
        return np.full(len(col), -1, np.int64)
    vals = np.array(list(index.values()) + [-1], np.int64)
    ix = pc.index_in(col, value_set=pa.array(list(index), col.type))
    if ix.null_count:
        ix = pc.fill_null(ix, len(index))
    return vals[np.asarray(ix.to_numpy(), np.int64)]


def _ints(col) -> np.ndarray:
    """An integer column as int64 (a missing value -1; ArrowInvalid when a value is no integer)."""
    if col.type != pa.int64():
        col = pc.cast(col, pa.int64())
    if col.null_count:
        col = pc.fill_null(col, -1)
    return np.asarray(col.to_numpy(), np.int64)


def decode(table: pa.Table, core_ix: dict, watch_ix: dict) -> StatusRows | str | None:
    """The rows decoded; a str: the quarantine reason for the whole frame (missing or uncastable columns); None: a
    frame with string columns of another type (the per-row path takes it, as before)."""
    if any(c not in table.column_names for c in NEED):
        return "missing_columns"
    try:
        t, port = _ints(table.column("t_us")), _ints(table.column("antenna"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return "bad_columns"
    reader, kind, detail = (table.column(c) for c in ("reader", "kind", "detail"))
    if not all(pa.types.is_string(c.type) for c in (reader, kind, detail)):
        return None
    code = _lookup(kind, _KIND_IX)
    r_core = _lookup(reader, core_ix)
    r_watch = _lookup(pc.fill_null(reader, "") if reader.null_count else reader, watch_ix)
    d = np.full(len(t), "", object)
    sel = np.flatnonzero(code != KA)
    gpi_detail: list = []
    if len(sel):
        vals = detail.take(pa.array(sel)).to_pylist()
        d[sel] = ["" if v is None else v for v in vals]
        gpi_detail = [v for v, c in zip(vals, code[sel].tolist()) if c == GPI]
    return StatusRows(t, port, code, r_core, r_watch, d, gpi_detail)
