"""The reader and EPC lookups of a chunk in one compiled pass over the record array's fields in place (strided,
unaligned words) give the ids of the interners' column-by-column lookups, and filling the misses interns new names in
the same order as `Interner.ids` (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.records import READ_DTYPE
from twin.tracker.intern import Interner, field_words
from twin.tracker.kernels_ingest import probe_rows

READERS = [b"R-a", b"R-b", b"R-door-1", b"R-nowhere"]
EPCS = [b"%024X" % (x * 0x9E3779B1) for x in range(12)]


def _interners(known_r, known_e):
    r, e = Interner(READ_DTYPE["reader"].itemsize), Interner(READ_DTYPE["epc"].itemsize)
    r.add(known_r)
    e.add(known_e)
    return r, e


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(READERS), st.sampled_from(EPCS)), max_size=80),
       st.lists(st.sampled_from(READERS), max_size=3), st.lists(st.sampled_from(EPCS), max_size=10))  # fmt: skip
def test_probe_rows_matches_the_interners(rows, known_r, known_e):
    rec = np.zeros(len(rows), READ_DTYPE)
    for i, (r, e) in enumerate(rows):
        rec[i]["reader"], rec[i]["epc"] = r, e
    fast_r, fast_e = _interners(known_r, known_e)
    plain_r, plain_e = _interners(known_r, known_e)
    rid, tag = np.empty(len(rec), np.int64), np.empty(len(rec), np.int64)
    miss = probe_rows(field_words(rec, "reader"), field_words(rec, "epc"), *fast_r.table[:3], *fast_e.table, rid, tag)
    want_r, _ = plain_r.ids(rec["reader"], grow=False)
    assert rid.tolist() == want_r.tolist()
    assert miss == int((plain_e.lookup(field_words(rec, "epc").copy()) < 0).sum())
    new = fast_e.fill(rec["epc"], tag)
    want_e, want_new = plain_e.ids(rec["epc"])
    assert tag.tolist() == want_e.tolist() and new == want_new and fast_e.names == plain_e.names


def test_field_words_reads_the_field_in_place():
    rec = np.zeros(3, READ_DTYPE)
    rec["epc"] = EPCS[:3]
    w = field_words(rec, "epc")
    assert np.shares_memory(w, rec) and w.shape == (3, 3)
    assert bytes(w[1].tobytes()) == EPCS[1]
    assert field_words(rec[::2], "epc") is None and field_words(rec, "t_us") is None
