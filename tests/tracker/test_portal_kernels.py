"""The compiled portal walks (twin.tracker.kernels_portal) against the plain per-row forms they replaced: the carrier
badge's sequence and the passage direction, on random rows, give the same values and leave the same walk state."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.carrier import carrier_seq
from twin.tracker.portal import BADGE_S, CLEAR_S, CONF_S, PEAK_S, WALK_S, Walks, direction

from .test_portal_direction import DOORS, _hops


def _direction_plain(tag: np.ndarray, t_us: np.ndarray, door: np.ndarray, start: np.ndarray, own: np.ndarray,
              beyond: np.ndarray, here: np.ndarray, peak: np.ndarray, walks: Walks, hops: np.ndarray,
              max_hops: int = 2, badge_dest: np.ndarray | None = None, prefer_badge: bool = False,
              seq: np.ndarray | None = None, conf_out: np.ndarray | None = None, carrier: np.ndarray | None = None,
              carrier_w: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """portal.direction as it was written before its row loop was compiled (see its docstring for the rule)."""
    n = len(tag)
    dest = np.full(n, -1, np.int32)
    by_path = np.zeros(n, bool)
    tl, tt, dl, sl, ol, bl, hl, pl = (x.tolist() for x in (tag, t_us, door, start, own, beyond, here, peak))
    bd = badge_dest.tolist() if badge_dest is not None else [-1] * n
    sq = seq.tolist() if seq is not None else [float("nan")] * n
    cq = carrier.tolist() if carrier is not None and carrier_w > 0 else None
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
        if cq is not None and cq[i] == cq[i]:
            d = cq[i] if d != d else (d + carrier_w * cq[i]) / (1.0 + carrier_w)
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



def _carrier_plain(door: np.ndarray, start: np.ndarray, t_us: np.ndarray, is_badge: np.ndarray, seq: np.ndarray,
                rows: np.ndarray, window_us: int, span_us: int) -> np.ndarray:
    """carrier.carrier_seq as it was written before its row loop was compiled (see its docstring for the rule)."""
    out = np.full(len(rows), np.nan)
    b = np.flatnonzero(is_badge & ~np.isnan(seq))
    if len(b) == 0 or len(rows) == 0:
        return out
    o = np.lexsort((t_us[b], door[b]))
    b = b[o]
    bd, bt, bs, bq = door[b], t_us[b], start[b], seq[b]
    for k, i in enumerate(rows.tolist()):
        d, t, s = int(door[i]), int(t_us[i]), int(start[i])
        lo = int(np.searchsorted(bd, d, side="left"))
        up = int(np.searchsorted(bd, d, side="right"))
        if lo == up:
            continue
        j = lo + int(np.searchsorted(bt[lo:up], t, side="right")) - 1
        best, gap = -1, window_us + 1
        while j >= lo and t - int(bt[j]) <= span_us:
            g = abs(int(bs[j]) - s)
            if g < gap:  # the nearest start; of one burst, its latest row (met first going back)
                best, gap = j, g
            j -= 1
        if best >= 0:
            out[k] = bq[best]
    return out


_rows = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 40), st.integers(0, 6),
                           st.booleans(), st.one_of(st.just(float("nan")), st.floats(-3, 3)),
                           st.one_of(st.just(float("nan")), st.floats(-3, 3)), st.integers(-1, 3),
                           st.booleans(), st.integers(-1, 3)), min_size=0, max_size=40)  # fmt: skip


def _arrays(spec):
    spec = sorted(spec, key=lambda r: (r[0], r[2]))  # (tag, time)
    tag = np.array([r[0] for r in spec], np.int32)
    t = np.array([r[2] for r in spec], np.int64) * 500_000
    door = np.array([r[1] for r in spec], np.int32)
    start = np.maximum(t - np.array([r[3] for r in spec], np.int64) * 500_000, 0)
    side = np.array([r[4] for r in spec], bool)
    own = np.array([DOORS[d][0] if s else DOORS[d][1] for d, s in zip(door.tolist(), side.tolist())], np.int32)
    beyond = np.array([DOORS[d][1] if s else DOORS[d][0] for d, s in zip(door.tolist(), side.tolist())], np.int32)
    seq = np.array([r[5] for r in spec], float)
    car = np.array([r[6] for r in spec], float)
    here = np.array([r[7] for r in spec], np.int32)
    peak = np.array([r[8] for r in spec], bool)
    bd = np.array([r[9] for r in spec], np.int32)
    return tag, t, door, start, own, beyond, here, peak, seq, car, bd


@settings(max_examples=150, deadline=None)
@given(_rows, _rows, st.booleans(), st.booleans(), st.sampled_from([0.0, 0.5, 1.0]))
def test_direction_matches_the_plain_form_across_batches(s1, s2, with_badge, prefer, cw):
    w1, w2 = Walks(8.0), Walks(8.0)
    w1.grow(4)
    w2.grow(4)
    hops = _hops()
    for k, spec in enumerate((s1, s2)):
        tag, t, door, start, own, beyond, here, peak, seq, car, bd = _arrays(spec)
        t, start = t + k * 10_000_000, start + k * 10_000_000
        bd = bd if with_badge else None
        c1, c2 = np.zeros(len(tag)), np.zeros(len(tag))
        d1, p1 = direction(tag, t, door, start, own, beyond, here, peak, w1, hops, 2, bd, prefer, seq, c1, car, cw)
        d2, p2 = _direction_plain(tag, t, door, start, own, beyond, here, peak, w2, hops, 2, bd, prefer, seq, c2,
                                  car, cw)  # fmt: skip
        assert d1.tolist() == d2.tolist() and p1.tolist() == p2.tolist()
        assert c1.tobytes() == c2.tobytes()
        for f in ("origin", "dest", "t_us", "b_door", "b_start", "b_src", "b_badge"):
            assert getattr(w1, f).tolist() == getattr(w2, f).tolist(), f


@settings(max_examples=150, deadline=None)
@given(_rows, st.integers(0, 8), st.integers(0, 12))
def test_carrier_seq_matches_the_plain_form(spec, window, span):
    tag, t, door, start, own, beyond, here, peak, seq, car, bd = _arrays(spec)
    badge = peak
    rows = np.flatnonzero(~badge)
    a = carrier_seq(door, start, t, badge, seq, rows, window * 500_000, span * 500_000)
    b = _carrier_plain(door, start, t, badge, seq, rows, window * 500_000, span * 500_000)
    assert a.tobytes() == b.tobytes()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5), st.integers(0, 3), st.integers(-90, -20)), max_size=30),
       st.booleans())  # fmt: skip
def test_portal_rows_gathers_what_the_array_form_did(spec, has_badge):
    from twin.tracker.kernels_portal import portal_rows

    pm = np.array([r[0] for r in spec], bool)
    tag = np.array([r[1] for r in spec], np.int32)
    ant = np.array([r[2] for r in spec], np.int64)
    rssi = np.array([r[3] for r in spec], np.int16)
    t = np.arange(len(spec), dtype=np.int64) * 7
    cnt = np.arange(len(spec), dtype=np.int32) % 3 + 1
    ant_door, ant_space, ant_other = (np.array([0, 0, 1, -1], np.int32), np.array([0, 1, 2, 3], np.int32),
                                      np.array([1, 0, 1, -1], np.int32))  # fmt: skip
    badge = np.array([True, False, True, False, False, True])
    got = portal_rows(pm, tag, t, ant, rssi, cnt, ant_door, ant_space, ant_other, badge, has_badge)
    pa = ant[pm]
    want = (np.flatnonzero(pm), tag[pm], t[pm], ant_door[pa], np.where(ant_space[pa] < ant_other[pa], 1, 2), rssi[pm],
            cnt[pm], badge[tag[pm]] if has_badge else np.zeros(int(pm.sum()), bool))  # fmt: skip
    for x, y in zip(got, want):
        assert x.dtype == y.dtype and x.tolist() == y.tolist()


def _latest_plain(tag, ev, factor=1.01):
    out = np.asarray(ev, np.float64).copy()
    tl = tag.tolist()
    acc, prev = 0.0, None
    for i in range(len(out)):
        if tl[i] != prev:
            acc, prev = 0.0, tl[i]
        out[i] = max(out[i], factor * acc)
        acc += out[i]
    return out


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.floats(0, 1e6)), max_size=30))
def test_latest_wins_matches_the_plain_form(spec):
    from twin.tracker.portal import latest_wins

    spec = sorted(spec, key=lambda r: r[0])
    tag = np.array([r[0] for r in spec], np.int32)
    ev = np.array([r[1] for r in spec], np.float64)
    assert latest_wins(tag, ev).tobytes() == _latest_plain(tag, ev).tobytes()
