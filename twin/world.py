"""Puts the building, the readers and the agents on one simpy.Environment and runs it chunk by chunk.

Each chunk advances the SimPy clock to the chunk's end, asks the ledger for the motion of every tag over the chunk,
has the reader engine turn that motion into tag reports, and hands out the reads, the business events, the anomalies,
the truth intervals closed meanwhile and the readers' status rows (keepalives, reader events, and the GPIEvents of the
doorway light barriers the people's legs break, twin.readers.beams, as their faults leave them). Nothing of a chunk
is kept once it is yielded (DESIGN: bounded memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import pyarrow as pa
import simpy

from .agents.journal import Journal
from .agents.ledger import Ledger
from .readers.beams import with_beams
from .rng import Streams
from .scenario import Scenario


@dataclass(frozen=True)
class Outage:
    """A reader down (or one of its antennas disconnected) over [t0_s, t1_s) of simulated time."""

    reader: str
    antenna: int | None
    t0_s: float
    t1_s: float
    space: str


def draw_outages(faults, placement, start, duration_s: float, rng: np.random.Generator,
                 file: str = "<scenario>") -> list[Outage]:  # fmt: skip
    """Scheduled outages from the scenario (validated against the placement: InputError naming the file, field and
    value) plus random ones per fixed reader (exponential MTBF / MTTR).

    Exponential failure and repair times are an assumption (no published figures for reader outages).
    """
    from .readers.faults import check_outages

    check_outages(faults.outages, placement, file)
    out: list[Outage] = []
    for o in faults.outages:
        r = placement.readers.get(o.reader)
        space = r.antennas[0].space if r is not None and r.antennas else ""
        t0 = (o.start - start).total_seconds()
        out.append(Outage(o.reader, o.antenna, t0, t0 + o.duration_s, space))
    if faults.mtbf_h > 0:
        for rid in sorted(placement.readers):
            r = placement.readers[rid]
            if r.kind != "fixed":
                continue
            t = float(rng.exponential(faults.mtbf_h * 3600.0))
            while t < duration_s:
                d = float(rng.exponential(faults.mttr_min * 60.0))
                out.append(Outage(rid, None, t, t + d, r.antennas[0].space if r.antennas else ""))
                t += d + float(rng.exponential(faults.mtbf_h * 3600.0))
    return [o for o in out if o.t1_s > 0 and o.t0_s < duration_s]


@dataclass
class Chunk:
    """What one chunk of simulated time produced (times in µs since the epoch; [t0_us, t1_us))."""

    t0_us: int
    t1_us: int
    reads: np.ndarray  # READ_DTYPE, sorted by t_us
    events: pa.Table  # EVENTS_SCHEMA
    anomalies: pa.Table  # ANOMALIES_SCHEMA
    truth: pa.Table  # TRUTH_SCHEMA: intervals closed in this chunk (the last chunk closes all)
    segments: np.ndarray  # twin.agents.ledger.SEGMENT_DTYPE: the motion of every tag the engine was given
    handhelds: np.ndarray  # twin.agents.ledger.HANDHELD_DTYPE: where switched-on handheld readers were
    counters: dict = field(default_factory=dict)
    reader_events: pa.Table | None = None  # READER_EVENTS_SCHEMA: keepalives, reader event notifications, GPIEvents


class World:
    """The whole station for one scenario: floor, graph, placement, reader engine, population and agents."""

    def __init__(self, scenario: Scenario, *, agents=None, engine_factory=None):
        """`agents` = (build_population, start_agents) and `engine_factory(floor, placement, params, streams)`
        replace the shipped agents and reader engine (tests and what-if studies); by default the real ones."""
        from .building.floorfile import load_floor
        from .building.graph import FloorGraph
        from .readers.placementfile import load_placement

        if agents is None:
            from .agents.population import build_population, start_agents
        else:
            build_population, start_agents = agents
        real_engine = engine_factory is None
        if real_engine:
            from .readers.engine import ReaderEngine as engine_factory

        self.scenario = scenario
        self._real_engine = real_engine
        self.streams = Streams(scenario.seed)
        self.floor = load_floor(scenario.floor)
        self.graph = FloorGraph(self.floor)
        self.placement = load_placement(scenario.placement, self.floor)
        self.outages: list[Outage] = draw_outages(
            scenario.faults, self.placement, scenario.start, scenario.duration_s,
            self.streams.generator("faults"), self._source_name(),
        )
        self.status = self._reader_status()
        self.beam_faults = self._beam_faults()
        self.beams = self._door_beams()
        if real_engine:
            self.engine = engine_factory(self.floor, self.placement, None, self.streams,
                                         faults=self._engine_faults(), t_ref_us=scenario.start_us)
        else:
            self.engine = engine_factory(self.floor, self.placement, None, self.streams)
        self._hh_port = {r.id.encode(): (r.antennas[0].port if r.antennas else 1)
                         for r in self.placement.readers.values() if r.kind == "handheld"}
        self.env = simpy.Environment()
        self.ledger = Ledger(self.floor, scenario.start_us, clock=lambda: self.env.now)
        self.journal = Journal(scenario.start_us)
        self.population = build_population(scenario, self.floor, self.graph, self.streams.generator("population"))
        start_agents(self.env, self.population, self.ledger, self.journal, self.graph, scenario,
                     self.streams.child("agents"))
        self._people = self._badges()
        self._is_person = np.zeros(0, np.int8)  # per ledger tag index: 1 a badge, 0 not, -1 not seen yet

    def _us(self, t_s: float) -> int:
        return self.scenario.start_us + int(round(t_s * 1e6))

    def run(self) -> Iterator[Chunk]:
        """Advance the simulation chunk by chunk (scenario.chunk_s) until the scenario's end, yielding each chunk."""
        scn = self.scenario
        end_s = scn.duration_s
        t0 = 0.0
        pending = sorted(self.outages, key=lambda o: o.t0_s)
        k = kb = 0
        while t0 < end_s:
            t1 = min(t0 + scn.chunk_s, end_s)
            if t1 > self.env.now:
                self.env.run(until=t1)
            while k < len(pending) and pending[k].t0_s < t1:
                o = pending[k]
                detail = f"reader {o.reader} offline for {o.t1_s - o.t0_s:.0f} s"
                if o.antenna is not None:
                    detail = f"antenna {o.reader}:{o.antenna} disconnected for {o.t1_s - o.t0_s:.0f} s"
                self.journal.anomaly(max(o.t0_s, 0.0), "reader_offline", space=o.space, detail=detail)
                k += 1
            while kb < len(self.beam_faults) and self.beam_faults[kb].t0_us < self._us(t1):
                f = self.beam_faults[kb]  # a light barrier blocked or dead: truth beside the outages
                self.journal.anomaly((f.t0_us - scn.start_us) / 1e6, "reader_offline", space=f.space,
                                     detail=f.detail())
                kb += 1
            segs = self.ledger.segments(t0, t1)
            hh = self.ledger.handheld_antennas(t0, t1)
            reads = self.engine.generate(self._us(t0), self._us(t1), self._tag_segments(segs),
                                         antennas_override=self._antenna_track(hh))
            reads = self._drop_offline(reads, t0, t1)
            events, anomalies = self.journal.drain()
            truth = self.ledger.closed_truth() if t1 < end_s else self.ledger.close(end_s)
            status = self.status.rows(self._us(t0), self._us(t1))
            n_gpi = 0
            if len(self.beams):
                gpi = self.beams.rows(self._us(t0), self._us(t1), self._people_rows(segs))
                n_gpi = gpi.num_rows
                status = with_beams(status, gpi, self._reader_clock)
            yield Chunk(
                self._us(t0), self._us(t1), reads, events, anomalies, truth, segs, hh,
                {"segments": len(segs), "handheld_segments": len(hh), "reader_events": status.num_rows,
                 "gpi_events": n_gpi},
                reader_events=status,
            )
            t0 = t1

    def _reader_status(self):
        """The status stream of the fixed readers (keepalives, connection and antenna events) from the outages; how
        each outage shows is drawn from its own stream, so the reads do not change."""
        from .readers.keepalive import KEEPALIVE_S, ReaderStatus, draw_modes

        end = self.scenario.duration_s
        spans = [(o.reader, o.antenna or 0, self._us(max(o.t0_s, 0.0)), self._us(min(o.t1_s, end)))
                 for o in self.outages]
        rng = self.streams.generator("reader_status")
        fixed = [rid for rid in sorted(self.placement.readers) if self.placement.readers[rid].kind != "handheld"]
        keepalive_s = getattr(self.scenario.faults, "keepalive_s", KEEPALIVE_S)
        return ReaderStatus(fixed, draw_modes([s for s in spans if s[3] > s[2]], rng), keepalive_s, rng,
                            clock=self._reader_clock)

    def _badges(self) -> np.ndarray:
        """The badge EPCs of the people the twin moves (every officer wears one): their legs break door beams."""
        officers = getattr(self.population, "officers", None) or ()
        if hasattr(officers, "values"):
            officers = officers.values()
        epcs = {str(e).encode() for e in (getattr(o, "badge_epc", None) for o in officers) if e}
        return np.array(sorted(epcs), dtype="S24")

    def _people_rows(self, segs: np.ndarray) -> np.ndarray:
        """The chunk's segments of the people's badges (tag indices are stable for the run: each is looked up once)."""
        tags = segs["tag"]
        if not len(tags) or not len(self._people):
            return segs[:0]
        known = self._is_person
        if int(tags.max()) >= len(known):
            known = self._is_person = np.r_[known, np.full(int(tags.max()) + 1 - len(known), -1, np.int8)]
        new = known[tags] < 0
        if new.any():
            known[tags[new]] = np.isin(segs["epc"][new], self._people)
        return segs[known[tags] == 1]

    def _door_beams(self):
        """The doorway light barriers of the placement (GPIEvent rows), drawn from their own stream so the reads and
        the other status rows do not change; silent while the reader's connection is down."""
        from .readers.beams import DoorBeams

        empty = np.zeros((0, 2), np.int64)
        return DoorBeams(self.floor, self.placement, self.streams.generator("door_beams"),
                         silent=lambda r: self.status.silent.get(r, empty), faults=self.beam_faults)

    def _source_name(self) -> str:
        """The scenario file as error messages name it."""
        from .errors import display_path

        return display_path(self.scenario.source) if self.scenario.source else "<scenario>"

    def _beam_faults(self):
        """The scenario's light-barrier faults, scheduled (validated against the placement) and random (drawn from
        their own stream, so nothing else changes; none unless `[faults] beam_mtbf_h` > 0)."""
        from .readers.faults import beam_faults

        scn = self.scenario
        return beam_faults(scn.faults, self.placement, scn.start_us, scn.end_us, self.streams.generator("beam_faults"),
                           self._source_name())

    def _reader_clock(self, reader: str):
        """The engine's clock of a reader once drawn (None before the first chunk and for stand-in engines)."""
        clocks = getattr(self, "_clocks", None)
        if clocks is None:
            clocks = {getattr(rd, "id", None): getattr(rd, "clock", None)
                      for rd in getattr(self.engine, "readers", ()) or ()}
            if any(c is None for c in clocks.values()):
                return clocks.get(reader)  # not drawn yet: ask again next chunk
            self._clocks = clocks
        return clocks.get(reader)

    def _engine_faults(self):
        """The outages in the reader engine's terms (µs intervals per reader and per disconnected antenna)."""
        from .readers.faults import Faults

        readers: dict[str, list] = {}
        antennas: dict[tuple[str, int], list] = {}
        for o in self.outages:
            iv = [self._us(max(o.t0_s, 0.0)), self._us(min(o.t1_s, self.scenario.duration_s))]
            if iv[1] <= iv[0]:
                continue
            if o.antenna is None:
                readers.setdefault(o.reader, []).append(iv)
            else:
                antennas.setdefault((o.reader, o.antenna), []).append(iv)
        return Faults(readers, antennas)

    def _tag_segments(self, segs: np.ndarray):
        if self._real_engine:
            from .readers.segments import TagSegments

            return TagSegments(*(segs[c] for c in TagSegments._COLS))
        return segs

    def _antenna_track(self, hh: np.ndarray):
        if not self._real_engine:
            return hh
        if len(hh) == 0:
            return None
        from .readers.segments import AntennaTrack

        port = np.array([self._hh_port.get(r, 1) for r in hh["reader"]], dtype=np.uint16)
        return AntennaTrack(hh["reader"], port, hh["t0_us"], hh["t1_us"], hh["level"], hh["x0"], hh["y0"],
                            hh["x1"], hh["y1"], hh["azimuth_deg"])

    def _drop_offline(self, reads: np.ndarray, t0: float, t1: float) -> np.ndarray:
        """No reports from a reader (or a disconnected antenna) while it is down."""
        if len(reads) == 0 or not self.outages:
            return reads
        keep = np.ones(len(reads), dtype=bool)
        for o in self.outages:
            if o.t1_s <= t0 or o.t0_s >= t1:
                continue
            hit = (reads["reader"] == o.reader.encode()) & (reads["t_us"] >= self._us(o.t0_s)) & (
                reads["first_us"] < self._us(o.t1_s)
            )
            if o.antenna is not None:
                hit &= reads["antenna"] == o.antenna
            keep &= ~hit
        return reads[keep]

