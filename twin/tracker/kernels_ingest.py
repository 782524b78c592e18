"""Compiled passes of ingest: interning rows of fixed-width names and screening a chunk, one pass a chunk.

They share one file because numba's cache follows a function's own file only (a pass calling a changed kernel in
another module would keep a stale copy); the per-row helpers are inlined (`inline="always"`: a compiled call
passing arrays counts references on every row, ~4x the probe's cost). `probe` is the interner's lookup
(twin.tracker.intern), `probe_rows` the reader and EPC lookups of a chunk at once, on its own columns (names read in
place as words of the record array, no copied columns), and `screen` the checks of one row after another
(twin.tracker.ingest).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Quarantine reasons in the order a bad row is judged (it is counted once, under its first reason).
REASONS = ("unknown_reader", "unknown_antenna", "bad_timestamp", "malformed_epc", "malformed_count", "malformed_rssi")
KIND_MALFORMED = -1


@njit(cache=True, inline="always")
def hash_row(w, i, mix):  # pragma: no cover - compiled
    """intern.hash_words for row i of w."""
    h = w[i, 0] * mix[0]
    for j in range(1, w.shape[1]):
        h ^= w[i, j] * mix[j % 4]
    h ^= h >> np.uint64(33)
    h *= mix[1]
    h ^= h >> np.uint64(33)
    return h


@njit(cache=True, inline="always")
def find_row(w, i, names_w, slot_h, slot_id, mix):  # pragma: no cover - compiled
    """Id of row i's name in the open-addressing table, -1 when it is not interned."""
    mask = np.uint64(len(slot_h) - 1)
    k = w.shape[1]
    h = hash_row(w, i, mix)
    s = h & mask
    while True:
        sid = slot_id[s]
        if sid < 0:
            return -1
        if slot_h[s] == h:
            same = True
            for j in range(k):
                if names_w[sid, j] != w[i, j]:
                    same = False
                    break
            if same:
                return sid
        s = (s + np.uint64(1)) & mask


@njit(cache=True, inline="always")
def same_as_before(w, i):  # pragma: no cover - compiled
    """Row i names the same as row i - 1 (runs of one name, a reader's report, cost one compare a row)."""
    if i == 0:
        return False
    for j in range(w.shape[1]):
        if w[i, j] != w[i - 1, j]:
            return False
    return True


@njit(cache=True)
def probe(w, names_w, slot_h, slot_id, mix, out):  # pragma: no cover - compiled
    """out[i] = id of row i's name, -1 when it is not interned."""
    for i in range(w.shape[0]):
        if same_as_before(w, i):
            out[i] = out[i - 1]
        else:
            out[i] = find_row(w, i, names_w, slot_h, slot_id, mix)


@njit(cache=True)
def insert(names_w, start, slot_h, slot_id, mix):  # pragma: no cover - compiled
    """Place names start..len-1 (each distinct, not yet in the table) at their first free slot."""
    mask = np.uint64(len(slot_h) - 1)
    for i in range(start, names_w.shape[0]):
        h = hash_row(names_w, i, mix)
        s = h & mask
        while slot_id[s] >= 0:
            s = (s + np.uint64(1)) & mask
        slot_id[s] = i
        slot_h[s] = h


@njit(cache=True)
def screen(t, fu, rid, port, tag, cnt, rssi, lut, kind, check_kind, lo_t, hi_t,
           o_t, o_tag, o_ant, o_rssi, o_cnt, o_fu, reason):  # pragma: no cover - compiled  # fmt: skip
    """One pass over a chunk: each row's antenna index (lut[reader, port]), its first failed check counted in
    reason[1 + REASONS index], the good rows copied to the o_* columns in order; returns how many are good."""
    k = 0
    last_col = lut.shape[1] - 1
    for i in range(len(t)):
        r = rid[i]
        a = lut[r, min(np.int64(port[i]), last_col)]  # r = -1: the padding row of -1
        why = 0
        if r < 0:
            why = 1
        elif a < 0:
            why = 2
        elif t[i] < lo_t or t[i] > hi_t or fu[i] > t[i]:
            why = 3
        elif check_kind and kind[tag[i]] == KIND_MALFORMED:
            why = 4
        elif cnt[i] == 0:
            why = 5
        elif rssi[i] > 20 or rssi[i] < -127:
            why = 6
        if why:
            reason[why] += 1
            continue
        o_t[k], o_tag[k], o_ant[k], o_rssi[k], o_cnt[k], o_fu[k] = t[i], tag[i], a, rssi[i], cnt[i], fu[i]
        k += 1
    return k


@njit(cache=True)
def probe_rows(rw, ew, r_names, r_h, r_id, e_names, e_h, e_id, mix, rid, tag):  # pragma: no cover - compiled
    """`probe` of the reader words rw into rid and of the EPC words ew into tag, in one pass; returns how many rows
    name an EPC not interned yet (tag -1)."""
    miss = 0
    for i in range(len(rid)):
        if same_as_before(rw, i):
            rid[i] = rid[i - 1]
        else:
            rid[i] = find_row(rw, i, r_names, r_h, r_id, mix)
        if same_as_before(ew, i):
            tag[i] = tag[i - 1]
        else:
            tag[i] = find_row(ew, i, e_names, e_h, e_id, mix)
        miss += tag[i] < 0
    return miss


@njit(cache=True)
def locatable_rows(ant, tag, carried_ant, kind, foreign):  # pragma: no cover - compiled
    """Rows that can place a tag (not from a carried antenna, not of a foreign tag): (how many cannot, keep mask)."""
    n = len(ant)
    keep = np.empty(n, np.bool_)
    drop = 0
    for i in range(n):
        ok = not carried_ant[ant[i]] and kind[tag[i]] != foreign
        keep[i] = ok
        drop += not ok
    return drop, keep
