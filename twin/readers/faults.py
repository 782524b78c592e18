"""Reader faults: readers offline and antennas disconnected over intervals, scheduled or drawn from MTBF/MTTR.

The intervals are ground truth (the bench scores `reader_offline` alerts against them); the engine produces no reads
from a reader or antenna while it is down.
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
