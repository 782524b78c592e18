"""Passage rows judged by the doors' light barriers (`beam_rows`): which of a tag's portal rows are a passage, and
which way, once `twin.tracker.beams.Beams` has paired the beams' interruptions into crossings -- a directed crossing
gives a burst its direction, a working door with no crossing makes it a walk past, and the rules that tie a
dossier's reads to a crossing (its carrier's badge, the batch place, reads alone on one side) live here. Split from
`beams` (the beams' state and crossings) so each module keeps one concept.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .beams import _OLD, Beams
from .kernels_portal import crossed_between, seen_side_pass


@njit(cache=True)
def _latest_pass(door, t, c_door, c_t, c_dest, c_origin):
    """Per row: the latest directed crossing of its door at or before t -- its destination, origin and time (-1, -1,
    -1: none); crossings sorted by (door, time)."""
    n = len(door)
    dest = np.full(n, -1, np.int64)
    orig = np.full(n, -1, np.int64)
    when = np.full(n, -1, np.int64)
    for i in range(n):
        lo = np.searchsorted(c_door, door[i])
        up = np.searchsorted(c_door, door[i], side="right")
        j = lo + np.searchsorted(c_t[lo:up], t[i], side="right") - 1
        while j >= lo:
            if c_dest[j] >= 0:
                dest[i], orig[i], when[i] = c_dest[j], c_origin[j], c_t[j]
                break
            j -= 1
    return dest, orig, when


@njit(cache=True)
def _batch_place(tag, door, young, to, door_spaces, here):
    """Per portal row (sorted by tag, time): where the tag is before the row's burst -- the side a directed crossing
    took it to at the latest earlier passage row of this batch at another door, else its accepted place."""
    n = len(tag)
    out = here.copy()
    cur = before = cur_door = -1
    for i in range(n):
        if i == 0 or tag[i] != tag[i - 1]:
            cur = before = cur_door = -1
        p = cur if cur_door != door[i] else before
        if p >= 0:
            out[i] = p
        if young[i] and to[i] != 0:
            a, b = door_spaces[door[i], 0], door_spaces[door[i], 1]
            dest = max(a, b) if to[i] > 0 else min(a, b)
            if door[i] != cur_door:
                before, cur_door = cur, door[i]
            cur = dest
    return out


def beam_rows(beams: Beams, young: np.ndarray, fresh: np.ndarray, tag: np.ndarray, door: np.ndarray,
              start: np.ndarray, t_us: np.ndarray, own: np.ndarray, other: np.ndarray, rssi: np.ndarray,
              here: np.ndarray, pre_us: int, min_rssi_dbm: float, one_side: bool, quiet_us: np.ndarray,
              one_side_quiet_us: int, last: np.ndarray | None = None, moving_us: int = 0,
              sides: np.ndarray | None = None, follow_badge: bool = False,
              badge: np.ndarray | None = None, batch_place: bool = False,
              beam_to: np.ndarray | None = None, post_us: int = 0,
              follow_seen: bool = False, unheard_n: int = 0,
              follow_post: bool = False, alone_us: int = 0,
              alone_dbm: float = 0.0, alone_post: bool = False) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Passage rows as the door's light barriers judge them, per portal row: (young, to).

    young: the rows the antennas call a passage (both sides heard, loud enough); fresh: the row lies within its
    burst's span; own / other: the row's antenna's side of the door and the space beyond; here: the tag's place;
    quiet_us: the tag's silence at the door before the row's burst (`Passages.quiet_us_row`). While the door's beams
    work, a burst with no crossing beside it is a walk past: its rows are no passage. With one_side, a row the
    antennas alone would not count (one side unheard or faint) is a passage when a crossing of its door went to the
    side that heard it, at min_rssi_dbm or louder, the tag was placed on the other side, the door had not heard it
    for one_side_quiet_us and another door heard it within moving_us of the burst's start (`Passages.last`, per tag
    and door): a tag resting in a room by the door is heard by the far side's antenna through the doorway, at
    crossing after crossing and by no other door; one carried through is heard on its new side at least, and
    usually at the doors it passed on the way.
    to: per row, the crossing's direction (+1: toward the side with the higher space index, -1: the lower, 0: none
    or both ways) for `portal.direction`. sides (`Passages.sides`, per tag and door): a walk past's burst is marked
    heard by neither side, so it opens no sealed space (twin.tracker.kernels_locate.seal_pass) either. badge: per
    row, the tag is a badge: a badge follows no other (it is the carrier), so its origin-side-only burst never counts
    by follow_badge (an officer sitting by the door was taken out with the one who crossed). beam_to (per tag and
    door, `Passages.beam_to`): set to the direction of each (tag, door)'s latest row here, for the sealed-space rule;
    `beams.both`: per row, crossings both ways beside it. post_us > 0: a row the one-sided rule would take but for its
    crossing coming up to post_us after it (one way only) is taken too; `beams.shift` marks it: its evidence must be
    stamped post_us later (never before the crossing that decided it). follow_seen: a tag just carried along the
    origin side (a passage row at another door heard there within moving_us) may follow a badge too; follow_post: a
    row whose crossing out of its side comes up to post_us after it may follow (stamped post_us later,
    `beams.shift`). unheard_n > 0: a tag heard at the door more lately than one_side_quiet_us counts as quiet there
    too when the door's beams saw unheard_n crossings or more since, none of which heard it. alone_us > 0: a row the
    badge rule would weigh (heard on the origin side only), at alone_dbm or louder, up to alone_us after the door's
    latest directed crossing, which went out of its side, is a passage that way with no badge to follow (the carrier
    in the doorway: the new side's antenna, busy with its shelf tags, never heard it, nor the badge); alone_post:
    likewise a row at alone_dbm or louder whose crossing out of its side comes up to post_us after it (follow_post's
    rows), stamped post_us later."""
    beams.follow = np.zeros(len(door), bool)
    beams.shift = np.zeros(len(door), bool)
    to, crossed, live, to_hi, to_lo = beams.match(door, start, t_us, pre_us)
    beams.both = to_hi & to_lo
    past = live & ~crossed
    young = young & ~past & ~(to_hi & to_lo & (rssi < min_rssi_dbm))  # crossings both ways: a faint read says little
    if beam_to is not None and len(door):  # the latest row of each (tag, door) burst: the beams' word on it
        key = np.asarray(tag, np.int64) * beam_to.shape[1] + door
        k, first = np.unique(key[::-1], return_index=True)
        beam_to.reshape(-1)[k] = to[::-1][first]
    if sides is not None and past.any():
        n_d = sides.shape[1]
        key = np.asarray(tag, np.int64) * n_d + door
        shut = np.setdiff1d(key[past], key[crossed])
        sides.reshape(-1)[shut] = 0
    if one_side:
        if batch_place:  # the tag's place as this batch's earlier passages left it (not the place before the batch)
            here = _batch_place(np.asarray(tag, np.int64), np.asarray(door, np.int64), young, to,
                                beams.door_spaces, np.asarray(here, np.int64))  # fmt: skip
        into_own = np.where(own > other, to_hi, to_lo)
        calm = quiet_us >= one_side_quiet_us
        if unheard_n > 0:  # ... or crossings of the door since it last heard the tag did not hear it: not by the door
            q = ~calm & (quiet_us < (1 << 61))
            if q.any():
                s0 = np.asarray(start, np.int64)[q]
                n_x = crossed_between(np.asarray(door, np.int64)[q], s0 - np.asarray(quiet_us, np.int64)[q],
                                      s0 - pre_us, beams.c_door, beams.c_t)  # fmt: skip
                calm[q] = n_x >= unheard_n
        base = fresh & (rssi >= min_rssi_dbm) & calm & ~young
        if last is not None and base.any():
            lt = last[np.asarray(tag, np.int64)[base]].copy()
            lt[np.arange(len(lt)), np.asarray(door, np.int64)[base]] = _OLD  # other doors only
            base[base] = (np.abs(lt - start[base][:, None]) <= moving_us).any(axis=1)
        open_ = beams.reach if batch_place else beams.free
        placed = (here == other) | (here < 0) | (batch_place and open_[here, other])
        young |= base & into_own & placed
        if post_us > 0:  # the new side heard just before the carrier's body broke the second beam
            _, _, _, hi_p, lo_p = beams.match(door, start, t_us + post_us, pre_us)
            into_p = np.where(own > other, hi_p & ~lo_p, lo_p & ~hi_p)
            late = base & ~into_own & into_p & placed & ~young
            if late.any():
                young |= late
                to = np.where(late, np.where(own > other, 1, -1), to).astype(np.int8)
                beams.shift = late
        if follow_badge:
            out_own = np.where(own > other, to_lo, to_hi)
            near = open_[here, own] | (here < 0)  # on the origin side, or in a space open to it
            if follow_seen:  # ... or just carried along it (a passage row at another door, heard on that side)
                near |= seen_side_pass(np.asarray(tag, np.int64), np.asarray(door, np.int64),
                                       np.asarray(t_us, np.int64), young, to, np.asarray(own, np.int64), beams.reach,
                                       int(moving_us))  # fmt: skip
            fl = base & out_own & near & ~young
            if badge is not None:
                fl &= ~badge
            if post_us > 0 and follow_post:  # the crossing just after the origin side's last read (stamped after it)
                _, _, _, hi_p, lo_p = beams.match(door, start, t_us + post_us, pre_us)
                out_p = np.where(own > other, lo_p & ~hi_p, hi_p & ~lo_p)
                fl_late = base & ~out_own & out_p & near & ~young & ~fl
                if badge is not None:
                    fl_late &= ~badge
                if fl_late.any():
                    to = np.where(fl_late, np.where(own > other, -1, 1), to).astype(np.int8)
                    beams.shift = beams.shift | fl_late
                    fl |= fl_late
                    if alone_us > 0 and alone_post:  # loud, the crossing just after it: through, badge or not
                        a_late = fl_late & (rssi >= alone_dbm)
                        young |= a_late
                        fl &= ~a_late
            if alone_us > 0:  # just after the door's latest crossing out of its side, loud: through, badge or not
                c = base & ~young & near & (rssi >= alone_dbm)
                if badge is not None:
                    c &= ~badge
                if c.any():
                    k = np.flatnonzero(c)
                    cd, co, cw = _latest_pass(np.asarray(door, np.int64)[k], np.asarray(t_us, np.int64)[k],
                                              beams.c_door, beams.c_t, beams.c_dest, beams.c_origin)  # fmt: skip
                    ok = (co == np.asarray(own)[k]) & (cd == np.asarray(other)[k]) & (cw >= 0)
                    ok &= np.asarray(t_us, np.int64)[k] - cw <= alone_us
                    k = k[ok]
                    if len(k):
                        to = to.copy().astype(np.int8)
                        to[k] = np.where(np.asarray(other)[k] > np.asarray(own)[k], 1, -1)
                        young[k] = True
                        fl[k] = False
            young |= fl
            beams.follow = fl
    return young, to
