"""RF link model of a passive UHF tag and one reader antenna: link budget, fading, per-round detection probability.

Everything here is a pure, vectorised function of geometry and `RFParams`, so the engine, the calibration report
and the coverage plots share one model. Each constant cites ANCHORS.md (../shared/ANCHORS.md) or says "assumption".
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, ndtri

from twin.readers.placement import Antenna

C_MPS = 299_792_458.0


@dataclass(frozen=True)
class RFParams:
    """Constants of the link model (dB, dBm, dBi, metres)."""

    freq_mhz: float = 922.5  # centre of the China UHF RFID band 920-925 MHz (GB/T 29768)
    ref_dist_m: float = 1.0  # log-distance reference; free-space loss up to it (Rappaport's model form)
    path_loss_exponent: float = 2.4  # ANCHORS: Rappaport, soft-partition office, 900 MHz
    shadow_sigma_db: float = 9.6  # ANCHORS: Rappaport, same row
    shadow_clip_sigma: float = 2.5  # assumption: log-normal tails clipped (rooms are finite; no 30 m reads)
    shadow_cell_m: float = 0.5  # assumption: a fading draw holds within a 0.5 m cell (~1.5 wavelengths)
    reverse_sigma_db: float = 2.0  # assumption; ANCHORS Kuester 2010: forward and backscatter differ up to 8 dB
    cable_loss_db: float = 1.0  # assumption: a few metres of low-loss coax
    tag_gain_dbi: float = 1.0  # assumption: dipole inlay (2.15 dBi) slightly detuned
    polarization_loss_db: float = 3.0  # assumption: circular reader antenna, linear tag
    mount_loss_db: float = 3.0  # assumption: inlay on a paper folder among others (ANCHORS Xiao 2014: coupling)
    front_to_back_db: float = 20.0  # assumption: patch antenna back-lobe floor
    portal_aim_m: float = 0.8  # assumption: a portal antenna over a door is aimed down at its side's approach, its
    # boresight meeting the tag plane this far out from the mount (about 45 deg down from 2.3 m)
    tag_height_m: float = 1.0  # assumption: a carried or shelved dossier rides ~1 m above the floor
    min_vertical_m: float = 0.3  # assumption: nearest a tag sits above/below a ceiling or desk antenna face
    min_dist_m: float = 0.25  # assumption: near-field clamp (coupling, not far-field loss, below ~lambda/1.3)
    wall_loss_db: float = 5.0  # assumption: 4-6 dB per drywall partition at 900 MHz
    metal_loss_db: float = 28.0  # assumption: closed steel cabinet 25-30 dB, both ways; treated as opaque
    metal_opaque: bool = True  # assumption: a closed cabinet is a Faraday cage: shielded pairs are never read
    tag_sensitivity_dbm: float = -18.0  # assumption: chip read sensitivity (forward-link limit)
    reader_sensitivity_dbm: float = -80.0  # assumption: fixed-reader receive sensitivity
    tag_offset_sigma_db: float = 2.0  # assumption; ANCHORS Xiao 2014: min power shifts -10 %..+12.5 %
    dead_share: float = 0.01  # assumption: share of tags that never answer (damaged inlays)
    backscatter_loss_db: float = 5.0  # assumption: modulation loss of the tag's backscatter
    p_max: float = 0.9  # assumption, capped below 1; with fading gives ANCHORS SMURF 60-70 % read per cycle
    margin50_db: float = 2.0  # assumption: forward margin at which half of p_max is reached
    slope_db: float = 1.5  # assumption: logistic width of the forward-link transition
    reverse50_db: float = 3.0  # assumption: same for the reverse link above reader sensitivity
    reverse_slope_db: float = 1.0  # assumption
    rssi_noise_db: float = 1.0  # assumption: per-read RSSI measurement noise
    p_powered: float = 0.05  # assumption: per-round p above which a static tag counts as steadily powered
    p_floor: float = 1e-4  # pairs below this per-round probability are dropped as out of field

    @property
    def wavelength_m(self) -> float:
        return C_MPS / (self.freq_mhz * 1e6)

    @property
    def ref_loss_db(self) -> float:
        """Free-space loss at the reference distance (about 31.7 dB at 1 m, 922.5 MHz)."""
        return 20.0 * math.log10(4.0 * math.pi * self.ref_dist_m / self.wavelength_m)


# -- geometry ------------------------------------------------------------------------------------------------------
def path_loss_db(dist_m, params: RFParams = RFParams()) -> np.ndarray:
    """Log-distance mean path loss (no shadowing)."""
    d = np.maximum(np.asarray(dist_m, dtype=np.float64), params.min_dist_m)
    return params.ref_loss_db + 10.0 * params.path_loss_exponent * np.log10(d / params.ref_dist_m)


def pattern_db(off_axis_deg, beamwidth_deg: float, front_to_back_db: float) -> np.ndarray:
    """Gaussian main lobe (-3 dB at half the beamwidth off axis, i.e. 12 (theta/bw)^2 dB) with a back-lobe floor."""
    th = np.abs(np.asarray(off_axis_deg, dtype=np.float64))
    bw = max(float(beamwidth_deg), 1.0)
    return -np.minimum(12.0 * (th / bw) ** 2, front_to_back_db)


def depression_deg(height_m, params: RFParams = RFParams()) -> np.ndarray:
    """How far below horizontal a portal antenna's boresight dips: toward the tag plane `portal_aim_m` out (0 for
    an antenna at or below tag height, as on the calibration layouts)."""
    dz = np.maximum(np.asarray(height_m, dtype=np.float64) - params.tag_height_m, 0.0)
    return np.degrees(np.arctan2(dz, params.portal_aim_m))


def tilted_off_axis_deg(dx, dy, dz, azimuth_deg, dip_deg) -> np.ndarray:
    """3-D angle (deg) between a boresight along `azimuth_deg` dipping `dip_deg` below horizontal and (dx, dy, dz).

    With no dip and the tag at the antenna's height it is the plain azimuth offset the other kinds use."""
    az, dip = np.radians(azimuth_deg), np.radians(dip_deg)
    dx, dy, dz = (np.asarray(v, dtype=np.float64) for v in (dx, dy, dz))
    n = np.maximum(np.sqrt(dx * dx + dy * dy + dz * dz), 1e-9)
    c = (np.cos(dip) * (np.cos(az) * dx + np.sin(az) * dy) - np.sin(dip) * dz) / n
    return np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))


