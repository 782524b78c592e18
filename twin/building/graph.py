"""Walking graph of a floor and fastest routes between points, with door crossings and timings.

Two graphs: `spaces` (space ids joined by one edge per door or link) for topology, and `waypoints` (doors and link
ends joined by straight walks inside a space — spaces are convex — and by links with fixed traversal times) for
routing. Waypoint-to-waypoint fastest times are computed once (scipy Dijkstra), so a route costs a few array lookups;
routes are also memoised because agents walk the same few trips thousands of times a day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from .model import Floor

#: Typical unhurried indoor walking speed, m/s (assumption; ~1.2–1.4 m/s is the common figure for adults).
NOMINAL_SPEED_MPS = 1.3
#: Tiny cost added per graph hop so equal-time paths prefer fewer hops: a walk past a door on a corridor wall
#: never reads as going through it.
HOP_S = 1e-6
_CACHE_MAX = 100_000


@dataclass(frozen=True)
class Place:
    """A point in a space (in an external space the point is irrelevant: off-site distances are zero)."""

    space: str
    xy: tuple[float, float]


@dataclass(frozen=True)
class Leg:
    """A straight walk inside one space, or a link traversal (p0 == p1, in the space being left; a road to an
    off-site place is spent in that place, so a car's trip is never pictured waiting at the gate).

    Times are relative to the route start.
    """

    space: str
    level: str
    t0_s: float
    t1_s: float
    p0: tuple[float, float]
    p1: tuple[float, float]


@dataclass(frozen=True)
class Crossing:
    """Passing a door or arriving through a link (`via` is its id) from one space into the next, at `t_s` (leaving,
    for a road to an off-site place)."""

    via: str
    t_s: float
    from_space: str
    to_space: str


@dataclass(frozen=True)
class Route:
    origin: Place
    dest: Place
    legs: tuple[Leg, ...]
    crossings: tuple[Crossing, ...]
    length_m: float
    duration_s: float


def link_end(link_id: str, space: str) -> str:
    """Waypoint node id of a link's end in a space."""
    return f"{link_id}@{space}"


class FloorGraph:
    """Routes on a validated floor: fastest path at the nominal speed, timed at the walker's speed."""

    def __init__(self, floor: Floor, *, nominal_speed_mps: float = NOMINAL_SPEED_MPS):
        if nominal_speed_mps <= 0:
            raise ValueError(f"nominal_speed_mps must be > 0, got {nominal_speed_mps}")
        self.floor = floor
        self.nominal_speed_mps = float(nominal_speed_mps)
        self.spaces = nx.MultiGraph()
        self.waypoints = nx.Graph()
        self._xy: dict[str, tuple[float, float]] = {}
        self._node_spaces: dict[str, tuple[str, ...]] = {}
        self._link_of: dict[str, str] = {}  # link-end node -> link id
        members: dict[str, list[str]] = {s: [] for s in floor.spaces}
        for s in floor.spaces.values():
            self.spaces.add_node(s.id, level=s.level, kind=s.kind, purpose=s.purpose)
        for d in floor.doors.values():
            self._add_node(d.id, d.position, (d.a, d.b), members)
            length = self._dist(d.a, floor.spaces[d.a].centroid, d.position)
            length += self._dist(d.b, d.position, floor.spaces[d.b].centroid)
            self.spaces.add_edge(d.a, d.b, key=d.id, length_m=length, fixed_s=0.0, kind=d.kind)
        for lk in floor.links.values():
            for s in (lk.a, lk.b):
                node = link_end(lk.id, s)
                self._add_node(node, floor.spaces[s].centroid, (s,), members)
                self._link_of[node] = lk.id
            self.spaces.add_edge(lk.a, lk.b, key=lk.id, length_m=0.0, fixed_s=lk.traversal_s, kind=lk.kind)
            self.waypoints.add_edge(
                link_end(lk.id, lk.a),
                link_end(lk.id, lk.b),
                length_m=0.0,
                fixed_s=lk.traversal_s,
                weight_s=lk.traversal_s + HOP_S,
                via=lk.id,
                space="",
            )
        for sid, nodes in members.items():
            for i, u in enumerate(nodes):
                for v in nodes[i + 1 :]:
                    if self.waypoints.has_edge(u, v):
                        continue  # two doors joining the same two spaces: one straight walk either way
                    length = self._dist(sid, self._xy[u], self._xy[v])
                    self.waypoints.add_edge(
                        u, v, length_m=length, fixed_s=0.0, weight_s=length / self.nominal_speed_mps + HOP_S, space=sid
                    )
        self._members = {s: frozenset(n) for s, n in members.items()}
        self._nodes = list(self.waypoints.nodes)
        self._index = {n: i for i, n in enumerate(self._nodes)}
        self._space_idx = {s: np.array([self._index[n] for n in members[s]], dtype=np.intp) for s in members}
        self._space_xy = {
            s: np.array([self._xy[n] for n in members[s]], dtype=np.float64).reshape(-1, 2) for s in members
        }
        self._time, self._pred = self._all_pairs()
        self._cache: dict[tuple[Place, Place, float], Route] = {}

    # -- construction helpers ----------------------------------------------------------------------------------
    def _add_node(self, node: str, xy, spaces: tuple[str, ...], members: dict[str, list[str]]) -> None:
        self._xy[node] = (float(xy[0]), float(xy[1]))
        self._node_spaces[node] = spaces
        self.waypoints.add_node(node, xy=self._xy[node], spaces=spaces)
        for s in spaces:
            members[s].append(node)

    def _dist(self, space: str, p, q) -> float:
        """Straight walking distance inside a space (zero off-site: external spaces have no geometry)."""
        if not self.floor.spaces[space].has_geometry:
            return 0.0
        return math.hypot(q[0] - p[0], q[1] - p[1])

    def _all_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        n = len(self._nodes)
        if n == 0:
            return np.zeros((0, 0)), np.zeros((0, 0), dtype=np.int32)
        rows, cols, vals = [], [], []
        for u, v, w in self.waypoints.edges(data="weight_s"):
            rows += [self._index[u], self._index[v]]
            cols += [self._index[v], self._index[u]]
            vals += [w, w]
        mat = csr_matrix((vals, (rows, cols)), shape=(n, n))
        time, pred = shortest_path(mat, method="D", directed=True, return_predecessors=True)
        return time, pred

    # -- places ------------------------------------------------------------------------------------------------
    def place_of_storage(self, storage_id: str) -> Place:
        """Access point just in front of the unit, inside its space."""
        u = self.floor.storage[storage_id]
        return Place(u.space, u.access_point)

    def place_in(self, space: str) -> Place:
        """The space's centroid (external spaces: (0, 0))."""
        s = self.floor.spaces[space]
        return Place(space, tuple(s.centroid))

    def place_at_door(self, door_id: str, space: str) -> Place:
        """The door's position, counted as standing in `space` (one of its two sides)."""
        d = self.floor.doors[door_id]
        if space not in (d.a, d.b):
            raise ValueError(f"door {door_id} joins {d.a} and {d.b}, not {space}")
        return Place(space, d.position)

    def adjacent(self, a: str, b: str) -> bool:
        """True when a door or link joins the two spaces directly."""
        return self.spaces.has_edge(a, b)

    # -- routing -----------------------------------------------------------------------------------------------
    def route(self, origin: Place, dest: Place, speed_mps: float) -> Route:
        """Fastest route at the nominal speed; leg times at `speed_mps` plus fixed link times."""
        key = (origin, dest, speed_mps)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if speed_mps <= 0:
            raise ValueError(f"speed_mps must be > 0, got {speed_mps}")
        for p in (origin, dest):
            if p.space not in self.floor.spaces:
                raise KeyError(f"unknown space {p.space!r}")
        path = [] if origin.space == dest.space else self._node_path(origin, dest)
        r = self._assemble(origin, dest, path, float(speed_mps))
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[key] = r
        return r

    def _node_path(self, origin: Place, dest: Place) -> list[str]:
        io, jd = self._space_idx[origin.space], self._space_idx[dest.space]
        if io.size == 0 or jd.size == 0:
            raise ValueError(f"no route from {origin.space} to {dest.space}")
        co = self._leave_cost(origin)
        cd = self._leave_cost(dest)
        total = co[:, None] + self._time[np.ix_(io, jd)] + cd[None, :]
        flat = int(np.argmin(total))
        i, j = divmod(flat, jd.size)
        if not np.isfinite(total[i, j]):
            raise ValueError(f"no route from {origin.space} to {dest.space}")
        a, b = int(io[i]), int(jd[j])
        out = [b]
        pred = self._pred[a]
        while out[-1] != a:
            out.append(int(pred[out[-1]]))
        return [self._nodes[k] for k in reversed(out)]

    def _leave_cost(self, p: Place) -> np.ndarray:
        """Time at nominal speed from a place to each waypoint of its space (plus one hop)."""
        xy = self._space_xy[p.space]
        if not self.floor.spaces[p.space].has_geometry:
            return np.full(len(xy), HOP_S)
        d = np.hypot(xy[:, 0] - p.xy[0], xy[:, 1] - p.xy[1])
        return d / self.nominal_speed_mps + HOP_S

    def _assemble(self, origin: Place, dest: Place, path: list[str], speed: float) -> Route:
        legs: list[Leg] = []
        crossings: list[Crossing] = []
        spaces = self.floor.spaces
        state = {"t": 0.0, "len": 0.0}

        def walk(space: str, p0, p1) -> None:
            dist = self._dist(space, p0, p1)
            t0 = state["t"]
            state["t"] = t0 + dist / speed
            state["len"] += dist
            legs.append(Leg(space, spaces[space].level, t0, state["t"], tuple(p0), tuple(p1)))

        here = origin.space
        pos = origin.xy
        arrived = False  # just came through a link: already standing on this node
        for k, node in enumerate(path):
            nxt = path[k + 1] if k + 1 < len(path) else None
            if not arrived:
                walk(here, pos, self._xy[node])
            arrived = False
            pos = self._xy[node]
            link = self._link_of.get(node)
            if link is not None:
                if nxt is not None and self._link_of.get(nxt) == link:
                    lk = self.floor.links[link]
                    t0 = state["t"]
                    state["t"] = t0 + lk.traversal_s
                    there = self._node_spaces[nxt][0]
                    if spaces[there].kind == "external":  # a road away: the trip is spent off-site, not at the gate
                        crossings.append(Crossing(link, t0, here, there))
                        legs.append(Leg(there, spaces[there].level, t0, state["t"], self._xy[nxt], self._xy[nxt]))
                    else:
                        legs.append(Leg(here, spaces[here].level, t0, state["t"], pos, pos))
                        crossings.append(Crossing(link, state["t"], here, there))
                    here = there
                    arrived = True
                continue
            if (nxt is None and here != dest.space) or (nxt is not None and nxt not in self._members[here]):
                there = self.floor.doors[node].other(here)
                crossings.append(Crossing(node, state["t"], here, there))
                here = there
        if here != dest.space:  # pragma: no cover - guarded by construction
            raise AssertionError(f"route ended in {here}, not {dest.space}")
        walk(here, pos, dest.xy)
        return Route(origin, dest, tuple(legs), tuple(crossings), state["len"], state["t"])
