"""Door light barriers: when each beam across a doorway is interrupted, as the LLRP GPIEvent rows of its reader.

A directional portal pairs its two antennas with two light barriers across the doorway, one just inside each face of
the door (placement `[[readers.gpi]]`, kind `light_barrier`): a person going through breaks the beam of the side they
come from first and the other one last, so the order of the interruptions gives the direction, and a walk past the
door breaks neither. The reader reports each change of a GPI input in a READER_EVENT_NOTIFICATION / GPIEvent
(GPIPortNumber, GPIEvent = the new state, Timestamp): here one reader_events row with `kind` "GPIEvent", `antenna` the
GPI port and `detail` "true" when the beam becomes interrupted, "false" when it clears.

The model (all assumptions; no published figures for doorway light barriers were found, see ANCHORS.md):
- a person is a disc of diameter BODY_DEPTH_M moving along their walk legs (every person in the station wears a
  badge tag, so the badges' legs are the people); a beam is the line across the door opening (its width) at
  BEAM_OFFSET_M from the door line on its side; it is interrupted while a body overlaps it;
- routes turn at door points, people do not: they square up to a doorway and go straight through. A leg that ends
  (starts) at the door point is taken as a passage square to the door at the leg's speed, on the door line at the
  leg's end (start), whatever angle the router's leg makes with the wall; a leg running along the door's wall line
  (the router's straight walk between two doors on one wall) passes the door at a walking clearance that keeps the
  body off both beams and breaks nothing; any other leg overlaps a beam where its geometry says;
- overlapping interruptions of one beam (two bodies, or gaps shorter than MERGE_GAP_US) are one interruption;
- each interruption is missed (no rows) with probability MISS_P, drawn from the beams' own stream.
Faults (scenario `[[faults.beams]]` or random ones, twin.readers.faults.beam_faults): a `blocked` beam (a box in
the doorway, a misaligned reflector) reports "true" at the fault's start (none when it already read interrupted) and
nothing until the fault ends; a `dead` one (a dirty lens, a cut cable) reports nothing while the fault lasts, its
input holding the last state it reported. At the end the beam reports its real state if that differs from the last
one it reported ("false" when nobody is in it), and works normally again. A fault changes neither the reads (the
portal's start trigger is a sensor of its own, twin.readers.triggers) nor the other beam of the door.
Left out: sensor response delay (a constant of a few ms), carried objects or doors swinging through a beam, people
standing in a doorway other than as their legs say, a beam that flickers (intermittent faults). No rows while the
reader's connection is down (a hung reader keeps its link and still reports its inputs); a beam still broken when the
link goes down clears unreported (no events are invented after reconnection).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from twin.building.geometry import inward_normal
from twin.building.model import Floor
from twin.records import READER_EVENTS_SCHEMA

from .placement import Placement

GPI_EVENT = "GPIEvent"
BEAM_KIND = "light_barrier"
#: Depth of a walking person's body at the beam's height, arm swing included (assumption: chest depth ~0.25 m
#: plus swinging hands).
BODY_DEPTH_M = 0.35
#: Distance of each beam from the door line, into its side (assumption: a barrier in the reveal near each face of
#: a ~0.2 m wall).
BEAM_OFFSET_M = 0.10
#: Probability that an interruption goes unreported (assumption: through-beam sensors rarely miss a body; kept
#: non-zero so a consumer copes with a single-beam passage).
MISS_P = 0.002
#: Interruptions of one beam closer than this merge into one (assumption: a sensor's off-delay / debounce).
MERGE_GAP_US = 20_000
#: A leg whose both ends lie within this of a door's line runs along its wall, and a leg end this close to the door
#: point is at it: the router's legs start and end exactly at door points (a chunk's cut lands anywhere).
ALONG_EPS_M = 1e-6
#: Below this duration a leg's speed (from µs-rounded times) is too coarse for the square passage; its own geometry
#: is used instead.
DOOR_LEG_MIN_US = 20_000


@dataclass(frozen=True)
class BeamSet:
    """The light barriers of a placement as columns (index b): reader id, GPI port, level index (Floor.levels
    order), door point, unit normal pointing to the beam's side, half opening width."""

    reader: tuple[str, ...]
    port: np.ndarray
    level: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    nx: np.ndarray
    ny: np.ndarray
    half_w: np.ndarray

    def __len__(self) -> int:
        return len(self.reader)


