"""The oracle's static picture of the station: candidate places, (candidate, antenna) pairs, per-tag expected reads.

Candidates are where a tag can be: each storage unit's position (where the ledger rests a tag put on it, inside the
unit), each space's centroid, and one "anywhere in the space" point whose link is the fading-averaged mean over a few
sample points (a carried tag). Pairs (candidate, fixed antenna) in reach are found once with the engine's screen;
each tag's true per-round probabilities on them (its hidden chip quality and its shadowing draw at the candidate's
cell, `rf.pair_link` with the world's rf seed) are computed when the tag is first read and cached. `rates` and `lam`
turn them into expected reads per inventory unit as the engine does (Gen2 collisions for the population in the field,
S1 persistence on continuous S1 antennas); periodic S2/S3 antennas read a tag at most once per inventory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..building.model import Floor
from ..readers import gen2, rf
from ..readers.placement import Placement

EXACT, ANYWHERE = 0, 1


@dataclass(frozen=True)
class Antennas:
    """Fixed antennas of a placement (handhelds say nothing about a fixed place)."""

    keys: tuple[tuple[bytes, int], ...]  # (reader id, port)
    reader: np.ndarray  # reader index per antenna
    level: np.ndarray
    xy: np.ndarray
    storage: np.ndarray  # storage index it is mounted in (-1)
    s1_tau_s: np.ndarray  # per reader: session flag persistence (0 for S0)
    duty: np.ndarray  # share of its reader's air time (1 for a periodic reader's antenna: alone in its slot)
    once: np.ndarray  # S2/S3 on a periodic trigger: a tag is read at most once per inventory (engine: sessions)
    arrays: rf.AntennaArrays
    range_m: np.ndarray


def _antennas(floor: Floor, pl: Placement, P: rf.RFParams, G: gen2.Gen2Params) -> Antennas:
    lv = {k: i for i, k in enumerate(floor.levels)}
    st = {k: i for i, k in enumerate(floor.storage)}
    rids = sorted(pl.readers)
    ants, cols, power, taus = [], [], [], []
    for ri, rid in enumerate(rids):
        r = pl.readers[rid]
        tau = 0.0 if r.session == "S0" else G.s1_persistence_s if r.session == "S1" else G.s2_reset_s
        taus.append(tau)
        if r.kind == "handheld":
            continue
        for a in r.antennas:
            if a.kind == "handheld" or a.level not in lv:
                continue
            ants.append(a)
            power.append(r.power_of(a))
            per = getattr(r, "trigger", "continuous") == "periodic"
            cols.append((ri, lv[a.level], st.get(a.storage, -1) if a.storage else -1,
                         1.0 if per else 1.0 / len(r.antennas), per and r.session in ("S2", "S3")))
    c = np.array(cols, float).reshape(-1, 5)
    return Antennas(
        tuple((a.reader.encode("ascii"), int(a.port)) for a in ants), c[:, 0].astype(np.int64),
        c[:, 1].astype(np.int64), np.array([a.position for a in ants], float).reshape(-1, 2),
        c[:, 2].astype(np.int64), np.array(taus, float), c[:, 3], c[:, 4] > 0, rf.AntennaArrays.of(ants, power),
        np.array([rf.max_range_m(a.gain_dbi, pw, P) for a, pw in zip(ants, power)]),
    )


def _sample_points(poly) -> np.ndarray:
    """Centroid and the midpoints from it to each corner of a convex polygon (all inside it)."""
    p = np.asarray(poly, float)
    c = p.mean(axis=0)
    return np.vstack([c[None, :], (p + c) / 2.0])


def _avg_p(p_tag, rssi, P: rf.RFParams) -> np.ndarray:
    """Per-round p averaged over the clipped forward fading and the chip offset distribution (quadrature)."""
    z = np.linspace(-P.shadow_clip_sigma, P.shadow_clip_sigma, 21)
    w = np.exp(-0.5 * z**2)
    w /= w.sum()
    fwd = z * P.shadow_sigma_db
    m = p_tag[:, None] + fwd[None, :] - P.tag_sensitivity_dbm
    rev = rssi[:, None] + 2.0 * fwd[None, :] - P.reader_sensitivity_dbm
    return (rf.detection_probability(m, rev, P) * w).sum(axis=1) * (1.0 - P.dead_share)


DOOR_IN_M = (0.6, 1.2)  # depths into a space of the doorway places' sample points (assumption: where a carried tag
#                        is while a portal hears it pass, one and two steps from the door)
DOOR_ALONG_M = 0.4  # their spread along the wall, each way (assumption: about half a door's width)


def _doorway_points(floor: Floor, door, space) -> np.ndarray | None:
    """Sample points just inside `space` at `door`: off the boundary edge nearest the door, on the space's side."""
    poly = np.asarray(space.polygon, float)
    if len(poly) < 3:
        return None
    d = np.asarray(door.position, float)
    a, b = poly, np.roll(poly, -1, axis=0)
    ab = b - a
    t = np.clip(((d - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-12), 0.0, 1.0)
    k = int(np.argmin(np.hypot(*(a + t[:, None] * ab - d).T)))
    u = ab[k] / max(float(np.hypot(*ab[k])), 1e-12)
    n = np.array([-u[1], u[0]])
    if not space.contains(*(d + 0.3 * n)):
        n = -n
    if not space.contains(*(d + 0.3 * n)):
        return None
    pts = [d + n * depth + u * off for depth in DOOR_IN_M for off in (-DOOR_ALONG_M, 0.0, DOOR_ALONG_M)]
    pts = [q for q in pts if space.contains(*q)]
    return np.array(pts) if pts else None


class StationModel:
    """Candidates, pairs and the per-tag cache of expected reads per second on each pair."""

    def __init__(self, floor: Floor, placement: Placement, seed: int, rf_params: rf.RFParams | None = None,
                 gen2_params: gen2.Gen2Params | None = None, p_min: float = 1e-3):
        P = self.P = rf_params or rf.RFParams()
        G = self.G = gen2_params or gen2.Gen2Params()
        self.floor, self.seed, self.p_min = floor, int(seed), p_min
        self.A = _antennas(floor, placement, P, G)
        self.ant_index = {k: i for i, k in enumerate(self.A.keys)}
        self.space_ids = tuple(floor.spaces)
        sp = {s: i for i, s in enumerate(self.space_ids)}
        st = {s: i for i, s in enumerate(floor.storage)}
        self.storage_ids = tuple(floor.storage)
        levels = {k: i for i, k in enumerate(floor.levels)}
        metal = np.array([u.metal for u in floor.storage.values()] + [False])
        rows = []  # (space, storage, level, container, kind, points)
        for u in floor.storage.values():
            rows.append((sp[u.space], st[u.id], levels.get(floor.spaces[u.space].level, -1), st[u.id], EXACT,
                         np.array([u.position], float)))
        for s in floor.spaces.values():
            lvl = levels.get(s.level, -1) if s.has_geometry else -1
            pts = _sample_points(s.polygon) if s.has_geometry else np.zeros((1, 2))
            rows.append((sp[s.id], -1, lvl, -1, EXACT, pts[:1]))
            rows.append((sp[s.id], -1, lvl, -1, ANYWHERE, pts))
        # doorway places on either side of each portal-watched door: a tag a portal hears passing is there, not
        # anywhere in the room (whose mean link to the door's antennas is weak) -- the sides tell its direction
        watched = sorted({a.door for r in placement.readers.values() for a in r.antennas
                          if a.kind == "portal" and a.door in floor.doors})
        for did in watched:
            door = floor.doors[did]
            for side in (door.a, door.b):
                sp_ = floor.spaces[side]
                pts = _doorway_points(floor, door, sp_) if sp_.has_geometry else None
                if pts is not None:
                    rows.append((sp[side], -1, levels.get(sp_.level, -1), -1, ANYWHERE, pts))
        self.c_space = np.array([r[0] for r in rows], np.int64)
        self.c_storage = np.array([r[1] for r in rows], np.int64)
        self.c_level = np.array([r[2] for r in rows], np.int64)
        self.c_container = np.array([r[3] for r in rows], np.int64)
        self.c_kind = np.array([r[4] for r in rows], np.int64)
        self.K = len(rows)
        # pairs: every (candidate point, antenna) on one level in reach and not shielded
        pc, pa, ppt = [], [], []
        for k, r in enumerate(rows):
            if r[2] < 0:
                continue
            ai = np.flatnonzero(self.A.level == r[2])
            for j, xy in enumerate(r[5]):
                d = np.hypot(self.A.xy[ai, 0] - xy[0], self.A.xy[ai, 1] - xy[1])
                near = ai[d <= self.A.range_m[ai]]
                pc += [k] * len(near)
                pa += near.tolist()
                ppt += [xy] * len(near)
        pc, pa = np.array(pc, np.int64), np.array(pa, np.int64)
        pxy = np.array(ppt, float).reshape(-1, 2)
        walls = np.zeros(len(pc), np.int64)
        lvl_names = tuple(floor.levels)
        for lv in np.unique(self.c_level[pc]) if len(pc) else []:
            m = self.c_level[pc] == lv
            walls[m] = floor.walls_crossed(lvl_names[lv], self.A.xy[pa[m]], pxy[m])
        cont, sa = self.c_container[pc], self.A.storage[pa]
        shielded = (metal[cont] | metal[sa]) & (cont != sa)
        p_tag, rssi = rf.pair_mean_levels(self.A.arrays, pa, self.A.xy[pa], pxy, walls, shielded, P)
        iso = np.array([placement.antenna(r.decode(), p).isolation_db for r, p in self.A.keys], float)
        iso = iso[pa] * ((sa >= 0) & (cont != sa)) if len(pa) else np.zeros(0)  # as the engine: Antenna.isolation_db
        p_tag, rssi = p_tag - iso, rssi - 2.0 * iso
        ok = (rf.best_margin_db(p_tag, P) >= rf.min_margin_db(P)) & ~shielded
        pc, pa, pxy, walls, shielded, p_tag, rssi = (x[ok] for x in (pc, pa, pxy, walls, shielded, p_tag, rssi))
        # "anywhere" candidates: one pair per (candidate, antenna), mean p over its sample points
        any_ = self.c_kind[pc] == ANYWHERE
        pavg = _avg_p(p_tag[any_], rssi[any_], P)
        key = pc[any_] * len(self.A.keys) + pa[any_]
        uk, inv = np.unique(key, return_inverse=True)
        npts = np.array([len(r[5]) for r in rows])
        self.avg_p = np.bincount(inv, pavg, minlength=len(uk)) / npts[uk // len(self.A.keys)]
        ex = ~any_
        key_all = np.concatenate([pc[ex] * len(self.A.keys) + pa[ex], uk])
        o = np.argsort(key_all, kind="stable")
        self.pair_key = key_all[o]
        self.pair_c = self.pair_key // max(len(self.A.keys), 1)
        self.pair_a = self.pair_key % max(len(self.A.keys), 1)
        n_ex = int(ex.sum())
        self._exact_rows = np.flatnonzero(o < n_ex)  # positions in the sorted pair list of exact pairs
        src = o[self._exact_rows]
        self._ex = (pa[ex][src], pxy[ex][src])
        self._ex_ptag, self._ex_rssi = p_tag[ex][src], rssi[ex][src]  # mean budget: tag-independent, computed once
        self._ex_by_ant = [(a, np.flatnonzero(self._ex[0] == a)) for a in np.unique(self._ex[0])]
        self._avg_rows = np.flatnonzero(o >= n_ex)
        self._avg_vals = self.avg_p[o[self._avg_rows] - n_ex]
        self.lut = np.full((self.K, max(len(self.A.keys), 1)), -1, np.int64)
        self.lut[self.pair_c, self.pair_a] = np.arange(len(self.pair_key))
        self.n_pairs = len(self.pair_key)
        self.c_start = np.searchsorted(self.pair_c, np.arange(self.K + 1))  # pairs of candidate c: [c_start[c], c_start[c+1])

    # -- per tag ---------------------------------------------------------------------------------------------------
    def per_round_p(self, epcs: np.ndarray) -> np.ndarray:
        """(len(epcs), n_pairs) true per-round detection probability of each tag on every pair."""
        P = self.P
        n = len(epcs)
        out = np.zeros((n, self.n_pairs), np.float64)
        out[:, self._avg_rows] = self._avg_vals[None, :]
        ai = self._ex[0]
        m = len(ai)
        if m and n:
            th = rf.tag_hash(self.seed, epcs)
            off, dead = rf.tag_quality(self.seed, epcs, P)
            p = np.zeros((n, m))
            for a, cols in self._ex_by_ant:  # the engine's draw: hash of (seed ^ antenna key, tag, 0.5 m cell)
                k = len(cols)
                fwd, rev = rf.shadowing_db(self.seed, np.repeat(epcs, k), int(self.A.arrays.key[a]),
                                           np.tile(self._ex[1][cols], (n, 1)), P, tag_h=np.repeat(th, k))
                margin = self._ex_ptag[cols][None, :] + fwd.reshape(n, k) - (P.tag_sensitivity_dbm + off[:, None])
                rssi = self._ex_rssi[cols][None, :] + 2.0 * fwd.reshape(n, k) + rev.reshape(n, k)
                p[:, cols] = rf.detection_probability(margin, rssi - P.reader_sensitivity_dbm, P)
            out[:, self._exact_rows] = p
            out[dead] = 0.0
        return out

    def rates(self, pop: np.ndarray, unit_us: np.ndarray) -> "LinkRates":
        """Per antenna, from the population in its field (pop: sum of per-round p; sum of log(1 - p/L) taken as
        -pop/L): the engine's `_gen2` rate e0 / round time x duty, per inventory unit (a slot, or a second)."""
        G = self.G
        q = gen2.choose_q(pop, G)
        L = np.exp2(q.astype(np.float64))
        e0 = np.exp(-np.asarray(pop, float) / L)
        success = e0 * pop
        t_round = gen2.round_time_us(L * e0, success, np.maximum(L - L * e0 - success, 0.0), None, G)
        k = e0 / t_round * self.A.duty
        tau_us = np.where(self.A.once, 0.0, self.A.s1_tau_s[self.A.reader] * 1e6)
        return LinkRates(1.0 / L, k * unit_us, tau_us / unit_us)


@dataclass(frozen=True)
class LinkRates:
    """Per antenna: 1 / frame size, reads per unit of p / (1 - p / L), S1 persistence in units (0: none)."""

    inv_L: np.ndarray
    per_unit: np.ndarray
    tau_units: np.ndarray

    def lam(self, p: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Expected reads per inventory unit of per-round p on antennas a: S0 reads, capped by the S1 flag's
        persistence on continuous S1 antennas (renewal: lam / (1 + tau lam), per antenna)."""
        lam = p / (1.0 - p * self.inv_L[a]) * self.per_unit[a]
        return lam / (1.0 + self.tau_units[a] * lam)
