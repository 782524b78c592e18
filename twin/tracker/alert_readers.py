"""Reader outages inferred from silence: a reader that stops reporting while tags it was reading have not moved.

A fixed reader (other than a portal's, which reports only while someone passes) reports each tag in its field once
per report period (site.json `report_period_ms`); a reader with no tag in its field says nothing, so silence alone
proves nothing. A reader is taken as offline when it has been silent for `offline_periods` report periods (at least
`offline_min_s`) and at least `offline_min_tags` of the tags it reported at least twice in its last `recent_s` (at
least three report periods) of activity still stand where they were (no estimate change since the reader last
reported each: files carried off a desk one after another move before the reader, emptied, falls silent). It is back
when it reports again. Tags whose last reader is down, or came back less than `missing_s` ago, are not called
missing.

With a reader status stream (reader_events.parquet, fed through `status`), a reader's LLRP connection speaks for
itself, portals and readers with empty fields included (twin.readers.keepalive): it is offline after a
ConnectionCloseEvent, a ReaderExceptionEvent, or no KEEPALIVE for `keepalive_timeout_periods` keepalive periods
(assumption: three, so one or two lost messages are no outage; the period is the configured `keepalive_s`, or the
shortest gap seen between a reader's keepalives when that is longer), and back on a ConnectionAttemptEvent Success (or a
keepalive after a timeout, or a tag report); an AntennaEvent Antenna_Disconnected takes one antenna off until its
Antenna_Connected. The silence rule stays for hung readers that keep their connection. Without a status stream the
watch behaves as before.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from numba import njit

from .kernels_alerts import links_due, silent_down

#: reader_events kinds (LLRP 1.1 names, twin.readers.keepalive) and their codes in the watch
STATUS_KINDS = ("KEEPALIVE", "ConnectionAttemptEvent", "ConnectionCloseEvent", "AntennaEvent", "ReaderExceptionEvent")
KA, ATTEMPT, CLOSE, ANTENNA, EXCEPTION = range(5)
LINK, SILENCE, FAULT = 2, 1, 3  # why a reader is down: its connection, its silence, its own exception report
EPOCH_2000_US = 946_684_800_000_000  # LLRP UTC timestamps before this are impossible here
FUTURE_US = 86_400_000_000  # a frame a day ahead of the core's clock is impossible (reader clocks are NTP-set)
ANTENNA_EVENT_TYPES = ("Antenna_Disconnected", "Antenna_Connected")


def _ints(col) -> np.ndarray:
    """An integer column; missing values (None) become -1."""
    a = col if isinstance(col, np.ndarray) else np.asarray(list(col), dtype=object)
    if a.dtype == object:
        a = np.where(np.equal(a, None), -1, a)
    return a.astype(np.int64)


def _strs(col) -> np.ndarray:
    """A string column; missing values (None) become ""."""
    a = np.asarray(list(col) if not isinstance(col, np.ndarray) else col, dtype=object)
    return np.where(np.equal(a, None), "", a).astype(str)


class ReaderWatch:
    def __init__(self, readers: list[str], period_us: list[int], space: list[str], cfg, steady: list[bool]) -> None:
        self.readers, self.space, self.cfg = readers, space, cfg
        self.steady = np.array(steady, bool)  # readers expected to report tags resting in their field
        n = len(readers)
        self.recent_us = np.array([max(cfg.recent_s * 1e6, 3 * p) for p in period_us], np.int64)
        self.thr_us = np.array([max(cfg.offline_periods * p, cfg.offline_min_s * 1e6) for p in period_us], np.int64)
        self.last_us = np.full(n, -1, np.int64)  # last report per reader
        self.back_us = np.full(n, -(1 << 62), np.int64)  # when it came back after an outage
        self.down_since = np.full(n, -1, np.int64)  # outage detected at (-1: up)
        # (tag id << 32 | reader) pairs reported of late, sorted, with their reports and the reader's last report then
        self.pair_key = np.zeros(0, np.int64)
        self.pair_n = np.zeros(0, np.int64)
        self.pair_last = np.zeros(0, np.int64)
        self.pair_seen = np.zeros(0, np.int64)  # the tag's own last report by that reader
        self.last_seen = np.zeros(0, np.int64)  # per tag id
        self.last_reader = np.zeros(0, np.int32)
        # reader status stream (see the module docstring)
        self.ka_cfg_us = int(getattr(cfg, "keepalive_s", 10.0) * 1e6)
        self.ka_us = np.full(n, self.ka_cfg_us, np.int64)  # the configured period, or the shortest gap seen if longer
        self.ka_gap = np.full(n, np.iinfo(np.int64).max, np.int64)  # shortest gap between two keepalives seen
        self.ka_timeout = float(getattr(cfg, "keepalive_timeout_periods", 3.0))
        self.ka_last = np.full(n, -1, np.int64)  # last KEEPALIVE / connection (-1: no status stream for it)
        self.ka_checked = np.full(n, -1, np.int64)  # keepalive timeouts before this were judged by an earlier step
        self.down_by = np.zeros(n, np.int8)  # 0 up, SILENCE, LINK or FAULT
        self.why = [""] * n
        self.ant_down: dict[tuple[int, int], int] = {}  # (reader, port) -> since
        self.ant_back = np.full(n, -(1 << 62), np.int64)  # last antenna of the reader reconnected
        self._status: list[tuple] = []  # (t_us, kind code, reader, antenna, detail) arrays waiting for the clock
        self._pending: list[tuple[int, int, bool, str]] = []  # (t_us, reader, raised, why) for `step`
        self.status_counts: Counter[str] = Counter()
        self.quarantine: Counter[str] = Counter()
        self._rindex = {r: i for i, r in enumerate(readers)}

    def grow(self, n_tags: int) -> None:
        k = n_tags - len(self.last_seen)
        if k > 0:
            self.last_seen = np.concatenate([self.last_seen, np.zeros(k, np.int64)])
            self.last_reader = np.concatenate([self.last_reader, np.full(k, -1, np.int32)])

    def _reporting(self, rmax: np.ndarray) -> list[tuple[int, int]]:
        """Readers with reports up to rmax (us, -1: none): down ones come back; returns them as (reader, t_us)."""
        back = []
        for r in np.flatnonzero((rmax >= 0) & (self.down_since >= 0)).tolist():
            if self.down_by[r] == LINK and self.ka_last[r] >= 0 and rmax[r] < self.down_since[r]:
                continue  # reports from before the link went down, delivered late
            self.down_since[r] = -1
            self.down_by[r] = 0
            self.back_us[r] = int(rmax[r])
            back.append((r, int(rmax[r])))
        np.maximum(self.last_us, rmax, out=self.last_us)
        return back

    def observe(self, t: np.ndarray, tag: np.ndarray, reader: np.ndarray, ordered: bool = False) -> list[tuple[int, int]]:
        """Rows sorted by (tag, time) from fixed readers; the readers back online as (reader, t_us). `ordered`: the
        caller has checked that order."""
        if len(t) == 0:
            return []
        if not ordered and not _sorted_by_tag(tag):
            o = np.argsort(tag, kind="stable")
            t, tag, reader = t[o], tag[o], reader[o]
        rmax = _latest(t, tag, reader, self.last_seen, self.last_reader, len(self.readers))
        seen = rmax >= 0
        back = self._reporting(rmax)
        lo = self.last_us - self.recent_us  # per reader; only those reporting now are counted and pruned
        # (tag, reader) pairs reported in each reader's recent window, merged into the running counts in one go
        self.pair_key, self.pair_n, self.pair_last, self.pair_seen = _merge_pairs(
            t, tag, reader, lo, self.last_us, seen, self.pair_key, self.pair_n, self.pair_last, self.pair_seen)
        return back

    def check(self, now_us: int, moved_after) -> list[tuple[int, int]]:
        """Readers newly found offline as (reader, t_us of detection); moved_after(tag id, t_us) -> bool.
        (The raises of `step`; its recoveries are cleared by the next reports, as before the status stream.)"""
        return [(r, t) for t, r, up, _ in self.step(now_us, moved_after) if up]

    def step(self, now_us: int, moved_after) -> list[tuple[int, int, bool, str]]:
        """Reader outages raised and cleared up to now_us, in time order: (t_us, reader, raised, why).
        `moved_after`: a callable (tag id, t_us) -> bool, or per tag id the time of its last estimate change (an
        int64 array; a tag beyond it has none) -- a tag moved after t_us when that time is later."""
        self._apply_status(now_us)
        if callable(moved_after):
            self._step_plain(now_us, moved_after)
        else:  # the same judgement in two compiled passes (a tick's few dozen numpy calls were its cost)
            for r, due in zip(*links_due(self.ka_last, self.ka_timeout, self.ka_us, self.down_since, self.ka_checked,
                                          now_us)):  # fmt: skip
                r, due = int(r), int(due)
                self._down(r, due, LINK, f"sent no KEEPALIVE for {self.ka_timeout * self.ka_us[r] / 1e6:.0f} s")
            for r in silent_down(self.steady, self.last_us, self.down_since, self.thr_us, now_us, self.pair_key,
                                  self.pair_n, self.pair_seen, moved_after,
                                  float(self.cfg.offline_min_tags)).tolist():  # fmt: skip
                self._down(r, int(self.last_us[r]) + int(self.thr_us[r]), SILENCE, "silent")
        out, self._pending = sorted(self._pending), []
        return out

    def _step_plain(self, now_us: int, moved_after) -> None:
        """`step`'s judgement in numpy steps (kept for a callable `moved_after` and as the plain rule)."""
        due = self.ka_last + (self.ka_timeout * self.ka_us).astype(np.int64)
        for r in np.flatnonzero((self.ka_last >= 0) & (self.down_since < 0) & (due < now_us)).tolist():
            # no keepalive for the timeout: the link is dead
            self._down(r, int(due[r]), LINK, f"sent no KEEPALIVE for {self.ka_timeout * self.ka_us[r] / 1e6:.0f} s")
        self.ka_checked[self.ka_last >= 0] = now_us
        silent = np.flatnonzero(self.steady & (self.last_us >= 0) & (self.down_since < 0)
                                & (now_us - self.last_us > self.thr_us))  # fmt: skip
        if len(silent):
            is_silent = np.zeros(len(self.readers), bool)
            is_silent[silent] = True
            pr, pg, ps = _steady_pairs(self.pair_key, self.pair_n, self.pair_seen, is_silent)  # reported twice
            # enough of them still where they were when the reader last heard each (a tag carried off a desk is
            # heard no more while the reader still reports the others: its estimate moves before the reader falls
            # silent); moved_after has no side effects, so all pairs of all silent readers are judged in one go
            if callable(moved_after):
                moved = np.fromiter((moved_after(g, tg) for g, tg in zip(pg.tolist(), ps.tolist())), bool, len(pg))
            else:
                inside = pg < len(moved_after)
                moved = np.zeros(len(pg), bool)
                moved[inside] = moved_after[pg[inside]] > ps[inside]
            still = np.bincount(pr[~moved], minlength=len(self.readers))
            for r in silent[still[silent] >= self.cfg.offline_min_tags].tolist():
                self._down(r, int(self.last_us[r]) + int(self.thr_us[r]), SILENCE, "silent")

    # -- the reader status stream ----------------------------------------------------------------------------------
    def status(self, t_us, reader, antenna, kind, detail, now_us: int | None = None) -> int:
        """Take status rows (equal-length columns: times, reader ids, AntennaIDs, kind names, details); bad frames --
        unknown reader or kind, a time before 2000 or a day past the core's clock `now_us`, an AntennaEvent without
        antenna or EventType -- are quarantined and counted. Rows wait for the `step` whose clock reaches them.
        Returns the rows kept."""
        n = len(t_us)
        try:
            t, port = _ints(t_us), _ints(antenna)
            rid, k, d = _strs(reader), _strs(kind), _strs(detail)
        except (TypeError, ValueError):
            self.quarantine["bad_columns"] += n
            return 0
        if not (len(t) == len(port) == len(rid) == len(k) == len(d)):
            self.quarantine["bad_columns"] += n
            return 0
        if n == 0:
            return 0
        u, inv = np.unique(rid, return_inverse=True)
        r = np.array([self._rindex.get(x, -1) for x in u.tolist()], np.int64)[inv]
        u, inv = np.unique(k, return_inverse=True)
        code = np.array([STATUS_KINDS.index(x) if x in STATUS_KINDS else -1 for x in u.tolist()], np.int64)[inv]
        return self.status_coded(t, r, port, code, d, now_us)

    def status_coded(self, t: np.ndarray, r: np.ndarray, port: np.ndarray, code: np.ndarray, d: np.ndarray,
                     now_us: int | None = None) -> int:  # fmt: skip
        """`status` on decoded rows (int64 times, watch reader indices (-1: unknown), AntennaIDs, STATUS_KINDS codes
        (-1: unknown), details ("" when missing)): the same checks, counts and queue. Returns the rows kept."""
        if len(t) == 0:
            return 0
        hi = now_us + FUTURE_US if now_us is not None else np.iinfo(np.int64).max
        bad = {"unknown_reader": r < 0}
        bad["unknown_kind"] = ~bad["unknown_reader"] & (code < 0)
        ok = ~(bad["unknown_reader"] | bad["unknown_kind"])
        bad["bad_time"] = ok & ((t < EPOCH_2000_US) | (t > hi))
        ok &= ~bad["bad_time"]
        ant = ok & (code == ANTENNA)
        if ant.any():  # the few AntennaEvents' details checked (not every keepalive's)
            ant[ant] = (port[ant] <= 0) | ~np.isin(d[ant], list(ANTENNA_EVENT_TYPES))
        bad["bad_antenna_event"] = ant
        ok &= ~bad["bad_antenna_event"]
        for why, m in bad.items():
            if m.any():
                self.quarantine[why] += int(m.sum())
        for c, cnt in zip(*np.unique(code[ok], return_counts=True)):
            self.status_counts[STATUS_KINDS[int(c)]] += int(cnt)
        self._status.append((t[ok], code[ok], r[ok], port[ok], d[ok]))
        return int(ok.sum())

    def _apply_status(self, now_us: int) -> None:
        """Apply the rows up to now_us in time order: keepalive gaps vectorised, the few events one by one."""
        if not self._status:
            return
        cols = [np.concatenate(c) for c in zip(*self._status)]
        due = cols[0] <= now_us
        self._status = [tuple(c[~due] for c in cols)] if not due.all() else []
        t, code, r, port, d = (c[due] for c in cols)
        alive, att = code == KA, code == ATTEMPT
        if att.any():  # the details of the few connection attempts compared (not every keepalive's)
            alive[att] = d[att] == "Success"
        steps: list[tuple] = []  # (t_us, order, reader, what, port, detail)
        if alive.any():
            lt, lr = t[alive], r[alive]
            o = np.lexsort((lt, lr))
            lt, lr = lt[o], lr[o]
            change = lr[1:] != lr[:-1]
            first, last = np.ones(len(lr), bool), np.ones(len(lr), bool)  # a reader's first and last row
            first[1:], last[:-1] = change, change
            prev = np.empty(len(lt), np.int64)
            prev[0], prev[1:] = -1, lt[:-1]
            ka = code[alive][o] == KA
            pair = ~first[1:] & ka[1:] & ka[:-1] & (lt[1:] > prev[1:])
            if pair.any():  # a reader set to a longer period than configured is not taken offline between keepalives
                np.minimum.at(self.ka_gap, lr[1:][pair], (lt[1:] - prev[1:])[pair])
                self.ka_us = np.where(self.ka_gap < np.iinfo(np.int64).max, np.maximum(self.ka_gap, self.ka_cfg_us),
                                      self.ka_cfg_us)
            prev[first] = self.ka_last[lr[first]]
            tmo = (self.ka_timeout * self.ka_us[lr]).astype(np.int64)
            for i in np.flatnonzero((prev >= 0) & (lt - prev > tmo)).tolist():  # a gap inside the rows
                steps += [(int(prev[i] + tmo[i]), 0, int(lr[i]), "timeout", 0, ""),
                          (int(lt[i]), 1, int(lr[i]), "alive", 0, "")]
            self.ka_last[lr[last]] = np.maximum(self.ka_last[lr[last]], lt[last])
        for i in np.flatnonzero(code != KA).tolist():
            steps.append((int(t[i]), 1, int(r[i]), STATUS_KINDS[int(code[i])], int(port[i]), str(d[i])))
        for tt, _, rr, what, p, detail in sorted(steps):
            if what == "timeout":
                if tt < self.ka_checked[rr]:
                    continue  # judged (raised, and perhaps cleared by reports since) by an earlier step
                self._down(rr, tt, LINK, f"sent no KEEPALIVE for {self.ka_timeout * self.ka_us[rr] / 1e6:.0f} s")
            elif what == "alive" or (what == STATUS_KINDS[ATTEMPT] and detail == "Success"):
                if self.down_since[rr] >= 0 and tt >= self.down_since[rr] and (
                        what != "alive" or self.down_by[rr] == LINK):  # a keepalive does not end an exception
                    self._up(rr, tt)
            elif what == STATUS_KINDS[CLOSE]:
                self._down(rr, tt, LINK, "closed its connection (ConnectionCloseEvent)")
            elif what == STATUS_KINDS[EXCEPTION]:
                self._down(rr, tt, FAULT, f"reported a fault (ReaderExceptionEvent: {detail})")
            elif what == STATUS_KINDS[ANTENNA] and detail == "Antenna_Disconnected":
                if (rr, p) not in self.ant_down:
                    self.ant_down[(rr, p)] = tt
                    self._pending.append((tt, rr, True, f"antenna {p} disconnected (AntennaEvent)"))
            elif what == STATUS_KINDS[ANTENNA] and self.ant_down.pop((rr, p), None) is not None:
                self.ant_back[rr] = max(self.ant_back[rr], tt)
                if self.down_since[rr] < 0 and not any(k0 == rr for k0, _ in self.ant_down):
                    self._pending.append((tt, rr, False, ""))

    def _down(self, r: int, t: int, by: int, why: str) -> None:
        if self.down_since[r] >= 0:
            return
        self.down_since[r], self.down_by[r], self.why[r] = t, by, why
        self._pending.append((t, r, True, why))

    def _up(self, r: int, t: int) -> None:
        self.down_since[r], self.down_by[r] = -1, 0
        self.back_us[r] = t
        self.last_us[r] = max(self.last_us[r], t)  # silence counts from the return, not from before the outage
        self._pending.append((t, r, False, ""))

    def unseen(self, now_us: int, missing_us: int, tags: np.ndarray) -> np.ndarray:
        """Of these tag ids, those seen once and unseen for missing_us while their last reader was up."""
        if len(tags) == 0:
            return tags
        seen = self.last_seen[tags]
        r = self.last_reader[tags]
        ok = (seen > 0) & (r >= 0)
        rr = np.where(r >= 0, r, 0)
        since = np.maximum(seen, np.maximum(self.back_us[rr], self.ant_back[rr]))
        up = self.down_since[rr] < 0
        if self.ant_down:  # an antenna of its last reader disconnected: the tag may be under that antenna
            up &= ~np.isin(rr, np.array(sorted({k[0] for k in self.ant_down}), np.int64))
        return tags[ok & up & (now_us - since > missing_us)]


