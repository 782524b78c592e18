"""Tag motion over one chunk as columnar segments: what the reader engine consumes (built by the Ledger).

Officers' motion is a list of straight pieces (t0_s, t1_s, level, x0, y0, x1, y1); a carried tag's motion over a
window is its holder's pieces clipped to the window, computed for all carried tags at once with numpy.
"""

from __future__ import annotations

import math

import numpy as np

INF = math.inf

#: Columnar motion of tags over one chunk: each row is a straight piece (x0, y0) -> (x1, y1) on one level between
#: t0_us and t1_us (a tag at rest has x0 == x1, y0 == y1). `container` is the storage-unit index (in floor.storage
#: order) of the unit the tag rests in, or -1. `tag` indexes the ledger's tags (stable for the whole run).
SEGMENT_DTYPE = np.dtype(
    [
        ("tag", "<i8"),
        ("epc", "S24"),
        ("t0_us", "<i8"),
        ("t1_us", "<i8"),
        ("level", "<i4"),
        ("x0", "<f8"),
        ("y0", "<f8"),
        ("x1", "<f8"),
        ("y1", "<f8"),
        ("container", "<i4"),
    ],
    align=True,
)

#: Motion of a handheld reader's antenna over one chunk (it moves with the officer carrying it).
HANDHELD_DTYPE = np.dtype(
    [
        ("reader", "S32"),
        ("t0_us", "<i8"),
        ("t1_us", "<i8"),
        ("level", "<i4"),
        ("x0", "<f8"),
        ("y0", "<f8"),
        ("x1", "<f8"),
        ("y1", "<f8"),
        ("azimuth_deg", "<f8"),  # where the handheld points in the plan; NaN: the placement's azimuth
    ],
    align=True,
)


class Walker:
    """An officer's motion: straight pieces (t0_s, t1_s, level, x0, y0, x1, y1), time-ordered and contiguous, the
    last one open-ended (standing), and the door crossings (t_s, space index) not yet applied to carried tags."""

    __slots__ = ("name", "idx", "badge", "space", "place", "pieces", "crossings", "carried", "dest")

    def __init__(self, name: str, idx: int, space: int, place):
        self.name = name
        self.idx = idx
        self.badge = -1
        self.space = space  # space index, as of the last applied crossing
        self.place = place  # where the officer stands (or will stand at the end of the current walk)
        self.pieces: list[tuple] = []
        self.crossings: list[tuple[float, int]] = []
        self.carried: set[int] = set()
        self.dest = place

    def pos_at(self, t_s: float) -> tuple[float, float, int]:
        """(x, y, level index) at t_s."""
        last = None
        for p in self.pieces:
            if p[0] <= t_s and (t_s < p[1] or p[1] == INF):
                if p[1] == INF or p[1] <= p[0]:
                    return p[3], p[4], p[2]
                f = (t_s - p[0]) / (p[1] - p[0])
                return p[3] + (p[5] - p[3]) * f, p[4] + (p[6] - p[4]) * f, p[2]
            if p[0] <= t_s:
                last = p
        if last is None:
            raise ValueError(f"officer {self.name!r} has no position at t={t_s}")
        return last[5], last[6], last[2]

    def truncate(self, t_s: float) -> None:
        """Cut the motion at t_s (a new walk or a stop starts then) and forget crossings not yet made."""
        x, y, _ = self.pos_at(t_s)
        keep = [p for p in self.pieces if p[0] < t_s]
        if keep and keep[-1][1] > t_s:
            p = keep[-1]
            keep[-1] = (p[0], t_s, p[2], p[3], p[4], x, y)
        self.pieces = keep
        self.crossings = []


