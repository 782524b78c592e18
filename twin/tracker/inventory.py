"""Inventory: reconcile a handheld sweep, unit by unit, (or a shelf scan from the estimates) with what should be there.

A sweep is the reads of a handheld reader (site kind handheld) between a `sweep_start` and a `sweep_end` business
event naming it (detail "READER ..."). Between them the handheld app records a `sweep_unit` event ("READER UNIT")
each time the keeper scans a shelf's location label; the reads up to the next label belong to that unit. A tag is
read at several units (a low-power handheld still reaches the neighbouring bays and the bay across the aisle), so
each tag is arbitrated between the units that read it (twin.tracker.sweep_units): the handheld's report periods and
loudest RSSI per unit, weighed against the fixed shelf antennas' word (the unit they place it on; for a dossier the
core holds misfiled, the shelf the misfiled rule rests it on; the shelves that credited it since it last left
storage), its home (misfiles are rare: the home is the prior) and whether the core saw it taken out. A tag taken out
that no shelf antenna credited since and that the handheld read more steadily elsewhere than where it is placed is
also listed to check by eye at its candidate bays (`check`): no reader tells its bay.
Expected: dossiers and items whose home unit (archive events, else the first long rest) lies in the swept space and
that are not known to be elsewhere (held, checked out, placed off site -- an external place no antenna covers, where
only the case software's stages or a checkout put it -- or registered only after the sweep began) unless the sweep
read them; a dossier with no home known yet
is expected where the fixed antennas hold it. A read tag neither expected nor placed here, that the fixed antennas
hold in its own home room or that was never as loud as the room's own tags, was heard from next door (counted, not
listed); so was an expected one the fixed antennas hold in another room and never as loud (not found: missing).
Report: present (found at home), misplaced (found on another unit: where), missing (expected, not read), unread_label
(expected, not read, and heard by no reader -- fixed antenna or handheld -- since the core started: its label may be
dead, check it by eye), unexpected (read, not expected there), check (found, but its bay in doubt: the bays to look
at), and per-unit rows. A closed steel cabinet
(site storage `metal`) shields its contents from the handheld; what its own antenna places on it counts as found
there.
"""

from __future__ import annotations


import numpy as np

from .sweep_units import (AGREE_DB, CHECK_BAYS, CHECK_SHARE, HOME_SHARE, STEADY_PERIODS, agreed, arbitrate,
                          doubt, place_reads, unit_evidence)

#: A read tag not expected in the swept room is taken as heard from next door when its loudest read stays below this
#: quantile of the loudest reads of the room's own tags in the same sweep (self-calibrating; assumption).
HEARD_QUANTILE = 0.02


def reconcile(expected: dict[str, str], found: dict[str, str], unheard=None) -> dict[str, list]:
    """expected: epc -> home unit ("" somewhere in the room); found: epc -> unit where read ("" unknown); unheard(epc)
    -> True when no reader has ever heard it. The lists of a sweep report: present, misplaced, missing, unread_label
    (expected, not found, never heard: a label to check; the rest of the not found are missing), unexpected."""
    present = sorted(e for e, u in found.items() if e in expected and (not expected[e] or u in (expected[e], "")))
    misplaced = sorted(({"epc": e, "home": expected[e], "found": u} for e, u in found.items()
                        if e in expected and expected[e] and u and u != expected[e]),
                       key=lambda r: r["epc"])  # fmt: skip
    absent = sorted(e for e in expected if e not in found)
    unread = [e for e in absent if unheard is not None and unheard(e)]
    missing = [e for e in absent if not (unheard is not None and unheard(e))]
    unexpected = sorted(({"epc": e, "found": u} for e, u in found.items() if e not in expected),
                        key=lambda r: r["epc"])  # fmt: skip
    return {"present": present, "misplaced": misplaced, "missing": missing, "unread_label": unread,
            "unexpected": unexpected}


