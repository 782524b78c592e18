"""Resting tags' links to fixed antennas: the pair cache's cold path and the per-chunk gather.

A resting tag's link to a fixed antenna never changes while it rests, so pairs are computed once per resting place
(`linkcache.PairCache`, keyed by a hash of tag, position and container). Most resting tags share a few points (the
position of their storage unit), and everything of a link but the tag's own draws (chip offset, dead, fading)
depends on the point, the container and the antenna only: range, wall-free screen, walls and mean levels are
computed once per (point, container, antenna), then every tag at that point takes them and its own draws.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from twin.readers import rf
from twin.readers.links import free_reach, mean_screen
from twin.readers.tagdraws import _GOLD, _mix, tag_draws
from twin.readers.timegrid import expand


def seg_keys_py(eng, tags, idx: np.ndarray) -> np.ndarray:
    """The pair-cache key of resting segments idx: hash of tag, position (mm), level and container (the plain rule
    of `seg_keys`)."""
    w = rf.epc_words(tags.epc[idx])
    xq = np.rint(tags.x0[idx] * 1000).astype(np.int64)
    yq = np.rint(tags.y0[idx] * 1000).astype(np.int64)
    return rf.hash_u64(eng.seed, w[:, 0], w[:, 1], w[:, 2], xq, yq, tags.level[idx], tags.container[idx])


def seg_keys(eng, tags, idx: np.ndarray) -> np.ndarray:
    """`seg_keys_py` in one compiled pass (`_seg_keys`; the same keys)."""
    if eng.plain:
        return seg_keys_py(eng, tags, idx)
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    f8 = lambda a: np.ascontiguousarray(a, np.float64)  # noqa: E731
    return _seg_keys(np.uint64(eng.seed & 0xFFFFFFFFFFFFFFFF), i8(idx), np.ascontiguousarray(rf.epc_words(tags.epc)),
                     f8(tags.x0), f8(tags.y0), i8(tags.level), i8(tags.container))


@njit(cache=True)
def _seg_keys(seed, idx, words, x0, y0, level, container):
    """`rf.hash_u64` of (EPC words, x and y in mm, level, container) per segment idx, splitmix64 as `tagdraws._mix`."""
    out = np.empty(idx.shape[0], np.uint64)
    for k in range(idx.shape[0]):
        i = idx[k]
        h = seed
        for c in range(7):
            if c < 3:
                v = words[i, c]
            elif c == 3:
                v = np.uint64(np.int64(np.rint(x0[i] * 1000)))
            elif c == 4:
                v = np.uint64(np.int64(np.rint(y0[i] * 1000)))
            elif c == 5:
                v = np.uint64(level[i])
            else:
                v = np.uint64(container[i])
            h = _mix(h ^ (v + _GOLD))
        out[k] = h
    return out


def places(tags, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(one segment per distinct (x, y, container) of segments s, index of each segment's place)."""
    xb, yb = tags.x0[s].view(np.int64), tags.y0[s].view(np.int64)
    c = tags.container[s]
    if len(s) <= 16:  # a few segments: the same stable order and places from a sort of Python tuples
        key = list(zip(xb.tolist(), yb.tolist(), c.tolist()))
        o = sorted(range(len(s)), key=key.__getitem__)
        inv, first, n = [0] * len(s), [], -1
        for j, i in enumerate(o):
            if j == 0 or key[i] != key[o[j - 1]]:
                n += 1
                first.append(i)
            inv[i] = n
        return s[np.array(first, np.int64)], np.array(inv, np.int64)
    return places_py(tags, s)


