"""Rule-based reader placement for a floor: the generator of the shipped `full` and `lean` placements.

A planner re-runs it after changing the floor (`python -m twin.readers.autoplace FLOOR PROFILE -o FILE`) rather than
editing dozens of antennas by hand. The rules:

- portals (one reader, two antennas, one on each side of the door, facing it) on exterior doors and on the doors of
  storage rooms (dossier room, archive, evidence room); `full` adds the doors of offices;
- one short-range shelf antenna per shelf or cabinet, on the front edge of the unit facing the files, at its own
  per-antenna power and isolated from the other bays, on the room's reader (up to 32 ports per reader);
- `full` only: one desk pad per desk, each on its own low-power desk reader (as county courts deploy them);
  a ceiling zone antenna in storage rooms and in rooms where dossiers are handled away from desks;
- one handheld reader per storage room, kept in that room, for the keeper's inventory sweeps.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from twin.building.geometry import ahead, distance_to_segment, edges
from twin.building.model import STORAGE_PURPOSES, Door, Floor, Space

from .placement import Antenna, Placement, Reader

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
# ~1 W (ANCHORS)
PORTAL = dict(power_dbm=30.0, gain_dbi=6.0, beamwidth_deg=70.0, height_m=2.2, session="S0", trigger="gpi")
PORTAL_OFFSET_M = 0.5  # antenna stands this far out from the door's wall, inside its space
# ... and this far to the side of the door's centre (beside the frame of a 1.2 m door), its boresight half toward the
# door's wall and fully across the approach (assumption: jamb-mounted portal antennas look across the doorway, so
# the room beyond the door sits far off their axis and behind a wall; one facing straight through the door read the
# shelves of the room beyond whenever someone passed)
PORTAL_SIDE_M = 0.9
PORTAL_TOWARD, PORTAL_ACROSS = 0.5, -1.0
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
# a desk pad reads to ~1.2 m (ANCHORS)
DESK = dict(power_dbm=15.0, gain_dbi=1.0, beamwidth_deg=120.0, height_m=0.75, session="S2", trigger="periodic")
# Handheld (assumptions): for shelf-by-shelf inventory the keeper turns the handheld down (handhelds adjust their
# transmit power over ~0-30 dBm) to 20 dBm, 10 dB below the ~1 W that reads to 3-4 m (ANCHORS, Welbourne et al.), and
# runs it in S0 (dual target: every tag in reach answers in every round, so how steadily a tag answers at each shelf
# tells its shelf; ANCHORS: dual target to detect removal from a shelf); it reports to the app every second. The
# twin carries no orientation for a handheld, so its pattern is taken as nearly omnidirectional in plan (a 360 deg
# "beamwidth": at most 3 dB off axis) rather than a patch pointed the wrong way half of the time.
HANDHELD = dict(power_dbm=20.0, gain_dbi=1.0, beamwidth_deg=360.0, height_m=1.2, session="S0", trigger="continuous")
DWELL_MS = 200.0
# Report periods per reader kind (assumption). An LLRP reader aggregates TagReportData (TagSeenCount, First/LastSeen)
# until its ROReportSpec trigger fires (every N tags or at the end of an AISpec/ROSpec; ANCHORS LLRP 1.1 §14.2):
# portals report every 5 s while triggered (a passage lasts ~4-5 s of sensor time, so one report per antenna and tag
# per passage, FirstSeen/LastSeen telling the order of the two antennas; LLRP lets the period cut a long ROSpec);
# room readers take an
# inventory every 60 s (movement between rooms is caught by the portals; a cycle of up to 32 x 200 ms fits);
# desk pads every 20 s; a handheld streams to its operator every second.
PORTAL_REPORT_MS = 5000.0
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
                    ant = _antenna(rid, 1, "desk", space, u.position, 0.0, DESK, storage=u.id)
                    readers.append(Reader(rid, "fixed", DESK["power_dbm"], DESK["session"], DWELL_MS, DESK_REPORT_MS,
                                          (ant,), DESK["trigger"]))
        if storage_room:
            rid = f"H-{_slug(space.id)}"
            ant = _antenna(rid, 1, "handheld", space, space.centroid, 0.0, HANDHELD)
            readers.append(Reader(rid, "handheld", HANDHELD["power_dbm"], HANDHELD["session"], DWELL_MS,
                                  HANDHELD_REPORT_MS, (ant,), HANDHELD["trigger"]))
    return Placement(name=f"{floor.name}-{profile}", source=f"<auto_place {profile}>", schema_version=1,
                     floor=floor.name, readers={r.id: r for r in readers})  # fmt: skip


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
    for sid in (door.a, door.b):
        space = floor.spaces[sid]
        if not space.has_geometry:
            continue
        normal = _inward_normal(space, door.position)
        side = PORTAL_SIDE_M  # along the wall, beside the door frame, looking across the door's approach
        xy = (door.position[0] + PORTAL_OFFSET_M * normal[0] - side * normal[1],
              door.position[1] + PORTAL_OFFSET_M * normal[1] + side * normal[0])
        az = math.degrees(math.atan2(-normal[1] * PORTAL_TOWARD + normal[0] * PORTAL_ACROSS,
                                     -normal[0] * PORTAL_TOWARD - normal[1] * PORTAL_ACROSS)) % 360.0
        ants.append(_antenna(rid, len(ants) + 1, "portal", space, xy, az, PORTAL, door=door.id))
    return Reader(rid, "fixed", PORTAL["power_dbm"], PORTAL["session"], DWELL_MS, PORTAL_REPORT_MS, tuple(ants),
                  PORTAL["trigger"])


def _inward_normal(space: Space, p: tuple[float, float]) -> tuple[float, float]:
    """Unit normal of the space's wall nearest to p, pointing into the space."""
    (a, b) = min(edges(space.polygon), key=lambda e: distance_to_segment(*e[0], *e[1], *p))
    dx, dy = b[0] - a[0], b[1] - a[1]
    n = math.hypot(dx, dy)
    nx, ny = -dy / n, dx / n
    if not space.contains(p[0] + 0.05 * nx, p[1] + 0.05 * ny):
        nx, ny = -nx, -ny
    return nx, ny


def _toward(src: tuple[float, float], dst: tuple[float, float]) -> float:
    return math.degrees(math.atan2(dst[1] - src[1], dst[0] - src[0])) % 360.0


def _antenna(rid, port, kind, space: Space, xy, az, settings: dict, *, door: str = "", storage: str = "") -> Antenna:
    return Antenna(
        reader=rid, port=port, kind=kind, level=space.level, position=(round(xy[0], 3), round(xy[1], 3)),
        height_m=settings["height_m"], azimuth_deg=round(az, 1), beamwidth_deg=settings["beamwidth_deg"],
        gain_dbi=settings["gain_dbi"], space=space.id, door=door, storage=storage,
        power_dbm=settings.get("power_dbm") if kind in ("shelf", "zone") else None, isolation_db=settings.get("isolation_db", 0.0),
    )  # fmt: skip


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
