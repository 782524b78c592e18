"""Unread prior: a registered dossier that no reader has heard and no event places is put, once `after_s` of stream
have passed, in its home's room when business events named its home (registration, filing), else where most dossiers
like it are -- the space holding most of the read dossiers with no home known (active cases' volumes), learned from
the stream itself. Low confidence; the first read replaces it. `heard_since_start` tells an inventory which
expected dossiers no fixed antenna has heard since the core started (a label to check: twin.tracker.inventory), and
`misfiled_shelf` on which shelf the fixed antennas rest a dossier the core holds misfiled (and which shelves credited
any tag since it last left storage).
"""

from __future__ import annotations

import numpy as np


class UnreadPrior:
    def __init__(self, after_s: float = 600.0):
        self.after_us = int(after_s * 1e6)
        self.registered: list[int] = []  # tag ids of dossiers named by register events
        self.t0_us: int | None = None
        self.done = False

    def register(self, tags: list[int]) -> None:
        self.registered += tags

    def due(self, now_us: int, out_space: np.ndarray, prior_unit: np.ndarray, placed_by_reads: np.ndarray,
            kind: np.ndarray, dossier_kind: int, unit_space: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """(tags to place, their spaces) once, when the stream is old enough; else empty. `unit_space`: the space
        index of each storage unit."""
        self.t0_us = now_us if self.t0_us is None else self.t0_us
        none = np.zeros(0, np.int32), np.zeros(0, np.int32)
        if self.done or now_us - self.t0_us < self.after_us or not self.registered:
            return none
        self.done = True
        n = len(out_space)
        reg = np.unique(np.array(self.registered, np.int64))
        reg = reg[(reg < n)]
        reg = reg[out_space[reg] < 0]
        homed = reg[prior_unit[reg] >= 0]
        tags, spaces = [homed], [unit_space[prior_unit[homed]]]
        active = placed_by_reads[:n] & (prior_unit[:n] < 0) & (kind[:n] == dossier_kind) & (out_space[:n] >= 0)
        if active.any():
            homeless = reg[prior_unit[reg] < 0]
            tags.append(homeless)
            spaces.append(np.full(len(homeless), int(np.bincount(out_space[:n][active]).argmax())))
        tags_, spaces_ = np.concatenate(tags), np.concatenate(spaces)
        return (tags_.astype(np.int32), spaces_.astype(np.int32)) if len(tags_) else none


def heard_since_start(tag_of: dict[str, int], last_any_us: np.ndarray):
    """heard(epc) -> whether a fixed antenna has reported the tag since the core started (`last_any_us`: the read
    evidence's last report per tag id, -1 never; `tag_of`: epc -> tag id of every tag the core has placed)."""

    def heard(epc: str) -> bool:
        g = tag_of.get(epc)
        return g is not None and g < len(last_any_us) and int(last_any_us[g]) >= 0

    return heard


class ShelfEvidence:
    """The fixed shelf antennas' word on where each tag rests, from the alert rules' read evidence (`wins`: credits
    per tag id and shelf column since the tag last left storage, `units`: column -> unit; `tag_of`: epc -> tag id;
    `held`: the EPCs of the open misfiled alerts). Called with an EPC: the shelf the fixed antennas rest a dossier
    held misfiled on, '' for the rest (see misfiled_shelf); `credits(epc)`: {unit: inventories won} of every shelf
    whose antenna credited it since it last left storage ({} none)."""

    def __init__(self, tag_of: dict[str, int], wins: np.ndarray, units: list[str], held) -> None:
        self.tag_of, self.wins, self.units, self.held = tag_of, wins, units, held

    def _row(self, epc: str):
        g = self.tag_of.get(epc)
        if g is None or g >= len(self.wins) or not self.wins.shape[1]:
            return None
        return self.wins[g]

    def __call__(self, epc: str) -> str:
        if epc not in self.held:
            return ""
        w = self._row(epc)
        return "" if w is None or not w.any() else self.units[int(np.argmax(w))]

    def credits(self, epc: str) -> dict[str, int]:
        w = self._row(epc)
        if w is None:
            return {}
        return {self.units[k]: int(w[k]) for k in np.flatnonzero(w).tolist()}


def misfiled_shelf(tag_of: dict[str, int], wins: np.ndarray, units: list[str], held) -> ShelfEvidence:
    """misfiled(epc) -> for a dossier the alert rules hold misfiled (`held`: the EPCs of the open misfiled alerts),
    the shelf whose antenna won most of its inventories since it was last taken out (`wins`: the read evidence's
    credits per tag id and shelf column, `units`: column -> unit); '' for the rest. That is where the fixed
    antennas rest it, whatever its estimate shows (twin.tracker.inventory). Its `credits(epc)` gives every shelf
    that credited a tag since it last left storage (the sweep's arbitration weighs the handheld against them)."""
    return ShelfEvidence(tag_of, wins, units, held)
