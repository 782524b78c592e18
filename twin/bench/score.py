"""Score a core's estimates and alerts against the twin's truth and anomalies, by DESIGN's metric names.

`score(...)` returns {metric name: {"value": ..., "unit": ..., extra breakdowns}}; values are floats or None when a
metric has nothing to count (no dossier-time, no moves, no alerts of a kind). docs/bench.md defines each metric.
"""

from __future__ import annotations

from typing import Any, Collection, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..building.model import STORAGE_PURPOSES
from ..records import ANOMALIES_SCHEMA, ESTIMATES_SCHEMA, TRUTH_SCHEMA
from .score_alerts import match_alerts
from .score_inventory import score_inventory
from .score_days import day_windows, detection_by_day, portal_direction, portal_passages, worst_day
from .score_zone import Steps, joint_codes, make_steps, matched_ticks, move_latency_us, tag_time_order, true_moves
from .siteview import SiteView, as_site_view

RATIO = "ratio"


def _share(num: int, den: int) -> float | None:
    return float(num) / float(den) if den else None


def _pct(x: np.ndarray, q: float) -> float | None:
    return float(np.percentile(x, q)) if len(x) else None


def _table(t: pa.Table | None, schema: pa.Schema) -> pa.Table:
    if t is None:
        return schema.empty_table()
    missing = [n for n in schema.names if n not in t.column_names]
    if missing:
        raise ValueError(f"table lacks columns {missing}: expected the contract's {schema.names}")
    return t.select(schema.names)


