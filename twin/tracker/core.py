"""TrackerCore: the tracking core under test -- ingest, cleaning and locating behind the bench's Core protocol.

It sees only site.json, tag reports and business events (DESIGN rule 1) and implements the protocol structurally:
`ingest(reads)` validates and buffers, `advance(t_us)` processes every row up to the watermark in one vectorised
pass and returns the estimate rows that changed (with their confidence). Estimate times are the times of the reads
that decided them (event time), so nothing is stamped before the evidence for it existed.
"""

from __future__ import annotations


import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..records import ESTIMATES_SCHEMA
from .config import TrackerConfig
from .epcs import KIND_FOREIGN
from .ale import CycleReport, EventCycles
from .events import EventLog
from .holder import Holders
from .ingest import Batch, Ingest
from .kernels_ingest import locatable_rows
from .locate import Locator
from .beams import Beams
from .beam_watch import BeamWatch
from .alert_readers import barrier_alerts
from .calib import ReaderClocks
from . import status_rows
from .offsite import OffsitePrior
from .unread import UnreadPrior
from .epcs import KIND_BADGE, KIND_DOSSIER
from .sitemodel import KIND_CODES, site_model
from .workspace import Workspace, split_config


_EMPTY_ESTIMATES = ESTIMATES_SCHEMA.empty_table()


class _Output:
    """What advance() returns: estimates and alerts as Arrow tables (the bench's CoreOutput has the same fields)."""

    __slots__ = ("estimates", "alerts")

    def __init__(self, estimates: pa.Table, alerts: pa.Table):
        self.estimates, self.alerts = estimates, alerts


def antenna_periods_s(site: dict, model) -> np.ndarray:
    """Each antenna's inventory period when its reader takes periodic inventories (site.json `trigger` periodic:
    `report_period_ms`), else 0 (continuous readers, and GPI portals that read only while someone passes), by
    antenna index. A site without `trigger` is read as before: periodic where a report period is given."""
    per = {}
    for r in site.get("readers") or []:
        if isinstance(r, dict):
            trig = r.get("trigger")
            p = float(r.get("report_period_ms") or 0.0) / 1e3
            per[str(r.get("id", ""))] = p if trig in (None, "periodic") else 0.0
    return np.array([per.get(model.readers[r], 0.0) for r in model.ant_reader.tolist()], np.float64)


