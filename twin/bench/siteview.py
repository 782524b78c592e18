"""The bench's reading of site.json: space purposes, antennas and what each covers, doors watched by portals.

site.json is the tracker's view of the site (docs/site-format.md). The bench needs only a few facts from it, read here
once (antennas' `covers` objects, or flat antenna rows in hand-made test sites) so cores and the scorer share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from ..errors import InputError, ProblemList


@dataclass(frozen=True)
class AntennaView:
    """One fixed antenna port: its kind and the place it says a tag is (portal: the space on its side of `door`).

    Handheld (mobile) antennas are left out: where they read says nothing fixed about a tag's place.
    """

    reader: str
    port: int
    kind: str
    space: str
    storage: str = ""
    door: str = ""


@dataclass(frozen=True)
class SiteView:
    spaces: Mapping[str, str]  # space id -> purpose
    doors: Mapping[str, tuple[str, str]]  # door id -> (space a, space b)
    storage: Mapping[str, str]  # storage id -> space id
    antennas: tuple[AntennaView, ...]

    def purpose(self, space: str) -> str:
        return self.spaces.get(space, "unknown")

    @property
    def portal_doors(self) -> frozenset[str]:
        return frozenset(a.door for a in self.antennas if a.kind == "portal" and a.door)


def _items(obj: Any, key: str = "id") -> Iterable[dict]:
    """Rows of a list of objects or of an id-keyed map (the id is put into each row)."""
    if obj is None:
        return []
    if isinstance(obj, Mapping):
        return [{key: k, **(v if isinstance(v, Mapping) else {})} for k, v in obj.items()]
    return [r for r in obj if isinstance(r, Mapping)]


def site_view(site: Mapping[str, Any] | None, source: str = "site.json") -> SiteView:
    """Read the facts the bench needs from a site dict; problems are reported as InputError naming the field."""
    site = site or {}
    pl = ProblemList(source)
    spaces = {}
    for i, s in enumerate(_items(site.get("spaces"))):
        if not s.get("id"):
            pl.add(f"spaces[{i}].id", s.get("id"), "a space id")
            continue
        spaces[str(s["id"])] = str(s.get("purpose") or "unknown")
    doors = {}
    for i, d in enumerate(_items(site.get("doors"))):
        a = d.get("a", (d.get("spaces") or [None, None])[0])
        b = d.get("b", (d.get("spaces") or [None, None])[-1])
        if d.get("id"):
            doors[str(d["id"])] = (str(a or ""), str(b or ""))
    storage = {str(u["id"]): str(u.get("space", "")) for u in _items(site.get("storage")) if u.get("id")}
    rows: list[dict] = []
    for r in _items(site.get("readers")):
        for a in _items(r.get("antennas"), key="port"):
            rows.append({"reader": r.get("id"), **a})
    rows += list(_items(site.get("antennas")))
    antennas = []
    for i, a in enumerate(rows):
        try:
            port = int(a.get("port", a.get("antenna")))
        except (TypeError, ValueError):
            pl.add(f"antennas[{i}].port", a.get("port"), "an antenna port number (1-based)")
            continue
        if not a.get("reader"):
            pl.add(f"antennas[{i}].reader", a.get("reader"), "a reader id")
            continue
        cov = a.get("covers") if isinstance(a.get("covers"), Mapping) else a  # site.json nests it in `covers`
        if cov.get("mobile") or a.get("kind") == "handheld":
            continue  # a carried antenna's reads are not tied to a place
        st = str(cov.get("storage") or "")
        space = str(cov.get("side") or cov.get("space") or storage.get(st, ""))
        kind = str(a.get("kind") or "")
        antennas.append(AntennaView(str(a["reader"]), port, kind, space, st, str(cov.get("door") or "")))
    pl.raise_if_any()
    return SiteView(MappingProxyType(spaces), MappingProxyType(doors), MappingProxyType(storage), tuple(antennas))


def as_site_view(site: SiteView | Mapping[str, Any] | None) -> SiteView:
    return site if isinstance(site, SiteView) else site_view(site)


__all__ = ["AntennaView", "SiteView", "as_site_view", "site_view", "InputError"]
