"""The one interface through which the bench drives a tracking core (DESIGN rule 2).

A core is built from the site (site.json as a dict) and an optional config dict, then fed chunk by chunk:
`ingest` takes tag reports (twin.records.READ_DTYPE rows), `apply` takes business events (EVENTS_SCHEMA rows),
`advance(t_us)` moves the core's clock and returns the estimate changes and alerts raised since the last call.
Nothing else of a core is used by the bench, so any class with these members can be scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from ..records import ALERTS_SCHEMA, ESTIMATES_SCHEMA


def empty_estimates() -> pa.Table:
    return ESTIMATES_SCHEMA.empty_table()


def empty_alerts() -> pa.Table:
    return ALERTS_SCHEMA.empty_table()


@dataclass(frozen=True)
class CoreOutput:
    """What changed since the previous `advance`: estimate rows (ESTIMATES_SCHEMA) and alert rows (ALERTS_SCHEMA)."""

    estimates: pa.Table = field(default_factory=empty_estimates)
    alerts: pa.Table = field(default_factory=empty_alerts)


@runtime_checkable
class Core(Protocol):
    """A tracking core as the bench sees it."""

    name: str

    def __init__(self, site: dict, config: dict | None = None) -> None: ...

    def ingest(self, reads: np.ndarray) -> None:
        """Take a chunk of tag reports (twin.records.READ_DTYPE rows, any order)."""

    def apply(self, events: pa.Table) -> None:
        """Take business events (EVENTS_SCHEMA rows): registrations, stage changes, checkouts."""

    def advance(self, t_us: int) -> CoreOutput:
        """Move the clock to t_us; return the estimate changes and alerts raised since the previous call."""


#: Optional members: `reader_events(table)` takes the reader status rows of a chunk (READER_EVENTS_SCHEMA: LLRP
#: KEEPALIVE and reader event notifications, twin.readers.keepalive) before that chunk's `advance`; a core without it
#: is driven as before.
OPTIONAL_METHODS = ("reader_events",)

#: Members a class must have to be driven by the bench (checked by the loader before a run starts).
PROTOCOL_METHODS = ("ingest", "apply", "advance")


def protocol_gaps(cls: type) -> list[str]:
    """What `cls` lacks to satisfy the Core protocol (empty when it satisfies it)."""
    gaps = [f"method {m}()" for m in PROTOCOL_METHODS if not callable(getattr(cls, m, None))]
    if not isinstance(getattr(cls, "name", None), str):
        gaps.append("a class attribute `name` (str)")
    return gaps


class BaseCore:
    """Convenience base: keeps site and config, ignores events, and returns nothing until overridden.

    Subclasses usually override `ingest` and `advance`; `emit_estimates`/`emit_alerts` queue rows that the next
    `advance` hands back (use `take_output` there).
    """

    name = "base"

    def __init__(self, site: dict, config: dict | None = None) -> None:
        self.site = site
        self.config: dict[str, Any] = dict(config or {})
        self.now_us: int | None = None
        self._estimates: list[pa.Table] = []
        self._alerts: list[pa.Table] = []

    def ingest(self, reads: np.ndarray) -> None:  # pragma: no cover - trivial
        return None

    def apply(self, events: pa.Table) -> None:
        return None

    def reader_events(self, table: pa.Table) -> None:
        """Reader status rows (keepalives, connection and antenna events): ignored unless overridden."""
        return None

    def emit_estimates(self, table: pa.Table) -> None:
        if table.num_rows:
            self._estimates.append(table.cast(ESTIMATES_SCHEMA))

    def emit_alerts(self, table: pa.Table) -> None:
        if table.num_rows:
            self._alerts.append(table.cast(ALERTS_SCHEMA))

    def take_output(self) -> CoreOutput:
        est = pa.concat_tables(self._estimates) if self._estimates else empty_estimates()
        alr = pa.concat_tables(self._alerts) if self._alerts else empty_alerts()
        self._estimates, self._alerts = [], []
        return CoreOutput(est, alr)

    def advance(self, t_us: int) -> CoreOutput:
        self.now_us = int(t_us)
        return self.take_output()
