"""Where a handheld sweep found each tag: per scanned unit, the report periods that carried the tag and its loudest
RSSI; the arbitration between those units, the fixed shelf antennas' word, the tag's home and whether it was taken
out; and the bays to check by eye when no reader tells (twin.tracker.inventory reconciles the sweep with these).
"""

from __future__ import annotations

import numpy as np

#: A tag stays on its home unit while that unit read it in at least this share of the report periods of the unit
#: that read it most steadily (assumption: misfiles are rare, ~0.5 % of shelf returns in the twin's baseline, so the
#: home needs only modest support; measured on sweeps of ci-misbehaviour-like days, see docs/tracker.md).
HOME_SHARE = 0.2
#: A tag the handheld read at one unit in at least this many report periods (1 s each), while the unit the fixed
#: antennas place it on was scanned and not a candidate, is found where the handheld read it: the keeper aims the
#: handheld's patch at the bay scanned (twin.agents.sweep), so a steady reading there outweighs the fixed antennas'
#: unit across the aisle (misfile mornings seed 3: 10 periods at S24, 1 at S21 where the fixed antennas held it) --
#: when a shelf antenna credited that unit too (S24's own, 43 inventories): a steady reading at a bay no shelf
#: antenna credited is the next bay along the face in a strong link (seed 13: S02 12 periods, S01 2, where S01's
#: antenna won 792 inventories and the dossier lay). Assumption, checked on the misfile mornings (seeds 1-16) and the
#: baseline day (docs/inventory.md).
STEADY_PERIODS = 5
#: A tag taken out and credited by no shelf antenna since is listed to check by eye at the units that read it in at
#: least this share of the report periods of its steadiest unit (and where it was placed), when that is not its
#: steadiest unit: no reader tells its bay (misfile mornings seed 4: S10 13 periods, S15 11, home S12 9). Assumption.
CHECK_SHARE = 0.5
#: ... at most this many of them, steadiest first, besides where it was placed (assumption: a short errand, a few
#: bays looked over by eye; the baseline and misbehaviour days' one such dossier was read at 3-7 bays that steadily).
CHECK_BAYS = 3
#: When the fixed shelf antennas never credited a tag's home but credited another unit, the handheld must also read
#: it there at least as steadily as at home and this much louder for the sweep to place it there (assumption: about
#: one fading spread, RFParams' 9.6 dB per 0.5 m cell; on the misfile mornings, seeds 1-16, the one dossier at home
#: this holds back was read 1 dB louder at the credited bay across the aisle, the misfiled ones 15-40 dB louder at
#: theirs than at home: docs/inventory.md).
AGREE_DB = 10.0


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
              located: str = "", moved: bool = True, credits: dict[str, int] | None = None) -> str:  # fmt: skip
    """The unit a tag was found on. Candidates: the units that read it in at least home_share of the report periods
    of the unit that read it most steadily. First, when the fixed shelf antennas (`credits`: {unit: inventories
    won since the tag last left storage}; None unknown) never credited its home but credited a candidate, the
    candidate they credited that the handheld read most steadily (then loudest), if it beats the home in the
    handheld's reads too -- two independent words against the home (`agreed`). Else the unit the fixed antennas
    place it on when a candidate (a bay's own antenna tells neighbouring bays apart better than a passing
    handheld), else its home when a candidate or when the fixed antennas still hold it there (the prior: misfiles
    are rare), else the fixed antennas' unit when it was scanned and the handheld read it there, or nowhere
    steadily (fewer than STEADY_PERIODS report periods at its best unit), or steadily only at a unit no shelf
    antenna credited, else the most steady, then loudest, unit. moved=False: the core has not seen the tag taken
    out since it last rested, so a fixed antennas' unit other than its home is its home's radio signature (its own
    bay's antenna in a fade, a neighbour's hearing it), not a move: its home wins first when a candidate."""
    best = max(range(len(units)), key=lambda k: (ev[k, 0], ev[k, 1]))
    if ev[best, 0] <= 0:
        return ""
    if credits is not None:
        both = agreed(ev, units, home, credits, home_share)
        if both:
            return both
    for want in (located, home) if moved else (home, located):
        if want and any(u == want and ev[k, 0] >= home_share * ev[best, 0] for k, u in enumerate(units)):
            return want
    if home and located == home:
        return home  # its bay's own antenna still holds it at home: the handheld only heard it from the next bays
    if located and located in units and (ev[best, 0] < STEADY_PERIODS
                                         or (credits is not None and units[best] not in credits)):  # fmt: skip
        return located  # not at home: where its bay's antenna holds it, though the handheld missed it there
    return units[best]  # (the handheld read it steadily at its best unit, which a shelf antenna credited: there)


