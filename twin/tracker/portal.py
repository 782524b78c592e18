"""Portal passages: a burst of reads at a door after a quiet spell is a tag being carried through it.

A tag that sits near a door is read by the door's antennas whenever someone passes, so a portal read alone says
little; a carried tag shows up at a door out of silence and is gone within seconds. Reads of a (tag, door) after
`quiet_s` without one form a burst; it counts as a passage once both of the door's antennas heard it (a tag carried
through passes both; one heard from afar is usually heard by one side only). Its direction: each antenna of a
direction-sensing portal looks away from the door onto its own side's approach, so the tag is heard mostly by the
side it comes from first and by the side it goes to last: `Passages.seq` is, per row, the difference of the two
sides' count-weighted read-time centroids over the burst so far; `direction` adds the tag's walk (it can only leave
the space it is in) and its carrier's badge. State is a few numbers per (tag, door) and per tag.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .carrier import carrier_seq
from .kernels_portal import direction_pass, latest_pass

_OLD = -(1 << 62)


class Passages:
    def __init__(self, n_doors: int, quiet_s: float, burst_s: float):
        self.n_doors = max(n_doors, 1)
        self.quiet_us, self.burst_us = int(quiet_s * 1e6), int(burst_s * 1e6)
        self.last = np.zeros((0, self.n_doors), np.int64)  # last read of (tag, door)
        self.start = np.zeros((0, self.n_doors), np.int64)  # start of the current burst
        self.n = np.zeros((0, self.n_doors), np.int32)  # reads in the current burst
        self.sides = np.zeros((0, self.n_doors), np.int8)  # bit 1 / bit 2: side heard in the current burst
        self.loud = np.zeros((0, self.n_doors, 2), np.int16)  # loudest RSSI per side in the current burst
        self.t_loud = np.zeros((0, self.n_doors, 2), np.int64)  # time of that loudest read
        self.t_both = np.zeros((0, self.n_doors), np.int64)  # when both sides had been heard in the current burst
        self.sw = np.zeros((0, self.n_doors, 2))  # reads per side in the current burst (TagSeenCount summed)
        self.swt = np.zeros((0, self.n_doors, 2))  # ... times their seconds since the burst's start
        self.quiet = np.zeros((0, self.n_doors), np.int64)  # silence at the door before the current burst (us)
        #: the door light barriers' direction of the current burst as of its latest row (twin.tracker.beam_passages.beam_rows;
        #: +1: toward the door's space with the higher index, -1: the lower, 0: none or both ways)
        self.beam_to = np.zeros((0, self.n_doors), np.int8)
        #: per row of the last `young` call (input order): the tag's silence at the row's door before its burst (us;
        #: a tag never heard there before: very large) -- a tag resting near a door is heard at it again and again
        self.quiet_us_row = np.zeros(0, np.int64)
        #: per row of the last `young` call (input order): the side-2 minus side-1 read-time centroid of the burst so
        #: far, in seconds (NaN until both sides were heard): > 0 when the tag went from side 1 to side 2
        self.seq = np.zeros(0)
        #: per row of the last `young` call given `badge`: the carrier badge's sequence (twin.tracker.carrier) for the
        #: fresh rows of tags that are not badges, NaN elsewhere; badge bursts starting within `carrier_window_us`
        self.carrier = np.zeros(0)
        self.carrier_window_us = 0
        #: > 0: a tag heard (at `split_dbm` or louder) at another door since its last read at a door, and silent there
        #: at least this long, opens a new burst there even within quiet_s (`burst_split_s`)
        self.split_us = 0
        self.split_dbm = -65.0

    def grow(self, n_tags: int) -> None:
        k = n_tags - len(self.last)
        if k > 0:
            k = max(k, len(self.last))  # capacity doubles: tags arriving a few at a time cost O(n) copies in all
            self.last = np.vstack([self.last, np.full((k, self.n_doors), _OLD, np.int64)])
            self.start = np.vstack([self.start, np.full((k, self.n_doors), _OLD, np.int64)])
            self.n = np.vstack([self.n, np.zeros((k, self.n_doors), np.int32)])
            self.sides = np.vstack([self.sides, np.zeros((k, self.n_doors), np.int8)])
            self.loud = np.vstack([self.loud, np.full((k, self.n_doors, 2), -999, np.int16)])
            self.t_loud = np.vstack([self.t_loud, np.full((k, self.n_doors, 2), _OLD, np.int64)])
            self.sw = np.vstack([self.sw, np.zeros((k, self.n_doors, 2))])
            self.t_both = np.vstack([self.t_both, np.full((k, self.n_doors), _OLD, np.int64)])
            self.swt = np.vstack([self.swt, np.zeros((k, self.n_doors, 2))])
            self.quiet = np.vstack([self.quiet, np.full((k, self.n_doors), 1 << 62, np.int64)])
            self.beam_to = np.vstack([self.beam_to, np.zeros((k, self.n_doors), np.int8)])

    def young(self, tag: np.ndarray, t_us: np.ndarray, door: np.ndarray, side: np.ndarray | None = None,
              rssi: np.ndarray | None = None, detail: bool = False, count: np.ndarray | None = None,
              badge: np.ndarray | None = None):  # fmt: skip
        """For portal rows sorted by (tag, time): True where a row belongs to a fresh passage burst.

        count: the rows' TagSeenCount; when given with side, `self.seq` holds each row's antenna sequence (the
        read-time centroid of side 2 minus side 1's over the burst up to this row, seconds; NaN while one side is
        unheard): a tag carried through is heard mostly by the side it comes from first and by the other last.

        side: 1 or 2 per row (which of the door's antennas); when given, a row counts only once both sides were heard.
        rssi: when given, a row counts only for the side whose loudest read came last. detail: return (young
        without the RSSI rule, the RSSI rule's verdict, each row's burst start, the weaker side's loudest read so far
        in the burst) instead, so a caller can decide direction.
        badge: per row, the tag is a badge; with count and side, `self.carrier` holds the carrier badge's sequence
        for the young rows of the other tags (`carrier_window_us` > 0).
        """
        n = len(tag)
        self.seq = np.full(n, np.nan)
        self.carrier = np.full(n, np.nan)
        self.quiet_us_row = np.zeros(n, np.int64)
        if n == 0:
            z = np.zeros(0, bool)
            return (z, z, np.zeros(0, np.int64), np.zeros(0, np.int64)) if detail else z
        key = tag.astype(np.int64) * self.n_doors + door
        o = np.argsort(key, kind="stable")  # keeps time order within (tag, door); the pass runs in this order
        has = (side is not None, side is not None and count is not None, side is not None and rssi is not None)
        z = np.zeros(n, np.int8)
        oth = _other_door_pass(np.asarray(tag, np.int64), np.asarray(door, np.int64), np.asarray(t_us, np.int64),
                               rssi if rssi is not None else np.zeros(n, np.int16), self.split_dbm,
                               self.last.reshape(-1), self.n_doors) if self.split_us > 0 else np.full(n, _OLD)
        young, peak, start, lo, seq, qt = _burst_pass(o, key, t_us, side if has[0] else z, rssi if has[2] else z,
                                                      count if has[1] else z, *has, self.quiet_us, self.burst_us,
                                                      self.last.reshape(-1), self.start.reshape(-1),
                                                      self.n.reshape(-1), self.sides.reshape(-1),
                                                      self.t_both.reshape(-1), self.sw.reshape(-1, 2),
                                                      self.swt.reshape(-1, 2), self.loud.reshape(-1, 2),
                                                      self.t_loud.reshape(-1, 2), self.quiet.reshape(-1), oth,
                                                      self.split_us)  # fmt: skip
        self.quiet_us_row = qt
        if has[1]:
            self.seq = seq
            if badge is not None and self.carrier_window_us > 0:
                rows = np.flatnonzero(young & ~badge)
                self.carrier[rows] = carrier_seq(door, start, t_us, badge, seq, rows, self.carrier_window_us,
                                                 self.burst_us)
        if not detail:
            return young & peak if has[2] else young
        return young, peak, start, lo


@njit(cache=True)
def _burst_pass(o, k, t, sd, r, cn, has_side, has_cnt, has_rssi, quiet_us, burst_us, last, start, nn, sides, t_both,
                sw, swt, loud, t_loud, quiet, oth, split_us):  # fmt: skip
    """`Passages.young` as one pass over the rows in the order o (by tag * n_doors + door, then time), updating the
    flat state; results are per row in input order.

    Kept exact against the former array form (tests/tracker/test_portal_pass.py): the per-side centroid sums are a
    batch-wide running sum minus its value where the burst's run opened (same float operations, same order), and a
    side unheard in the burst reads as heard at the batch's last row (so `peak` compares as before)."""
    n = len(k)
    young = np.zeros(n, np.bool_)
    peak = np.ones(n, np.bool_)
    st = np.empty(n, np.int64)
    lo = np.zeros(n, np.int64)
    seq = np.full(n, np.nan)
    qt = np.zeros(n, np.int64)
    t_end = t[o[n - 1]]
    c = np.zeros(4)  # batch-wide running sums: w side 1, w side 2, w*rel side 1, w*rel side 2
    base = np.zeros(4)
    carry = np.zeros(4)
    tb = t_end
    tb_set = False
    for q in range(n):
        i = o[q]
        g = k[i]
        first = q == 0 or k[o[q - 1]] != g
        prev = last[g] if first else t[o[q - 1]]
        new = t[i] - prev > quiet_us or (split_us > 0 and oth[i] > prev and t[i] - prev >= split_us)
        opened = new or first
        carried = first and not new
        if new:
            start[g] = t[i]
            quiet[g] = t[i] - prev if prev > -(1 << 61) else 1 << 62
            nth = 0
        else:
            nth = nn[g]
        qt[i] = quiet[g]
        nn[g] = nth + 1
        last[g] = t[i]
        s0 = start[g]
        st[i] = s0
        yg = t[i] - s0 <= burst_us and nth >= 1
        if has_side:
            if new:
                sides[g] = 0
            if opened:
                tb_set = carried and (sides[g] & 3) == 3
                tb = t_both[g] if tb_set else t_end
            sides[g] |= sd[i] if sd[i] == 1 or sd[i] == 2 else 0
            both = sides[g] == 3
            if both and not tb_set:
                tb, tb_set = t[i], True
            t_both[g] = tb
            yg = both and nth >= 1 and (t[i] - s0 <= burst_us or t[i] - tb <= burst_us)
        if has_cnt:
            rel = (t[i] - s0) / 1e6
            for j in range(2):
                w = float(cn[i]) if sd[i] == j + 1 else 0.0
                wr = w * rel
                c[j] += w
                c[j + 2] += wr
                if opened:
                    base[j], base[j + 2] = c[j] - w, c[j + 2] - wr
                    carry[j], carry[j + 2] = (sw[g, j], swt[g, j]) if carried else (0.0, 0.0)
                sw[g, j] = c[j] - base[j] + carry[j]
                swt[g, j] = c[j + 2] - base[j + 2] + carry[j + 2]
            a, b = sw[g, 0], sw[g, 1]
            if a > 0 and b > 0:
                seq[i] = swt[g, 1] / b - swt[g, 0] / a
        if has_rssi:
            if new:
                loud[g, 0] = loud[g, 1] = -999
            rk = min(max(np.int64(r[i]) + 128, 0), 255)
            j = sd[i] - 1
            if (j == 0 or j == 1) and rk >= loud[g, j] + 128:  # the loudest, and the latest of equals
                loud[g, j], t_loud[g, j] = rk - 128, t[i]
            tp0 = t_loud[g, 0] if loud[g, 0] >= -128 else t_end
            tp1 = t_loud[g, 1] if loud[g, 1] >= -128 else t_end
            peak[i] = (tp0 >= tp1) if sd[i] == 1 else (tp1 >= tp0)
            lo[i] = min(loud[g, 0], loud[g, 1])
            if loud[g, 0] < -128:
                t_loud[g, 0] = t_end
            if loud[g, 1] < -128:
                t_loud[g, 1] = t_end
        young[i] = yg
    return young, peak, st, lo, seq, qt


@njit(cache=True)
def _other_door_pass(tag, door, t, rssi, min_dbm, last, n_doors):
    """Per row (sorted by tag, time): the latest time before it that the tag was heard at another door -- rows of the
    batch at min_dbm or louder, else the state's last read per door (`Passages.burst_split_s`)."""
    n = len(tag)
    out = np.full(n, _OLD, np.int64)
    d1 = -1
    t1 = t2 = _OLD
    for i in range(n):
        g = tag[i]
        if i == 0 or g != tag[i - 1]:
            d1 = -1
            t1 = t2 = _OLD
            for d in range(n_doors):  # the state: the two latest doors of the tag before this batch
                v = last[g * n_doors + d]
                if v > t1:
                    t2, d1, t1 = t1, d, v
                elif v > t2:
                    t2 = v
        out[i] = t1 if d1 != door[i] else t2
        if rssi[i] >= min_dbm:
            if door[i] == d1:
                t1 = t[i]
            else:
                t2, d1, t1 = t1, door[i], t[i]
    return out



class Walks:
    """Per tag: the last passage burst's origin and destination and when it was, so the next burst can judge it.

    A carried tag walks the site graph: a burst at a door is a crossing or a walk past (GPI portals read whatever
    passes within their field). The next burst tells which: if it is at a door of the space the tag came from and
    not of the one the first burst took it to, the tag walked past and never left its space. The current burst's
    door, start and prior (the side the walk says it starts from, the badge's destination) are kept too, so a burst
    cut by a batch boundary is judged with the same prior on both sides of the cut.
    """

    def __init__(self, passby_s: float):
        self.passby_us = int(passby_s * 1e6)
        self.origin = np.zeros(0, np.int32)
        self.dest = np.zeros(0, np.int32)
        self.t_us = np.zeros(0, np.int64)
        self.b_door = np.zeros(0, np.int32)
        self.b_start = np.zeros(0, np.int64)
        self.b_src = np.zeros(0, np.int32)
        self.b_badge = np.zeros(0, np.int32)

    def grow(self, n: int) -> None:
        k = n - len(self.dest)
        if k > 0:
            self.origin = np.concatenate([self.origin, np.full(k, -1, np.int32)])
            self.dest = np.concatenate([self.dest, np.full(k, -1, np.int32)])
            self.t_us = np.concatenate([self.t_us, np.full(k, _OLD, np.int64)])
            self.b_door = np.concatenate([self.b_door, np.full(k, -1, np.int32)])
            self.b_start = np.concatenate([self.b_start, np.full(k, _OLD, np.int64)])
            self.b_src = np.concatenate([self.b_src, np.full(k, -1, np.int32)])
            self.b_badge = np.concatenate([self.b_badge, np.full(k, -1, np.int32)])


#: Weights of the direction cues, in seconds of antenna sequence (assumption, checked on the ci-baseline recording
#: with the shipped portals: the read-time centroids of the two sides of a crossing are 0.24-6 s apart, the side
#: the tag goes to last). The walk (a tag leaves the space it is in) counts 0.3 s, the carrier's badge 0.15 s, so a
#: clear sequence overrules a place that was wrong and they decide an unclear one. WALK_S on the recorded streams
#: (seed 1, with the carrier's sequence and latest_wins): 0.1 / 0.2 / 0.3 / 0.4 / 0.6 / 1.0 -> baseline day portal
#: direction 0.917 / 0.920 / 0.931 / 0.931 / 0.925 / 0.922; ci-baseline 0.983 at 0.2 and 0.3, 0.966 at 0.4; ci-busy
#: 0.914 at 0.2, 0.923 at 0.3. A storage room's side hears a carried dossier a few times among its shelf tags, so
#: there the sequence is often unclear (within +-0.5 s) and the walk decides.
WALK_S = 0.3
BADGE_S = 0.15  # a little less than the walk: the dossier's own walk first (unless prefer_badge)
PEAK_S = 0.02  # the side whose loudest read came last: a tie-breaker only
CLEAR_S = 0.2  # a sequence at least this clear is trusted on its own (the passage counts wherever the tag was)
CONF_S = 0.15  # confidence = logistic(|score| / CONF_S)


def direction(tag: np.ndarray, t_us: np.ndarray, door: np.ndarray, start: np.ndarray, own: np.ndarray,
              beyond: np.ndarray, here: np.ndarray, peak: np.ndarray, walks: Walks, hops: np.ndarray,
              max_hops: int = 2, badge_dest: np.ndarray | None = None, prefer_badge: bool = False,
              seq: np.ndarray | None = None, conf_out: np.ndarray | None = None, carrier: np.ndarray | None = None,
              carrier_w: float = 0.0, beam: np.ndarray | None = None,
              beam_w: float = 10.0) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The destination of each row's fresh passage burst (-1: undecided), from the cues so far in its burst.

    Rows sorted by (tag, time); own/beyond: the row's side of the door and the space beyond it; here: the tag's
    accepted place before this batch. Cues, summed as a score toward `beyond` (seconds of sequence):
    - seq: the antenna sequence up to this row (`Passages.seq`: side-2 minus side-1 read-time centroid; side 1 is
      the side with the lower space index), the side heard last being where the tag went;
    - the walk: a burst starts from one of its door's two spaces, the one the tag was in: the destination of the
      tag's last burst if that is a side of this door, else (the last burst was a walk past) that burst's origin,
      else the side nearest to where the tag was (at most max_hops doors away); the tag goes to the other side;
    - the carrier's badge (badge_dest >= 0: where the badge crossing the same door in the same burst went; with
      prefer_badge it counts as much as the walk and the sequence's clear threshold together);
    - the side whose loudest read came last (peak), a tie-breaker.
    A burst is judged again at each of its rows, as more of its sequence is heard; the prior cues are fixed at its
    start. carrier (per row, NaN: none): the carrier badge's sequence (`Passages.carrier`); with carrier_w > 0 the
    row's sequence is (seq + carrier_w x carrier) / (1 + carrier_w), the carrier's alone while the tag's is unknown.
    Returns (dest, trusted): each row's destination, and whether the walk, the badge or a clear sequence
    (>= CLEAR_S) gave it rather than the peak alone. conf_out (float array of n): each row's confidence in its
    destination, logistic in the score. walks is updated. beam (per row, twin.tracker.beams): the door's light
    barriers saw a crossing toward the side with the higher space index (+1) or the lower (-1), 0: none, or both
    ways; it counts beam_w seconds of sequence, so a crossing overrules every other cue and they decide the rest.
    """
    n = len(tag)
    nan = np.full(n, np.nan)
    bd = np.full(n, -1, np.int32) if badge_dest is None else np.ascontiguousarray(badge_dest, np.int32)
    W = walks
    w_badge = (WALK_S + CLEAR_S) if prefer_badge else BADGE_S
    has_cq = carrier is not None and carrier_w > 0
    return direction_pass(tag, t_us, door, start, own, beyond, here, peak, bd, nan if seq is None else seq,
                          carrier if has_cq else nan, has_cq, float(carrier_w), hops, max_hops, WALK_S, w_badge,
                          CLEAR_S, PEAK_S, CONF_S, W.origin, W.dest, W.t_us, W.b_door, W.b_start, W.b_src, W.b_badge,
                          W.passby_us, nan if conf_out is None else conf_out, conf_out is not None,
                          np.zeros(n, np.int8) if beam is None else np.ascontiguousarray(beam, np.int8),
                          float(beam_w))  # fmt: skip


def badge_destinations(door: np.ndarray, start: np.ndarray, b_door: np.ndarray, b_start: np.ndarray,
                       b_dest: np.ndarray, window_us: int) -> np.ndarray:
    """For each row (door, burst start): the destination of a badge burst at the same door starting within
    window_us (the nearest in time), else -1 -- the carrier's passage is direction evidence for what it carries."""
    out = np.full(len(door), -1, np.int32)
    ok = b_dest >= 0
    if not ok.any() or len(door) == 0:
        return out
    b_door, b_start, b_dest = b_door[ok], b_start[ok], b_dest[ok]
    base = min(int(start.min()), int(b_start.min())) - window_us
    span = max(int(start.max()), int(b_start.max())) - base + window_us + 1
    key_b = b_door.astype(np.int64) * span + (b_start - base)
    o = np.argsort(key_b, kind="stable")
    key_b, b_dest = key_b[o], b_dest[o]
    key = door.astype(np.int64) * span + (start - base)
    j = np.searchsorted(key_b, key)
    best = np.full(len(door), window_us + 1, np.int64)
    for c in (j - 1, j):
        cc = np.clip(c, 0, len(key_b) - 1)
        d = np.abs(key_b[cc] - key)
        better = (c >= 0) & (c < len(key_b)) & (d <= window_us) & (d < best)
        out[better], best[better] = b_dest[cc[better]], d[better]
    return out


def latest_wins(tag: np.ndarray, ev: np.ndarray, factor: float = 1.01) -> np.ndarray:
    """Passage evidence, rows sorted by (tag, time): each row at least `factor` times the sum of the tag's earlier
    rows (as raised), so that the latest judgement of a burst wins the 1 s cycle it falls in. A burst is judged
    again at each row as its sequence grows; the rows of the side heard most often would otherwise outvote a later,
    better informed judgement within one cycle. Rows keep their time, so no estimate is stamped before its read."""
    return latest_pass(tag, np.asarray(ev, np.float64).copy(), float(factor))
