"""A handheld's patch antenna points where its track says (the keeper aims it at the unit being scanned): a per-pair
azimuth in the link budget, so across an aisle the unit aimed at is heard louder than the one behind the handheld."""

from __future__ import annotations

import numpy as np
import pytest

from twin.readers import rf
from twin.readers.engine import ReaderEngine
from twin.readers.placement import Placement, Reader
from twin.readers.segments import AntennaTrack, TagSegments
from twin.rng import Streams

from _floors import ant, shelf_tags, two_rooms

T0 = 1_700_000_000_000_000
MIN = 60_000_000
S = 1_000_000


def _arrays(az: float = 90.0, bw: float = 90.0) -> rf.AntennaArrays:
    return rf.AntennaArrays.of([ant("H", 1, "handheld", (0.0, 0.0), az, height=1.2, bw=bw, gain=4.0)], [20.0])


def test_no_azimuth_is_the_antennas_own():
    A = _arrays(az=30.0)
    ai = np.zeros(5, np.int64)
    axy, txy = np.zeros((5, 2)), np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.2], [0.3, -0.8], [2.0, 2.0]])
    own = rf.pair_mean_levels(A, ai, axy, txy, 0, np.zeros(5, bool))
    same = rf.pair_mean_levels(A, ai, axy, txy, 0, np.zeros(5, bool), azimuth_deg=30.0)
    np.testing.assert_array_equal(own[0], same[0])
    np.testing.assert_array_equal(own[1], same[1])


@pytest.mark.parametrize("bw", [60.0, 90.0, 120.0])
def test_aimed_away_loses_the_pattern_closed_form(bw):
    """A tag straight ahead of the aim gets the full gain, one off axis by theta 12 (theta / bw)^2 dB less, capped
    by the back-lobe floor (RFParams.front_to_back_db) -- each way."""
    P = rf.RFParams()
    A = _arrays(az=0.0, bw=bw)
    ai = np.zeros(1, np.int64)
    txy = np.array([[0.0, 1.0]])  # due +y of the handheld
    for aim, off in [(90.0, 0.0), (60.0, 30.0), (135.0, 45.0), (270.0, 180.0), (-90.0, 180.0)]:
        p, r = rf.pair_mean_levels(A, ai, np.zeros((1, 2)), txy, 0, np.zeros(1, bool), P, np.array([aim]))
        p0, r0 = rf.pair_mean_levels(A, ai, np.zeros((1, 2)), txy, 0, np.zeros(1, bool), P, np.array([90.0]))
        loss = min(12.0 * (off / bw) ** 2, P.front_to_back_db)
        assert p0[0] - p[0] == pytest.approx(loss)
        assert r0[0] - r[0] == pytest.approx(2 * loss)


def _engine(seed: int = 7) -> ReaderEngine:
    f = two_rooms()
    h = ant("H", 1, "handheld", (0.0, 0.0), 90.0, height=1.2, bw=90.0, gain=4.0)
    pl = Placement("hh", "<t>", 1, f.name, {"H": Reader("H", "handheld", 20.0, "S0", 200.0, 1000.0, (h,))})
    return ReaderEngine(f, pl, streams=Streams(seed))


def _aisle():
    """Two rows of loose tags 1.2 m apart (y = 2.4 and 3.6), the handheld standing between them at (4, 3)."""
    return TagSegments.concat([shelf_tags(20, T0, T0 + MIN, x=(3.2, 4.8), y=3.6, container=-1, start=0),
                               shelf_tags(20, T0, T0 + MIN, x=(3.2, 4.8), y=2.4, container=-1, start=100)])


def _rows(az: float, seed: int = 7):
    tr = AntennaTrack([b"H"], [1], [T0 + 10 * S], [T0 + 40 * S], [0], [4.0], [3.0], [4.0], [3.0], [az])
    return _engine(seed).generate(T0, T0 + MIN, _aisle(), antennas_override=tr)


def _loudest(rows) -> tuple[float, float]:
    """Median over tags of each tag's loudest read: (north row, south row)."""
    n = np.array([int(e[4:], 16) < 100 for e in rows["epc"]])
    per = {}
    for e, r in zip(rows["epc"], rows["rssi_dbm"]):
        per[e] = max(per.get(e, -999.0), float(r))
    north = [v for e, v in per.items() if int(e[4:], 16) < 100]
    south = [v for e, v in per.items() if int(e[4:], 16) >= 100]
    assert n.any() or not len(rows)
    return (float(np.median(north)) if north else -999.0, float(np.median(south)) if south else -999.0)


@pytest.mark.parametrize("seed", [7, 8])
def test_the_row_aimed_at_is_louder_than_the_one_behind(seed):
    north, south = _loudest(_rows(90.0, seed))
    assert north > south + 10.0
    north, south = _loudest(_rows(270.0, seed))
    assert south > north + 10.0


def test_nan_aim_keeps_the_placements_azimuth_byte_for_byte():
    a, b = _rows(np.nan), _rows(90.0)  # the placement points the handheld at 90 deg
    assert len(a) and a.tobytes() == b.tobytes()


def test_shipped_handhelds_are_autoplaces_patch():
    """Only the handheld entries carry HANDHELD's pattern; the shipped placements and the placer agree."""
    from pathlib import Path

    from twin.building.floorfile import load_floor
    from twin.readers.autoplace import HANDHELD
    from twin.readers.placementfile import load_placement

    root = Path(__file__).resolve().parents[2] / "scenarios"
    floor = load_floor(root / "floors" / "station.toml")
    for name in ("full", "lean"):
        hh = [a for a in load_placement(root / "placements" / f"{name}.toml", floor).antennas if a.kind == "handheld"]
        assert len(hh) == 3
        for a in hh:
            assert (a.beamwidth_deg, a.gain_dbi) == (HANDHELD["beamwidth_deg"], HANDHELD["gain_dbi"])


@pytest.mark.parametrize("field, value", [("beamwidth_deg", 0.0), ("beamwidth_deg", 400.0), ("gain_dbi", 99.0)])
def test_bad_handheld_pattern_is_refused_naming_the_field(field, value):
    import tomllib
    from pathlib import Path

    from twin.building.floorfile import load_floor
    from twin.readers.placementfile import parse_placement

    root = Path(__file__).resolve().parents[2] / "scenarios"
    floor = load_floor(root / "floors" / "station.toml")
    data = tomllib.loads((root / "placements" / "lean.toml").read_text(encoding="utf-8"))
    hh = next(r for r in data["readers"] if r["kind"] == "handheld")
    hh["antennas"][0][field] = value
    placement, problems = parse_placement(data, floor, "lean.toml")
    assert placement is None and problems
    assert any(field in str(p) and hh["id"] in str(p) for p in problems)