@njit(cache=True)
def _sorted_by_tag(tag) -> bool:
    for i in range(1, len(tag)):
        if tag[i] < tag[i - 1]:
            return False
    return True


@njit(cache=True)
def _latest(t, tag, reader, last_seen, last_reader, n_readers):
    """Each tag's last row (rows sorted by tag, time) updates its last sighting; returns each reader's latest row."""
    rmax = np.full(n_readers, -1, np.int64)
    n = len(t)
    for i in range(n):
        rmax[reader[i]] = max(rmax[reader[i]], t[i])
        g = tag[i]
        if (i == n - 1 or tag[i + 1] != g) and t[i] >= last_seen[g]:
            last_seen[g], last_reader[g] = t[i], reader[i]
    return rmax


@njit(cache=True)
def _merge_pairs(t, tag, reader, lo, last_us, seen, key, cnt, stamp, heard):
    """The chunk's (tag, reader) pairs within each reader's recent window (rows sorted by tag), counted and merged
    into the sorted running pairs: counts add up, the stamp is the reader's last report now, `heard` the tag's own
    last report by that reader; pairs of readers that reported in this chunk are dropped once their stamp falls out
    of the window."""
    n, nr = len(t), len(lo)
    new_key = np.empty(n, np.int64)
    new_n = np.empty(n, np.int64)
    new_h = np.empty(n, np.int64)
    per = np.zeros(nr, np.int64)
    per_h = np.full(nr, -1, np.int64)
    used = np.empty(nr, np.int64)
    m = 0
    s = 0
    while s < n:  # one tag at a time: its readers' counts, in reader order
        g, e, u = tag[s], s, 0
        while e < n and tag[e] == g:
            r = reader[e]
            if t[e] >= lo[r]:
                if per[r] == 0:
                    used[u] = r
                    u += 1
                per[r] += 1
                per_h[r] = max(per_h[r], t[e])
            e += 1
        s = e
        for a in range(1, u):  # insertion sort: a tag is heard by a few readers
            r, b = used[a], a
            while b > 0 and used[b - 1] > r:
                used[b] = used[b - 1]
                b -= 1
            used[b] = r
        for r in used[:u]:
            new_key[m], new_n[m], new_h[m] = (np.int64(g) << 32) | r, per[r], per_h[r]
            per[r], per_h[r] = 0, -1
            m += 1
    out_key = np.empty(len(key) + m, np.int64)
    out_n = np.empty(len(key) + m, np.int64)
    out_last = np.empty(len(key) + m, np.int64)
    out_h = np.empty(len(key) + m, np.int64)
    i = j = k = 0
    while i < len(key) or j < m:
        if j >= m or (i < len(key) and key[i] < new_key[j]):
            q, c, st, h = key[i], cnt[i], stamp[i], heard[i]
            i += 1
        else:
            q = new_key[j]
            c, st, h = new_n[j], last_us[q & 0xFFFFFFFF], new_h[j]
            if i < len(key) and key[i] == q:
                c += cnt[i]
                h = max(h, heard[i])
                i += 1
            j += 1
        r = q & 0xFFFFFFFF
        if not seen[r] or st >= lo[r]:
            out_key[k], out_n[k], out_last[k], out_h[k] = q, c, st, h
            k += 1
    return out_key[:k], out_n[:k], out_last[:k], out_h[:k]


