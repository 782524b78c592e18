"""Locating: a tag's space and storage unit from cleaned evidence, emitted only on change, with a confidence.

Spaces and storage units are smoothed separately (twin.tracker.smooth): every antenna adds evidence for the space it
stands in (a portal antenna for its own side of the door, so the side read last after a passage tells the direction
of the crossing, and a space that no antenna covers keeps the last portal passage into it), shelf and desk antennas
also for their unit. A unit is reported only while the tag's space is the unit's space. Per-tag state lives in
arrays indexed by tag id; memory grows with tags, never with the stream. Rows come sorted by (tag, time), so the
per-row steps are compiled walks over them (twin.tracker.kernels_locate, kernels_smooth).
"""

from __future__ import annotations

import math

import numpy as np

from .config import TrackerConfig
from .ingest import Batch
from .sitemodel import KIND_CODES, SiteModel
from .beam_passages import beam_rows
from .calib import AntennaCalibration
from .portal import Passages, Walks, badge_destinations, direction, latest_wins
from .kernels_locate import evidence_pass, rows_pass, seal_pass
from .kernels_merge import merge_pass
from .kernels_portal import portal_rows
from .kernels_smooth import space_pass, unit_pass
from .priors import BusinessPriors
from .smooth import BIN_US, RunState

_KIND_NAMES = {v: k for k, v in KIND_CODES.items()}
with np.errstate(over="ignore"):  # a shelf read's received power, linear, by its RSSI (int16 dBm): 10^((rssi+40)/10)
    _POWER_40 = np.power(10.0, (np.arange(-32768, 32768).astype(np.float64) + 40.0) / 10.0)


def _grow(a: np.ndarray, n: int, fill) -> np.ndarray:
    return a if len(a) >= n else np.concatenate([a, np.full(n - len(a), fill, a.dtype)])


def _ffill(vals: np.ndarray, is_set: np.ndarray, group_start: np.ndarray, init: np.ndarray) -> np.ndarray:
    """Last set value at or before each row within its group (rows sorted by group), else the group's init."""
    n = len(vals)
    idx = np.where(is_set, np.arange(n), -1)
    np.maximum.accumulate(idx, out=idx)
    gs = np.maximum.accumulate(np.where(group_start, np.arange(n), 0))
    return np.where(idx >= gs, vals[np.maximum(idx, 0)], init)