def agreed(ev: np.ndarray, units: list[str], home: str, credits: dict[str, int],
           home_share: float = HOME_SHARE) -> str:  # fmt: skip
    """The unit the fixed shelf antennas and the handheld agree on against a tag's home, '' none: no shelf antenna
    credited the home since the tag last left storage, one credited this unit, the handheld read it here in at
    least home_share of its steadiest unit's report periods -- the most steadily (then loudest) of such units --
    and, when the home is a candidate too, at least as steadily and AGREE_DB louder than there. A dossier at home
    whose own bay's antenna is in a fade while a neighbour's hears it is read about as loud or louder at home by the
    aimed handheld (docs/inventory.md), so one word alone (either reader's) does not move it."""
    if not home or not credits or home in credits:
        return ""
    top = float(ev[:, 0].max())
    ks = [k for k, u in enumerate(units) if u in credits and ev[k, 0] >= home_share * top and ev[k, 0] > 0]
    if not ks:
        return ""
    k = max(ks, key=lambda j: (ev[j, 0], ev[j, 1]))
    for h, u in enumerate(units):
        beaten = ev[k, 0] >= ev[h, 0] and ev[k, 1] >= ev[h, 1] + AGREE_DB
        if u == home and ev[h, 0] >= home_share * top and not beaten:
            return ""
    return units[k]


def doubt(ev: np.ndarray, units: list[str], found: str, share: float = CHECK_SHARE,
          bays: int = CHECK_BAYS) -> list[str]:  # fmt: skip
    """The bays to check by eye for a tag placed on `found` with no fixed antenna's word since it was taken out,
    when the handheld read it more steadily elsewhere: up to `bays` units that read it in at least `share` of the
    report periods of its steadiest unit, steadiest (then loudest) first, and `found`; [] when the handheld's
    steadiest unit is `found` itself (nothing in doubt)."""
    order = sorted(range(len(units)), key=lambda k: (-ev[k, 0], -ev[k, 1]))
    if not order or ev[order[0], 0] <= 0 or units[order[0]] == found:
        return []
    top = float(ev[order[0], 0])
    out = [units[k] for k in order if ev[k, 0] >= share * top][:bays]
    return list(dict.fromkeys(out + ([found] if found and found not in out else [])))


def place_reads(t: np.ndarray, epc: list[str], rssi: np.ndarray, unit_t: np.ndarray, units: list[str],
                home: dict[str, str], home_share: float = HOME_SHARE, located=None,
                moved=None, credits=None, check: list | None = None) -> dict[str, str]:  # fmt: skip
    """Where each read tag was found: epc -> unit (arbitrated between the units that read it); located(epc) -> the
    unit the core's fixed antennas place it on ('' none); moved(epc) -> False when the core has not seen the tag
    taken out since it last rested (without it, every tag may have moved); credits(epc) -> {unit: inventories won}
    of the shelf antennas since it last left storage (without it, unknown). `check`, when given, receives a row
    {epc, home, found, candidates} for each tag taken out, credited by no shelf antenna since and read more
    steadily elsewhere than where it was placed: the bays to check by eye."""
    if len(t) == 0 or not units:
        return {}
    order = np.argsort(unit_t, kind="stable")
    ut = np.asarray(unit_t, np.int64)[order]
    us = [units[k] for k in order.tolist()]
    evid = unit_evidence(np.asarray(t, np.int64), epc, np.asarray(rssi), ut, len(us))
    out = {}
    for e, ev in evid.items():
        mv = True if moved is None else bool(moved(e))
        cr = credits(e) if credits is not None else None
        u = arbitrate(ev, us, home.get(e, ""), home_share, located(e) if located is not None else "", mv, cr)
        if u:
            out[e] = u
        if u and check is not None and mv and cr is not None and not cr:
            bays = doubt(ev, us, u)
            if len(bays) > 1:
                check.append({"epc": e, "home": home.get(e, ""), "found": u, "candidates": bays})
    return out


__all__ = ["AGREE_DB", "CHECK_BAYS", "CHECK_SHARE", "HOME_SHARE", "STEADY_PERIODS", "agreed", "arbitrate", "doubt",
           "place_reads", "unit_evidence"]