@njit(cache=True)
def _steady_pairs(key, cnt, heard, is_silent):
    """(reader, tag, the tag's last report by it) of the running pairs of these readers reported at least twice."""
    r_out = np.empty(len(key), np.int64)
    g_out = np.empty(len(key), np.int64)
    h_out = np.empty(len(key), np.int64)
    m = 0
    for i in range(len(key)):
        r = key[i] & 0xFFFFFFFF
        if cnt[i] >= 2 and is_silent[r]:
            r_out[m], g_out[m], h_out[m] = r, key[i] >> 32, heard[i]
            m += 1
    return r_out[:m], g_out[:m], h_out[:m]


def barrier_alerts(book, watch: ReaderWatch, rows) -> None:
    """Light barriers the core stopped or started trusting again (twin.tracker.beam_watch: (t_us, reader id, GPI port,
    raised, why)) as reader_offline raised and cleared in the alert book, one per (reader, port), in the reader's
    space, the detail naming both ("reader R-x light barrier 1 (door, side) ...") as the twin's truth does; a beam's
    alert is apart from its reader's own outage (one does not clear the other)."""
    for t, reader, port, raised, why in rows:
        r = watch._rindex.get(reader)
        space = watch.space[r] if r is not None else ""
        key = f"{reader}/gpi{port}"
        if raised:
            book.raise_(t, "reader_offline", "", space, "", f"reader {reader} light barrier {port} {why}", key)
        else:
            book.clear(t, "reader_offline", "", space, key)