def places_py(tags, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`places` by a lexsort (the plain rule, and the way for many segments)."""
    xb, yb = tags.x0[s].view(np.int64), tags.y0[s].view(np.int64)
    c = tags.container[s]
    o = np.lexsort((c, yb, xb))
    new = np.r_[True, (xb[o][1:] != xb[o][:-1]) | (yb[o][1:] != yb[o][:-1]) | (c[o][1:] != c[o][:-1])]
    inv = np.empty(len(s), np.int64)
    inv[o] = np.cumsum(new) - 1
    return s[o[new]], inv


def new_static(eng, idx: np.ndarray, keys: np.ndarray, tags) -> None:
    """Links of newly resting tags to every fixed antenna on their level, into the pair cache."""
    P = eng.params.rf
    uk, first = np.unique(keys, return_index=True)
    idx = idx[first]
    out = [], [], [], []
    for lv in np.unique(tags.level[idx]):
        s, sk = idx[tags.level[idx] == lv], uk[tags.level[idx] == lv]
        fa = eng.fixed[eng.a_level[eng.fixed] == lv]
        if not len(fa):
            continue
        ps, pinv = places(tags, s)
        pxy = np.column_stack([tags.x0[ps], tags.y0[ps]])
        d = np.hypot(pxy[:, 0][:, None] - eng.a_xy[fa, 0], pxy[:, 1][:, None] - eng.a_xy[fa, 1])
        ci, ca = np.nonzero(d <= eng.a_range[fa])  # (place, antenna) in range, row-major
        pc = tags.container[ps]
        ok = free_reach(eng, fa[ca], pc[ci], eng.a_xy[fa[ca]], pxy[ci])  # walls (costly) only where they matter
        ci, ca = ci[ok], ca[ok]
        ai = fa[ca]
        walls = eng._walls_by_antenna(eng.level_ids[lv], ai, pxy[ci])
        k, p_tag, lvl, shielded = mean_screen(eng, ai, pc[ci], eng.a_xy[ai], pxy[ci], walls)
        ci, ai, walls, shielded, p_tag = ci[k], ai[k], walls[k], shielded[k], p_tag[k]
        # every tag at a place takes its place's pairs (tag-major, antennas in order: the order of a per-tag pass)
        lo = np.searchsorted(ci, np.arange(len(ps)), side="left")
        hi = np.searchsorted(ci, np.arange(len(ps)), side="right")
        e = tags.epc[s]
        th, off, dead = tag_draws(eng.seed, e, P)
        alive = np.flatnonzero(~dead)  # a dead tag passes no screen
        t, row, txy = fading_screen(eng, alive, lo[pinv[alive]], hi[pinv[alive]], ci, pxy, ai, th, off, p_tag)
        p, r = rf.pair_link(eng.A, ai[row], eng.a_xy[ai[row]], txy, th[t], off[t], dead[t], walls[row],
                            shielded[row], eng.seed, P, levels=(lvl[0][row], lvl[1][row]))
        keep = p >= P.p_floor  # below it the pair is out of field (RFParams.p_floor)
        out[0].append(sk[t[keep]])
        out[1].append(ai[row[keep]].astype(np.int32))
        out[2].append(p[keep])
        out[3].append(r[keep])
    cat = [np.concatenate(x) if x else np.zeros(0) for x in out]
    eng.pairs.put(uk, cat[0].astype(np.uint64), cat[1].astype(np.int32), cat[2], cat[3], eng.plain)


def fading_screen_py(eng, alive, lo, hi, ci, pxy, ai, th, off, p_tag):
    """Every alive tag (alive) x its place's pairs (rows lo[i]:hi[i], tag-major): (tag, row, tag xy) of those whose
    forward fading draw (`linkcache.forward_fading_db`) reaches the minimum margin. The plain rule (reference of
    `fading_screen`)."""
    P = eng.params.rf
    own, row = expand(lo, hi)
    t = alive[own]
    txy = pxy[ci[row]]
    fwd = eng._forward_fading_db(ai[row], txy, th[t])
    ok = p_tag[row] + fwd - (P.tag_sensitivity_dbm + off[t]) >= rf.min_margin_db(P)
    return t[ok], row[ok], txy[ok]


def fading_screen(eng, alive, lo, hi, ci, pxy, ai, th, off, p_tag):
    """`fading_screen_py`: a compiled pass decides every pair whose draw is clear of the threshold by more than a
    slack (`_fade_pass`, comparing the draw's uniform with the normal CDF at the threshold); numpy's exact rule
    decides the few within it. The same pairs in the same order."""
    if eng.plain:
        return fading_screen_py(eng, alive, lo, hi, ci, pxy, ai, th, off, p_tag)
    P = eng.params.rf
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    f8 = lambda a: np.ascontiguousarray(a, np.float64)  # noqa: E731
    t, row, border = _fade_pass(i8(alive), i8(lo), i8(hi), i8(ci), f8(pxy).reshape(-1, 2), i8(ai),
                                np.ascontiguousarray(eng.A.key, np.uint64), np.ascontiguousarray(th, np.uint64),
                                f8(off), f8(p_tag), np.uint64(eng.seed & 0xFFFFFFFFFFFFFFFF), float(P.shadow_cell_m),
                                float(P.shadow_clip_sigma), float(P.shadow_sigma_db),
                                float(P.tag_sensitivity_dbm), float(rf.min_margin_db(P)))
    txy = pxy[ci[row]]
    b = np.flatnonzero(border)
    if len(b):  # the exact rule where the compiled comparison is within its slack
        fwd = eng._forward_fading_db(ai[row[b]], txy[b], th[t[b]])
        bad = b[~(p_tag[row[b]] + fwd - (P.tag_sensitivity_dbm + off[t[b]]) >= rf.min_margin_db(P))]
        if len(bad):
            keep = np.ones(len(t), bool)
            keep[bad] = False
            t, row, txy = t[keep], row[keep], txy[keep]
    return t, row, txy


_SQRT1_2 = 0.7071067811865476
_SLACK_U = 1e-9  # uniform slack of `_fade_pass` (the normal CDF and inverse are exact to ~1e-16)
_SLACK_Z = 1e-6  # sigma slack at the clip bounds


@njit(cache=True)
def _fade_pass(alive, lo, hi, ci, pxy, ai, akey, th, off, p_tag, seed, cell_m, clip, sigma_db, sens_dbm, mm_db):
    """(tag, row, borderline) of the pairs of `fading_screen_py` that pass or are within the slack: the forward
    draw's hash as `linkcache.forward_fading_db` (seed ^ antenna key, then tag hash, cell x, cell y), its uniform
    against Phi(threshold) instead of the inverse normal of the uniform against the threshold."""
    n = 0
    for i in range(alive.shape[0]):
        n += max(hi[i] - lo[i], 0)
    ot = np.empty(n, np.int64)
    orow = np.empty(n, np.int64)
    ob = np.empty(n, np.bool_)
    m = 0
    for i in range(alive.shape[0]):
        t = alive[i]
        for r in range(lo[i], hi[i]):
            need = (mm_db + (sens_dbm + off[t]) - p_tag[r]) / sigma_db  # pass iff clip(z) >= need
            if need <= -clip - _SLACK_Z:
                ot[m], orow[m], ob[m] = t, r, False
                m += 1
                continue
            if need > clip + _SLACK_Z:
                continue
            if abs(abs(need) - clip) <= _SLACK_Z:  # at a clip bound: numpy's rule decides
                ot[m], orow[m], ob[m] = t, r, True
                m += 1
                continue
            p = ci[r]
            h = seed ^ akey[ai[r]]
            h = _mix(h ^ (th[t] + _GOLD))
            h = _mix(h ^ (np.uint64(np.int64(np.floor(pxy[p, 0] / cell_m))) + _GOLD))
            h = _mix(h ^ (np.uint64(np.int64(np.floor(pxy[p, 1] / cell_m))) + _GOLD))
            u = (np.float64(h >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)
            pu = 0.5 * math.erfc(-need * _SQRT1_2)
            if u < pu - _SLACK_U:
                continue
            ot[m], orow[m] = t, r
            ob[m] = u <= pu + _SLACK_U
            m += 1
    return ot[:m], orow[:m], ob[:m]


def static_pairs(eng, t0, t1, tags, live, wa, ws, we):
    """Cached pairs of resting tags: (whole-chunk pairs: seg, ant, p, rssi), pieces of part-chunk ones. With
    `eng.plain` the plain steps (`_memo_py`, `_split_py`), else their compiled passes (`same_rest`, `split_pairs`)."""
    st = np.flatnonzero(live & tags.is_static)
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    f8 = lambda a: np.ascontiguousarray(a, np.float64)  # noqa: E731
    memo = eng._key_memo  # the same resting tags as last chunk (most chunks): same keys, all known
    if eng.plain:
        cols = _cols(tags, st)
        hit = _memo_py(memo, eng.pairs.resets, cols)
    else:
        cols = None
        words = rf.epc_words(tags.epc)  # EPCs as words: compared as integers (equal words, equal EPCs)
        hit = (memo is not None and memo[0] == eng.pairs.resets and len(memo[1][0]) == len(st)
               and same_rest(st, words, f8(tags.x0), f8(tags.y0), i8(tags.level), i8(tags.container), *memo[1]))
    if hit:
        keys = memo[2]
    else:
        keys = seg_keys(eng, tags, st)
        miss = eng.pairs.missing_py(keys) if eng.plain else eng.pairs.missing(keys)
        if miss.any():
            new_static(eng, st[miss], keys[miss], tags)
        eng._key_memo = (eng.pairs.resets, cols or _cols(tags, st), keys)
    q, pa, pp, pr = eng.pairs.gather(keys, eng.plain)
    if eng.plain:
        return _split_py(st, q, pa, pp, pr, tags, t0, t1, wa, ws, we, eng.params.rf.p_powered)
    w0, w1, w2, w3, p0, p1, p2, p3, p4, p5, p6 = split_pairs(
        st, i8(q), pa, pp, pr, i8(tags.t0_us), i8(tags.t1_us), i8(wa), i8(ws), i8(we), int(t0), int(t1),
        float(eng.params.rf.p_powered), len(eng.ant))
    return (w0, w1, w2, w3), (p0, p1, p2, p3, p4, p5, p6, np.zeros(len(p0), bool))


def _cols(tags, st):
    """What the memo of `static_pairs` compares: the resting segments' EPC words, positions, levels, containers."""
    return (rf.epc_words(tags.epc[st]), np.ascontiguousarray(tags.x0[st], np.float64),
            np.ascontiguousarray(tags.y0[st], np.float64), np.ascontiguousarray(tags.level[st], np.int64),
            np.ascontiguousarray(tags.container[st], np.int64))


def _memo_py(memo, resets, cols) -> bool:
    """Whether the resting segments are those of the memo (the plain rule of `same_rest`)."""
    return (memo is not None and memo[0] == resets and len(memo[1][0]) == len(cols[0])
            and all(np.array_equal(a, b) for a, b in zip(memo[1], cols)))


@njit(cache=True)
def same_rest(st, words, x0, y0, level, container, m_words, m_x0, m_y0, m_level, m_container):
    """Whether segments st have the memo's EPC words, positions, levels and containers (`_memo_py`; lengths equal)."""
    for k in range(st.shape[0]):
        i = st[k]
        if (words[i, 0] != m_words[k, 0] or words[i, 1] != m_words[k, 1] or words[i, 2] != m_words[k, 2]
                or x0[i] != m_x0[k] or y0[i] != m_y0[k] or level[i] != m_level[k] or container[i] != m_container[k]):
            return False
    return True


def _split_py(st, q, pa, pp, pr, tags, t0, t1, wa, ws, we, p_powered):
    """Gathered pairs split into those resting all chunk and pieces (window, segment, p, rssi, start, end, powered,
    given) of the others: the plain rule (reference of `split_pairs`)."""
    seg = st[q]
    whole = (tags.t0_us[seg] <= t0) & (tags.t1_us[seg] >= t1)
    j = np.flatnonzero(~whole)
    own, w = expand(np.searchsorted(wa, pa[j], side="left"), np.searchsorted(wa, pa[j], side="right"))
    sg = seg[j][own]
    s0 = np.maximum(ws[w], tags.t0_us[sg])
    s1 = np.minimum(we[w], tags.t1_us[sg])
    ok = s1 > s0
    p = pp[j][own][ok]
    part = (w[ok], sg[ok], p, pr[j][own][ok], s0[ok], s1[ok], p >= p_powered, np.zeros(int(ok.sum()), bool))
    return (seg[whole], pa[whole], pp[whole], pr[whole]), part


@njit(cache=True)
def split_pairs(st, q, pa, pp, pr, t0_us, t1_us, wa, ws, we, t0, t1, p_powered, n_ant):
    """`_split_py` in one compiled pass: the whole-chunk pairs (seg, ant, p, rssi), then the pieces of the others
    per window of their antenna (window, seg, p, rssi, start, end, powered)."""
    lo = np.zeros(n_ant + 1, np.int64)  # windows of antenna a: wa[lo[a]:lo[a + 1]] (wa sorted)
    for x in range(wa.shape[0]):
        lo[wa[x] + 1] += 1
    for a in range(n_ant):
        lo[a + 1] += lo[a]
    n = q.shape[0]
    nw, npc = 0, 0
    for k in range(n):
        g = st[q[k]]
        if t0_us[g] <= t0 and t1_us[g] >= t1:
            nw += 1
        else:
            a = pa[k]
            for w in range(lo[a], lo[a + 1]):
                if min(we[w], t1_us[g]) > max(ws[w], t0_us[g]):
                    npc += 1
    s_w, a_w, p_w, r_w = np.empty(nw, np.int64), np.empty(nw, pa.dtype), np.empty(nw), np.empty(nw)
    w_p, s_p, p_p, r_p = np.empty(npc, np.int64), np.empty(npc, np.int64), np.empty(npc), np.empty(npc)
    b_p, e_p, pw_p = np.empty(npc, np.int64), np.empty(npc, np.int64), np.empty(npc, np.bool_)
    i, j = 0, 0
    for k in range(n):
        g = st[q[k]]
        if t0_us[g] <= t0 and t1_us[g] >= t1:
            s_w[i], a_w[i], p_w[i], r_w[i] = g, pa[k], pp[k], pr[k]
            i += 1
            continue
        a = pa[k]
        for w in range(lo[a], lo[a + 1]):
            b, e = max(ws[w], t0_us[g]), min(we[w], t1_us[g])
            if e > b:
                w_p[j], s_p[j], p_p[j], r_p[j], b_p[j], e_p[j] = w, g, pp[k], pr[k], b, e
                pw_p[j] = pp[k] >= p_powered
                j += 1
    return s_w, a_w, p_w, r_w, w_p, s_p, p_p, r_p, b_p, e_p, pw_p
