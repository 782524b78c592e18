"""Per-day scores and portal direction: the figures issue targets name "on every day" and "per passage".

- Day k of a run is [start + k x 24 h, start + (k + 1) x 24 h) clipped to the scoring window; each day gets its own
  zone and storage detection (the same exact 1 Hz count as the whole run, on truth clipped to the day) and the
  `*_min_day` metrics hold the worst full-or-partial day, so a gate band on them holds on every day.
- A portal passage is a dossier's change of space between two spaces joined only by portal-watched doors, followed
  by a stay of at least `min_stay_s` in the new space. Its direction was taken right when the estimate in force
  `min_stay_s` after the passage names the new space (a core that put the tag on the side it came from, or had not
  moved it by then, got the direction wrong). Judging there, not at the end of the stay, keeps later locating
  drift (a tag resting for hours, misplaced by a cross-read at noon) out of the direction figure: zone detection
  counts that.
"""

from __future__ import annotations

import numpy as np

from .score_zone import in_force, matched_ticks

US = 1_000_000
DAY_US = 86_400 * US
#: A passage counts for direction only when the tag then stays this long (s): shorter stays are corridor transits
#: whose "right side" a core may legitimately not have shown yet (assumption, the scorer's convention).
MIN_STAY_S = 10.0


def day_windows(start_us: int, w0: int, w1: int) -> list[tuple[int, int, int]]:
    """(day index, a, b) for every run day overlapping [w0, w1), clipped to it."""
    out = []
    k = max(0, (w0 - start_us) // DAY_US)
    while start_us + k * DAY_US < w1:
        a, b = max(w0, start_us + k * DAY_US), min(w1, start_us + (k + 1) * DAY_US)
        if a < b:
            out.append((int(k), int(a), int(b)))
        k += 1
    return out


def detection_by_day(tag, t0, t1, val, steps, start_us: int, w0: int, w1: int) -> list[dict]:
    """[{day, value, ticks}] of the share of truth ticks whose estimated value equals `val`, per run day."""
    out = []
    for k, a, b in day_windows(start_us, w0, w1):
        lo, hi = np.maximum(t0, a), np.minimum(t1, b)
        ok = lo < hi
        good, total = matched_ticks(tag[ok], lo[ok], hi[ok], val[ok], steps, start_us)
        n = int(total.sum())
        out.append({"day": k, "value": float(good.sum()) / n if n else None, "ticks": n})
    return out


def worst_day(days: list[dict], unit: str) -> dict:
    """The lowest per-day value (None when no day had anything to count), with the breakdown beside it."""
    vals = [d["value"] for d in days if d["value"] is not None]
    return {"value": min(vals) if vals else None, "unit": unit, "days": len(days), "by_day": days}


def portal_passages(tag, t0, t1, space, portal_pairs: set[frozenset], names: list[str], w0: int,
                    min_stay_s: float = MIN_STAY_S):  # fmt: skip
    """(tag, time of the passage, new space code, end of the stay) of each dossier passage through portal-only pairs.

    Truth rows (tag, [t0, t1), space code) may split one stay in several rows (a pick or put in the same space);
    consecutive rows of a tag in the same space are merged first.
    """
    if len(tag) == 0:
        return tag, t0, space, t1
    order = np.lexsort((t0, tag))
    tag, t0, t1, space = tag[order], t0[order], t1[order], space[order]
    new_stay = np.ones(len(tag), bool)
    new_stay[1:] = (tag[1:] != tag[:-1]) | (space[1:] != space[:-1])
    starts = np.flatnonzero(new_stay)
    ends = np.append(starts[1:], len(tag)) - 1
    s_tag, s_t0, s_t1, s_space = tag[starts], t0[starts], t1[ends], space[starts]
    prev_ok = np.zeros(len(starts), bool)
    prev_ok[1:] = s_tag[1:] == s_tag[:-1]
    idx = np.flatnonzero(prev_ok & (s_t0 >= w0) & (s_t1 - s_t0 >= int(min_stay_s * US)))
    name = lambda k: names[k] if k >= 0 else ""  # noqa: E731
    via = np.array([frozenset((name(int(s_space[i - 1])), name(int(s_space[i])))) in portal_pairs for i in idx], bool)
    idx = idx[via] if len(idx) else idx
    return s_tag[idx], s_t0[idx], s_space[idx], s_t1[idx]


def portal_direction(passages, steps, min_stay_s: float = MIN_STAY_S, dead: np.ndarray | None = None) -> dict:
    """Share of portal passages whose estimate `min_stay_s` after the passage names the new space.

    `dead` (bool per tag code): tags that never answer (twin.bench.dead_tags). Their passages are unseen by any RFID
    core, so `value` is over the others' passages; `value_all` counts every passage, `dead_passages` how many."""
    tag, t, new, end = passages
    n = len(tag)
    if n == 0:
        return {"value": None, "unit": "ratio", "passages": 0, "value_all": None, "dead_passages": 0}
    at = np.minimum(t + int(min_stay_s * US), end - 1)
    if len(steps.tag) == 0:  # the core never estimated anything: no passage was shown
        right = np.zeros(n, bool)
    else:
        i = in_force(steps, tag, at)
        right = (i >= 0) & (steps.val[np.maximum(i, 0)] == new)
    is_dead = dead[tag] if dead is not None and len(dead) else np.zeros(n, bool)
    live = ~is_dead
    value = float(right[live].sum()) / int(live.sum()) if live.any() else None
    return {"value": value, "unit": "ratio", "passages": int(live.sum()), "value_all": float(right.sum()) / n,
            "dead_passages": int(is_dead.sum())}
