"""The core's part beyond locating -- custody, alerts, lifecycle, inventory -- and its durable store.

`Workspace` is composed by TrackerCore: business events go to each component, every advance's reads go to the reader
watch and open sweeps, and every advance's estimate changes go to custody and the alert rules. With a config
`"workspace": DIR` each advance is one store chunk (estimates, custody, alerts raised and cleared, lifecycle, events)
and every `checkpoint_every` chunks the whole core is pickled into a checkpoint, so `resume_core(DIR, ...)` restarts a
killed core where its last checkpoint left it (feed it the input from the returned offset).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import ProblemList
from ..records import ALERTS_SCHEMA
from .alerts import AlertConfig, Alerts
from .custody import Custody, CustodyConfig
from .epcs import KIND_BADGE, KIND_FOREIGN, KIND_NAMES
from .inventory import HOME_SHARE, Inventory
from .kernels_alerts import fixed_rows
from .lifecycle import Lifecycle, raised
from .store import Store
from .unread import heard_since_start, misfiled_shelf

_EMPTY_ALERTS = ALERTS_SCHEMA.empty_table()

#: Config keys of the core that belong to the workspace (TrackerConfig never sees them).
WORKSPACE_KEYS = ("workspace", "checkpoint_every", "alerts", "custody", "lifecycle", "sweep_slot_s", "sweep_home_share")


def split_config(cfg: dict) -> dict:
    """Take the workspace's keys out of a core config (in place); them as a dict."""
    return {k: cfg.pop(k) for k in WORKSPACE_KEYS if k in cfg}


