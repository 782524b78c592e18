"""Durable store of the core's state changes: an embedded SQLite file (WAL, synchronous=NORMAL) in the run folder.

The core appends one chunk per `advance` in one transaction: estimate changes, custody changes, alerts raised or
cleared, lifecycle changes and the business events it applied, optionally with a checkpoint (an opaque state blob,
the time and the input offset to resume from). A core killed mid-run is restarted with `Store.resume()`, which drops
every row written after the last checkpoint and hands back that checkpoint, so replaying the rest of the stream from
its input offset ends in the state of an uninterrupted run. Custody and alert rows are hash-chained (twin.tracker.chain).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, Problem, display_path
from .chain import CHAINED, GENESIS, link

STORE_NAME = "store.sqlite"
FORMAT_VERSION = "1"

#: Stored columns per table (besides id and chunk); chained tables also keep `hash`.
COLUMNS: dict[str, tuple[str, ...]] = {
    "estimates": ("t_us", "epc", "space", "storage", "holder", "confidence", "reader"),
    "custody": CHAINED["custody"],
    "alerts": CHAINED["alerts"],
    "lifecycle": ("t_us", "case_id", "stage", "deadline_us"),
    "events": ("t_us", "kind", "case_id", "epc", "officer", "stage", "deadline_us", "detail"),
}
_INT = {"t_us", "deadline_us"}
_REAL = {"confidence"}
#: Accepted alternative input keys (the contracts say `case`, custody rows may say `from`).
_ALIASES = {"case_id": "case", "from_holder": "from"}
_DEFAULTS = {"state": "raised", "how": "inferred"}
CUSTODY_HOW = ("badge", "handover", "inferred", "registered")
ALERT_STATES = ("raised", "cleared")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (chunk INTEGER PRIMARY KEY, t_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS estimates (id INTEGER PRIMARY KEY, chunk INTEGER NOT NULL, t_us INTEGER NOT NULL,
  epc TEXT NOT NULL, space TEXT NOT NULL, storage TEXT NOT NULL, holder TEXT NOT NULL, confidence REAL NOT NULL,
  reader TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS estimates_epc_t ON estimates (epc, t_us);
CREATE TABLE IF NOT EXISTS custody (id INTEGER PRIMARY KEY, chunk INTEGER NOT NULL, t_us INTEGER NOT NULL,
  epc TEXT NOT NULL, holder TEXT NOT NULL, from_holder TEXT NOT NULL, how TEXT NOT NULL, hash BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS custody_epc_t ON custody (epc, t_us);
CREATE INDEX IF NOT EXISTS custody_holder ON custody (holder);
CREATE TABLE IF NOT EXISTS alerts (id INTEGER PRIMARY KEY, chunk INTEGER NOT NULL, t_us INTEGER NOT NULL,
  state TEXT NOT NULL, kind TEXT NOT NULL, epc TEXT NOT NULL, space TEXT NOT NULL, officer TEXT NOT NULL,
  detail TEXT NOT NULL, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS lifecycle (id INTEGER PRIMARY KEY, chunk INTEGER NOT NULL, t_us INTEGER NOT NULL,
  case_id TEXT NOT NULL, stage TEXT NOT NULL, deadline_us INTEGER);
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, chunk INTEGER NOT NULL, t_us INTEGER NOT NULL,
  kind TEXT NOT NULL, case_id TEXT NOT NULL, epc TEXT NOT NULL, officer TEXT NOT NULL, stage TEXT NOT NULL,
  deadline_us INTEGER, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS heads (tbl TEXT PRIMARY KEY, n INTEGER NOT NULL, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (chunk INTEGER PRIMARY KEY, t_us INTEGER NOT NULL,
  input_offset INTEGER NOT NULL, state BLOB NOT NULL);
"""


