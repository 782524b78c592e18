"""Ingest's compiled passes (interning, the per-chunk screen, the watermark pop) give the same batches and counters
as the plain numpy rules they replace, on random chunks with bad rows, unknown names, duplicates, out-of-order and
late rows (hypothesis)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.records import READ_DTYPE
from twin.tracker.ingest import MAX_SKEW_US, MIN_T_US, Ingest
from twin.tracker.intern import Interner
from twin.tracker.sitemodel import site_model

from .synth import BADGE, DOSSIER, FOREIGN, ITEM, S, SITE, T0

EPCS = [DOSSIER, BADGE, ITEM, FOREIGN, "XYZ", "0" * 23 + "g", DOSSIER[:-1] + "9", BADGE[:-1] + "8"]
READERS = ["R-a", "R-b", "R-d-a", "R-nowhere"]


class PlainIngest(Ingest):
    """The numpy rules: each check a mask, first reason counts; sort by time then stable by tag, drop duplicates."""

    def push(self, reads):
        n = len(reads)
        if n == 0:
            return
        self.counts["rows_in"] += n
        rid, _ = self.readers.ids(reads["reader"], grow=False)
        ant = self._lut[rid, np.minimum(reads["antenna"], self._lut.shape[1] - 1)]
        tag, new = self.epcs.ids(reads["epc"])
        if new:
            self._learn(new)
        t, fu, cnt, rssi = reads["t_us"], reads["first_us"], reads["count"], reads["rssi_dbm"]
        hi = (self.now_us if self.now_us is not None else int(t.max())) + MAX_SKEW_US
        masks = [("unknown_reader", rid < 0), ("unknown_antenna", (rid >= 0) & (ant < 0)),
                 ("bad_timestamp", (t < MIN_T_US) | (t > hi) | (fu > t)),
                 ("malformed_epc", self.kind[tag] == -1), ("malformed_count", cnt == 0),
                 ("malformed_rssi", (rssi > 20) | (rssi < -127))]  # fmt: skip
        bad = np.zeros(n, bool)
        for name, m in masks:
            m = m & ~bad
            if m.any():
                self.quarantine[name] += int(m.sum())
                bad |= m
        g = ~bad
        self._buf.append((t[g], tag[g].astype(np.int32), ant[g], rssi[g], cnt[g].astype(np.int32), fu[g]))

    def pop(self, t_us):
        self.now_us = int(t_us) if self.now_us is None else max(self.now_us, int(t_us))
        if not self._buf:
            return None
        cols = [np.concatenate(c) for c in zip(*self._buf)]
        horizon = self.now_us - self.watermark_us
        due = cols[0] <= horizon
        self._buf = [tuple(c[~due] for c in cols)] if not due.all() else []
        cols = [c[due] for c in cols]
        if len(cols[0]) == 0:
            return None
        o = np.argsort(cols[0], kind="stable")
        cols = [c[o] for c in cols]
        o = np.argsort(cols[1], kind="stable")
        t, tag, ant, rssi, count, fu = (c[o] for c in cols)
        dup = np.zeros(len(t), bool)
        dup[1:] = (tag[1:] == tag[:-1]) & (t[1:] == t[:-1]) & (ant[1:] == ant[:-1])
        self.counts["duplicates"] += int(dup.sum())
        k = ~dup
        late = t[k] <= self.horizon_us
        self.counts["late"] += int(late.sum())
        self.horizon_us = max(self.horizon_us, horizon)
        return t[k], tag[k], ant[k], rssi[k], count[k], fu[k], late


GOOD_PORTS = {"R-a": [1, 2], "R-b": [1], "R-d-a": [1, 2]}
row = st.tuples(st.integers(-12, 30), st.sampled_from(READERS[:3] * 4 + READERS[3:]), st.sampled_from([0] * 8 + [1, 2]),
                st.sampled_from(EPCS[:4] * 3 + EPCS[4:]), st.sampled_from([-60, -50] * 4 + [-128, 25]),
                st.sampled_from([1] * 8 + [3, 0]), st.sampled_from([0] * 8 + [1000, -1000, None]))  # fmt: skip


def _chunk(rows, k):
    """Times on a 2 s grid (so rows collide), from 24 s before the chunk (late rows) to its end (the last 2 s held
    back by the watermark);
    port choice 0 is a port the reader has, 1 one of them at random, 2 one it lacks."""
    out = np.zeros(len(rows), READ_DTYPE)
    for i, (half_s, r, p, e, rssi, c, early_us) in enumerate(rows):
        t = T0 + k * 60 * S + half_s * S * 2 if early_us is not None else 5  # None: an unset reader clock
        port = (GOOD_PORTS.get(r, [1])[0], GOOD_PORTS.get(r, [1])[-1], 7)[p]
        out[i] = (t, t - (early_us or 0), r, port, e, rssi, c, 0)
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(row, max_size=60), min_size=1, max_size=4))
def test_compiled_ingest_matches_the_numpy_rules(chunks):
    model = site_model(SITE)
    fast, plain = Ingest(model, 2.0), PlainIngest(model, 2.0)
    for k, rows in enumerate(chunks):
        ch = _chunk(rows, k)
        dup = ch[: len(ch) // 3]  # a resent slice: exact duplicates
        for ing in (fast, plain):
            ing.push(ch)
            ing.push(dup)
        edge = T0 + (k + 1) * 60 * S
        b, ref = fast.pop(edge), plain.pop(edge)
        got = (b.t_us, b.tag, b.ant, b.rssi, b.count, b.first_us, b.late)
        if ref is None:
            assert len(b) == 0
        else:
            for x, y in zip(got, ref):
                assert np.array_equal(x, y) and x.dtype == y.dtype
        assert fast.quarantine == plain.quarantine and fast.counts == plain.counts
        assert fast.horizon_us == plain.horizon_us and fast.epcs.names == plain.epcs.names


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 400), max_size=300), min_size=1, max_size=6), st.booleans())
def test_interner_ids_are_first_appearance_order(batches, grow_all):
    it, known = Interner(24), {}
    for j, b in enumerate(batches):
        col = np.array([b"%024X" % (x * 0x9E3779B1) for x in b], dtype="S24")
        grow = grow_all or j % 2 == 0
        ids, new = it.ids(col, grow=grow)
        if grow:
            for x in sorted(set(col.tolist()) - set(known)):
                known[x] = len(known)
        assert ids.tolist() == [known.get(x, -1) for x in col.tolist()]
        assert new == sorted(set(new)) and it.names == list(known)
    assert Counter(it.names) == Counter(set(it.names))