def officer_pieces(officers, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All officers' motion pieces overlapping [t0, t1) as an (P, 7) array, with per-officer offsets/counts."""
    rows: list[tuple] = []
    n_off = len(officers)
    start = np.zeros(n_off, dtype=np.int64)
    count = np.zeros(n_off, dtype=np.int64)
    for o in officers:
        start[o.idx] = len(rows)
        for p in o.pieces:
            if p[1] > t0 and p[0] < t1:
                rows.append(p)
        count[o.idx] = len(rows) - start[o.idx]
    arr = np.array(rows, dtype=np.float64).reshape(-1, 7)
    return arr, start, count

def along(P, start, count, tags, a, b, h, epc_b, start_us: int) -> tuple[np.ndarray, np.ndarray]:
    """Segments of tags carried by officers h over [a, b): the officers' pieces clipped to each window.

    Returns the segments and, for each, the index of the window (into `tags`) it belongs to.
    """
    cnt = count[h]
    rep = np.repeat(np.arange(len(tags)), cnt)
    if len(rep) == 0:
        return np.zeros(0, SEGMENT_DTYPE), rep
    offs = np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    pi = np.repeat(start[h], cnt) + offs
    pc = P[pi]
    lo = np.maximum(pc[:, 0], a[rep])
    hi = np.minimum(pc[:, 1], b[rep])
    keep = hi > lo
    pc, lo, hi, rep = pc[keep], lo[keep], hi[keep], rep[keep]
    dur = pc[:, 1] - pc[:, 0]
    moving = np.isfinite(dur) & (dur > 0)
    safe = np.where(moving, dur, 1.0)
    f0 = np.where(moving, (lo - pc[:, 0]) / safe, 0.0)
    f1 = np.where(moving, (hi - pc[:, 0]) / safe, 0.0)
    out = np.zeros(len(rep), SEGMENT_DTYPE)
    t = tags[rep]
    out["tag"] = t
    out["epc"] = epc_b[t]
    out["t0_us"] = start_us + np.round(lo * 1e6).astype(np.int64)
    out["t1_us"] = start_us + np.round(hi * 1e6).astype(np.int64)
    out["level"] = pc[:, 2]
    out["x0"] = pc[:, 3] + (pc[:, 5] - pc[:, 3]) * f0
    out["y0"] = pc[:, 4] + (pc[:, 6] - pc[:, 4]) * f0
    out["x1"] = pc[:, 3] + (pc[:, 5] - pc[:, 3]) * f1
    out["y1"] = pc[:, 4] + (pc[:, 6] - pc[:, 4]) * f1
    out["container"] = -1
    ok = out["t1_us"] > out["t0_us"]
    return out[ok], rep[ok]


def rest_segments(tags, a_s, b_s, level, x, y, container, epc_b, start_us: int) -> np.ndarray:
    """Segments of tags at rest at (x, y) over [a_s, b_s) (arrays aligned with `tags`; b_s may be a scalar)."""
    s = np.zeros(len(tags), SEGMENT_DTYPE)
    s["tag"] = tags
    s["epc"] = epc_b[tags]
    s["t0_us"] = start_us + np.round(np.asarray(a_s) * 1e6).astype(np.int64)
    s["t1_us"] = start_us + np.round(np.asarray(b_s) * 1e6).astype(np.int64)
    s["level"] = level
    s["x0"] = s["x1"] = x
    s["y0"] = s["y1"] = y
    s["container"] = container
    return s[s["t1_us"] > s["t0_us"]]


def handheld_segments(P, start, count, wins, start_us: int, aims=None) -> np.ndarray:
    """Where handheld readers were: wins = [(reader, officer index, t0_s, t1_s)], following each officer's pieces.

    aims = {reader: [(t_s, azimuth_deg), ...]} time-ordered, the keeper pointing the handheld from t_s on (NaN: not
    aimed). A piece takes the aim in force at its midpoint; an unaimed piece points along the walk while moving,
    and keeps the placement's azimuth (NaN) while standing."""
    if not wins:
        return np.zeros(0, HANDHELD_DTYPE)
    h = np.array([w[1] for w in wins], dtype=np.int64)
    a = np.array([w[2] for w in wins])
    b = np.array([w[3] for w in wins])
    no_epc = np.zeros(1, dtype="S24")
    seg, rep = along(P, start, count, np.zeros(len(wins), np.int64), a, b, h, no_epc, start_us)
    out = np.zeros(len(seg), HANDHELD_DTYPE)
    names = np.array([w[0].encode("ascii") for w in wins], dtype="S32")
    out["reader"] = names[rep]
    for f in ("t0_us", "t1_us", "level", "x0", "y0", "x1", "y1"):
        out[f] = seg[f]
    dx, dy = out["x1"] - out["x0"], out["y1"] - out["y0"]
    walk = np.where((dx != 0) | (dy != 0), np.degrees(np.arctan2(dy, dx)), np.nan)
    aim = np.full(len(out), np.nan)
    mid = (out["t0_us"] + out["t1_us"]) // 2
    for r, ev in (aims or {}).items():
        if not ev:
            continue
        rows = np.flatnonzero(out["reader"] == r.encode("ascii"))
        t = start_us + np.round(np.array([e[0] for e in ev]) * 1e6).astype(np.int64)
        k = np.searchsorted(t, mid[rows], side="right") - 1
        got = k >= 0
        aim[rows[got]] = np.array([e[1] for e in ev], np.float64)[k[got]]
    out["azimuth_deg"] = np.where(np.isnan(aim), walk, aim)
    return out[out["t1_us"] > out["t0_us"]]
