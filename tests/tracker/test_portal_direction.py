"""Passage direction on hand-made bursts: path consistency (a tag leaves the space it is in), walks past a door
judged by the next burst, the carrier's badge and the RSSI peak only when the tag has no place; Batch first_us."""

from __future__ import annotations

import numpy as np
import pytest

from twin.tracker.ingest import Ingest
from twin.tracker.portal import Walks, direction
from twin.tracker.sitemodel import site_model

from .synth import DOSSIER, S, SITE, T0, reads

# spaces: 0 office-a, 1 corridor, 2 office-b, 3 room-c; doors: 0 = a|corridor, 1 = corridor|b, 2 = corridor|c
A, C, B, R = 0, 1, 2, 3
DOORS = {0: (A, C), 1: (C, B), 2: (C, R)}


def _hops() -> np.ndarray:
    adj = {A: {C}, C: {A, B, R}, B: {C}, R: {C}}
    n = 4
    h = np.full((n + 1, n + 1), 1 << 20, np.int32)
    for s in range(n):
        h[s, s] = 0
        for t in adj[s]:
            h[s, t] = 1
        for t in range(n):
            if h[s, t] > 1 and any(t in adj[u] for u in adj[s]):
                h[s, t] = 2
    return h


def _burst(door: int, t_s: float, sides: list[int]) -> list[tuple[int, int, int, int]]:
    """Rows (t_us, door, own side, space beyond) of one burst: one row per entry of sides, 0.4 s apart."""
    out = []
    for k, side in enumerate(sides):
        a, b = DOORS[door]
        own, beyond = (a, b) if side == a else (b, a)
        out.append((T0 + int((t_s + 0.4 * k) * S), door, own, beyond))
    return out


def _run(bursts: list[list[tuple]], here: int, peak: bool | list[bool] = True, badge: int = -1,
         walks: Walks | None = None) -> tuple[np.ndarray, np.ndarray, Walks]:  # fmt: skip
    rows = [r for b in bursts for r in b]
    start = [b[0][0] for b in bursts for _ in b]
    n = len(rows)
    w = walks or Walks(60.0)
    w.grow(1)
    pk = np.array(peak if isinstance(peak, list) else [peak] * n, bool)
    dest, by_path = direction(np.zeros(n, np.int32), np.array([r[0] for r in rows], np.int64),
                              np.array([r[1] for r in rows], np.int32), np.array(start, np.int64),
                              np.array([r[2] for r in rows], np.int32), np.array([r[3] for r in rows], np.int32),
                              np.full(n, here, np.int32), pk, w, _hops(), 2,
                              np.full(n, badge, np.int32))  # fmt: skip
    return dest, by_path, w


def test_a_tag_leaves_the_space_it_is_in_whatever_the_peak_says():
    for peak in (True, False):
        dest, by_path, _ = _run([_burst(0, 0.0, [C, A, C, A])], here=C, peak=peak)
        assert dest.tolist() == [A] * 4 and by_path.all()
        dest, _, _ = _run([_burst(0, 0.0, [A, C, A, C])], here=A, peak=peak)
        assert dest.tolist() == [C] * 4


def test_one_destination_per_burst():
    # the walk state changes at the burst's first row; its later rows keep the same destination
    dest, _, w = _run([_burst(1, 0.0, [B, C, B, C, B])], here=C)
    assert set(dest.tolist()) == {B}
    assert (w.origin[0], w.dest[0]) == (C, B)


def test_walk_past_a_door_is_judged_by_the_next_burst():
    # in the corridor, walked past office-a's door (taken into a at first), then into office-b 10 s later:
    # office-b's door is no door of a, so the tag never left the corridor and goes from there into b
    dest, _, _ = _run([_burst(0, 0.0, [A, C]), _burst(1, 10.0, [C, B])], here=C)
    assert dest.tolist() == [A, A, B, B]


def test_walk_state_carries_over_batches_and_expires():
    _, _, w = _run([_burst(0, 0.0, [A, C])], here=C)
    dest, _, w = _run([_burst(1, 10.0, [C, B])], here=A, walks=w)  # accepted place lags: the walk still knows
    assert dest.tolist() == [B, B]
    dest, _, _ = _run([_burst(2, 200.0, [C, R])], here=R, walks=w)  # stale walk: the accepted place decides
    assert dest.tolist() == [C, C]


def test_no_place_badge_then_peak():
    far = -1
    dest, by_path, _ = _run([_burst(2, 0.0, [C, R])], here=far, peak=False)
    assert dest.tolist() == [-1, -1] and not by_path.any()
    dest, _, _ = _run([_burst(2, 0.0, [C, R])], here=far, peak=False, badge=R)
    assert dest.tolist() == [R, R]
    dest, _, _ = _run([_burst(2, 0.0, [C, R])], here=far, peak=[False, True])
    assert dest.tolist() == [-1, R]  # undecided until the side heard loudest last is known


def test_batch_carries_first_seen():
    ing = Ingest(site_model(SITE))
    r = reads([(1.0, "R-a", 1, DOSSIER), (3.0, "R-a", 1, DOSSIER)])
    r["first_us"] = r["t_us"] - np.array([500_000, 0])
    ing.push(r)
    b = ing.pop(T0 + 60 * S)
    assert (b.t_us - b.first_us).tolist() == [500_000, 0]
    assert (b.take(np.array([False, True])).first_us == b.first_us[1:]).all()


def test_badge_destination_same_door_same_burst():
    from twin.tracker.portal import badge_destinations

    door = np.array([0, 0, 1], np.int32)
    start = np.array([10, 100, 10], np.int64) * S
    got = badge_destinations(door, start, np.array([0, 1], np.int32), np.array([11, 50], np.int64) * S,
                             np.array([A, B], np.int32), 3 * S)  # fmt: skip
    assert got.tolist() == [A, -1, -1]  # near in time at the same door only


