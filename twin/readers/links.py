"""Per-pair links of the read engine: the screens every candidate (antenna, tag) pair goes through before its full
link (`rf.pair_link`) is computed, shared by resting tags (`staticpairs`), moving tags and carried antennas
(`moving`). Screens drop only pairs that cannot reach `RFParams.p_floor`; what they keep gets the exact link.
"""

from __future__ import annotations

import numpy as np

from twin.readers import rf
from twin.readers.tagdraws import tag_draws
from twin.readers.timegrid import unique_index


def shielding(eng, ai, c, opened=None) -> np.ndarray:
    """Pairs (antennas ai, tags in containers c) a metal unit stands between: the tag's or the antenna's container
    is metal and they differ, unless `opened` says the tag's metal unit is open to that antenna (a handheld at an
    open cabinet, `moving.open_to_handheld`)."""
    sa = eng.a_storage[ai]
    shielded = (eng._metal[c] | eng._metal[sa]) & (c != sa)
    return shielded if opened is None else shielded & ~opened


def free_reach(eng, ai, c, axy, txy, opened=None) -> np.ndarray:
    """Mask of pairs (antennas ai, tags in containers c) whose wall-free mean budget passes the screen of `links`
    (a superset of its pairs: walls only lower the level). `opened`: as in `shielding`."""
    P = eng.params.rf
    shielded = shielding(eng, ai, c, opened)
    p_tag, _ = rf.pair_mean_levels(eng.A, ai, axy, txy, 0, shielded, P)
    ok = rf.best_margin_db(p_tag, P) >= rf.min_margin_db(P)
    if P.metal_opaque:
        ok &= ~shielded
    return ok


def mean_screen(eng, ai, c, axy, txy, walls, levels=None, opened=None):
    """The mean-budget part of `links` before any per-tag draw: (kept pair indices, p_tag of all pairs, the levels
    `rf.pair_link` takes for the kept ones, shielded). `levels`: the pairs' mean (p_tag, rssi) without shielding
    when known (per-cell cache); `opened`: as in `shielding`."""
    P = eng.params.rf
    sa = eng.a_storage[ai]
    shielded = shielding(eng, ai, c, opened)
    iso = eng._iso[ai] * ((sa >= 0) & (c != sa))  # outside an antenna's bay (Antenna.isolation_db), each way
    rssi = None
    if iso.any():
        if levels is None:
            levels = rf.pair_mean_levels(eng.A, ai, axy, txy, walls, np.zeros(len(ai), bool), P)
        levels = (levels[0] - iso, levels[1] - 2.0 * iso)
    if levels is None:
        p_tag, rssi = rf.pair_mean_levels(eng.A, ai, axy, txy, walls, shielded, P)
    else:
        p_tag = levels[0] - P.metal_loss_db * shielded
    ok = rf.best_margin_db(p_tag, P) >= rf.min_margin_db(P)
    if P.metal_opaque:
        ok &= ~shielded
    k = np.flatnonzero(ok)
    # without levels given, `rf.pair_link` would compute these very (p_tag, rssi) again
    lv = (p_tag[k], rssi[k]) if rssi is not None else (p_tag[k], levels[1][k] - 2.0 * P.metal_loss_db * shielded[k])
    return k, p_tag, lv, shielded


