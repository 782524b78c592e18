"""Two moves of the oracle's motion model that the site graph alone misses: the side a crossing left a tag on, and
the road.

Put down: a carried tag (on a generic place of a space) goes to the space's storage units at PUT_DOWN_RATE, not at
the re-placing rate of a tag at rest: in the truth a dossier carried into a room is laid down within seconds, and
its unit may be one whose antenna hears it only at the next inventory (a minute later) or never; while it was left on
the room's generic places, the portal's silence as its carrier walked out refuted them and sent it to the corridor.

Side holds: a tag the door light barriers saw cross a door (`oracle_beams.share` sent its belief to the crossing's
destination) cannot be back on the side it came from until somebody crosses towards that side again: with the
beams working, every way back through that door is seen. Until such a crossing (or the door's beams stop working),
the belief on the origin space is dropped in each step of the filter. Without the hold, the count likelihood of the
portal's cross-reads (a tag put down just inside a room is heard by the corridor antenna too, more than the doorway
places' sample points explain) pulled the tiny belief the filter keeps everywhere back to the corridor ~9 s after
the crossing.

The road: a dossier the case software checked out to an off-site place (`checkout`, detail "procuratorate; ...")
that is in an outside space (the car park, the forecourt) is driven there at DRIVE_RATE per second: the off-site
place is one more state of the motion model, reached from the outside spaces, and silence there is what the truth
gives. Without it a dossier carried to the car park and driven away drifted, by the portal's silences, back into
the dark corridors and stairs of the building and stayed there for hours.
"""

from __future__ import annotations

import numpy as np

DRIVE_RATE = 1.0 / 30.0  # per s: a checked-out dossier in an outside space leaves by road (assumption: officers
#                          carry it to a car and drive off within a minute; the tracker's offsite_silence_s is 30 s)


HOLD_MASS = 0.5  # a crossing holds a tag when it sent more than this of its belief across (assumption: the side the
#                 MAP estimate shows; a crossing that moved less leaves the reads to decide)


PUT_DOWN_RATE = 1.0 / 20.0  # per s: a dossier carried into a space with storage units is put down on one (assumption:
#                            whoever carries it in files or lays it down within seconds of arriving; it is carried on
#                            through spaces without units, and the units' silence refutes a wrong put-down)


class Holds:
    """Per tag: the origin space it may not be in since a beam crossing (start time), until a crossing back."""

    def __init__(self) -> None:
        self.origin: dict[int, int] = {}
        self.since: dict[int, int] = {}

    def for_pass(self, core, T: np.ndarray) -> "PassHolds":
        return PassHolds(core, self, T)


