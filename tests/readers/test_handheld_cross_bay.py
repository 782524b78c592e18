"""The handheld's link to a dossier on a bay behind the one it is held at, term by term (docs/rf.md, "A handheld's
cross-bay link"): the mean budget is the log-distance budget of `rf.RFParams` with the aimed pattern, and what makes
such a link strong is the carried antenna's fading draw, one per 0.5 m cell of the tag and of the antenna."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin.readers import rf

from _floors import ant

# The misfile morning's geometry (station floor): the handheld 0.15 m in front of S15's face at its first stop,
# aimed west at the face; the dossier resting at the centre of S10, across the aisle and one bay along.
HAND_XY = (28.1, 12.54)
TAG_XY = (24.35, 10.5)
AIM_DEG = 180.0
POWER_DBM, GAIN_DBI, BW_DEG, HEIGHT_M = 20.0, 4.0, 90.0, 1.2


def _arrays() -> rf.AntennaArrays:
    return rf.AntennaArrays.of([ant("H", 1, "handheld", (0.0, 0.0), 0.0, height=HEIGHT_M, bw=BW_DEG,
                                    gain=GAIN_DBI)], [POWER_DBM])


def _hand_budget(P: rf.RFParams) -> tuple[float, float]:
    """(power at the tag, backscatter RSSI) in dBm by hand, each term from RFParams."""
    dx, dy = TAG_XY[0] - HAND_XY[0], TAG_XY[1] - HAND_XY[1]
    dist = math.sqrt(dx * dx + dy * dy + (P.tag_height_m - HEIGHT_M) ** 2)  # 4.27 m
    fspl_1m = 20 * math.log10(4 * math.pi * P.ref_dist_m / (299_792_458.0 / (P.freq_mhz * 1e6)))  # 31.7 dB
    pl = fspl_1m + 10 * P.path_loss_exponent * math.log10(dist / P.ref_dist_m)  # 46.9 dB
    off = (math.degrees(math.atan2(dy, dx)) - AIM_DEG + 180) % 360 - 180  # 28.5 deg off the aim
    pattern = -min(12 * (off / BW_DEG) ** 2, P.front_to_back_db)  # -1.2 dB
    one_way = (GAIN_DBI + pattern - P.cable_loss_db + P.tag_gain_dbi - P.polarization_loss_db
               - P.mount_loss_db)  # -3.2 dB
    p_tag = POWER_DBM + one_way - pl  # -30.1 dBm: 12 dB under the chip's -18 dBm on average
    return p_tag, p_tag - P.backscatter_loss_db + one_way - pl  # -85.2 dBm


def test_cross_bay_mean_budget_is_the_hand_budget():
    P = rf.RFParams()
    p_tag, rssi = rf.pair_mean_levels(_arrays(), np.zeros(1, np.int64), np.array([HAND_XY]), np.array([TAG_XY]), 0,
                                      np.zeros(1, bool), P, np.array([AIM_DEG]))
    hp, hr = _hand_budget(P)
    assert p_tag[0] == pytest.approx(hp, abs=1e-9)
    assert rssi[0] == pytest.approx(hr, abs=1e-9)
    assert -31.0 < hp < -29.0 and -86.0 < hr < -84.0
    assert hp < P.tag_sensitivity_dbm - 10.0  # on its mean budget the dossier behind the bay is not powered


def test_cross_bay_link_is_the_budget_plus_the_cells_draw():
    """`rf.pair_link` of a carried antenna = mean budget + the forward draw of (tag cell, antenna cell) against the
    chip's sensitivity, the RSSI taking the forward draw twice and the reverse draw once (`rf.shadowing_db`)."""
    P = rf.RFParams()
    seed = 11
    epc = np.array([b"2C15A8754400020000017125"], "S24")
    th = rf.tag_hash(seed, epc)
    off, dead = rf.tag_quality(seed, epc, P)
    A = _arrays()
    ai, txy = np.zeros(1, np.int64), np.array([TAG_XY])
    hp, hr = _hand_budget(P)
    for axy in ([HAND_XY], [(HAND_XY[0], 12.9)], [(HAND_XY[0], 13.26)]):  # S15's three stops
        axy = np.array(axy)
        p, r = rf.pair_link(A, ai, axy, txy, th, off, dead, 0, np.zeros(1, bool), seed, P,
                            moving_antenna=np.ones(1, bool), azimuth_deg=np.array([AIM_DEG]))
        fwd, rev = rf.shadowing_db(seed, epc, int(A.key[0]), txy, P, ant_xy=axy, tag_h=th)
        lv = rf.pair_mean_levels(A, ai, axy, txy, 0, np.zeros(1, bool), P, np.array([AIM_DEG]))
        margin = lv[0][0] + fwd[0] - (P.tag_sensitivity_dbm + off[0])
        rs = lv[1][0] + 2 * fwd[0] + rev[0]
        want = 0.0 if dead[0] else P.p_max / (1 + math.exp(-(margin - P.margin50_db) / P.slope_db)) / (
            1 + math.exp(-(rs - P.reader_sensitivity_dbm - P.reverse50_db) / P.reverse_slope_db))
        assert r[0] == pytest.approx(rs, abs=1e-9)
        assert p[0] == pytest.approx(want, rel=1e-9, abs=1e-15)
    # the first stop's budget is the hand budget: only the draw stands between it and a read
    assert lv is not None and hp < P.tag_sensitivity_dbm and hr < P.reader_sensitivity_dbm


def test_stops_in_one_antenna_cell_share_a_draw_and_cells_are_independent():
    """S15's first two stops (y 12.54 and 12.90) lie in one 0.5 m cell of the antenna, the third (13.26) in the
    next: the first two see the dossier with one draw, so one lucky draw lasts through two stops' report periods.
    Over many cells the draws are N(0, shadow_sigma_db) clipped: a +2 sigma draw (~19 dB, enough to read this
    dossier strongly) comes up in ~2.3 % of the antenna's cells."""
    P = rf.RFParams()
    key = rf.stable_key("H/1")
    epc = np.array([b"2C15A8754400020000017125"], "S24")
    txy = np.array([TAG_XY])
    f = [rf.shadowing_db(5, epc, key, txy, P, ant_xy=np.array([[HAND_XY[0], y]]))[0][0] for y in (12.54, 12.9, 13.26)]
    assert f[0] == f[1] and f[1] != f[2]
    xs, ys = np.meshgrid(np.arange(0, 40, P.shadow_cell_m) + 0.25, np.arange(0, 25, P.shadow_cell_m) + 0.25)
    a = np.column_stack([xs.ravel(), ys.ravel()])
    n = len(a)
    fwd, _ = rf.shadowing_db(5, np.repeat(epc, n), key, np.repeat(txy, n, axis=0), P, ant_xy=a)
    z = fwd / P.shadow_sigma_db
    assert abs(z.mean()) < 0.06 and 0.93 < z.std() < 1.02
    assert 0.015 < (z > 2.0).mean() < 0.031
    assert z.max() <= P.shadow_clip_sigma