class Locator(BusinessPriors):
    def __init__(self, model: SiteModel, cfg: TrackerConfig, ant_period_s: np.ndarray | None = None):
        """ant_period_s: each antenna's report period from site.json (periodic inventories); a unit run may pause
        for `unit_gap_periods` of the slowest unit antenna's period, as absence between inventories is no evidence."""
        self.model, self.cfg = model, cfg
        per = np.zeros(model.n_antennas) if ant_period_s is None else np.asarray(ant_period_s, np.float64)
        unit_ants = model.ant_storage >= 0
        slowest = float(per[unit_ants].max()) if unit_ants.any() else 0.0
        self._unit_gap_us = int(cfg.unit_gap_periods * slowest * BIN_US)
        self._space_gap_us = int(cfg.space_gap_periods * slowest * BIN_US)
        # a space run may pause for `space_gap_periods` of the slowest periodic inside antenna of that space: one
        # inventory a minute is all a room's zone or shelf reader says, and two of them in a row must add up
        inside = (model.ant_kind != KIND_CODES["portal"]) & (model.ant_space >= 0)
        pg = np.zeros(len(model.spaces), np.float64)
        np.maximum.at(pg, model.ant_space[inside], per[inside])
        self._place_gap_us = (cfg.space_gap_periods * pg * BIN_US).astype(np.int64)
        # one read of a periodic inventory stands for a whole report period of presence
        self._inv_factor = np.where(inside & (per > 1.0), cfg.inventory_read_factor, 1.0)
        names = [f"{model.readers[r]}:{p}" for r, p in zip(model.ant_reader.tolist(), model.ant_port.tolist())]
        self.weight = np.array(
            [cfg.antenna_weight.get(nm, cfg.kind_weight.get(_KIND_NAMES[k], 0.5))
             for nm, k in zip(names, model.ant_kind.tolist())], dtype=np.float64)  # fmt: skip
        self.unit_weight = np.array([cfg.unit_weight.get(nm, w) for nm, w in zip(names, self.weight.tolist())])
        self.prior_weight = self.weight.copy()
        self.calib = AntennaCalibration(model, self.weight, cfg.calib_prior_reads) if cfg.calibrate else None
        self.passages = Passages(len(model.doors), cfg.quiet_s, cfg.burst_s)
        self.walks = Walks(cfg.passby_s)
        self.passages.carrier_window_us = int(cfg.holder_window_s * 1e6) if cfg.carrier_seq_weight > 0 else 0
        self.passages.split_us, self.passages.split_dbm = int(cfg.burst_split_s * 1e6), cfg.passage_min_rssi_dbm
        self._beams = None  # the door light barriers (twin.tracker.beams.Beams), set by the core when the site has them
        self._portal = model.ant_kind == KIND_CODES["portal"]
        # per antenna: reads fainter than this are weak (zone antennas only)
        self._weak_dbm = np.where(model.ant_kind == KIND_CODES["zone"], cfg.zone_weak_dbm, -1e9).astype(np.float32)
        self._hops = model.hops()
        # sealed spaces: every door out is watched by a portal, so a tag leaves one only through a passage burst
        self._sealed = np.append(np.array([bool(model.adjacency[i]) and all(
            frozenset((i, v)) in model.portal_pairs for v in model.adjacency[i]) for i in range(len(model.spaces))],
            bool), False)  # index -1 -> no space: not sealed  # fmt: skip
        self._open_us = int(cfg.sealed_open_s * 1e6)
        # each sealed space's doors, -1 padded (only sealed spaces are ever looked up; last row: no space)
        pa_ = np.flatnonzero((model.ant_kind == KIND_CODES["portal"]) & (model.ant_door >= 0))
        by_space: dict[int, set[int]] = {}
        for a in pa_.tolist():
            for sp in (int(model.ant_space[a]), int(model.ant_other[a])):
                if sp >= 0 and self._sealed[sp]:
                    by_space.setdefault(sp, set()).add(int(model.ant_door[a]))
        width = max([len(v) for v in by_space.values()] + [1])
        self._space_doors = np.full((len(model.spaces) + 1, width), -1, np.int64)
        for sp, ds in by_space.items():
            self._space_doors[sp, : len(ds)] = sorted(ds)
        self.last_us = np.zeros(0, np.int64)  # per tag: time of its last read
        self.by_prior = np.zeros(0, bool)  # per tag: its place comes from business events, not from reads
        self.t_change = np.zeros(0, np.int64)  # per tag: time of its last reported change
        self._filed: list[tuple[np.ndarray, ...]] = []  # filing events of tags handled just now (settle_filed)
        self._swept: list[tuple[np.ndarray, ...]] = []  # sweep finds not yet settled (settle_filed)
        self._unit_space = np.append(model.storage_space, -2).astype(np.int32)  # index -1 -> no unit
        self.space_st = RunState.empty()
        self.unit_st = RunState.empty()
        self.lam = np.zeros(0)  # per tag: reads per 1 s cycle while seen
        self.p_cycle = np.zeros(0)  # per tag: share of 1 s cycles with a read while seen (SMURF's p_i)
        self.out_space = np.zeros(0, np.int32)
        self.out_unit = np.zeros(0, np.int32)
        self.prior_unit = np.zeros(0, np.int32)  # per tag: the unit business events say it was filed on
        self.seen = np.zeros(0, bool)  # per tag: some reader has heard it
        self.badge = np.zeros(0, bool)  # per tag: a badge (set by the core from the decoded EPCs)
        self._out: list[tuple[np.ndarray, ...]] = []
        self._thr, self._s_gap, self._u_gap = np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64)
        n_ws = max(int(cfg.window_max_s), 1)
        self._ln = math.log(1.0 / max(cfg.delta, 1e-9))
        self._wmin, self._wmax = cfg.window_min_s, float(n_ws)

    @property
    def beams(self):
        return self._beams

    @beams.setter
    def beams(self, b) -> None:
        self._beams = b
        if b is not None:
            b.shared_us = int(self.cfg.beam_shared_s * 1e6)

    def grow(self, n: int) -> None:
        if n <= len(self.out_space):  # every per-tag array is grown here, together: nothing new
            return
        self.space_st.grow(n)
        self.passages.grow(n)
        self.walks.grow(n)
        self.unit_st.grow(n)
        if self.calib is not None:
            self.calib.grow(n)
        self.p_cycle = _grow(self.p_cycle, n, 0.5)
        self.lam = _grow(self.lam, n, 0.0)
        self.out_space = _grow(self.out_space, n, -1)
        self.out_unit = _grow(self.out_unit, n, -1)
        self.prior_unit = _grow(self.prior_unit, n, -1)
        self.seen = _grow(self.seen, n, False)
        self.last_us = _grow(self.last_us, n, np.iinfo(np.int64).min // 2)
        self.by_prior = _grow(self.by_prior, n, False)
        self.t_change = _grow(self.t_change, n, np.iinfo(np.int64).min // 2)
        self._thr = _grow(self._thr, n, 0.0)  # per tag, written for a batch's tags before its acceptance (tag_params)
        self._s_gap = _grow(self._s_gap, n, 0)
        self._u_gap = _grow(self._u_gap, n, 0)

    def window_us(self) -> np.ndarray:
        """SMURF's per-tag window: ln(1/delta) / p_i cycles, within [window_min_s, window_max_s]."""
        w = np.clip(self._ln / np.maximum(self.p_cycle, 1e-3), self._wmin, self._wmax)
        return (w * BIN_US).astype(np.int64)

    def thresholds(self) -> np.ndarray:
        """Per-tag acceptance threshold: a tag read often must show more evidence before it moves (SMURF's 2-sigma
        spirit: what a cross-read burst can reach grows with the tag's read rate)."""
        return self.cfg.threshold * np.clip(self.lam / self.cfg.reads_per_threshold, 1.0, self.cfg.threshold_max_factor)

    def process(self, b: Batch) -> None:
        m = self.model
        if len(b.tag) == 0:
            return
        # rows come sorted by (tag, time): each tag's last row is its latest read; rows that can place a tag
        tag, t, ant, cnt, rssi, space, pm = rows_pass(b.tag, b.t_us, b.ant, b.count, b.rssi, b.late, m.ant_space,
                                                      self._portal, self.seen, self.last_us)  # fmt: skip
        if self.calib is not None:  # learn cross-read rates from this batch, then weigh it with them
            self.calib.observe(tag, ant, cnt, space)
            self.weight = self.calib.weights()
        # a room's zone antenna hearing a tag faintly mostly hears a neighbour's
        ev = evidence_pass(ant, cnt, rssi, self.weight, self._inv_factor, self._weak_dbm, self.cfg.zone_weak_factor,
                           self.cfg.zone_weak_factor < 1.0)  # fmt: skip
        strong = np.zeros(len(tag), bool)
        shifted = False
        if pm.any():
            has_b = len(self.badge) >= len(self.out_space)  # the core has told which tags are badges
            idx, p_tag, p_t, p_door, p_side, p_rssi, p_cnt, p_badge = portal_rows(
                pm, tag, t, ant, rssi, cnt, m.ant_door, m.ant_space, m.ant_other, self.badge, has_b)  # fmt: skip
            young, peak, start, loud = self.passages.young(p_tag, p_t, p_door, p_side, p_rssi, detail=True,
                                                           count=p_cnt, badge=p_badge if has_b else None)  # fmt: skip
            seq = self.passages.seq  # each row's antenna sequence so far in its burst (side 2 after side 1: > 0)
            carrier = self.passages.carrier  # ... and its carrier badge's (twin.tracker.carrier), NaN: none
            young &= loud >= self.cfg.passage_min_rssi_dbm  # carried through: both antennas hear it up close
            b_to = follow = None
            if self.beams is not None:  # the door's light barriers: a crossing's direction, or a walk past
                pa_ = ant[idx]
                young, b_to = beam_rows(self.beams, young, p_t - start <= self.passages.burst_us, p_tag, p_door,
                                        start, p_t, m.ant_space[pa_], m.ant_other[pa_], p_rssi,
                                        self.space_st.accepted[p_tag], int(self.cfg.beam_pre_s * 1e6),
                                        self.cfg.passage_min_rssi_dbm, self.cfg.beam_one_side,
                                        self.passages.quiet_us_row, int(self.cfg.beam_one_side_quiet_s * 1e6),
                                        self.passages.last, self.walks.passby_us, self.passages.sides,
                                        self.cfg.beam_follow_badge, p_badge if has_b else None,
                                        self.cfg.beam_batch_place,
                                        self.passages.beam_to if self.cfg.sealed_beam_close else None,
                                        int(self.cfg.beam_post_s * 1e6), self.cfg.beam_follow_seen,
                                        self.cfg.beam_one_side_unheard_n, self.cfg.beam_follow_post,
                                        int(self.cfg.beam_alone_s * 1e6), self.cfg.beam_alone_dbm,
                                        self.cfg.beam_alone_post)  # fmt: skip
                if self.beams.shift.any():  # decided by a crossing just after the read: stamped after the crossing
                    t0, t = t, t.copy()
                    t[idx[self.beams.shift]] += int(self.cfg.beam_post_s * 1e6)
                    shifted = True
                if self.cfg.beam_both_own_seq:  # crossings both ways: the tag's own sequence, not a carrier's
                    carrier = np.where(self.beams.both, np.nan, carrier)
                b_to, follow = b_to[young], self.beams.follow[young]
            rows = idx[young]
            a = ant[rows]
            rt = tag[rows]
            # one destination per burst: the side away from where the tag was (path consistency), else the RSSI peak
            here0 = self.space_st.accepted[rt]
            dest, by_path = self._directions(rt, t[rows], m.ant_door[a], start[young], m.ant_space[a],
                                             m.ant_other[a], here0, peak[young], seq[young], carrier[young],
                                             b_to, follow)  # fmt: skip
            keep = dest >= 0
            if shifted and not keep.all():  # a row left undecided is a plain read again, at its own time
                t[rows[~keep]] = t0[rows[~keep]]
            rows, a, rt, by_path, dest = rows[keep], a[keep], rt[keep], by_path[keep], dest[keep]
            # every fresh row of a decided burst is evidence for its destination, whichever antenna heard it: the
            # new space is taken as the burst goes by, not after the smoothing window
            space = space.copy()
            space[rows] = dest
            # a fresh passage counts only for a tag placed near the door (a missed door on the way is forgiven)
            # ... where "placed" is the side an earlier passage of this batch took it to, else its accepted place
            gs = np.ones(len(rows), bool)
            gs[1:] = rt[1:] != rt[:-1]
            prev_dest = np.full(len(rows), -1, np.int32)
            prev_dest[1:] = dest[:-1]
            here = _ffill(prev_dest, ~gs, gs, self.space_st.accepted[rt])
            origin = np.where(dest == m.ant_space[a], m.ant_other[a], m.ant_space[a])
            near = by_path | ((here >= 0) & (self._hops[here, origin] <= self.cfg.passage_hops))
            rows = rows[near]
            gain = np.clip(np.power(10.0, (rssi[rows].astype(np.float64) + 60.0) / 20.0), 0.5, 2.0)
            thr = self.cfg.threshold * np.clip(self.lam[tag[rows]] / self.cfg.reads_per_threshold, 1.0,
                                               self.cfg.threshold_max_factor)  # thresholds(), of these rows' tags
            trust = np.minimum(self.weight[a[near]] / np.maximum(self.prior_weight[a[near]], 1e-9), 1.0)
            ev[pm] *= self.cfg.portal_read_factor  # outside a passage a portal read says little ...
            ev[rows] = np.maximum(ev[rows], self.cfg.passage_weight * gain * thr * cnt[rows] * (trust if self.cfg.passage_trust else 1.0))
            if self.cfg.passage_latest_wins:  # a burst judged again row by row: its latest judgement wins its cycle
                ev[rows] = latest_wins(tag[rows], ev[rows])
            strong[rows] = True
        if shifted:  # rows stay in (tag, time) order
            o = np.lexsort((t, tag))
            tag, t, ant, cnt, rssi = tag[o], t[o], ant[o], cnt[o], rssi[o]
            space, ev, strong, pm = space[o], ev[o], strong[o], pm[o]
        # sealed spaces (every door portal-watched) are left and entered only through a passage: a placed tag's
        # evidence for another place counts `sealed_factor` of itself unless a burst at a door of the space it is in
        # (and of the one the evidence names, when its place came from reads) began within `sealed_open_s` before
        if self.cfg.sealed_factor < 1.0:
            close = self.cfg.sealed_beam_close and self.beams is not None
            ev = seal_pass(tag, t, space, ev, strong, self.space_st.accepted, self._sealed, self.by_prior,
                           self._space_doors, self.passages.start, self.passages.sides, self._open_us,
                           self.cfg.sealed_both_sides, self.cfg.sealed_factor, self.cfg.sealed_batch_place,
                           self.beams.door_spaces if close else None,
                           self.passages.beam_to if close else None, self.cfg.sealed_beam_factor)  # fmt: skip
        # spaces: cycles, read rates (a passage burst is no steady read rate), the batch's thresholds and windows (a
        # tag not placed yet may wait for the next periodic inventory; a placed one keeps its adaptive window), runs
        cf, ss, us = self.cfg, self.space_st, self.unit_st
        s_tag, s_t, s_pl, s_conf = space_pass(
            tag, t, space, ev, strong, pm, ss.accepted, ss.cand, ss.cand_ev, ss.cand_t, ss.cand_n, self.p_cycle,
            self.lam, self._ln, self._wmin, self._wmax, BIN_US, cf.threshold, cf.reads_per_threshold,
            cf.threshold_max_factor, self._space_gap_us, self._unit_gap_us, self._thr, self._s_gap, self._u_gap,
            self._place_gap_us, cf.min_cycles)  # fmt: skip
        self.by_prior[s_tag] = False
        # units: only those in the space the tag is in now count (a shelf antenna also hears the room next door); the
        # antenna heard loudest wins a cycle (received power, linear), as shelf antennas overlap; each won cycle is a
        # step (a tag with no unit nor home yet: its first unit; a unit other than the tag's home: slower)
        pre_unit = us.accepted.copy()
        u_tag, u_t, u_pl, u_conf = unit_pass(
            tag, t, ant, cnt, rssi, m.ant_storage, self._unit_space, ss.accepted, self.unit_weight, _POWER_40,
            us.accepted, us.cand, us.cand_ev, us.cand_t, us.cand_n, self.prior_unit, cf.storage_step,
            cf.storage_first_step, cf.storage_rival_step, cf.storage_threshold, self._u_gap, BIN_US)  # fmt: skip
        if len(s_tag) + len(u_tag):
            self._merge(s_tag, s_t, s_pl, s_conf, u_tag, u_t, u_pl, u_conf, pre_unit)

    def _directions(self, tag, t_us, door, start, own, beyond, here, peak, seq=None, carrier=None,
                    beam=None, follow=None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """Destinations of passage bursts: badges first (their walks), then the rest, which may borrow the
        destination of a badge crossing the same door in the same burst (holder inference); beam: per row, the
        door's light-barrier crossing (twin.tracker.beam_passages.beam_rows), None without; follow: rows that count only
        when such a badge went where the crossing did (twin.tracker.beam_passages.beam_rows)."""
        hops, mh = self._hops, self.cfg.passage_hops
        bw = self.cfg.beam_weight_s
        isb = self.badge[tag] if self.cfg.badge_direction and len(self.badge) >= len(self.out_space) else None
        if follow is not None and follow.any() and (isb is None or not isb.any()):  # no badge to follow
            dest = np.full(len(tag), -1, np.int32)
            by_path = np.zeros(len(tag), bool)
            k = np.flatnonzero(~follow)
            dest[k], by_path[k] = self._directions(tag[k], t_us[k], door[k], start[k], own[k], beyond[k], here[k],
                                                   peak[k], None if seq is None else seq[k],
                                                   None if carrier is None else carrier[k],
                                                   None if beam is None else beam[k])  # fmt: skip
            return dest, by_path
        if isb is None or not isb.any():
            return direction(tag, t_us, door, start, own, beyond, here, peak, self.walks, hops, mh, seq=seq,
                             carrier=carrier, carrier_w=self.cfg.carrier_seq_weight, beam=beam, beam_w=bw)
        dest = np.full(len(tag), -1, np.int32)
        by_path = np.zeros(len(tag), bool)
        b = np.flatnonzero(isb)
        sq = seq if seq is not None else np.full(len(tag), np.nan)
        d_b, p_b = direction(tag[b], t_us[b], door[b], start[b], own[b], beyond[b], here[b], peak[b], self.walks,
                             hops, mh, seq=sq[b], beam=None if beam is None else beam[b], beam_w=bw)  # fmt: skip
        dest[b], by_path[b] = d_b, p_b
        r = np.flatnonzero(~isb)
        if len(r):
            bd = badge_destinations(door[r], start[r], door[b], start[b], np.where(p_b, d_b, -1),
                                    int(self.cfg.holder_window_s * 1e6))  # fmt: skip
            if follow is not None and follow[r].any():
                fw = follow[r]
                if self.cfg.beam_follow_time:  # ... or a badge's passage row at the door close in time
                    bt = badge_destinations(door[r], t_us[r], door[b], t_us[b], np.where(p_b, d_b, -1),
                                            int(self.cfg.holder_window_s * 1e6))  # fmt: skip
                    bd = np.where(fw & (bd < 0), bt, bd)
                ok = ~fw | ((bd >= 0) & (bd != here[r]))  # ... followed only into a space the tag was not in
                if not ok.all():
                    r, bd, fw = r[ok], bd[ok], fw[ok]
                    if not len(r):
                        return dest, by_path
            d_r, p_r = direction(tag[r], t_us[r], door[r], start[r], own[r], beyond[r], here[r], peak[r],
                                 self.walks, hops, mh, bd, prefer_badge=self.cfg.badge_first, seq=sq[r],
                                 carrier=None if carrier is None else carrier[r],
                                 carrier_w=self.cfg.carrier_seq_weight, beam=None if beam is None else beam[r],
                                 beam_w=bw)  # fmt: skip
            if follow is not None:
                d_r = np.where(follow[r] & (d_r != bd), -1, d_r)
            dest[r], by_path[r] = d_r, p_r | (bd >= 0)
        return dest, by_path

    def _merge(self, s_tag, s_t, s_pl, s_conf, u_tag, u_t, u_pl, u_conf, pre_unit) -> None:
        """Space and unit changes in time order per tag -> rows where the reported (space, unit) changes."""
        tag = np.concatenate([s_tag, u_tag])
        t = np.concatenate([s_t, u_t])
        kind = np.concatenate([np.zeros(len(s_tag), np.int8), np.ones(len(u_tag), np.int8)])
        val = np.concatenate([s_pl, u_pl]).astype(np.int32)
        conf = np.concatenate([s_conf, u_conf])
        o = np.lexsort((kind, t, tag))
        tag, t, kind, val, conf = tag[o], t[o], kind[o], val[o], conf[o]
        sp, un, ch = merge_pass(tag, t, kind, val, self.out_space, self.out_unit, pre_unit, self.prior_unit,
                                self._unit_space, self.cfg.home_first, self.t_change)  # fmt: skip
        if ch.any():
            self._out.append((t[ch], tag[ch], sp[ch], un[ch], conf[ch]))

    def take(self) -> tuple[np.ndarray, ...]:
        """(t_us, tag, space, unit, confidence, holder) of the changes since the last call, in time order."""
        if not self._out:
            z = np.zeros(0, np.int64)
            return z, z.astype(np.int32), z.astype(np.int32), z.astype(np.int32), z.astype(np.float32), []
        cols = [np.concatenate(c) for c in zip(*self._out)]
        self._out = []
        o = np.argsort(cols[0], kind="stable")
        t, tag, sp, un, conf = (c[o] for c in cols)
        return t, tag, sp, un, conf, [""] * len(t)
