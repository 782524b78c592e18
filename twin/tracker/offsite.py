"""Off-site prior: dossiers the case-management software says are away (a stage during which the volumes are with
another authority, or a checkout to an external place) are placed at that off-site place.

No antenna covers an external place, so a dossier that was taken to the procuratorate before the core started is
never read; only the business process says where it is. The core's config maps stages to external spaces of the site
(`offsite_stages`; the default names the procuratorate for arrest approval and transfer: assumption, the usual
Chinese criminal procedure). When the case moves on to a stage that is not away, the volumes come back: a `checkin`
says so; without one they are taken back `return_s` after the stage change (assumption: the officer fetches them
within a few days, a weekend included). A `checkin` or `archive` event of the volume clears it. A dossier already
placed by its reads is never moved by the stage prior.

During the run a `checkout` whose detail names an external place ("procuratorate; approved by ...") is followed by a
trip by road: a dossier checked out, last seen in an outside space of the site (car park, forecourt) and then unheard
for `silence_s`, has left by road and is placed at the checkout's place (`due`).
"""

from __future__ import annotations

import heapq
from typing import Mapping

import numpy as np
import pyarrow as pa


class OffsitePrior:
    def __init__(self, spaces: tuple[str, ...], stages: Mapping[str, str], return_s: float = 3 * 86400.0,
                 silence_s: float = 600.0):  # fmt: skip
        sidx = {s: i for i, s in enumerate(spaces)}
        self.sidx = sidx
        self.stage_space = {st: sidx[sp] for st, sp in stages.items() if sp in sidx}
        self.return_us = int(return_s * 1e6) if return_s > 0 else None
        self.silence_us = int(silence_s * 1e6)
        self.volumes: dict[str, list[str]] = {}  # case -> dossier EPCs (register events)
        self.away: dict[str, tuple[int, int]] = {}  # epc -> (t_us, space index) while the case says it is away
        #: case -> (time its volumes are taken back, 0 while the stage lasts; t_us and space of its last away stage)
        self.case_away: dict[str, tuple[int, int, int]] = {}
        self._back: list[tuple[int, str]] = []  # heap of (time the volumes are taken back, case)
        self.checkout: dict[str, tuple[int, int]] = {}  # epc -> (t_us, external space) of an open checkout

    def _expire(self, t_us: int, touched: set[str]) -> None:
        while self._back and self._back[0][0] <= t_us:
            back, case = heapq.heappop(self._back)
            if case in self.case_away and self.case_away[case][0] == back:  # still waiting to come back
                del self.case_away[case]
                for e in self.volumes.get(case, ()):
                    self.away.pop(e, None)
                    touched.discard(e)

    def apply(self, events: pa.Table) -> list[tuple[int, str, int]]:
        """Update from a batch of events (time order); return (t_us, epc, space) of the dossiers away after it."""
        if events is None or events.num_rows == 0:
            return []
        cols = [events.column(c).to_pylist() for c in ("t_us", "kind", "case", "epc", "stage", "detail")]
        touched: set[str] = set()
        t_last = None
        for t, kind, case, epc, stage, detail in zip(*cols):
            t = int(t or 0)
            t_last = t
            if self.return_us is not None:
                self._expire(t, touched)
            if kind == "register" and case and epc:
                self.volumes.setdefault(case, []).append(epc)
                if case in self.case_away:
                    self.away[epc] = (self.case_away[case][1], self.case_away[case][2])
                    touched.add(epc)
            elif kind == "stage" and case:
                if stage in self.stage_space:
                    self.case_away[case] = (0, t, self.stage_space[stage])
                    for e in self.volumes.get(case, ()):
                        self.away[e] = (t, self.stage_space[stage])
                        touched.add(e)
                elif case in self.case_away and self.case_away[case][0] == 0 and self.return_us is not None:
                    _, ta, sp = self.case_away[case]
                    self.case_away[case] = (t + self.return_us, ta, sp)  # back by then unless a checkin says so first
                    heapq.heappush(self._back, (t + self.return_us, case))
            elif kind == "checkout" and epc:
                place = str(detail or "").split(";")[0].strip()
                if place in self.sidx:
                    self.checkout[epc] = (t, self.sidx[place])
            elif kind in ("checkin", "archive") and epc:
                self.away.pop(epc, None)
                self.checkout.pop(epc, None)
                touched.discard(epc)
                if case:
                    self.case_away.pop(case, None)
        if t_last is not None and self.return_us is not None:
            self._expire(t_last, touched)
        return [(self.away[e][0], e, self.away[e][1]) for e in sorted(touched) if e in self.away]

    def due(self, now_us: int, tag_of, last_us: np.ndarray, out_space: np.ndarray, outside: np.ndarray,
            unheard: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
        """(t_us, tag, space) of checked-out dossiers gone by road: estimated in an outside space (outside: bool per
        space index), or never heard by any reader (`unheard`: bool per tag; a tag that does not answer is never
        seen leaving), and unheard for silence_s since the checkout and their last read; the time is when the
        silence was complete (no row is stamped before its evidence existed)."""
        if not self.checkout:
            return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32)
        epcs = list(self.checkout)
        tags = np.asarray(tag_of(epcs), np.int64)
        t_co = np.array([self.checkout[e][0] for e in epcs], np.int64)
        dest = np.array([self.checkout[e][1] for e in epcs], np.int32)
        ok = tags < len(out_space)
        tags, t_co, dest = tags[ok], t_co[ok], dest[ok]
        here = out_space[tags]
        since = np.maximum(last_us[tags], t_co) + self.silence_us
        away = outside[np.maximum(here, 0)] if unheard is None else outside[np.maximum(here, 0)] | unheard[tags]
        go = (here >= 0) & away & (here != dest) & (since <= now_us)
        return since[go], tags[go].astype(np.int32), dest[go]
