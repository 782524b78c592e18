"""The read engine: turns tag positions over an interval into LLRP-shaped tag reports, vectorised with numpy.

All antennas of all readers are handled at once as flat arrays of (antenna, tag) pairs, each through the screens of
`links`. Resting tags' pairs (per-round probability and mean RSSI) come from a cache keyed by the resting place
(`staticpairs`, `linkcache.PairCache`); moving tags and carried antennas are sampled on a fixed time grid (`moving`).
An antenna is alive as its reader's start trigger says (`triggers`: continuous; one antenna cycle per period; while a
door sensor fires). Per alive report window of an antenna (`timegrid.windows`) the Gen2 population in its field sets
Q, the round time and each tag's collision-limited read rate; the expected S0 reads per (antenna, tag, window) then
become counts directly: Poisson in S0, renewal/arming caps in S1/S2/S3 (`sessions`, compiled in `sessionkernels`),
first/last seen from order statistics, peak RSSI from one draw (`reports`). One row per (antenna, tag, report period)
with TagSeenCount >= 1, as an LLRP reader aggregates its TagReportData. Output times are the reader's clock;
`generate_with_delivery` also says when each report reaches the core (end of its report period, or of a periodic
reader's cycle, + network delay).

Cost follows pairs x report periods, never reads; a chunk in which nothing moves is a gather from the cache and a
few array operations per window. Pairs below `RFParams.p_floor` after the fading draw are out of field and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.building.model import Floor
from twin.readers import airtime, gen2, links, rf, triggers
from twin.readers.faults import Faults
from twin.readers.linkcache import LinkGrid, PairCache, PointWalls, forward_fading_db
from twin.readers.moving import moving_pieces
from twin.readers.placement import Placement
from twin.readers.reports import ReaderClock, report_rows
from twin.readers.segments import AntennaTrack, TagSegments
from twin.readers.staticpairs import static_pairs
from twin.readers.streamseed import Spawner
from twin.readers import reportpass, sessionfuse, sessionpass
from twin.readers.sessions import SessionState, s0_reads
from twin.readers.timegrid import lexsort_ints, subtract, windows
from twin.records import READ_DTYPE
from twin.rng import Streams

TAG_BITS = 44  # session keys: reader << TAG_BITS | tag (tag ids below 2^44)
_NO_IV = np.zeros((0, 2), np.int64)  # no alive interval (shared, never written)
_NO_ROWS = np.zeros(0, np.int64)


@dataclass(frozen=True)
class EngineParams:
    rf: rf.RFParams = field(default_factory=rf.RFParams)
    gen2: gen2.Gen2Params = field(default_factory=gen2.Gen2Params)
    clock_offset_ms: float = 50.0  # assumption: NTP-disciplined reader clocks within +-50 ms
    clock_drift_ppm: float = 20.0  # assumption: reader crystal +-20 ppm
    clock_sync_s: float = 1024.0  # assumption: NTP steps the clock back at its longest default poll (2^10 s)
    net_delay_median_ms: float = 3.0  # assumption: LAN + reader buffering
    net_delay_sigma: float = 0.5  # assumption: lognormal shape of that delay
    grid_ms: float = 500.0  # assumption: moving tags and carried antennas sampled at midpoints of a 0.5 s grid (~one 0.5 m fading cell at walking speed)
    n_channels: int = 16  # assumption: China 920.625-924.375 MHz, 250 kHz steps
    gpi_radius_m: float = 1.5  # assumption: a door's motion sensor / light barrier sees people within 1.5 m of it
    gpi_hold_ms: float = 2000.0  # assumption: ROSpecStopTrigger duration after the person left the sensor's view


@dataclass
class _Rd:
    id: str
    session: str
    dwell_us: int
    period_us: int
    trigger: str = "continuous"
    clock: ReaderClock | None = None
    phase_us: int = 0


class ReaderEngine:
    """Virtual readers of one placement on one floor. Stateful only in session flags and link caches."""

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
        ants, cols = [], []
        for ri, rid in enumerate(sorted(placement.readers)):
            r = placement.readers[rid]
            trig = getattr(r, "trigger", "continuous")
            self.readers.append(_Rd(rid, r.session, max(1, int(r.dwell_ms * 1e3)),
                                    max(1, int(r.report_period_ms * 1e3)), trig))
            for rank, a in enumerate(r.antennas):
                ants.append(a)
                cols.append((ri, a.port, lv.get(a.level, -1), st.get(a.storage, -1) if a.storage else -1,
                             a.kind == "handheld" or r.kind == "handheld",
                             1.0 if trig == "periodic" else 1.0 / len(r.antennas), r.power_of(a), rank))
        c = list(zip(*cols)) if cols else [[]] * 8
        self.ant = ants
        self.a_reader = np.array(c[0], np.int64)
        self.a_port = np.array(c[1], np.uint16)
        self.a_level = np.array(c[2], np.int64)
        self.a_storage = np.array(c[3], np.int64)
        self.a_carried = np.array(c[4], bool)
        self.a_duty = np.array(c[5], float)
        self.a_xy = np.array([a.position for a in ants], float).reshape(-1, 2)
        self.A = rf.AntennaArrays.of(ants, list(c[6]))
        self._iso = np.array([a.isolation_db for a in ants], float)  # bay isolation (Antenna.isolation_db)
        P = self.params.rf
        self.a_range = np.array([rf.max_range_m(a.gain_dbi, pw, P) for a, pw in zip(ants, c[6])])
        self.r_code = np.array([0 if r.session == "S0" else 1 if r.session == "S1" else 2 for r in self.readers])
        self.r_key = np.array([rf.stable_key(r.id) for r in self.readers], np.uint64)
        self.r_period = np.array([r.period_us for r in self.readers], np.int64)
        self.r_dwell = np.array([r.dwell_us for r in self.readers], np.int64)
        self.a_period = self.r_period[self.a_reader] if len(ants) else np.zeros(0, np.int64)
        self.a_rank = np.array(c[7], np.int64)
        self.r_trig = np.array([triggers.CODES[r.trigger] for r in self.readers], np.int64)
        self.r_run = self.r_dwell * np.bincount(self.a_reader, minlength=len(self.readers))  # one antenna cycle
        self.a_off = np.zeros(len(ants), np.int64)
        self.a_len = self.a_period.copy()
        gpi = np.flatnonzero(self.r_trig == 2)
        self._gpi = gpi
        self._gpi_xy = np.array([self.a_xy[self.a_reader == r].mean(axis=0) for r in gpi]).reshape(-1, 2)
        self._gpi_level = np.array([self.a_level[self.a_reader == r][0] for r in gpi], np.int64)
        self._gpi_carry = np.zeros(len(gpi), np.int64)
        self._gpi_ants = [np.flatnonzero(self.a_reader == r).tolist() for r in gpi]  # each GPI reader's antennas
        self._gpi_idle = dict.fromkeys([i for a in self._gpi_ants for i in a], _NO_IV)
        self._carried = np.flatnonzero(self.a_carried).tolist()
        self.fixed = np.flatnonzero(~self.a_carried & (self.a_level >= 0))
        self._down = {}
        for i, a in enumerate(ants):
            iv = [x for x in (self.faults.down(a.reader), self.faults.down(a.reader, a.port)) if len(x)]
            if iv:
                self._down[i] = np.concatenate(iv).astype(np.int64)
        self.walls = LinkGrid(floor, self.level_ids, self.a_level, self.a_xy, P.shadow_cell_m, self.A, P)
        self._filled: dict[int, tuple] = {}  # per level: (cell, antenna) pairs and cells `moving._prefill` looked at
        self.pairs = PairCache()
        self._key_memo: tuple | None = None
        self._win_memo: dict = {}
        self._point_walls = PointWalls(floor, self.a_xy)
        self.state = SessionState()
        self._aggs = airtime.StaticAggs()
        self._spawner: Spawner | None = None
        self.plain = False  # True: the plain steps each compiled pass replaced (reference implementations)

    # -- public ----------------------------------------------------------------------------------------------------
    def generate(self, t0_us: int, t1_us: int, tags: TagSegments,
                 antennas_override: AntennaTrack | None = None) -> np.ndarray:
        """READ_DTYPE rows of every reader for [t0_us, t1_us), sorted by delivery time."""
        return self.generate_with_delivery(t0_us, t1_us, tags, antennas_override)[0]

    def generate_with_delivery(self, t0_us: int, t1_us: int, tags: TagSegments,
                               antennas_override: AntennaTrack | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows and, aligned, the true time (us) each row's report batch reaches the core."""
        t0, t1 = int(t0_us), int(t1_us)
        if self._t_ref is None:
            self._t_ref = t0
        if self.readers and self.readers[0].clock is None:
            n_ant = np.bincount(self.a_reader, minlength=len(self.readers)).tolist()  # antennas per reader
            for ri, rd in enumerate(self.readers):
                g = self._generator(f"readers/clock/{rd.id}")
                rd.clock = ReaderClock.draw(g, self._t_ref, self.params.clock_offset_ms, self.params.clock_drift_ppm,
                                            self.params.clock_sync_s)
                rd.phase_us = int(g.integers(0, rd.dwell_us))
                if rd.trigger == "periodic":  # the cycle starts at a reader's own phase within the period
                    rd.phase_us = int(g.integers(0, max(1, rd.period_us - rd.dwell_us * n_ant[ri]) + 1))
            ph = np.array([rd.phase_us for rd in self.readers], np.int64)
            self.r_phase = ph
            self.a_off, self.a_len = triggers.slot_offsets(self.a_reader, self.a_rank, self.r_dwell, self.r_period, ph,
                                                           self.r_trig[self.a_reader] == 1)
        empty = np.zeros(0, READ_DTYPE), np.zeros(0, np.int64)
        if not len(self.ant) or not len(tags):
            return empty
        rng = self._generator(f"reads/{t0}")
        track = self._track_rows(antennas_override)
        live = (tags.t1_us > t0) & (tags.t0_us < t1) & (tags.level >= 0)
        wa, ws, we, wk = windows(t0, t1, self.a_period, self._special(t0, t1, track, tags, live), self.a_off,
                                 self.a_len, self._win_memo, self.plain)
        whole, part = static_pairs(self, t0, t1, tags, live, wa, ws, we)
        mov = moving_pieces(self, t0, t1, tags, live, track, wa, ws, we)
        w, seg, p, r, s0, s1, steady = (np.concatenate([part[i], mov[i]]) for i in range(7))
        L, qi, rate = self._gen2(w, p, s0, s1, wa, ws, we, whole)
        lam = p / (1.0 - p / L[w]) * rate[w] * (s1 - s0)
        ex = [self._exposures(w, seg, lam, r, s0, s1, steady, tags)]
        ex += airtime.whole_static(self, whole, wa, ws, we, L, qi, rate, rng)
        ex = tuple(np.concatenate([e[i] for e in ex]) for i in range(8)) + (tags.tag,)
        rows = self._sessions(ex, wa, wk, rng)
        if rows is None:
            return empty
        return (report_rows if self.plain else reportpass.report_rows_fused)(self, rows, tags, rng)

    def _generator(self, name: str) -> np.random.Generator:
        """`self.streams.generator(name)`: the same numbers, from a kept bit generator reseeded in place
        (`streamseed.Spawner`, ~5x cheaper); the previous one returned is then spent."""
        if self.plain:
            return self.streams.generator(name)
        if self._spawner is None:
            self._spawner = Spawner(self.streams)
        return self._spawner.generator(name)

    def outages(self) -> list[dict]:
        """Ground truth of reader and antenna outages."""
        return self.faults.truth_rows()

    # -- windows ---------------------------------------------------------------------------------------------------
    def _track_rows(self, track: AntennaTrack | None) -> dict[int, np.ndarray]:
        self._track = track
        if track is None:  # no one carries an antenna in this chunk
            return dict.fromkeys(self._carried, _NO_ROWS)
        return {i: track.rows_of(self.ant[i].reader, self.ant[i].port) for i in self._carried}

    def _special(self, t0, t1, track_rows, tags, live) -> dict[int, np.ndarray]:
        """Alive intervals of antennas not simply alive over the whole chunk (carried, GPI-triggered, or with a
        fault in it)."""
        out = {}
        if len(self._gpi):
            P = self.params
            mv = np.flatnonzero(live & ~tags.is_static)
            if not self.plain and not len(mv) and not (self._gpi_carry > t0).any():
                out.update(self._gpi_idle)  # no one near a door and no trigger running on: every portal idle
            else:
                trig, self._gpi_carry = triggers.gpi_intervals(t0, t1, self._gpi_xy, self._gpi_level,
                                                               P.gpi_radius_m, int(P.gpi_hold_ms * 1e3),
                                                               self._gpi_carry, tags, live, self.plain, mv)
                for j, ants in enumerate(self._gpi_ants):
                    iv = trig.get(j, _NO_IV)
                    for i in ants:
                        out[i] = iv
        for i, rows in track_rows.items():
            if not len(rows) and not self.plain:
                out[i] = _NO_IV
                continue
            tr = self._track
            iv = np.zeros((0, 2), np.int64) if not len(rows) else np.column_stack(
                [np.maximum(tr.t0_us[rows], t0), np.minimum(tr.t1_us[rows], t1)])
            iv = iv[iv[:, 1] > iv[:, 0]]
            iv = iv[np.argsort(iv[:, 0], kind="stable")]
            merged = []
            for lo, hi in iv:
                if merged and lo <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], hi)
                else:
                    merged.append([lo, hi])
            out[i] = np.array(merged, np.int64).reshape(-1, 2)
        for i, down in self._down.items():
            if np.any((down[:, 0] < t1) & (down[:, 1] > t0)):
                base = out.get(i, np.array([[t0, t1]], np.int64))
                out[i] = subtract(base, down)
        return out

    # -- pairs -----------------------------------------------------------------------------------------------------
    def _links(self, ai, seg, axy, txy, walls, tags, moving, levels=None, mask=None, screened=None):
        """`links.links` (the screens, then the exact link of what passes)."""
        return links.links(self, ai, seg, axy, txy, walls, tags, moving, levels, mask, screened)

    def _forward_fading_db(self, ai: np.ndarray, txy: np.ndarray, tag_h: np.ndarray) -> np.ndarray:
        return forward_fading_db(self.seed, self.A.key[ai], txy, tag_h, self.params.rf)

    def _walls_by_antenna(self, level: str, ai: np.ndarray, txy: np.ndarray) -> np.ndarray:
        """`Floor.walls_crossed` from fixed antennas ai to points txy (`linkcache.PointWalls`)."""
        return self._point_walls.walls(level, ai, txy)

    def _gen2(self, w, p, s0, s1, wa, ws, we, whole):
        """Per window: (L, Q index, rate factor) of `airtime.window_rates`."""
        return airtime.window_rates(self, w, p, s0, s1, wa, ws, we, whole)

    def _exposures(self, w, seg, lam, r, s0, s1, steady, tags):
        """Merge pieces (part-chunk resting tags, grid slots of moving ones) into one exposure per (window, tag)
        (`sessionfuse.merge_pieces`; `_exposures_py` when self.plain)."""
        if not self.plain and len(w):
            i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
            f8 = lambda a: np.ascontiguousarray(a, np.float64)  # noqa: E731
            ok, *ex = sessionfuse.merge_pieces(i8(w), i8(seg), i8(tags.tag), f8(lam), f8(r), i8(s0), i8(s1),
                                               np.ascontiguousarray(steady, np.bool_))
            if ok:
                return (*ex, np.zeros(len(ex[0]), bool))
        return self._exposures_py(w, seg, lam, r, s0, s1, steady, tags)

    def _exposures_py(self, w, seg, lam, r, s0, s1, steady, tags):
        """The plain steps of `_exposures`."""
        tag = tags.tag[seg]
        o = lexsort_ints((s0, tag, w))
        if not len(o):
            z = np.zeros(0, np.int64)
            return z, z, np.zeros(0), np.zeros(0), z, z, np.zeros(0, bool), np.zeros(0, bool)
        b = np.flatnonzero(np.r_[True, (w[o][1:] != w[o][:-1]) | (tag[o][1:] != tag[o][:-1])])
        ls = np.add.reduceat(lam[o], b)
        rs = np.add.reduceat(r[o] * (lam[o] + 1e-12), b) / np.add.reduceat(lam[o] + 1e-12, b)
        st = np.minimum.reduceat(steady[o].astype(np.int8), b).astype(bool)
        keep = ls > 0
        return (w[o][b][keep], seg[o][b][keep], ls[keep], rs[keep], np.minimum.reduceat(s0[o], b)[keep],
                np.maximum.reduceat(s1[o], b)[keep], st[keep], np.zeros(int(keep.sum()), bool))

    def _sessions(self, ex, wa, wk, rng):
        """Rows (antenna, segment, period, reads, first, last, mean RSSI) after each reader's session rules
        (`sessionfuse.sessions_fused`; `_sessions_py` when self.plain)."""
        if self.plain:
            return self._sessions_py(ex, wa, wk, rng)
        return sessionfuse.sessions_fused(self, ex, wa, wk, rng)

    def _sessions_py(self, ex, wa, wk, rng):
        """The plain steps of `_sessions`."""
        w, seg, lam, r, s0, s1, steady, given, tag = ex
        tag = tag[seg]
        if not len(w):
            return None
        ant = wa[w]
        rdr = self.a_reader[ant]
        code = self.r_code[rdr]
        out = []
        z = code == 0
        if z.any():
            i = np.flatnonzero(z & ~given)
            k, n, f, l_ = s0_reads(rng, lam[i], s0[i], s1[i])
            out.append((i[k], n, f, l_))
            i = np.flatnonzero(z & given)
            out.append((i, lam[i].astype(np.int64), s0[i], s1[i] - 1))
        i = np.flatnonzero(~z)
        if len(i):  # flagged sessions (S1/S2/S3): `sessionpass` (`session_rows_py` when self.plain)
            step = sessionpass.session_rows_py if self.plain else sessionpass.session_rows
            out.append(step(self, i, lam, s0, s1, steady, given, ant, wk[w], tag, rdr, code, rng))
        i, n, f, l_ = (np.concatenate([x[j] for x in out]) for j in range(4))
        if not len(i):
            return None
        return ant[i], seg[i], wk[w[i]], n, f, l_, r[i]
