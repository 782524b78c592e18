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

import math

import numpy as np

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
        #: per row of the last `young` call (input order): the side-2 minus side-1 read-time centroid of the burst so
        #: far, in seconds (NaN until both sides were heard): > 0 when the tag went from side 1 to side 2
        self.seq = np.zeros(0)

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

    def young(self, tag: np.ndarray, t_us: np.ndarray, door: np.ndarray, side: np.ndarray | None = None,
              rssi: np.ndarray | None = None, detail: bool = False, count: np.ndarray | None = None):  # fmt: skip
        """For portal rows sorted by (tag, time): True where a row belongs to a fresh passage burst.

        count: the rows' TagSeenCount; when given with side, `self.seq` holds each row's antenna sequence (the
        read-time centroid of side 2 minus side 1's over the burst up to this row, seconds; NaN while one side is
        unheard): a tag carried through is heard mostly by the side it comes from first and by the other last.

        side: 1 or 2 per row (which of the door's antennas); when given, a row counts only once both sides were heard.
        rssi: when given, a row counts only for the side whose loudest read came last. detail: return (young
        without the RSSI rule, the RSSI rule's verdict, each row's burst start, the weaker side's loudest read so far
        in the burst) instead, so a caller can decide direction.
        """
        n = len(tag)
        self.seq = np.full(n, np.nan)
        if n == 0:
            z = np.zeros(0, bool)
            return (z, z, np.zeros(0, np.int64), np.zeros(0, np.int64)) if detail else z
        key = tag.astype(np.int64) * self.n_doors + door
        o = np.argsort(key, kind="stable")  # keeps time order within (tag, door)
        k, t = key[o], t_us[o]
        first = np.ones(n, bool)
        first[1:] = k[1:] != k[:-1]
        flat_last, flat_start, flat_n = self.last.reshape(-1), self.start.reshape(-1), self.n.reshape(-1)
        prev = np.empty(n, np.int64)
        prev[1:] = t[:-1]
        prev[first] = flat_last[k[first]]
        new = (t - prev) > self.quiet_us
        opened = new | first
        pos = np.arange(n)
        at = np.maximum.accumulate(np.where(opened, pos, 0))  # row that opened this row's run
        carried = first[at] & ~new[at]  # the run continues a burst from the previous batch
        start = np.where(carried, flat_start[k[at]], t[at])
        nth = pos - at + np.where(carried, flat_n[k[at]], 0)
        young = (t - start <= self.burst_us) & (nth >= 1)
        last = np.ones(n, bool)
        last[:-1] = first[1:]
        kl = k[last]
        flat_last[kl], flat_start[kl], flat_n[kl] = t[last], start[last], nth[last] + 1
        if side is not None:
            sd = side[o].astype(np.int64)
            flat_sides = self.sides.reshape(-1)
            carry = np.where(carried, flat_sides[k[at]], 0).astype(np.int64)
            heard = np.zeros(n, np.int64)
            for bit in (1, 2):  # has this side been heard in the burst so far (this row included)?
                c = np.cumsum(sd == bit)
                seen = (c - (c - (sd == bit))[at]) > 0
                heard |= np.where(seen | ((carry & bit) > 0), bit, 0)
            # young: within burst_s of the burst's start or of the moment both sides had heard it (a tag read on one
            # side for a while, then carried through: the crossing is when the far side joins in)
            both = heard == 3
            run_id = np.cumsum(opened) - 1
            f3 = np.minimum.reduceat(np.where(both, pos, n), np.flatnonzero(opened))[run_id]
            flat_tb = self.t_both.reshape(-1)
            tb = np.where(carried & ((carry & 3) == 3), flat_tb[k[at]], t[np.minimum(f3, n - 1)])
            young = both & (nth >= 1) & ((t - start <= self.burst_us) | (t - tb <= self.burst_us))
            flat_sides[kl] = heard[last]
            flat_tb[kl] = tb[last]
            if count is not None:
                cn = count[o].astype(np.float64)
                rel = (t - start) / 1e6
                flat_sw, flat_swt = self.sw.reshape(-1, 2), self.swt.reshape(-1, 2)
                cen = np.empty((n, 2))
                for j, bit in enumerate((1, 2)):
                    w = np.where(sd == bit, cn, 0.0)
                    cums = []
                    for x, flat in ((w, flat_sw), (w * rel, flat_swt)):
                        c = np.cumsum(x)
                        c = c - (c - x)[at] + np.where(carried, flat[k[at], j], 0.0)
                        flat[kl, j] = c[last]
                        cums.append(c)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        cen[:, j] = np.where(cums[0] > 0, cums[1] / cums[0], np.nan)
                seq = np.empty(n)
                seq[o] = cen[:, 1] - cen[:, 0]
                self.seq = seq
            if rssi is not None:
                # direction: the side whose loudest read came last is where the tag went (peak-RSSI time on side A
                # before side B => A -> B); only that side's rows count. Running (loudest, latest) per side and burst
                # as one integer key: rssi rank, then row position (rows of a (tag, door) are in time order).
                r = np.clip(rssi[o].astype(np.int64) + 128, 0, 255)
                run = np.cumsum(opened)  # bursts are contiguous and numbered in order
                span = 256 * (n + 1)
                flat_loud = self.loud.reshape(-1, 2)
                flat_tl = self.t_loud.reshape(-1, 2)
                loud = np.empty((n, 2), np.int64)
                t_pk = np.empty((n, 2), np.int64)
                for j, bit in enumerate((1, 2)):
                    key = np.where(sd == bit, r * (n + 1) + pos + 1, -1)
                    ck = np.where(carried, np.clip(flat_loud[k[at], j].astype(np.int64) + 128, -1, 255), -1)
                    key = np.maximum(key, np.where(ck >= 0, ck * (n + 1), -1))  # a carried peak: position 0
                    acc = np.maximum.accumulate(key + run * span) - run * span
                    loud[:, j] = np.where(acc >= 0, acc // (n + 1) - 128, -999)
                    p = acc % (n + 1)
                    t_pk[:, j] = np.where(p > 0, t[np.maximum(p - 1, 0)], flat_tl[k[at], j])
                mine = np.where(sd == 1, t_pk[:, 0], t_pk[:, 1])
                other = np.where(sd == 1, t_pk[:, 1], t_pk[:, 0])
                peak = mine >= other
                if not detail:
                    young &= peak
                flat_loud[kl] = loud[last]
                flat_tl[kl] = t_pk[last]
        out = np.empty(n, bool)
        out[o] = young
        if not detail:
            return out
        pk = np.ones(n, bool)
        lo = np.zeros(n, np.int64)
        if side is not None and rssi is not None:
            pk[o] = peak
            lo[o] = loud.min(axis=1)
        st = np.empty(n, np.int64)
        st[o] = start
        return out, pk, st, lo


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
#: the tag goes to last). The walk (a tag leaves the space it is in) and the carrier's badge count about a fifth of a
#: second each, so a clear sequence overrules a place that was wrong and they decide an unclear one.
WALK_S = 0.2
BADGE_S = 0.15  # a little less than the walk: the dossier's own walk first (unless prefer_badge)
PEAK_S = 0.02  # the side whose loudest read came last: a tie-breaker only
CLEAR_S = 0.2  # a sequence at least this clear is trusted on its own (the passage counts wherever the tag was)
CONF_S = 0.15  # confidence = logistic(|score| / CONF_S)


def direction(tag: np.ndarray, t_us: np.ndarray, door: np.ndarray, start: np.ndarray, own: np.ndarray,
              beyond: np.ndarray, here: np.ndarray, peak: np.ndarray, walks: Walks, hops: np.ndarray,
              max_hops: int = 2, badge_dest: np.ndarray | None = None, prefer_badge: bool = False,
              seq: np.ndarray | None = None, conf_out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
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
    start. Returns (dest, trusted): each row's destination, and whether the walk, the badge or a clear sequence
    (>= CLEAR_S) gave it rather than the peak alone. conf_out (float array of n): each row's confidence in its
    destination, logistic in the score. walks is updated.
    """
    n = len(tag)
    dest = np.full(n, -1, np.int32)
    by_path = np.zeros(n, bool)
    tl, tt, dl, sl, ol, bl, hl, pl = (x.tolist() for x in (tag, t_us, door, start, own, beyond, here, peak))
    bd = badge_dest.tolist() if badge_dest is not None else [-1] * n
    sq = seq.tolist() if seq is not None else [float("nan")] * n
    W = walks
    w_badge = (WALK_S + CLEAR_S) if prefer_badge else BADGE_S
    for i in range(n):
        g, a, b = tl[i], ol[i], bl[i]
        if not (int(W.b_door[g]) == dl[i] and int(W.b_start[g]) == sl[i]):
            # a new burst: its prior from the walk so far (the state before this burst)
            recent = sl[i] - int(W.t_us[g]) <= W.passby_us
            to = int(W.dest[g]) if recent else hl[i]
            frm = int(W.origin[g]) if recent else -1
            if to < 0:
                to = hl[i]
            src = -1
            if to == a or to == b:
                src = to
            elif frm == a or frm == b:
                src = frm
            else:
                # the nearer of where the last burst took the tag and where it came from (nearer origin: a walk past)
                via = frm if frm >= 0 and min(hops[frm, a], hops[frm, b]) < min(hops[to, a], hops[to, b]) else to
                far = max_hops if via == hl[i] else 1 << 20  # a recent walk may have gone on unheard (stairs)
                if via >= 0 and min(hops[via, a], hops[via, b]) <= far and hops[via, a] != hops[via, b]:
                    src = a if hops[via, a] < hops[via, b] else b
            W.b_door[g], W.b_start[g], W.b_src[g], W.b_badge[g] = dl[i], sl[i], src, bd[i]
        src, bdi = int(W.b_src[g]), int(W.b_badge[g])
        if bd[i] >= 0:
            bdi = W.b_badge[g] = bd[i]
        d = sq[i]
        d = 0.0 if d != d else (d if a < b else -d)  # toward b
        score = d
        score += WALK_S if src == a else -WALK_S if src == b else 0.0
        score += w_badge if bdi == b else -w_badge if bdi == a else 0.0
        if score == 0.0:
            score = -PEAK_S if pl[i] else 0.0
        if score == 0.0:
            continue
        to_b = score > 0
        dest[i] = b if to_b else a
        by_path[i] = abs(d) >= CLEAR_S or (src >= 0 and (src == a) == to_b) or (bdi >= 0 and (bdi == b) == to_b)
        if conf_out is not None:
            conf_out[i] = 1.0 / (1.0 + math.exp(-abs(score) / CONF_S))
        W.origin[g] = a if to_b else b
        W.dest[g] = dest[i]
        W.t_us[g] = max(int(W.t_us[g]), tt[i])
    return dest, by_path


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
