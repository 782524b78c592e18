"""Inventory sweeps against the truth: what a sweep report found, where, and what it wrongly called missing.

A core's sweep reports (twin.tracker.inventory: space, t0_us, t1_us, present, misplaced, missing, unexpected and
`found` {epc: unit}) are scored against the truth intervals. A dossier counts as truly in the swept room when the
truth rests it on one storage unit of that space over the whole sweep (dossiers moved during the sweep are left
out); it is misfiled when its latest `misfiled` anomaly before the sweep put it on the unit it rests on ("on X, home
Y"). DESIGN's inventory metrics: share of present dossiers found, misfiled found (at their true unit), false missing,
sweep time.

A present dossier whose tag is dead (`dead`, twin.bench.dead_tags) cannot be found by any RFID sweep: the shares
count over the live ones and keep the dead ones beside them (`undetectable`, which, and `value_all` over all). A
core may list expected dossiers that no reader has ever heard as `unread_label` (check the label by eye) instead
of missing: that is the right answer for a dead tag and a wrong one for a live tag (scored as precision over the
dossiers so listed and recall over the dead-tagged dossiers resting in the swept room).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Collection, Iterable, Mapping

import numpy as np
import pyarrow as pa

RATIO = "ratio"


def _share(num: int, den: int) -> float | None:
    return float(num) / float(den) if den else None


def resting(truth: pa.Table, t0_us: int, t1_us: int, space: str, tag_kinds=("dossier",)) -> dict[str, str]:
    """epc -> storage unit of every tag the truth rests on one unit of `space` throughout [t0_us, t1_us]."""
    tt0, tt1 = truth["t0_us"].to_numpy(), truth["t1_us"].to_numpy()
    rows = np.flatnonzero((tt0 < t1_us) & (tt1 > t0_us))
    epc, kind = truth["epc"].take(rows).to_pylist(), truth["tag_kind"].take(rows).to_pylist()
    sp, st = truth["space"].take(rows).to_pylist(), truth["storage"].take(rows).to_pylist()
    a, b = tt0[rows].tolist(), tt1[rows].tolist()
    seen: dict[str, list] = defaultdict(list)
    for e, k, s, u, x, y in zip(epc, kind, sp, st, a, b):
        if k in tag_kinds:
            seen[e].append((s, u, x, y))
    out = {}
    for e, iv in seen.items():
        places = {(s, u) for s, u, _, _ in iv}
        if len(places) != 1:
            continue
        ((s, u),) = places
        if s == space and u and min(x for *_, x, _ in iv) <= t0_us and max(y for *_, y in iv) >= t1_us:
            out[e] = u
    return out


def misfiled_on(anomalies: pa.Table | None, before_us: int) -> dict[str, tuple[str, str]]:
    """epc -> (unit it was put on, its home) from the latest `misfiled` anomaly of each tag before `before_us`."""
    out: dict[str, tuple[str, str]] = {}
    if anomalies is None or anomalies.num_rows == 0:
        return out
    for r in sorted(anomalies.to_pylist(), key=lambda r: r["t_us"]):
        if r["kind"] != "misfiled" or r["t_us"] >= before_us:
            continue
        d = str(r.get("detail") or "")
        if d.startswith("on ") and ", home " in d:
            on, home = d[3:].split(", home ", 1)
            out[r["epc"]] = (on.strip(), home.strip())
    return out


def sweep_outcome(rep: Mapping, truth: pa.Table, anomalies: pa.Table | None, tag_kinds=("dossier",),
                  dead: Collection[str] = ()) -> dict:  # fmt: skip
    """Counts of one sweep report against the truth (`dead`: EPCs of tags that never answer)."""
    t0, t1, space = int(rep["t0_us"]), int(rep["t1_us"]), str(rep["space"])
    true = resting(truth, t0, t1, space, tag_kinds)
    dead = set(dead)
    found = dict(rep.get("found") or {})
    if not found:  # older reports: present at home (unknown here), misplaced and unexpected where found
        found = {e: "" for e in rep.get("present", [])}
        found.update({m["epc"]: m["found"] for m in list(rep.get("misplaced", [])) + list(rep.get("unexpected", []))})
    mis = {e: on for e, (on, home) in misfiled_on(anomalies, t0).items() if true.get(e) == on and on != home}
    reported_mis = {m["epc"]: m["found"] for m in rep.get("misplaced", [])}
    missing = set(rep.get("missing", []))
    unread = set(rep.get("unread_label", []))
    live = {e: u for e, u in true.items() if e not in dead}
    dead_in = sorted(e for e in true if e in dead)
    live_mis = {e: u for e, u in mis.items() if e not in dead}
    return {
        "space": space,
        "t0_us": t0,
        "sweep_s": (t1 - t0) / 1e6,
        "in_room": len(live),
        "found": sum(1 for e in live if e in found),
        "found_at_unit": sum(1 for e, u in live.items() if found.get(e) == u),
        "misfiled": len(live_mis),
        "misfiled_found_at_unit": sum(1 for e, u in live_mis.items() if reported_mis.get(e) == u),
        "reported_missing": len(missing),
        "false_missing": sum(1 for e in missing if e in live),
        "reported_misplaced": len(reported_mis),
        "false_misplaced": sum(1 for e in reported_mis if e in true and e not in mis),
        # dead tags, apart: resting in the room, found all the same, misfiled, listed missing or unread
        "dead_in_room": len(dead_in),
        "dead_epcs": dead_in,
        "dead_found": sum(1 for e in dead_in if e in found),
        "dead_found_at_unit": sum(1 for e in dead_in if found.get(e) == true[e]),
        "dead_misfiled": len(mis) - len(live_mis),
        "dead_misfiled_found_at_unit": sum(1 for e, u in mis.items() if e in dead and reported_mis.get(e) == u),
        "dead_missing": sum(1 for e in missing if e in dead and e in true),
        "reported_unread": len(unread),
        "unread_dead": sum(1 for e in unread if e in dead),
        "unread_dead_in_room": sum(1 for e in dead_in if e in unread),
    }


def score_inventory(reports: Iterable[Mapping] | None, truth: pa.Table, anomalies: pa.Table | None, *, w0_us: int,
                    w1_us: int, tag_kinds=("dossier",), dead: Collection[str] = ()) -> dict[str, dict]:  # fmt: skip
    """Inventory metrics over the sweeps that ended inside [w0_us, w1_us]; {} when the core reported no sweep."""
    reps = [r for r in (reports or []) if w0_us <= int(r["t1_us"]) <= w1_us]
    if not reps:
        return {}
    rows = [sweep_outcome(r, truth, anomalies, tag_kinds, dead) for r in reps]
    tot = {k: sum(r[k] for r in rows) for k in rows[0] if isinstance(rows[0][k], int) and k != "t0_us"}
    by_space = {}
    for sp in sorted({r["space"] for r in rows}):
        rs = [r for r in rows if r["space"] == sp]
        n, f = sum(r["in_room"] for r in rs), sum(r["found"] for r in rs)
        by_space[sp] = {"sweeps": len(rs), "found_share": _share(f, n), "in_room": n,
                        "false_missing": sum(r["false_missing"] for r in rs),
                        "sweep_s": float(np.mean([r["sweep_s"] for r in rs]))}  # fmt: skip
    n_dead, n_all = tot["dead_in_room"], tot["in_room"] + tot["dead_in_room"]
    undet = {"undetectable": n_dead, "undetectable_epcs": sorted({e for r in rows for e in r["dead_epcs"]})}
    counts = {"sweeps": len(rows), "in_room": tot["in_room"]}
    return {
        "inventory_found_share": {"value": _share(tot["found"], tot["in_room"]), "unit": RATIO, **counts,
                                  **undet, "value_all": _share(tot["found"] + tot["dead_found"], n_all),
                                  "by_space": by_space},  # fmt: skip
        "inventory_found_at_unit_share": {"value": _share(tot["found_at_unit"], tot["in_room"]), "unit": RATIO,
                                          **counts, "undetectable": n_dead,
                                          "value_all": _share(tot["found_at_unit"] + tot["dead_found_at_unit"],
                                                              n_all)},  # fmt: skip
        "inventory_misfiled_found_share": {"value": _share(tot["misfiled_found_at_unit"], tot["misfiled"]),
                                           "unit": RATIO, "misfiled": tot["misfiled"], "sweeps": len(rows),
                                           "undetectable": tot["dead_misfiled"],
                                           "value_all": _share(tot["misfiled_found_at_unit"]
                                                               + tot["dead_misfiled_found_at_unit"],
                                                               tot["misfiled"] + tot["dead_misfiled"])},  # fmt: skip
        "inventory_false_missing": {"value": float(tot["false_missing"]), "unit": "dossiers",
                                    "reported_missing": tot["reported_missing"], "sweeps": len(rows),
                                    "undetectable": tot["dead_missing"],
                                    "value_all": float(tot["false_missing"] + tot["dead_missing"])},  # fmt: skip
        "inventory_false_misplaced": {"value": float(tot["false_misplaced"]), "unit": "dossiers",
                                      "reported_misplaced": tot["reported_misplaced"], "sweeps": len(rows)},
        "inventory_unread_label_precision": {"value": _share(tot["unread_dead"], tot["reported_unread"]),
                                             "unit": RATIO, "reported": tot["reported_unread"],
                                             "dead": tot["unread_dead"], "sweeps": len(rows)},  # fmt: skip
        "inventory_unread_label_recall": {"value": _share(tot["unread_dead_in_room"], n_dead), "unit": RATIO,
                                          "dead_in_room": n_dead, "reported": tot["unread_dead_in_room"],
                                          "sweeps": len(rows)},  # fmt: skip
        "inventory_sweep_time_s": {"value": float(np.mean([r["sweep_s"] for r in rows])), "unit": "s",
                                   "sweeps": len(rows)},  # fmt: skip
    }


__all__ = ["misfiled_on", "resting", "score_inventory", "sweep_outcome"]