def test_badge_first_overrides_a_stale_place():
    dest, _, _ = _run([_burst(0, 0.0, [A, C])], here=A, badge=A)
    assert dest.tolist() == [C, C]  # default: the dossier's own walk
    rows = _burst(0, 0.0, [A, C])
    w = Walks(60.0)
    w.grow(1)
    dest, _ = direction(np.zeros(2, np.int32), np.array([r[0] for r in rows]), np.zeros(2, np.int32),
                        np.full(2, rows[0][0]), np.array([A, C], np.int32), np.array([C, A], np.int32),
                        np.full(2, A, np.int32), np.ones(2, bool), w, _hops(), 2, np.full(2, A, np.int32),
                        prefer_badge=True)  # fmt: skip
    assert dest.tolist() == [A, A]


# -- antenna sequence (Passages.seq) and its weight against the walk ------------------------------------------------
def _passages_rows(sides: list[int], dt_s: float = 0.5, counts: list[int] | None = None, t0_s: float = 0.0):
    n = len(sides)
    t = T0 + ((t0_s + dt_s * np.arange(n)) * S).astype(np.int64)
    cnt = np.array(counts or [5] * n, np.int64)
    return np.zeros(n, np.int32), t, np.zeros(n, np.int32), np.array(sides, np.int8), np.full(n, -50, np.int16), cnt


def _young(p, rows):
    tag, t, door, side, rssi, cnt = rows
    young, _, _, _ = p.young(tag, t, door, side, rssi, detail=True, count=cnt)
    return young, p.seq.copy()


def test_sequence_sign_follows_the_order_of_the_sides():
    from twin.tracker.portal import Passages

    for order, sign in (([1, 1, 2, 1, 2, 2], 1.0), ([2, 2, 1, 2, 1, 1], -1.0)):
        p = Passages(1, quiet_s=20.0, burst_s=8.0)
        p.grow(1)
        young, seq = _young(p, _passages_rows(order))
        assert np.isnan(seq[:2]).all()  # one side heard so far
        assert (np.sign(seq[2:]) == sign).all() and young[2:].all()


def test_sequence_carries_over_a_batch_boundary():
    from twin.tracker.portal import Passages

    rows = _passages_rows([1, 1, 2, 1, 2, 2], counts=[3, 7, 2, 4, 9, 5])
    whole = Passages(1, 20.0, 8.0)
    whole.grow(1)
    _, seq_whole = _young(whole, rows)
    cut = Passages(1, 20.0, 8.0)
    cut.grow(1)
    _, first = _young(cut, tuple(c[:3] for c in rows))
    _, second = _young(cut, tuple(c[3:] for c in rows))
    assert np.allclose(np.r_[first, second], seq_whole, equal_nan=True)
    # closed form at the last row: count-weighted read-time centroids, side 2 minus side 1
    t = np.arange(6) * 0.5
    w = np.array([3, 7, 2, 4, 9, 5.0])
    s1, s2 = np.array([1, 1, 0, 1, 0, 0], bool), np.array([0, 0, 1, 0, 1, 1], bool)
    want = (w[s2] @ t[s2]) / w[s2].sum() - (w[s1] @ t[s1]) / w[s1].sum()
    assert seq_whole[-1] == pytest.approx(want)


def test_a_crossing_after_a_long_wait_on_one_side_is_still_a_passage():
    from twin.tracker.portal import Passages

    p = Passages(1, 20.0, 8.0)
    p.grow(1)
    # heard by side 1 for 12 s (a carrier waiting at the door), then carried through
    young, seq = _young(p, _passages_rows([1] * 24 + [2, 1, 2, 2]))
    assert not young[:24].any() and young[24:].all() and (seq[24:] > 0).all()


def _seq_run(sides_order: list[int], here: int, seq: list[float], peak: bool = True):
    """direction() on one burst at door 0 (office-a | corridor) with given per-row sequence values."""
    rows = _burst(0, 0.0, sides_order)
    n = len(rows)
    w = Walks(60.0)
    w.grow(1)
    conf = np.zeros(n)
    dest, trusted = direction(np.zeros(n, np.int32), np.array([r[0] for r in rows], np.int64),
                              np.zeros(n, np.int32), np.full(n, rows[0][0], np.int64),
                              np.array([r[2] for r in rows], np.int32), np.array([r[3] for r in rows], np.int32),
                              np.full(n, here, np.int32), np.full(n, peak), w, _hops(), 2,
                              seq=np.array(seq, float), conf_out=conf)  # fmt: skip
    return dest, trusted, conf


def test_a_clear_sequence_overrules_a_wrong_place():
    # door 0: spaces A (0) and C (1); side 1 is A (lower index). The tracker wrongly has the tag in C already, but
    # the antennas heard A first and C last by a second: it went A -> C
    dest, trusted, conf = _seq_run([A, C, C], here=C, seq=[float("nan"), 0.6, 1.0])
    assert dest.tolist() == [A, C, C]  # before the far side is heard only the walk speaks
    assert trusted[1:].all() and conf[2] > conf[1] > 0.5


def test_an_unclear_sequence_defers_to_the_walk():
    dest, trusted, _ = _seq_run([A, C, A], here=C, seq=[float("nan"), 0.05, 0.1])
    assert dest.tolist() == [A, A, A] and trusted.all()
    dest, trusted, _ = _seq_run([A, C], here=-1, seq=[float("nan"), 0.05], peak=False)
    assert dest.tolist() == [-1, C] and not trusted.any()  # no walk: the sequence alone, not trusted
