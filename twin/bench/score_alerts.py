"""Alerts against ground-truth anomalies: per kind precision, recall and detection delay.

An alert matches a not-yet-matched anomaly of the same kind and key (the tag's EPC; for reader_offline the space,
and the reader when both the alert's and the anomaly's detail name one: a space often has a portal, desk and shelf
readers, and one reader's alert does not detect another's outage) when the alert time lies in
[anomaly.t - early_s, anomaly.t + window_s]; for reader_offline (`while_lasting`) the window stays open while the fault
lasts, when that is longer (a dead light barrier on a quiet door shows only once people cross it; its truth row's
detail ends "for N s"). Alerts are taken in time order and each takes the earliest eligible anomaly; with one window
length per kind this greedy choice gives a maximum matching (with per-fault lengths, nearly always).
Duplicate alerts therefore match once: the rest are false positives.

Undetectable anomalies: one about a tag that can never answer (a dead inlay, twin.bench.dead_tags) is beyond any RFID
core. Recall is counted over the detectable anomalies; the undetectable ones are kept beside it (count, which, and
the recall over all anomalies), so nothing is hidden. Precision is unchanged: every alert counts.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Collection

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class AlertWindow:
    """How early (alert before the anomaly began) and how late an alert may come and still match, in seconds."""

    early_s: float
    window_s: float
    key: str = "epc"  # anomaly/alert column that must be equal besides the kind
    same_reader: bool = False  # ... and the reader named in `detail` ("reader R-x", "antenna R-x:2"), if both do
    while_lasting: bool = False  # ... or while the fault lasts, when the anomaly's detail ends "for N s" (a fault)


#: Defaults per kind (assumption: what a station supervisor would still call "caught"; override per scenario).
DEFAULT_WINDOWS: dict[str, AlertWindow] = {
    "left_building": AlertWindow(60, 600),
    "drawer": AlertWindow(60, 1800),
    "missing": AlertWindow(300, 3600),
    "misfiled": AlertWindow(60, 1800),
    "overdue_warning": AlertWindow(300, 900),
    "overdue": AlertWindow(300, 900),
    "separated": AlertWindow(60, 900),
    "reader_offline": AlertWindow(60, 600, key="space", same_reader=True, while_lasting=True),
    "unrecorded_handover": AlertWindow(60, 900),
}
FALLBACK_WINDOW = AlertWindow(60, 900)


def window_for(kind: str, overrides: dict | None = None) -> AlertWindow:
    """The matching window of a kind: an override (AlertWindow or dict of its fields), the default, or the fallback."""
    w = (overrides or {}).get(kind)
    if isinstance(w, dict):
        base = DEFAULT_WINDOWS.get(kind, FALLBACK_WINDOW)
        return AlertWindow(w.get("early_s", base.early_s), w.get("window_s", base.window_s), w.get("key", base.key),
                           w.get("same_reader", base.same_reader), w.get("while_lasting", base.while_lasting))
    return w or DEFAULT_WINDOWS.get(kind, FALLBACK_WINDOW)


@dataclass(frozen=True)
class KindResult:
    kind: str
    n_alerts: int  # alerts of this kind inside the scored span
    n_anomalies: int  # anomalies of this kind inside the scored span
    tp_alerts: int  # of those alerts, how many matched an anomaly
    found: int  # of those anomalies, how many were matched
    delays_s: np.ndarray  # alert time - anomaly time of matched anomalies inside the span (negative: early)
    undetectable: tuple[str, ...] = ()  # EPCs of those anomalies that are about a dead tag (time order)
    found_undetectable: int = 0  # of those, how many were matched all the same

    @property
    def precision(self) -> float | None:
        return self.tp_alerts / self.n_alerts if self.n_alerts else None

    @property
    def recall(self) -> float | None:
        """Share of the detectable anomalies (not about a dead tag) that were matched."""
        n = self.n_anomalies - len(self.undetectable)
        return (self.found - self.found_undetectable) / n if n else None

    @property
    def recall_all(self) -> float | None:
        """Share of all anomalies, undetectable ones included, that were matched."""
        return self.found / self.n_anomalies if self.n_anomalies else None


_READER = re.compile(r"\b(?:reader|antenna) ([^\s:]+)")


def reader_of(detail: str | None) -> str:
    """The reader an outage row names in its detail ("reader R-x offline ...", "antenna R-x:2 ..."), or ""."""
    m = _READER.search(detail or "")
    return m.group(1) if m else ""


_LASTING = re.compile(r"\bfor (\d+(?:\.\d+)?) s$")


def lasting_s(detail: str | None) -> float:
    """How long a fault lasted, from its truth row's detail ("reader R-x offline for 1200 s"), or 0."""
    m = _LASTING.search(detail or "")
    return float(m.group(1)) if m else 0.0


