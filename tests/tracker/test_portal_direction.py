"""Passage direction on hand-made bursts: path consistency (a tag leaves the space it is in), walks past a door
judged by the next burst, the carrier's badge and the RSSI peak only when the tag has no place; Batch first_us."""

from __future__ import annotations

import numpy as np

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
