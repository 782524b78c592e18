"""Inventory: reconcile a handheld sweep, unit by unit, (or a shelf scan from the estimates) with what should be there.

A sweep is the reads of a handheld reader (site kind handheld) between a `sweep_start` and a `sweep_end` business
event naming it (detail "READER ..."). Between them the handheld app records a `sweep_unit` event ("READER UNIT")
each time the keeper scans a shelf's location label; the reads up to the next label belong to that unit. A tag is
read at several units (a low-power handheld still reaches the neighbouring bays and the bay across the aisle), so
each tag is arbitrated between the units that read it: per unit, the number of report periods that carried it
(how steadily it answered there), then its loudest RSSI. Units with at least `home_share` of the best unit's periods
are candidates; the unit the core's fixed shelf antennas place it on (for a dossier the core holds misfiled, the
shelf the misfiled rule rests it on, whatever its estimate shows) wins among them, then the tag's home (misfiles
are rare: the home is the prior; a tag the fixed antennas still hold on its home stays there), then the best; the
home comes first for a tag the core has not seen taken out since it last rested (the fixed antennas' other unit is
then its home's radio signature, not a move).
Expected: dossiers and items whose home unit (archive events, else the first long rest) lies in the swept space and
that are not known to be elsewhere (held, checked out, placed off site -- an external place no antenna covers, where
only the case software's stages or a checkout put it -- or registered only after the sweep began) unless the sweep
read them; a dossier with no home known yet
is expected where the fixed antennas hold it. A read tag neither expected nor placed here, that the fixed antennas
hold in its own home room or that was never as loud as the room's own tags, was heard from next door (counted, not
listed); so was an expected one the fixed antennas hold in another room and never as loud (not found: missing).
Report: present (found at home), misplaced (found on another unit: where), missing (expected, not read), unread_label
(expected, not read, and heard by no reader -- fixed antenna or handheld -- since the core started: its label may be
dead, check it by eye), unexpected (read, not expected there), and per-unit rows. A closed steel cabinet
(site storage `metal`) shields its contents from the handheld; what its own antenna places on it counts as found
there.
"""

from __future__ import annotations


import numpy as np

#: A tag stays on its home unit while that unit read it in at least this share of the report periods of the unit
#: that read it most steadily (assumption: misfiles are rare, ~0.5 % of shelf returns in the twin's baseline, so the
#: home needs only modest support; measured on sweeps of ci-misbehaviour-like days, see docs/tracker.md).
HOME_SHARE = 0.2
#: A read tag not expected in the swept room is taken as heard from next door when its loudest read stays below this
#: quantile of the loudest reads of the room's own tags in the same sweep (self-calibrating; assumption).
HEARD_QUANTILE = 0.02
#: A tag the handheld read at one unit in at least this many report periods (1 s each), while the unit the fixed
#: antennas place it on was scanned and not a candidate, is found where the handheld read it: the keeper aims the
#: handheld's patch at the bay scanned (twin.agents.sweep), so a steady reading there outweighs the fixed antennas'
#: unit across the aisle (misfile mornings seed 3: 10 periods at S24, 1 at S21 where the fixed antennas held it).
#: Assumption, checked on the misfile mornings (seeds 1-8) and the baseline day (docs/inventory.md).
STEADY_PERIODS = 5


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


def unit_evidence(t: np.ndarray, epc: list[str], rssi: np.ndarray, unit_t: np.ndarray,
                  n_units: int) -> dict[str, np.ndarray]:  # fmt: skip
    """Per read tag, an (n_units, 2) array: report periods read at each scanned unit, loudest RSSI there (-inf none).
    Reads before the first unit label belong to no unit."""
    seg = np.searchsorted(unit_t, t, side="right") - 1
    out: dict[str, np.ndarray] = {}
    for s, e, r in zip(seg.tolist(), epc, rssi.tolist()):
        if s < 0:
            continue
        ev = out.get(e)
        if ev is None:
            ev = out[e] = np.zeros((n_units, 2))
            ev[:, 1] = -np.inf
        ev[s, 0] += 1.0
        ev[s, 1] = max(ev[s, 1], float(r))
    return out


