"""When each fixed antenna of the oracle's model was actually inventorying: the read engine's start triggers.

The oracle may know the truth of the read model (not of tag positions): a periodic reader's antenna inventories one
dwell slot per report period at the reader's phase; a GPI portal only while its door sensor fires (recomputed from the
moving legs the world hands the engine, with the engine's radius and hold, `twin.readers.triggers.gpi_intervals`);
a continuous one always; none while its reader or antenna is down. `exposure` turns that into units per oracle step:
slots (a whole dwell = 1) for periodic antennas, seconds for the others. Slot phases, clocks and outages are taken
from the engine once it has generated (it draws them on its first call); without an engine periodic slots start at
phase 0 and portals give no silence evidence (assumption: nothing known, nothing claimed).
"""

from __future__ import annotations

import numpy as np

from ..readers import triggers
from ..readers.segments import TagSegments
from ..readers.timegrid import expand, subtract, windows

CONT, PERIODIC, GPI = triggers.CODES["continuous"], triggers.CODES["periodic"], triggers.CODES["gpi"]


class TriggerModel:
    """Alive time of every oracle antenna (model.A order) over the oracle's steps."""

    def __init__(self, model, placement, engine=None) -> None:
        A = model.A
        self.engine = engine
        self.nA = len(A.keys)
        self.keys = A.keys
        rids = sorted(placement.readers)
        self.reader_ids = rids
        r_of = np.array([rids.index(k[0].decode()) for k in A.keys], np.int64)
        self.ant_reader = r_of
        rd = [placement.readers[r] for r in rids]
        self.trig = np.array([triggers.CODES[getattr(rd[r], "trigger", "continuous")] for r in r_of], np.int64)
        self.period_us = np.array([max(1, int(rd[r].report_period_ms * 1e3)) for r in r_of], np.int64)
        dwell = np.array([max(1, int(rd[r].dwell_ms * 1e3)) for r in r_of], np.int64)
        rank = np.array([[a.port for a in rd[r].antennas].index(k[1]) for r, k in zip(r_of, A.keys)], np.int64)
        per = self.trig == PERIODIC
        self.off = np.where(per, np.minimum(rank * dwell, self.period_us - np.minimum(dwell, self.period_us)), 0)
        self.len = np.where(per, np.minimum(dwell, self.period_us), self.period_us)
        self.unit_us = np.where(per, self.len, 1_000_000).astype(np.float64)
        self.clock = [None] * len(rids)
        self.down: dict[int, np.ndarray] = {}
        gp = sorted({int(r) for r in r_of[self.trig == GPI]})
        self._gpi_r = np.array(gp, np.int64)
        xy = [np.mean([a.position for a in rd[r].antennas], axis=0) for r in gp]
        self._gpi_xy = np.array(xy, float).reshape(-1, 2)
        lv = {k: i for i, k in enumerate(model.floor.levels)}
        self._gpi_level = np.array([lv.get(rd[r].antennas[0].level, -1) for r in gp], np.int64)
        self._gpi_carry = np.zeros(len(gp), np.int64)
        self._gpi_iv: dict[int, list[np.ndarray]] = {int(r): [] for r in gp}
        self.gpi_known = False
        params = getattr(engine, "params", None)
        self.gpi_radius_m = float(getattr(params, "gpi_radius_m", 1.5))
        self.gpi_hold_us = int(float(getattr(params, "gpi_hold_ms", 2000.0)) * 1e3)
        self._bound = False

    def bound_now(self) -> bool:
        """True once, on the call after the engine's phases and clocks were taken over (units may have changed)."""
        self._bind()
        fresh = self._bound and not getattr(self, "_told", False)
        self._told = self._bound
        return fresh

    def _bind(self) -> None:
        """Phases, clocks and outages from the engine, once it has drawn them (its first generation)."""
        eng = self.engine
        if self._bound or eng is None or not getattr(eng, "readers", None) or eng.readers[0].clock is None:
            return
        self._bound = True
        idx = {(a.reader, int(a.port)): i for i, a in enumerate(eng.ant)}
        for j, (r, port) in enumerate((k[0].decode(), k[1]) for k in self.keys):
            i = idx.get((r, port))
            if i is not None:
                self.off[j], self.len[j] = int(eng.a_off[i]), int(eng.a_len[i])
        self.unit_us = np.where(self.trig == PERIODIC, self.len, 1_000_000).astype(np.float64)
        by_id = {rd.id: rd for rd in eng.readers}
        self.clock = [by_id[r].clock if r in by_id else None for r in self.reader_ids]
        f = getattr(eng, "faults", None)
        if f is not None:
            for j, (r, port) in enumerate((k[0].decode(), k[1]) for k in self.keys):
                iv = [x for x in (f.down(r), f.down(r, port)) if len(x)]
                if iv:
                    self.down[j] = np.concatenate(iv).astype(np.int64).reshape(-1, 2)

    # -- inputs ----------------------------------------------------------------------------------------------------
    def observe(self, t0_us: int, t1_us: int, segments) -> None:
        """The motion the engine was given for [t0_us, t1_us): opens the GPI portals' trigger windows."""
        self.gpi_known = True
        if not len(self._gpi_r) or segments is None or not len(segments):
            return
        tags = segments if isinstance(segments, TagSegments) else TagSegments(
            *(segments[c] for c in TagSegments._COLS))
        live = (tags.t1_us > t0_us) & (tags.t0_us < t1_us) & (tags.level >= 0)
        iv, self._gpi_carry = triggers.gpi_intervals(int(t0_us), int(t1_us), self._gpi_xy, self._gpi_level,
                                                     self.gpi_radius_m, self.gpi_hold_us, self._gpi_carry, tags, live)
        for j, x in iv.items():
            self._gpi_iv[int(self._gpi_r[j])].append(x)

    def true_time(self, reader: np.ndarray, t_us: np.ndarray) -> np.ndarray:
        """Reader-clock times back to true time (the engine's clock model inverted to first order)."""
        self._bind()
        out = t_us.astype(np.int64).copy()
        for r in np.unique(reader).tolist():
            c = self.clock[r] if r >= 0 else None
            if c is None:
                continue
            m = reader == r
            out[m] = t_us[m] - np.rint(c.error_us(t_us[m])).astype(np.int64)
        return out

    def cycle(self, ant: np.ndarray, t_us: np.ndarray) -> np.ndarray:
        """Index of the report period whose slot of antenna `ant` holds (true) time t (0 for non-periodic ones)."""
        self._bind()
        P, off, ln = self.period_us[ant], self.off[ant], self.len[ant]
        k = np.floor((t_us - off - ln / 2) / P + 0.5).astype(np.int64)
        return np.where(self.trig[ant] == PERIODIC, k, 0)

    # -- exposure --------------------------------------------------------------------------------------------------
    def exposure(self, t0: int, S: int, step_us: int) -> np.ndarray:
        """(S, nA) inventory units of each antenna in each step of [t0, t0 + S step): slots or seconds alive."""
        self._bind()
        t1 = t0 + S * step_us
        special = {}
        for r, ivs in self._gpi_iv.items():
            iv = np.concatenate(ivs) if ivs else np.zeros((0, 2), np.int64)
            iv = iv[iv[:, 1] > t0 - 600_000_000]  # forget windows older than ten minutes
            self._gpi_iv[r] = [iv]
            iv = np.column_stack([np.maximum(iv[:, 0], t0), np.minimum(iv[:, 1], t1)])
            iv = iv[iv[:, 1] > iv[:, 0]]
            if not self.gpi_known:
                iv = np.zeros((0, 2), np.int64)
            for a in np.flatnonzero(self.ant_reader == r):
                special[int(a)] = iv
        for a, down in self.down.items():
            if np.any((down[:, 0] < t1) & (down[:, 1] > t0)):
                special[a] = subtract(special.get(a, np.array([[t0, t1]], np.int64)), down)
        wa, ws, we, _ = windows(t0, t1, self.period_us, special, self.off, self.len)
        s0, s1 = (ws - t0) // step_us, (we - 1 - t0) // step_us
        own, s = expand(s0, s1 + 1)
        lo = np.maximum(ws[own], t0 + s * step_us)
        hi = np.minimum(we[own], t0 + (s + 1) * step_us)
        X = np.zeros((S, self.nA))
        np.add.at(X, (s, wa[own]), (hi - lo) / self.unit_us[wa[own]])
        return X
