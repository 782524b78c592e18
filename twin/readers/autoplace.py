"""Rule-based reader placement for a floor: the generator of the shipped `full` and `lean` placements.

A planner re-runs it after changing the floor (`python -m twin.readers.autoplace FLOOR PROFILE -o FILE`) rather than
editing dozens of antennas by hand. The rules:

- portals (one reader, two antennas, one on each side of the door, facing it) on exterior doors and on the doors of
  storage rooms (dossier room, archive, evidence room); `full` adds the doors of offices;
- one short-range shelf antenna per shelf or cabinet, on the front edge of the unit facing the files, at its own
  per-antenna power and isolated from the other bays, on the room's reader (up to 32 ports per reader);
- `full` only: one desk pad per desk, under the desktop facing up, each on its own low-power desk reader (as county
  courts deploy them), isolated from anything not on its desk and shielded on the side of a storage room's wall;
  a ceiling zone antenna in storage rooms and in rooms where dossiers are handled away from desks;
- one handheld reader per storage room, kept in that room, for the keeper's inventory sweeps;
- every GPI-triggered portal has a pair of light barriers across its doorway on the reader's GPI inputs (port 1
  just inside the face of the first antenna's space, port 2 just inside the other face): the order in which a
  person breaks them gives the direction of a passage, as in directional people-counting portals.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from twin.building.geometry import ahead, distance_to_segment, edges, inward_normal
from twin.building.model import STORAGE_PURPOSES, Door, Floor, Space

from .placement import Antenna, GpiInput, Placement, Reader

PROFILES = ("full", "lean")
OFFICE_PURPOSES = ("office", "legal", "leader")
#: Rooms (besides storage rooms) where dossiers are read away from desks: a ceiling antenna covers them (full only).
ZONE_PURPOSES = ("interrogation", "meeting", "case_centre", "reception", "duty")

# Installer settings (assumptions, except where cited). Gen2 sessions and targets: Impinj support notes (ANCHORS:
# smart cabinets run S2/S3 single target); persistence S1 0.5-5 s, S2/S3 > 2 s unpowered (Gen2 spec, ANCHORS).
# Start triggers are LLRP ROSpecStartTriggers (twin.readers.triggers): readers never re-report idle static tags every
# second, which real installations avoid too (a station's readers share <= ~1,500 tags/s each, ANCHORS).
# - portals run only while the door's motion sensor / light barrier fires (GPI trigger), in S0 (dual target) so a
#   carried tag is read in every round on both antennas (direction from their order) and a resting tag next door
#   only while someone passes;
# - room readers (shelf, cabinet, zone antennas) take a periodic inventory: one antenna cycle (dwell each, in port
#   order) at the start of every report period, single target S2, reported at the end of the cycle. Between cycles
#   the tags are unpowered for far longer than the S2 persistence, so each cycle reads every tag in reach once;
# - desk pads likewise, more often (a dossier picked up from a desk should show soon);
# - a handheld runs continuously while carried, dual target S0 at reduced power (see HANDHELD), 1 s reports.
# Portal antennas (direction-sensing portal, the usual two-antenna layout: one antenna over each face of the door,
# each aimed away from the door into its own side's approach). A tag carried through is heard first and loudest by
# the antenna of the side it comes from and last by the side it goes to; a tag on the far side sits behind an
# antenna (its back lobe, RFParams.front_to_back_db) so each antenna hears mostly its own side. Mounted at 2.3 m it
# looks down onto the approach (rf.depression_deg, RFParams.portal_aim_m), so the floor beside the door is in its
# main lobe and the far end of the room is not. ~1 W (ANCHORS); gain as the other fixed antennas; a 55 deg beam
# (assumption: a narrow-beam portal patch, narrower than the 70 deg room patches).
PORTAL = dict(power_dbm=30.0, gain_dbi=6.0, beamwidth_deg=55.0, height_m=2.3, session="S0", trigger="gpi")
#: LLRP per-antenna transmit power of both antennas of a storage room's portal (assumption: turned down so the
#: portal does not inventory the room's shelves whenever someone passes, which left a carried tag few Gen2 slots,
#: and so the corridor side does not hear through the wall a dossier just put down inside the door; the approach
#: below each antenna is still within ~1.5 m)
PORTAL_STORAGE_DBM = 24.0
PORTAL_OFFSET_M = 0.15  # assumption: the antenna's face stands this far off the door's wall, over the door's centre
PORTAL_SIDE_M = 0.0  # ... and this far along the wall from the door's centre (0: straight over the door)
ROOM = dict(power_dbm=27.0, session="S2", trigger="periodic")
# Shelf/cabinet antennas (assumption; smart-shelf and file-room practice, FileTrail-style bays): a short-range
# patch on the front edge of each bay (inset_m = 1: the unit's front face), facing the files, at its own LLRP
# per-antenna transmit power (RFTransmitter per AntennaConfiguration) well below the room reader's; isolation_db is
# the loss to anything outside the bay: steel sides/top/back of the shelving around the antenna and a short-range
# antenna's fast roll-off beyond ~1 m (assumption, ~30 dB: a closed steel cabinet is 25-30 dB, RFParams).
SHELF = dict(gain_dbi=6.0, beamwidth_deg=70.0, height_m=1.0, power_dbm=24.0, isolation_db=30.0, inset_m=1.0)
ZONE = dict(gain_dbi=6.0, beamwidth_deg=360.0, height_m=2.8)  # ceiling antenna looking down: omnidirectional in plan
#: A ceiling antenna over smart shelves is turned down to read the reading area, not the shelves (assumption).
STORAGE_ZONE = dict(ZONE, power_dbm=15.0)
# Desk pads (a desk pad reads to ~1.2 m, ANCHORS: FileTrail product sheet). Mounted under the desktop at the desk's
# centre, facing up through the board (height 0.72 m: under a 0.75 m desktop, assumption), so the files lying on the
# desk are straight above it and everything beside the desk is far off its axis (rf.geometry: desk pads look up; the
# twin's tags all ride above a pad, so its downward null is never tested). Its own LLRP per-antenna transmit power
# (15 dBm, ~15 dB below a room reader's 1 W: assumption) and isolation_db: the loss, each way, to any tag not lying on
# the desk, i.e. a near-field desk pad's fast roll-off beyond the desktop it sits under (assumption, 20 dB: short-
# range pads read what lies on them, not the officer's chair or the next desk; 10 dB less than a steel shelf bay's).
DESK = dict(power_dbm=15.0, gain_dbi=1.0, beamwidth_deg=120.0, height_m=0.72, isolation_db=20.0, session="S2",
            trigger="periodic")
#: A desk whose pad stands within the pad's read range (~1.2 m, ANCHORS) of a wall shared with a storage room gets a
#: shield on that side (a grounded plate or absorber along the desk's back, as installers do against cross-reads:
#: ANCHORS, "cross-reads ... fixed by shielding"): DESK_SHIELD_DB more isolation (assumption, 10 dB). Its power stays:
#: the desk's own files lie straight over the pad, 0.3 m away, with ~9 dB of mean forward margin at 15 dBm, which
#: fading (sigma 9.6 dB, ANCHORS Rappaport) already eats into.
DESK_SHIELD_RANGE_M = 1.2
DESK_SHIELD_DB = 10.0
# Handheld (assumptions): for shelf-by-shelf inventory the keeper turns the handheld down (handhelds adjust their
# transmit power over ~0-30 dBm) to 20 dBm, 10 dB below the ~1 W that reads to 3-4 m (ANCHORS, Welbourne et al.), and
# runs it in S0 (dual target: every tag in reach answers in every round, so how steadily a tag answers at each shelf
# tells its shelf; ANCHORS: dual target to detect removal from a shelf); it reports to the app every second. Its
# antenna is a small integrated patch, the keeper pointing it at the unit being scanned (the sweep's aim, carried on
# the handheld's track; along the walk between units): 90 deg beamwidth, 4 dBi (assumption: no datasheet figure at
# hand; a palm-sized UHF patch is broader and lower in gain than a 70 deg, 6 dBi fixed panel), its back lobe the
# link model's front_to_back_db (20 dB, assumption) as every antenna's.
HANDHELD = dict(power_dbm=20.0, gain_dbi=4.0, beamwidth_deg=90.0, height_m=1.2, session="S0", trigger="continuous")
DWELL_MS = 200.0
# Report periods per reader kind (assumption). An LLRP reader aggregates TagReportData (TagSeenCount, First/LastSeen)
# until its ROReportSpec trigger fires (every N tags or at the end of an AISpec/ROSpec; ANCHORS LLRP 1.1 §14.2):
# portals report every second while triggered (a passage lasts ~3-5 s of sensor time, so each antenna reports a tag
# 2-5 times per passage and the order and weight of the two sides' reads over time tell the direction; a 5 s period
# left one report per side whose FirstSeen/LastSeen both spanned the whole trigger);
# room readers take an
# inventory every 60 s (movement between rooms is caught by the portals; a cycle of up to 32 x 200 ms fits);
# desk pads every 20 s; a handheld streams to its operator every second.
PORTAL_REPORT_MS = 1000.0
ROOM_REPORT_MS = 60_000.0
DESK_REPORT_MS = 20_000.0
HANDHELD_REPORT_MS = 1000.0
REPORT_PERIOD_MS = 1000.0  # default for readers built elsewhere (calibration layouts)
MAX_PORTS = 32


def auto_place(floor: Floor, profile: str = "full") -> Placement:
    """A placement for `floor` following the module's rules; `profile` is "full" or "lean"."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    full = profile == "full"
    readers: list[Reader] = []
    for door in _portal_doors(floor, full):
        readers.append(_portal_reader(floor, door))
    for space in sorted(floor.spaces.values(), key=lambda s: s.id):
        if not space.has_geometry:
            continue
        storage_room = space.purpose in STORAGE_PURPOSES
        ants: list[tuple[str, tuple, float, str, dict]] = []  # kind, xy, azimuth, storage, settings
        if storage_room or full:
            for u in floor.storage_in(space.id):
                if u.kind in ("shelf", "cabinet"):
                    xy = ahead(u.position, u.facing_deg, SHELF["inset_m"] * u.depth_m / 2)
                    ants.append(("shelf", xy, u.facing_deg % 360.0, u.id, SHELF))
        if full and (storage_room or space.purpose in ZONE_PURPOSES):
            ants.append(("zone", space.centroid, 0.0, "", STORAGE_ZONE if storage_room else ZONE))
        for k in range(0, len(ants), MAX_PORTS):
            rid = f"R-{_slug(space.id)}" + (f"-{k // MAX_PORTS + 1}" if k else "")
            antennas = tuple(
                _antenna(rid, port, kind, space, xy, az, settings, storage=sid)
                for port, (kind, xy, az, sid, settings) in enumerate(ants[k : k + MAX_PORTS], start=1)
            )
            readers.append(Reader(rid, "fixed", ROOM["power_dbm"], ROOM["session"], DWELL_MS, ROOM_REPORT_MS, antennas,
                                  ROOM["trigger"]))
        if full:
            for u in floor.storage_in(space.id):
                if u.kind == "desk":
                    rid = f"R-desk-{_slug(u.id)}"
                    ant = _antenna(rid, 1, "desk", space, u.position, 0.0, desk_settings(floor, space, u.position),
                                   storage=u.id)
                    readers.append(Reader(rid, "fixed", DESK["power_dbm"], DESK["session"], DWELL_MS, DESK_REPORT_MS,
                                          (ant,), DESK["trigger"]))
        if storage_room:
            rid = f"H-{_slug(space.id)}"
            ant = _antenna(rid, 1, "handheld", space, space.centroid, 0.0, HANDHELD)
            readers.append(Reader(rid, "handheld", HANDHELD["power_dbm"], HANDHELD["session"], DWELL_MS,
                                  HANDHELD_REPORT_MS, (ant,), HANDHELD["trigger"]))
    return Placement(name=f"{floor.name}-{profile}", source=f"<auto_place {profile}>", schema_version=1,
                     floor=floor.name, readers={r.id: r for r in readers})  # fmt: skip


