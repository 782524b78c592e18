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


def _ints(col) -> np.ndarray:
    """An integer column as int64 (a missing value -1; ArrowInvalid when a value is no integer)."""
    if col.null_count == 0 and col.type in _NARROW:  # fits int64 as it is
        return np.asarray(col.to_numpy(), np.int64)
    if col.type != pa.int64():
        col = pc.cast(col, pa.int64())
    if col.null_count:
        col = pc.fill_null(col, -1)
    return np.asarray(col.to_numpy(), np.int64)


_CODE = np.array([*range(len(KINDS)), -1], np.int64)  # position in KINDS -> code; absent or null -> -1
_NARROW = (pa.int64(), pa.int32(), pa.int16(), pa.int8(), pa.uint32(), pa.uint16(), pa.uint8())


class StatusDecoder:
    """Decodes status frames for one core: the kinds' and reader ids' lookup sets built once."""

    def __init__(self, core_ix: dict, watch_ix: dict) -> None:
        self.kinds = pa.array(KINDS, pa.string())
        keys = list(dict.fromkeys([*core_ix, *watch_ix]))  # one lookup gives both indices (each as dict.get would)
        self.readers = pa.array(keys, pa.string())
        self.core_of = np.array([core_ix.get(k, -1) for k in keys] + [-1], np.int64)  # last: absent or null
        self.watch_of = np.array([watch_ix.get(k, -1) for k in keys] + [-1], np.int64)
        self.watch_null = watch_ix.get("", -1)  # the watch takes a missing id as ""

    @staticmethod
    def _index(col, values: pa.Array) -> np.ndarray:
        """Per row the position of its value in `values`; len(values) when absent or null."""
        ix = pc.index_in(col, value_set=values)
        if ix.null_count:
            ix = pc.fill_null(ix, len(values))
        return np.asarray(ix.to_numpy(), np.int64)

    def decode(self, table: pa.Table) -> StatusRows | str | None:
        """The rows decoded; a str: the quarantine reason for the whole frame (missing or uncastable columns); None: a
        frame with string columns of another type (the per-row path takes it, as before)."""
        names = table.column_names  # a new list at each call
        if any(c not in names for c in NEED):
            return "missing_columns"
        try:
            t, port = _ints(table.column("t_us")), _ints(table.column("antenna"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
            return "bad_columns"
        reader, kind, detail = (table.column(c) for c in ("reader", "kind", "detail"))
        if not all(pa.types.is_string(c.type) for c in (reader, kind, detail)):
            return None
        code = _CODE[self._index(kind, self.kinds)]
        ri = self._index(reader, self.readers)
        r_core, r_watch = self.core_of[ri], self.watch_of[ri]
        if reader.null_count:
            r_watch[np.asarray(pc.is_null(reader).to_numpy(zero_copy_only=False), bool)] = self.watch_null
        d = np.full(len(t), "", object)
        sel = np.flatnonzero(code != KA)
        gpi_detail: list = []
        if len(sel):
            vals = detail.take(pa.array(sel)).to_pylist()
            d[sel] = ["" if v is None else v for v in vals]
            gpi_detail = [v for v, c in zip(vals, code[sel].tolist()) if c == GPI]
        return StatusRows(t, port, code, r_core, r_watch, d, gpi_detail)