def arbitrate(ev: np.ndarray, units: list[str], home: str = "", home_share: float = HOME_SHARE,
              located: str = "", moved: bool = True) -> str:  # fmt: skip
    """The unit a tag was found on. Candidates: the units that read it in at least home_share of the report periods
    of the unit that read it most steadily. The unit the fixed antennas place it on when a candidate (a bay's own
    antenna tells neighbouring bays apart better than a passing handheld), else its home when a candidate or when
    the fixed antennas still hold it there (the prior: misfiles are rare), else the fixed antennas' unit when it was
    scanned and the handheld read it there or nowhere steadily (fewer than STEADY_PERIODS report periods at its best
    unit), else the most steady, then loudest, unit. moved=False: the core has not seen the tag taken out since it
    last rested, so a fixed antennas' unit other than its home is its home's radio signature (its own bay's antenna
    in a fade, a neighbour's hearing it), not a move: its home wins first when a candidate."""
    best = max(range(len(units)), key=lambda k: (ev[k, 0], ev[k, 1]))
    if ev[best, 0] <= 0:
        return ""
    for want in (located, home) if moved else (home, located):
        if want and any(u == want and ev[k, 0] >= home_share * ev[best, 0] for k, u in enumerate(units)):
            return want
    if home and located == home:
        return home  # its bay's own antenna still holds it at home: the handheld only heard it from the next bays
    if located and located in units and ev[best, 0] < STEADY_PERIODS:
        return located  # not at home: where its bay's antenna holds it, though the handheld missed it there
    return units[best]  # (the handheld read it steadily at its best unit: found there)


def place_reads(t: np.ndarray, epc: list[str], rssi: np.ndarray, unit_t: np.ndarray, units: list[str],
                home: dict[str, str], home_share: float = HOME_SHARE, located=None,
                moved=None) -> dict[str, str]:  # fmt: skip
    """Where each read tag was found: epc -> unit (arbitrated between the units that read it); located(epc) -> the
    unit the core's fixed antennas place it on ('' none); moved(epc) -> False when the core has not seen the tag
    taken out since it last rested (without it, every tag may have moved)."""
    if len(t) == 0 or not units:
        return {}
    order = np.argsort(unit_t, kind="stable")
    ut = np.asarray(unit_t, np.int64)[order]
    us = [units[k] for k in order.tolist()]
    evid = unit_evidence(np.asarray(t, np.int64), epc, np.asarray(rssi), ut, len(us))
    out = {}
    for e, ev in evid.items():
        u = arbitrate(ev, us, home.get(e, ""), home_share, located(e) if located is not None else "",
                      True if moved is None else bool(moved(e)))  # fmt: skip
        if u:
            out[e] = u
    return out


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
                               misfiled)  # fmt: skip
            self.reports.append(rep)
            out.append(rep)
        return out

    def _report(self, reader: str, sw: dict, homes: dict[str, str], away, loc: dict, unheard=None,
                moved=None, misfiled=None) -> dict:  # fmt: skip
        space = self.handheld_space[reader]
        t = np.concatenate(sw["t"]) if sw["t"] else np.zeros(0, np.int64)
        rssi = np.concatenate(sw["rssi"]) if sw["rssi"] else np.zeros(0, np.int16)
        units = sw["units"]
        unit_of = {e: u for e, (_, u) in loc.items() if u}
        if units:
            found = place_reads(t, sw["epc"], rssi, np.asarray(sw["unit_t"], np.int64), units, homes,
                                self.home_share, fixed_unit(unit_of, misfiled), moved)  # fmt: skip
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
    """One row per finding of a sweep report (status, epc, home, found), missing, unread labels and misplaced first."""
    out = [{"status": "missing", "epc": e, "home": "", "found": ""} for e in rep["missing"]]
    out += [{"status": "unread_label", "epc": e, "home": "", "found": ""} for e in rep.get("unread_label", ())]
    out += [{"status": "misplaced", "epc": m["epc"], "home": m["home"], "found": m["found"]} for m in rep["misplaced"]]
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


__all__ = ["HEARD_QUANTILE", "HOME_SHARE", "STEADY_PERIODS", "Inventory", "arbitrate", "fixed_unit", "place_reads", "reconcile",
           "report_rows", "report_table", "shelf_scan", "unit_evidence", "unit_rows", "units_table"]  # fmt: skip
