"""Co-motion for the oracle: a dossier carried through portals with an officer's badge follows the badge's estimate.

A joint-evidence rule over the same stream a real core gets (the tracker infers holders the same way): the oracle
tells badges (GSRN-96, EPC header 2D) from dossiers (GDTI-96, header 2C). A dossier heard at a portal in the same
burst as a badge crossing it (two of the door's antennas heard the badge, `oracle_filter.passing`; reads at that
door within LINK_S) is linked
to the badge that shared most such seconds. While linked, whenever the badge's estimate changes space the dossier's
does too (to that space's generic place: a carried dossier is on no shelf), and its belief is set there. The link
ends when the badge crosses a portal without the dossier, when the dossier crosses one without the badge, when
the dossier's own filter puts it on a storage unit (it was put down) or when it has gone off-site by road.
"""

from __future__ import annotations

import numpy as np

from .oracle_filter import passing

LINK_S = 2.0  # a dossier's and a badge's portal reads at one door this close are one burst (assumption: a portal
#               reports every second while its door sensor fires)


class CoMotion:
    def __init__(self) -> None:
        self.links: dict[int, int] = {}  # dossier tag -> badge tag
        self.since: dict[int, int] = {}  # dossier tag -> true time (us) of the burst that linked it

    def step(self, core, tag: np.ndarray, ant: np.ndarray, t: np.ndarray, rows: tuple) -> tuple:
        """Update links from this interval's reads (tag ids, antennas, true times); return the change rows with the
        linked dossiers following their badges."""
        self._relink(core, tag, ant, t)
        if not self.links:
            return rows
        m = core.m
        r_t, r_tag, r_c, r_p = rows
        for d in [d for d in self.links if core.sup[d, 0] >= 0 and (m.c_storage[core.sup[d, 0]] >= 0
                                                                    or m.c_level[core.sup[d, 0]] < 0)]:
            del self.links[d]  # its own reads put it on a unit, or it has gone off-site (by road)
        if not self.links:
            return rows
        dos = np.array(sorted(self.links), np.int64)
        bad = np.array([self.links[int(d)] for d in dos], np.int64)
        b_rows = np.isin(r_tag, bad)
        if not b_rows.any():
            return rows
        moved = np.isin(bad, r_tag[b_rows])
        dos, bad = dos[moved], bad[moved]
        t_link = np.array([self.since.get(int(d), 0) for d in dos], np.int64)
        at = np.searchsorted(dos, r_tag).clip(0, max(len(dos) - 1, 0))
        drop = np.isin(r_tag, dos) & (r_t >= t_link[at])  # their own rows since the link give way to the badge's
        add_t, add_tag, add_c, add_p = [], [], [], []
        for d, b in zip(dos.tolist(), bad.tolist()):
            sel = np.flatnonzero(r_tag == b)
            for i in sel[r_t[sel] >= self.since.get(d, 0)].tolist():  # not before they crossed together
                gen = core.gen_of_space[m.c_space[r_c[i]]]
                if not len(gen):
                    continue
                c = int(gen[0])  # shown even if unchanged: the dossier's own rows of this interval were dropped
                add_t.append(r_t[i]), add_tag.append(d), add_c.append(c), add_p.append(r_p[i])
                core.last_space[d], core.last_store[d] = m.c_space[c], -1
            sp = core.last_space[d]
            gen = core.gen_of_space[sp] if sp >= 0 else ()
            if len(gen):
                core.sup[d] = -1
                core.bel[d] = 0.0
                k = min(len(gen), core.M)
                core.sup[d, :k] = gen[:k]
                core.bel[d, :k] = 1.0 / k
        keep = ~drop
        out = (np.concatenate([r_t[keep], np.array(add_t, np.int64)]),
               np.concatenate([r_tag[keep], np.array(add_tag, np.int64)]),
               np.concatenate([r_c[keep], np.array(add_c, np.int64)]),
               np.concatenate([r_p[keep], np.array(add_p, float)]))
        return out

    def _relink(self, core, tag: np.ndarray, ant: np.ndarray, t: np.ndarray) -> None:
        if not len(tag):
            return
        names = core._epcs.names
        kind = np.array([names[i][:2] for i in tag.tolist()])
        # a badge crossing (two antennas of the door heard it); a dossier heard at that door in the same seconds
        on = (passing(core, tag, ant) & (kind == b"2D")) | ((core.ant_door[ant] >= 0) & (kind == b"2C"))
        if not on.any():
            return
        tg, dr, sec, kind = tag[on], core.ant_door[ant[on]], t[on] // int(LINK_S * 1e6), kind[on]
        is_d, is_b = kind == b"2C", kind == b"2D"
        bursts_b: dict[tuple[int, int], set[int]] = {}
        for b, d, s in zip(tg[is_b].tolist(), dr[is_b].tolist(), sec[is_b].tolist()):
            for k in (s - 1, s, s + 1):
                bursts_b.setdefault((d, k), set()).add(b)
        d_doors: dict[int, set[tuple[int, int]]] = {}
        for x, d, s in zip(tg[is_d].tolist(), dr[is_d].tolist(), sec[is_d].tolist()):
            d_doors.setdefault(x, set()).add((d, s))
        b_doors: dict[int, set[tuple[int, int]]] = {}
        for b, d, s in zip(tg[is_b].tolist(), dr[is_b].tolist(), sec[is_b].tolist()):
            b_doors.setdefault(b, set()).add((d, s))
        # links whose badge crossed a portal without the dossier end
        for x, b in list(self.links.items()):
            if b in b_doors and x not in d_doors:
                del self.links[x]
        for x, seen in d_doors.items():
            votes: dict[int, int] = {}
            for key in seen:
                for b in bursts_b.get(key, ()):
                    votes[b] = votes.get(b, 0) + 1
            if votes:
                b = max(votes, key=lambda b: (votes[b], -b))
                if self.links.get(x) != b:
                    first = min(k[1] for k in seen if b in bursts_b.get(k, ()))
                    self.since[x] = (first - 1) * int(LINK_S * 1e6)
                self.links[x] = b
            else:
                self.links.pop(x, None)  # it crossed without a badge
