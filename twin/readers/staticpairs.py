"""Resting tags' links to fixed antennas: the pair cache's cold path and the per-chunk gather.

A resting tag's link to a fixed antenna never changes while it rests, so pairs are computed once per resting place
(`linkcache.PairCache`, keyed by a hash of tag, position and container). Most resting tags share a few points (the
position of their storage unit), and everything of a link but the tag's own draws (chip offset, dead, fading)
depends on the point, the container and the antenna only: range, wall-free screen, walls and mean levels are
computed once per (point, container, antenna), then every tag at that point takes them and its own draws.
"""

from __future__ import annotations

import numpy as np

from twin.readers import rf
from twin.readers.links import free_reach, mean_screen
from twin.readers.timegrid import expand


def seg_keys(eng, tags, idx: np.ndarray) -> np.ndarray:
    """The pair-cache key of resting segments idx: hash of tag, position (mm), level and container."""
    w = rf.epc_words(tags.epc[idx])
    xq = np.rint(tags.x0[idx] * 1000).astype(np.int64)
    yq = np.rint(tags.y0[idx] * 1000).astype(np.int64)
    return rf.hash_u64(eng.seed, w[:, 0], w[:, 1], w[:, 2], xq, yq, tags.level[idx], tags.container[idx])


def places(tags, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(one segment per distinct (x, y, container) of segments s, index of each segment's place)."""
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
        off, dead = rf.tag_quality(eng.seed, e, P)
        th = rf.tag_hash(eng.seed, e)
        alive = np.flatnonzero(~dead)  # a dead tag passes no screen
        own, row = expand(lo[pinv[alive]], hi[pinv[alive]])
        t = alive[own]
        txy = pxy[ci[row]]
        fwd = eng._forward_fading_db(ai[row], txy, th[t])
        ok = p_tag[row] + fwd - (P.tag_sensitivity_dbm + off[t]) >= rf.min_margin_db(P)
        t, row, txy = t[ok], row[ok], txy[ok]
        p, r = rf.pair_link(eng.A, ai[row], eng.a_xy[ai[row]], txy, th[t], off[t], dead[t], walls[row],
                            shielded[row], eng.seed, P, levels=(lvl[0][row], lvl[1][row]))
        keep = p >= P.p_floor  # below it the pair is out of field (RFParams.p_floor)
        out[0].append(sk[t[keep]])
        out[1].append(ai[row[keep]].astype(np.int32))
        out[2].append(p[keep])
        out[3].append(r[keep])
    cat = [np.concatenate(x) if x else np.zeros(0) for x in out]
    eng.pairs.put(uk, cat[0].astype(np.uint64), cat[1].astype(np.int32), cat[2], cat[3])


def static_pairs(eng, t0, t1, tags, live, wa, ws, we):
    """Cached pairs of resting tags: (whole-chunk pairs: seg, ant, p, rssi), pieces of part-chunk ones."""
    st = np.flatnonzero(live & tags.is_static)
    cols = (rf.epc_words(tags.epc[st]), tags.x0[st], tags.y0[st], tags.level[st], tags.container[st])  # EPCs as
    # words: compared as integers, far cheaper than as byte strings (equal words, equal EPCs)
    memo = eng._key_memo  # the same resting tags as last chunk (most chunks): same keys, all known
    if (memo is not None and memo[0] == eng.pairs.resets and len(memo[1][0]) == len(st)
            and all(np.array_equal(a, b) for a, b in zip(memo[1], cols))):
        keys = memo[2]
    else:
        keys = seg_keys(eng, tags, st)
        miss = eng.pairs.missing(keys)
        if miss.any():
            new_static(eng, st[miss], keys[miss], tags)
        eng._key_memo = (eng.pairs.resets, cols, keys)
    q, pa, pp, pr = eng.pairs.gather(keys)
    seg = st[q]
    whole = (tags.t0_us[seg] <= t0) & (tags.t1_us[seg] >= t1)
    j = np.flatnonzero(~whole)
    own, w = expand(np.searchsorted(wa, pa[j], side="left"), np.searchsorted(wa, pa[j], side="right"))
    sg = seg[j][own]
    s0 = np.maximum(ws[w], tags.t0_us[sg])
    s1 = np.minimum(we[w], tags.t1_us[sg])
    ok = s1 > s0
    p = pp[j][own][ok]
    part = (w[ok], sg[ok], p, pr[j][own][ok], s0[ok], s1[ok], p >= eng.params.rf.p_powered,
            np.zeros(int(ok.sum()), bool))
    return (seg[whole], pa[whole], pp[whole], pr[whole]), part
