"""Shelf audit: for every dossier stay on a shelf or cabinet, is its own unit's antenna the one that reads it best?

A shelf-level locator can only be as good as this: if a neighbouring bay's antenna (or a ceiling antenna) reads a
dossier louder or more often than the antenna of the unit it sits in, no core tells the two units apart. The audit
joins tag reports with ground truth (truth.parquet rows) and, per stay of a dossier on a unit that has a shelf
antenna, names the antenna with the highest peak RSSI ("loudest") and the one with the largest sum of TagSeenCount
("most read", ties broken by peak RSSI) among the fixed antennas (handhelds are left out: a sweep passes every shelf at arm's length).

`python -m twin.readers.shelfaudit SCENARIO [--minutes 20]` runs a world for that long and prints the figures.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from .placement import Placement

_T_BITS = 40  # stay key: tag index << _T_BITS | microseconds since the first stay (2^40 us ~ 12.7 days)


@dataclass(frozen=True)
class ShelfAudit:
    """Per-stay figures: `stays` dossier stays on a watched unit; `read` stays read by at least one fixed antenna;
    `own_loudest` / `own_most_read` stays (among the read ones) whose best antenna watches their own unit;
    `own_read` stays their own antenna read at all; `by_space` the same four counts per space."""

    stays: int
    read: int
    own_read: int
    own_loudest: int
    own_most_read: int
    by_space: dict = field(default_factory=dict)

    @property
    def own_loudest_share(self) -> float:
        return self.own_loudest / self.read if self.read else float("nan")

    @property
    def own_most_read_share(self) -> float:
        return self.own_most_read / self.read if self.read else float("nan")

    @property
    def never_read_share(self) -> float:
        """Share of stays no fixed antenna read at all."""
        return 1.0 - self.read / self.stays if self.stays else float("nan")

    def as_dict(self) -> dict:
        return {**asdict(self), "own_loudest_share": self.own_loudest_share,
                "own_most_read_share": self.own_most_read_share, "never_read_share": self.never_read_share}


def shelf_audit(reads: np.ndarray, truth: pa.Table, placement: Placement, *, min_stay_s: float = 0.0) -> ShelfAudit:
    """Audit `reads` (READ_DTYPE rows) against `truth` (TRUTH_SCHEMA rows) for the units `placement` watches.

    Stays shorter than `min_stay_s` are skipped (a dossier put down and picked up again at once).
    """
    watched = {a.storage: a.space for a in placement.antennas if a.kind == "shelf" and a.storage}
    ant_unit = {(a.reader.encode(), a.port): a.storage if a.kind == "shelf" else ""
                for a in placement.antennas if a.kind != "handheld"}  # fmt: skip
    t = truth.to_pydict()
    keep = [i for i, (kind, st, h, t0, t1) in enumerate(zip(t["tag_kind"], t["storage"], t["holder"], t["t0_us"],
                                                            t["t1_us"]))
            if kind == "dossier" and st in watched and not h and (t1 - t0) >= min_stay_s * 1e6]  # fmt: skip
    if not keep:
        return ShelfAudit(0, 0, 0, 0, 0, {})
    s_epc = np.array([t["epc"][i] for i in keep], dtype="S24")
    s_t0 = np.array([t["t0_us"][i] for i in keep], np.int64)
    s_t1 = np.array([t["t1_us"][i] for i in keep], np.int64)
    s_unit = [t["storage"][i] for i in keep]
    tags, s_tag = np.unique(s_epc, return_inverse=True)
    base = int(s_t0.min())
    s_key = (s_tag.astype(np.int64) << _T_BITS) | (s_t0 - base)
    order = np.argsort(s_key, kind="stable")
    s_key, s_tag, s_t0, s_t1 = s_key[order], s_tag[order], s_t0[order], s_t1[order]
    s_unit = [s_unit[i] for i in order]

    # reads -> the stay they fall in (same tag, t0 <= t_us < t1), fixed antennas only
    r_ant = [ant_unit.get((r, int(p))) for r, p in zip(reads["reader"].tolist(), reads["antenna"].tolist())]
    fixed = np.array([u is not None for u in r_ant], bool)
    pos = np.searchsorted(tags, reads["epc"]) if len(tags) else np.zeros(len(reads), np.int64)
    pos = np.minimum(pos, len(tags) - 1)
    known = fixed & (tags[pos] == reads["epc"]) & (reads["t_us"] >= base)
    rk = (pos.astype(np.int64) << _T_BITS) | np.clip(reads["t_us"] - base, 0, (1 << _T_BITS) - 1)
    si = np.searchsorted(s_key, rk, side="right") - 1
    ok = known & (si >= 0)
    si_c = np.maximum(si, 0)
    ok &= (s_tag[si_c] == pos) & (reads["t_us"] < s_t1[si_c])
    idx = np.flatnonzero(ok)

    best_rssi: dict[int, tuple[int, str]] = {}
    counts: dict[int, dict[tuple, int]] = {}
    own_read: set[int] = set()
    for i in idx:
        s = int(si[i])
        key = (reads["reader"][i], int(reads["antenna"][i]))
        unit = ant_unit[key]
        rssi = int(reads["rssi_dbm"][i])
        if s not in best_rssi or rssi > best_rssi[s][0]:
            best_rssi[s] = (rssi, unit)
        c = counts.setdefault(s, {})
        n, peak = c.get(key, (0, -999))
        c[key] = (n + int(reads["count"][i]), max(peak, rssi))  # ties in count broken by peak RSSI
        if unit == s_unit[s]:
            own_read.add(s)
    by_space: dict[str, list[int]] = {}
    tot = [0, 0, 0, 0, 0]
    for s, unit in enumerate(s_unit):
        row = by_space.setdefault(watched[unit], [0, 0, 0, 0, 0])
        hit = [1, int(s in best_rssi), int(s in own_read), 0, 0]
        if s in best_rssi:
            hit[3] = int(best_rssi[s][1] == unit)
            top = max(counts[s].items(), key=lambda kv: kv[1])[0]
            hit[4] = int(ant_unit[top] == unit)
        for k in range(5):
            row[k] += hit[k]
            tot[k] += hit[k]
    names = ("stays", "read", "own_read", "own_loudest", "own_most_read")
    return ShelfAudit(*tot, {sp: dict(zip(names, v)) for sp, v in sorted(by_space.items())})


def world_streams(scenario, minutes: float = 20.0, placement_path: str | Path | None = None):
    """(reads, truth, placement) of a world run for `minutes` of simulated time, optionally on another placement."""
    from twin.scenario import Scenario, load_scenario
    from twin.world import World

    scn = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    upd: dict = {"duration_s": float(minutes) * 60.0}
    if placement_path is not None:
        upd["placement"] = Path(placement_path).resolve()
    world = World(scn.model_copy(update=upd))
    reads, truth = [], []
    for ch in world.run():
        reads.append(ch.reads)
        truth.append(ch.truth)
    return np.concatenate(reads), pa.concat_tables(truth), world.placement


def audit_world(scenario, minutes: float = 20.0, placement_path: str | Path | None = None) -> ShelfAudit:
    """Run a world for `minutes` of simulated time (optionally on another placement) and audit its shelves."""
    return shelf_audit(*world_streams(scenario, minutes, placement_path))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m twin.readers.shelfaudit", description=__doc__.splitlines()[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--placement", type=Path, default=None, help="audit another placement on the same floor")
    args = ap.parse_args(argv)
    print(json.dumps(audit_world(args.scenario, args.minutes, args.placement).as_dict(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