class PassHolds:
    """The holds of one filter pass over the tags T (arrays by row), written back by `save`."""

    def __init__(self, core, holds: Holds, T: np.ndarray) -> None:
        self.core, self.holds, self.T = core, holds, T
        n = len(T)
        self.origin = np.full(n, -1, np.int64)
        self.since = np.zeros(n, np.int64)
        self.until = np.full(n, np.iinfo(np.int64).max, np.int64)
        if holds.origin:
            rows = np.flatnonzero(np.isin(T, np.fromiter(holds.origin, np.int64)))
            for g in rows.tolist():
                self.origin[g] = holds.origin[int(T[g])]
                self.since[g] = holds.since[int(T[g])]
            self._release(rows)

    def _release(self, rows: np.ndarray) -> None:
        """Until when each row's hold stands: the first directed crossing towards its origin after it began that the
        tag could have made -- the door's portal heard it near the crossing (a portal inventories whenever its door
        sensor fires, and reads a tag carried through it; somebody else walking out leaves the tag where it is)."""
        b = self.core.beams
        for g in rows.tolist():
            later = np.flatnonzero((b.dest == self.origin[g]) & (b.t > self.since[g]))
            for k in later[np.argsort(b.t[later])].tolist():
                if b.heard_near(int(self.T[g]), int(b.door[k]), int(b.t[k])):
                    self.until[g] = int(b.t[k])
                    break

    def start(self, g: np.ndarray, frm: np.ndarray, share: np.ndarray, mass: np.ndarray, t_us: int) -> None:
        """Rows g whose belief on frm a crossing of this step sent across (share: the beams' share of each; mass: the
        belief it sent). Held: the rows the beams' crossing took (share) with most of their belief (a tag resting
        beside the door, its belief on a unit, is not held by somebody else's crossing)."""
        sent = (share >= self.core.beams.cross) & (mass > HOLD_MASS)
        if not sent.any():
            return
        g = g[sent]
        self.origin[g], self.since[g] = frm[sent], t_us
        self.until[g] = np.iinfo(np.int64).max
        self._release(np.unique(g))

    def mask(self, B: np.ndarray, sidx: np.ndarray, t_us: int) -> np.ndarray:
        """Drop the belief on each held row's origin space at t_us (rows left with nothing keep theirs)."""
        on = (self.origin >= 0) & (self.since <= t_us) & (t_us < self.until)
        if not on.any():
            return B
        g = np.flatnonzero(on)
        off = sidx[g] == self.origin[g][:, None]
        kept = np.where(off, 0.0, B[g])
        tot = kept.sum(axis=1)
        ok = tot > 0
        B[g[ok]] = kept[ok] / tot[ok, None]
        return B

    def save(self, t_end: int) -> None:
        h = self.holds
        for g in range(len(self.T)):
            tag = int(self.T[g])
            if self.origin[g] >= 0 and self.until[g] > t_end:
                h.origin[tag], h.since[tag] = int(self.origin[g]), int(self.since[g])
            else:
                h.origin.pop(tag, None)
                h.since.pop(tag, None)


def put_down(B: np.ndarray, putting: np.ndarray, share_unit: np.ndarray, flat: np.ndarray, n: int, NS: int,
             dt_s: float) -> np.ndarray:  # fmt: skip
    """Move PUT_DOWN_RATE x dt of the belief on carried places (putting: generic candidates of a space with units in
    the support) to that space's units, by their prior weights (share_unit)."""
    if not putting.any():
        return B
    moving = np.where(putting, B, 0.0) * (1.0 - np.exp(-PUT_DOWN_RATE * dt_s))
    per = np.bincount(flat, moving.ravel(), minlength=n * (NS + 1)).reshape(n, NS + 1)
    nsp = share_unit.shape
    return B - moving + np.take_along_axis(per, flat.reshape(nsp) % (NS + 1), 1) * share_unit


def road_targets(core, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per tag row: (candidate of the off-site place an open checkout names, -1 else; the checkout's time)."""
    n = len(T)
    dest, t_co = np.full(n, -1, np.int64), np.zeros(n, np.int64)
    co = core.offsite.checkout
    if not co or not n:
        return dest, t_co
    known = core._epcs._ids
    pos = {known[e.encode("ascii")]: e for e in co if e.encode("ascii") in known}
    for g, tag in enumerate(T.tolist()):
        e = pos.get(int(tag))
        if e is None:
            continue
        t, sp = co[e]
        gen = core.gen_of_space[sp]
        if len(gen) and core.m.c_level[gen[0]] < 0:
            dest[g], t_co[g] = int(gen[0]), int(t)
    return dest, t_co


def drive(core, B: np.ndarray, C: np.ndarray, sidx: np.ndarray, dest: np.ndarray, t_co: np.ndarray, t_us: int,
          dt_s: float) -> np.ndarray:  # fmt: skip
    """Move DRIVE_RATE x dt of the belief in outside spaces to the checkout's off-site place (rows with one)."""
    on = (dest >= 0) & (t_co <= t_us)
    if not on.any():
        return B
    g = np.flatnonzero(on)
    col = C[g] == dest[g][:, None]
    has = col.any(axis=1)
    g, col = g[has], col[has]
    if not len(g):
        return B
    out = core.outside[sidx[g]] & ~col
    frac = 1.0 - np.exp(-DRIVE_RATE * dt_s)
    moved = np.where(out, B[g] * frac, 0.0)
    B[g] -= moved
    B[g] += col * moved.sum(axis=1, keepdims=True)
    return B
