"""The oracle core: filters the read stream with the twin's true link model over the site graph.

It knows what a real core may not — every tag's hidden chip quality and shadowing draw, the true per-round read
probabilities of every antenna at every candidate place (`oracle_model.StationModel`), when each antenna really
inventoried — and runs a per-tag Bayesian filter over candidate places (`oracle_filter`): emissions of each antenna's
reads and silences as the engine makes them (Poisson for S0/S1, once per inventory for periodic S2/S3) given the
tag's true expected reads at each candidate, transitions only along the site graph (stay, re-place within a
space, move to an adjacent space; doors watched by portals are rarely crossed unseen; a tag on a storage unit moves
rarely, one elsewhere in the building -- carried -- readily; off-site places are reached by road only). It emits the MAP space (and
storage unit within it) with its posterior when the place changes. Its figures bound what a locator can reach on the
same stream, so a real core's are read as a share of them.

Config: {"world": World} or {"scenario": Scenario} (floor, placement and rf seed rebuilt as the world builds them), or
{"floor": Floor, "placement": Placement, "rf_seed": int, "engine": ReaderEngine}; optional "step_s", "fine_step_s",
"support", "extra", "p_move", "p_adjacent", "portal_factor", "generic_prior", "rest_factor", "carry_factor" (move
rates on a unit / elsewhere in the building beside p_move and p_adjacent), "offsite_stages" (stage -> off-site
space, default the tracker's), "portal_cross", "comotion" (bool: carried dossiers follow badges). The read model
follows the engine's start triggers (`oracle_triggers`): give it the engine (a World's is taken) and, per chunk,
`observe(t0_us, t1_us, segments)` so it knows when the GPI portals ran; `run_with_cores` does both. Business events
set filing and off-site priors (`oracle_events`, with the tracker's `OffsitePrior` for stages that send volumes away).
Joint evidence a real core may use too: a tag two antennas of a door's portal heard is filtered on the 1 s grid with
both spaces of the door as candidates, and in each such step portal_cross of its belief on either side crosses the
door (`oracle_filter.passing`, `portal_steps`); a dossier crossing with a
badge follows the badge's estimate (`oracle_comotion`). The door light barriers are sensed too ("beams", default
on): GPIEvent rows handed to `reader_events` are paired into directed crossings as the tracker pairs them, and in
a passing step most of the belief on a crossing's origin side goes to its destination, none back; a walk past under
working beams crosses nothing (`oracle_beams`). A tag a crossing sent across is held in the region it entered (the
spaces joined without a working light barrier) until the portal hears it at a crossing out of it; a carried tag is
put down on its space's units within seconds; a checked-out dossier in an outside space is driven to the place its
checkout names (`oracle_hold`; config "holds", default on).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..errors import InputError, Problem
from ..records import ESTIMATES_SCHEMA, READ_DTYPE
from .naive import _Interner
from .oracle_beams import OracleBeams
from .oracle_comotion import CoMotion
from .oracle_events import apply_events, due_ops, road_trips, unread_prior
from .oracle_filter import run_filter
from .oracle_hold import Holds
from .oracle_model import StationModel
from .oracle_triggers import TriggerModel
from .protocol import CoreOutput, empty_alerts, empty_estimates

STEP_S = 10.0  # filter step (assumption: a cost cut; room readers inventory once a minute, desks every 20 s, portals
#               report every second while triggered, so a 10 s step keeps portal passes apart at walking pace)
POP_SLACK = 0.25  # relative change of an antenna's field population that updates its rates (assumption: cost cut;
#                   the rate moves little until the Q-algorithm changes the frame size)
RATES_EVERY_US = 300_000_000  # the population in each field is re-estimated every 5 simulated minutes (assumption)
FINE_STEP_S = 1.0  # step of tags a portal (or continuous reader) read in the interval: a pass's direction is in
#                    the order of its reads, a portal reports every second (assumption)
PORTAL_CROSS = 0.3  # share of a tag's belief in either space of a door that crosses it in each 1 s step in which
#                    two antennas of the door's portal heard it (assumption, tuned on ci-baseline seed 1 against 0.5
#                    and a one-way crossing at the end of the pass: the reads' own evidence then picks the side)
REST_FACTOR = 0.02  # move rate of a tag on a storage unit beside one anywhere else (assumption: a filed dossier is
#                     taken from its unit ~once in hours, about 2e-5/s on ci-baseline; carried ones move within
#                     seconds; one rate for both let a silent shelf tag's belief leak ~6 % a minute into the corridors)
CARRY_FACTOR = 5.0  # the same for a tag anywhere else in the building (assumption: a dossier in the station is on
#                      a unit or in someone's hands -- the truth has no other kind of stay -- so a belief off the
#                      units is a carried one and moves on, or is put down, within a minute; off-site places keep 1)
GENERIC_PRIOR = 0.25  # prior weight of a space's centroid and "anywhere" places beside 1 per storage unit (assumption:
#                       a dossier at rest is in a unit; the generic places stand for carried or mislaid ones)


def _model_from_config(config: dict) -> tuple[StationModel, object, object]:
    """(model, placement, engine or None)."""
    from ..rng import Streams

    world = config.get("world")
    if world is not None:
        eng = world.engine
        params = getattr(eng, "params", None)
        seed = getattr(eng, "seed", Streams(world.scenario.seed).child("rf").seed)
        return StationModel(world.floor, world.placement, seed, getattr(params, "rf", None),
                            getattr(params, "gen2", None)), world.placement, eng
    scn = config.get("scenario")
    if scn is not None:
        from ..building.floorfile import load_floor
        from ..readers.placementfile import load_placement

        floor = load_floor(scn.floor)
        pl = load_placement(scn.placement, floor)
        return StationModel(floor, pl, Streams(scn.seed).child("rf").seed), pl, config.get("engine")
    if "floor" in config and "placement" in config:
        eng = config.get("engine")
        params = getattr(eng, "params", None)
        return StationModel(config["floor"], config["placement"], int(config.get("rf_seed", 0)),
                            config.get("rf_params", getattr(params, "rf", None)),
                            config.get("gen2_params", getattr(params, "gen2", None))), config["placement"], eng
    raise InputError(Problem("oracle config", "config", sorted(config),
                             "'world' (a World), 'scenario' (a Scenario) or 'floor' + 'placement' + 'rf_seed'"))


class OracleCore:
    """Reference core with the true RF model. Emits MAP places on change; no alerts; holder always empty."""

    name = "oracle"

    def __init__(self, site: dict, config: dict | None = None) -> None:
        self.site = site
        self.config = dict(config or {})
        m, placement, engine = _model_from_config(self.config)
        self.m = m
        self.trig = TriggerModel(m, placement, engine)
        self.step_us = int(round(float(self.config.get("step_s", STEP_S)) * 1e6))
        self.M = int(self.config.get("support", 12))  # candidates kept per tag between intervals
        self.extra = int(self.config.get("extra", 12))  # candidates added per interval from its reads
        # per s: re-placed within its space, carried through a door (assumptions, tuned on ci-baseline seed 1: a
        # dossier at rest stays put for many of its unit's inventories, so evidence adds up across them)
        self.p_move = float(self.config.get("p_move", 0.001))
        p_adj = float(self.config.get("p_adjacent", 0.001))
        portal = float(self.config.get("portal_factor", 0.05))  # unseen through a watched door (assumption)
        self.fine_us = int(round(float(self.config.get("fine_step_s", FINE_STEP_S)) * 1e6))
        NS = len(m.space_ids)
        W = np.zeros((NS, NS))
        sp = {s: i for i, s in enumerate(m.space_ids)}
        watched = {m_door for m_door in self._portal_doors()}
        for d in m.floor.doors.values():
            w = p_adj * (portal if d.id in watched else 1.0)
            W[sp[d.a], sp[d.b]] = W[sp[d.b], sp[d.a]] = max(W[sp[d.a], sp[d.b]], w)
        for k in m.floor.links.values():
            W[sp[k.a], sp[k.b]] = W[sp[k.b], sp[k.a]] = p_adj
        # off-site places (no level: no reader there) are reached and left by road only (`oracle_events.road_trips`,
        # `oracle_hold.drive`; back by the reads at the doors): the filter would otherwise let a silent tag's belief
        # drift there from the car park before the trip is judged, or back from the procuratorate into the car park
        away = np.array([not m.floor.spaces[s].has_geometry for s in m.space_ids], bool)
        W[:, away] = 0.0
        W[away, :] = 0.0
        self.W_rate = W
        self.ant_door, self.ant_side, self.door_ab = self._portal_map(sp)
        self.comotion = CoMotion() if self.config.get("comotion", True) else None
        self.portal_cross = float(self.config.get("portal_cross", PORTAL_CROSS))
        # door light barriers (sensed): a passing tag crosses towards a crossing's destination (`oracle_beams`)
        self.beams = OracleBeams(self) if self.config.get("beams", True) else None
        # tags the beams saw cross are held in the region they entered until they cross out (`oracle_hold`)
        self.holds = Holds() if self.config.get("holds", True) else None
        self._trans: dict[int, tuple] = {}
        adj = (W > 0) | np.eye(NS, dtype=bool)
        self.adj_lists = [np.flatnonzero(adj[s]) for s in range(NS)]
        g = float(self.config.get("generic_prior", GENERIC_PRIOR))
        self.c_prior = np.where(m.c_storage >= 0, 1.0, g)
        carry = float(self.config.get("carry_factor", CARRY_FACTOR))
        self.c_rate = np.where(m.c_storage >= 0, float(self.config.get("rest_factor", REST_FACTOR)),
                               np.where(m.c_level >= 0, carry, 1.0))
        gen = np.flatnonzero(m.c_storage < 0)
        self.gen_of_space = [gen[m.c_space[gen] == s] for s in range(NS)]
        self.pairs_of_ant = [np.flatnonzero(m.pair_a == a) for a in range(len(m.A.keys))]
        readers = sorted({k[0] for k in m.A.keys})
        self._readers = _Interner(READ_DTYPE["reader"].itemsize)
        self._readers.add(readers)
        maxp = max([k[1] for k in m.A.keys], default=0)
        self._ant_lut = np.full((len(readers), maxp + 1), -1, np.int64)
        for i, (r, port) in enumerate(m.A.keys):
            self._ant_lut[self._readers._ids[r], port] = i
        self._maxp = maxp
        # places: (space, storage) emitted
        self.place_space = np.array([m.space_ids[s] for s in m.c_space], dtype=object)
        self.place_storage = np.array([m.storage_ids[u] if u >= 0 else "" for u in m.c_storage], dtype=object)
        self._epcs = _Interner(READ_DTYPE["epc"].itemsize)
        cap = 0
        self.p = np.zeros((cap, m.n_pairs), np.float32)  # true per-round p of each known tag on every pair
        self.lam = np.zeros((cap, m.n_pairs), np.float32)  # its expected reads per inventory unit at current rates
        self._pop = np.zeros(len(m.A.keys))
        self._t_rates = None
        self.rates = m.rates(np.zeros(len(m.A.keys)), self.trig.unit_us)
        nA = len(m.A.keys)
        ra = [np.flatnonzero(m.A.reader == r) for r in range(int(m.A.reader.max(initial=-1)) + 1)]
        self.reader_ants = np.full((max(len(ra), 1), max([len(x) for x in ra], default=1)), -1, np.int64)
        for r, x in enumerate(ra):
            self.reader_ants[r, :len(x)] = x
        del nA
        self.sup = np.full((cap, self.M), -1, np.int64)
        self.bel = np.zeros((cap, self.M))
        self.last_space = np.full(cap, -1, np.int64)
        self.last_store = np.full(cap, -2, np.int64)
        self._buf: list[tuple[np.ndarray, ...]] = []
        self._event_rows: list[tuple[int, int, int]] = []
        self._ops: list[tuple[int, int, int, float]] = []  # queued event operations (t_us, tag, candidate, mass)
        self.home: dict[str, str] = {}  # epc -> home unit its registration named
        self._registered: list[bytes] = []
        self._unread_done, self._t_first = False, None
        from ..tracker.config import TrackerConfig
        from ..tracker.offsite import OffsitePrior

        stages = self.config.get("offsite_stages", TrackerConfig().offsite_stages)  # the tracker's stage map
        # checked-out dossiers gone by road after the tracker's silence outside (its offsite_silence_s)
        self.offsite = OffsitePrior(tuple(m.space_ids), stages, silence_s=TrackerConfig().offsite_silence_s)
        kinds = {str(s.get("id")): s.get("kind") for s in site.get("spaces") or [] if isinstance(s, dict)}
        self.outside = np.array([kinds.get(s) == "outside" for s in m.space_ids] + [False], bool)
        self.offsite_space = np.array([not m.floor.spaces[s].has_geometry for s in m.space_ids] + [False], bool)
        self.last_read = np.zeros(0, np.int64)  # per tag: latest read (true time)
        self.read_ever = np.zeros(0, bool)  # per tag: read at least once
        self.placed = np.zeros(0, bool)  # per tag: placed by an event
        self.home_c = np.zeros(0, np.int64)  # per tag: candidate of the home unit its registration named (-1)
        self._t = None

    def trans(self, dt_us: int) -> tuple[float, np.ndarray, np.ndarray]:
        """Moves over dt: (re-placed within the space, space-to-space matrix, total leaving share per space)."""
        if dt_us not in self._trans:
            dt = dt_us / 1e6
            W = (1.0 - (1.0 - self.W_rate) ** dt) * (self.W_rate > 0)
            self._trans[dt_us] = (1.0 - (1.0 - self.p_move) ** dt, W, W.sum(axis=1))
        return self._trans[dt_us]

    def _portal_map(self, sp: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(door index of each model antenna that is a portal's, -1 else; its side: 0 or 1 as the door's spaces, -1
        else; (doors, 2) space indices of those doors)."""
        from .siteview import as_site_view

        m = self.m
        ant_door = np.full(len(m.A.keys), -1, np.int64)
        ant_side = ant_door.copy()
        try:
            view = as_site_view(self.site)
        except InputError:
            return ant_door, ant_side, np.zeros((0, 2), np.int64)
        doors = sorted({a.door for a in view.antennas if a.kind == "portal" and a.door in m.floor.doors})
        di = {d: i for i, d in enumerate(doors)}
        for a in view.antennas:
            j = m.ant_index.get((a.reader.encode(), int(a.port)))
            if a.kind == "portal" and a.door in di and j is not None:
                ant_door[j] = di[a.door]
                ant_side[j] = 1 if a.space == m.floor.doors[a.door].b else 0
        ab = np.array([[sp[m.floor.doors[d].a], sp[m.floor.doors[d].b]] for d in doors], np.int64).reshape(-1, 2)
        return ant_door, ant_side, ab

    def _portal_doors(self) -> set[str]:
        from .siteview import as_site_view

        try:
            return set(as_site_view(self.site).portal_doors)
        except InputError:
            return set()

    # -- protocol --------------------------------------------------------------------------------------------------
    def observe(self, t0_us: int, t1_us: int, segments) -> None:
        """The motion the world handed the read engine for [t0_us, t1_us) (Chunk.segments): used only to know when
        the GPI portals' door sensors fired. Without it portals give no silence evidence."""
        self.trig.observe(t0_us, t1_us, segments)

    def reader_events(self, table: pa.Table) -> None:
        """Reader status rows (READER_EVENTS_SCHEMA, reader clock): the GPIEvent rows of the door light barriers
        (`oracle_beams`), paired into crossings by the next advance."""
        if self.beams is not None:
            self.beams.push(table)

    def ingest(self, reads: np.ndarray) -> None:
        if len(reads) == 0:
            return
        rid = self._readers.ids(reads["reader"], grow=False)
        port = reads["antenna"].astype(np.int64)
        ok = (rid >= 0) & (port <= self._maxp)
        ant = np.full(len(reads), -1, np.int64)
        ant[ok] = self._ant_lut[rid[ok], port[ok]]
        ok = ant >= 0
        if not ok.any():
            return
        r = reads[ok]
        t = self.trig.true_time(self.trig.ant_reader[ant[ok]], r["t_us"].astype(np.int64))
        self._buf.append((self._epcs.ids(r["epc"]), ant[ok], t, r["count"].astype(np.int64)))

    def apply(self, events: pa.Table) -> None:
        """Filing and off-site checkout events set beliefs (`oracle_events`); places they set are shown at the next
        advance."""
        self._event_rows += apply_events(self, events)

    def advance(self, t_us: int) -> CoreOutput:
        t_us = int(t_us)
        if self._buf:
            tag, ant, t, n = (np.concatenate([b[i] for b in self._buf]) for i in range(4))
        else:
            tag = ant = t = n = np.zeros(0, np.int64)
        self._buf = []
        self._grow()
        if self._t is None:
            if not len(t):
                self._event_rows += due_ops(self, t_us, t_us)[0]
                return CoreOutput(self._table(*self._shown(t_us, None)), empty_alerts())
            self._t = int(t.min()) // self.step_us * self.step_us
            self._t_first = self._t
        t0 = self._t
        self.read_ever[tag] = True
        if len(tag):
            np.maximum.at(self.last_read, tag, t)
        now, ops = due_ops(self, t0, t_us)
        self._event_rows += now
        ev = self._shown(t_us, t0)
        if t_us <= t0:
            return CoreOutput(self._table(*ev), empty_alerts())
        S = -(-(t_us - t0) // self.step_us)
        self._t = t0 + S * self.step_us
        Sf = -(-(t_us - t0) // self.fine_us)
        X = self.trig.exposure(t0, S, self.step_us)
        if self.beams is not None:
            self.beams.update(t_us)
            self.beams.note_reads(tag, self.ant_door[ant] if len(ant) else ant, t)
        self._rates(tag, ant, X)
        rows = run_filter(self, tag, ant, t, n, t0, t_us, (self.step_us, S, X),
                          (self.fine_us, Sf, self.trig.exposure(t0, Sf, self.fine_us)), ops)
        if self.comotion is not None:
            rows = self.comotion.step(self, tag, ant, t, rows)
        trips = road_trips(self, t_us)
        if trips:  # gone by road: what the filter said of them after they left gives way
            tt, ti, _ = (np.array(x, np.int64) for x in zip(*trips))
            since = dict(zip(ti.tolist(), tt.tolist()))
            cut = np.array([since.get(g, np.iinfo(np.int64).max) for g in rows[1].tolist()], np.int64)
            rows = tuple(x[rows[0] < cut] for x in rows)
        self._event_rows += unread_prior(self, t_us) + trips
        rows = tuple(np.concatenate([a, b, c]) for a, b, c in zip(ev, rows, self._shown(t_us, t0)))
        return CoreOutput(self._table(*rows), empty_alerts())

    def _shown(self, t_us: int, lo: int | None):
        """Rows for the places events set since the last advance (at the event's time, not before lo: the start of
        the interval being filtered, or the first event before the clock starts)."""
        rows, self._event_rows = self._event_rows, []
        z = np.zeros(0, np.int64)
        if not rows:
            return z, z, z, np.zeros(0)
        self._grow()
        t, tag, c = (np.array(x, np.int64) for x in zip(*rows))
        lo = lo if lo is not None else int(t.min())
        t = np.clip(t, lo, t_us)
        sp, st = self.m.c_space[c], self.m.c_storage[c]
        new = (sp != self.last_space[tag]) | (st != self.last_store[tag])
        self.last_space[tag], self.last_store[tag] = sp, st
        return t[new], tag[new], c[new], np.ones(int(new.sum()))

    # -- state -----------------------------------------------------------------------------------------------------
    def _rates(self, tag: np.ndarray, ant: np.ndarray, X: np.ndarray) -> None:
        """Gen2 rates per antenna for the population in its field: the known tags at their MAP place (sum of their
        per-round p), or, where that is less, the distinct tags it read per inventory unit."""
        m = self.m
        bound = self.trig.bound_now()  # the engine's slot lengths were just taken over: every column anew
        if not bound and self._t_rates is not None and self._t - self._t_rates < RATES_EVERY_US:
            return
        self._t_rates = self._t
        known = np.flatnonzero(self.sup[:, 0] >= 0)
        nA = len(m.A.keys)
        pop = np.zeros(nA)
        if len(known):
            J = m.lut[self.sup[known, 0]]
            pop = np.where(J >= 0, self.p[known[:, None], np.maximum(J, 0)], 0.0).sum(axis=0)
        if len(tag):
            u = np.unique(ant.astype(np.int64) * (len(self.p) + 1) + tag)
            seen = np.bincount(u // (len(self.p) + 1), minlength=nA).astype(float)
            units = X.sum(axis=0)
            rows = np.bincount(ant, minlength=nA).astype(float)
            per = np.where(m.A.once, rows / np.maximum(units, 1.0), seen)
            pop = np.maximum(pop, per)
        old = self._pop
        moved = np.abs(pop - old) > POP_SLACK * old + 0.5  # rates follow the field's population with hysteresis
        if moved.any() or bound:
            self._pop = np.where(moved, pop, old)
            self.rates = m.rates(self._pop, self.trig.unit_us)
            j = np.flatnonzero(moved[m.pair_a]) if not bound else np.arange(m.n_pairs)
            if len(j) and len(self.p):
                self.lam[:, j] = self.rates.lam(self.p[:, j], m.pair_a[j][None, :])

    def _grow(self) -> None:
        n_old, n = len(self.p), len(self._epcs.names)
        if n == n_old:
            return
        epcs = np.array(self._epcs.names[n_old:], dtype="S24")
        p = self.m.per_round_p(epcs).astype(np.float32)
        self.p = np.concatenate([self.p, p])
        self.lam = np.concatenate([self.lam, self.rates.lam(p, self.m.pair_a[None, :]).astype(np.float32)])
        self.sup = np.concatenate([self.sup, np.full((n - n_old, self.M), -1, np.int64)])
        self.bel = np.concatenate([self.bel, np.zeros((n - n_old, self.M))])
        self.last_space = np.concatenate([self.last_space, np.full(n - n_old, -1, np.int64)])
        self.last_store = np.concatenate([self.last_store, np.full(n - n_old, -2, np.int64)])
        self.read_ever = np.concatenate([self.read_ever, np.zeros(n - n_old, bool)])
        self.last_read = np.concatenate([self.last_read, np.full(n - n_old, np.iinfo(np.int64).min // 2, np.int64)])
        self.placed = np.concatenate([self.placed, np.zeros(n - n_old, bool)])
        self.home_c = np.concatenate([self.home_c, np.full(n - n_old, -1, np.int64)])

    def _table(self, t: np.ndarray, tag: np.ndarray, cand: np.ndarray, conf: np.ndarray) -> pa.Table:
        if not len(t):
            return empty_estimates()
        o = np.lexsort((tag, t))
        t, tag, cand, conf = t[o], tag[o], cand[o], conf[o]
        epc = [self._epcs.names[i].decode("ascii") for i in tag.tolist()]
        return pa.table({
            "t_us": pa.array(t, pa.int64()), "epc": pa.array(epc, pa.string()),
            "space": pa.array(self.place_space[cand].tolist(), pa.string()),
            "storage": pa.array(self.place_storage[cand].tolist(), pa.string()),
            "holder": pa.array([""] * len(t), pa.string()),
            "confidence": pa.array(conf.astype(np.float32), pa.float32()),
        }, schema=ESTIMATES_SCHEMA)
