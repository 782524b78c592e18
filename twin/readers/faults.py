"""Reader faults: readers offline and antennas disconnected over intervals, scheduled or drawn from MTBF/MTTR; and
doorway light barriers blocked or dead (`beam_faults`, applied to the GPIEvent rows by twin.readers.beams).

The intervals are ground truth (the bench scores `reader_offline` alerts against them: the world writes one
anomalies row per outage and per light-barrier fault); the engine produces no reads from a reader or antenna while
it is down. A light-barrier fault leaves the reads alone (the portal's start trigger is a separate sensor,
twin.readers.triggers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Iterable, Mapping

import numpy as np

from twin.errors import InputError, Problem

_EMPTY = np.zeros((0, 2), dtype=np.int64)


def _intervals(iv, where: str) -> np.ndarray:
    arr = np.asarray(list(iv) if not isinstance(iv, np.ndarray) else iv, dtype=np.int64).reshape(-1, 2)
    if np.any(arr[:, 1] <= arr[:, 0]):
        raise InputError(Problem("<faults>", where, arr.tolist(), "intervals [t0_us, t1_us) with t1_us > t0_us"))
    return merge(arr)


def merge(iv: np.ndarray) -> np.ndarray:
    """Sorted, non-overlapping union of (K, 2) half-open intervals."""
    if len(iv) == 0:
        return _EMPTY
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    out = [list(iv[0])]
    for a, b in iv[1:]:
        if a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return np.asarray(out, dtype=np.int64)


def random_outages(rng: np.random.Generator, t0_us: int, t1_us: int, mtbf_s: float, mttr_s: float) -> np.ndarray:
    """Alternating up/down periods with exponential up time (mean MTBF) and down time (mean MTTR) over [t0, t1)."""
    if mtbf_s <= 0 or mttr_s <= 0:
        raise InputError(Problem("<faults>", "mtbf_s/mttr_s", (mtbf_s, mttr_s), "positive durations in seconds"))
    out, t = [], float(t0_us)
    while True:
        t += rng.exponential(mtbf_s) * 1e6
        if t >= t1_us:
            break
        d = max(1.0, rng.exponential(mttr_s) * 1e6)
        out.append((int(t), int(min(t + d, t1_us))))
        t += d
    return np.asarray(out, dtype=np.int64).reshape(-1, 2)


@dataclass(frozen=True)
class Faults:
    """Down intervals per reader id and per (reader id, antenna port); empty means always up."""

    readers: Mapping[str, np.ndarray] = field(default_factory=dict)
    antennas: Mapping[tuple[str, int], np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        r = {k: _intervals(v, f"readers[{k}]") for k, v in self.readers.items()}
        a = {k: _intervals(v, f"antennas[{k}]") for k, v in self.antennas.items()}
        object.__setattr__(self, "readers", MappingProxyType(r))
        object.__setattr__(self, "antennas", MappingProxyType(a))

    @classmethod
    def random(cls, rng: np.random.Generator, reader_ids: Iterable[str], t0_us: int, t1_us: int, mtbf_s: float,
               mttr_s: float, scheduled: "Faults | None" = None) -> "Faults":
        """Random reader outages for each reader (in the given order), merged with any scheduled ones."""
        base = scheduled or cls()
        readers = dict(base.readers)
        for rid in reader_ids:
            drawn = random_outages(rng, t0_us, t1_us, mtbf_s, mttr_s)
            readers[rid] = merge(np.concatenate([readers.get(rid, _EMPTY), drawn]))
        return cls(readers, dict(base.antennas))

    def down(self, reader: str, port: int | None = None) -> np.ndarray:
        """Intervals when the reader (and, with a port, that antenna) produces nothing."""
        r = self.readers.get(reader, _EMPTY)
        if port is None:
            return r
        a = self.antennas.get((reader, port), _EMPTY)
        return merge(np.concatenate([r, a])) if len(a) else r

    def truth_rows(self) -> list[dict]:
        """Ground truth: one row per outage (kind reader_offline or antenna_disconnected)."""
        rows = [{"kind": "reader_offline", "reader": k, "port": 0, "t0_us": int(a), "t1_us": int(b)}
                for k, iv in self.readers.items() for a, b in iv]
        rows += [{"kind": "antenna_disconnected", "reader": k[0], "port": k[1], "t0_us": int(a), "t1_us": int(b)}
                 for k, iv in self.antennas.items() for a, b in iv]
        return sorted(rows, key=lambda r: (r["t0_us"], r["reader"], r["port"]))


def check_outages(outages, placement, file: str = "<scenario>") -> None:
    """Validate the scenario's scheduled outages (`faults.outages`) against the placement: each names a reader of it
    and, when it disconnects one antenna, a port of that reader. InputError naming the file, field and value."""
    from twin.errors import ProblemList

    problems = ProblemList(file)
    for i, o in enumerate(outages or ()):
        where = f"faults.outages[{i}]"
        r = placement.readers.get(o.reader)
        if r is None:
            problems.add(where + ".reader", o.reader, "a reader of the placement (" + ", ".join(
                sorted(placement.readers)) + ")")
            continue
        if o.antenna is not None and o.antenna not in {a.port for a in r.antennas}:
            ports = sorted(a.port for a in r.antennas)
            problems.add(where + ".antenna", o.antenna, f"an antenna port of reader {o.reader} "
                         f"({', '.join(map(str, ports)) if ports else 'it has none'})")
    problems.raise_if_any()


#: Light-barrier fault kinds: `blocked` (a box in the doorway, a misaligned reflector: the beam reads interrupted until
#: the fault ends) and `dead` (a dirty lens, a cut cable: the input reports nothing until the fault ends).
BEAM_FAULT_KINDS = ("blocked", "dead")


@dataclass(frozen=True)
class BeamFault:
    """One light barrier (a reader's GPI port) faulted over [t0_us, t1_us) of true time; `door` and `side` say where
    the beam is, `space` is the reader's (its first antenna's) space, as for its outages."""

    reader: str
    port: int
    kind: str
    t0_us: int
    t1_us: int
    door: str = ""
    side: str = ""
    space: str = ""
    scheduled: bool = True

    def detail(self) -> str:
        """The ground-truth row's detail; it names the reader as outages do ("reader R-x ...")."""
        return (f"reader {self.reader} light barrier {self.port} ({self.door}, {self.side} side) {self.kind} for "
                f"{(self.t1_us - self.t0_us) / 1e6:.0f} s")