def geometry(ant: Antenna, ant_xy, tag_xy, params: RFParams = RFParams()) -> tuple[np.ndarray, np.ndarray]:
    """3-D distance and off-axis angle (deg) from an antenna at `ant_xy` (2,) or (N, 2) to tags at (N, 2).

    Zone antennas hang from the ceiling looking down, desk pads look up; portal antennas look along `azimuth_deg`
    and down onto their side's approach (`depression_deg`, a 3-D off-axis angle); other kinds along `azimuth_deg`.
    """
    a = np.asarray(ant_xy, dtype=np.float64)
    t = np.asarray(tag_xy, dtype=np.float64).reshape(-1, 2)
    dx = t[:, 0] - a[..., 0]
    dy = t[:, 1] - a[..., 1]
    horiz = np.hypot(dx, dy)
    dz = params.tag_height_m - ant.height_m
    if ant.kind in ("zone", "desk"):
        v = max(abs(dz), params.min_vertical_m)
        off = np.degrees(np.arctan2(horiz, v))
        dist = np.hypot(horiz, v)
    elif ant.kind == "portal":
        off = tilted_off_axis_deg(dx, dy, dz, ant.azimuth_deg, depression_deg(ant.height_m, params))
        dist = np.hypot(horiz, dz)
    else:
        az = np.degrees(np.arctan2(dy, dx))
        off = (az - ant.azimuth_deg + 180.0) % 360.0 - 180.0
        dist = np.hypot(horiz, dz)
    return dist, off


# -- deterministic correlated draws ----------------------------------------------------------------------------------
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    h = h ^ (h >> np.uint64(30))
    h = h * _M1
    h = h ^ (h >> np.uint64(27))
    h = h * _M2
    return h ^ (h >> np.uint64(31))


