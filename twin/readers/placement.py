"""Reader placement model: fixed readers with multiplexed antennas, and handhelds. Immutable once validated.

A placement is kept apart from the floor (a planner compares several on one floor). The TOML loader and its
validation against a Floor live in `twin.readers.placementfile`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

ANTENNA_KINDS = ("portal", "zone", "shelf", "desk", "handheld")
READER_KINDS = ("fixed", "handheld")
SESSIONS = ("S0", "S1", "S2", "S3")
#: How a reader starts its inventory (LLRP ROSpecStartTrigger): always on; one antenna cycle at the start of every
#: report period, reported at its end (Periodic); or while a door's motion/light-barrier sensor fires (GPI).
TRIGGERS = ("continuous", "periodic", "gpi")
#: What may hang on a reader's GPI input (LLRP GPIPortNumber): a light barrier across a doorway.
GPI_KINDS = ("light_barrier",)


@dataclass(frozen=True)
class Antenna:
    """One antenna port of a reader, where it hangs and what it is meant to cover.

    `azimuth_deg` is the boresight direction in the plan (0 = +x, counter-clockwise); `beamwidth_deg` the half-power
    beam width. For a portal antenna `door` is the door it watches and `space` the side of the door it stands in.
    For a shelf/cabinet/desk antenna `storage` is the unit it watches. A handheld antenna has no fixed position: the
    world moves it with the officer carrying it.

    `power_dbm`, when set, is this port's transmit power, overriding the reader's (LLRP AntennaConfiguration ->
    RFTransmitter.TransmitPower is per antenna). `isolation_db` is the extra loss, each way, between an antenna
    mounted in a storage unit and any tag outside that unit: the steel sides, top and back of the bay around it
    and a short-range (near-field) shelf antenna's fast roll-off; only antennas that watch a unit may have it.
    """

    reader: str
    port: int
    kind: str
    level: str
    position: tuple[float, float]
    height_m: float
    azimuth_deg: float
    beamwidth_deg: float
    gain_dbi: float
    space: str
    door: str = ""
    storage: str = ""
    power_dbm: float | None = None
    isolation_db: float = 0.0

    @property
    def key(self) -> tuple[str, int]:
        return (self.reader, self.port)


@dataclass(frozen=True)
class GpiInput:
    """A sensor wired to one of a reader's GPI ports (LLRP GPIPortNumber, 1-based).

    A `light_barrier` is a beam across the opening of `door`, just inside the doorway on the `side` space's face;
    it reports GPIEvent true while something interrupts it and false when it clears (twin.readers.beams).
    """

    reader: str
    port: int
    kind: str
    door: str
    side: str


@dataclass(frozen=True)
class Reader:
    """A reader: transmit power, Gen2 session, antenna dwell and report period, its antennas, its start trigger and
    the sensors on its GPI inputs."""

    id: str
    kind: str
    power_dbm: float
    session: str
    dwell_ms: float
    report_period_ms: float
    antennas: tuple[Antenna, ...]
    trigger: str = "continuous"
    gpi: tuple[GpiInput, ...] = ()

    def power_of(self, antenna: Antenna) -> float:
        """Transmit power (dBm) at `antenna`: its own setting if it has one, else the reader's."""
        return self.power_dbm if antenna.power_dbm is None else antenna.power_dbm


@dataclass(frozen=True)
class Placement:
    name: str
    source: str
    schema_version: int
    floor: str  # name of the floor it was validated against
    readers: Mapping[str, Reader]

    def __post_init__(self) -> None:
        object.__setattr__(self, "readers", MappingProxyType(dict(self.readers)))

    @property
    def antennas(self) -> tuple[Antenna, ...]:
        return tuple(a for r in self.readers.values() for a in r.antennas)

    @property
    def gpi_inputs(self) -> tuple[GpiInput, ...]:
        return tuple(g for r in self.readers.values() for g in r.gpi)

    def antenna(self, reader: str, port: int) -> Antenna:
        for a in self.readers[reader].antennas:
            if a.port == port:
                return a
        raise KeyError((reader, port))
