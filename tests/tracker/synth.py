"""A hand-made site and synthetic tag-report streams for the tracker's tests (no twin involved).

Site: room-a and room-b off a corridor; each door has a portal (one antenna per side); each room has a zone antenna
and room-a one shelf antenna. Streams are built row by row from a script of (t_s, reader, port, epc, rssi).
"""

from __future__ import annotations

import numpy as np

from twin.agents.epc import badge_epc, dossier_epc, item_epc
from twin.records import READ_DTYPE

T0 = 1_772_409_600 * 1_000_000
S = 1_000_000
DOSSIER = dossier_epc("0614141", 17, 1)
DOSSIER2 = dossier_epc("0614141", 18, 1)
BADGE = badge_epc("0614141", 7)
ITEM = item_epc("0614141", 3)
FOREIGN = "3074257BF7194E4000001A85"  # SGTIN-96 (a retail product): decodes, but not one of ours


def _portal(door: str, here: str, there: str, port: int) -> dict:
    return {"port": port, "kind": "portal", "covers": {"space": here, "door": door, "side": here, "other_side": there}}


SITE = {
    "format": "twin-site",
    "schema_version": 1,
    "spaces": [
        {"id": "corr", "kind": "corridor", "purpose": "circulation"},
        {"id": "room-a", "kind": "room", "purpose": "archive"},
        {"id": "room-b", "kind": "room", "purpose": "office"},
    ],
    "doors": [{"id": "d-a", "a": "corr", "b": "room-a"}, {"id": "d-b", "a": "corr", "b": "room-b"}],
    "storage": [{"id": "room-a/S1", "space": "room-a", "kind": "shelf"}, {"id": "room-a/S2", "space": "room-a", "kind": "shelf"}],
    "readers": [
        {"id": "R-a", "antennas": [{"port": 1, "kind": "zone", "covers": {"space": "room-a"}},
                                   {"port": 2, "kind": "shelf", "covers": {"space": "room-a", "storage": "room-a/S1"}},
                                   {"port": 3, "kind": "shelf", "covers": {"space": "room-a", "storage": "room-a/S2"}}]},
        {"id": "R-b", "antennas": [{"port": 1, "kind": "zone", "covers": {"space": "room-b"}}]},
        {"id": "R-d-a", "antennas": [_portal("d-a", "room-a", "corr", 1), _portal("d-a", "corr", "room-a", 2)]},
        {"id": "R-d-b", "antennas": [_portal("d-b", "room-b", "corr", 1), _portal("d-b", "corr", "room-b", 2)]},
        {"id": "H-1", "antennas": [{"port": 1, "kind": "handheld", "covers": {"space": "room-a", "mobile": True}}]},
    ],
    "adjacency": {"corr": ["room-a", "room-b"], "room-a": ["corr"], "room-b": ["corr"]},
    "exits": [],
}  # fmt: skip


def reads(rows: list[tuple]) -> np.ndarray:
    """READ_DTYPE rows from (t_s, reader, port, epc[, rssi_dbm[, count]])."""
    out = np.zeros(len(rows), READ_DTYPE)
    for i, r in enumerate(rows):
        t = T0 + int(round(r[0] * S))
        out[i] = (t, t, r[1], r[2], r[3], r[4] if len(r) > 4 else -50, r[5] if len(r) > 5 else 1, 0)
    return out


def stationary(epc: str, t0_s: float, t1_s: float, rate_hz: float, reader: str, port: int, rng: np.random.Generator,
               cross: tuple[str, int] | None = None, cross_share: float = 0.0, rssi: int = -50) -> list[tuple]:  # fmt: skip
    """Poisson reads of a still tag by one antenna, a share of them cross-read by another (weaker) antenna."""
    n = rng.poisson(rate_hz * (t1_s - t0_s))
    ts = np.sort(rng.uniform(t0_s, t1_s, n))
    out = []
    for t in ts.tolist():
        if cross and rng.random() < cross_share:
            out.append((t, cross[0], cross[1], epc, rssi - 15))
        else:
            out.append((t, reader, port, epc, rssi))
    return out


def walk_a_to_b(epc: str, t_s: float) -> list[tuple]:
    """A tag carried out of room-a, along the corridor (4 s, nothing reads it there) and into room-b."""
    rows = [(t_s + 0.0, "R-d-a", 1, epc, -45), (t_s + 0.4, "R-d-a", 1, epc, -42), (t_s + 0.9, "R-d-a", 2, epc, -44),
            (t_s + 1.3, "R-d-a", 2, epc, -40)]  # fmt: skip
    t = t_s + 6.0
    rows += [(t, "R-d-b", 2, epc, -44), (t + 0.4, "R-d-b", 2, epc, -41), (t + 0.8, "R-d-b", 1, epc, -43),
             (t + 1.2, "R-d-b", 1, epc, -40)]  # fmt: skip
    rows += [(t + 2 + k * 0.5, "R-b", 1, epc, -55) for k in range(20)]
    return rows
