"""Exact, vectorised place accuracy and latency: truth intervals against estimate steps, per tag, on a 1 Hz clock.

Ticks are the integer seconds after the run's start (start_us + k * 1 s). A half-open span [a, b) of microseconds
holds ceil(b) - ceil(a) ticks, so each (truth interval x estimate step) overlap is counted in closed form and no
tick is ever materialised. The estimate in force at a tick is the latest one at or before it (the last row wins
among rows with the same time); before a tag's first estimate nothing is in force, which never matches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

US = 1_000_000
_I64_MAX = np.iinfo(np.int64).max


def joint_codes(*cols: pa.Array | pa.ChunkedArray) -> tuple[list[np.ndarray], list[str]]:
    """Integer codes for string columns over one shared dictionary (nulls and "" both become -1)."""
    arrays = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in cols]
    arrays = [a.cast(pa.string()) for a in arrays]
    enc = pa.chunked_array(arrays, type=pa.string()).combine_chunks().dictionary_encode()
    dictionary = enc.dictionary.to_pylist()
    idx = enc.indices.to_numpy(zero_copy_only=False)
    idx = np.where(pd_isnull(enc.indices), -1, idx).astype(np.int64)
    if "" in dictionary:
        idx[idx == dictionary.index("")] = -1
    out, k = [], 0
    for a in arrays:
        out.append(idx[k : k + len(a)])
        k += len(a)
    return out, dictionary


def pd_isnull(arr: pa.Array) -> np.ndarray:
    return pc.is_null(arr).to_numpy(zero_copy_only=False)


def ticks(a_us: np.ndarray, b_us: np.ndarray, start_us: int) -> np.ndarray:
    """Number of 1 Hz ticks (start_us + k s) in [a, b); 0 where b <= a."""
    ca = -((start_us - a_us) // US)  # ceil((a - start) / 1 s)
    cb = -((start_us - b_us) // US)
    return np.maximum(cb - ca, 0)


def _pack(group: np.ndarray, t_rel: np.ndarray, span: int) -> np.ndarray:
    """One sortable int64 key per (group, time); time relative to the window, in [0, span)."""
    n_groups = int(group.max()) + 1 if len(group) else 0
    if n_groups and n_groups > _I64_MAX // max(span, 1):
        raise ValueError(f"{n_groups} tags x {span} us does not fit a 64-bit key: score a shorter window")
    return group.astype(np.int64) * span + t_rel


@dataclass(frozen=True)
class Steps:
    """Estimate steps per tag over the scoring window, sorted by (tag, time), one row per (tag, time)."""

    tag: np.ndarray
    t_us: np.ndarray  # clipped to [w0 - 1, w1]: every estimate before the window collapses to its last one
    end_us: np.ndarray  # next step's time for the same tag, else w1
    val: np.ndarray
    key: np.ndarray
    w0: int
    span: int


def tag_time_order(tag: np.ndarray, t_us: np.ndarray) -> np.ndarray:
    """A stable order by (tag, time): radix sorts, fast when the rows come time-sorted as a core emits them."""
    first = None
    if len(t_us) > 1 and (t_us[1:] < t_us[:-1]).any():
        first = np.argsort(t_us, kind="stable")
        tag = tag[first]
    small = np.uint16 if len(tag) == 0 or (tag.min() >= 0 and tag.max() < 1 << 16) else np.int64
    by_tag = np.argsort(tag.astype(small), kind="stable")
    return by_tag if first is None else first[by_tag]


def make_steps(tag: np.ndarray, t_us: np.ndarray, val: np.ndarray, w0: int, w1: int, order=None) -> Steps:
    """Steps from estimate rows; `order` is tag_time_order(tag, t_us) when the caller already has it."""
    span = w1 - w0 + 2
    order = tag_time_order(tag, t_us) if order is None else order
    tag, t, val = tag[order], np.clip(t_us[order].astype(np.int64), w0 - 1, w1), val[order]  # clip keeps the order
    keep = np.ones(len(tag), bool)
    keep[:-1] = (tag[1:] != tag[:-1]) | (t[1:] != t[:-1])  # the last row of equal (tag, t) wins
    tag, t, val = tag[keep], t[keep], val[keep]
    keep = np.ones(len(tag), bool)
    keep[1:] = (tag[1:] != tag[:-1]) | (val[1:] != val[:-1])  # a repeated value does not change the step function
    tag, t, val = tag[keep], t[keep], val[keep]
    end = np.full(len(t), w1, dtype=np.int64)
    same = tag[1:] == tag[:-1]
    end[:-1][same] = t[1:][same]
    return Steps(tag, t, end, val, _pack(tag, t - (w0 - 1), span), w0, span)


def in_force(steps: Steps, tag: np.ndarray, t_us: np.ndarray) -> np.ndarray:
    """Index of the step in force for each (tag, t) (latest at or before t), -1 when none."""
    i = np.searchsorted(steps.key, _pack(tag, t_us - (steps.w0 - 1), steps.span), side="right") - 1
    ok = i >= 0
    ok[ok] = steps.tag[i[ok]] == tag[ok]
    return np.where(ok, i, -1)


def matched_ticks(
    tag: np.ndarray, a_us: np.ndarray, b_us: np.ndarray, val: np.ndarray, steps: Steps, start_us: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per truth interval [a, b) (already inside the window): (ticks whose step value equals val, all its ticks)."""
    total = ticks(a_us, b_us, start_us)
    n = len(tag)
    if n == 0 or len(steps.tag) == 0:
        return np.zeros(n, np.int64), total
    first = in_force(steps, tag, a_us)
    lo = np.where(first >= 0, first, np.searchsorted(steps.key, _pack(tag, a_us - (steps.w0 - 1), steps.span), "right"))
    hi = np.searchsorted(steps.key, _pack(tag, b_us - (steps.w0 - 1), steps.span), side="left")
    count = np.maximum(hi - lo, 0)
    rep = np.repeat(np.arange(n), count)
    offs = np.cumsum(count) - count
    j = lo[rep] + (np.arange(len(rep)) - offs[rep])
    ov_a = np.maximum(a_us[rep], steps.t_us[j])
    ov_b = np.minimum(b_us[rep], steps.end_us[j])
    hit = (steps.val[j] == val[rep]) & (val[rep] >= 0)
    good = np.bincount(rep[hit], weights=ticks(ov_a[hit], ov_b[hit], start_us), minlength=n)
    return np.rint(good).astype(np.int64), total


