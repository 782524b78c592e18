"""The tracker's own reading of site.json: spaces, storage units and antennas as small integer tables.

The tracker knows the site only through this file (DESIGN rule 1). Every antenna port becomes an index into flat
numpy arrays (space, storage, kind, door, side) so a chunk of reads is mapped to places with array lookups only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..errors import ProblemList

KIND_CODES = {"zone": 0, "shelf": 1, "desk": 2, "portal": 3, "handheld": 4}
STORAGE_PURPOSES = ("dossier_room", "archive", "evidence_room")


@dataclass(frozen=True)
class SiteModel:
    """Integer tables of a site. Index -1 means "none" throughout."""

    spaces: tuple[str, ...]
    purposes: tuple[str, ...]
    storage: tuple[str, ...]
    storage_space: np.ndarray  # storage index -> space index
    doors: tuple[str, ...]
    readers: tuple[str, ...]
    ant_reader: np.ndarray  # antenna index -> reader index
    ant_port: np.ndarray
    ant_kind: np.ndarray  # KIND_CODES
    ant_space: np.ndarray  # the space the antenna says (portal: its own side)
    ant_storage: np.ndarray  # shelf/desk antennas: their unit
    ant_door: np.ndarray  # portal antennas: door index
    ant_other: np.ndarray  # portal antennas: the space beyond the door
    port_lut: np.ndarray  # (reader index, port) -> antenna index, -1 when not installed
    adjacency: tuple[frozenset[int], ...]  # space index -> indices one door or link away
    portal_pairs: frozenset[frozenset[int]]  # space pairs all of whose doors are watched by portals
    #: door index -> its two space indices (site.json `a`, `b`; -1 for a door only portal antennas name)
    door_spaces: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int32))
    #: door light barriers (site.json reader `gpi`, kind light_barrier), one row per beam: reader index, GPI port,
    #: door index, and the space on whose side of the doorway the beam lies
    gpi_reader: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    gpi_port: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    gpi_door: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    gpi_space: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    @property
    def n_antennas(self) -> int:
        return len(self.ant_kind)

    def hops(self) -> np.ndarray:
        """Doors-and-links distance between every two spaces (breadth-first; unreachable: a large number)."""
        n = len(self.spaces)
        d = np.full((n + 1, n + 1), 1 << 20, np.int32)  # last row/column: "no space" (index -1)
        for s in range(n):
            d[s, s] = 0
            frontier, k = [s], 0
            while frontier:
                k += 1
                nxt = []
                for u in frontier:
                    for v in self.adjacency[u]:
                        if d[s, v] > k:
                            d[s, v] = k
                            nxt.append(v)
                frontier = nxt
        return d

    def space_index(self, name: str) -> int:
        try:
            return self.spaces.index(name)
        except ValueError:
            return -1


def _rows(obj: Any) -> list[Mapping]:
    if isinstance(obj, Mapping):
        return [{"id": k, **v} for k, v in obj.items() if isinstance(v, Mapping)]
    return [r for r in (obj or []) if isinstance(r, Mapping)]


def site_model(site: Mapping[str, Any], source: str = "site.json") -> SiteModel:
    """Build the integer tables; problems (unknown spaces, bad ports) raise InputError naming the field."""
    pl = ProblemList(source)
    spaces = [str(s.get("id", "")) for s in _rows(site.get("spaces"))]
    purposes = [str(s.get("purpose") or "unknown") for s in _rows(site.get("spaces"))]
    sidx = {s: i for i, s in enumerate(spaces)}

    def space_of(name: str, where: str) -> int:
        if name not in sidx:  # a site may name places only in covers (hand-made sites): add them
            sidx[name] = len(spaces)
            spaces.append(name)
            purposes.append("unknown")
        return sidx[name]

    units = [(str(u.get("id", "")), str(u.get("space", ""))) for u in _rows(site.get("storage"))]
    uidx = {u: i for i, (u, _) in enumerate(units)}
    doors: list[str] = []
    didx: dict[str, int] = {}
    door_pair: dict[str, tuple[int, int]] = {}
    for i, d in enumerate(_rows(site.get("doors"))):
        did = str(d.get("id", ""))
        didx[did] = len(doors)
        doors.append(did)
        door_pair[did] = (space_of(str(d.get("a", "")), f"doors[{i}].a"), space_of(str(d.get("b", "")), f"doors[{i}].b"))
    readers: list[str] = []
    ants: list[tuple] = []
    for ri, r in enumerate(_rows(site.get("readers"))):
        rid = str(r.get("id", ""))
        if not rid:
            pl.add(f"readers[{ri}].id", r.get("id"), "a reader id")
            continue
        readers.append(rid)
        for ai, a in enumerate(r.get("antennas") or []):
            try:
                port = int(a.get("port"))
            except (TypeError, ValueError):
                pl.add(f"readers[{ri}].antennas[{ai}].port", a.get("port"), "an antenna port number (1-based)")
                continue
            cov = a.get("covers") or {}
            kind = str(a.get("kind") or "zone")
            if kind not in KIND_CODES:
                pl.add(f"readers[{ri}].antennas[{ai}].kind", kind, f"one of {sorted(KIND_CODES)}")
                continue
            unit = str(cov.get("storage") or "")
            if unit and unit not in uidx:
                uidx[unit] = len(units)
                units.append((unit, str(cov.get("space", ""))))
            space = str(cov.get("side") or cov.get("space") or (units[uidx[unit]][1] if unit else ""))
            door = str(cov.get("door") or "")
            other = str(cov.get("other_side") or "")
            if kind == "portal" and door and door not in didx:
                didx[door] = len(doors)
                doors.append(door)
            ants.append((len(readers) - 1, port, KIND_CODES[kind], space_of(space, "") if space else -1,
                         uidx[unit] if unit else -1, didx.get(door, -1), space_of(other, "") if other else -1))
    for u, sp in units:
        if sp:
            space_of(sp, "")
    gpi = _light_barriers(site, readers, didx, door_pair, sidx, pl)
    pl.raise_if_any()
    cols = list(zip(*ants)) if ants else [()] * 7
    arr = [np.array(c, dtype=np.int32) for c in cols]
    max_port = int(arr[1].max()) if len(arr[1]) else 0
    lut = np.full((max(len(readers), 1), max_port + 1), -1, dtype=np.int32)
    for i, (r, p) in enumerate(zip(arr[0].tolist(), arr[1].tolist())):
        lut[r, p] = i
    adj: list[set[int]] = [set() for _ in spaces]
    for a, b in door_pair.values():
        adj[a].add(b)
        adj[b].add(a)
    for k in _rows(site.get("links")):
        a, b = space_of(str(k.get("a", "")), ""), space_of(str(k.get("b", "")), "")
        adj += [set() for _ in range(len(spaces) - len(adj))]
        adj[a].add(b)
        adj[b].add(a)
    for s, nbrs in (site.get("adjacency") or {}).items():
        i = space_of(str(s), "")
        adj += [set() for _ in range(len(spaces) - len(adj))]
        for n in nbrs:
            j = space_of(str(n), "")
            adj += [set() for _ in range(len(spaces) - len(adj))]
            adj[i].add(j)
            adj[j].add(i)
    adj += [set() for _ in range(len(spaces) - len(adj))]
    watched = {int(d) for d, k in zip(arr[5].tolist(), arr[2].tolist()) if k == KIND_CODES["portal"] and d >= 0}
    pairs: dict[frozenset, bool] = {}
    for did, (a, b) in door_pair.items():
        key = frozenset((a, b))
        pairs[key] = pairs.get(key, True) and didx[did] in watched
    return SiteModel(
        spaces=tuple(spaces), purposes=tuple(purposes), storage=tuple(u for u, _ in units),
        storage_space=np.array([sidx.get(sp, -1) for _, sp in units], dtype=np.int32),
        doors=tuple(doors), readers=tuple(readers),
        ant_reader=arr[0], ant_port=arr[1], ant_kind=arr[2], ant_space=arr[3], ant_storage=arr[4],
        ant_door=arr[5], ant_other=arr[6], port_lut=lut,
        adjacency=tuple(frozenset(a) for a in adj),
        portal_pairs=frozenset(k for k, v in pairs.items() if v),
        door_spaces=np.array([door_pair.get(d, (-1, -1)) for d in doors], np.int32).reshape(-1, 2),
        gpi_reader=gpi[0], gpi_port=gpi[1], gpi_door=gpi[2], gpi_space=gpi[3],
    )  # fmt: skip


def _light_barriers(site: Mapping[str, Any], readers: list[str], didx: dict[str, int],
                    door_pair: dict[str, tuple[int, int]], sidx: dict[str, int],
                    pl: ProblemList) -> list[np.ndarray]:  # fmt: skip
    """The readers' `gpi` entries of kind light_barrier as (reader, port, door, side space) arrays; an entry naming an
    unknown door, a side that is not one of the door's spaces or a bad port is a problem (other GPI kinds are left
    alone: the tracker has no use for them)."""
    rix = {r: i for i, r in enumerate(readers)}
    out: list[tuple[int, int, int, int]] = []
    for ri, r in enumerate(_rows(site.get("readers"))):
        for gi, g in enumerate(r.get("gpi") or []):
            where = f"readers[{ri}].gpi[{gi}]"
            if not isinstance(g, Mapping):
                pl.add(where, g, "a table with port, kind, door and side")
                continue
            if str(g.get("kind") or "") != "light_barrier":
                continue
            port = g.get("port")
            if isinstance(port, bool) or not isinstance(port, int) or port < 1:
                pl.add(f"{where}.port", port, "a GPI port number (int >= 1)")
                continue
            door, side = str(g.get("door") or ""), str(g.get("side") or "")
            if door not in door_pair:
                pl.add(f"{where}.door", g.get("door"), "the id of a door of the site")
                continue
            if sidx.get(side, -2) not in door_pair[door]:
                names = sorted(k for k, v in sidx.items() if v in door_pair[door])
                pl.add(f"{where}.side", g.get("side"), f"one of the door's spaces {names}")
                continue
            if str(r.get("id", "")) in rix:
                out.append((rix[str(r.get("id"))], port, didx[door], sidx[side]))
    cols = list(zip(*out)) if out else [()] * 4
    return [np.array(c, dtype=np.int32) for c in cols]
