"""Reader status stream: what an LLRP client hears from each fixed reader besides its tag reports.

A client holds one TCP connection per reader (LLRP 1.1, Transport: one connection per reader, client-initiated) and
configures periodic KEEPALIVE messages (Reader Device Configuration, KeepaliveSpec: KeepaliveTriggerType Periodic,
PeriodicTriggerValue in ms). The reader reports its state in READER_EVENT_NOTIFICATION messages whose
ReaderEventNotificationData carries a ConnectionAttemptEvent (Status, e.g. Success, when a connection is accepted), a
ConnectionCloseEvent (the reader is about to close the connection), an AntennaEvent (EventType Antenna_Disconnected /
Antenna_Connected, AntennaID) or a ReaderExceptionEvent (Message). This module turns the twin's outage ground truth
into that stream, one row per message (`READER_EVENTS_SCHEMA`, reader clock).

How an outage shows is drawn per outage from its own named stream (the reads are untouched). The mix is an assumption
(no published breakdown of reader failure modes):
- `power_loss`: the reader dies silently: no ConnectionCloseEvent, its keepalives just stop (the client only sees
  them missing and, later, a TCP timeout); on recovery the client reconnects and the reader sends a
  ConnectionAttemptEvent Success, then keepalives again.
- `connection_close`: a reboot or shutdown that closes the connection first: ConnectionCloseEvent, silence, then the
  ConnectionAttemptEvent Success on recovery.
- `hung`: the LLRP stack stays up (keepalives go on) but the reader stops inventorying; with probability
  `HUNG_EXCEPTION_P` it says so in a ReaderExceptionEvent. Its recovery is silent (reads resume).
An antenna outage sends AntennaEvent Antenna_Disconnected at its start and Antenna_Connected at its end (when the
reader is connected then); keepalives go on. Handheld readers are not connected (they sync their sweeps).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa

from twin.records import READER_EVENTS_SCHEMA

#: Keepalive period when a scenario gives none (assumption: a few seconds to tens of seconds is usual; 10 s keeps the
#: stream small, ~8,640 rows per reader-day, and lets a client notice a dead link within half a minute).
KEEPALIVE_S = 10.0
#: How outages of a whole reader show on the connection (assumption; see the module docstring).
MODES = ("power_loss", "connection_close", "hung")
MODE_P = (0.4, 0.4, 0.2)
HUNG_EXCEPTION_P = 0.5  # a hung reader reports a ReaderExceptionEvent (assumption)

KEEPALIVE = "KEEPALIVE"
CONNECTION_ATTEMPT = "ConnectionAttemptEvent"
CONNECTION_CLOSE = "ConnectionCloseEvent"
ANTENNA = "AntennaEvent"
READER_EXCEPTION = "ReaderExceptionEvent"
#: Every kind of reader_events.parquet (LLRP 1.1 message / ReaderEventNotificationData parameter names).
KINDS = (KEEPALIVE, CONNECTION_ATTEMPT, CONNECTION_CLOSE, ANTENNA, READER_EXCEPTION)
ANTENNA_DISCONNECTED, ANTENNA_CONNECTED = "Antenna_Disconnected", "Antenna_Connected"
EXCEPTION_MESSAGE = "ROSpec stopped: RF module not responding"


@dataclass(frozen=True)
class StatusOutage:
    """One outage in µs of true time: a whole reader (`port` 0) or one antenna port, and how it shows."""

    reader: str
    port: int
    t0_us: int
    t1_us: int
    mode: str  # one of MODES, or "antenna"
    exception: bool = False  # hung: a ReaderExceptionEvent at t0


def draw_modes(outages: Sequence[tuple[str, int, int, int]], rng: np.random.Generator) -> list[StatusOutage]:
    """How each (reader, port, t0_us, t1_us) outage shows, one draw per outage in the given order."""
    out = []
    for reader, port, t0, t1 in outages:
        if port:
            out.append(StatusOutage(reader, int(port), int(t0), int(t1), "antenna"))
            continue
        mode = MODES[int(rng.choice(len(MODES), p=MODE_P))]
        exc = bool(rng.random() < HUNG_EXCEPTION_P) if mode == "hung" else False
        out.append(StatusOutage(reader, 0, int(t0), int(t1), mode, exc))
    return out


class ReaderStatus:
    """The status stream of the connected (fixed) readers, chunk by chunk: `rows(t0_us, t1_us)` -> Arrow table.

    `clock(reader_id)` gives the reader's clock (an object with `to_reader(t_us array)`) or None for true time; it
    is asked per chunk, so clocks drawn lazily by the reader engine are used once they exist.
    """

    def __init__(self, readers: Sequence[str], outages: Sequence[StatusOutage], keepalive_s: float,
                 rng: np.random.Generator, clock: Callable[[str], object] | None = None) -> None:  # fmt: skip
        if not keepalive_s > 0:
            raise ValueError(f"keepalive_s must be > 0, got {keepalive_s}")
        self.readers = list(readers)
        self.period_us = int(round(keepalive_s * 1e6))
        self.phase_us = {r: int(rng.integers(0, self.period_us)) for r in self.readers}
        self.clock = clock or (lambda _r: None)
        known = set(self.readers)
        self.outages = [o for o in outages if o.reader in known]
        # keepalives stop while the connection is down (power loss, close); a hung reader keeps its link
        self.silent = {r: np.array([(o.t0_us, o.t1_us) for o in self.outages
                                    if o.reader == r and o.mode in ("power_loss", "connection_close")],
                                   np.int64).reshape(-1, 2) for r in self.readers}  # fmt: skip
        self.events = sorted(self._events(), key=lambda e: (e[0], e[1], e[2], e[3]))

    def _connected(self, reader: str, t_us: int) -> bool:
        iv = self.silent[reader]
        return not bool(np.any((iv[:, 0] <= t_us) & (t_us < iv[:, 1])))

    def _events(self) -> list[tuple[int, str, int, str, str]]:
        ev = []
        for o in self.outages:
            if o.mode == "antenna":
                if self._connected(o.reader, o.t0_us):
                    ev.append((o.t0_us, o.reader, o.port, ANTENNA, ANTENNA_DISCONNECTED))
                if self._connected(o.reader, o.t1_us):
                    ev.append((o.t1_us, o.reader, o.port, ANTENNA, ANTENNA_CONNECTED))
            elif o.mode == "connection_close" and self._connected(o.reader, o.t0_us - 1):
                ev.append((o.t0_us, o.reader, 0, CONNECTION_CLOSE, ""))
            elif o.mode == "hung" and o.exception and self._connected(o.reader, o.t0_us):
                ev.append((o.t0_us, o.reader, 0, READER_EXCEPTION, EXCEPTION_MESSAGE))
            if o.mode in ("power_loss", "connection_close") and self._connected(o.reader, o.t1_us):
                ev.append((o.t1_us, o.reader, 0, CONNECTION_ATTEMPT, "Success"))
        return ev

    def keepalive_times(self, reader: str, t0_us: int, t1_us: int) -> np.ndarray:
        """True times of the reader's KEEPALIVE messages in [t0_us, t1_us)."""
        p, ph = self.period_us, self.phase_us[reader]
        k0 = -((ph - t0_us) // p)  # ceil((t0 - ph) / p)
        k1 = -((ph - t1_us) // p)
        t = ph + np.arange(k0, k1, dtype=np.int64) * p
        iv = self.silent[reader]
        if len(iv) and len(t):
            down = np.zeros(len(t), bool)
            for a, b in iv:
                down |= (t >= a) & (t < b)
            t = t[~down]
        return t

    def rows(self, t0_us: int, t1_us: int) -> pa.Table:
        """Every status message sent in [t0_us, t1_us), sorted by reader-clock time (READER_EVENTS_SCHEMA).

        Keepalives of all readers at once (one arange per chunk, outage gaps cut per reader that has any); rows
        ordered by (reader-clock time, reader id, kind) through integer ranks of the ids.
        """
        n_r, p = len(self.readers), self.period_us
        if not hasattr(self, "_ph"):
            self._ph = np.array([self.phase_us[r] for r in self.readers], np.int64)
            self._name_rank = np.argsort(np.argsort(np.array(self.readers, dtype=str), kind="stable"), kind="stable")
        k0 = -((self._ph - t0_us) // p)  # ceil((t0 - ph) / p), per reader
        cnt = np.maximum(-((self._ph - t1_us) // p) - k0, 0)
        ri = np.repeat(np.arange(n_r), cnt)
        t = self._ph[ri] + (k0[ri] + np.arange(len(ri)) - np.repeat(np.cumsum(cnt) - cnt, cnt)) * p
        keep = np.ones(len(t), bool)
        for j, r in enumerate(self.readers):
            iv = self.silent[r]
            if len(iv) and cnt[j]:
                for a, b in iv:
                    keep &= ~((ri == j) & (t >= a) & (t < b))
        t, ri = t[keep], ri[keep]
        kinds = [KEEPALIVE] * len(t)
        details = [""] * len(t)
        ports = [np.zeros(len(t), np.int64)]
        ev = [e for e in self.events if t0_us <= e[0] < t1_us]
        if ev:
            idx = {r: j for j, r in enumerate(self.readers)}
            t = np.concatenate([t, np.array([e[0] for e in ev], np.int64)])
            ri = np.concatenate([ri, np.array([idx[e[1]] for e in ev], np.int64)])
            ports.append(np.array([e[2] for e in ev], np.int64))
            kinds += [e[3] for e in ev]
            details += [e[4] for e in ev]
        order_r = np.argsort(ri, kind="stable")
        bounds = np.searchsorted(ri[order_r], np.arange(n_r + 1))
        for j in np.flatnonzero(np.diff(bounds)):  # the reader's own clock, as on its tag reports
            c = self.clock(self.readers[j])
            if c is not None:
                sel = order_r[bounds[j]:bounds[j + 1]]
                t[sel] = c.to_reader(t[sel])
        readers = np.array(self.readers, dtype=object)[ri] if len(ri) else np.zeros(0, object)
        if len(t):
            kind_names = sorted(set(kinds))
            kind_rank = np.array([kind_names.index(k) for k in kinds], np.int64) if len(kind_names) > 1 else \
                np.zeros(len(t), np.int64)  # fmt: skip
            order = np.lexsort((kind_rank, self._name_rank[ri], t))
        tab = pa.table({"t_us": pa.array(t, pa.int64()), "reader": pa.array(readers.tolist(), pa.string()),
                        "antenna": pa.array(np.concatenate(ports), pa.uint16()),
                        "kind": pa.array(kinds, pa.string()), "detail": pa.array(details, pa.string())},
                       schema=READER_EVENTS_SCHEMA)  # fmt: skip
        return tab.take(pa.array(order, pa.int64())) if len(t) else tab
