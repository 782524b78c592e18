"""Unit audit: for every shelf, cabinet and desk antenna, which tags it hears that are not on its own unit.

A unit antenna's reads are evidence for its unit only if what it hears lies on that unit. Every read is joined with
ground truth (the truth row of the same tag whose [t0_us, t1_us) holds the read's time) and classed by where the tag
was: on the antenna's own unit, on another unit (named, with its space), carried by someone, or loose in a space.
The table per (antenna, where) row gives tags, reads (sum of TagSeenCount) and RSSI percentiles; the summary gives per
antenna kind the share of reads and of tags that are not the antenna's own, and how many foreign rows lie in another
space (through a wall: the fault that lets a desk next to a storage room claim its dossiers).

`python -m twin.readers.unitaudit RUN_DIR` audits a run recorded with `twin run SCEN --save-streams -o RUN_DIR`;
`python -m twin.readers.unitaudit --scenario SCEN [--minutes 20] [--placement FILE]` runs a world first.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from .placement import Placement

DEFAULT_FLOOR = Path("scenarios/floors/station.toml")
DEFAULT_PLACEMENT = Path("scenarios/placements/full.toml")
UNIT_KINDS = ("shelf", "desk")  # antenna kinds that watch one storage unit (shelf antennas also watch cabinets)


@dataclass(frozen=True)
class AuditRow:
    """What one unit antenna heard in one place: `where` is "own", "unit" (another unit), "carried" or "loose"."""

    antenna: str  # reader/port
    kind: str
    space: str  # the antenna's space
    unit: str  # the unit it watches
    where: str
    tag_space: str  # where the tag was
    tag_unit: str  # the unit it was on ("" when carried or loose)
    tags: int
    reads: int
    rssi_min: int
    rssi_p50: float
    rssi_max: int


def _truth_index(reads: np.ndarray, truth: pa.Table) -> np.ndarray:
    """Row of `truth` holding each read (same epc, t0 <= t_us < t1), -1 when none."""
    epc = np.array(truth.column("epc").to_pylist(), dtype="S24")
    t0 = truth.column("t0_us").to_numpy()
    t1 = truth.column("t1_us").to_numpy()
    order = np.lexsort((t0, epc))
    epc, t0, t1 = epc[order], t0[order], t1[order]
    tags, tag_of = np.unique(epc, return_inverse=True)
    if not len(tags):
        return np.full(len(reads), -1, np.int64)
    pos = np.minimum(np.searchsorted(tags, reads["epc"]), len(tags) - 1)
    known = tags[pos] == reads["epc"]
    # rows are sorted by (tag, t0): search the read's time within its tag's block
    start = np.searchsorted(tag_of, pos, side="left")
    stop = np.searchsorted(tag_of, pos, side="right")
    out = np.full(len(reads), -1, np.int64)
    for i in np.flatnonzero(known):
        a, b = start[i], stop[i]
        j = a + int(np.searchsorted(t0[a:b], reads["t_us"][i], side="right")) - 1
        if j >= a and reads["t_us"][i] < t1[j]:
            out[i] = order[j]
    return out


def unit_audit(reads: np.ndarray, truth: pa.Table, placement: Placement) -> list[AuditRow]:
    """Audit rows for every unit antenna of `placement` that read anything in `reads` (READ_DTYPE rows)."""
    ants = {(a.reader.encode(), a.port): a for a in placement.antennas if a.kind in UNIT_KINDS and a.storage}
    keep = np.array([(r, int(p)) in ants for r, p in zip(reads["reader"].tolist(), reads["antenna"].tolist())], bool)
    reads = reads[keep]
    row = _truth_index(reads, truth)
    t_space = truth.column("space").to_pylist()
    t_unit = truth.column("storage").to_pylist()
    t_holder = truth.column("holder").to_pylist()
    groups: dict[tuple, list[int]] = {}
    for i, (r, p) in enumerate(zip(reads["reader"].tolist(), reads["antenna"].tolist())):
        j = int(row[i])
        if j < 0:
            continue
        a = ants[(r, int(p))]
        if t_unit[j] == a.storage and not t_holder[j]:
            key = (a, "own", t_space[j], t_unit[j])
        elif t_holder[j]:
            key = (a, "carried", t_space[j], "")
        elif t_unit[j]:
            key = (a, "unit", t_space[j], t_unit[j])
        else:
            key = (a, "loose", t_space[j], "")
        groups.setdefault(key, []).append(i)
    out = []
    for (a, where, sp, unit), idx in groups.items():
        ix = np.asarray(idx)
        rssi = reads["rssi_dbm"][ix].astype(np.int64)
        out.append(AuditRow(f"{a.reader}/{a.port}", a.kind, a.space, a.storage, where, sp or "", unit or "",
                            len(np.unique(reads["epc"][ix])), int(reads["count"][ix].sum()), int(rssi.min()),
                            float(np.median(rssi)), int(rssi.max())))  # fmt: skip
    out.sort(key=lambda r: (r.antenna, r.where != "own", r.tag_space, r.tag_unit))
    return out


def summary(rows: list[AuditRow]) -> dict:
    """Per antenna kind: reads and tag-rows own / foreign, foreign through a wall (tag in another space), RSSI."""
    out: dict = {}
    for kind in sorted({r.kind for r in rows}):
        rs = [r for r in rows if r.kind == kind]
        own = [r for r in rs if r.where == "own"]
        foreign = [r for r in rs if r.where != "own"]
        walled = [r for r in foreign if r.tag_space != r.space]
        n = sum(r.reads for r in rs)
        out[kind] = {
            "antennas": len({r.antenna for r in rs}),
            "reads": n,
            "foreign_read_share": sum(r.reads for r in foreign) / n if n else float("nan"),
            "other_space_read_share": sum(r.reads for r in walled) / n if n else float("nan"),
            "own_tags": sum(r.tags for r in own),
            "foreign_tags": sum(r.tags for r in foreign),
            "other_space_tags": sum(r.tags for r in walled),
            "other_space_antennas": len({r.antenna for r in walled}),
            "own_rssi": [min((r.rssi_min for r in own), default=None), max((r.rssi_max for r in own), default=None)],
            "other_space_rssi": [min((r.rssi_min for r in walled), default=None),
                                 max((r.rssi_max for r in walled), default=None)],
        }  # fmt: skip
    return out


def audit_run(run_dir: str | Path, placement: Placement) -> list[AuditRow]:
    """Audit a run recorded with --save-streams (reads.parquet and truth.parquet in `run_dir`)."""
    import pyarrow.parquet as pq

    from twin.records import reads_from_arrow

    d = Path(run_dir)
    return unit_audit(reads_from_arrow(pq.read_table(d / "reads.parquet")), pq.read_table(d / "truth.parquet"),
                      placement)  # fmt: skip


def audit_scenario(scenario, minutes: float = 20.0, placement_path: str | Path | None = None) -> list[AuditRow]:
    """Run a world for `minutes` of simulated time (optionally on another placement) and audit its unit antennas."""
    from twin.readers.shelfaudit import world_streams

    return unit_audit(*world_streams(scenario, minutes, placement_path))


def format_table(rows: list[AuditRow], *, foreign_only: bool = True, other_space_only: bool = False) -> str:
    """Markdown table of the audit rows (by default only what an antenna hears off its own unit)."""
    keep = [r for r in rows
            if (not foreign_only or r.where != "own") and (not other_space_only or r.tag_space != r.space)]
    lines = ["| antenna | unit | heard | tag space | tag unit | tags | reads | RSSI min / p50 / max |",
             "|---" * 8 + "|"]
    for r in keep:
        lines.append(f"| {r.antenna} | {r.unit} | {r.where} | {r.tag_space} | {r.tag_unit} | {r.tags} | {r.reads} | "
                     f"{r.rssi_min} / {r.rssi_p50:.0f} / {r.rssi_max} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m twin.readers.unitaudit", description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, nargs="?", help="a run folder recorded with --save-streams")
    ap.add_argument("--scenario", type=Path, default=None, help="run this scenario's world instead")
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--placement", type=Path, default=None,
                    help="the run's placement (default: the full placement; with --scenario: the scenario's)")
    ap.add_argument("--floor", type=Path, default=DEFAULT_FLOOR, help="the run's floor")
    ap.add_argument("--all", action="store_true", help="list own-unit rows too")
    ap.add_argument("--other-space", action="store_true", help="list only tags heard in another space")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.scenario is not None:
        rows = audit_scenario(args.scenario, args.minutes, args.placement)
    elif args.run is not None:
        from twin.building.floorfile import load_floor
        from twin.readers.placementfile import load_placement

        floor = load_floor(args.floor)
        rows = audit_run(args.run, load_placement(args.placement or DEFAULT_PLACEMENT, floor))
    else:
        ap.error("give a run folder or --scenario")
    if args.json:
        print(json.dumps({"summary": summary(rows), "rows": [r.__dict__ for r in rows]}, indent=1))
    else:
        print(json.dumps(summary(rows), indent=1))
        print(format_table(rows, foreign_only=not args.all, other_space_only=args.other_space))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