def _breakdown(good: np.ndarray, total: np.ndarray, labels: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for lab, g, n in zip(labels, good.tolist(), total.tolist()):
        acc = out.setdefault(lab, [0, 0])
        acc[0] += g
        acc[1] += n
    return {k: {"value": _share(g, n), "ticks": n} for k, (g, n) in sorted(out.items()) if n}


class _Coded:
    """Truth and estimates with tags, spaces and storage units as shared integer codes, encoded once."""

    def __init__(self, truth: pa.Table, est: pa.Table, w0: int, w1: int):
        self.truth, self.w0, self.w1 = truth, w0, w1
        (self.t_tag, self.e_tag), self.tag_names = joint_codes(truth["epc"], est["epc"])
        (self.t_space, self.e_space), self.space_names = joint_codes(truth["space"], est["space"])
        (self.t_storage, self.e_storage), _ = joint_codes(truth["storage"], est["storage"])
        self.t0 = truth["t0_us"].to_numpy()
        self.t1 = truth["t1_us"].to_numpy()
        self.e_t = est["t_us"].to_numpy()
        self.order = tag_time_order(self.e_tag, self.e_t)
        self._steps: dict[str, Steps] = {}

    def steps(self, column: str) -> Steps:
        if column not in self._steps:
            val = self.e_space if column == "space" else self.e_storage
            self._steps[column] = make_steps(self.e_tag, self.e_t, val, self.w0, self.w1, self.order)
        return self._steps[column]


def _detection(c: _Coded, rows: np.ndarray, column: str, start_us: int, view: SiteView, per: str) -> dict[str, Any]:
    """Share of truth ticks (of truth rows `rows`) whose estimated `column` (space or storage) equals the true one."""
    a = np.maximum(c.t0[rows], c.w0)
    b = np.minimum(c.t1[rows], c.w1)
    inside = a < b
    rows = rows[inside]
    val = (c.t_space if column == "space" else c.t_storage)[rows]
    good, total = matched_ticks(c.t_tag[rows], a[inside], b[inside], val, c.steps(column), start_us)
    spaces = np.asarray(c.truth["space"].to_pylist(), dtype=object)[rows]
    purposes = [view.purpose(s) for s in spaces]
    by = np.asarray(c.truth[per].to_pylist(), dtype=object)[rows] if per != "space" else spaces
    g, n = int(good.sum()), int(total.sum())
    return {
        "value": _share(g, n),
        "unit": RATIO,
        "ticks": n,
        "by_purpose": _breakdown(good, total, purposes),
        f"by_{per}": _breakdown(good, total, list(by)),
    }


def _portal_pairs(view: SiteView) -> set[frozenset]:
    """Space pairs whose every joining door is watched by a portal."""
    pairs: dict[frozenset, bool] = {}
    portals = view.portal_doors
    for d, (a, b) in view.doors.items():
        k = frozenset((a, b))
        pairs[k] = pairs.get(k, True) and d in portals
    return {k for k, v in pairs.items() if v}


def _latency(c: _Coded, view: SiteView, start_us: int) -> dict[str, dict]:
    moves = true_moves(c.t_tag, c.t0, c.t_space, c.w0, c.w1)
    lat = move_latency_us(moves, c.steps("space"))
    out = _latency_metrics("latency_s", lat)
    portal = _portal_pairs(view)
    if portal:
        names = c.space_names
        name = lambda k: names[k] if k >= 0 else ""  # noqa: E731
        via = np.array([frozenset((name(p), name(n))) in portal for p, n in zip(moves.prev.tolist(), moves.new.tolist())], bool)
        out.update(_latency_metrics("latency_portal_s", lat[via] if len(via) else lat[:0]))
        days = day_windows(start_us, c.w0, c.w1)
        if len(days) > 1 and len(via):
            per = []
            for k, a, b in days:
                sel = via & (moves.t_us >= a) & (moves.t_us < b)
                seen = lat[sel & (lat >= 0)] / 1e6
                per.append({"day": k, "value": _pct(seen, 95), "moves": int(sel.sum())})
            vals = [d["value"] for d in per if d["value"] is not None]
            out["latency_portal_s_p95_max_day"] = {"value": max(vals) if vals else None, "unit": "s",
                                                   "days": len(per), "by_day": per}  # fmt: skip
    return out


def _latency_metrics(prefix: str, lat_us: np.ndarray) -> dict[str, dict]:
    seen = lat_us[lat_us >= 0] / 1e6
    n = len(lat_us)
    return {
        f"{prefix}_p50": {"value": _pct(seen, 50), "unit": "s", "moves": n},
        f"{prefix}_p95": {"value": _pct(seen, 95), "unit": "s", "moves": n},
        f"{prefix.removesuffix('_s')}_missed_share": {"value": _share(n - len(seen), n), "unit": RATIO, "moves": n},
    }


def score(
    truth: pa.Table | None,
    estimates: pa.Table | None,
    anomalies: pa.Table | None,
    alerts: pa.Table | None,
    *,
    start_us: int,
    end_us: int,
    warmup_s: float,
    site: Mapping[str, Any] | SiteView | None = None,
    tag_kinds: tuple[str, ...] = ("dossier",),
    alert_windows: dict | None = None,
    sweeps: list[dict] | None = None,
    dead_tags: Collection[str] | None = None,
) -> dict[str, dict]:
    """All accuracy, latency and alert metrics of one run over [start + warm-up, end); with the core's sweep
    reports (`sweeps`), the inventory metrics too (twin.bench.score_inventory). `dead_tags`: EPCs whose tags never
    answer (twin.bench.dead_tags): alert recall, portal direction and the sweep figures count them apart, as
    undetectable."""
    view = as_site_view(site)
    w0 = int(start_us) + int(round(warmup_s * 1e6))
    w1 = int(end_us)
    if w1 < w0:
        w0 = w1
    truth = _table(truth, TRUTH_SCHEMA)
    est = _table(estimates, ESTIMATES_SCHEMA)
    truth = truth.filter(pc.is_in(truth["tag_kind"], pa.array(list(tag_kinds), pa.string())))
    coded = _Coded(truth, est, w0, w1)
    out: dict[str, dict] = {}
    out["zone_detection_probability"] = _detection(coded, np.arange(truth.num_rows), "space", start_us, view, "space")
    in_storage = pc.and_(
        pc.is_in(truth["space"], pa.array([s for s, p in view.spaces.items() if p in STORAGE_PURPOSES], pa.string())),
        pc.not_equal(truth["storage"], ""),
    )
    rows = np.flatnonzero(in_storage.fill_null(False).to_numpy(zero_copy_only=False))
    out["storage_detection_probability"] = _detection(coded, rows, "storage", start_us, view, "storage")
    out.update(_latency(coded, view, start_us))
    pairs = _portal_pairs(view)
    if pairs:
        passages = portal_passages(coded.t_tag, coded.t0, coded.t1, coded.t_space, pairs, coded.space_names, w0)
        dead_code = np.isin(np.asarray(coded.tag_names, dtype=object), list(set(dead_tags or ())))
        out["portal_direction_right"] = portal_direction(passages, coded.steps("space"), dead=dead_code)
        days = day_windows(start_us, w0, w1)
        if len(days) > 1:
            per = []
            for k, a, b in days:
                sel = (passages[1] >= a) & (passages[1] < b)
                d = portal_direction(tuple(x[sel] for x in passages), coded.steps("space"), dead=dead_code)
                per.append({"day": k, "value": d["value"], "passages": d["passages"]})
            out["portal_direction_right_min_day"] = worst_day(per, RATIO)
    if len(day_windows(start_us, w0, w1)) > 1:
        c = coded
        everything = np.arange(truth.num_rows)
        for name, r, col, val in (("zone_detection_probability", everything, "space", c.t_space),
                                  ("storage_detection_probability", rows, "storage", c.t_storage)):  # fmt: skip
            days = detection_by_day(c.t_tag[r], c.t0[r], c.t1[r], val[r], c.steps(col), start_us, w0, w1)
            out[f"{name}_min_day"] = worst_day(days, RATIO)
    dead = set(dead_tags or ())
    for kind, r in match_alerts(_table(anomalies, ANOMALIES_SCHEMA), _table(alerts, ANOMALIES_SCHEMA),
                                w0_us=w0, w1_us=w1, windows=alert_windows, dead=dead).items():  # fmt: skip
        counts = {"alerts": r.n_alerts, "anomalies": r.n_anomalies, "matched": r.found}
        out[f"alert_{kind}_precision"] = {"value": r.precision, "unit": RATIO, **counts}
        out[f"alert_{kind}_recall"] = {"value": r.recall, "unit": RATIO, **counts,
                                       "undetectable": len(r.undetectable), "undetectable_epcs": list(r.undetectable),
                                       "matched_undetectable": r.found_undetectable, "recall_all": r.recall_all}
        out[f"alert_{kind}_delay_s_p50"] = {"value": _pct(r.delays_s, 50), "unit": "s", **counts}
        out[f"alert_{kind}_delay_s_p95"] = {"value": _pct(r.delays_s, 95), "unit": "s", **counts}
    if sweeps:
        out.update(score_inventory(sweeps, truth, _table(anomalies, ANOMALIES_SCHEMA), w0_us=w0, w1_us=w1,
                                   tag_kinds=tag_kinds, dead=dead))  # fmt: skip
    return out


def flat_values(metrics: Mapping[str, Mapping[str, Any]]) -> dict[str, float | None]:
    """{name: value} of a score() result, for bands and baselines."""
    return {k: v.get("value") for k, v in metrics.items()}