class Inventory:
    """Open sweeps per handheld reader; a report per finished sweep (kept in `reports`)."""

    def __init__(self, site: dict, home_share: float = HOME_SHARE) -> None:
        self.home_share = float(home_share)
        self.handheld_space = {str(r["id"]): str(((r.get("antennas") or [{}])[0].get("covers") or {}).get("space", ""))
                               for r in site.get("readers", []) if r.get("kind") == "handheld"}  # fmt: skip
        self.unit_space = {str(u["id"]): str(u.get("space", "")) for u in site.get("storage", [])}
        #: closed steel units: a handheld outside does not read into them, their own antenna vouches for them
        self.shielded = {str(u["id"]) for u in site.get("storage", []) if u.get("metal")}
        #: places no antenna covers (court, procuratorate): a dossier the core places there is known to be away
        self.external = {str(s.get("id")) for s in site.get("spaces", []) if s.get("kind") == "external"}
        self.open: dict[str, dict] = {}  # reader -> {t0, officer, unit_t, units, t, epc, rssi}
        self.reports: list[dict] = []
        self.hand_heard: set[str] = set()  # tags a handheld has read in a sweep since the core started
        self.registered_us: dict[str, int] = {}  # epc -> when the case software registered it

    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)
        self.__dict__.setdefault("hand_heard", set())  # a checkpoint from before these: no sweep read counted,
        self.__dict__.setdefault("external", set())  # no place taken as off site,
        self.__dict__.setdefault("registered_us", {})  # no registration time known

    def event(self, e: dict) -> None:
        kind = e.get("kind")
        if kind == "register" and e.get("epc"):
            self.registered_us[str(e["epc"])] = int(e["t_us"])
        if kind not in ("sweep_start", "sweep_unit", "sweep_end"):
            return
        words = str(e.get("detail") or "").split()
        reader = (words or [""])[0]
        if reader not in self.handheld_space:
            return
        if kind == "sweep_start":
            self.open[reader] = {"t0": int(e["t_us"]), "officer": e.get("officer") or "", "unit_t": [], "units": [],
                                 "t": [], "epc": [], "rssi": []}  # fmt: skip
        elif reader in self.open and kind == "sweep_unit" and len(words) > 1:
            self.open[reader]["unit_t"].append(int(e["t_us"]))
            self.open[reader]["units"].append(words[1])
        elif reader in self.open and kind == "sweep_end":
            self.open[reader]["t1"] = int(e["t_us"])

    def reads(self, reader: str, t: np.ndarray, epc: list[str], rssi: np.ndarray) -> None:
        sw = self.open.get(reader)
        if sw is None:
            return
        m = t >= sw["t0"]
        if "t1" in sw:
            m &= t <= sw["t1"]
        new = [e for e, k in zip(epc, m.tolist()) if k]
        sw["t"].append(t[m])
        sw["epc"] += new
        self.hand_heard.update(new)
        sw["rssi"].append(rssi[m])

    def finish(self, now_us: int, watermark_us: int, homes: dict[str, str], away, located=None,
               heard=None, moved=None, misfiled=None) -> list[dict]:  # fmt: skip
        """Close sweeps whose end the reads have passed; their reports. away(epc) -> True when known elsewhere;
        located() -> {epc: (space, unit)} where the core's fixed antennas place tags now (called once per report);
        heard(epc) -> True when a fixed antenna has reported the tag since the core started (without it, no
        expected tag is taken as never heard: no unread_label); moved(epc) -> True when the core has seen the tag
        taken out since it last rested, or holds it misfiled (without it, any tag may have moved: the fixed
        antennas' unit wins over its home); misfiled(epc) -> the shelf the fixed antennas' inventories rest a
        dossier on that the core holds misfiled ('' for the rest): the fixed antennas' unit for it, whatever its
        estimate shows (an estimate may stay on the home while the misfiled rule has seen another shelf win)."""
        out = []
        for reader, sw in sorted(self.open.items()):
            if "t1" not in sw or now_us - watermark_us < sw["t1"]:
                continue
            del self.open[reader]
            unheard = None if heard is None else (lambda e: e not in self.hand_heard and not heard(e))
            rep = self._report(reader, sw, homes, away, located() if located is not None else {}, unheard, moved,
                               misfiled, getattr(misfiled, "credits", None))  # fmt: skip
            self.reports.append(rep)
            out.append(rep)
        return out

    def _report(self, reader: str, sw: dict, homes: dict[str, str], away, loc: dict, unheard=None,
                moved=None, misfiled=None, credits=None) -> dict:  # fmt: skip
        space = self.handheld_space[reader]
        t = np.concatenate(sw["t"]) if sw["t"] else np.zeros(0, np.int64)
        rssi = np.concatenate(sw["rssi"]) if sw["rssi"] else np.zeros(0, np.int16)
        units = sw["units"]
        unit_of = {e: u for e, (_, u) in loc.items() if u}
        check: list[dict] = []
        if units:
            found = place_reads(t, sw["epc"], rssi, np.asarray(sw["unit_t"], np.int64), units, homes,
                                self.home_share, fixed_unit(unit_of, misfiled), moved, credits, check)  # fmt: skip
        else:  # no unit labels scanned: the room as a whole (where in it unknown)
            found = {e: "" for e in sw["epc"]}
        off = {e for e, (sp, _) in loc.items() if sp in self.external}  # placed off site (by the business process)
        t0 = sw["t0"]
        expected = {e: u for e, u in homes.items()
                    if self.unit_space.get(u) == space and (e in found or not (
                        away(e) or e in off or self.registered_us.get(e, t0) > t0))}  # fmt: skip
        for e, (sp, u) in loc.items():  # no home known yet: expected where the fixed antennas hold it in this room
            if e not in homes and (self.unit_space.get(u) == space or (sp == space and not u)):
                expected[e] = u
        # a shielded unit's contents as its own antenna last saw them (not where a prior put a tag nothing has heard)
        for e, u in expected.items():
            if u in self.shielded and e not in found and unit_of.get(e) == u and not (unheard and unheard(e)):
                found[e] = u
        heard = _heard_from_elsewhere(found, expected, loc, space, sw["epc"], rssi,
                                      {e: self.unit_space.get(u, "") for e, u in homes.items()})  # fmt: skip
        for e in heard:
            del found[e]
            if e in expected and (away(e) or e in off or self.registered_us.get(e, t0) > t0):
                del expected[e]  # expected only because the sweep read it
        rep = {"reader": reader, "space": space, "officer": sw["officer"], "t0_us": sw["t0"], "t1_us": sw["t1"],
               "expected": len(expected), "units_scanned": len(units), "heard_from_elsewhere": len(heard),
               **reconcile(expected, found, unheard)}  # fmt: skip
        rep["found"] = dict(sorted(found.items()))  # epc -> unit each read tag was placed on
        rep["check"] = sorted((c for c in check if c["epc"] in found), key=lambda c: c["epc"])  # bays to check by eye
        rep["units"] = unit_rows(rep, expected, units)
        return rep


