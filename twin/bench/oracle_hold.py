"""Two moves of the oracle's motion model that the site graph alone misses: the side a crossing left a tag on, and
the road.

Put down: a carried tag (on a generic place of a space) goes to the space's storage units at PUT_DOWN_RATE, not at
the re-placing rate of a tag at rest: in the truth a dossier carried into a room is laid down within seconds, and
its unit may be one whose antenna hears it only at the next inventory (a minute later) or never; while it was left on
the room's generic places, the portal's silence as its carrier walked out refuted them and sent it to the corridor.

Holds: a tag the door light barriers saw cross a door (`oracle_beams.share` sent its belief to the crossing's
destination) is inside the region of that space -- the spaces reached from it without crossing a door whose beams
work (`regions`) -- until a crossing out of the region at which the door's portal heard it: with the beams working,
every way out is seen. Until then the belief outside the region is dropped in each step of the filter. Without the hold, the count likelihood of the
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


HOLD_MASS = 0.5  # a crossing holds a tag whose belief is mostly on its destination after the step (assumption: the
#                 side the MAP estimate shows; otherwise the reads decide)


PUT_DOWN_RATE = 1.0 / 20.0  # per s: a dossier carried into a space with storage units is put down on one (assumption:
#                            whoever carries it in files or lays it down within seconds of arriving; it is carried on
#                            through spaces without units, and the units' silence refutes a wrong put-down)


class Holds:
    """Per tag: the space a beam crossing sent it into (and when); it is held in that space's region."""

    def __init__(self) -> None:
        self.dest: dict[int, int] = {}
        self.since: dict[int, int] = {}

    def for_pass(self, core, T: np.ndarray) -> "PassHolds":
        return PassHolds(core, self, T)


def regions(core) -> np.ndarray:
    """Per space index (and one more, for padding: -1): its region -- the spaces reached without crossing a door
    whose light barriers work (doors without a portal, doors whose beams do not work, stairs and lifts join)."""
    m, b = core.m, core.beams
    NS = len(m.space_ids)
    sp = {s: i for i, s in enumerate(m.space_ids)}
    parent = list(range(NS))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    cut = {(int(a), int(c)) for (a, c), live in zip(core.door_ab.tolist(), b.live.tolist()) if live}
    joins = [(sp[d.a], sp[d.b]) for d in m.floor.doors.values()] + [(sp[k.a], sp[k.b]) for k in m.floor.links.values()]
    watched = {(sp[m.floor.doors[d].a], sp[m.floor.doors[d].b]) for d in core._portal_doors() if d in m.floor.doors}
    for a, c in joins:
        if (a, c) in watched and ((a, c) in cut or (c, a) in cut):
            continue
        parent[find(a)] = find(c)
    return np.array([find(x) for x in range(NS)] + [-1], np.int64)


class PassHolds:
    """The holds of one filter pass over the tags T (arrays by row), written back by `save`."""

    def __init__(self, core, holds: Holds, T: np.ndarray) -> None:
        self.core, self.holds, self.T = core, holds, T
        self.region = regions(core)
        n = len(T)
        self.dest = np.full(n, -1, np.int64)
        self.since = np.zeros(n, np.int64)
        self.until = np.full(n, np.iinfo(np.int64).max, np.int64)
        if holds.dest:
            rows = np.flatnonzero(np.isin(T, np.fromiter(holds.dest, np.int64)))
            for g in rows.tolist():
                self.dest[g] = holds.dest[int(T[g])]
                self.since[g] = holds.since[int(T[g])]
            self._release(rows)

    def _release(self, rows: np.ndarray) -> None:
        """Until when each row's hold stands: the first directed crossing out of its region after it began that the
        tag could have made -- the door's portal heard it near the crossing (a portal inventories whenever its door
        sensor fires, and reads a tag carried through it; somebody else walking out leaves the tag where it is)."""
        b, R = self.core.beams, self.region
        ab = self.core.door_ab
        for g in rows.tolist():
            r = R[self.dest[g]]
            out = (R[b.dest] != r) & ((R[ab[b.door, 0]] == r) | (R[ab[b.door, 1]] == r)) & (b.t > self.since[g])
            later = np.flatnonzero(out)
            for k in later[np.argsort(b.t[later])].tolist():
                if b.heard_near(int(self.T[g]), int(b.door[k]), int(b.t[k])):
                    self.until[g] = int(b.t[k])
                    break

    def inside(self, Bs: np.ndarray, g: np.ndarray, to: np.ndarray) -> np.ndarray:
        """Per row g: its belief (Bs: per space) already in the region of space `to` before the step."""
        R = self.region
        nR = int(R.max()) + 1
        per = np.zeros((len(g), nR))
        sp = np.arange(Bs.shape[1] - 1)
        for k, row in enumerate(g.tolist()):
            np.add.at(per[k], R[sp], Bs[row, :-1])
        return per[np.arange(len(g)), R[to]]

    def start(self, g: np.ndarray, to: np.ndarray, share: np.ndarray, mass: np.ndarray, t_us: int) -> None:
        """Rows g a crossing of this step sent into space `to` (share: the beams' share of each; mass: their belief on
        `to` after the step's evidence, 0 for rows mostly in its region before the step). Held: the rows the beams'
        crossing took (share) that the step's evidence leaves mostly in `to` (a tag resting beside the door, already
        on that side, is not held by somebody else's crossing)."""
        sent = (share >= self.core.beams.cross) & (mass > HOLD_MASS)
        if not sent.any():
            return
        g = g[sent]
        self.dest[g], self.since[g] = to[sent], t_us
        self.until[g] = np.iinfo(np.int64).max
        self._release(np.unique(g))

    def mask(self, B: np.ndarray, sidx: np.ndarray, t_us: int) -> np.ndarray:
        """Drop the belief outside each held row's region at t_us (off-site places, reached by road, excepted; rows
        left with nothing keep theirs)."""
        on = (self.dest >= 0) & (self.since <= t_us) & (t_us < self.until)
        if not on.any():
            return B
        g = np.flatnonzero(on)
        R = self.region
        off = (R[sidx[g]] != R[self.dest[g]][:, None]) & (sidx[g] < len(R) - 1)
        off &= ~self.core.offsite_space[sidx[g]]
        kept = np.where(off, 0.0, B[g])
        tot = kept.sum(axis=1)
        ok = tot > 0
        B[g[ok]] = kept[ok] / tot[ok, None]
        return B

    def save(self, t_end: int) -> None:
        h = self.holds
        for g in range(len(self.T)):
            tag = int(self.T[g])
            if self.dest[g] >= 0 and self.until[g] > t_end:
                h.dest[tag], h.since[tag] = int(self.dest[g]), int(self.since[g])
            else:
                h.dest.pop(tag, None)
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