def stable_key(text: str) -> int:
    """A 64-bit key for a name (reader/antenna id, salt), independent of Python's hash seed."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


def epc_words(epc: np.ndarray) -> np.ndarray:
    """(N, 3) uint64 view of 24-character EPC byte strings, the hash input identifying a tag."""
    e = np.ascontiguousarray(np.asarray(epc, dtype="S24"))
    return e.view("<u8").reshape(-1, 3)


def hash_u64(seed: int, *cols) -> np.ndarray:
    """Counter-based 64-bit hash of (seed, cols...) per row: same inputs, same value, no state."""
    with np.errstate(over="ignore"):
        n = max(np.asarray(c).shape[0] if np.ndim(c) else 1 for c in cols)
        h = np.full(n, np.uint64(seed & 0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
        for c in cols:
            c = np.asarray(c)
            if c.dtype != np.uint64:
                c = c.astype(np.int64).view(np.uint64)
            h = _mix(h ^ (c + _GOLD))
    return h


def to_normal(h: np.ndarray) -> np.ndarray:
    """Standard normal from 64-bit hashes (top 53 bits as a uniform, inverse normal CDF)."""
    u = ((h >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)
    return ndtri(u)


def hash_normal(seed: int, *cols) -> np.ndarray:
    """Standard normal draws from a counter-based hash of (seed, cols...)."""
    return to_normal(hash_u64(seed, *cols))


def tag_hash(seed: int, epc: np.ndarray) -> np.ndarray:
    """One 64-bit identity hash per tag, the per-tag part of the fading draws (computed once per call)."""
    w = epc_words(epc)
    return hash_u64(seed ^ stable_key("tag"), w[:, 0], w[:, 1], w[:, 2])


def tag_quality(seed: int, epc: np.ndarray, params: RFParams = RFParams()) -> tuple[np.ndarray, np.ndarray]:
    """Per-tag chip sensitivity offset (dB, N(0, sigma) clipped) and dead flag, fixed for the life of a tag."""
    w = epc_words(epc)
    z = hash_normal(seed ^ stable_key("tag-offset"), w[:, 0], w[:, 1], w[:, 2])
    offset = params.tag_offset_sigma_db * np.clip(z, -params.shadow_clip_sigma, params.shadow_clip_sigma)
    u = hash_normal(seed ^ stable_key("tag-dead"), w[:, 0], w[:, 1], w[:, 2])
    dead = u < ndtri(params.dead_share) if params.dead_share > 0 else np.zeros(len(w), bool)
    return offset, dead


def shadowing_db(seed: int, epc: np.ndarray, ant_key: int, tag_xy, params: RFParams = RFParams(),
                 ant_xy=None, tag_h: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Forward fading (dB, + = stronger) and the extra reverse-link fading for each tag seen by one antenna.

    The draw is a hash of (seed, tag, antenna, 0.5 m cell of the tag [and of a moving antenna]): a static tag keeps
    its draw, a moving one gets a new draw in each cell. `tag_h` (from `tag_hash`) saves re-hashing the EPCs.
    """
    th = tag_hash(seed, epc) if tag_h is None else tag_h
    t = np.asarray(tag_xy, dtype=np.float64).reshape(-1, 2)
    cx = np.floor(t[:, 0] / params.shadow_cell_m).astype(np.int64)
    cy = np.floor(t[:, 1] / params.shadow_cell_m).astype(np.int64)
    cols = [th, cx, cy]
    if ant_xy is not None:
        a = np.broadcast_to(np.asarray(ant_xy, dtype=np.float64).reshape(-1, 2), t.shape)
        cols += [np.floor(a[:, 0] / params.shadow_cell_m).astype(np.int64),
                 np.floor(a[:, 1] / params.shadow_cell_m).astype(np.int64)]
    clip = params.shadow_clip_sigma
    h = hash_u64(seed ^ ant_key, *cols)
    fwd = np.clip(to_normal(h), -clip, clip) * params.shadow_sigma_db
    with np.errstate(over="ignore"):
        rev = np.clip(to_normal(_mix(h ^ _GOLD)), -clip, clip) * params.reverse_sigma_db
    return fwd, rev


# -- link budget and detection -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    """Per-pair link figures: forward margin over chip sensitivity, backscatter RSSI, per-round p."""

    margin_db: np.ndarray
    rssi_dbm: np.ndarray
    p: np.ndarray


