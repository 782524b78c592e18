"""Columnar inputs of the read engine: where tags are (TagSegments) and where carried antennas are (AntennaTrack).

A tag's path over a generation interval is one or more straight legs (static when start == end). Level and container
indices refer to the floor's `levels` and `storage` mappings in their order (`Floor.levels`, `Floor.storage`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.errors import InputError, Problem

EPC_DTYPE = "S24"


def _col(v, dtype, n=None):
    a = np.asarray(v, dtype=dtype)
    if n is not None and a.ndim == 0:
        a = np.full(n, a, dtype=dtype)
    return np.ascontiguousarray(a)


def _check(obj, names: tuple[str, ...], where: str) -> None:
    n = len(getattr(obj, names[0]))
    for name in names:
        if len(getattr(obj, name)) != n:
            raise InputError(Problem(where, name, len(getattr(obj, name)), f"{n} rows like `{names[0]}`"))
    bad = np.flatnonzero(obj.t1_us <= obj.t0_us)
    if len(bad):
        i = int(bad[0])
        raise InputError(Problem(where, f"t1_us[{i}]", int(obj.t1_us[i]), f"> t0_us = {int(obj.t0_us[i])}"))


@dataclass(frozen=True)
class TagSegments:
    """N straight-leg segments: tag `tag[i]` (EPC `epc[i]`) moves from (x0, y0) at t0_us to (x1, y1) at t1_us."""

    tag: np.ndarray  # int64 tag index (any stable id of the tag)
    epc: np.ndarray  # S24: 24 uppercase hex characters
    t0_us: np.ndarray  # int64
    t1_us: np.ndarray  # int64, > t0_us
    level: np.ndarray  # int32 index into Floor.levels
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    container: np.ndarray  # int32 index into Floor.storage, -1 when not in a storage unit

    _COLS = ("tag", "epc", "t0_us", "t1_us", "level", "x0", "y0", "x1", "y1", "container")
    _TYPES = ("<i8", EPC_DTYPE, "<i8", "<i8", "<i4", "<f8", "<f8", "<f8", "<f8", "<i4")

    def __post_init__(self) -> None:
        for name, dt in zip(self._COLS, self._TYPES):
            object.__setattr__(self, name, _col(getattr(self, name), dt))
        _check(self, self._COLS, "<TagSegments>")

    def __len__(self) -> int:
        return len(self.tag)

    @classmethod
    def static(cls, epc, level, x, y, t0_us: int, t1_us: int, container=-1, tag=None) -> "TagSegments":
        """Tags resting at (x, y) over the whole of [t0_us, t1_us)."""
        epc = _col(epc, EPC_DTYPE)
        n = len(epc)
        x = _col(x, "<f8", n)
        y = _col(y, "<f8", n)
        return cls(np.arange(n) if tag is None else tag, epc, _col(t0_us, "<i8", n), _col(t1_us, "<i8", n),
                   _col(level, "<i4", n), x, y, x, y, _col(container, "<i4", n))

    @classmethod
    def concat(cls, parts: list["TagSegments"]) -> "TagSegments":
        return cls(*(np.concatenate([getattr(p, c) for p in parts]) for c in cls._COLS))

    def take(self, idx) -> "TagSegments":
        return TagSegments(*(getattr(self, c)[idx] for c in self._COLS))

    @property
    def is_static(self) -> np.ndarray:
        return (self.x0 == self.x1) & (self.y0 == self.y1)

    def position(self, idx: np.ndarray, t_us: np.ndarray) -> np.ndarray:
        """(len(idx), 2) positions of segments idx at times t_us (clamped to each segment's interval)."""
        t0 = self.t0_us[idx]
        span = (self.t1_us[idx] - t0).astype(np.float64)
        f = np.clip((np.asarray(t_us, dtype=np.float64) - t0) / span, 0.0, 1.0)
        x = self.x0[idx] + f * (self.x1[idx] - self.x0[idx])
        y = self.y0[idx] + f * (self.y1[idx] - self.y0[idx])
        return np.stack([x, y], axis=1)


@dataclass(frozen=True)
class AntennaTrack:
    """Where carried (handheld) antennas are: reader/port of each row, active over [t0_us, t1_us), straight legs.

    An antenna named here is active only inside its rows for the generation call; elsewhere it reads nothing.
    `azimuth_deg` is the boresight in the plan (NaN: keep the placement's).
    """

    reader: np.ndarray  # S32 reader id
    port: np.ndarray  # uint16
    t0_us: np.ndarray
    t1_us: np.ndarray
    level: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    azimuth_deg: np.ndarray

    _COLS = ("reader", "port", "t0_us", "t1_us", "level", "x0", "y0", "x1", "y1", "azimuth_deg")
    _TYPES = ("S32", "<u2", "<i8", "<i8", "<i4", "<f8", "<f8", "<f8", "<f8", "<f8")

    def __post_init__(self) -> None:
        for name, dt in zip(self._COLS, self._TYPES):
            object.__setattr__(self, name, _col(getattr(self, name), dt))
        _check(self, self._COLS, "<AntennaTrack>")

    def __len__(self) -> int:
        return len(self.reader)

    def rows_of(self, reader: str, port: int) -> np.ndarray:
        return np.flatnonzero((self.reader == reader.encode("ascii")) & (self.port == port))
