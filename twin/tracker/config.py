"""The tracker's configuration: defaults by antenna kind (assumptions) overridden by fitted or hand-set values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import ProblemList

#: Default weight of one read by antenna kind, as a share of the acceptance threshold (assumption, replaced by `fit`):
#: a portal read alone moves a tag (a portal-covered door is rarely crossed unseen), room and unit antennas need two.
DEFAULT_KIND_WEIGHT = {"zone": 0.5, "shelf": 0.5, "desk": 0.5, "portal": 1.0, "handheld": 0.0}


@dataclass(frozen=True)
class TrackerConfig:
    threshold: float = 1.0  # evidence a run needs to be accepted
    reads_per_threshold: float = 1.5  # a tag read lambda times per second needs lambda / this times the threshold
    threshold_max_factor: float = 4.0
    min_cycles: int = 1  # a place must win this many 1 s cycles in a run (2: one burst of cross-reads is no move)
    delta: float = 0.05  # SMURF: a present tag may be missed for a whole window with probability < delta
    window_min_s: float = 2.0
    window_max_s: float = 30.0
    watermark_s: float = 2.0  # rows may arrive this late and still be processed in time order
    storage_threshold: float = 1.0
    storage_step: float = 0.34  # evidence of one cycle won by a unit (three cycles in a row accept it)
    #: ... for a tag with no unit accepted and no home yet: one won cycle places it (assumption: a shelf antenna hears
    #: a resting dossier so seldom -- about 15 % of shelf stays never -- that waiting for three leaves most unplaced;
    #: a later rival still needs three. Baseline day storage +1.1 pp, ci-baseline +0.6 pp)
    storage_first_step: float = 1.0
    #: ... for a unit other than the tag's home (filed, swept): 1 / this cycles won in a row, no home cycle between
    #: (assumption: a misfiled dossier heard steadily on another shelf moves there; a neighbour's cross-reads rarely
    #: outlast 20 cycles while the home's antenna stays silent)
    storage_rival_step: float = 0.05
    #: a unit run may pause this many report periods of the slowest unit antenna (assumption, as space runs: one
    #: missed inventory is forgiven, two break the run). Was 1000 (only a rival's reads broke a run): a neighbouring
    #: shelf's cross-reads of a filed dossier, hours apart, then added up over days to the 20 cycles that move it off
    #: its home (the week's storage fell 0.987 -> 0.982 by day 4); a tag's first unit needs one cycle, so silence
    #: between its own shelf's rare reads no longer matters. Baseline day storage 0.9879 -> 0.9933
    unit_gap_periods: float = 2.5
    space_gap_periods: float = 2.5  # the same for space runs (assumption)
    inventory_read_factor: float = 2.0  # a periodic inside antenna's read counts this many times (assumption)
    kind_weight: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_KIND_WEIGHT))
    antenna_weight: Mapping[str, float] = field(default_factory=dict)  # "reader:port" -> weight (from fit)
    unit_weight: Mapping[str, float] = field(default_factory=dict)  # the same for storage-unit evidence
    passage_weight: float = 1.0  # a read opening a burst at a door, as a share of the threshold
    #: scale a passage by its antenna's calibrated precision (off: GPI portals read only while someone passes, so a
    #: portal antenna that hears a neighbouring room's tags then learns a low precision that its passages do not earn)
    passage_trust: bool = False
    #: a portal read outside a passage burst counts this share of its weight (assumption: a GPI portal reads whatever
    #: is near the door whenever someone walks by; only the passage says where a tag went)
    portal_read_factor: float = 0.25
    passage_hops: int = 2  # a passage counts for a tag placed at most this many doors from the side it comes from
    quiet_s: float = 20.0  # silence at a door before a burst counts as a passage (assumption)
    #: a passage burst this soon after the last one may show that one to have been a walk past the door (assumption:
    #: a carrier walks from door to door along a corridor within a minute)
    passby_s: float = 60.0
    burst_s: float = 8.0  # a passage burst lasts at most this long (a walk through a portal's field; assumption)
    #: a tag heard at another door (at passage_min_rssi_dbm or louder) since its last read at a door, and silent there
    #: this long, opens a new burst there even within quiet_s (assumption: it was carried away and back, e.g. out of
    #: an office, into the room next door and back within 20 s -- one burst, whose return was past its young span);
    #: 0: off. Off by default: at 2 s it took the week's wrong passages 76 -> 62, but on the baseline day it cost a
    #: drawer alert (recall 1.0 -> 0.95) and on ci-misbehaviour it raised a false unrecorded_handover (a dossier resting
    #: on a desk by office-02's door, pulled into the corridor by walk-pasts, given the passer's badge)
    burst_split_s: float = 0.0
    #: a burst is a passage only once both of the door's antennas heard the tag this loud (assumption, checked on the
    #: ci-baseline recording: 96 % of crossings reach -60 dBm on both sides; about a third of the bursts of tags walked
    #: past the door or resting near it stay below -65 dBm on one side)
    passage_min_rssi_dbm: float = -65.0
    #: a zone antenna's read fainter than this counts zone_weak_factor of its weight (assumption, checked on the
    #: ci-baseline recording: zone reads below -70 dBm are of tags in another space 9 times in 10, at -65..-70 half
    #: the time, at -60 dBm or louder one time in five or less)
    zone_weak_dbm: float = -70.0
    zone_weak_factor: float = 0.2
    #: a dossier crossing a door in the same burst as a badge takes the direction of the badge's walk
    badge_direction: bool = True
    badge_first: bool = False  # ... even before the dossier's own walk (off: only when the dossier's gives none)
    #: an archive event of a dossier read within this long before it moves the dossier into the unit's space (the
    #: keeper filed it there; assumption); 0: off
    filing_move_s: float = 600.0
    sweep_prior: bool = True  # a handheld sweep's report (found on a unit) moves the tag into that unit's space
    #: ... and names its home unit, reported while it is in that space until a shelf antenna places it elsewhere
    sweep_unit: bool = True
    #: a dossier with a home in its home's space is on its home even when a shelf antenna placed it on another unit
    #: (off: the unit the reads accepted wins, so a misfiled dossier is shown on the shelf that hears it; on gives
    #: ci-baseline storage +0.24 pp but keeps every misfiled dossier on its home)
    home_first: bool = False
    filing_prior: bool = True  # archive events name a dossier's unit: used for its unit and until it is first read
    #: register / item_register events name the unit the case software assigned (`home UNIT`): the tag's home, its
    #: unit while it is in the home's room and no shelf antenna places it elsewhere (a file-tracking system keeps
    #: each file's home location from registration on; FileTrail, ANCHORS "File and evidence tracking")
    registered_home: bool = True
    calibrate: bool = True  # learn each antenna's cross-read rate online (twin.tracker.calib); its prior: the weights
    calib_prior_reads: float = 50.0  # the prior weight counts as this many reads (assumption)
    #: business stages during which a dossier is at an external place of the site (assumption: the procuratorate
    #: holds the volumes while it approves an arrest and after a transfer for prosecution)
    offsite_stages: Mapping[str, str] = field(
        default_factory=lambda: {"arrest_approval": "procuratorate", "transferred": "procuratorate"})
    #: the volumes come back this long after the case leaves an away stage when no checkin says so (assumption: the
    #: officer fetches them within a few days, a weekend included); 0: only a checkin brings them back
    offsite_return_s: float = 3 * 86400.0
    #: a dossier checked out to an external place, last estimated in an outside space, unheard this long: gone by road
    #: (assumption: about the walk from the exterior door to a car; nothing in a car park reads a dossier in a car, so
    #: silence after the exit is all there is to go by; 0: off)
    offsite_silence_s: float = 30.0
    unread_prior_s: float = 600.0  # after this much stream, unread dossiers go where read active ones are (0: off)
    #: a space whose every door is portal-watched (an office, the dossier room, the archive) is left and entered only
    #: through a door: a placed tag's evidence for another place counts this share of itself unless a burst of the tag
    #: began within `sealed_open_s` at a door of its space (to leave) and of the space named (to enter) (assumption:
    #: portals miss few crossings; walls are never crossed; 0.1 beat 0.0 and 0.02 on the baseline day). 1.0: off
    sealed_factor: float = 0.1
    sealed_open_s: float = 120.0
    #: ... a burst counts once both of the door's antennas heard the tag (off: any burst; ci-baseline zone -0.3 pp)
    sealed_both_sides: bool = True
    #: ... the place a row leaves is where the tag's latest passage earlier in the batch took it (a dossier carried in
    #: from the car park, placed at the procuratorate by a business event, was taken into the evidence room by a walk
    #: past its door seconds after its passage into the corridor: the passage had made its place one of reads)
    sealed_batch_place: bool = True
    #: ... a burst the door's light barriers took into the space opens it for no leaving, one they took out of it for
    #: no entering (assumption: the beams tell the way through; a dossier just carried into office-05 was pulled out
    #: by the corridor antenna of the door opposite while its entering burst kept the office open)
    sealed_beam_close: bool = True
    #: ... and evidence the beams so shut out counts this share of itself (< 0: sealed_factor; assumption: the beams'
    #: word is firmer than "no burst lately"; a dossier just carried into office-02 was pulled out at 0.1 by the steady
    #: reads of the corridor antenna of the door opposite; baseline day 0.0 and 0.02 the same, 0.02 leaves a way back)
    sealed_beam_factor: float = 0.02
    holder_window_s: float = 3.0  # a dossier and a badge crossing one door within this are taken as carried together
    #: a tag crossing a portal with a badge (bursts starting within holder_window_s) takes the mean of its own antenna
    #: sequence and the badge's, the badge's counting this much (twin.tracker.carrier; assumption, checked on the
    #: baseline day's recorded crossings: storage-room doors 684 -> 697 of 755 right, office doors 366 -> 378 of 384);
    #: 0: off
    carrier_seq_weight: float = 1.0
    #: a passage row outweighs all earlier passage rows of its tag in the batch (portal.latest_wins), so the latest
    #: judgement of a burst wins its 1 s cycle instead of the side read most often in it
    passage_latest_wins: bool = True
    #: door light barriers (site.json reader `gpi`, kind light_barrier; GPIEvent rows in the reader status stream;
    #: twin.tracker.beams): a passage burst takes the direction of the door's crossing beside it, and a burst with no
    #: crossing while the door's beams work is a walk past (no move). False: the antennas alone, as without beams
    beams: bool = True
    beam_pair_s: float = 1.5  # a door's second beam broken within this after the first: one crossing (assumption)
    #: a beam broken alone this soon after the door's other beam, already paired with an earlier break of this one:
    #: a second crossing, toward this beam's side (assumption: two people crossing opposite ways at once break the
    #: other beam once, the sensor merging overlapping bodies: 3 of the seed-1 week's wrong passages; 0: off, such a
    #: break is a crossing of unknown direction)
    beam_shared_s: float = 0.5
    beam_silence_s: float = 86400.0  # a beam unchanged this long is not trusted to work (assumption)
    beam_stuck_s: float = 60.0  # a beam interrupted this long is blocked or failed (assumption)
    #: a crossing up to this long before a burst's first read belongs to it (assumption: a tag first heard on the far
    #: side just after its carrier broke the beams; the portal starts reading as the person comes near the door)
    beam_pre_s: float = 3.0
    #: weight of a crossing's direction, in seconds of antenna sequence (so it overrules the sequence, the walk and
    #: the badge; several crossings both ways leave them to decide)
    beam_weight_s: float = 10.0
    #: a burst heard by one side only (or one side fainter than passage_min_rssi_dbm) is a passage when a crossing
    #: of its door took the tag from where it was to the side that heard it, loud enough (assumption)
    beam_one_side: bool = True
    #: ... only for a tag unheard at that door this long before its burst (assumption: a dossier resting in a room
    #: by the door is heard by the far side's antenna through the doorway at every crossing, minutes apart; on the
    #: ci-baseline recording one on the dossier room's shelf was taken into the corridor at -62 dBm, 130 s after its
    #: last burst there)
    beam_one_side_quiet_s: float = 600.0
    #: ... or, heard there more lately, when this many crossings of the door since its last read there did not hear
    #: it (a tag resting by the door is heard at every crossing; a dossier taken into the dossier room 34 s before and
    #: carried out, heard on the corridor side only, stayed in the room; seed-1 week 62 -> 60 wrong); 0: off
    beam_one_side_unheard_n: int = 2
    #: ... and a burst heard on the crossing's origin side only (its new side never heard it: a storage room's
    #: antenna busy with its shelf tags) counts when a badge's burst at the door, beside it (holder_window_s), was
    #: judged to the crossing's destination: the carrier took it through (assumption)
    beam_follow_badge: bool = True
    #: ... judging "placed on the other side" (and "on the origin side" for a badge to follow) by where this batch's
    #: earlier directed passages of the tag left it, and any space joined to that side by unwatched doors, links or
    #: corridors counting as that side (a dossier carried out of an office and along the corridor to the dossier room
    #: was still "in the office" until the batch ended, so its one-sided entry did not count)
    beam_batch_place: bool = True
    #: ... also for a tag just carried along the origin side (a passage row of the batch at another door heard on a
    #: side open to it, within passby_s): a dossier carried out of office-06 into the dossier room was "in office-06"
    #: still, its exit judged by its own sequence with crossings both ways, so the beams' place had not moved
    beam_follow_seen: bool = True
    #: ... and a row whose crossing out of its side comes up to beam_post_s after it follows too, stamped then (the
    #: corridor side hears a carried dossier up to the door; the room side, busy with its shelf tags, never does)
    beam_follow_post: bool = True
    #: ... the badge to follow may also be one with a passage row at the door within holder_window_s of the row (its
    #: burst began earlier: an officer near the door before going through; matched by burst start it was missed)
    beam_follow_time: bool = True
    #: with crossings both ways beside a burst (the antennas decide), the tag's own antenna sequence alone, not mixed
    #: with a carrier badge's (matched by burst start, with several people at the door often another one's: a dossier
    #: carried out of the dossier room was turned back by the sequence of a badge that had gone in 11 s before)
    beam_both_own_seq: bool = True
    #: a one-sided burst row (beam_one_side) whose crossing comes up to this long after it counts too, stamped this
    #: long after the read (assumption: a dossier carried in front of the body is through the door, and heard on its
    #: new side, before the body breaks the second beam); 0: off
    beam_post_s: float = 1.0
    #: a burst row heard on the origin side only, at beam_alone_dbm or louder, up to this long after the door's
    #: latest directed crossing, which went out of that side, is a passage with no badge beside (assumption: the
    #: carrier is in the doorway; a storage room's antenna, busy with its shelf tags, hears neither dossier nor
    #: badge); 0: off
    beam_alone_s: float = 1.0
    beam_alone_dbm: float = -65.0
    #: ... and such a row whose crossing out of its side comes up to beam_post_s after it (stamped then; assumption:
    #: the dossier carried in front of the body, heard up to the door); False: off
    beam_alone_post: bool = True

    #: failed light barriers found fast (twin.tracker.beam_watch): a beam unchanged through `beam_alone_n`
    #: interruptions of its door's other beam is dead (assumption: a person going through breaks both; the twin misses
    #: one interruption in 500); a door whose two beams did not change while `beam_unseen_n` tags in a row were carried
    #: through (heard by both of its antennas, the loudest read of each side at `beam_unseen_dbm` or louder, out of
    #: `beam_unseen_quiet_s` of silence there; moved by the core across it and still there `beam_unseen_stay_s` later;
    #: no beam change within `beam_unseen_near_s` of it) is not trusted until a beam changes; both raise
    #: reader_offline naming the reader and port, as a beam interrupted for over beam_stuck_s does. False: as before.
    #: The numbers are assumptions, checked for no verdict on healthy beams (ci-baseline, ci-misbehaviour and the
    #: baseline day, seed 1: 0, 2 and 4 crossings unseen, never two in a row at one door; docs/reader-events.md)
    beam_watch: bool = True
    beam_alone_n: int = 6
    beam_unseen_n: int = 2
    beam_unseen_dbm: float = -65.0
    beam_unseen_quiet_s: float = 60.0
    beam_unseen_stay_s: float = 60.0
    beam_unseen_near_s: float = 5.0
    #: ... and only crossings with a badge heard at the door in the tag's burst count (a person carried it). Seed 1
    #: week, without it and with beam_alone_n 3: 5 false reader_offline alerts -- items resting by the evidence room's
    #: door flickering across it at night (2 doors x 2 beams), one person turning back in the dossier room's doorway
    #: three times in a row (alone)
    beam_unseen_badge: bool = True
    #: a door judged silent through crossings is distrusted (its passages go by the antennas) but raises reader_offline
    #: only when this is on: those crossings are the core's own moves, and misjudged ones look the same (the seed-1
    #: week, badge rule on: 4 false alerts, resting items flickering across the evidence room's and archive's doors)
    beam_silent_alert: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None, source: str = "tracker config") -> "TrackerConfig":
        d = dict(d or {})
        d.pop("fit", None)
        pl = ProblemList(source)
        known = set(cls.__dataclass_fields__)
        for k in list(d):
            if k not in known:
                pl.add(k, d[k], f"one of {sorted(known)}")
                d.pop(k)
        for k in ("threshold", "delta", "window_min_s", "window_max_s", "watermark_s", "storage_threshold"):
            if k in d and not (isinstance(d[k], (int, float)) and d[k] >= 0):
                pl.add(k, d[k], "a number >= 0")
                d.pop(k)
        if "kind_weight" in d:
            d["kind_weight"] = {**DEFAULT_KIND_WEIGHT, **d["kind_weight"]}
        pl.raise_if_any()
        return cls(**d)
