"""The naive core: last read wins, one estimate row per change of place, state kept across chunks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.bench.naive import NaiveCore
from twin.bench.protocol import Core
from twin.records import ESTIMATES_SCHEMA, EVENTS_SCHEMA, READ_DTYPE

from .tables import SITE, T0, S

EPC_A = "2C0000000000000000000001"
EPC_B = "2C0000000000000000000002"


def reads(*rows) -> np.ndarray:
    """Rows (t_s, reader, antenna, epc)."""
    r = np.zeros(len(rows), READ_DTYPE)
    for i, (t, reader, ant, epc) in enumerate(rows):
        r[i]["t_us"] = r[i]["first_us"] = T0 + round(t * S)
        r[i]["reader"], r[i]["antenna"], r[i]["epc"], r[i]["count"] = reader, ant, epc, 1
    return r


def rows(table: pa.Table) -> list[tuple]:
    d = table.to_pydict()
    return [((t - T0) / S, e, s, u) for t, e, s, u in zip(d["t_us"], d["epc"], d["space"], d["storage"])]


def test_satisfies_the_protocol_and_emits_contract_tables():
    core = NaiveCore(SITE)
    assert isinstance(core, Core) and core.name == "naive"
    core.apply(EVENTS_SCHEMA.empty_table())
    out = core.advance(T0)
    assert out.estimates.schema == ESTIMATES_SCHEMA and out.estimates.num_rows == 0 and out.alerts.num_rows == 0


def test_last_read_wins_with_storage_portal_side_and_unknown_antennas_ignored():
    core = NaiveCore(SITE)
    core.ingest(reads(
        (1, "R-archive", 1, EPC_A),    # shelf S01
        (2, "R-archive", 1, EPC_A),    # same place: no row
        (3, "R-archive", 4, EPC_A),    # portal antenna on the corridor side
        (4, "R-hand", 1, EPC_A),       # handheld: says nothing
        (5, "R-unknown", 1, EPC_A),    # not in the site
        (6, "R-archive", 9, EPC_A),    # no such port
        (2.5, "R-office", 2, EPC_B),   # desk
    ))  # fmt: skip
    out = core.advance(T0 + 10 * S)
    assert rows(out.estimates) == [
        (1.0, EPC_A, "archive", "archive/S01"),
        (2.5, EPC_B, "office", "office/D01"),
        (3.0, EPC_A, "corr", ""),
    ]
    assert out.estimates["confidence"].to_pylist() == [1.0] * 3
    assert out.estimates["holder"].to_pylist() == [""] * 3
    assert out.alerts.num_rows == 0


def test_state_carries_across_chunks_and_future_rows_wait_for_the_clock():
    core = NaiveCore(SITE)
    core.ingest(reads((59, "R-office", 1, EPC_A)))
    assert rows(core.advance(T0 + 60 * S).estimates) == [(59.0, EPC_A, "office", "")]
    core.ingest(reads((61, "R-office", 1, EPC_A), (62, "R-archive", 2, EPC_A), (130, "R-office", 1, EPC_A)))
    assert rows(core.advance(T0 + 120 * S).estimates) == [(62.0, EPC_A, "archive", "archive/S02")]
    assert rows(core.advance(T0 + 180 * S).estimates) == [(130.0, EPC_A, "office", "")]
    assert core.advance(T0 + 240 * S).estimates.num_rows == 0


def test_unsorted_chunk_is_taken_in_time_order():
    core = NaiveCore(SITE)
    core.ingest(reads((3, "R-office", 1, EPC_A), (1, "R-archive", 1, EPC_A), (2, "R-archive", 1, EPC_A)))
    assert rows(core.advance(T0 + 10 * S).estimates) == [
        (1.0, EPC_A, "archive", "archive/S01"), (3.0, EPC_A, "office", "")]  # fmt: skip


def test_empty_and_all_unknown_chunks():
    core = NaiveCore(SITE)
    core.ingest(np.zeros(0, READ_DTYPE))
    core.ingest(reads((1, "R-nowhere", 1, EPC_A)))
    assert core.advance(T0 + 10 * S).estimates.num_rows == 0
    assert NaiveCore({}).advance(0).estimates.num_rows == 0


ANTS = [("R-archive", 1), ("R-archive", 2), ("R-archive", 3), ("R-archive", 4), ("R-office", 1), ("R-office", 2),
        ("R-hand", 1), ("R-x", 1)]  # fmt: skip
PLACE = {("R-archive", 1): ("archive", "archive/S01"), ("R-archive", 2): ("archive", "archive/S02"),
         ("R-archive", 3): ("archive", ""), ("R-archive", 4): ("corr", ""), ("R-office", 1): ("office", ""),
         ("R-office", 2): ("office", "office/D01")}  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 50), st.sampled_from(ANTS), st.integers(0, 3)), max_size=30),
                max_size=4))  # fmt: skip
def test_equals_a_plain_python_reference(chunks):
    core, got, last, want = NaiveCore(SITE), [], {}, []
    for k, chunk in enumerate(chunks):
        rs = [(k * 60 + t, r, a, f"2C{e:022X}") for t, (r, a), e in chunk]
        core.ingest(reads(*rs) if rs else np.zeros(0, READ_DTYPE))
        got += rows(core.advance(T0 + (k + 1) * 60 * S).estimates)
        new = []
        for t, r, a, epc in sorted(rs, key=lambda x: x[0]):  # stable: equal times keep their order
            p = PLACE.get((r, a))
            if p is not None and last.get(epc) != p:
                last[epc] = p
                new.append((float(t), epc, *p))
        want += sorted(new, key=lambda x: x[0])
    assert got == want