def _rows(table: pa.Table | None, key: str) -> list[tuple[int, str, str]]:
    if table is None or table.num_rows == 0:
        return []
    t = table.column("t_us").to_pylist()
    k = table.column("kind").to_pylist()
    v = table.column(key).to_pylist() if key in table.column_names else [""] * len(t)
    return list(zip(t, k, [x or "" for x in v]))


def _readers(table: pa.Table | None) -> list[str]:
    if table is None or table.num_rows == 0 or "detail" not in table.column_names:
        return [""] * (0 if table is None else table.num_rows)
    return [reader_of(d) for d in table.column("detail").to_pylist()]


def match_alerts(
    anomalies: pa.Table | None, alerts: pa.Table | None, *, w0_us: int, w1_us: int, windows: dict | None = None,
    dead: Collection[str] = (),
) -> dict[str, KindResult]:
    """Per kind: match every alert against every anomaly, then count those with times in [w0, w1).

    Matching uses all rows, so an alert just after the warm-up can still match an anomaly inside it (and is then not
    a false positive); only anomalies and alerts inside the span enter recall and precision. `dead`: EPCs of tags
    that never answer; anomalies about them are undetectable (KindResult.undetectable).
    """
    dead = set(dead)
    an_epc = [e for _, _, e in _rows(anomalies, "epc")] if dead else []  # per anomaly row, its tag
    kinds = sorted({r[1] for r in _rows(anomalies, "epc")} | {r[1] for r in _rows(alerts, "epc")})
    out = {}
    for kind in kinds:
        w = window_for(kind, windows)
        an = sorted((t, v, i) for i, (t, k, v) in enumerate(_rows(anomalies, w.key)) if k == kind)
        al = sorted((t, v, i) for i, (t, k, v) in enumerate(_rows(alerts, w.key)) if k == kind)
        if w.same_reader:
            an_r, al_r = _readers(anomalies), _readers(alerts)
        early, late = int(round(w.early_s * 1e6)), int(round(w.window_s * 1e6))
        if w.while_lasting and an:  # per anomaly: the window, or the fault's length if longer
            details = anomalies.column("detail").to_pylist() if "detail" in anomalies.column_names else []
            lates = [max(late, int(round(lasting_s(details[a[2]] if details else "") * 1e6))) for a in an]
        else:
            lates = [late] * len(an)
        waiting: dict[str, deque] = defaultdict(deque)  # key -> anomalies whose window has opened, by time
        matched_an: dict[int, int] = {}  # anomaly position -> alert time
        matched_al: set[int] = set()
        k = 0
        for j, (ta, va, _) in enumerate(al):
            while k < len(an) and an[k][0] - early <= ta:
                waiting[an[k][1]].append(k)
                k += 1
            q = waiting[va]
            while q and an[q[0]][0] + lates[q[0]] < ta:
                q.popleft()  # window closed before this alert; later alerts are later still
            if q and w.same_reader:  # the earliest open anomaly of a compatible reader
                ra = al_r[al[j][2]]
                pick = next((p for p in q if an[p][0] + lates[p] >= ta and (not ra or an_r[an[p][2]] in ("", ra))), None)
                if pick is not None:
                    q.remove(pick)
                    matched_an[pick] = ta
                    matched_al.add(j)
            elif q:
                matched_an[q.popleft()] = ta
                matched_al.add(j)
        in_an = [p for p, a in enumerate(an) if w0_us <= a[0] < w1_us]
        in_al = [j for j, a in enumerate(al) if w0_us <= a[0] < w1_us]
        delays = np.array([(matched_an[p] - an[p][0]) / 1e6 for p in in_an if p in matched_an], dtype=float)
        undet = [p for p in in_an if an_epc and an_epc[an[p][2]] in dead]
        out[kind] = KindResult(
            kind, len(in_al), len(in_an), sum(1 for j in in_al if j in matched_al), len(delays), delays,
            tuple(an_epc[an[p][2]] for p in undet), sum(1 for p in undet if p in matched_an),
        )
    return out