def fixed_unit(unit_of: dict[str, str], misfiled=None):
    """located(epc) for the arbitration: the shelf the fixed antennas rest a dossier held misfiled on
    (misfiled(epc), '' for the rest), else the unit its estimate shows (unit_of)."""
    if misfiled is None:
        return lambda e: unit_of.get(e, "")
    return lambda e: misfiled(e) or unit_of.get(e, "")


def _heard_from_elsewhere(found: dict, expected: dict, loc: dict, space: str, epc: list[str], rssi,
                          home_space: dict) -> list[str]:  # fmt: skip
    """Read tags that the fixed antennas place in another room and were never as loud as the room's own tags (below
    the HEARD_QUANTILE of the loudest reads of tags found on their expected unit), or, not expected here, have their
    home in that room: heard through a wall or a door from next door, not lying here. A dossier of this room so heard
    (out at an officer's desk next door) is not found: missing from the room, not misplaced on the unit nearest the
    wall."""
    loud: dict[str, float] = {}
    for e, r in zip(epc, np.asarray(rssi).tolist()):
        if r > loud.get(e, -1e9):
            loud[e] = r
    own = [loud[e] for e, u in found.items() if expected.get(e) == u and u and e in loud]
    floor = float(np.quantile(own, HEARD_QUANTILE)) if len(own) >= 20 else -1e9
    out = []
    for e in found:
        there = (loc.get(e) or ("", ""))[0]
        faint = loud.get(e, -1e9) < floor
        if e in expected:
            elsewhere = bool(there) and faint
        else:
            elsewhere = faint or (there and home_space.get(e) == there)
        if there != space and elsewhere:
            out.append(e)
    return sorted(out)