def desk_settings(floor: Floor, space: Space, pad_xy: tuple[float, float]) -> dict:
    """A desk pad's settings: DESK, shielded (more isolation) when the pad is within DESK_SHIELD_RANGE_M
    of a wall `space` shares with a storage room on its level."""
    if storage_wall_m(floor, space, pad_xy) > DESK_SHIELD_RANGE_M:
        return DESK
    return dict(DESK, isolation_db=DESK["isolation_db"] + DESK_SHIELD_DB)


def storage_wall_m(floor: Floor, space: Space, xy: tuple[float, float]) -> float:
    """Distance (m) from xy to the nearest wall of a storage room on `space`'s level (inf when there is none);
    `space` itself is left out (a desk in a storage room is the room's own)."""
    best = math.inf
    for other in floor.spaces.values():
        if other.id == space.id or other.purpose not in STORAGE_PURPOSES or not other.has_geometry:
            continue
        if other.level != space.level:
            continue
        for a, b in edges(other.polygon):
            best = min(best, distance_to_segment(*a, *b, *xy))
    return best


def _portal_doors(floor: Floor, full: bool) -> list[Door]:
    watched = set(STORAGE_PURPOSES) | (set(OFFICE_PURPOSES) if full else set())
    out = []
    for d in sorted(floor.doors.values(), key=lambda d: d.id):
        purposes = {floor.spaces[d.a].purpose, floor.spaces[d.b].purpose}
        if d.exterior or purposes & watched:
            out.append(d)
    return out