def beam_faults(faults, placement, start_us: int, end_us: int, rng: np.random.Generator,
                file: str = "<scenario>") -> tuple[BeamFault, ...]:  # fmt: skip
    """The scenario's light-barrier faults over the run [start_us, end_us): the scheduled ones (`faults.beams`,
    validated against the placement: InputError naming the file, field and value) and random ones per light barrier
    in (reader, port) order (exponential up time of mean `beam_mtbf_h`, fault time of mean `beam_mttr_min`, blocked
    with probability `beam_blocked_share`; all assumptions). A random fault overlapping a scheduled one on the same
    beam is dropped. Faults are clipped to the run and sorted by (t0_us, reader, port)."""
    from twin.errors import ProblemList

    barriers = {(r.id, g.port): g for r in placement.readers.values() for g in r.gpi if g.kind == "light_barrier"}
    space = {rid: (r.antennas[0].space if r.antennas else "") for rid, r in placement.readers.items()}
    problems = ProblemList(file)
    out: list[BeamFault] = []
    for i, f in enumerate(getattr(faults, "beams", ()) or ()):
        where = f"faults.beams[{i}]"
        if f.reader not in placement.readers:
            problems.add(where + ".reader", f.reader, "a reader of the placement (" + ", ".join(
                sorted({r for r, _ in barriers})) + " have light barriers)")
            continue
        g = barriers.get((f.reader, f.port))
        if g is None:
            ports = sorted(p for r, p in barriers if r == f.reader)
            problems.add(where + ".port", f.port, f"a light-barrier GPI port of reader {f.reader} "
                         f"({', '.join(map(str, ports)) if ports else 'it has none'})")
            continue
        t0 = int(round(f.start.timestamp() * 1e6))
        t1 = t0 + int(round(f.duration_s * 1e6))
        out.append(BeamFault(f.reader, f.port, f.kind, t0, t1, g.door, g.side, space[f.reader]))
    problems.raise_if_any()
    mtbf_h = float(getattr(faults, "beam_mtbf_h", 0.0) or 0.0)
    if mtbf_h > 0:
        mttr_s = float(faults.beam_mttr_min) * 60.0
        share = float(faults.beam_blocked_share)
        for rid, port in sorted(barriers):
            g = barriers[(rid, port)]
            mine = [(f.t0_us, f.t1_us) for f in out if f.scheduled and (f.reader, f.port) == (rid, port)]
            t = start_us + rng.exponential(mtbf_h * 3600.0) * 1e6
            while t < end_us:
                d = max(1.0, rng.exponential(mttr_s) * 1e6)
                kind = BEAM_FAULT_KINDS[0] if rng.random() < share else BEAM_FAULT_KINDS[1]
                a, b = int(t), int(t + d)
                if not any(a < e and s < b for s, e in mine):
                    out.append(BeamFault(rid, port, kind, a, b, g.door, g.side, space[rid], scheduled=False))
                t += d + rng.exponential(mtbf_h * 3600.0) * 1e6
    clipped = [BeamFault(f.reader, f.port, f.kind, max(f.t0_us, start_us), min(f.t1_us, end_us), f.door, f.side,
                         f.space, f.scheduled) for f in out if f.t1_us > start_us and f.t0_us < end_us]  # fmt: skip
    return tuple(sorted(clipped, key=lambda f: (f.t0_us, f.reader, f.port)))