def store_path(dir_or_file: str | Path) -> Path:
    """The store file of a run folder (DIR/store.sqlite), or the file itself; InputError when there is none."""
    p = Path(dir_or_file)
    path = p / STORE_NAME if p.is_dir() else p
    if not path.is_file():
        raise InputError(Problem(display_path(p), "store", str(path.name),
                                 f"a run folder holding {STORE_NAME} (written by the core)"))  # fmt: skip
    return path


@dataclass(frozen=True)
class Checkpoint:
    """The last committed checkpoint: resume the core from `state` and feed it the stream from `input_offset`."""

    chunk: int
    t_us: int
    input_offset: int
    state: bytes


def _rows(table: str, data: Any) -> list[tuple]:
    """Rows of `table` as tuples in COLUMNS order, from an Arrow table, a list of dicts or a list of tuples."""
    if data is None:
        return []
    cols = COLUMNS[table]
    if isinstance(data, pa.Table):
        if data.num_rows == 0:
            return []
        lists = []
        for c in cols:
            name = c if c in data.column_names else _ALIASES.get(c, c)
            if name not in data.column_names:
                lists.append([_DEFAULTS.get(c, None if c in _INT | _REAL else "")] * data.num_rows)
                continue
            col = data.column(name)
            if c in _REAL:
                col = pc.fill_null(col.cast(pa.float64()), 0.0)
            elif c in _INT:
                col = col.cast(pa.int64())
            else:
                col = pc.fill_null(col.cast(pa.string()), _DEFAULTS.get(c, ""))
            lists.append(col.to_pylist())
        return list(zip(*lists))
    out = []
    for r in data:
        if isinstance(r, dict):
            r = tuple(r.get(c, r.get(_ALIASES.get(c, c), _DEFAULTS.get(c))) for c in cols)
        out.append(_clean(table, tuple(r)))
    return out


def _clean(table: str, row: tuple) -> tuple:
    out = []
    for c, v in zip(COLUMNS[table], row):
        if c in _INT:
            out.append(None if v is None else int(v))
        elif c in _REAL:
            out.append(float(v if v is not None else 0.0))
        else:
            out.append("" if v is None else str(v))
    return tuple(out)


