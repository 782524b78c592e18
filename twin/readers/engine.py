"""The read engine: turns tag positions over an interval into LLRP-shaped tag reports, vectorised with numpy.

Per reader the interval is cut into slices (antenna dwell windows, report periods, a time grid, fault and handheld
edges). Per antenna: the per-round detection probability of each candidate tag (static tags once per position, cached;
moving tags and carried antennas per slice), the Gen2 population and round time per slice, the expected reads, then
Poisson counts per (report period, tag) with first/last seen spread over the antenna's active time. Never one Python
step per read. Output times are the reader's clock; `generate_with_delivery` also says when each report reaches the
core (end of its report period + network delay; the world hands a report to the core once that time has passed).

Cost follows candidates, not reads: (static tag x antenna) once per position (cached), (moving tag x antenna x slice)
per call, plus one report row per (period, antenna, tag) read. Walls to a moving tag are counted from the centre of
its 0.5 m fading cell. A report period that straddles a call boundary yields one row in each call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.building.model import Floor
from twin.readers import gen2, rf
from twin.readers.faults import Faults
from twin.readers.linkcache import CellWalls, LinkCache
from twin.readers.placement import Antenna, Placement
from twin.readers.reports import ReaderClock, assemble, channel_index, network_delay_us, peak_rssi
from twin.readers.segments import AntennaTrack, TagSegments
from twin.readers.sessions import SessionState, apply_session
from twin.records import READ_DTYPE
from twin.rng import Streams


@dataclass(frozen=True)
class EngineParams:
    rf: rf.RFParams = field(default_factory=rf.RFParams)
    gen2: gen2.Gen2Params = field(default_factory=gen2.Gen2Params)
    clock_offset_ms: float = 50.0  # assumption: NTP-disciplined reader clocks within +-50 ms
    clock_drift_ppm: float = 20.0  # assumption: reader crystal +-20 ppm
    net_delay_median_ms: float = 3.0  # assumption: LAN + reader buffering
    net_delay_sigma: float = 0.5  # assumption: lognormal shape of that delay
    grid_ms: float = 250.0  # longest slice: moving tags' positions are sampled at slice midpoints
    n_channels: int = 16  # assumption: China 920.625-924.375 MHz, 250 kHz steps


@dataclass
class _Ant:
    spec: Antenna
    local: int
    level: int
    xy: np.ndarray
    key: int
    storage: int
    cache: LinkCache
    grid: CellWalls


@dataclass
class _Rd:
    id: str
    session: str
    power_dbm: float
    dwell_us: int
    period_us: int
    key: int
    ants: list[_Ant]
    state: SessionState
    clock: ReaderClock | None = None
    phase_us: int = 0


def _inside(iv: np.ndarray, t: np.ndarray) -> np.ndarray:
    """True where t falls in one of the sorted, merged half-open intervals iv (K, 2)."""
    if not len(iv):
        return np.zeros(len(t), bool)
    j = np.searchsorted(iv[:, 0], t, side="right") - 1
    return (j >= 0) & (t < iv[np.maximum(j, 0), 1])


def _order_stats(rng: np.random.Generator, n: np.ndarray):
    """(first, last) of n uniforms on [0, 1): min, then max of the other n-1 above it."""
    nf = n.astype(np.float64)
    first = 1.0 - rng.random(len(n)) ** (1.0 / nf)
    up = rng.random(len(n)) ** (1.0 / np.maximum(nf - 1.0, 1.0))
    last = np.where(n >= 2, first + (1.0 - first) * up, first)
    return first, last


class ReaderEngine:
    """Virtual readers of one placement on one floor. Stateful only in session flags and static link caches."""

    def __init__(self, floor: Floor, placement: Placement, params: EngineParams | None = None,
                 streams: Streams | None = None, faults: Faults | None = None, t_ref_us: int | None = None):
        self.floor, self.placement = floor, placement
        self.params = params or EngineParams()
        self.streams = streams or Streams(0)
        self.faults = faults or Faults()
        self.seed = self.streams.child("rf").seed
        self.level_ids = tuple(floor.levels)
        self.storage_ids = tuple(floor.storage)
        self._metal = np.array([floor.storage[s].metal for s in self.storage_ids] + [False])
        self._t_ref = t_ref_us
        lv = {k: i for i, k in enumerate(self.level_ids)}
        st = {k: i for i, k in enumerate(self.storage_ids)}
        self.readers: list[_Rd] = []
        for rid in sorted(placement.readers):
            r = placement.readers[rid]
            ants = [_Ant(a, i, lv.get(a.level, -1), np.asarray(a.position, float), rf.stable_key(f"{rid}/{a.port}"),
                         st.get(a.storage, -1) if a.storage else -1, LinkCache(),
                         CellWalls(floor, a.level, a.position, self.params.rf.shadow_cell_m))
                    for i, a in enumerate(r.antennas)]
            self.readers.append(_Rd(rid, r.session, r.power_dbm, max(1, int(r.dwell_ms * 1e3)),
                                    max(1, int(r.report_period_ms * 1e3)), rf.stable_key(rid), ants, SessionState()))

    # -- public ----------------------------------------------------------------------------------------------------
    def generate(self, t0_us: int, t1_us: int, tags: TagSegments,
                 antennas_override: AntennaTrack | None = None) -> np.ndarray:
        """READ_DTYPE rows of every reader for [t0_us, t1_us), sorted by delivery time."""
        return self.generate_with_delivery(t0_us, t1_us, tags, antennas_override)[0]

    def generate_with_delivery(self, t0_us: int, t1_us: int, tags: TagSegments,
                               antennas_override: AntennaTrack | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows and, aligned, the true time (us) each row's report batch reaches the core."""
        t0_us, t1_us = int(t0_us), int(t1_us)
        if self._t_ref is None:
            self._t_ref = t0_us
        w = rf.epc_words(tags.epc)
        xq = np.rint(tags.x0 * 1000).astype(np.int64)
        yq = np.rint(tags.y0 * 1000).astype(np.int64)
        seg_key = rf.hash_normal(self.seed, w[:, 0], w[:, 1], w[:, 2], xq, yq, tags.level, tags.container)
        seg_key = seg_key.view(np.uint64)
        full_static = tags.is_static & (tags.t0_us <= t0_us) & (tags.t1_us >= t1_us)
        self._tag_h = rf.tag_hash(self.seed, tags.epc)  # per-tag parts of the link, once per call
        self._offset, self._dead = rf.tag_quality(self.seed, tags.epc, self.params.rf)
        cols = [c for rd in self.readers
                if (c := self._reader(rd, t0_us, t1_us, tags, full_static, seg_key, antennas_override)) is not None]
        if not cols:
            return np.zeros(0, READ_DTYPE), np.zeros(0, np.int64)
        # columns are gathered and sorted before the one structured array is built (fancy-indexing records is slow)
        c = {k: np.concatenate([x[k] for x in cols]) for k in cols[0]}
        order = np.lexsort((c["t_us"], c["ridx"], c["deliver_us"]))
        c = {k: v[order] for k, v in c.items()}
        names = np.array([rd.id.encode("ascii") for rd in self.readers], dtype=READ_DTYPE["reader"])
        rows = assemble(names[c["ridx"]], c["first_us"], c["t_us"], c["antenna"], c["epc"], c["rssi_dbm"],
                        c["count"], c["channel"])
        return rows, c["deliver_us"]

    def outages(self) -> list[dict]:
        """Ground truth of reader and antenna outages."""
        return self.faults.truth_rows()

    # -- one reader ------------------------------------------------------------------------------------------------
    def _setup_clock(self, rd: _Rd) -> None:
        g = self.streams.generator(f"readers/clock/{rd.id}")
        rd.clock = ReaderClock.draw(g, self._t_ref, self.params.clock_offset_ms, self.params.clock_drift_ppm)
        rd.phase_us = int(g.integers(0, rd.dwell_us))

    def _slices(self, rd: _Rd, t0: int, t1: int, track: AntennaTrack | None):
        nA = len(rd.ants)
        dw, per = rd.dwell_us, rd.period_us
        grid = max(1, int(self.params.grid_ms * 1e3))
        edges = [np.array([t0, t1], np.int64)]
        edges.append(rd.phase_us + np.arange((t0 - rd.phase_us) // dw, (t1 - rd.phase_us) // dw + 2) * dw)
        edges.append(np.arange(t0 // per, t1 // per + 2) * per)
        if grid < dw:
            edges.append(np.arange(t0 // grid, t1 // grid + 2) * grid)
        edges.append(self.faults.down(rd.id).ravel())
        for a in rd.ants:
            edges.append(self.faults.down(rd.id, a.spec.port).ravel())
            if track is not None:
                rows = track.rows_of(rd.id, a.spec.port)
                edges += [track.t0_us[rows], track.t1_us[rows]]
        e = np.unique(np.clip(np.concatenate(edges).astype(np.int64), t0, t1))
        ss, se = e[:-1], e[1:]
        mid = (ss + se) // 2
        win = (mid - rd.phase_us) // dw
        return ss, se, mid, (win % nA).astype(np.int64), mid // per, win

    def _reader(self, rd: _Rd, t0, t1, tags, full_static, seg_key, track):
        if rd.clock is None:
            self._setup_clock(rd)
        ss, se, mid, ant_of, period, win = self._slices(rd, t0, t1, track)
        alive = ~_inside(self.faults.down(rd.id), mid)
        rng = self.streams.generator(f"reads/{rd.id}/{t0}")
        cols = []
        for a in rd.ants:
            m = alive & (ant_of == a.local) & ~_inside(self.faults.down(rd.id, a.spec.port), mid)
            tr = track.rows_of(rd.id, a.spec.port) if track is not None else np.zeros(0, np.int64)
            moving = len(tr) > 0 or a.spec.kind == "handheld"
            pos = lvl = None
            if moving:
                pos, lvl, m = self._track_at(track, tr, mid, m)
            sl = np.flatnonzero(m)
            if len(sl):
                cols.append(self._antenna(rd, a, sl, ss, se, period, win, tags, full_static & ~moving, seg_key,
                                          pos, lvl, moving, t0, t1, rng))
        return self._finish(rd, cols, rng, tags)

    def _track_at(self, track, tr, mid, m):
        """Per-slice position and level of a carried antenna; slices outside its track rows are dead."""
        pos = np.zeros((len(mid), 2))
        lvl = np.full(len(mid), -1, np.int64)
        ok = np.zeros(len(mid), bool)
        for r in tr:
            inr = (mid >= track.t0_us[r]) & (mid < track.t1_us[r])
            f = (mid[inr] - track.t0_us[r]) / max(1, track.t1_us[r] - track.t0_us[r])
            pos[inr, 0] = track.x0[r] + f * (track.x1[r] - track.x0[r])
            pos[inr, 1] = track.y0[r] + f * (track.y1[r] - track.y0[r])
            lvl[inr] = track.level[r]
            ok |= inr
        return pos, lvl, m & ok

    def _link(self, rd, a, ant_xy, tag_xy, lvl, seg, tags, moving, cells=False):
        """rf.link for pairs on one level each (walls from the floor, metal shielding from containers).

        Pairs that cannot reach p_floor even with the luckiest fading are skipped (p = 0) before the fading draws.
        With `cells`, walls are counted from the centre of the tag's 0.5 m cell (cached per fixed antenna).
        """
        P = self.params.rf
        walls = np.zeros(len(seg), np.int32)
        if cells:
            walls[:] = a.grid.walls(tag_xy)
        else:
            for lv in np.unique(lvl):
                k = lvl == lv
                axy = ant_xy if np.ndim(ant_xy) == 1 else ant_xy[k]
                walls[k] = self.floor.walls_crossed(self.level_ids[lv], axy, tag_xy[k])
        c = tags.container[seg]
        shielded = (self._metal[c] | self._metal[a.storage]) & (c != a.storage)
        dist, off = rf.geometry(a.spec, ant_xy, tag_xy, P)
        p_tag, _ = rf.mean_levels(dist, off, a.spec.gain_dbi, a.spec.beamwidth_deg, rd.power_dbm, walls, shielded, P)
        ok = rf.best_margin_db(p_tag, P) >= rf.min_margin_db(P)
        if P.metal_opaque:
            ok &= ~shielded
        k = np.flatnonzero(ok)
        axy = ant_xy if np.ndim(ant_xy) == 1 else ant_xy[k]
        sk = seg[k]
        lk = rf.link(a.spec, rd.power_dbm, axy, tag_xy[k], tags.epc[sk], walls[k], shielded[k], self.seed,
                     a.key, P, moving_antenna=moving, tag_h=self._tag_h[sk],
                     quality=(self._offset[sk], self._dead[sk]))
        p = np.zeros(len(seg))
        r = np.full(len(seg), -200.0)
        p[k], r[k] = lk.p, lk.rssi_dbm
        return rf.Link(np.zeros(0), r, p)

    def _antenna(self, rd, a, sl, ss, se, period, win, tags, static_ok, seg_key, pos, lvl, moving, t0, t1, rng):
        P = self.params
        s0, s1 = ss[sl], se[sl]
        dur = (s1 - s0).astype(np.float64)
        nsl = len(sl)
        # static tags: one link per position, cached across calls
        st = np.flatnonzero(static_ok & (tags.level == a.level))
        hit, p_s, r_s = a.cache.get(seg_key[st])
        miss = st[~hit]
        if len(miss):
            xy = np.stack([tags.x0[miss], tags.y0[miss]], axis=1)
            lk = self._link(rd, a, a.xy, xy, np.full(len(miss), a.level), miss, tags, False)
            a.cache.put(seg_key[miss], lk.p, lk.rssi_dbm)
            p_s, r_s = p_s.copy(), r_s.copy()
            p_s[~hit], r_s[~hit] = lk.p, lk.rssi_dbm
        keep = p_s > 0
        st, p_s, r_s = st[keep], p_s[keep], r_s[keep]
        # everything else: (slice, segment) pairs
        others = ~static_ok & (tags.t1_us > s0[0]) & (tags.t0_us < s1[-1])
        if not moving:
            others &= tags.level == a.level
        ot = np.flatnonzero(others)
        lo = np.searchsorted(s1, tags.t0_us[ot], side="right")
        hi = np.searchsorted(s0, tags.t1_us[ot], side="left")
        cnt = np.maximum(hi - lo, 0)
        seg = np.repeat(ot, cnt)
        psl = np.repeat(lo, cnt) + np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        pa = np.maximum(s0[psl], tags.t0_us[seg])
        pb = np.minimum(s1[psl], tags.t1_us[seg])
        txy = tags.position(seg, (pa + pb) / 2)
        if moving:
            axy, plv = pos[sl][psl], lvl[sl][psl]
            ok = plv == tags.level[seg]
            seg, psl, pa, pb, txy, axy, plv = seg[ok], psl[ok], pa[ok], pb[ok], txy[ok], axy[ok], plv[ok]
        else:
            axy, plv = a.xy, np.full(len(seg), a.level)
        lk = self._link(rd, a, axy, txy, plv, seg, tags, moving, cells=not moving)
        ok = lk.p > 0
        seg, psl, pa, pb, pp, pr = seg[ok], psl[ok], pa[ok], pb[ok], lk.p[ok], lk.rssi_dbm[ok]
        pf = (pb - pa) / dur[psl]
        # Gen2 per slice: population -> Q -> round time -> rounds; collision odds per tag
        pop = p_s.sum() + np.bincount(psl, pp * pf, minlength=nsl)
        L = np.exp2(gen2.choose_q(pop, P.gen2).astype(np.float64))
        uL, li = np.unique(L, return_inverse=True)
        fac = p_s[None, :] / (1.0 - p_s[None, :] / uL[:, None])  # (nL, Ns)
        lg_s = np.log1p(-p_s[None, :] / uL[:, None]).sum(axis=1)
        pair_fac = pp / (1.0 - pp / L[psl])
        log_none = lg_s[li] + np.bincount(psl, pf * np.log1p(-pp / L[psl]), minlength=nsl)
        e0 = np.exp(log_none)
        success = e0 * (fac.sum(axis=1)[li] + np.bincount(psl, pf * pair_fac, minlength=nsl))
        empty = L * e0
        t_round = gen2.round_time_us(empty, success, np.maximum(L - empty - success, 0.0), None, P.gen2)
        W = dur / t_round * e0
        # static: expected reads per (report period, tag); well-read tags get one Poisson count per period and
        # order-statistic times, rarely read ones one Poisson total per call spread read by read (exact: a Poisson
        # total split by the per-period means is the same process), so cost follows reads, not tags x periods
        per = period[sl]
        up, k_of = np.unique(per, return_inverse=True)
        A = np.zeros((len(up), len(uL)))
        np.add.at(A, (k_of, li), W)
        lam = A.sum(axis=0) @ fac
        strong = np.flatnonzero(lam >= 0.5 * len(up))
        cnt_s = rng.poisson(A @ fac[:, strong])
        kk, ii = np.nonzero(cnt_s)
        n = cnt_s[kk, ii]
        ii = strong[ii]
        cw0 = np.concatenate([[0.0], np.cumsum(W)])
        klo = np.searchsorted(per, up)
        khi = np.searchsorted(per, up, side="right")
        uf, ul = _order_stats(rng, n)
        tf, jf = self._map(uf, kk, klo, khi, cw0, s0, dur)
        tl, _ = self._map(ul, kk, klo, khi, cw0, s0, dur)
        kp = up[kk]
        weak = np.flatnonzero(lam < 0.5 * len(up))
        nw = rng.poisson(lam[weak])
        if nw.any():
            wk = weak[nw > 0]
            ri = np.repeat(wk, nw[nw > 0])
            comp = np.zeros(len(ri), np.int64)
            if len(uL) > 1:
                cw = np.cumsum(A.sum(axis=0)[:, None] * fac[:, ri], axis=0)
                comp = (rng.random(len(ri)) * cw[-1] > cw).sum(axis=0)
            j = np.zeros(len(ri), np.int64)
            for c in range(len(uL)):
                m = comp == c
                cwc = np.cumsum(np.where(li == c, W, 0.0))
                j[m] = np.minimum(np.searchsorted(cwc, rng.random(m.sum()) * cwc[-1], side="right"), nsl - 1)
            tr = s0[j] + (rng.random(len(ri)) * dur[j]).astype(np.int64)
            o = np.lexsort((tr, per[j], ri))
            ri, j, tr = ri[o], j[o], tr[o]
            b = np.flatnonzero(np.r_[True, (ri[1:] != ri[:-1]) | (per[j][1:] != per[j][:-1])])
            ii = np.concatenate([ii, ri[b]])
            n = np.concatenate([n, np.diff(np.r_[b, len(ri)])])
            tf = np.concatenate([tf, tr[b]])
            tl = np.concatenate([tl, np.maximum.reduceat(tr, b)])
            jf = np.concatenate([jf, j[b]])
            kp = np.concatenate([kp, per[j[b]]])
        # a static tag that is steadily powered counts as seen over the whole call (S2/S3 flags persist)
        steady = p_s[ii] >= P.rf.p_powered
        out = [(st[ii], tags.tag[st[ii]], kp, n, tf, tl, r_s[ii], win[sl][jf], np.where(steady, t0, tf),
                np.where(steady, t1, tl))]
        # pairs: counts per (slice, segment), merged per (period, tag)
        cp = rng.poisson(W[psl] * pf * pair_fac)
        nz = cp > 0
        if nz.any():
            seg, psl, pa, pb, pr, cp = seg[nz], psl[nz], pa[nz], pb[nz], pr[nz], cp[nz]
            uf, ul = _order_stats(rng, cp)
            span = (pb - pa).astype(np.float64)
            f_t = pa + (uf * span).astype(np.int64)
            l_t = pa + (ul * span).astype(np.int64)
            g_tag = tags.tag[seg]
            order = np.lexsort((f_t, g_tag, per[psl]))
            seg, psl, pr, cp, f_t, l_t, g_tag = (v[order] for v in (seg, psl, pr, cp, f_t, l_t, g_tag))
            gp = per[psl]
            new = np.ones(len(gp), bool)
            new[1:] = (gp[1:] != gp[:-1]) | (g_tag[1:] != g_tag[:-1])
            b = np.flatnonzero(new)
            n = np.add.reduceat(cp, b)
            rs = np.add.reduceat(pr * cp, b) / n
            l_b = np.maximum.reduceat(l_t, b)
            out.append((seg[b], g_tag[b], gp[b], n, f_t[b], l_b, rs, win[sl][psl[b]], f_t[b], l_b))
        return a, out

    @staticmethod
    def _map(u, kk, klo, khi, cw0, s0, dur):
        """Times for fractions u of the rate-weighted active time of report period kk."""
        lo, hi = klo[kk], khi[kk]
        tau = cw0[lo] + u * (cw0[hi] - cw0[lo])
        j = np.clip(np.searchsorted(cw0, tau, side="right") - 1, lo, hi - 1)
        w = np.maximum(cw0[j + 1] - cw0[j], 1e-300)
        t = s0[j] + np.minimum((tau - cw0[j]) / w, 1.0 - 1e-9) * dur[j]
        return t.astype(np.int64), j

    def _finish(self, rd: _Rd, cols, rng, tags: TagSegments):
        P = self.params
        parts = [(a, o) for a, outs in cols for o in outs if len(o[0])]
        if not parts:
            return None
        port = np.concatenate([np.full(len(o[0]), a.spec.port, np.uint16) for a, o in parts])
        seg, tag, per, n, tf, tl, rs, win, seen0, seen1 = (np.concatenate([o[i] for _, o in parts]) for i in range(10))
        keep, tf, tl, n = apply_session(rd.session, tag, tf, tl, n, rd.state, rng, P.gen2.s1_persistence_s,
                                        P.gen2.s2_reset_s, seen0, seen1)
        seg, per, rs, port = seg[keep], per[keep], rs[keep], port[keep]
        win = (tf - rd.phase_us) // rd.dwell_us if rd.session != "S0" else win[keep]
        rssi = peak_rssi(rs, n, rng.standard_normal(len(n)), P.rf.rssi_noise_db)
        chan = channel_index(self.seed, rd.key, win, P.n_channels)
        dl = (per + 1) * rd.period_us + network_delay_us(self.seed, rd.key, per, P.net_delay_median_ms,
                                                         P.net_delay_sigma)
        return {"ridx": np.full(len(n), self.readers.index(rd), np.int32), "deliver_us": dl,
                "first_us": rd.clock.to_reader(tf), "t_us": rd.clock.to_reader(tl), "antenna": port,
                "epc": tags.epc[seg], "rssi_dbm": rssi, "count": n, "channel": chan}
