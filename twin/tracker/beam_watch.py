"""Failed door light barriers: which beams the tracker stops trusting, found fast, and the reader_offline alerts.

`Beams` (twin.tracker.beams) distrusts a door whose beam has been interrupted for over `beam_stuck_s`, or unchanged
for `beam_silence_s` (a day: a quiet door is no dead door). A dead beam shows sooner by what the rest of the door
says. `BeamWatch` takes the same GPIEvent rows, the portal reads and the core's estimate changes, and judges each
beam, on the core's clock:

- stuck: interrupted for over `stuck_s` (the stuck rule's own threshold; `Beams` already distrusts the door);
- dead, alone: the door's other beam was interrupted `alone_n` times in a row while this one never changed (a person
  going through breaks both; the other beam's interruptions are then one-beam crossings of no direction). The door
  stays trusted: its live beam still tells a crossing from a walk past;
- silent, both: `unseen_n` tags in a row (distinct, at least `event_gap_s` apart) were carried through the door with
  no change of either beam -- each one heard by both of its antennas (the loudest read of each side at `loud_dbm` or
  louder) in a burst out of `quiet_s` of silence there, moved by the core between the door's sides (or spaces open to
  them), still there `stay_s` later, a badge heard at the door during that burst (a person carried it: without one,
  a resting item by the door whose estimate flickers across it at night is no crossing; the week's evidence room, seed
  1), and no beam of the door changed from `near_s` before that burst to `near_s` after the move. The door is then not trusted (`trusted`), so its passages go by the antennas, not judged walks
  past. It raises an alert only with `alert_silent` (config `beam_silent_alert`, off): the crossings it counts are
  the core's own moves, and a misjudged one looks the same (the seed-1 week: resting items by the evidence room's and
  the archive's doors moved back and forth across them, with badges walking past, 4 false alerts); a door wrongly
  distrusted only falls back to its antennas, an alert calls a person. A door nobody goes through says nothing: a quiet door at night is no dead beam.

Any change of a beam clears its verdicts (a door's change clears the door's silence). `step` returns the transitions
as (t_us, reader id, GPI port, raised, why) for the alert book (twin.tracker.alert_readers.barrier_alerts), each
stamped at the moment its evidence was complete. Memory: a few numbers per beam and per (tag, watched door).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .beams import EPOCH_2000_US, Beams
from .sitemodel import KIND_CODES, SiteModel

OK, STUCK, ALONE, SILENT = 0, 1, 2, 3  # a beam's verdict
_OLD = -(1 << 62)
_QUIET_NEVER = 1 << 62
_NEVER = 1 << 62


class BeamWatch:
    """See the module docstring. beams: the core's `Beams` (read only: its beam and door tables, `reach`)."""

    def __init__(self, model: SiteModel, beams: Beams, stuck_s: float = 60.0, alone_n: int = 3, unseen_n: int = 2,
                 loud_dbm: float = -65.0, quiet_s: float = 60.0, stay_s: float = 60.0, near_s: float = 5.0,
                 burst_gap_s: float = 20.0, event_gap_s: float = 10.0) -> None:  # fmt: skip
        self.model, self.beams = model, beams
        self.stuck_us, self.alone_n, self.unseen_n = int(stuck_s * 1e6), int(alone_n), int(unseen_n)
        self.loud_dbm, self.quiet_us, self.stay_us = float(loud_dbm), int(quiet_s * 1e6), int(stay_s * 1e6)
        self.near_us, self.gap_us, self.event_us = int(near_s * 1e6), int(burst_gap_s * 1e6), int(event_gap_s * 1e6)
        nb = len(model.gpi_port)
        self.b_door = beams.b_door
        self.partner = np.full(nb, -1, np.int64)
        for d in np.flatnonzero(beams.has).tolist():
            a, b = beams.side_beam[d]
            self.partner[a], self.partner[b] = b, a
        self.names = [(model.readers[int(r)], int(p)) for r, p in zip(model.gpi_reader, model.gpi_port)]
        n_s = len(model.spaces)
        self.where = [f"({model.doors[int(d)]}, {model.spaces[int(s)] if 0 <= s < n_s else '?'} side)"
                      for d, s in zip(model.gpi_door.tolist(), model.gpi_space.tolist())]  # fmt: skip
        # per beam: interrupted since (-1: clear), the other beam's interruptions since this one last changed
        self.down = np.full(nb, -1, np.int64)
        self.rises = np.zeros(nb, np.int64)
        self.why = np.zeros(nb, np.int8)
        n_d = beams.n_doors
        self.door_edge = np.full(n_d, _OLD, np.int64)  # last change of any beam of the door
        self.edge_times: list[np.ndarray] = [np.zeros(0, np.int64) for _ in range(n_d)]  # recent, per door
        self.run_n = np.zeros(n_d, np.int64)  # unseen crossings in a row (since the door's last beam change)
        self.run_last = np.full(n_d, _OLD, np.int64)
        self.run_tags: list[set[int]] = [set() for _ in range(n_d)]
        # watched doors as columns of the per-(tag, door) burst state
        self.col = np.full(n_d, -1, np.int64)
        watched = np.flatnonzero(beams.has)
        self.col[watched] = np.arange(len(watched))
        self.col_door = watched.astype(np.int64)
        portal = (model.ant_kind == KIND_CODES["portal"]) & (model.ant_door >= 0)
        self.ant_col = np.where(portal, self.col[np.maximum(model.ant_door, 0)], -1).astype(np.int64)
        ds = beams.door_spaces
        self.ant_side = np.where(portal & (model.ant_space == ds[np.maximum(model.ant_door, 0), 0]), 0, 1)
        self.ant_side = self.ant_side.astype(np.int64)
        # space pairs (from, to) a tag can only go between through a door: per watched door, (from, to) on its two
        # sides or open to them (links, unwatched doors); index n_s: no space
        reach = beams.reach
        self.crosses = np.zeros((n_s + 1, n_s + 1, len(watched)), bool)
        for c, d in enumerate(watched.tolist()):
            a, b = int(ds[d, 0]), int(ds[d, 1])
            if a < 0 or b < 0:
                continue
            ra, rb = reach[:n_s, a], reach[:n_s, b]
            m = np.outer(ra & ~rb, rb & ~ra)
            self.crosses[:n_s, :n_s, c] = m | m.T
        k = len(watched)
        self.last = np.zeros((0, k), np.int64)  # last portal read of (tag, door)
        self.start = np.zeros((0, k), np.int64)  # start of its current burst
        self.quiet = np.zeros((0, k), np.int64)  # silence there before it
        self.loud = np.zeros((0, k, 2), np.int16)  # loudest read per side in it
        self.space = np.zeros(0, np.int64)  # per tag: its space as the core last emitted it (-1: none)
        self.badge = np.zeros(0, bool)  # per tag: a badge (set by the core from the decoded EPCs)
        self.need_badge = True  # a crossing counts only with a badge heard at the door in its burst
        self.alert_silent = False  # the silent verdict masks the door's trust; an alert only when asked (core config)
        self._edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        #: crossings waiting for judgement: [t_us, tag, door, burst start, the tag's next change (_NEVER: none yet)]
        self._moves: list[list[int]] = []
        #: no beam has changed yet: `Beams` trusts no door before the stream's first beam change, so there is nothing to
        #: watch: reads are not kept and moves only update the spaces (a stream without light-barrier events costs
        #: next to nothing here)
        self.any_edge = False
        self._open: dict[int, list[list[int]]] = {}  # tag -> its crossings in _moves still waiting for its next change
        self._out: list[tuple[int, str, int, bool, str]] = []
        self.counts = {"stuck": 0, "alone": 0, "silent": 0, "unseen_crossings": 0}

    # -- inputs -----------------------------------------------------------------------------------------------------
    def grow(self, n_tags: int) -> None:
        k = n_tags - len(self.space)
        if k <= 0:
            return
        k = max(k, len(self.space))  # capacity doubles
        c = len(self.col_door)
        self.last = np.vstack([self.last, np.full((k, c), _OLD, np.int64)])
        self.start = np.vstack([self.start, np.full((k, c), _OLD, np.int64)])
        self.quiet = np.vstack([self.quiet, np.full((k, c), _QUIET_NEVER, np.int64)])
        self.loud = np.vstack([self.loud, np.full((k, c, 2), -999, np.int16)])
        self.space = np.concatenate([self.space, np.full(k, -1, np.int64)])

    def push(self, t_us: np.ndarray, reader: np.ndarray, port: np.ndarray, detail) -> None:
        """GPIEvent rows as handed to `Beams.push` (core clock, reader indices, ports, "true"/"false"); the rows
        `Beams` would quarantine are skipped here too."""
        t, r, p = (np.asarray(x, np.int64) for x in (t_us, reader, port))
        d = np.asarray(detail, dtype=object)
        lut = self.beams.lut
        ok = (r >= 0) & (r < lut.shape[0]) & (p >= 0) & (p < lut.shape[1])
        beam = np.full(len(t), -1, np.int64)
        beam[ok] = lut[r[ok], p[ok]]
        state = np.array([x in ("true", "false") for x in d.tolist()], bool)
        keep = (beam >= 0) & state & (t >= EPOCH_2000_US)
        if keep.any():
            self._edges.append((t[keep], beam[keep], (d == "true")[keep]))
            self.any_edge = True

    def reads(self, tag: np.ndarray, t_us: np.ndarray, ant: np.ndarray, rssi: np.ndarray) -> None:
        """A batch's rows, sorted by (tag, time): the watched doors' portal reads update each (tag, door) burst."""
        if len(tag) == 0 or len(self.col_door) == 0 or not self.any_edge:
            return
        a = np.asarray(ant, np.int64)
        c = self.ant_col[a]
        sel = c >= 0
        if not sel.any():
            return
        self.grow(int(np.max(tag)) + 1)
        _burst_pass(np.asarray(tag, np.int64)[sel], np.asarray(t_us, np.int64)[sel], c[sel], self.ant_side[a[sel]],
                    np.asarray(rssi, np.int64)[sel], self.gap_us, self.last, self.start, self.quiet, self.loud)

    def moves(self, t_us: np.ndarray, tag: np.ndarray, space: np.ndarray) -> None:
        """The core's estimate rows (time order per tag; space -1: none): a tag moved across a watched door, heard
        there by both antennas out of silence, is a crossing to judge once `stay_s` and `near_s` have passed."""
        if len(tag) == 0:
            return
        tag = np.asarray(tag, np.int64)
        self.grow(int(tag.max()) + 1)
        n_s = self.crosses.shape[0] - 1
        sp = np.asarray(space, np.int64)
        sp = np.where((sp >= 0) & (sp < n_s), sp, -1)
        t_all = np.asarray(t_us, np.int64)
        # only rows that change the tag's space do anything: each row's space before it (the previous row of the same
        # tag in this batch, else the space last emitted) in numpy; rows that may cross a watched door, and the tags
        # with crossings waiting for their next change, are walked in the given order; the rest only move the space
        o = np.argsort(tag, kind="stable")
        to = tag[o]
        prev = self.space[to].copy()
        same = np.zeros(len(o), bool)
        same[1:] = to[1:] == to[:-1]
        prev[same] = sp[o][:-1][same[1:]]
        before_all = np.empty(len(tag), np.int64)
        before_all[o] = prev
        changed = sp != before_all
        last = np.ones(len(o), bool)  # each tag's last row: its space now
        last[:-1] = to[1:] != to[:-1]
        self.space[to[last]] = sp[o][last]
        if not changed.any() or not self.any_edge:  # (before the first beam change only the spaces are kept)
            return
        cand = changed & (before_all >= 0) & (sp >= 0)
        cand[cand] = self.crosses[before_all[cand], sp[cand]].any(axis=1)
        walk_tags = set(tag[cand].tolist()) | set(self._open)
        if not walk_tags:
            return
        sel = np.flatnonzero(changed & np.isin(tag, np.fromiter(walk_tags, np.int64, len(walk_tags))))
        badges = np.flatnonzero(self.badge[:len(self.last)]) if self.need_badge else None
        for r, t, g, s_ in zip(sel.tolist(), t_all[sel].tolist(), tag[sel].tolist(), sp[sel].tolist()):
            waiting = self._open.get(g)
            if waiting:
                for mv in waiting:
                    if t > mv[0]:
                        mv[4] = t
                waiting = [mv for mv in waiting if mv[4] == _NEVER]
                if waiting:
                    self._open[g] = waiting
                else:
                    del self._open[g]
            if not cand[r]:
                continue
            before = int(before_all[r])
            for c in np.flatnonzero(self.crosses[before, s_]).tolist():
                lo = self.loud[g, c]
                if (lo.min() >= self.loud_dbm and self.quiet[g, c] >= self.quiet_us
                        and t - self.near_us - self.gap_us <= self.last[g, c] and self.start[g, c] <= t + self.near_us
                        and (badges is None or self._badge_near(badges, g, c, t))):
                    mv = [t, g, int(self.col_door[c]), int(self.start[g, c]), _NEVER]
                    self._moves.append(mv)
                    self._open.setdefault(g, []).append(mv)

    def _badge_near(self, badges: np.ndarray, g: int, c: int, t: int) -> bool:
        """A badge other than tag g heard at door column c from `near_s` before g's burst there to `near_s` after t."""
        b = badges[badges != g]
        if len(b) == 0:
            return False
        lo = int(self.start[g, c]) - self.near_us
        return bool(((self.last[b, c] >= lo) & (self.start[b, c] <= t + self.near_us)).any())

    # -- judging -----------------------------------------------------------------------------------------------------
    def step(self, now_us: int) -> list[tuple[int, str, int, bool, str]]:
        """Apply the beam changes up to now_us in time order, judge the crossings due and the stuck beams; the
        verdicts' transitions since the last step as (t_us, reader id, port, raised, why), in time order."""
        if self._edges:
            t, b, on = (np.concatenate(c) for c in zip(*self._edges))
            due = t <= now_us
            self._edges = [(t[~due], b[~due], on[~due])] if not due.all() else []
            o = np.argsort(t[due], kind="stable")
            t, b, on = t[due][o], b[due][o], on[due][o]
            for d in np.unique(self.b_door[b]).tolist():  # each door's record first (the judging looks at it)
                self.edge_times[d] = np.concatenate([self.edge_times[d], t[self.b_door[b] == d]])
            for tt, k, up in zip(t.tolist(), b.tolist(), on.tolist()):
                self._edge(tt, k, up)
        wait = max(self.stay_us, self.near_us)  # a crossing is judged once it stayed and its door's beams were heard
        due_m = sorted(m for m in self._moves if m[0] + wait <= now_us)
        self._moves = [m for m in self._moves if m[0] + wait > now_us]
        if due_m:  # judged crossings no longer wait for their tag's next change
            for g in {m[1] for m in due_m}:
                left = [mv for mv in self._open.get(g, ()) if mv[0] + wait > now_us]
                if left:
                    self._open[g] = left
                else:
                    self._open.pop(g, None)
        for m in due_m:
            self._judge(*m)
        for k in np.flatnonzero((self.down >= 0) & (now_us - self.down > self.stuck_us) & (self.why == OK)).tolist():
            self._set(k, STUCK, int(self.down[k]) + self.stuck_us, f"interrupted for over {self.stuck_us / 1e6:.0f} s")
        keep = now_us - 2 * (self.stay_us + self.near_us + self.gap_us)
        for d in range(len(self.edge_times)):
            e = self.edge_times[d]
            if len(e) and e[0] < keep:
                self.edge_times[d] = e[e >= keep]
        out, self._out = sorted(self._out, key=lambda x: x[0]), []
        return out

    @property
    def trusted(self) -> np.ndarray:
        """Per door: False while its beams are judged silent through crossings (AND it with `Beams.live`)."""
        ok = np.ones(self.beams.n_doors, bool)
        sil = self.why == SILENT
        if sil.any():
            ok[self.b_door[sil]] = False
        return ok

    def _edge(self, t: int, k: int, up: bool) -> None:
        d = int(self.b_door[k])
        self.door_edge[d] = max(self.door_edge[d], t)
        self.run_n[d], self.run_tags[d] = 0, set()
        for j in np.flatnonzero(self.b_door == d).tolist():  # the door's silence ends with any change of it
            if self.why[j] == SILENT:
                self._set(j, OK, t, "")
        if self.why[k] == ALONE or (self.why[k] == STUCK and not up):
            self._set(k, OK, t, "")
        self.rises[k] = 0
        if up:
            if self.down[k] < 0:
                self.down[k] = t
                p = int(self.partner[k])
                if p >= 0 and self.down[p] < 0 and self.why[p] == OK:
                    self.rises[p] += 1
                    if self.rises[p] >= self.alone_n:
                        self._set(p, ALONE, t, f"unchanged through {self.rises[p]} interruptions of light barrier "
                                               f"{self.names[k][1]}")  # fmt: skip
        else:
            self.down[k] = -1

    def _judge(self, t: int, g: int, d: int, start: int, left: int) -> None:
        if left - t < self.stay_us or not self.beams.has[d]:
            return  # moved on within stay_s (a flicker), or no beams
        e = self.edge_times[d]
        if ((e >= start - self.near_us) & (e <= t + self.near_us)).any() or self.door_edge[d] > t + self.near_us:
            return  # the beams saw it (or changed since: the run restarted there)
        self.counts["unseen_crossings"] += 1
        if g in self.run_tags[d] or t - self.run_last[d] < self.event_us:
            return  # the same tag again, or the same moment (one person carrying several)
        self.run_n[d] += 1
        self.run_last[d] = t
        self.run_tags[d].add(g)
        if self.run_n[d] >= self.unseen_n:
            for j in np.flatnonzero(self.b_door == d).tolist():
                if self.why[j] in (OK, ALONE):
                    self._set(j, SILENT, t + self.stay_us, f"silent through {self.run_n[d]} crossings its antennas heard")

    def _set(self, k: int, why: int, t: int, text: str) -> None:
        old = int(self.why[k])
        if old == why:
            return
        if old != OK and (old != SILENT or self.alert_silent):  # a verdict replaced (alone -> silent) is cleared first
            self._out.append((t, *self.names[k], False, ""))
        self.why[k] = why
        if why != OK:
            self.counts[("", "stuck", "alone", "silent")[why]] += 1
            if why != SILENT or self.alert_silent:
                self._out.append((t, *self.names[k], True, f"{self.where[k]} {text}"))


@njit(cache=True)
def _burst_pass(tag, t, col, side, rssi, gap_us, last, start, quiet, loud):
    """Portal reads sorted by (tag, time) into per-(tag, door) bursts: a read after gap_us of silence there opens one
    (the silence before it kept); each side's loudest read in it."""
    for i in range(len(tag)):
        g, c = tag[i], col[i]
        if t[i] - last[g, c] > gap_us:
            quiet[g, c] = t[i] - last[g, c] if last[g, c] > -(1 << 61) else 1 << 62
            start[g, c] = t[i]
            loud[g, c, 0] = -999
            loud[g, c, 1] = -999
        if rssi[i] > loud[g, c, side[i]]:
            loud[g, c, side[i]] = rssi[i]
        if t[i] > last[g, c]:
            last[g, c] = t[i]