def _portal_reader(floor: Floor, door: Door) -> Reader:
    rid = f"R-{_slug(door.id)}"
    ants = []
    storage = {floor.spaces[door.a].purpose, floor.spaces[door.b].purpose} & set(STORAGE_PURPOSES)
    for sid in (door.a, door.b):
        space = floor.spaces[sid]
        if not space.has_geometry:
            continue
        xy, az = portal_mount(space, door.position)
        settings = dict(PORTAL, power_dbm=PORTAL_STORAGE_DBM) if storage else PORTAL
        ants.append(_antenna(rid, len(ants) + 1, "portal", space, xy, az, settings, door=door.id))
    return Reader(rid, "fixed", PORTAL["power_dbm"], PORTAL["session"], DWELL_MS, PORTAL_REPORT_MS, tuple(ants),
                  PORTAL["trigger"], _door_beams(floor, rid, door, ants) if PORTAL["trigger"] == "gpi" else ())


def _door_beams(floor: Floor, rid: str, door: Door, ants: list[Antenna]) -> tuple[GpiInput, ...]:
    """Two light barriers across the doorway: GPI port 1 on the first antenna's side, port 2 on the other side
    (sides without geometry get none)."""
    first = ants[0].space if ants else door.a
    sides = [first] + [s for s in (door.a, door.b) if s != first]
    sides = [s for s in sides if floor.spaces[s].has_geometry]
    return tuple(GpiInput(rid, k, "light_barrier", door.id, s) for k, s in enumerate(sides, start=1))


