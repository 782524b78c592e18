"""Business-event priors of the locator: filing events, stage and unread priors, moves and sweep finds.

What the business process says about a tag's place (no reader may hear it there) and its home unit (the unit it
was filed on or a handheld sweep found it on), applied to the locator's per-tag state (twin.tracker.locate).
"""

from __future__ import annotations

import numpy as np


class BusinessPriors:
    """Mixin of twin.tracker.locate.Locator: uses its per-tag arrays (out_space, out_unit, prior_unit, ...)."""

    def file(self, t_us: np.ndarray, tag: np.ndarray, unit: np.ndarray) -> None:
        """Filing events: remember each tag's unit; a tag with no place yet is placed there (low confidence)."""
        self.prior_unit[tag] = unit
        space = self.model.storage_space[unit]
        # no place yet, or placed by priors only (no reader has heard it: a tag that does not answer): the filing is
        # all there is to go by, so it is on the unit from now on (a dead tag archived mid-week left on its old shelf)
        fresh = (self.out_space[tag] < 0) | (~self.seen[tag] & ((self.out_space[tag] != space) | (self.out_unit[tag] != unit)))
        # a tag handled just now (read within filing_move_s before the event) and placed elsewhere: the keeper filed
        # it, so it is in the unit's space -- settled after this chunk's reads (settle_filed), unless they moved it on
        live = ~fresh & (t_us - self.last_us[tag] <= int(self.cfg.filing_move_s * 1e6)) & (self.out_space[tag] != space)
        live &= self.cfg.filing_move_s > 0
        here = ~fresh & (self.out_space[tag] == space) & (self.out_unit[tag] < 0)  # in its room, on no unit: on it
        if here.any():
            keep = self.by_prior[tag[here]]
            self.move(t_us[here].astype(np.int64), tag[here], space[here], 0.5, unit[here])
            self.by_prior[tag[here]] = keep
        if live.any():
            self._filed.append((t_us[live].astype(np.int64), tag[live].astype(np.int32), unit[live].astype(np.int32)))
        if fresh.any():
            tg, sp, un = tag[fresh], space[fresh], unit[fresh]
            self.out_space[tg], self.out_unit[tg] = sp, un
            self.space_st.accepted[tg] = sp
            self.unit_st.accepted[tg] = un
            self.by_prior[tg] = True
            self._out.append((t_us[fresh], tg, sp.astype(np.int32), un, np.full(len(tg), 0.5, np.float32)))

    def home(self, t_us: np.ndarray, tag: np.ndarray, unit: np.ndarray) -> None:
        """Registrations (at `t_us`) name each tag's home unit: remembered (prior_unit); a tag already placed in the
        home's room on no unit is put on it, at the registration or at its last change if that came later."""
        self.prior_unit[tag] = unit
        here = (self.out_space[tag] == self.model.storage_space[unit]) & (self.out_unit[tag] < 0)
        if here.any():
            tg, un = tag[here], unit[here]
            keep = self.by_prior[tg]
            t = np.maximum(self.t_change[tg], t_us[here]).astype(np.int64)
            self.move(t, tg, self.model.storage_space[un], 0.5, un)
            self.by_prior[tg] = keep

    def place(self, t_us: np.ndarray, tag: np.ndarray, space: np.ndarray, conf: float = 0.5) -> None:
        """A prior place for tags with no place yet (the business process says where they are; low confidence); a
        tag placed in its home's room is on its home unit."""
        fresh = self.out_space[tag] < 0
        if fresh.any():
            tg, sp = tag[fresh], space[fresh].astype(np.int32)
            pu = self.prior_unit[tg]
            un = np.where((pu >= 0) & (self.model.storage_space[np.maximum(pu, 0)] == sp), pu, -1).astype(np.int32)
            self.out_space[tg], self.out_unit[tg] = sp, un
            self.space_st.accepted[tg] = sp
            self.unit_st.accepted[tg[un >= 0]] = un[un >= 0]
            self.by_prior[tg] = True
            self._out.append((t_us[fresh], tg, sp, un, np.full(len(tg), conf, np.float32)))

    def move(self, t_us: np.ndarray, tag: np.ndarray, space: np.ndarray, conf: float = 0.5,
             unit: np.ndarray | None = None) -> None:  # fmt: skip
        """The business process says where placed tags went (no reader may hear them there): set and emit."""
        sp = space.astype(np.int32)
        un = np.full(len(tag), -1, np.int32) if unit is None else unit.astype(np.int32)
        self.out_space[tag], self.out_unit[tag] = sp, un
        self.space_st.accepted[tag], self.unit_st.accepted[tag] = sp, un
        self.by_prior[tag] = True
        self.t_change[tag] = t_us
        self._out.append((t_us.astype(np.int64), tag.astype(np.int32), sp, un, np.full(len(tag), conf, np.float32)))

    def found(self, t_us: int, tag: np.ndarray, unit: np.ndarray) -> None:
        """A handheld sweep found these tags on these units (reports of twin.tracker.inventory): like a filing event
        of a tag handled just now, they are moved into the unit's space unless a later change placed them; with
        `sweep_unit`, the unit becomes their home and, in its space with no unit read since, their unit."""
        self._filed.append((np.full(len(tag), t_us, np.int64), tag.astype(np.int32), unit.astype(np.int32)))
        if self.cfg.sweep_unit:
            self._swept.append((np.full(len(tag), t_us, np.int64), tag.astype(np.int32), unit.astype(np.int32)))

    def settle_filed(self, now_us: int) -> None:
        """Filing events of tags handled just now (see file): moved into the unit's space at the event's time unless
        a change after the event already says where they are."""
        if self._swept:
            self._settle_swept(now_us)
        if not self._filed:
            return
        t, tag, unit = (np.concatenate(c) for c in zip(*self._filed))
        due = t <= now_us
        self._filed = [(t[~due], tag[~due], unit[~due])] if (~due).any() else []
        t, tag, unit = t[due], tag[due], unit[due]
        space = self.model.storage_space[unit]
        go = (self.t_change[tag] <= t) & (self.out_space[tag] != space)
        if go.any():
            self.move(t[go], tag[go], space[go], 0.5, unit[go])

    def _settle_swept(self, now_us: int) -> None:
        """Sweep finds due by now: the unit is the tag's home (prior_unit); a tag in that unit's space with no unit
        accepted from reads since the sweep is put on it (the handheld read it there; confidence 0.5)."""
        t, tag, unit = (np.concatenate(c) for c in zip(*self._swept))
        due = t <= now_us
        self._swept = [(t[~due], tag[~due], unit[~due])] if (~due).any() else []
        t, tag, unit = t[due], tag[due], unit[due]
        # only for tags no shelf antenna nor filing event has put on a unit: a handheld at one shelf also reads the
        # shelves beside and across the aisle, so its unit is a weaker word than the fixed antennas'
        unknown = (self.unit_st.accepted[tag] < 0) & (self.prior_unit[tag] < 0)
        t, tag, unit = t[unknown], tag[unknown], unit[unknown]
        self.prior_unit[tag] = unit
        go = (self.t_change[tag] <= t) & (self.out_space[tag] == self.model.storage_space[unit])
        if go.any():
            keep = self.by_prior[tag[go]]  # the space still comes from reads
            self.move(t[go], tag[go], self.model.storage_space[unit[go]], 0.5, unit[go])
            self.by_prior[tag[go]] = keep