def _unit_row(u: str) -> dict:
    return {"unit": u, "expected": 0, "present": 0, "missing": 0, "unread_label": 0, "away": 0, "foreign": 0}


def unit_rows(rep: dict, expected: dict[str, str], units: list[str]) -> list[dict]:
    """Per scanned unit: expected there, present, missing, misplaced from there (away), found there but not its
    home (foreign); "(room)" for tags expected in the room on no unit in particular."""
    rows: dict[str, dict] = {}
    for u in list(dict.fromkeys(units)) + sorted(set(expected.values()) - set(units) - {""}) + [""]:
        rows[u] = _unit_row(u)
    for u in expected.values():
        rows[u]["expected"] += 1
    for e in rep["present"]:
        rows[expected[e]]["present"] += 1
    for e in rep["missing"]:
        rows[expected[e]]["missing"] += 1
    for e in rep.get("unread_label", ()):
        rows[expected[e]]["unread_label"] += 1
    for m in rep["misplaced"]:
        rows[m["home"]]["away"] += 1
        rows.setdefault(m["found"], _unit_row(m["found"]))["foreign"] += 1
    for m in rep["unexpected"]:
        if m["found"]:
            rows.setdefault(m["found"], _unit_row(m["found"]))["foreign"] += 1
    room = rows.pop("")
    if room["expected"]:  # tags expected somewhere in the room, on no unit in particular
        rows["(room)"] = {**room, "unit": "(room)"}
    return list(rows.values())


def report_rows(rep: dict) -> list[dict]:
    """One row per finding of a sweep report (status, epc, home, found), missing, unread labels and misplaced first;
    a tag to check by eye has a `check` row whose found column lists its candidate bays (it also has its row as
    present or misplaced where the sweep placed it)."""
    out = [{"status": "missing", "epc": e, "home": "", "found": ""} for e in rep["missing"]]
    out += [{"status": "unread_label", "epc": e, "home": "", "found": ""} for e in rep.get("unread_label", ())]
    out += [{"status": "misplaced", "epc": m["epc"], "home": m["home"], "found": m["found"]} for m in rep["misplaced"]]
    out += [{"status": "check", "epc": c["epc"], "home": c["home"], "found": " ".join(c["candidates"])}
            for c in rep.get("check", ())]  # fmt: skip
    out += [{"status": "unexpected", "epc": m["epc"], "home": "", "found": m["found"]} for m in rep["unexpected"]]
    out += [{"status": "present", "epc": e, "home": "", "found": ""} for e in rep["present"]]
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
    tab.add_row("unread_label", str(len(rep.get("unread_label", ()))), "", "")
    for m in rep["misplaced"]:
        tab.add_row("misplaced", m["epc"], m["home"], m["found"])
    for m in rep["unexpected"]:
        tab.add_row("unexpected", m["epc"], "", m["found"])
    for c in rep.get("check", ()):
        tab.add_row("check", c["epc"], c["home"], " ".join(c["candidates"]))
    return tab


def units_table(rep: dict):
    """A rich Table of a sweep report's per-unit rows."""
    from rich.table import Table

    tab = Table(title=f"sweep {rep.get('reader', '')} of {rep['space']}: per unit")
    cols = ("unit", "expected", "present", "missing", "unread_label", "away", "foreign")
    for c in cols:
        tab.add_column(c, justify="left" if c == "unit" else "right")
    for r in rep.get("units", []):
        tab.add_row(*(str(r.get(c, 0)) for c in cols))
    return tab


__all__ = ["AGREE_DB", "CHECK_BAYS", "CHECK_SHARE", "HEARD_QUANTILE", "HOME_SHARE", "STEADY_PERIODS", "Inventory",
           "agreed", "arbitrate", "doubt", "fixed_unit", "place_reads", "reconcile", "report_rows", "report_table",
           "shelf_scan", "unit_evidence", "unit_rows", "units_table"]  # fmt: skip
