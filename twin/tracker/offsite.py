"""Off-site prior: dossiers the case-management software says are away (a stage during which the volumes are with
another authority) are placed at that off-site place until a reader hears them.

No antenna covers an external place, so a dossier that was taken to the procuratorate before the core started is
never read; only the business process says where it is. The core's config maps stages to external spaces of the site
(`offsite_stages`; the default names the procuratorate for arrest approval and transfer: assumption, the usual
Chinese criminal procedure). A `checkin` or `archive` event of the volume clears it. A dossier already placed by its
reads is never moved by this prior.
"""

from __future__ import annotations

from typing import Mapping

import pyarrow as pa


class OffsitePrior:
    def __init__(self, spaces: tuple[str, ...], stages: Mapping[str, str]):
        sidx = {s: i for i, s in enumerate(spaces)}
        self.stage_space = {st: sidx[sp] for st, sp in stages.items() if sp in sidx}
        self.volumes: dict[str, list[str]] = {}  # case -> dossier EPCs (register events)
        self.away: dict[str, tuple[int, int]] = {}  # epc -> (t_us, space index) while the case says it is away
        self.case_away: dict[str, tuple[int, int]] = {}  # case -> (t_us, space) of its last away stage, if current

    def apply(self, events: pa.Table) -> list[tuple[int, str, int]]:
        """Update from a batch of events (time order); return (t_us, epc, space) of the dossiers away after it."""
        if not self.stage_space or events is None or events.num_rows == 0:
            return []
        cols = [events.column(c).to_pylist() for c in ("t_us", "kind", "case", "epc", "stage")]
        touched: set[str] = set()
        for t, kind, case, epc, stage in zip(*cols):
            if kind == "register" and case and epc:
                self.volumes.setdefault(case, []).append(epc)
                if case in self.case_away:
                    self.away[epc] = self.case_away[case]
                    touched.add(epc)
            elif kind == "stage" and case:
                if stage in self.stage_space:
                    self.case_away[case] = (int(t or 0), self.stage_space[stage])
                    for e in self.volumes.get(case, ()):
                        self.away[e] = self.case_away[case]
                        touched.add(e)
            elif kind in ("checkin", "archive") and epc:
                self.away.pop(epc, None)
                touched.discard(epc)
                if case:
                    self.case_away.pop(case, None)
        return [(self.away[e][0], e, self.away[e][1]) for e in sorted(touched) if e in self.away]
