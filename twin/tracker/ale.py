"""ALE-style event cycles: per logical reader (a space or a storage unit), the tags ADDED and DELETED over a cycle.

One cycle is one `advance` of the core. Built from the estimate changes of that cycle (Python per change, never
per read): a tag counts as added to a logical reader when it is there at the cycle's end and was not at its start,
deleted in the opposite case; a tag that passed through within the cycle is in neither list (ALE's net semantics).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CycleReport:
    t0_us: int
    t1_us: int
    reader: str  # logical reader: a space id, or a storage unit id
    additions: tuple[str, ...]
    deletions: tuple[str, ...]


class EventCycles:
    def __init__(self) -> None:
        self.where: dict[str, tuple[str, str]] = {}  # epc -> (space, unit) at the end of the last cycle
        self.t0_us: int | None = None

    def cycle(self, t1_us: int, epcs: list[str], spaces: list[str], units: list[str]) -> list[CycleReport]:
        """Close the cycle ending at t1_us, given its estimate changes in time order."""
        start = {e: self.where.get(e, ("", "")) for e in dict.fromkeys(epcs)}
        for e, s, u in zip(epcs, spaces, units):
            self.where[e] = (s, u)
        add: dict[str, list[str]] = {}
        dele: dict[str, list[str]] = {}
        for e, (s0, u0) in start.items():
            s1, u1 = self.where[e]
            for before, after in ((s0, s1), (u0, u1)):
                if before != after:
                    if before:
                        dele.setdefault(before, []).append(e)
                    if after:
                        add.setdefault(after, []).append(e)
        t0 = self.t0_us if self.t0_us is not None else t1_us
        self.t0_us = t1_us
        return [CycleReport(t0, t1_us, r, tuple(sorted(add.get(r, ()))), tuple(sorted(dele.get(r, ()))))
                for r in sorted(set(add) | set(dele))]  # fmt: skip
