"""Business events as the oracle's priors: what the case-management software tells every core, used as a real core
may use it, so the oracle stays a bound on cores that read events too.

- `archive` (detail: the unit a dossier was filed on): the tag's belief gets FILED_MASS on that unit; a tag not yet
  known starts there (and is shown there until reads say otherwise);
- `checkout` whose detail names an off-site space (one without a level: the court, the procuratorate): the dossier
  leaves the building; its belief moves to that space, where no reader will contradict it until it is read again.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

FILED_MASS = 0.9  # belief a filing event puts on the named unit (assumption: the software is right, the shelf
#                   may have been mixed up)


def apply_events(core, events: pa.Table) -> list[tuple[int, int, int]]:
    """Update beliefs from events; (t_us, tag, candidate) rows to show for tags whose place they set."""
    if events is None or events.num_rows == 0:
        return []
    m = core.m
    col = {c: events.column(c).to_pylist() for c in ("t_us", "kind", "epc", "detail")}
    unit_cand = {u: int(np.flatnonzero(m.c_storage == i)[0]) for i, u in enumerate(m.storage_ids)
                 if (m.c_storage == i).any()}
    off_site = {m.space_ids[s]: int(core.gen_of_space[s][0]) for s in range(len(m.space_ids))
                if len(core.gen_of_space[s]) and (m.c_level[core.gen_of_space[s]] < 0).all()}
    rows = []
    for t, k, e, d in zip(col["t_us"], col["kind"], col["epc"], col["detail"]):
        if not e or len(e) != 24 or not d:
            continue
        if k == "archive" and d in unit_cand:
            c, mass = unit_cand[d], FILED_MASS
        elif k == "checkout" and d.split(";")[0].strip() in off_site:
            c, mass = off_site[d.split(";")[0].strip()], 1.0
        else:
            continue
        i = int(core._epcs.ids(np.array([e.encode("ascii")], dtype="S24"))[0])
        core._grow()
        fresh = core.sup[i, 0] < 0
        sup, bel = core.sup[i].copy(), core.bel[i] * (1.0 - mass)
        at = np.flatnonzero(sup == c)
        j = int(at[0]) if len(at) else int(np.argmin(np.where(sup >= 0, bel, -1.0)))
        sup[j] = c
        bel[j] = (bel[j] if len(at) else 0.0) + mass
        bel = np.where(sup >= 0, bel, 0.0)
        o = np.argsort(-bel, kind="stable")
        core.sup[i], core.bel[i] = sup[o], bel[o] / bel.sum()
        if fresh or mass >= 1.0:
            rows.append((int(t or 0), i, c))
    return rows
