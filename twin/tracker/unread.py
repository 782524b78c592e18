"""Unread prior: a registered dossier that no reader has heard and no event places is put, once `after_s` of stream
have passed, in its home's room when business events named its home (registration, filing), else where most dossiers
like it are -- the space holding most of the read dossiers with no home known (active cases' volumes), learned from
the stream itself. Low confidence; the first read replaces it. `heard_since_start` tells an inventory which
expected dossiers no fixed antenna has heard since the core started (a label to check: twin.tracker.inventory), and
`misfiled_shelf` on which shelf the fixed antennas rest a dossier the core holds misfiled.
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


def misfiled_shelf(tag_of: dict[str, int], wins: np.ndarray, units: list[str], held):
    """misfiled(epc) -> for a dossier the alert rules hold misfiled (`held`: the EPCs of the open misfiled alerts),
    the shelf whose antenna won most of its inventories since it was last taken out (`wins`: the read evidence's
    credits per tag id and shelf column, `units`: column -> unit); '' for the rest. That is where the fixed
    antennas rest it, whatever its estimate shows (twin.tracker.inventory)."""

    def shelf(epc: str) -> str:
        if epc not in held:
            return ""
        g = tag_of.get(epc)
        if g is None or g >= len(wins) or not wins.shape[1] or not wins[g].any():
            return ""
        return units[int(np.argmax(wins[g]))]

    return shelf
