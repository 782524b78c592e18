"""Inventory: reconcile a handheld sweep (or a shelf scan from the estimates) with what should be there.

A sweep is the reads of a handheld reader (site kind handheld) between a `sweep_start` and a `sweep_end` business
event naming it (detail "READER ..."). The core does not know where the handheld was, so it places it per
`slot_s` slice of the sweep at the unit most of whose expected tags it read loudest in that slice; a tag is found at
the handheld's unit when it was read loudest. Expected: dossiers whose home unit (archive events, else the first long
rest) lies in the swept space and that are not known to be elsewhere (held, checked out, in another space).
Report: present (found at home), misplaced (found on another unit: where), missing (expected, not read),
unexpected (read, not expected there).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np


def reconcile(expected: dict[str, str], found: dict[str, str]) -> dict[str, list]:
    """expected: epc -> home unit; found: epc -> unit where read ("" unknown). The four lists of a sweep report."""
    present = sorted(e for e, u in found.items() if e in expected and u in (expected[e], ""))
    misplaced = sorted(({"epc": e, "home": expected[e], "found": u} for e, u in found.items()
                        if e in expected and u and u != expected[e]), key=lambda r: r["epc"])  # fmt: skip
    missing = sorted(e for e in expected if e not in found)
    unexpected = sorted(({"epc": e, "found": u} for e, u in found.items() if e not in expected),
                        key=lambda r: r["epc"])  # fmt: skip
    return {"present": present, "misplaced": misplaced, "missing": missing, "unexpected": unexpected}


def place_reads(t: np.ndarray, epc: list[str], rssi: np.ndarray, home: dict[str, str], slot_s: float) -> dict[str, str]:
    """Where each read tag was found: per slot the unit whose expected tags dominate the reads, at the tag's
    loudest read."""
    if len(t) == 0:
        return {}
    slot = ((t - t.min()) // int(slot_s * 1e6)).astype(np.int64)
    votes: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for s, e, r in zip(slot.tolist(), epc, rssi.tolist()):
        if home.get(e):
            votes[s][home[e]] += 1.0 + max(r + 100, 0) / 100.0
    at = {s: max(v.items(), key=lambda kv: (kv[1], kv[0]))[0] for s, v in votes.items()}
    best: dict[str, tuple[float, int]] = {}
    for i, (e, r) in enumerate(zip(epc, rssi.tolist())):
        if e not in best or r > best[e][0]:
            best[e] = (r, i)
    out = {}
    for e, (_, i) in best.items():
        s = int(slot[i])
        out[e] = at.get(s) or at.get(s - 1) or at.get(s + 1) or ""
    return out


class Inventory:
    """Open sweeps per handheld reader; a report per finished sweep (kept in `reports`)."""

    def __init__(self, site: dict, slot_s: float = 10.0) -> None:
        self.slot_s = slot_s
        self.handheld_space = {str(r["id"]): str(((r.get("antennas") or [{}])[0].get("covers") or {}).get("space", ""))
                               for r in site.get("readers", []) if r.get("kind") == "handheld"}  # fmt: skip
        self.unit_space = {str(u["id"]): str(u.get("space", "")) for u in site.get("storage", [])}
        self.open: dict[str, dict] = {}  # reader -> {t0, officer, t, epc, rssi}
        self.reports: list[dict] = []

    def event(self, e: dict) -> None:
        kind = e.get("kind")
        if kind not in ("sweep_start", "sweep_end"):
            return
        reader = (str(e.get("detail") or "").split() or [""])[0]
        if reader not in self.handheld_space:
            return
        if kind == "sweep_start":
            self.open[reader] = {"t0": int(e["t_us"]), "officer": e.get("officer") or "", "t": [], "epc": [],
                                 "rssi": []}  # fmt: skip
        elif reader in self.open:
            self.open[reader]["t1"] = int(e["t_us"])

    def reads(self, reader: str, t: np.ndarray, epc: list[str], rssi: np.ndarray) -> None:
        sw = self.open.get(reader)
        if sw is None:
            return
        m = t >= sw["t0"]
        if "t1" in sw:
            m &= t <= sw["t1"]
        sw["t"].append(t[m])
        sw["epc"] += [e for e, k in zip(epc, m.tolist()) if k]
        sw["rssi"].append(rssi[m])

    def finish(self, now_us: int, watermark_us: int, homes: dict[str, str], away) -> list[dict]:
        """Close sweeps whose end the reads have passed; their reports. away(epc) -> True when known elsewhere."""
        out = []
        for reader, sw in sorted(self.open.items()):
            if "t1" not in sw or now_us - watermark_us < sw["t1"]:
                continue
            del self.open[reader]
            space = self.handheld_space[reader]
            expected = {e: u for e, u in homes.items() if self.unit_space.get(u) == space and not away(e)}
            t = np.concatenate(sw["t"]) if sw["t"] else np.zeros(0, np.int64)
            rssi = np.concatenate(sw["rssi"]) if sw["rssi"] else np.zeros(0, np.int16)
            found = place_reads(t, sw["epc"], rssi, homes, self.slot_s)
            rep = {"reader": reader, "space": space, "officer": sw["officer"], "t0_us": sw["t0"], "t1_us": sw["t1"],
                   "expected": len(expected), **reconcile(expected, found)}  # fmt: skip
            self.reports.append(rep)
            out.append(rep)
        return out


def shelf_scan(space: str, homes: dict[str, str], located: dict[str, tuple[str, str]], unit_space: dict[str, str]):
    """A scan from the fixed antennas: located epc -> (space, unit) as the core estimates it now."""
    expected = {e: u for e, u in homes.items() if unit_space.get(u) == space}
    found = {e: u for e, (s, u) in located.items() if s == space}
    return {"space": space, "expected": len(expected), **reconcile(expected, found)}


def report_table(rep: dict):
    """A rich Table of one sweep report (counts, then the misplaced and unexpected tags with where found)."""
    from rich.table import Table

    tab = Table(title=f"sweep {rep.get('reader', 'scan')} of {rep['space']}: {rep['expected']} expected")
    for c in ("status", "epc", "home", "found at"):
        tab.add_column(c)
    tab.add_row("present", str(len(rep["present"])), "", "")
    tab.add_row("missing", str(len(rep["missing"])), "", "")
    for m in rep["misplaced"]:
        tab.add_row("misplaced", m["epc"], m["home"], m["found"])
    for m in rep["unexpected"]:
        tab.add_row("unexpected", m["epc"], "", m["found"])
    return tab