def links(eng, ai, seg, axy, txy, walls, tags, moving, levels=None, mask=None, screened=None):
    """(kept pair indices, p, rssi) of pairs that can reach p > 0 (cheap mean-budget screen first). `levels`: the
    pairs' mean (p_tag, rssi) without shielding when known (per-cell cache); `mask`: pairs to consider.
    `screened`: per pair (tag hash, chip offset, dead) of fixed-antenna pairs that passed these very screens on
    these levels (`moving._fixed_pieces`); with no bay isolation lowering a level, only the link is left, with some
    the screens again on those draws (`_screened_again`; the plain rule, `ReaderEngine.plain`, draws them again)."""
    P = eng.params.rf
    c = tags.container[seg]
    sa = eng.a_storage[ai]
    if screened is not None and levels is not None and moving is None and mask is None:
        iso = eng._iso[ai] * ((sa >= 0) & (c != sa))
        if not iso.any():
            shielded = (eng._metal[c] | eng._metal[sa]) & (c != sa)
            th, off, dead = screened
            lv = (levels[0] - P.metal_loss_db * shielded, levels[1] - 2.0 * P.metal_loss_db * shielded)
            hs = None if eng.plain else _hashes(eng, ai, txy, th)
            p, r = rf.pair_link(eng.A, ai, axy, txy, th, off, dead, walls, shielded, eng.seed, P, levels=lv,
                                hashes=hs)
            return np.flatnonzero(p >= P.p_floor), p[p >= P.p_floor], r[p >= P.p_floor]
        if not eng.plain:  # bay isolation lowers some levels: the screens again, on the pairs' own draws
            return _screened_again(eng, ai, c, axy, txy, walls, levels, screened)
    k, p_tag, lv, shielded = mean_screen(eng, ai, c, axy, txy, walls, levels)
    if mask is not None:
        keep = mask[k]
        k, lv = k[keep], (lv[0][keep], lv[1][keep])
    if not len(k):
        return k, np.zeros(0), np.zeros(0)
    us, inv = unique_index(seg[k], len(tags))  # per-tag hashes once per segment
    e = tags.epc[us]
    th, off, dead = tag_draws(eng.seed, e, P)
    if moving is None:  # fixed antennas: most candidates fail on their own forward fading draw; drop them first
        txk = np.asarray(txy, dtype=np.float64).reshape(-1, 2)[k]
        fwd = eng._forward_fading_db(ai[k], txk, th[inv])
        ok = (p_tag[k] + fwd - (P.tag_sensitivity_dbm + off[inv]) >= rf.min_margin_db(P)) & ~dead[inv]
        k, inv, lv = k[ok], inv[ok], (lv[0][ok], lv[1][ok])
        if not len(k):
            return k, np.zeros(0), np.zeros(0)
    p, r = rf.pair_link(eng.A, ai[k], axy[k], txy[k], th[inv], off[inv], dead[inv], walls[k], shielded[k],
                        eng.seed, P, moving_antenna=moving[k] if moving is not None else None, levels=lv)
    keep = p >= P.p_floor  # below it the pair is out of field (RFParams.p_floor)
    return k[keep], p[keep], r[keep]


def _screened_again(eng, ai, c, axy, txy, walls, levels, screened):
    """`links` of fixed-antenna pairs on known levels, the tags' draws (tag hash, chip offset, dead) given per pair
    (`screened`) instead of drawn again per segment: the same screens and link, so the same kept pairs and values."""
    P = eng.params.rf
    k, p_tag, lv, shielded = mean_screen(eng, ai, c, axy, txy, walls, levels)
    if not len(k):
        return k, np.zeros(0), np.zeros(0)
    th, off, dead = (x[k] for x in screened)
    txk = np.asarray(txy, dtype=np.float64).reshape(-1, 2)[k]
    h, h2 = _hashes(eng, ai[k], txk, th)  # the forward draw's hash is the link's: once
    clip = P.shadow_clip_sigma
    fwd = np.clip(rf.to_normal(h), -clip, clip) * P.shadow_sigma_db  # `linkcache.forward_fading_db`
    ok = (p_tag[k] + fwd - (P.tag_sensitivity_dbm + off) >= rf.min_margin_db(P)) & ~dead
    k, th, off, dead, lv = k[ok], th[ok], off[ok], dead[ok], (lv[0][ok], lv[1][ok])
    if not len(k):
        return k, np.zeros(0), np.zeros(0)
    p, r = rf.pair_link(eng.A, ai[k], axy[k], txy[k], th, off, dead, walls[k], shielded[k], eng.seed, P, levels=lv,
                        hashes=(h[ok], h2[ok]))
    keep = p >= P.p_floor  # below it the pair is out of field (RFParams.p_floor)
    return k[keep], p[keep], r[keep]


def _hashes(eng, ai, txy, th):
    """`fixedkernels.fading_hashes` of fixed antennas ai and tags (hashes th) at txy."""
    from twin.readers.fixedkernels import fading_hashes

    return fading_hashes(np.uint64(eng.seed & 0xFFFFFFFFFFFFFFFF), eng.A.key[ai], np.ascontiguousarray(th, np.uint64),
                         np.ascontiguousarray(txy, np.float64).reshape(-1, 2), float(eng.params.rf.shadow_cell_m))