class Workspace:
    def __init__(self, site: dict, cfg: dict | None = None) -> None:
        cfg = dict(cfg or {})
        pl = ProblemList("tracker config")
        every = cfg.get("checkpoint_every", 10)
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            pl.add("checkpoint_every", every, "an integer >= 1 (chunks between checkpoints)")
            every = 10
        pl.raise_if_any()
        self.checkpoint_every = every
        self.alerts = Alerts(site, AlertConfig.from_dict(cfg.get("alerts")))
        self.custody = Custody(CustodyConfig(**dict(cfg.get("custody") or {})))
        self.alerts.place.held_in_force = self.custody.holder  # drawer: custody knows a holder who walked away
        self.alerts.place.badge_names = self.custody.name_of  # missing: the carrier's own badge leaving the room
        self.lifecycle = Lifecycle(cfg.get("lifecycle"))
        # sweeps name the units they scan (sweep_unit events), so the old sweep_slot_s key is accepted and unused
        self.inventory = Inventory(site, float(cfg.get("sweep_home_share", HOME_SHARE)))
        self.reader_ids = [str(r.get("id", "")) for r in site.get("readers", [])]
        self.dir = cfg.get("workspace")
        self.store: Store | None = None
        self.chunks = 0  # advances done: the input offset a resumed core continues from
        self._events: list[dict] = []
        self.sweeps: list[dict] = []
        if self.dir:
            self.open(self.dir)

    def open(self, directory: str | Path) -> None:
        self.dir = str(directory)
        self.store = Store(Path(directory))

    def __getstate__(self) -> dict:
        d = dict(self.__dict__)
        d["store"], d["_events"] = None, []
        return d

    # -- input -----------------------------------------------------------------------------------------------------
    def apply(self, events: pa.Table | None) -> None:
        if events is None or events.num_rows == 0:
            return
        rows = sorted(events.to_pylist(), key=lambda e: int(e["t_us"]))
        self.custody.apply(rows)
        self.lifecycle.apply(rows)
        for e in rows:
            self.alerts.event(e)
            self.inventory.event(e)
        self._events += rows

    def observe(self, batch, model, ingest) -> None:
        """All rows of an advance (sorted by tag, time): fixed readers to the watch, handhelds to open sweeps."""
        if len(batch) == 0:
            return
        # readers, handheld rows and the (tag, time) order in one pass; the alert passes then skip their order checks
        reader, n_hand, ordered = fixed_rows(batch.tag, batch.t_us, batch.ant, model.ant_reader, model.ant_kind == 4)
        if not n_hand:  # the usual advance: no handheld rows, nothing to mask
            self.alerts.observe(batch.t_us, batch.tag, reader, len(ingest.epcs), batch.ant, batch.rssi, ordered)
            return
        hand = model.ant_kind[batch.ant] == 4  # KIND_CODES["handheld"]
        fixed = ~hand
        self.alerts.observe(batch.t_us[fixed], batch.tag[fixed], reader[fixed], len(ingest.epcs), batch.ant[fixed],
                            batch.rssi[fixed], ordered)  # fmt: skip
        if self.inventory.open:
            names = ingest.epcs.names
            hand = hand & (ingest.kind[batch.tag] != KIND_BADGE) & (ingest.kind[batch.tag] != KIND_FOREIGN)
            for r in np.unique(reader[hand]).tolist():
                rid = self.reader_ids[r] if r < len(self.reader_ids) else ""
                if rid in self.inventory.open:
                    m = hand & (reader == r)
                    epc = [names[g].decode("ascii") for g in batch.tag[m].tolist()]
                    self.inventory.reads(rid, batch.t_us[m], epc, batch.rssi[m])

    # -- one advance -----------------------------------------------------------------------------------------------
    def advance(self, now_us: int, est: pa.Table, tag: np.ndarray, kind: np.ndarray, badge_name,
                watermark_us: int, cols: dict[str, list] | None = None) -> pa.Table:  # fmt: skip
        """Run custody and the alert rules on an advance's estimate changes; the raised alert rows (ALERTS_SCHEMA).
        `cols`: est's t_us, epc, space, storage and holder columns as Python lists, when the caller has them."""
        if cols is None:
            cols = {c: est.column(c).to_pylist() for c in ("t_us", "epc", "space", "storage", "holder")}
        kinds = [KIND_NAMES[k] if k >= 0 else "foreign" for k in kind[tag].tolist()] if len(tag) else []
        for g, e, k in zip(tag.tolist(), cols["epc"], kinds):
            if k == "badge" and e not in self.custody.name_of:
                self.custody.name_badge(e, badge_name(g))
        self.custody.update(cols["t_us"], cols["epc"], cols["space"], cols["storage"], cols["holder"], kinds, now_us)
        self.alerts.changes(cols["t_us"], cols["epc"], cols["space"], cols["storage"], cols["holder"], kinds, tag)
        horizon = now_us - watermark_us
        self.alerts.tick(horizon)
        self.alerts.book.add(self.lifecycle.advance(now_us))
        custody, handovers = self.custody.take()
        self.alerts.book.add(handovers)
        rows = self.alerts.book.take()
        st = self.alerts.state
        for rep in self.inventory.finish(now_us, watermark_us, self.alerts.place.home,
                                         lambda e: bool(st.get(e, {}).get("holder"))
                                         or e in self.alerts.place.checked_out,
                                         lambda: {e: (s.get("space") or "", s.get("storage") or "")
                                                  for e, s in st.items()},
                                         heard_since_start(self.alerts.tag_of,
                                                           self.alerts.evidence.last_any_us),
                                         lambda e: e in self.alerts.place.away
                                         or e in self.alerts.book.misfiled,
                                         misfiled_shelf(self.alerts.tag_of, self.alerts.evidence.wins,
                                                        self.alerts.evidence.units,
                                                        self.alerts.book.misfiled)):  # fmt: skip
            self.sweeps.append(rep)
            self._events.append({"t_us": rep["t1_us"], "kind": "sweep_report", "officer": rep["officer"],
                                 "detail": json.dumps(rep, sort_keys=True)})  # fmt: skip
        self.chunks += 1
        lifecycle = self.lifecycle.take_changes()
        if self.store is not None:
            self._write(now_us, est, custody, rows, lifecycle)
        self._events = []
        out = raised(rows)
        return pa.Table.from_pylist(out, schema=ALERTS_SCHEMA) if out else _EMPTY_ALERTS

    def _write(self, now_us: int, est: pa.Table, custody: list[dict], rows: list[dict], lifecycle) -> None:
        state = None
        if self.chunks % self.checkpoint_every == 0 and self._core is not None:
            state = pickle.dumps(self._core, protocol=pickle.HIGHEST_PROTOCOL)
        self.store.append_chunk(now_us, est, custody, rows, lifecycle, self._events, state=state,
                                input_offset=self.chunks)  # fmt: skip

    _core: Any = None

    def bind(self, core) -> None:
        """The core whose state a checkpoint pickles (set by the core itself)."""
        self._core = core


def resume_core(directory: str | Path, site: dict, config: dict | None = None, cls=None):
    """(core, input_offset): the core of the last checkpoint in DIR's store (a fresh one when there is none), with
    every row written after it dropped; feed it the input from `input_offset` (chunks already consumed)."""
    from .core import TrackerCore

    cls = cls or TrackerCore
    store = Store(Path(directory))
    cp = store.resume()
    if cp is None:
        store.close()
        return cls(site, {**dict(config or {}), "workspace": str(directory)}), 0
    core = pickle.loads(cp.state)
    core.workspace.store = store
    core.workspace.dir = str(directory)
    core.workspace.bind(core)
    return core, cp.input_offset


__all__ = ["Workspace", "WORKSPACE_KEYS", "resume_core", "split_config"]