def mean_levels(dist_m, off_axis_deg, gain_dbi: float, beamwidth_deg: float, tx_power_dbm: float,
                walls=0, metal=False, params: RFParams = RFParams()) -> tuple[np.ndarray, np.ndarray]:
    """Power at the tag (dBm) and backscatter RSSI (dBm) without fading: the deterministic part of the budget."""
    pl = path_loss_db(dist_m, params)
    g = gain_dbi + pattern_db(off_axis_deg, beamwidth_deg, params.front_to_back_db)
    extra = params.wall_loss_db * np.asarray(walls, dtype=np.float64) + params.metal_loss_db * np.asarray(metal)
    one_way = g - params.cable_loss_db + params.tag_gain_dbi - params.polarization_loss_db - params.mount_loss_db
    p_tag = tx_power_dbm + one_way - pl - extra
    rssi = p_tag - params.backscatter_loss_db + one_way - pl - extra  # crosses the path twice: slope 2*n*10 dB/dec
    return p_tag, rssi


def detection_probability(margin_db, reverse_margin_db=None, params: RFParams = RFParams()) -> np.ndarray:
    """Probability a tag answers and is decoded in one inventory round: logistic in the link margins, capped p_max."""
    p = params.p_max * expit((np.asarray(margin_db, dtype=np.float64) - params.margin50_db) / params.slope_db)
    if reverse_margin_db is not None:
        p = p * expit((np.asarray(reverse_margin_db) - params.reverse50_db) / params.reverse_slope_db)
    return p


def link(ant: Antenna, tx_power_dbm: float, ant_xy, tag_xy, epc, walls, shielded, seed: int, ant_key: int,
         params: RFParams = RFParams(), moving_antenna: bool = False, tag_h=None, quality=None) -> Link:
    """Full link for one antenna and N tags: mean budget + correlated fading + tag quality -> margin, RSSI, p.

    `tag_h` (tag_hash) and `quality` (tag_quality) may be passed precomputed per tag; they depend on the tag only.
    """
    dist, off = geometry(ant, ant_xy, tag_xy, params)
    p_tag, rssi = mean_levels(dist, off, ant.gain_dbi, ant.beamwidth_deg, tx_power_dbm, walls, shielded, params)
    fwd, rev = shadowing_db(seed, epc, ant_key, tag_xy, params, ant_xy if moving_antenna else None, tag_h)
    offset, dead = tag_quality(seed, epc, params) if quality is None else quality
    margin = p_tag + fwd - (params.tag_sensitivity_dbm + offset)
    rssi = rssi + 2.0 * fwd + rev
    p = detection_probability(margin, rssi - params.reader_sensitivity_dbm, params)
    p = np.where(dead, 0.0, p)
    if params.metal_opaque:
        p = np.where(np.asarray(shielded, dtype=bool), 0.0, p)
    return Link(margin, rssi, p)


def best_margin_db(p_tag_dbm, params: RFParams = RFParams()) -> np.ndarray:
    """Forward margin with the luckiest clipped fading and the most sensitive chip: an upper bound per pair."""
    luck = params.shadow_clip_sigma * (params.shadow_sigma_db + params.tag_offset_sigma_db)
    return np.asarray(p_tag_dbm) + luck - params.tag_sensitivity_dbm


def min_margin_db(params: RFParams = RFParams()) -> float:
    """Forward margin below which p < p_floor (logistic tail)."""
    return params.margin50_db + params.slope_db * math.log(params.p_floor / (params.p_max - params.p_floor))


def max_range_m(gain_dbi: float, tx_power_dbm: float, params: RFParams = RFParams()) -> float:
    """Distance beyond which no tag reaches p_floor even with the luckiest fading and the most sensitive chip."""
    p_tag0 = (tx_power_dbm + gain_dbi - params.cable_loss_db + params.tag_gain_dbi - params.polarization_loss_db
              - params.mount_loss_db)  # at the reference distance, on boresight
    budget = float(best_margin_db(p_tag0, params)) - min_margin_db(params) - params.ref_loss_db
    return params.ref_dist_m * 10.0 ** (budget / (10.0 * params.path_loss_exponent))


