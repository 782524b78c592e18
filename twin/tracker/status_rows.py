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


def _lookup(col, index: dict) -> np.ndarray:
    """Per row index[value] (-1 when absent or null), as dict.get would give it."""
    if not index:
        return np.full(len(col), -1, np.int64)
    vals = np.array(list(index.values()) + [-1], np.int64)
    keys = pa.array(list(index), col.type)
    ix = pc.fill_null(pc.index_in(col, value_set=keys), len(index))
    return vals[np.asarray(ix.to_numpy(), np.int64)]


def decode(table: pa.Table, core_ix: dict, watch_ix: dict) -> StatusRows | str | None:
    """The rows decoded; a str: the quarantine reason for the whole frame (missing or uncastable columns); None: a
    frame with string columns of another type (the per-row path takes it, as before)."""
    if any(c not in table.column_names for c in NEED):
        return "missing_columns"
    try:
        t, port = (pc.fill_null(pc.cast(table.column(c), pa.int64()), -1).to_numpy(zero_copy_only=False)
                   for c in ("t_us", "antenna"))  # fmt: skip
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return "bad_columns"
    reader, kind, detail = (table.column(c) for c in ("reader", "kind", "detail"))
    if not all(pa.types.is_string(c.type) for c in (reader, kind, detail)):
        return None
    code = _lookup(kind, {k: i for i, k in enumerate(KINDS)})
    r_core = _lookup(reader, core_ix)
    r_watch = _lookup(pc.fill_null(reader, ""), watch_ix)
    d = np.full(len(t), "", object)
    sel = np.flatnonzero(code != KA)
    gpi_detail: list = []
    if len(sel):
        vals = detail.take(pa.array(sel)).to_pylist()
        d[sel] = ["" if v is None else v for v in vals]
        gpi_detail = [v for v, c in zip(vals, code[sel].tolist()) if c == GPI]
    return StatusRows(np.asarray(t, np.int64), np.asarray(port, np.int64), code, r_core, r_watch, d, gpi_detail)
