"""Business events the core is told about (registrations, stage changes, checkouts): kept as a badge -> officer map.

Part 1 of the core uses events only to name holders: an event that names both an officer and a badge EPC (GSRN)
teaches which officer a badge belongs to. Every event kind is counted.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa


class EventLog:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.officer_of: dict[str, str] = {}  # epc -> officer id, for badges named in events

    def apply(self, events: pa.Table) -> None:
        if events is None or events.num_rows == 0:
            return
        cols = {c: events.column(c).to_pylist() for c in ("kind", "epc", "officer") if c in events.column_names}
        kinds = cols.get("kind", [])
        self.counts.update(kinds)
        for k, e, o in zip(kinds, cols.get("epc", [""] * len(kinds)), cols.get("officer", [""] * len(kinds))):
            if e and o and str(e).startswith("2D"):  # GSRN-96 header 0x2D: an officer's badge
                self.officer_of[str(e)] = str(o)
