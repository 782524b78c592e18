"""Questions asked of a run's store: where a tag is, its history, what a space or an officer holds, open alerts, overdue.

One function per question (each takes the run folder or an open Store), `query(dir, what, **args)` dispatching by
name for `twin query DIR what ...`, and `render` turning an answer into a rich table. EPCs are accepted as 24-hex
or as pure-identity URIs (urn:epc:id:gdti:..., gsrn, giai); times as int microseconds or ISO 8601 strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError, Problem
from .store import Store, open_store

_HEX = frozenset("0123456789ABCDEF")
FAR_FUTURE_US = 2**62


@dataclass(frozen=True)
class QueryResult:
    """An answer: its title, column names and rows (dicts keyed by column)."""

    what: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[dict, ...]


def _open(src: str | Path | Store) -> tuple[Store, bool]:
    return (src, False) if isinstance(src, Store) else (open_store(src), True)


def _with_store(fn: Callable) -> Callable:
    def wrapped(src, *a, **kw):
        store, mine = _open(src)
        try:
            return fn(store, *a, **kw)
        finally:
            if mine:
                store.close()

    wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
    return wrapped


def parse_time(value: Any, field: str = "t_us") -> int | None:
    """int microseconds since the epoch from an int, a digit string or an ISO 8601 date-time (offset required)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    s = str(value).strip()
    if s.lstrip("-").isdigit():
        return int(s)
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        dt = None
    if dt is None or dt.tzinfo is None:
        raise InputError(Problem("query", field, value, "microseconds since the epoch or ISO 8601 with an offset"))
    return int(round((dt - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds() * 1e6))


def now_us(store: Store) -> int:
    """The store's clock: the time of its last chunk (far future for an empty store)."""
    (t,) = store.con.execute("SELECT MAX(t_us) FROM chunks").fetchone()
    return FAR_FUTURE_US if t is None else int(t)


def _at(store: Store, t_us: Any) -> int:
    t = parse_time(t_us)
    return now_us(store) if t is None else t


def resolve_epc(store: Store, epc: str) -> str:
    """The stored (hex) EPC for a hex EPC or a pure-identity URI; InputError when it cannot be one."""
    s = epc.strip()
    if len(s) == 24 and set(s.upper()) <= _HEX:
        return s.upper()
    if s.startswith("urn:epc:id:"):
        from .epcis import epc_uri  # local: epcis imports this module's helpers

        for (e,) in store.con.execute("SELECT epc FROM estimates UNION SELECT epc FROM custody UNION "
                                      "SELECT epc FROM events WHERE epc != ''"):  # fmt: skip
            if epc_uri(e) == s:
                return e
        return s  # a valid-looking URI the store never saw: the answer is simply empty
    raise InputError(Problem("query", "epc", epc, "24 hex characters or a urn:epc:id: URI"))


_EST = ("t_us", "epc", "space", "storage", "holder", "confidence", "reader")


@_with_store
def where(store: Store, epc: str, t_us: Any = None) -> dict | None:
    """Where a tag is at t_us (default: now): its latest estimate at or before then, with its holder then."""
    e, t = resolve_epc(store, epc), _at(store, t_us)
    r = store.con.execute(f"SELECT {', '.join(_EST)} FROM estimates WHERE epc = ? AND t_us <= ? "
                          "ORDER BY t_us DESC, id DESC LIMIT 1", (e, t)).fetchone()  # fmt: skip
    if r is None:
        return None
    out = dict(zip(_EST, r))
    c = store.con.execute("SELECT holder FROM custody WHERE epc = ? AND t_us <= ? ORDER BY t_us DESC, id DESC LIMIT 1",
                          (e, t)).fetchone()  # fmt: skip
    if c is not None:
        out["holder"] = c[0]
    return out


@_with_store
def history(store: Store, epc: str, t0_us: Any = None, t1_us: Any = None) -> list[dict]:
    """A tag's places and custody changes with t0_us <= t_us <= t1_us, in time order (the chain of custody)."""
    e = resolve_epc(store, epc)
    t0, t1 = parse_time(t0_us) or -FAR_FUTURE_US, parse_time(t1_us)
    t1 = FAR_FUTURE_US if t1 is None else t1
    rows = [{"t_us": r[0], "change": "place", "space": r[1], "storage": r[2], "holder": r[3], "from": "",
             "how": "", "confidence": r[4], "_k": (r[0], 0, r[5])}
            for r in store.con.execute("SELECT t_us, space, storage, holder, confidence, id FROM estimates "
                                       "WHERE epc = ? AND t_us BETWEEN ? AND ?", (e, t0, t1))]  # fmt: skip
    rows += [{"t_us": r[0], "change": "custody", "space": "", "storage": "", "holder": r[1], "from": r[2],
              "how": r[3], "confidence": None, "_k": (r[0], 1, r[4])}
             for r in store.con.execute("SELECT t_us, holder, from_holder, how, id FROM custody "
                                        "WHERE epc = ? AND t_us BETWEEN ? AND ?", (e, t0, t1))]  # fmt: skip
    rows.sort(key=lambda d: d["_k"])
    for d in rows:
        del d["_k"]
    return rows


def _latest_per_epc(store: Store, table: str, cols: str, t: int) -> list[tuple]:
    return store.con.execute(
        f"SELECT {cols} FROM {table} AS x JOIN (SELECT epc AS e, MAX(id) AS m FROM {table} WHERE t_us <= ? "
        "GROUP BY epc) AS l ON x.id = l.m ORDER BY x.epc", (t,)).fetchall()  # fmt: skip


@_with_store
def space(store: Store, space_id: str, t_us: Any = None) -> list[dict]:
    """Tags whose latest estimate at t_us (default now) is in a space, or on a storage unit when given its id."""
    t = _at(store, t_us)
    rows = _latest_per_epc(store, "estimates", ", ".join(f"x.{c}" for c in _EST), t)
    return [dict(zip(_EST, r)) for r in rows if space_id in (r[2], r[3])]


@_with_store
def officer(store: Store, officer_id: str, t_us: Any = None) -> list[dict]:
    """Tags whose custody at t_us (default now) is with an officer: latest custody change, else estimate holder."""
    t = _at(store, t_us)
    cols = ("t_us", "epc", "holder", "from_holder", "how")
    held = {r[1]: dict(zip(cols, r)) for r in _latest_per_epc(store, "custody", ", ".join(f"x.{c}" for c in cols), t)}
    for r in _latest_per_epc(store, "estimates", "x.t_us, x.epc, x.holder", t):
        if r[1] not in held:
            held[r[1]] = {"t_us": r[0], "epc": r[1], "holder": r[2], "from_holder": "", "how": "estimate"}
    return [d for _, d in sorted(held.items()) if d["holder"] == officer_id]


_ALR = ("t_us", "state", "kind", "epc", "space", "officer", "detail")


def alert_key(kind: str, epc: str, space: str) -> tuple[str, str]:
    """What identifies one alert across raise and clear: its kind and tag (the space for tag-less alerts)."""
    return kind, epc or f"@{space}"


@_with_store
def alerts(store: Store, t_us: Any = None, kind: str | None = None) -> list[dict]:
    """Alerts open at t_us (default now): raised and not cleared since, in the order raised."""
    t = _at(store, t_us)
    open_: dict[tuple, dict] = {}
    for r in store.con.execute(f"SELECT {', '.join(_ALR)} FROM alerts WHERE t_us <= ? ORDER BY id", (t,)):
        d = dict(zip(_ALR, r))
        k = alert_key(d["kind"], d["epc"], d["space"])
        if d["state"] == "cleared":
            open_.pop(k, None)
        elif k not in open_:
            open_[k] = d
    out = sorted(open_.values(), key=lambda d: (d["t_us"], d["kind"], d["epc"]))
    return [d for d in out if kind is None or d["kind"] == kind]


@_with_store
def overdue(store: Store, t_us: Any = None) -> list[dict]:
    """Cases past their deadline at t_us (overdue) or warned about (overdue_warning open), by deadline."""
    t = _at(store, t_us)
    latest = {}
    for c, s, d, ts in store.con.execute("SELECT case_id, stage, deadline_us, t_us FROM lifecycle WHERE t_us <= ? "
                                         "ORDER BY id", (t,)):  # fmt: skip
        latest[c] = (s, d, ts)
    warned = {}
    for a in alerts(store, t, "overdue_warning") + alerts(store, t, "overdue"):
        c = a["detail"].split(";")[0].removeprefix("case ").strip()
        warned.setdefault(c, a["kind"])
    out = []
    for c, (s, d, ts) in latest.items():
        if d is None:
            continue
        status = "overdue" if d <= t else ("warning" if warned.get(c) else "")
        if status:
            out.append({"case": c, "stage": s, "deadline_us": d, "status": status, "late_s": (t - d) / 1e6})
    return sorted(out, key=lambda r: (r["deadline_us"], r["case"]))


_SWP = ("t_us", "space", "reader", "officer", "expected", "present", "missing", "unread_label", "misplaced",
        "unexpected")


def _sweep_reports(store: Store, t: int, space_id: str | None) -> list[dict]:
    import json

    out = []
    for (d,) in store.con.execute("SELECT detail FROM events WHERE kind = 'sweep_report' AND t_us <= ? ORDER BY id",
                                  (t,)):  # fmt: skip
        rep = json.loads(d)
        if space_id in (None, "", rep.get("space")):
            out.append(rep)
    return out


@_with_store
def sweeps(store: Store, t_us: Any = None, space_id: str | None = None) -> list[dict]:
    """Inventory sweeps finished by t_us (default now), optionally of one space: counts of each report (present,
    missing, unread_label -- expected, never heard by any reader: a label to check -- misplaced, unexpected; a report
    stored before unread labels were told apart counts none)."""
    rows = []
    for rep in _sweep_reports(store, _at(store, t_us), space_id):
        rows.append({"t_us": rep["t1_us"], "space": rep["space"], "reader": rep["reader"], "officer": rep["officer"],
                     "expected": rep["expected"], **{k: len(rep.get(k, ())) for k in _SWP[5:]}})  # fmt: skip
    return rows


@_with_store
def sweep(store: Store, space_id: str | None = None, t_us: Any = None) -> list[dict]:
    """The findings of the latest sweep (of a space) by t_us: missing, unread_label, misplaced (home, found at),
    unexpected."""
    from .inventory import report_rows

    reps = _sweep_reports(store, _at(store, t_us), space_id)
    if not reps:
        return []
    rep = reps[-1]
    return [{"t_us": rep["t1_us"], "space": rep["space"], **r} for r in report_rows(rep) if r["status"] != "present"]


QUERIES: dict[str, tuple[Callable, tuple[str, ...], str]] = {
    "where": (where, _EST, "where {epc} is"),
    "history": (history, ("t_us", "change", "space", "storage", "holder", "from", "how", "confidence"),
                "history of {epc}"),  # fmt: skip
    "space": (space, _EST, "what {space_id} holds"),
    "officer": (officer, ("t_us", "epc", "holder", "from_holder", "how"), "what {officer_id} holds"),
    "alerts": (alerts, _ALR, "open alerts"),
    "overdue": (overdue, ("case", "stage", "deadline_us", "status", "late_s"), "overdue cases"),
    "sweeps": (sweeps, _SWP, "inventory sweeps"),
    "sweep": (sweep, ("t_us", "space", "status", "epc", "home", "found"), "findings of the latest sweep"),
}
_ARG_ALIASES = {"space": "space_id", "officer": "officer_id", "at": "t_us", "t0": "t0_us", "t1": "t1_us"}


def query(dir: str | Path | Store, what: str, **args) -> QueryResult:
    """Run a named query (where, history, space, officer, alerts, overdue, sweeps, sweep) with its keyword
    arguments."""
    if what not in QUERIES:
        raise InputError(Problem("query", "what", what, f"one of {', '.join(QUERIES)}"))
    fn, cols, title = QUERIES[what]
    kw = {_ARG_ALIASES.get(k, k): v for k, v in args.items() if v is not None}
    try:
        ans = fn(dir, **kw)
    except TypeError as e:
        raise InputError(Problem("query", what, sorted(args), f"the arguments of {fn.__name__}: {e}")) from None
    rows = [] if ans is None else ([ans] if isinstance(ans, dict) else ans)
    return QueryResult(what, title.format(**{k: v for k, v in kw.items()}), cols, tuple(rows))


def _fmt(col: str, v: Any, tz_offset_s: int) -> str:
    if v is None:
        return ""
    if col.endswith("t_us") and isinstance(v, int) and abs(v) < FAR_FUTURE_US:
        tz = timezone(timedelta(seconds=tz_offset_s))
        return datetime.fromtimestamp(v / 1e6, tz).isoformat(timespec="seconds")
    if isinstance(v, float):
        return f"{v:.3g}" if col == "confidence" else f"{v:.0f}"
    return str(v)


def render(result: QueryResult, tz_offset_s: int = 8 * 3600):
    """A rich Table of an answer (times shown as ISO 8601 at the station's offset, +08:00 by default)."""
    from rich.table import Table

    table = Table(title=f"{result.title} ({len(result.rows)} rows)")
    for c in result.columns:
        table.add_column(c)
    for r in result.rows:
        table.add_row(*(_fmt(c, r.get(c), tz_offset_s) for c in result.columns))
    return table