@dataclass(frozen=True)
class Moves:
    """True changes of place: tag, time, place before and after, and the next change's time (or the window end)."""

    tag: np.ndarray
    t_us: np.ndarray
    prev: np.ndarray
    new: np.ndarray
    next_us: np.ndarray


def true_moves(tag: np.ndarray, t0_us: np.ndarray, val: np.ndarray, w0: int, w1: int) -> Moves:
    """Changes of `val` between consecutive truth intervals of a tag, kept when they happen in [w0, w1)."""
    order = np.lexsort((t0_us, tag))
    tag, t0, val = tag[order], t0_us[order].astype(np.int64), val[order]
    change = np.zeros(len(tag), bool)
    change[1:] = (tag[1:] == tag[:-1]) & (val[1:] != val[:-1])
    idx = np.flatnonzero(change)
    nxt = np.full(len(idx), w1, dtype=np.int64)
    if len(idx) > 1:
        same = tag[idx[1:]] == tag[idx[:-1]]
        nxt[:-1][same] = t0[idx[1:]][same]
    nxt = np.minimum(nxt, w1)
    keep = (t0[idx] >= w0) & (t0[idx] < w1)
    idx, nxt = idx[keep], nxt[keep]
    return Moves(tag[idx], t0[idx], val[idx - 1], val[idx], nxt)


def move_latency_us(moves: Moves, steps: Steps) -> np.ndarray:
    """Per true move, microseconds until the estimate first shows the new place; -1 when it never does in time."""
    n = len(moves.tag)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(steps.tag) == 0:
        return out
    cur = in_force(steps, moves.tag, moves.t_us)
    already = cur >= 0
    already[already] = steps.val[cur[already]] == moves.new[already]
    out[already] = 0
    # first step with the new value strictly after the move: search steps sorted by (tag, value, time)
    n_val = int(max(steps.val.max(), moves.new.max())) + 2
    grp = steps.tag.astype(np.int64) * n_val + (steps.val + 1)
    order = np.argsort(grp, kind="stable")  # steps are in (tag, time) order already: keeps time order per group
    gkey = _pack(grp[order], steps.t_us[order] - (steps.w0 - 1), steps.span)
    mgrp = moves.tag.astype(np.int64) * n_val + (moves.new + 1)
    i = np.searchsorted(gkey, _pack(mgrp, moves.t_us - (steps.w0 - 1), steps.span), side="right")
    ok = (i < len(gkey)) & ~already & (moves.new >= 0)
    i = np.minimum(i, len(gkey) - 1)
    ok &= grp[order][i] == mgrp
    t_hit = steps.t_us[order][i]
    ok &= t_hit < moves.next_us
    out[ok] = t_hit[ok] - moves.t_us[ok]
    return out
