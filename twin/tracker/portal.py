"""Portal passages: a burst of reads at a door after a quiet spell is a tag being carried through it.

A tag that sits near a door is read by the door's antennas all the time, so a portal read alone says little (its
fitted weight is low); a carried tag shows up at a door out of silence and is gone within seconds. Reads that open a
burst -- the second and later reads of a (tag, door) after `quiet_s` without one, within `burst_s` of its start --
count with the full passage weight for the space on their own side, scaled by received power, so the side heard
loudest last wins: that is the direction of the crossing. A burst counts only once both of the door's antennas
have heard it (a tag carried through passes both; a tag heard from afar is usually heard by one side only). State is
a few numbers per (tag, door). A row counts only for the side whose loudest read so far in the burst came last (GPI
portals read in S0, so both sides hear the whole passage: the received power peaks on the side the tag is leaving
first, then on the side it goes to).
"""

from __future__ import annotations

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

    def young(self, tag: np.ndarray, t_us: np.ndarray, door: np.ndarray, side: np.ndarray | None = None,
              rssi: np.ndarray | None = None, detail: bool = False):  # fmt: skip
        """For portal rows sorted by (tag, time): True where a row belongs to a fresh passage burst.

        side: 1 or 2 per row (which of the door's antennas); when given, a row counts only once both sides were heard.
        rssi: when given, a row counts only for the side whose loudest read came last. detail: return (young
        without the RSSI rule, the RSSI rule's verdict, each row's burst start, the weaker side's loudest read so far
        in the burst) instead, so a caller can decide direction.
        """
        n = len(tag)
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
        count = pos - at + np.where(carried, flat_n[k[at]], 0)
        young = (t - start <= self.burst_us) & (count >= 1)
        last = np.ones(n, bool)
        last[:-1] = first[1:]
        kl = k[last]
        flat_last[kl], flat_start[kl], flat_n[kl] = t[last], start[last], count[last] + 1
        if side is not None:
            sd = side[o].astype(np.int64)
            flat_sides = self.sides.reshape(-1)
            carry = np.where(carried, flat_sides[k[at]], 0).astype(np.int64)
            heard = np.zeros(n, np.int64)
            for bit in (1, 2):  # has this side been heard in the burst so far (this row included)?
                c = np.cumsum(sd == bit)
                seen = (c - (c - (sd == bit))[at]) > 0
                heard |= np.where(seen | ((carry & bit) > 0), bit, 0)
            young &= heard == 3
            flat_sides[kl] = heard[last]
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
    not of the one the first burst took it to, the tag walked past and never left its space.
    """

    def __init__(self, passby_s: float):
        self.passby_us = int(passby_s * 1e6)
        self.origin = np.zeros(0, np.int32)
        self.dest = np.zeros(0, np.int32)
        self.t_us = np.zeros(0, np.int64)

    def grow(self, n: int) -> None:
        k = n - len(self.dest)
        if k > 0:
            self.origin = np.concatenate([self.origin, np.full(k, -1, np.int32)])
            self.dest = np.concatenate([self.dest, np.full(k, -1, np.int32)])
            self.t_us = np.concatenate([self.t_us, np.full(k, _OLD, np.int64)])


def direction(tag: np.ndarray, t_us: np.ndarray, door: np.ndarray, start: np.ndarray, own: np.ndarray,
              beyond: np.ndarray, here: np.ndarray, peak: np.ndarray, walks: Walks, hops: np.ndarray,
              max_hops: int = 2, badge_dest: np.ndarray | None = None,
              prefer_badge: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The destination of each row's fresh passage burst (-1: undecided): one per (tag, door, burst).

    Rows sorted by (tag, time); own/beyond: the row's side of the door and the space beyond it; here: the tag's
    accepted place before this batch. A burst starts from one of its door's two spaces, the one the tag was in:
    the destination of the tag's last burst if that is a side of this door, else (the last burst was a walk past)
    that burst's origin, else the side nearest to where the tag was (at most max_hops doors away); the tag goes
    to the other side (path consistency: a tag can only leave the space it is in). With no place to start from:
    the carrier's badge (badge_dest >= 0: where the badge crossing the same door in the same burst went), else
    the side whose loudest read came last (peak); prefer_badge: the badge's destination first (a badge is carried
    all the time, so its walk is known better than a dossier's). Returns (dest, by_path): each row's destination
    space, and whether it came from the walk rather than the RSSI peak. walks is updated.
    """
    n = len(tag)
    dest = np.full(n, -1, np.int32)
    by_path = np.zeros(n, bool)
    burst: dict[tuple[int, int, int], tuple[int, bool]] = {}
    tl, tt, dl, sl, ol, bl, hl, pl = (x.tolist() for x in (tag, t_us, door, start, own, beyond, here, peak))
    bd = badge_dest.tolist() if badge_dest is not None else [-1] * n
    W = walks
    for i in range(n):
        k = (tl[i], dl[i], sl[i])
        got = burst.get(k)
        if got is None:
            g = tl[i]
            a, b = ol[i], bl[i]
            recent = sl[i] - int(W.t_us[g]) <= W.passby_us
            to = int(W.dest[g]) if recent else hl[i]
            frm = int(W.origin[g]) if recent else -1
            if to < 0:
                to = hl[i]
            src = -1
            if prefer_badge and bd[i] >= 0:
                src = b if bd[i] == a else a
            elif to == a or to == b:
                src = to
            elif frm == a or frm == b:
                src = frm
            else:
                # the nearer of where the last burst took the tag and where it came from (nearer origin: a walk past)
                via = frm if frm >= 0 and min(hops[frm, a], hops[frm, b]) < min(hops[to, a], hops[to, b]) else to
                far = max_hops if via == hl[i] else 1 << 20  # a recent walk may have gone on unheard (stairs)
                if via >= 0 and min(hops[via, a], hops[via, b]) <= far and hops[via, a] != hops[via, b]:
                    src = a if hops[via, a] < hops[via, b] else b
            if src >= 0:
                got = (b if src == a else a, not (prefer_badge and bd[i] >= 0))
            elif bd[i] >= 0:
                got = (bd[i], False)
            elif pl[i]:
                got = (a, False)
            else:
                continue
            burst[k] = got
            W.origin[g] = b if got[0] == a else a
            W.dest[g] = got[0]
            W.t_us[g] = max(int(W.t_us[g]), tt[i])
        else:
            W.t_us[tl[i]] = max(int(W.t_us[tl[i]]), tt[i])
        dest[i] = got[0]
        by_path[i] = got[1]
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
