"""What the world pulls from the ledger per chunk: every tag's motion for the reader engine, the handhelds' tracks,
and the truth intervals closed meanwhile. A mixin of twin.agents.ledger.Ledger, kept apart from the recording of
what agents do.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..records import TRUTH_SCHEMA
from .motion import HANDHELD_DTYPE, SEGMENT_DTYPE, along, handheld_segments, officer_pieces, rest_segments


class ChunkPulls:
    """Mixin of Ledger: uses its per-tag arrays, officers, closed pieces and truth lists."""

    def segments(self, t0_s: float, t1_s: float) -> np.ndarray:
        """Motion of every tag over [t0_s, t1_s) as SEGMENT_DTYPE rows (tags at rest first); ends the chunk.

        Call once per chunk, in time order, after the simulation has reached t1_s.
        """
        for o in self._officer_list:
            self._advance(o, t1_s, strict=True)
        P, start, count = officer_pieces(self._officer_list, t0_s, t1_s)
        ek = (self._epc_b, self.start_us)
        n = self._n
        since = self._since[:n]
        hold = self._holder[:n]
        a_all = np.maximum(since, t0_s)
        parts = []
        rest = np.flatnonzero((hold < 0) & (a_all < t1_s))
        if len(rest):
            seg = np.take(self._rest, rest)  # far faster than fancy indexing on a structured array
            seg["t0_us"] = self.start_us + np.round(a_all[rest] * 1e6).astype(np.int64)
            seg["t1_us"] = self._us(t1_s)
            parts.append(seg)
            if seg["t0_us"].max() >= seg["t1_us"][0]:  # a tag put down within the chunk's last microsecond
                parts[-1] = seg[seg["t1_us"] > seg["t0_us"]]
        car = np.flatnonzero(hold >= 0)
        if len(car):
            parts.append(along(P, start, count, car, a_all[car], np.full(len(car), t1_s), hold[car], *ek)[0])
        moved = [p for p in self._closed_pieces if p[3] >= 0]
        if moved:
            m = np.array(moved, dtype=np.float64)
            tags, hs = m[:, 0].astype(np.int64), m[:, 3].astype(np.int64)
            parts.append(along(P, start, count, tags, np.maximum(m[:, 1], t0_s), m[:, 2], hs, *ek)[0])
        still = [p for p in self._closed_pieces if p[3] < 0]
        if still:
            m = np.array(still, dtype=np.float64)
            parts.append(rest_segments(m[:, 0].astype(np.int64), np.maximum(m[:, 1], t0_s), m[:, 2], m[:, 4],
                                       m[:, 5], m[:, 6], m[:, 7], *ek))
        self._closed_pieces = []
        wins = [(r, h, max(a, t0_s), min(b, t1_s)) for r, h, a, b in self._handheld_closed]
        wins += [(r, h, max(a, t0_s), t1_s) for r, (h, a) in sorted(self._handhelds.items())]
        self._handheld_closed = []
        aims = getattr(self, "_hh_aims", {})
        self._hh_chunk = handheld_segments(P, start, count, [w for w in wins if w[3] > w[2]], self.start_us, aims)
        for r, ev in aims.items():  # keep the aim in force at the chunk's end and what comes after
            k = sum(1 for e in ev if e[0] <= t1_s)
            del ev[: max(0, k - 1)]
        # Drop officer pieces that ended in this chunk (the last one always stays: it ends later or never).
        for o in self._officer_list:
            if len(o.pieces) > 1 and o.pieces[0][1] <= t1_s:
                o.pieces = [p for p in o.pieces if p[1] > t1_s] or o.pieces[-1:]
        self._horizon = t1_s
        if not parts:
            return np.zeros(0, SEGMENT_DTYPE)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def aim_handheld(self, reader: str, t_s: float, azimuth_deg: float) -> None:
        """The keeper points handheld `reader` along azimuth_deg (plan, deg) from t_s on; NaN: no longer aimed (it
        then points along the walk). Times in order per reader."""
        self.__dict__.setdefault("_hh_aims", {}).setdefault(reader, []).append((float(t_s), float(azimuth_deg)))

    def handheld_antennas(self, t0_s: float, t1_s: float) -> np.ndarray:
        """Where each switched-on handheld reader was over the chunk last passed to `segments` (HANDHELD_DTYPE)."""
        return getattr(self, "_hh_chunk", np.zeros(0, HANDHELD_DTYPE))

    def closed_truth(self) -> pa.Table:
        """Truth intervals closed since the last call (TRUTH_SCHEMA), then forgotten."""
        tr = self._truth
        table = pa.table(
            {
                "epc": pa.array(tr[0], pa.string()),
                "tag_kind": pa.array(tr[1], pa.string()),
                "t0_us": pa.array(tr[2], pa.int64()),
                "t1_us": pa.array(tr[3], pa.int64()),
                "space": pa.array(tr[4], pa.string()),
                "storage": pa.array(tr[5], pa.string()),
                "holder": pa.array(tr[6], pa.string()),
            },
            schema=TRUTH_SCHEMA,
        )
        self._truth = ([], [], [], [], [], [], [])
        return table

    def close(self, t_s: float) -> pa.Table:
        """Close every open interval at t_s (the end of the run) and return everything not yet handed out."""
        for o in self._officer_list:
            self._advance(o, t_s, strict=True)
        for i in range(self._n):
            if self._open[i] < t_s:
                self._emit(i, t_s)
        return self.closed_truth()