class Store:
    """Append-only SQLite store of one core's state changes. Open with Store(path) (DIR or DIR/store.sqlite)."""

    def __init__(self, path: str | Path, readonly: bool = False):
        p = Path(path)
        self.path = p / STORE_NAME if p.is_dir() or p.suffix == "" else p
        self.readonly = readonly
        if readonly:
            self.con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None,
                                       check_same_thread=False)  # fmt: skip
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.con.execute("PRAGMA journal_mode=WAL")
            self.con.execute("PRAGMA synchronous=NORMAL")
            self.con.executescript(_SCHEMA)
            self.con.execute("INSERT OR IGNORE INTO meta VALUES ('format_version', ?)", (FORMAT_VERSION,))
        try:
            row = self.con.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
        except sqlite3.DatabaseError:
            row = None
        if row is None or row[0] != FORMAT_VERSION:
            self.con.close()
            raise InputError(Problem(display_path(self.path), "meta.format_version", row and row[0],
                                     f"{FORMAT_VERSION} (a store written by this version of the core)"))  # fmt: skip
        self._load_heads()
        (last,) = self.con.execute("SELECT COALESCE(MAX(chunk), 0) FROM chunks").fetchone()
        self.last_chunk = int(last)

    def _load_heads(self) -> None:
        self.heads: dict[str, tuple[int, bytes]] = {t: (0, GENESIS) for t in CHAINED}
        for t, n, h in self.con.execute("SELECT tbl, n, hash FROM heads"):
            self.heads[t] = (int(n), bytes(h))

    # -- writing ---------------------------------------------------------------------------------------------------
    def append_chunk(
        self,
        t_us: int,
        estimates: Any = None,
        custody: Any = None,
        alerts: Any = None,
        lifecycle: Any = None,
        events: Any = None,
        *,
        state: bytes | None = None,
        input_offset: int | None = None,
    ) -> int:
        """Append one chunk's changes in one transaction (with a checkpoint when `state` is given); its number."""
        chunk = self.last_chunk + 1
        rows = {t: _rows(t, d) for t, d in
                (("estimates", estimates), ("custody", custody), ("alerts", alerts), ("lifecycle", lifecycle),
                 ("events", events))}  # fmt: skip
        heads = dict(self.heads)
        con = self.con
        con.execute("BEGIN")
        try:
            con.execute("INSERT INTO chunks VALUES (?, ?)", (chunk, int(t_us)))
            for table, rs in rows.items():
                if not rs:
                    continue
                cols = COLUMNS[table]
                if table in CHAINED:
                    n, h = heads[table]
                    chained = []
                    for r in rs:
                        h = link(h, table, r)
                        chained.append((chunk, *r, h))
                    heads[table] = (n + len(rs), h)
                    sql = f"INSERT INTO {table} (chunk, {', '.join(cols)}, hash) VALUES (?{', ?' * (len(cols) + 1)})"
                    con.executemany(sql, chained)
                    con.execute("INSERT OR REPLACE INTO heads VALUES (?, ?, ?)", (table, *heads[table]))
                else:
                    sql = f"INSERT INTO {table} (chunk, {', '.join(cols)}) VALUES ({chunk}{', ?' * len(cols)})"
                    con.executemany(sql, rs)
            if state is not None:
                off = chunk if input_offset is None else int(input_offset)
                con.execute("INSERT INTO checkpoints VALUES (?, ?, ?, ?)", (chunk, int(t_us), off, bytes(state)))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self.heads = heads
        self.last_chunk = chunk
        return chunk

    def checkpoint(self, state_blob: bytes, t_us: int, input_offset: int) -> int:
        """Commit a checkpoint on its own (an empty chunk carrying the state); its chunk number."""
        return self.append_chunk(t_us, state=state_blob, input_offset=input_offset)

    # -- restart ---------------------------------------------------------------------------------------------------
    def last_checkpoint(self) -> Checkpoint | None:
        r = self.con.execute(
            "SELECT chunk, t_us, input_offset, state FROM checkpoints ORDER BY chunk DESC LIMIT 1"
        ).fetchone()
        return None if r is None else Checkpoint(int(r[0]), int(r[1]), int(r[2]), bytes(r[3]))

    def resume(self) -> Checkpoint | None:
        """Drop every row written after the last checkpoint (all rows when there is none); return that checkpoint."""
        cp = self.last_checkpoint()
        keep = cp.chunk if cp else 0
        con = self.con
        con.execute("BEGIN")
        try:
            for table in (*COLUMNS, "chunks"):
                con.execute(f"DELETE FROM {table} WHERE chunk > ?", (keep,))
            for table in CHAINED:
                r = con.execute(f"SELECT COUNT(*), (SELECT hash FROM {table} ORDER BY id DESC LIMIT 1) FROM {table}")
                n, h = r.fetchone()
                con.execute("INSERT OR REPLACE INTO heads VALUES (?, ?, ?)", (table, int(n), bytes(h or GENESIS)))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self._load_heads()
        self.last_chunk = keep
        return cp

    # -- reading ---------------------------------------------------------------------------------------------------
    def rows(self, table: str, where: str = "", params: Iterable = ()) -> list[dict]:
        """Rows of a table as dicts (id and the stored columns), in id order, optionally filtered by SQL `where`."""
        cols = ("id", *COLUMNS[table])
        sql = f"SELECT {', '.join(cols)} FROM {table}" + (f" WHERE {where}" if where else "") + " ORDER BY id"
        return [dict(zip(cols, r)) for r in self.con.execute(sql, tuple(params))]

    def count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_store(dir_or_file: str | Path, readonly: bool = True) -> Store:
    """Open an existing store, read-only by default (InputError naming the folder when there is none)."""
    return Store(store_path(dir_or_file), readonly=readonly)
