"""Gen2 session persistence applied to a reader's candidate reads (ANCHORS: S0 none; S1 0.5-5 s; S2/S3 > 2 s off).

The engine first draws reads as in session S0 (dual target: a tag answers every round it is powered and decoded).
A tag in S1/S2/S3 answers the same rounds until its inventoried flag flips, so the session reads are a thinning of
the S0 ones: S1 keeps a read, then the first one after the persistence time, and so on; S2/S3 keep one read, then
none until the tag has been unpowered (no S0 read) for longer than the reset time. The flag is per tag per reader
(shared by its antennas) and carries over between generation calls. A row longer than the S1 persistence still
yields at most one read (report periods are normally shorter).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_NEVER = np.iinfo(np.int64).max
_SHIFT = np.int64(1 << 40)


@dataclass
class SessionState:
    """Per reader: tag id -> time its flag reverts (S1) or 0/NEVER armed/disarmed (S2/S3), and last S0 read."""

    tags: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    eligible_us: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    last_seen_us: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def lookup(self, tags: np.ndarray, default_eligible: int, default_seen: int):
        i = np.searchsorted(self.tags, tags)
        i = np.minimum(i, max(len(self.tags) - 1, 0))
        hit = (self.tags[i] == tags) if len(self.tags) else np.zeros(len(tags), bool)
        elig = np.where(hit, self.eligible_us[i] if len(self.tags) else 0, default_eligible)
        seen = np.where(hit, self.last_seen_us[i] if len(self.tags) else 0, default_seen)
        return elig.astype(np.int64), seen.astype(np.int64)

    def update(self, tags: np.ndarray, eligible_us: np.ndarray, last_seen_us: np.ndarray) -> None:
        keep = ~np.isin(self.tags, tags)
        t = np.concatenate([self.tags[keep], tags])
        order = np.argsort(t, kind="stable")
        self.tags = t[order]
        self.eligible_us = np.concatenate([self.eligible_us[keep], eligible_us])[order]
        self.last_seen_us = np.concatenate([self.last_seen_us[keep], last_seen_us])[order]


def apply_session(session: str, tag, first_us, last_us, count, state: SessionState, rng: np.random.Generator,
                  s1_persistence_s: float, s2_reset_s: float, seen_first_us=None, seen_last_us=None):
    """Thin S0 candidate rows of one reader. Returns (kept row indices, first_us, last_us, count) of kept rows.

    seen_first_us/seen_last_us (default: the read times) bound when the tag was powered around each row; a steadily
    powered static tag is seen over the whole call even if reads are sparse, so its S2/S3 flag does not decay.
    """
    n = len(tag)
    if session == "S0" or n == 0:
        return np.arange(n), first_us, last_us, count
    order = np.lexsort((first_us, tag))
    tg, f, l, c = tag[order], first_us[order], last_us[order], count[order]
    sf = f if seen_first_us is None else seen_first_us[order]
    sl = l if seen_last_us is None else seen_last_us[order]
    new = np.ones(n, bool)
    new[1:] = tg[1:] != tg[:-1]
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    utags = tg[starts]
    elig0, seen0 = state.lookup(utags, 0, -(1 << 62))
    if session == "S1":
        kept, tf, new_elig = _s1(f, l, c, starts, ends, elig0, rng, int(s1_persistence_s * 1e6))
        out_f = out_l = tf
    else:
        reset = int(s2_reset_s * 1e6)
        prev_last = np.empty(n, np.int64)
        prev_last[1:] = _group_cummax(sl, starts)[:-1]
        prev_last[starts] = seen0
        rearm = (sf - prev_last) > reset
        episode_start = rearm | new
        armed_first = (elig0 <= f[starts]) | rearm[starts]
        keep = episode_start & (rearm | ~new)  # re-armed episodes, and ...
        keep[starts] = armed_first  # ... a tag's first rows if it was armed when we last saw it
        kept = np.flatnonzero(keep)
        out_f = out_l = f[kept]
        new_elig = np.full(len(utags), _NEVER, np.int64)  # any row seen leaves the flag flipped
    last_seen = np.maximum.reduceat(sl, starts)
    state.update(utags, new_elig, np.maximum(last_seen, seen0))
    return order[kept], out_f, out_l, np.ones(len(kept), dtype=count.dtype)


def _s1(f, l, c, starts, ends, elig0, rng, persist_us: int):
    """Renewal thinning: read, silent for `persist_us`, first candidate read after that, and so on."""
    g = np.repeat(np.arange(len(starts)), ends - starts)
    base = int(f.min())
    lm = _group_cummax(l, starts)  # running max of last_us per tag, so a segmented searchsorted works
    key = g.astype(np.int64) * _SHIFT + np.clip(lm - base, 0, _SHIFT - 1)
    elig = np.maximum(elig0, base)
    ptr = starts.copy()
    active = np.arange(len(starts))
    kept_rows, kept_t = [], []
    while len(active):
        e = elig[active]
        pos = np.searchsorted(key, active.astype(np.int64) * _SHIFT + np.clip(e - base, 0, _SHIFT - 1))
        pos = np.maximum(pos, ptr[active])
        ok = pos < ends[active]
        active, pos, e = active[ok], pos[ok], e[ok]
        if not len(active):
            break
        fr, lr, cr = f[pos], l[pos], c[pos]
        late = fr >= e
        inside = ~late & (cr >= 2) & (lr >= e)
        t = np.where(late, fr, e + (rng.random(len(pos)) * np.maximum(lr - e, 0)).astype(np.int64))
        read = late | inside
        kept_rows.append(pos[read])
        kept_t.append(t[read])
        elig[active[read]] = t[read] + persist_us
        ptr[active] = pos + 1
    rows = np.concatenate(kept_rows) if kept_rows else np.zeros(0, np.int64)
    ts = np.concatenate(kept_t) if kept_t else np.zeros(0, np.int64)
    o = np.argsort(rows, kind="stable")
    return rows[o], ts[o], elig


def _group_cummax(v: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Running maximum of v (spanning < 2^40) restarting at each group start, vectorised with group offsets."""
    g = np.repeat(np.arange(len(starts), dtype=np.int64), np.diff(np.append(starts, len(v))))
    lo = v.min()
    off = g * _SHIFT
    return np.maximum.accumulate(np.clip(v - lo, 0, _SHIFT - 1) + off) - off + lo