def mean_detection_probability(dist_m, tx_power_dbm: float = 30.0, gain_dbi: float = 6.0, off_axis_deg=0.0,
                               beamwidth_deg: float = 70.0, walls=0, params: RFParams = RFParams()) -> np.ndarray:
    """Expected per-round p at each distance, averaged over fading, tag quality and dead tags (quadrature).

    What a population of static tags at that distance is read with on average: the calibration figure.
    """
    d = np.atleast_1d(np.asarray(dist_m, dtype=np.float64))
    z = np.linspace(-6, 6, 241)
    w = np.exp(-0.5 * z**2)
    w /= w.sum()
    zc = np.clip(z, -params.shadow_clip_sigma, params.shadow_clip_sigma)
    p_tag, rssi = mean_levels(d, off_axis_deg, gain_dbi, beamwidth_deg, tx_power_dbm, walls, False, params)
    fwd = zc * params.shadow_sigma_db  # (Z,)
    off = zc * params.tag_offset_sigma_db
    margin = (p_tag[:, None, None] + fwd[None, :, None] - params.tag_sensitivity_dbm - off[None, None, :])
    rev_m = rssi[:, None, None] + 2 * fwd[None, :, None] - params.reader_sensitivity_dbm + 0 * off[None, None, :]
    p = detection_probability(margin, rev_m, params)  # reverse-link extra fading (small) neglected here
    out = np.einsum("dij,i,j->d", p, w, w) * (1.0 - params.dead_share)
    return out


# -- many antennas at once (the engine's flat pair arrays) -----------------------------------------------------------
@dataclass(frozen=True)
class AntennaArrays:
    """Per-antenna columns of a placement (fixed and carried), so links of many (antenna, tag) pairs are one call."""

    vertical: np.ndarray  # bool: zone/desk antennas look down/up, others along azimuth_deg
    tilted: np.ndarray  # bool: portal antennas also look down onto their approach (`depression_deg`)
    height_m: np.ndarray
    azimuth_deg: np.ndarray
    beamwidth_deg: np.ndarray
    gain_dbi: np.ndarray
    power_dbm: np.ndarray
    key: np.ndarray  # uint64 stable_key("reader/port")

    @classmethod
    def of(cls, ants: list[Antenna], power_dbm: list[float]) -> "AntennaArrays":
        return cls(np.array([a.kind in ("zone", "desk") for a in ants], bool),
                   np.array([a.kind == "portal" for a in ants], bool),
                   np.array([a.height_m for a in ants], float), np.array([a.azimuth_deg for a in ants], float),
                   np.array([max(float(a.beamwidth_deg), 1.0) for a in ants], float),
                   np.array([a.gain_dbi for a in ants], float), np.asarray(power_dbm, float),
                   np.array([stable_key(f"{a.reader}/{a.port}") for a in ants], np.uint64))


def pair_mean_levels(A: AntennaArrays, ai, ant_xy, tag_xy, walls, shielded, params: RFParams = RFParams(),
                     azimuth_deg=None):
    """`geometry` + `mean_levels` for pairs of different antennas ai (same formulas, per-pair antenna columns).
    `azimuth_deg`: per-pair boresight in the plan (a handheld aimed by its keeper) instead of the antenna's own."""
    a = np.asarray(ant_xy, dtype=np.float64).reshape(-1, 2)
    t = np.asarray(tag_xy, dtype=np.float64).reshape(-1, 2)
    dx, dy = t[:, 0] - a[:, 0], t[:, 1] - a[:, 1]
    horiz = np.hypot(dx, dy)
    dz = params.tag_height_m - A.height_m[ai]
    vert = A.vertical[ai]
    v = np.maximum(np.abs(dz), params.min_vertical_m)
    off_v = np.degrees(np.arctan2(horiz, v))
    az = A.azimuth_deg[ai] if azimuth_deg is None else np.broadcast_to(np.asarray(azimuth_deg, np.float64), horiz.shape)
    off_h = (np.degrees(np.arctan2(dy, dx)) - az + 180.0) % 360.0 - 180.0
    off = np.where(vert, off_v, off_h)
    tilt = A.tilted[ai]
    if np.any(tilt):
        off = np.where(tilt, tilted_off_axis_deg(dx, dy, dz, az, depression_deg(A.height_m[ai], params)),
                       off)
    dist = np.where(vert, np.hypot(horiz, v), np.hypot(horiz, dz))
    pl = path_loss_db(dist, params)
    g = A.gain_dbi[ai] - np.minimum(12.0 * (off / A.beamwidth_deg[ai]) ** 2, params.front_to_back_db)
    extra = params.wall_loss_db * np.asarray(walls, dtype=np.float64) + params.metal_loss_db * np.asarray(shielded)
    one_way = g - params.cable_loss_db + params.tag_gain_dbi - params.polarization_loss_db - params.mount_loss_db
    p_tag = A.power_dbm[ai] + one_way - pl - extra
    return p_tag, p_tag - params.backscatter_loss_db + one_way - pl - extra


