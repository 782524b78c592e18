"""LLRP report shaping (`reports.report_rows`) in two compiled passes instead of some sixty numpy and compiled calls:
`ids_pass` finds the report messages (reader, period) of the rows, each message's end, the hash uniforms of each
distinct channel-hop window (rows of one antenna dwell share it) and of each message's network delay; numpy then
takes the inverse normal, tanh and exp of those (as `reports.channel_rows` and `delay_rows` do) and the one normal
draw per row; `shape_pass` ranks the messages by
delivery, puts the rows on their reader's clock, orders them (`radix`) and writes every field of each row into the
packed record array (peak RSSI, channel, names, counts). Integer and IEEE arithmetic only in the passes, in the order
numpy does it, so the same bytes as `report_rows` (the plain steps, kept as the reference).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.special import ndtri

from twin.readers import reportkernels
from twin.readers.radix import argsort_pairs
from twin.readers.reports import _BLOM, _BLOM_N, peak_rssi, report_rows
from twin.records import READ_DTYPE

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_SALT_CHAN, _SALT_DELAY = 0x5EED_C4A1, 0xDE1A_7000


@njit(cache=True)
def _uniform(h0, col):
    """`rf.to_normal`'s uniform of `reports._row_normal`: splitmix64 of h0 ^ (col + golden), top 53 bits."""
    h = h0 ^ (np.uint64(col) + _GOLD)
    h = h ^ (h >> _S30)
    h = h * _M1
    h = h ^ (h >> _S27)
    h = h * _M2
    h = h ^ (h >> _S31)
    return (np.float64(h >> _S11) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def ids_pass(rdr, per, first, n_readers, h0_chan, h0_delay, phase, dwell, trig, period, run):
    """Per row its report message and its channel hop window (window (first - phase) // dwell of its reader: rows
    of one window share it, so each distinct window once, `wi` its index); the windows' uniforms, then per message
    (reader, period) its uniform of the network delay; per message its reader, period and end (a periodic reader's
    cycle end, else the period's end). Empty message ids when the (reader, period) table would be too large
    (`message_ids`)."""
    n = rdr.shape[0]
    gi, ur, up = reportkernels.message_ids(rdr, per, n_readers, 8 * n + 4096)
    m = ur.shape[0]
    cap = 16
    while cap < 2 * n:
        cap <<= 1
    slot_r = np.full(cap, -1, np.int64)  # open addressing over (reader, window)
    slot_w = np.empty(cap, np.int64)
    slot_i = np.empty(cap, np.int64)
    wi = np.empty(n, np.int64)
    u = np.empty(n + m)
    c = 0
    for i in range(n):
        r = rdr[i]
        win = (first[i] - phase[r]) // dwell[r]
        h = np.int64((np.uint64(win) * _GOLD + np.uint64(r)) >> np.uint64(20)) & (cap - 1)
        while slot_r[h] >= 0 and (slot_r[h] != r or slot_w[h] != win):
            h = (h + 1) & (cap - 1)
        if slot_r[h] < 0:
            slot_r[h], slot_w[h], slot_i[h] = r, win, c
            u[c] = _uniform(h0_chan[r], win)
            c += 1
        wi[i] = slot_i[h]
    end = np.empty(m, np.int64)
    for k in range(m):
        r, p = ur[k], up[k]
        end[k] = p * period[r] + phase[r] + run[r] if trig[r] == 1 else (p + 1) * period[r]
        u[c + k] = _uniform(h0_delay[r], p)
    return gi, ur, up, end, u[:c + m], wi, c


@njit(cache=True)
def shape_pass(gi, ur, end, ex, med_us, rdr, ant, seg, n, f, l_, rs, z, e_max_t, spread_t, noise, th, wi, n_ch, off_r,
               drift_r, ref_us, sync_us, names, port, epc, rssi_in, t_dst, first_dst, reader_dst, antenna_dst, epc_dst,
               rssi_dst, count_dst, chan_dst):
    """The engine's rows into every field of the record array (strided views `*_dst`, byte strings as (rows, width)
    uint8) in delivery order: messages by (delivery, reader), rows of a message by last seen on the reader's clock,
    ties in row order (`reports._order`); first seen clamped to last, peak RSSI from the Blom tables (or `rssi_in`
    when given), channel from its window's uniform (0.5 (1 + th[wi]), th numpy's tanh), delivery end +
    rint(med_us x ex) (ex
    numpy's exp, as `reports.delay_rows`). Returns each row's delivery."""
    N, M = rdr.shape[0], ur.shape[0]
    dl = np.empty(M, np.int64)
    for k in range(M):
        dl[k] = end[k] + np.int64(np.rint(med_us * ex[k]))
    go = argsort_pairs(dl, ur)  # lexsort((ur, dl))
    rank = np.empty(M, np.int64)
    c = -1
    for j in range(M):
        k = go[j]
        if j == 0 or dl[k] != dl[go[j - 1]] or ur[k] != ur[go[j - 1]]:
            c += 1
        rank[k] = c
    tl = np.empty(N, np.int64)
    rk = np.empty(N, np.int64)
    for i in range(N):
        r = rdr[i]
        since = l_[i] - ref_us
        if sync_us > 0:
            since = since % sync_us
        tl[i] = l_[i] + np.int64(np.rint(off_r[r] + drift_r[r] * 1e-6 * np.float64(since)))
        rk[i] = rank[gi[i]]
    o = argsort_pairs(rk, tl)
    out_dl = np.empty(N, np.int64)
    inv = np.empty(N, np.int64)  # each row's place in the output: rows read in order, records written in place
    for k in range(N):
        inv[o[k]] = k
    ew, pw = names.shape[1], epc.shape[1]
    for i in range(N):
        k = inv[i]
        r = rdr[i]
        since = f[i] - ref_us
        if sync_us > 0:
            since = since % sync_us
        t_dst[k] = tl[i]
        first_dst[k] = min(f[i] + np.int64(np.rint(off_r[r] + drift_r[r] * 1e-6 * np.float64(since))), tl[i])
        for b in range(ew):
            reader_dst[k, b] = names[r, b]
        antenna_dst[k] = port[ant[i]]
        g = seg[i]
        for b in range(pw):
            epc_dst[k, b] = epc[g, b]
        if rssi_in.shape[0]:
            rssi_dst[k] = rssi_in[i]
        else:
            c_ = max(n[i], 1)
            val = rs[i] + noise * (e_max_t[c_] + spread_t[c_] * z[i])
            rssi_dst[k] = np.int16(min(max(np.rint(val), -100.0), -15.0))
        count_dst[k] = n[i]
        chan_dst[k] = min(np.int64(0.5 * (1.0 + th[wi[i]]) * n_ch), n_ch - 1) + 1
        out_dl[k] = dl[gi[i]]
    return out_dl


_FIELDS = ("t_us", "first_us", "reader", "antenna", "epc", "rssi_dbm", "count", "channel")


def _u8(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view(np.uint8).reshape(len(a), a.dtype.itemsize)


def report_rows_fused(eng, rows, tags, rng) -> tuple[np.ndarray, np.ndarray]:
    """`reports.report_rows` through `ids_pass` and `shape_pass` (the same rows and delivery times)."""
    P = eng.params
    ant, seg, per, n, f, l_, rs = rows
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    rdr = i8(eng.a_reader[ant])
    c = getattr(eng, "_shape_cols", None)  # per reader, fixed once the clocks are drawn
    if c is None:
        seed = np.uint64(eng.seed & 0xFFFFFFFFFFFFFFFF)
        key = eng.r_key.astype(np.uint64)
        c = eng._shape_cols = (
            key ^ seed ^ np.uint64(_SALT_CHAN), key ^ seed ^ np.uint64(_SALT_DELAY), i8(eng.r_dwell), i8(eng.r_trig),
            i8(eng.r_period), i8(eng.r_phase), i8(eng.r_run), np.array([rd.clock.offset_us for rd in eng.readers]),
            np.array([rd.clock.drift_ppm for rd in eng.readers]),
            _u8(np.array([rd.id.encode("ascii") for rd in eng.readers], dtype=READ_DTYPE["reader"])),
            np.ascontiguousarray(eng.a_port, np.uint16))
    h0c, h0d, dwell, trig, period, r_phase, run, off_r, drift_r, names, port = c
    n8, f8, l8 = i8(n), i8(f), i8(l_)
    gi, ur, up, end, u, wi, nw = ids_pass(rdr, i8(per), f8, len(eng.readers), h0c, h0d, r_phase, dwell, trig,
                                          period, run)
    if len(rdr) and not len(gi):  # periods too spread for a table: the plain steps
        return report_rows(eng, rows, tags, rng)
    z = rng.standard_normal(len(n))
    zz = ndtri(u)  # numpy's tanh and exp, as `reports.channel_rows` and `delay_rows`; the rest in `shape_pass`
    th = np.tanh(zz[:nw] * 0.7978845608)
    ex = np.exp(P.net_delay_sigma * np.clip(zz[nw:], -4, 4))
    rssi_in = np.zeros(0, np.int16)
    if len(n8) and int(n8.max()) >= _BLOM_N:
        rssi_in = peak_rssi(rs, n, z, P.rf.rssi_noise_db)
    out = np.empty(len(rdr), dtype=READ_DTYPE)
    out_dl = shape_pass(gi, ur, end, ex, P.net_delay_median_ms * 1e3, rdr, i8(ant), i8(seg), n8, f8, l8,
                        np.ascontiguousarray(rs, np.float64), z, _BLOM[0], _BLOM[1], float(P.rf.rssi_noise_db), th,
                        wi, int(P.n_channels), off_r, drift_r, int(eng._t_ref), int(eng.readers[0].clock.sync_us), names,
                        port, _u8(tags.epc), rssi_in, *(reportkernels._field(out, k) for k in _FIELDS))
    return out, out_dl


def warm() -> None:
    """Compile (first install) or load (later) the passes on tiny inputs of the engine's types."""
    z, f = np.zeros(2, np.int64), np.zeros(2)
    u = np.zeros(2, np.uint64)
    gi, ur, up, end, uu, wi, nw = ids_pass(z, z, z, 1, u, u, z, z + 1, z, z + 1, z)
    out = np.empty(2, dtype=READ_DTYPE)
    names = _u8(np.array([b"R"], dtype=READ_DTYPE["reader"]))
    shape_pass(gi, ur, end, uu[nw:], 3000.0, z, z, z, z + 1, z, z, f, f, _BLOM[0], _BLOM[1], 1.0, uu[:nw], wi, 16, f,
               f, 0, 0, names, np.zeros(1, np.uint16), _u8(np.array([b"E", b"F"], dtype="S24")),
               np.zeros(0, np.int16), *(reportkernels._field(out, k) for k in _FIELDS))
