"""Business events the core is told about (registrations, stage changes, checkouts): kept as a badge -> officer map.

Part 1 of the core uses events to name holders (an event that names both an officer and a badge EPC teaches which
officer a badge belongs to) and as a filing prior: an `archive` event names the storage unit a dossier was filed on,
which the locator uses for a tag's unit while the tag is in that unit's space, and as its place until it is read.
A `register` / `item_register` event names the unit the case software assigned the volume or item (`home UNIT` in
its detail): the tag's home, which tells the locator its shelf while it rests unread in the home's room. Every event
kind is counted.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa


class EventLog:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.officer_of: dict[str, str] = {}  # epc -> officer id, for badges named in events
        self.filed: list[tuple[int, str, str]] = []  # (t_us, epc, unit) of archive events not yet taken
        self.homes: list[tuple[int, str, str]] = []  # (t_us, epc, unit) of registrations naming a home, not yet taken
        self.checkins: list[tuple[int, str]] = []  # (t_us, epc) of checkins (volumes back on their home), not yet taken

    def apply(self, events: pa.Table) -> None:
        if events is None or events.num_rows == 0:
            return
        cols = {c: events.column(c).to_pylist() for c in ("t_us", "kind", "epc", "officer", "detail")
                if c in events.column_names}  # fmt: skip
        kinds = cols.get("kind", [])
        self.counts.update(kinds)
        for k, e, o in zip(kinds, cols.get("epc", [""] * len(kinds)), cols.get("officer", [""] * len(kinds))):
            if e and o and str(e).startswith("2D"):  # GSRN-96 header 0x2D: an officer's badge
                self.officer_of[str(e)] = str(o)
        n = len(kinds)
        for t, k, e, d in zip(cols.get("t_us", [0] * n), kinds, cols.get("epc", [""] * n), cols.get("detail", [""] * n)):
            if k == "archive" and e and d:
                self.filed.append((int(t or 0), str(e), str(d)))
            elif k in ("register", "item_register") and e and d and (h := home_in(str(d))):
                self.homes.append((int(t or 0), str(e), h))
            elif k == "checkin" and e:
                self.checkins.append((int(t or 0), str(e)))

    def take_filed(self) -> list[tuple[int, str, str]]:
        out, self.filed = self.filed, []
        return out

    def take_homes(self) -> list[tuple[int, str, str]]:
        out, self.homes = self.homes, []
        return out

    def take_checkins(self) -> list[tuple[int, str]]:
        out, self.checkins = self.checkins, []
        return out


def home_in(detail: str) -> str:
    """The home unit a registration's detail names (`...; home UNIT`), else ""."""
    for part in detail.split(";"):
        part = part.strip()
        if part.startswith("home "):
            return part[5:].strip()
    return ""
