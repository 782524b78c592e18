"""Drive several cores on one world run (or on saved streams) and score each: the oracle-vs-naive comparison.

`run_with_cores(scn, ["naive", "oracle"])` generates the world once, feeds every chunk to each core through the Core
protocol (the oracle gets the World as its config) and scores each core's estimates against the same truth.
"""

from __future__ import annotations

import time

import pyarrow as pa

from ..records import ESTIMATES_SCHEMA
from .loader import load_core
from .score import score


def run_with_cores(scn, core_names=("naive", "oracle"), *, world_kw: dict | None = None) -> dict[str, dict]:
    """{core name: {"metrics": score(...), "core_wall_s": float, "estimates": rows}} for one scenario run."""
    from ..readers.site import export_site
    from ..world import World

    world = World(scn, **(world_kw or {}))
    site = export_site(world.floor, world.placement)
    cores = {name: load_core(name, site, {"world": world} if name == "oracle" else None) for name in core_names}
    est = {name: [] for name in core_names}
    wall = dict.fromkeys(core_names, 0.0)
    truth, anomalies = [], []
    for ch in world.run():
        truth.append(ch.truth)
        anomalies.append(ch.anomalies)
        for name, core in cores.items():
            w0 = time.perf_counter()
            if hasattr(core, "observe"):  # the oracle learns when the portals' door sensors fired
                core.observe(ch.t0_us, ch.t1_us, ch.segments)
            core.ingest(ch.reads)
            core.apply(ch.events)
            status = getattr(ch, "reader_events", None)
            if status is not None and hasattr(core, "reader_events"):  # door light barriers, reader status
                core.reader_events(status)
            out = core.advance(ch.t1_us)
            wall[name] += time.perf_counter() - w0
            est[name].append(out.estimates)
    truth_t, anom_t = pa.concat_tables(truth), pa.concat_tables(anomalies)
    res = {}
    for name in core_names:
        e = pa.concat_tables(est[name]) if est[name] else ESTIMATES_SCHEMA.empty_table()
        m = score(truth_t, e, anom_t, None, start_us=scn.start_us, end_us=scn.end_us, warmup_s=scn.warmup_s, site=site)
        res[name] = {"metrics": m, "core_wall_s": wall[name], "estimate_rows": e.num_rows}
    return res


def headline(res: dict[str, dict]) -> str:
    """One line per core: zone / storage detection, latency p50 / p95, missed share, rows, core wall time."""
    lines = [f"{'core':8} {'zone':>7} {'storage':>8} {'lat_p50':>8} {'lat_p95':>8} {'missed':>7} {'rows':>8} {'wall_s':>7}"]
    for name, r in res.items():
        m = r["metrics"]
        v = lambda k: m.get(k, {}).get("value")  # noqa: E731
        f = lambda x: "   -" if x is None else f"{x:.3f}"  # noqa: E731
        lines.append(f"{name:8} {f(v('zone_detection_probability')):>7} {f(v('storage_detection_probability')):>8} "
                     f"{f(v('latency_s_p50')):>8} {f(v('latency_s_p95')):>8} {f(v('latency_missed_share')):>7} "
                     f"{r['estimate_rows']:>8} {r['core_wall_s']:>7.1f}")
    return "\n".join(lines)
