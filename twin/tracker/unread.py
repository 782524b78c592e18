"""Unread prior: a registered dossier that no reader has heard and no event places is put where most dossiers like
it are -- the space holding most of the read dossiers that have no filing event (active cases' volumes), learned
from the stream itself once `after_s` of stream have passed. Low confidence; the first read replaces it.
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
            kind: np.ndarray, dossier_kind: int) -> tuple[np.ndarray, int]:  # fmt: skip
        """(tags to place, space) once, when the stream is old enough; else empty."""
        self.t0_us = now_us if self.t0_us is None else self.t0_us
        if self.done or now_us - self.t0_us < self.after_us or not self.registered:
            return np.zeros(0, np.int32), -1
        self.done = True
        n = len(out_space)
        reg = np.unique(np.array(self.registered, np.int64))
        reg = reg[reg < n]
        active = placed_by_reads[:n] & (prior_unit[:n] < 0) & (kind[:n] == dossier_kind) & (out_space[:n] >= 0)
        if not active.any():
            return np.zeros(0, np.int32), -1
        space = int(np.bincount(out_space[:n][active]).argmax())
        todo = reg[(out_space[reg] < 0) & (prior_unit[reg] < 0)]
        return todo.astype(np.int32), space
