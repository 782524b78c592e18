"""Compiled steps of report shaping (`reports.report_rows`): the report messages (reader, period) of the rows and
the copy of every field of each row into the packed LLRP-shaped record array. Integer work only, so the same bytes
as the numpy steps they replaced (np.unique; one fancy index and one strided copy per field).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def message_ids(rdr, per, n_readers, max_cells):
    """Report messages (reader, period) of rows: (message of each row, reader and period of each message), messages
    by reader then period; a dense (reader, period) table over each reader's periods in this call (no sort).
    Empty results when the table would exceed max_cells (the caller sorts instead)."""
    n = rdr.shape[0]
    lo = np.full(n_readers, np.iinfo(np.int64).max)
    hi = np.full(n_readers, np.iinfo(np.int64).min)
    for i in range(n):
        r = rdr[i]
        lo[r] = min(lo[r], per[i])
        hi[r] = max(hi[r], per[i])
    off = np.zeros(n_readers + 1, np.int64)
    for r in range(n_readers):
        off[r + 1] = off[r] + (hi[r] - lo[r] + 1 if hi[r] >= lo[r] else 0)
    z = np.zeros(0, np.int64)
    if off[n_readers] > max_cells:
        return z, z, z
    cell = np.full(off[n_readers], -1, np.int64)
    for i in range(n):
        cell[off[rdr[i]] + per[i] - lo[rdr[i]]] = 0
    m = 0
    for c in range(cell.shape[0]):
        if cell[c] == 0:
            cell[c] = m
            m += 1
    ur = np.empty(m, np.int64)
    up = np.empty(m, np.int64)
    for r in range(n_readers):
        for c in range(off[r], off[r + 1]):
            if cell[c] >= 0:
                ur[cell[c]] = r
                up[cell[c]] = lo[r] + c - off[r]
    gi = np.empty(n, np.int64)
    for i in range(n):
        gi[i] = cell[off[rdr[i]] + per[i] - lo[rdr[i]]]
    return gi, ur, up


@njit(cache=True)
def gather_rows(o, t_src, t_dst, first_src, first_dst, rdr, names, reader_dst, port, ant, antenna_dst, seg, epc,
                epc_dst, rssi_src, rssi_dst, n_src, count_dst, chan_src, chan_dst):
    """Row k of every destination field (strided views of one record array; byte strings as uint8 rows) from row
    o[k] of the sources: one pass instead of one fancy-index and one strided copy per field."""
    for k in range(o.shape[0]):
        i = o[k]
        t_dst[k] = t_src[i]
        first_dst[k] = first_src[i]
        r = rdr[i]
        for b in range(names.shape[1]):
            reader_dst[k, b] = names[r, b]
        antenna_dst[k] = port[ant[i]]
        g = seg[i]
        for b in range(epc.shape[1]):
            epc_dst[k, b] = epc[g, b]
        rssi_dst[k] = rssi_src[i]
        count_dst[k] = n_src[i]
        chan_dst[k] = chan_src[i]


def _field(out: np.ndarray, name: str) -> np.ndarray:
    """A field of a record array as a strided view: numbers as themselves, byte strings as (N, width) uint8."""
    dt, off = out.dtype.fields[name][:2]
    if dt.kind != "S":
        return out[name]
    return out.view(np.uint8).reshape(len(out), out.dtype.itemsize)[:, off:off + dt.itemsize]  # a column slice


def _u8(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view(np.uint8).reshape(len(a), a.dtype.itemsize)


def fill_reads(out, o, t_us, first_us, rdr, names, port, ant, seg, epc, rssi, count, chan) -> None:
    """out[k] = the read row o[k] for every field of a READ_DTYPE array (`gather_rows`; fixed source dtypes, so
    one compiled signature serves every call)."""
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    gather_rows(i8(o), i8(t_us), _field(out, "t_us"), i8(first_us), _field(out, "first_us"), i8(rdr), _u8(names),
                _field(out, "reader"), np.ascontiguousarray(port, np.uint16), i8(ant), _field(out, "antenna"), i8(seg),
                _u8(epc), _field(out, "epc"), np.ascontiguousarray(rssi, np.int16), _field(out, "rssi_dbm"),
                i8(count), _field(out, "count"), np.ascontiguousarray(chan, np.uint16), _field(out, "channel"))


def warm() -> None:
    """Compile (first install) or load (later) every kernel on tiny inputs."""
    from twin.records import READ_DTYPE

    out = np.zeros(2, READ_DTYPE)  # two rows: strided field views, the layout of every real call
    z2 = np.zeros(2, np.int64)
    fill_reads(out, z2, z2, z2, z2, out["reader"], z2, z2, z2, out["epc"], z2, z2, z2)
    message_ids(z2, z2, 1, 10)