class TrackerCore:
    """Config: see TrackerConfig. Antenna weights: the config's (from `twin tracker fit`), else defaults by antenna
    kind, refined online by self-calibration (twin.tracker.calib)."""

    name = "tracker"

    def __init__(self, site: dict, config: dict | None = None) -> None:
        self.model = site_model(site)
        cfg = dict(config or {})
        self.workspace = Workspace(site, split_config(cfg))  # custody, alerts, lifecycle, inventory, store
        self.workspace.bind(self)
        self.config = TrackerConfig.from_dict(cfg)
        self.ingest_ = Ingest(self.model, self.config.watermark_s)
        self.locator = Locator(self.model, self.config, antenna_periods_s(site, self.model))
        self.events = EventLog()
        self.offsite = OffsitePrior(self.model.spaces, self.config.offsite_stages, self.config.offsite_return_s,
                                    self.config.offsite_silence_s)
        kinds = {str(s.get("id")): s.get("kind") for s in site.get("spaces") or [] if isinstance(s, dict)}
        self._outside = np.array([kinds.get(s) == "outside" for s in self.model.spaces] + [False], bool)
        self.unread = UnreadPrior(self.config.unread_prior_s) if self.config.unread_prior_s > 0 else None
        self.holders = Holders(self.config.holder_window_s)
        self.cycles = EventCycles()
        self.last_cycle: list[CycleReport] = []  # ALE-style report of the last advance
        self._sweeps_seen = 0  # sweep reports already handed to the locator
        self.reads_in = 0
        self.clocks = ReaderClocks(len(self.model.readers))  # reader clock drift, from keepalives (twin.tracker.calib)
        self._reader_ix = {r: i for i, r in enumerate(self.model.readers)}
        self._space_list = list(self.model.spaces) + [""]  # index -1 (no space / no unit) is the last, ""
        self._storage_list = list(self.model.storage) + [""]
        self._epc_list: list[str] = []  # tag id -> EPC as str
        cf = self.config  # door light barriers (twin.tracker.beams), when the site has them and the config allows
        self.beams = Beams(self.model, cf.beam_pair_s, cf.beam_silence_s, cf.beam_stuck_s) if cf.beams else None
        if self.beams is not None and not self.beams.any:
            self.beams = None
        self.locator.beams = self.beams
        # failed light barriers found fast (twin.tracker.beam_watch): the beams' trust masked, reader_offline alerts
        self.beam_watch = None
        if self.beams is not None and cf.beam_watch:
            self.beam_watch = BeamWatch(self.model, self.beams, cf.beam_stuck_s, cf.beam_alone_n, cf.beam_unseen_n,
                                        cf.beam_unseen_dbm, cf.beam_unseen_quiet_s, cf.beam_unseen_stay_s,
                                        cf.beam_unseen_near_s, cf.quiet_s)  # fmt: skip
            self.beam_watch.need_badge = cf.beam_unseen_badge
            self.beam_watch.alert_silent = cf.beam_silent_alert

    # -- the Core protocol ------------------------------------------------------------------------------------------
    def ingest(self, reads: np.ndarray) -> None:
        self.reads_in += len(reads)
        if len(reads) and self.clocks.drifting:  # stamps on the core's clock (readers drift apart over days)
            ix = self._reader_of(reads["reader"])
            reads = reads.copy()
            for c in ("t_us", "first_us"):
                reads[c] = self.clocks.correct(ix, reads[c])
        self.ingest_.push(reads)

    def _reader_of(self, col: np.ndarray) -> np.ndarray:
        """The core's reader index per row of a reader id field (-1: unknown): the ingest's interner probe when the
        field has its width (a tenth of sorting the ids), else the distinct ids looked up one by one."""
        readers = self.ingest_.readers
        if col.dtype == readers.dtype:
            lut = getattr(self, "_rid_lut", None)
            if lut is None or len(lut) != len(readers) + 1:
                lut = np.array([self._reader_ix.get(n.decode("ascii", "replace"), -1) for n in readers.names] + [-1],
                               np.int64)  # fmt: skip
                self._rid_lut = lut
            return lut[readers.ids(col, grow=False)[0]]
        u, inv = np.unique(col, return_inverse=True)
        return np.array([self._reader_ix.get(r.decode("ascii", "replace"), -1) for r in u.tolist()], np.int64)[inv]

    def apply(self, events: pa.Table) -> None:
        self.events.apply(events)
        self.workspace.apply(events)
        homes, filed, back = self.events.take_homes(), self.events.take_filed(), self.events.take_checkins()
        if homes and self.config.registered_home:  # registrations come before any filing of the same volume
            t, tags, units = self._units_of(homes)
            self.locator.home(t, tags, units)
        if filed and self.config.filing_prior:
            t, tags, units = self._units_of(filed)
            if len(tags):
                self.locator.file(t, tags, units)
        if back and self.config.filing_prior:
            self._checked_in(back)
        self._place_offsite(self.offsite.apply(events))
        if self.unread is not None and events is not None and events.num_rows:
            reg = [e for k, e in zip(events.column("kind").to_pylist(), events.column("epc").to_pylist())
                   if k == "register" and e and len(e) == 24]  # fmt: skip
            if reg:
                self.unread.register(self._tag_ids(reg))

    def reader_events(self, table) -> None:
        """Take reader status rows (READER_EVENTS_SCHEMA: KEEPALIVE and reader event notifications, reader clock),
        applied by the next advance whose clock reaches them; bad frames are quarantined and counted (stats).
        Decoded in whole-table passes (twin.tracker.status_rows); `reader_events_py` is the per-row rule it keeps."""
        if table is None or table.num_rows == 0:
            return
        watch = self.workspace.alerts.watch
        dec = getattr(self, "_status_decoder", None)
        if dec is None:
            dec = self._status_decoder = status_rows.StatusDecoder(self._reader_ix, watch._rindex)
        f = dec.decode(table)
        if f is None:  # string columns of another type
            return self.reader_events_py(table)
        if isinstance(f, str):
            watch.quarantine[f] += table.num_rows
            return
        ka = f.code == status_rows.KA
        if ka.any():
            self.clocks.observe(f.reader_core[ka], f.t_us[ka])
        gpi = f.code == status_rows.GPI
        if gpi.any():
            self._gpi_rows(f.t_us[gpi], f.reader_core[gpi], f.antenna[gpi], f.gpi_detail)
            rest = ~gpi
            f.t_us, f.reader_watch, f.antenna, f.code, f.detail = (
                x[rest] for x in (f.t_us, f.reader_watch, f.antenna, f.code, f.detail))
        watch.status_coded(f.t_us, f.reader_watch, f.antenna, f.code, f.detail, now_us=self.ingest_.now_us)

    def _gpi_rows(self, t_us: np.ndarray, ix: np.ndarray, port: np.ndarray, detail: list) -> None:
        """GPIEvent rows (reader clock, core reader indices) to the beams, stamps corrected to the core's clock."""
        watch = self.workspace.alerts.watch
        if self.beams is None:
            watch.status_counts["GPIEvent_unused"] += len(t_us)
            return
        t = self.clocks.correct(ix, t_us)
        q0 = self.beams.quarantine.copy()
        kept = self.beams.push(t, ix, port, detail, self.ingest_.now_us)
        if self.beam_watch is not None:
            self.beam_watch.push(t, ix, port, detail)
        watch.quarantine.update(self.beams.quarantine - q0)
        watch.status_counts["GPIEvent"] += kept

    def reader_events_py(self, table) -> None:
        """`reader_events` row by row (the rule the whole-table decoding keeps; frames of other column types)."""
        if table is None or table.num_rows == 0:
            return
        watch = self.workspace.alerts.watch
        need = ("t_us", "reader", "antenna", "kind", "detail")
        if any(c not in table.column_names for c in need):
            watch.quarantine["missing_columns"] += table.num_rows
            return
        try:
            cols = [pc.fill_null(pc.cast(table.column(c), pa.int64()), -1).to_numpy(zero_copy_only=False)
                    if c in ("t_us", "antenna") else table.column(c).to_pylist() for c in need]
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
            watch.quarantine["bad_columns"] += table.num_rows
            return
        ka = [i for i, k in enumerate(cols[3]) if k == "KEEPALIVE"]
        if ka:
            self.clocks.observe(np.array([self._reader_ix.get(cols[1][i], -1) for i in ka], np.int64), cols[0][ka])
        gpi = [i for i, k in enumerate(cols[3]) if k == "GPIEvent"]
        if gpi:  # door light barriers: to the beams (counted and quarantined beside the other status rows)
            cols = self._gpi_events(cols, gpi)
        watch.status(*cols, now_us=self.ingest_.now_us)

    def _gpi_events(self, cols: list, gpi: list[int]) -> list:
        """Hand the GPIEvent rows to the beams (stamps corrected to the core's clock as tag reports are); returns the
        other rows' columns."""
        g = np.array(gpi, np.int64)
        ix = np.array([self._reader_ix.get(cols[1][i], -1) for i in gpi], np.int64)
        self._gpi_rows(cols[0][g], ix, cols[2][g], [cols[4][i] for i in gpi])
        rest = np.ones(len(cols[0]), bool)
        rest[g] = False
        r = np.flatnonzero(rest).tolist()
        return [cols[0][rest], [cols[1][i] for i in r], cols[2][rest], [cols[3][i] for i in r], [cols[4][i] for i in r]]

    def advance(self, t_us: int):
        self.clocks.arrive(int(t_us))
        batch = self.ingest_.pop(int(t_us))
        self.locator.grow(len(self.ingest_.epcs))
        if self.beams is not None:  # crossings up to now (the batch's rows lie a watermark before it)
            self.beams.update(int(t_us), self._readers_up())
            if self.beam_watch is not None:  # beams silent through crossings: not trusted; alerts for failed beams
                self.beam_watch.reads(batch.tag, batch.t_us, batch.ant, batch.rssi)
                al = self.workspace.alerts
                barrier_alerts(al.book, al.watch, self.beam_watch.step(int(t_us)))
                self.beams.live &= self.beam_watch.trusted
        if len(batch):
            self.workspace.observe(batch, self.model, self.ingest_)
            batch = self._locatable(batch)
            self.locator.badge = self.ingest_.kind == KIND_BADGE
            if self.beam_watch is not None:
                self.beam_watch.badge = self.locator.badge
            self.locator.process(batch)
        self.locator.settle_filed(int(t_us))
        if self.offsite.checkout and self.config.offsite_silence_s > 0:  # checked out and gone by road
            L = self.locator
            t_g, tags, sp = self.offsite.due(int(t_us), self._tag_ids, L.last_us, L.out_space, self._outside, ~L.seen)
            if len(tags):
                L.move(t_g, tags, sp, 0.5)
        if self.unread is not None:
            L = self.locator
            tags, sp = self.unread.due(int(t_us), L.out_space, L.prior_unit, L.seen, self.ingest_.kind, KIND_DOSSIER,
                                       self.model.storage_space)  # fmt: skip
            if len(tags):
                L.place(np.full(len(tags), int(t_us), np.int64), tags, sp, 0.3)
        return self._output()

    # -- helpers ----------------------------------------------------------------------------------------------------
    _carried: np.ndarray | None = None  # per antenna: carried (handheld), its rows place no tag (built once)
    _watch_ix: np.ndarray | None = None  # per site reader: its index in the reader watch, -1 none (built once)

    def _readers_up(self) -> np.ndarray:
        """Per reader of the site model: not down by the reader watch (a reader it does not know counts as up)."""
        w = self.workspace.alerts.watch
        if self._watch_ix is None or len(self._watch_ix) != len(self.model.readers):
            at = {r: i for i, r in enumerate(w.readers)}  # a reader named twice: its last entry, as a dict keeps it
            self._watch_ix = np.array([at.get(r, -1) for r in self.model.readers], np.int64)
        ix = self._watch_ix
        up = np.ones(len(ix), bool)
        known = ix >= 0
        up[known] = w.down_since[ix[known]] < 0
        return up

    def _units_of(self, rows: list[tuple[int, str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t_us, tag ids, unit indices) of (t_us, epc, unit) rows naming a unit of the site and a 96-bit EPC."""
        uidx = {u: i for i, u in enumerate(self.model.storage)}
        ok = [(t, e, uidx[u]) for t, e, u in rows if u in uidx and len(e) == 24]
        ids = self._tag_ids([e for _, e, _ in ok]) if ok else []
        return (np.array([t for t, _, _ in ok], np.int64), np.array(ids, np.int32),
                np.array([u for _, _, u in ok], np.int32))  # fmt: skip

    def _tag_ids(self, epcs: list[str]) -> list[int]:
        """Tag ids of EPCs named by events (new ones are interned and decoded as if read)."""
        ids = self.ingest_.epcs.add([e.encode("ascii") for e in epcs])
        new = sorted({i for i in ids if i >= len(self.ingest_.kind)})
        if new:
            self.ingest_._learn(new)
        self.locator.grow(len(self.ingest_.epcs))
        return list(ids)

    def _checked_in(self, rows: list[tuple[int, str]]) -> None:
        """A `checkin` is the volume put back on its home shelf (the case software's return): like a filing event on
        its home unit (a volume read just before is moved into the home's room even when its passage through the door
        was missed; one in the room on no unit is put on it; one no reader has heard is put on it wherever it was)."""
        rows = [(t, e) for t, e in rows if len(e) == 24]
        if not rows:
            return
        tags = np.array(self._tag_ids([e for _, e in rows]), np.int32)
        home = self.locator.prior_unit[tags]
        ok = home >= 0
        if ok.any():
            self.locator.file(np.array([t for t, _ in rows], np.int64)[ok], tags[ok], home[ok])

    def _place_offsite(self, away: list[tuple[int, str, int]]) -> None:
        """Dossiers the business process says are off site: placed there while no reader has placed them."""
        away = [a for a in away if len(a[1]) == 24]
        if not away:
            return
        ids = self._tag_ids([a[1] for a in away])
        self.locator.place(np.array([a[0] for a in away], np.int64), np.array(ids, np.int32),
                           np.array([a[2] for a in away], np.int32))

    def _locatable(self, b: Batch) -> Batch:
        """Rows that can place a tag: not from a carried (handheld) antenna, not of a foreign tag."""
        if self._carried is None:
            self._carried = self.model.ant_kind == KIND_CODES["handheld"]
        drop, keep = locatable_rows(b.ant, b.tag, self._carried, self.ingest_.kind, KIND_FOREIGN)
        if not drop:
            return b
        self.ingest_.counts["not_locating"] += int(drop)
        return b.take(keep)

    def _output(self):
        t, tag, space, storage, conf, _ = self.locator.take()
        if self.beam_watch is not None:
            self.beam_watch.moves(t, tag, space)
        names = self.ingest_.epcs.names
        holder = self.holders.infer(t, tag, space, storage, self.ingest_.kind, self._badge_name)
        if len(self._epc_list) != len(names):  # extended only when new tags were seen
            self._epc_list += [n.decode("ascii") for n in names[len(self._epc_list):]]
        # the change rows as Python lists once (for the cycles, custody and alerts) and as Arrow (the output);
        # an advance without changes shares one empty table
        if len(t):
            cols = {"t_us": t.tolist(), "epc": [self._epc_list[g] for g in tag.tolist()],
                    "space": [self._space_list[s] for s in np.where(space < 0, -1, space).tolist()],
                    "storage": [self._storage_list[u] for u in np.where(storage < 0, -1, storage).tolist()],
                    "holder": holder}  # fmt: skip
            est = pa.Table.from_arrays([pa.array(t, pa.int64()), pa.array(cols["epc"], pa.string()),
                                        pa.array(cols["space"], pa.string()), pa.array(cols["storage"], pa.string()),
                                        pa.array(holder, pa.string()), pa.array(conf, pa.float32())],
                                       schema=ESTIMATES_SCHEMA)  # fmt: skip
        else:
            cols = {"t_us": [], "epc": [], "space": [], "storage": [], "holder": []}
            est = _EMPTY_ESTIMATES
        self.last_cycle = self.cycles.cycle(self.ingest_.now_us or 0, cols["epc"], cols["space"], cols["storage"])
        alerts = self.workspace.advance(self.ingest_.now_us or 0, est, np.asarray(tag, np.int64), self.ingest_.kind,
                                        self._badge_name, self.ingest_.watermark_us, cols)  # fmt: skip
        if self.config.sweep_prior and len(self.workspace.sweeps) > self._sweeps_seen:
            self._sweep_found(self.workspace.sweeps[self._sweeps_seen:])
            self._sweeps_seen = len(self.workspace.sweeps)
        return _Output(est, alerts)

    def _sweep_found(self, reports: list[dict]) -> None:
        """Tags a handheld sweep found on a unit are in that unit's space at the sweep's end (settled next advance)."""
        uidx = {u: i for i, u in enumerate(self.model.storage)}
        for rep in reports:
            unexpected = {m["epc"] for m in rep.get("unexpected") or ()}  # may be a neighbour room's, heard
            found = [(e, uidx[u]) for e, u in (rep.get("found") or {}).items()
                     if u in uidx and len(e) == 24 and e not in unexpected]  # fmt: skip
            if found:
                tags = np.array(self._tag_ids([e for e, _ in found]), np.int32)
                self.locator.found(int(rep["t1_us"]), tags, np.array([u for _, u in found], np.int32))

    def _badge_name(self, tag: int) -> str:
        epc = self.ingest_.epcs.names[tag].decode("ascii")
        return self.events.officer_of.get(epc) or self.ingest_.uri[tag] or epc

    def stats(self) -> dict:
        """Counters of the run so far: rows in, quarantined by reason, duplicates, late rows, foreign tags."""
        return {"rows_in": self.reads_in, "quarantine": dict(self.ingest_.quarantine),
                "counts": dict(self.ingest_.counts), "tags": len(self.ingest_.epcs),
                "events": dict(self.events.counts),
                "reader_events": {"kept": dict(self.workspace.alerts.watch.status_counts),
                                  "quarantine": dict(self.workspace.alerts.watch.quarantine)},
                "beams": dict(self.beams.counts) if self.beams is not None else {},
                "beam_watch": dict(self.beam_watch.counts) if self.beam_watch is not None else {}}  # fmt: skip


__all__ = ["TrackerCore"]
