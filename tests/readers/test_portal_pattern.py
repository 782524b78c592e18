"""Portal antennas over a door look down onto their own side's approach: 3-D off-axis angle, same model in the
per-antenna and the per-pair (engine) paths, and a tag is heard far louder by its own side's antenna."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.readers import rf
from twin.readers.autoplace import PORTAL, PORTAL_OFFSET_M
from twin.readers.placement import Antenna

P = rf.RFParams()
H = PORTAL["height_m"]


def _portal(port: int, y: float, az: float) -> Antenna:
    return Antenna("R", port, "portal", "L1", (0.0, y), H, az, PORTAL["beamwidth_deg"], PORTAL["gain_dbi"], "s")


A = _portal(1, PORTAL_OFFSET_M, 90.0)  # side A: y > 0, facing +y (away from the door at the origin)
B = _portal(2, -PORTAL_OFFSET_M, 270.0)


@given(st.floats(-180, 180), st.floats(-3, 3), st.floats(-3, 3))
@settings(max_examples=50, deadline=None)
def test_no_dip_at_antenna_height_is_the_azimuth_offset(az, dx, dy):
    if abs(dx) + abs(dy) < 1e-3:
        return
    off = rf.tilted_off_axis_deg(dx, dy, 0.0, az, 0.0)
    plain = abs((np.degrees(np.arctan2(dy, dx)) - az + 180.0) % 360.0 - 180.0)
    assert off == pytest.approx(plain, abs=1e-6)


def test_boresight_meets_the_tag_plane_at_the_aim_distance():
    dip = float(rf.depression_deg(H, P))
    assert np.tan(np.radians(dip)) * P.portal_aim_m == pytest.approx(H - P.tag_height_m)
    d, off = rf.geometry(A, A.position, np.array([[0.0, PORTAL_OFFSET_M + P.portal_aim_m]]), P)
    assert off[0] == pytest.approx(0.0, abs=1e-6)
    assert float(rf.depression_deg(P.tag_height_m, P)) == 0.0  # calibration layouts: antenna at tag height, no dip


def test_pair_path_matches_single_antenna_path():
    pts = np.array([[x, y] for x in (-1.5, 0.0, 0.7) for y in (-4.0, -1.0, -0.2, 0.3, 1.0, 2.5, 6.0)])
    arrays = rf.AntennaArrays.of([A, B], [30.0, 30.0])
    for i, ant in enumerate((A, B)):
        d, off = rf.geometry(ant, ant.position, pts, P)
        want, _ = rf.mean_levels(d, off, ant.gain_dbi, ant.beamwidth_deg, 30.0, 0, False, P)
        got, _ = rf.pair_mean_levels(arrays, np.full(len(pts), i), np.tile(ant.position, (len(pts), 1)), pts,
                                     np.zeros(len(pts)), np.zeros(len(pts), bool), P)  # fmt: skip
        assert got == pytest.approx(want)


@pytest.mark.parametrize("x", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("out_m, contrast_db", [(0.5, 10.0), (1.0, 15.0), (1.5, 15.0)])
def test_each_side_hears_its_own_approach_far_louder(x, out_m, contrast_db):
    """On the approach (up to the GPI sensor's 1.5 m), the own side's antenna is 10-15 dB stronger than the far
    side's (none at the door's plane itself), so the two sides' reads come in the order of the walk."""
    pts = np.array([[x, out_m], [x, -out_m]])
    la = rf.mean_levels(*rf.geometry(A, A.position, pts, P), A.gain_dbi, A.beamwidth_deg, 30.0, 0, False, P)[0]
    lb = rf.mean_levels(*rf.geometry(B, B.position, pts, P), B.gain_dbi, B.beamwidth_deg, 30.0, 0, False, P)[0]
    assert la[0] - lb[0] >= contrast_db and lb[1] - la[1] >= contrast_db
    assert la[0] - P.tag_sensitivity_dbm > P.margin50_db  # and its own side reads it (mean margin above p50)


def test_far_end_of_the_room_is_off_the_main_lobe():
    near = rf.geometry(A, A.position, np.array([[0.0, 1.0]]), P)[1][0]
    far = rf.geometry(A, A.position, np.array([[0.0, 8.0]]), P)[1][0]
    assert near < 15.0 < 40.0 < far


@pytest.mark.parametrize("profile", ["full", "lean"])
def test_calibration_of_a_placement_takes_a_full_power_portal(profile):
    from twin.readers import calibrate
    from twin.readers.autoplace import auto_place
    from twin.readers.layouts import mini_station_floor

    placement = auto_place(mini_station_floor(), profile)
    assert any(a.kind == "portal" and a.power_dbm is not None for a in placement.antennas)  # storage rooms' portals
    rd, ant, _, _ = calibrate._settings(placement)
    assert ant.kind == "portal" and ant.power_dbm is None and rd.power_dbm == PORTAL["power_dbm"]