def beam_set(floor: Floor, placement: Placement) -> BeamSet:
    """Every light barrier of the placement's readers, in (reader, port) order."""
    lv = {name: i for i, name in enumerate(floor.levels)}
    rows = []
    for rid in sorted(placement.readers):
        for g in placement.readers[rid].gpi:
            if g.kind != BEAM_KIND:
                continue
            d = floor.doors[g.door]
            n = inward_normal(floor.spaces[g.side].polygon, d.position)
            rows.append((rid, g.port, lv[floor.spaces[g.side].level], d.position[0], d.position[1], n[0], n[1],
                         d.width_m / 2.0))  # fmt: skip
    cols = list(zip(*rows)) if rows else [()] * 8
    return BeamSet(tuple(cols[0]), np.array(cols[1], np.int64), np.array(cols[2], np.int64),
                   *(np.array(c, np.float64) for c in cols[3:]))  # fmt: skip


def _slab(a: np.ndarray, b: np.ndarray, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """The u-range where lo <= a + b u <= hi (empty as (inf, -inf); all u when b == 0 and a is inside)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        u0, u1 = (lo - a) / b, (hi - a) / b
    flat = b == 0
    inside = (a >= lo) & (a <= hi)
    umin = np.where(flat, np.where(inside, -np.inf, np.inf), np.minimum(u0, u1))
    umax = np.where(flat, np.where(inside, np.inf, -np.inf), np.maximum(u0, u1))
    return umin, umax


def interruptions(beams: BeamSet, t0_us, t1_us, level, x0, y0, x1, y1, *, body_depth_m: float = BODY_DEPTH_M,
                  offset_m: float = BEAM_OFFSET_M) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Per (leg, beam) pair where a body on the leg overlaps the beam: (beam index, on_us, off_us), true time.

    Legs are people's straight pieces (t0_us < t1_us, a static piece has equal ends). Intervals may reach outside
    the leg's time span where the leg ends or starts at the door point (see the module docstring)."""
    t0_us, t1_us = np.asarray(t0_us, np.int64), np.asarray(t1_us, np.int64)
    nb = len(beams)
    if nb == 0 or len(t0_us) == 0:
        z = np.zeros(0, np.int64)
        return z, z, z
    li, bi = np.nonzero(np.asarray(level)[:, None] == beams.level[None, :])
    cx, cy, nx, ny = beams.cx[bi], beams.cy[bi], beams.nx[bi], beams.ny[bi]
    ax, ay = np.asarray(x0, np.float64)[li] - cx, np.asarray(y0, np.float64)[li] - cy
    bx, by = np.asarray(x1, np.float64)[li] - cx, np.asarray(y1, np.float64)[li] - cy
    del cx, cy
    reach = beams.half_w[bi] + offset_m + body_depth_m  # a leg whose box misses this square breaks nothing
    close = ((np.minimum(ax, bx) <= reach) & (np.maximum(ax, bx) >= -reach) & (np.minimum(ay, by) <= reach)
             & (np.maximum(ay, by) >= -reach))  # fmt: skip
    if not close.all():
        li, bi, ax, ay, bx, by = li[close], bi[close], ax[close], ay[close], bx[close], by[close]
        nx, ny = nx[close], ny[close]
    n0, n1 = ax * nx + ay * ny, bx * nx + by * ny  # across the door, towards the beam's side
    l0, l1 = -ax * ny + ay * nx, -bx * ny + by * nx  # along the door line
    r = body_depth_m / 2.0
    dn = n1 - n0
    moving = (ax != bx) | (ay != by)
    along = (np.abs(n0) < ALONG_EPS_M) & (np.abs(n1) < ALONG_EPS_M) & moving
    at0 = moving & ~along & (np.hypot(ax, ay) < ALONG_EPS_M)  # the leg leaves from the door point
    at1 = moving & ~along & (np.hypot(bx, by) < ALONG_EPS_M)  # the leg arrives at the door point
    # A leg through the opening elsewhere: the u-range where the body overlaps the beam inside the opening.
    un_lo, un_hi = _slab(n0, dn, offset_m - r, offset_m + r)
    ul_lo, ul_hi = _slab(l0, l1 - l0, -beams.half_w[bi], beams.half_w[bi])
    lo = np.maximum.reduce([np.zeros(len(li)), un_lo, ul_lo])
    hi = np.minimum.reduce([np.ones(len(li)), un_hi, ul_hi])
    span = (t1_us[li] - t0_us[li]).astype(np.float64)
    on = t0_us[li] + lo * span
    off = t0_us[li] + hi * span
    hit = (hi > lo) & ~along
    # A leg ending (starting) at the door point: a straight passage square to the door at the leg's speed, the body
    # on the door line at the leg's end (start): n(t) = sigma * v * (t_door - t), sigma the side it comes from.
    door = at0 | at1
    if door.any():
        v = np.hypot(bx - ax, by - ay) / np.maximum(span, 1.0)  # m per µs
        sigma = np.where(at1, np.sign(n0), -np.sign(n1))
        t_door = np.where(at1, t1_us[li], t0_us[li]).astype(np.float64)
        ok = door & (v > 0) & (sigma != 0) & (span >= DOOR_LEG_MIN_US)
        vs = np.where(ok, v, 1.0)
        near = np.where(sigma > 0, (offset_m - r) / vs, -(offset_m + r) / vs)  # t_door - t at the ends of the overlap
        far = np.where(sigma > 0, (offset_m + r) / vs, -(offset_m - r) / vs)
        on = np.where(ok, t_door - far, on)
        off = np.where(ok, t_door - near, off)
        hit |= ok
    li, bi, on, off = li[hit], bi[hit], np.rint(on[hit]).astype(np.int64), np.rint(off[hit]).astype(np.int64)
    k = off > on
    return bi[k], on[k], off[k]


def merge_intervals(beam: np.ndarray, on: np.ndarray, off: np.ndarray, gap_us: int = MERGE_GAP_US):
    """Union per beam of intervals closer than gap_us: (beam, on, off, first) sorted by (beam, on); `first` is the
    index (into the input) of the interval each merged one starts with."""
    if not len(beam):
        z = np.zeros(0, np.int64)
        return z, z, z, z
    o = np.lexsort((on, beam))
    b, a, e = beam[o], on[o], off[o]
    reach = np.zeros(len(b), np.int64)
    new = np.ones(len(b), bool)
    cur_b, cur = -1, np.iinfo(np.int64).min
    for i in range(len(b)):  # a handful of intervals per chunk
        if b[i] == cur_b and a[i] <= cur + gap_us:
            new[i] = False
            cur = max(cur, int(e[i]))
        else:
            cur_b, cur = int(b[i]), int(e[i])
        reach[i] = cur
    s = np.flatnonzero(new)
    ends = np.r_[s[1:], len(b)] - 1
    return b[s], a[s], reach[ends], o[s]


class DoorBeams:
    """The light barriers of a placement, chunk by chunk: `rows(t0_us, t1_us, legs)` -> GPIEvent rows (true time).

    `legs` are the people's pieces over the chunk (columns t0_us, t1_us, level, x0, y0, x1, y1). An interruption
    still going on at the chunk's end is carried into the next chunk, where later pieces may extend it.
    `silent(reader)` gives the (K, 2) µs intervals when the reader's connection is down (no rows then)."""

    def __init__(self, floor: Floor, placement: Placement, rng: np.random.Generator, silent=None,
                 miss_p: float = MISS_P, faults=()) -> None:  # fmt: skip
        self.beams = beam_set(floor, placement)
        #: per faulted beam index: its faults (twin.readers.faults.BeamFault, true time) in time order
        ix = {(r, int(p)): j for j, (r, p) in enumerate(zip(self.beams.reader, self.beams.port.tolist()))}
        self._faults: dict[int, list] = {}
        for f in sorted(faults, key=lambda f: f.t0_us):
            self._faults.setdefault(ix[(f.reader, f.port)], []).append(f)
        # per faulted beam: [real state, reported state, kind of the fault going on or None]
        self._fstate = {j: [False, False, None] for j in self._faults}
        self.rng = rng
        self.miss_p = float(miss_p)
        silent = silent or (lambda _r: np.zeros((0, 2), np.int64))
        #: per beam index with any: the (K, 2) µs intervals its reader's connection is down (known up front)
        self._down = {j: np.asarray(iv, np.int64).reshape(-1, 2) for j, r in enumerate(self.beams.reader)
                      if len(iv := silent(r))}  # fmt: skip
        # carried: beam, on_us, off_us, missed (its "true" row already sent unless missed)
        self._carry = (np.zeros(0, np.int64),) * 3 + (np.zeros(0, bool),)

    def __len__(self) -> int:
        return len(self.beams)

    def rows(self, t0_us: int, t1_us: int, legs) -> pa.Table:
        """GPIEvent rows with true times in [t0_us, t1_us) (READER_EVENTS_SCHEMA, reader clock NOT applied), sorted
        by (time, reader, port)."""
        if not len(self.beams):
            return READER_EVENTS_SCHEMA.empty_table()
        b, on, off = interruptions(self.beams, legs["t0_us"], legs["t1_us"], legs["level"], legs["x0"], legs["y0"],
                                   legs["x1"], legs["y1"])  # fmt: skip
        on = np.maximum(on, t0_us)
        k = off > on
        cb, con, coff, cmiss = self._carry
        nc = len(cb)
        mb, mon, moff, first = merge_intervals(np.r_[cb, b[k]], np.r_[con, on[k]], np.r_[coff, off[k]])
        carried = first < nc
        missed = np.zeros(len(mb), bool)
        missed[carried] = cmiss[first[carried]]
        fresh = np.flatnonzero(~carried)
        if len(fresh):  # one draw per new interruption, in (beam, time) order
            missed[fresh] = self.rng.random(len(fresh)) < self.miss_p
        done = moff < t1_us
        self._carry = (mb[~done], mon[~done], moff[~done], missed[~done])
        send_on = ~carried & ~missed
        send_off = done & ~missed
        beam = np.r_[mb[send_on], mb[send_off]]
        t = np.r_[mon[send_on], moff[send_off]]
        state = np.r_[np.ones(send_on.sum(), bool), np.zeros(send_off.sum(), bool)]
        if self._faults:
            beam, t, state = self._apply_faults(t0_us, t1_us, beam, t, state)
        if not len(t):
            return READER_EVENTS_SCHEMA.empty_table()
        if self._down:
            keep = np.ones(len(t), bool)
            for j in set(np.unique(beam).tolist()) & self._down.keys():
                m = np.flatnonzero(beam == j)
                iv = self._down[j]
                down = ((t[m, None] >= iv[None, :, 0]) & (t[m, None] < iv[None, :, 1])).any(axis=1)
                keep[m[down]] = False
            beam, t, state = beam[keep], t[keep], state[keep]
        readers = self.beams.reader
        o = np.lexsort((self.beams.port[beam], beam, t))  # beams are in (reader, port) order
        beam, t, state = beam[o], t[o], state[o]
        return pa.table({"t_us": pa.array(t, pa.int64()),
                         "reader": pa.array([readers[j] for j in beam.tolist()], pa.string()),
                         "antenna": pa.array(self.beams.port[beam], pa.uint16()),
                         "kind": pa.array([GPI_EVENT] * len(t), pa.string()),
                         "detail": pa.array(np.where(state, "true", "false").tolist(), pa.string())},
                        schema=READER_EVENTS_SCHEMA)  # fmt: skip

    def _apply_faults(self, t0_us: int, t1_us: int, beam: np.ndarray, t: np.ndarray, state: np.ndarray):
        """The chunk's rows of the faulted beams as their faults leave them (module docstring): per faulted beam, its
        rows and the fault starts and ends in [t0_us, t1_us) in time order (at one instant an end, then a start, then
        the rows)."""
        keep = np.ones(len(t), bool)
        add_b: list[int] = []
        add_t: list[int] = []
        add_s: list[bool] = []
        for j, fs in self._faults.items():
            ev = [(int(f.t1_us), 0, f.kind) for f in fs if t0_us <= f.t1_us < t1_us]
            ev += [(int(f.t0_us), 1, f.kind) for f in fs if t0_us <= f.t0_us < t1_us]
            m = np.flatnonzero(beam == j)
            if not ev and self._fstate[j][2] is None:  # no fault now: rows pass, the states follow them
                if len(m):
                    last = m[np.argmax(t[m])]
                    self._fstate[j][0] = self._fstate[j][1] = bool(state[last])
                continue
            keep[m] = False
            ev += [(int(t[i]), 2, bool(state[i])) for i in m]
            st = self._fstate[j]
            for tt, what, arg in sorted(ev, key=lambda e: (e[0], e[1])):
                out = None
                if what == 2:  # a row of the real beam
                    st[0] = arg
                    if st[2] is None and st[1] != arg:
                        out = arg
                elif what == 1:  # a fault starts
                    st[2] = arg
                    if arg == "blocked" and not st[1]:
                        out = True
                else:  # a fault ends: the beam says how it really is
                    st[2] = None
                    if st[1] != st[0]:
                        out = st[0]
                if out is not None:
                    st[1] = out
                    add_b.append(j)
                    add_t.append(tt)
                    add_s.append(out)
        if not add_t and keep.all():
            return beam, t, state
        return (np.r_[beam[keep], np.array(add_b, np.int64)], np.r_[t[keep], np.array(add_t, np.int64)],
                np.r_[state[keep], np.array(add_s, bool)])


def with_beams(status: pa.Table, beams: pa.Table, clock) -> pa.Table:
    """The chunk's status rows and its GPIEvent rows (true time) in one table on the readers' clocks, ordered by
    (reader-clock time, reader, kind) like the status stream; `clock(reader)` -> object with to_reader or None."""
    if beams.num_rows == 0:
        return status
    t = beams.column("t_us").to_numpy().copy()
    rd = np.array(beams.column("reader").to_pylist(), dtype=object)
    for r in set(rd.tolist()):
        c = clock(r)
        if c is not None:
            m = rd == r
            t[m] = c.to_reader(t[m])
    beams = beams.set_column(0, "t_us", pa.array(t, pa.int64()))
    both = pa.concat_tables([status, beams])
    # Arrow's sort is stable: status rows tied on all three keep their order
    return both.sort_by([("t_us", "ascending"), ("reader", "ascending"), ("kind", "ascending")])