def pair_link(A: AntennaArrays, ai, ant_xy, tag_xy, tag_h, offset, dead, walls, shielded, seed: int,
              params: RFParams = RFParams(), moving_antenna=None, levels=None,
              azimuth_deg=None, hashes=None) -> tuple[np.ndarray, np.ndarray]:
    """(p, rssi_dbm) of `link` for pairs of different antennas: same budget, fading hash, tag quality and cap.

    tag_h, offset and dead are per pair (gathered from `tag_hash` / `tag_quality`); where `moving_antenna` is true the
    fading cell also follows the antenna, as `link(..., moving_antenna=True)`. `levels` = (p_tag, rssi) of
    `pair_mean_levels` when the caller already has them (e.g. from a per-cell cache); `azimuth_deg`: per-pair
    boresight as there; `hashes`: the fading hashes (h, _mix(h ^ GOLD)) when the caller already has them (no moving
    antenna; `fixedkernels.fading_hashes`).
    """
    p_tag, rssi = levels if levels is not None else pair_mean_levels(A, ai, ant_xy, tag_xy, walls, shielded, params,
                                                                     azimuth_deg)
    if hashes is not None:
        clip = params.shadow_clip_sigma
        fwd = np.clip(to_normal(hashes[0]), -clip, clip) * params.shadow_sigma_db
        rev = np.clip(to_normal(hashes[1]), -clip, clip) * params.reverse_sigma_db
        return _link_of(p_tag, rssi, fwd, rev, offset, dead, shielded, params)
    t = np.asarray(tag_xy, dtype=np.float64).reshape(-1, 2)
    cs = params.shadow_cell_m
    with np.errstate(over="ignore"):
        h = (np.uint64(seed & 0xFFFFFFFFFFFFFFFF) ^ A.key[ai]).astype(np.uint64)
        for c in (tag_h, np.floor(t[:, 0] / cs).astype(np.int64), np.floor(t[:, 1] / cs).astype(np.int64)):
            c = c if c.dtype == np.uint64 else c.view(np.uint64)
            h = _mix(h ^ (c + _GOLD))
        if moving_antenna is not None and np.any(moving_antenna):
            a = np.asarray(ant_xy, dtype=np.float64).reshape(-1, 2)
            hm = h
            for c in (np.floor(a[:, 0] / cs).astype(np.int64), np.floor(a[:, 1] / cs).astype(np.int64)):
                hm = _mix(hm ^ (c.view(np.uint64) + _GOLD))
            h = np.where(moving_antenna, hm, h)
        clip = params.shadow_clip_sigma
        fwd = np.clip(to_normal(h), -clip, clip) * params.shadow_sigma_db
        rev = np.clip(to_normal(_mix(h ^ _GOLD)), -clip, clip) * params.reverse_sigma_db
    return _link_of(p_tag, rssi, fwd, rev, offset, dead, shielded, params)


def _link_of(p_tag, rssi, fwd, rev, offset, dead, shielded, params: RFParams) -> tuple[np.ndarray, np.ndarray]:
    """(p, rssi_dbm) of `pair_link` from the mean levels and the fading draws."""
    margin = p_tag + fwd - (params.tag_sensitivity_dbm + offset)
    rssi = rssi + 2.0 * fwd + rev
    p = detection_probability(margin, rssi - params.reader_sensitivity_dbm, params)
    p = np.where(dead | np.asarray(shielded, dtype=bool) & params.metal_opaque, 0.0, p)
    return p, rssi
