"""Hash chain of the custody and alert logs, and its verification (`twin verify DIR`).

Each chained row stores sha256(prev_hash || canonical row bytes); the first row chains from 32 zero bytes. The
canonical bytes are compact JSON (UTF-8) of the row's values in a fixed column order, so any edit of a value changes
the hash. The store also records each chain's head (row count and last hash) in the same transaction as the rows;
verification walks the rows in id order and names the row where the chain breaks and the likely cause (edited,
deleted, inserted). The head hashes it reports can be anchored elsewhere (printed, mailed, notarised): a file
rewritten wholesale with recomputed hashes is only caught against such an anchor.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

GENESIS = bytes(32)

#: Chained tables and the columns (in order) that enter each row's canonical bytes.
CHAINED: dict[str, tuple[str, ...]] = {
    "custody": ("t_us", "epc", "holder", "from_holder", "how"),
    "alerts": ("t_us", "state", "kind", "epc", "space", "officer", "detail"),
}


def canonical(table: str, values: tuple) -> bytes:
    """The bytes a row contributes to its hash: compact JSON of [table, *values]."""
    return json.dumps([table, *values], separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def link(prev: bytes, table: str, values: tuple) -> bytes:
    """sha256(prev || canonical(row))."""
    return hashlib.sha256(prev + canonical(table, values)).digest()


@dataclass(frozen=True)
class ChainProblem:
    """Where a chain breaks: table, row id, what probably happened, in words."""

    table: str
    row_id: int
    kind: str  # edited | deleted | inserted | broken
    detail: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row_id}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class ChainReport:
    table: str
    rows: int
    head_hex: str
    problems: tuple[ChainProblem, ...]


@dataclass(frozen=True)
class VerifyReport:
    """The verdict of `verify`: ok when every chain is intact and matches its recorded head."""

    path: str
    chains: tuple[ChainReport, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(not c.problems for c in self.chains)

    @property
    def problems(self) -> list[ChainProblem]:
        return [p for c in self.chains for p in c.problems]

    def lines(self) -> list[str]:
        out = [f"{self.path}: {'OK' if self.ok else 'TAMPERED'}"]
        for c in self.chains:
            out.append(f"  {c.table}: {c.rows} rows, head {c.head_hex}")
            out.extend(f"    {p}" for p in c.problems)
        return out


def check_chain(table: str, rows: list[tuple], head: tuple[int, bytes] | None) -> ChainReport:
    """Verify one chain. rows: (id, stored_hash, *values) in id order; head: (n, hash) recorded by the store."""
    problems: list[ChainProblem] = []
    prev, prevprev = GENESIS, GENESIS
    last_id = 0
    n = len(rows)
    for i, (rid, stored, *vals) in enumerate(rows):
        vals = tuple(vals)
        if link(prev, table, vals) == stored:
            prevprev, prev, last_id = prev, stored, rid
            continue
        if rid > last_id + 1:
            gone = f"{last_id + 1}" if rid == last_id + 2 else f"{last_id + 1}..{rid - 1}"
            problems.append(ChainProblem(table, rid, "deleted", f"row id(s) {gone} missing before row {rid}"))
        elif i + 1 < n and link(prev, table, tuple(rows[i + 1][2:])) == rows[i + 1][1]:
            problems.append(ChainProblem(table, rid, "inserted", f"row {rid} is not part of the chain (the next "
                                                                  f"row chains from row {last_id})"))  # fmt: skip
            continue  # prev stays: the next row chains from it
        elif i >= 1 and link(prevprev, table, vals) == stored:
            problems.append(ChainProblem(table, last_id, "inserted", f"row {last_id} was added with a forged hash "
                                                                     f"(row {rid} chains from the row before it)"))  # fmt: skip
        elif i + 1 < n and link(stored, table, tuple(rows[i + 1][2:])) == rows[i + 1][1]:
            problems.append(ChainProblem(table, rid, "edited", f"row {rid}'s values do not match its hash "
                                                               "(or a row before it was deleted and ids renumbered)"))  # fmt: skip
        elif head is not None and i >= head[0]:
            problems.append(ChainProblem(table, rid, "inserted", f"row {rid} lies beyond the recorded head "
                                                                 f"({head[0]} rows) and does not chain"))  # fmt: skip
        elif i == n - 1:
            problems.append(ChainProblem(table, rid, "edited", "the last row's values do not match its hash"))
        else:
            problems.append(ChainProblem(table, rid, "broken", f"the chain breaks between row {last_id} and row {rid} "
                                                               "(a row edited with its hash recomputed, or several changes)"))  # fmt: skip
        prevprev, prev, last_id = prev, stored, rid
    head_hash = rows[-1][1] if rows else GENESIS
    if head is not None:
        hn, hh = head
        if n < hn and not problems:
            problems.append(ChainProblem(table, last_id, "deleted", f"{hn - n} row(s) missing after row {last_id} "
                                                                    f"(the store recorded {hn} rows)"))  # fmt: skip
        elif n > hn and head_hash != hh and not any(p.row_id >= rows[hn][0] for p in problems):
            first = rows[hn][0] if hn < n else last_id
            problems.append(ChainProblem(table, first, "inserted", f"{n - hn} row(s) from row {first} on lie beyond "
                                                                   f"the recorded head ({hn} rows)"))  # fmt: skip
        elif n == hn and head_hash != hh and not problems:
            problems.append(ChainProblem(table, last_id, "broken", "the last row's hash differs from the recorded head"))
    return ChainReport(table, n, head_hash.hex(), tuple(problems))


def verify_db(con: sqlite3.Connection, path: str) -> VerifyReport:
    """Verify every chained table of an open store connection."""
    heads = {t: (n, bytes(h)) for t, n, h in con.execute("SELECT tbl, n, hash FROM heads")}
    chains = []
    for table, cols in CHAINED.items():
        rows = con.execute(f"SELECT id, hash, {', '.join(cols)} FROM {table} ORDER BY id").fetchall()
        rows = [(r[0], bytes(r[1]) if r[1] is not None else b"", *r[2:]) for r in rows]
        chains.append(check_chain(table, rows, heads.get(table)))
    return VerifyReport(path, tuple(chains))


def verify(dir_or_file: str | Path) -> VerifyReport:
    """Verify the hash chains of a run folder's store (or a store file); read-only."""
    from .store import open_store  # local: store imports this module

    store = open_store(dir_or_file)
    try:
        return verify_db(store.con, str(store.path))
    finally:
        store.close()