def portal_mount(space: Space, door_xy: tuple[float, float]) -> tuple[tuple[float, float], float]:
    """(position, azimuth_deg) of a portal antenna on `space`'s face of the door at door_xy: over the door,
    PORTAL_OFFSET_M off the wall (PORTAL_SIDE_M along it), facing away from the door into the space."""
    nx, ny = inward_normal(space.polygon, door_xy)
    xy = (door_xy[0] + PORTAL_OFFSET_M * nx - PORTAL_SIDE_M * ny, door_xy[1] + PORTAL_OFFSET_M * ny + PORTAL_SIDE_M * nx)
    return xy, math.degrees(math.atan2(ny, nx)) % 360.0


def _toward(src: tuple[float, float], dst: tuple[float, float]) -> float:
    return math.degrees(math.atan2(dst[1] - src[1], dst[0] - src[0])) % 360.0


def _antenna(rid, port, kind, space: Space, xy, az, settings: dict, *, door: str = "", storage: str = "") -> Antenna:
    return Antenna(
        reader=rid, port=port, kind=kind, level=space.level, position=(round(xy[0], 3), round(xy[1], 3)),
        height_m=settings["height_m"], azimuth_deg=round(az, 1), beamwidth_deg=settings["beamwidth_deg"],
        gain_dbi=settings["gain_dbi"], space=space.id, door=door, storage=storage,
        power_dbm=_own_power(kind, settings), isolation_db=settings.get("isolation_db", 0.0),
    )  # fmt: skip


def _own_power(kind: str, settings: dict) -> float | None:
    """An antenna's own transmit power: shelf, zone and desk antennas always, a portal antenna when turned down."""
    if kind in ("shelf", "zone", "desk") or (kind == "portal" and settings["power_dbm"] != PORTAL["power_dbm"]):
        return settings.get("power_dbm")
    return None


def _slug(s: str) -> str:
    return s.replace("/", "-")


def main(argv: list[str] | None = None) -> int:
    from twin.building.floorfile import load_floor

    from .placementfile import write_placement

    ap = argparse.ArgumentParser(prog="python -m twin.readers.autoplace", description=__doc__.splitlines()[0])
    ap.add_argument("floor", type=Path)
    ap.add_argument("profile", choices=PROFILES)
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args(argv)
    floor = load_floor(args.floor)
    placement = auto_place(floor, args.profile)
    note = f"generated by twin.readers.autoplace ({args.profile}) from {args.floor.name}; re-run it after editing the floor"
    write_placement(placement, args.output, description=note)
    print(f"{args.output}: {len(placement.readers)} readers, {len(placement.antennas)} antennas")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
