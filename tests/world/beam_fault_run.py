"""One twin run through the tracker twice (door light barriers read, and antennas only) for the light-barrier fault
tests: per faulted door, whether the tracker trusted its beams over time, and the portal direction of the dossier
passages through it (the bench's rule, twin.bench.score_days: the estimate in force MIN_STAY_S after the passage
names the new space), how soon the tracker stopped trusting a faulted door, and its reader_offline alerts scored
against the twin's anomalies (twin.bench.score_alerts). `python -m tests.world.beam_fault_run [SCENARIO]` prints the
figures."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from twin.bench.score_alerts import match_alerts
from twin.bench.score_days import MIN_STAY_S
from twin.readers.site import export_site
from twin.scenario import SCENARIOS_DIR, load_scenario
from twin.tracker.core import TrackerCore
from twin.world import World

US = 1_000_000
SCENARIO = SCENARIOS_DIR / "beam-faults.toml"
#: the tracker as shipped; without the beam watch (twin.tracker.beam_watch); with its antennas alone; and trusting the
#: beams whatever they do (no stuck, silence or watch rule)
CONFIGS = {"beams": {}, "silent_alerts": {"beam_silent_alert": True}, "no_watch": {"beam_watch": False},
           "antennas": {"beams": False},
           "no_fallback": {"beam_stuck_s": 1e9, "beam_silence_s": 1e9, "beam_watch": False}}


@dataclass
class Run:
    """What the run gave: the world (faults, floor), truth, and per tracker config its estimates and, per advance,
    which doors' beams it trusted (`live[name]`: (advance times, (n, n_doors) bool))."""

    world: World
    truth: pa.Table
    doors: tuple[str, ...]
    anomalies: pa.Table | None = None
    estimates: dict[str, pa.Table] = field(default_factory=dict)
    alerts: dict[str, pa.Table] = field(default_factory=dict)
    live: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    stats: dict[str, dict] = field(default_factory=dict)


def run(scn, configs: dict[str, dict]) -> Run:
    """The world once, every chunk to one TrackerCore per config (ingest, apply, reader_events, advance)."""
    world = World(scn)
    site = export_site(world.floor, world.placement)
    cores = {k: TrackerCore(site, cfg) for k, cfg in configs.items()}
    doors = cores[next(iter(cores))].model.doors
    est: dict[str, list] = {k: [] for k in cores}
    alr: dict[str, list] = {k: [] for k in cores}
    anomalies = []
    live: dict[str, list] = {k: [] for k in cores}
    times, truth = [], []
    for ch in world.run():
        truth.append(ch.truth)
        anomalies.append(ch.anomalies)
        times.append(ch.t1_us)
        for k, core in cores.items():
            core.ingest(ch.reads)
            core.apply(ch.events)
            core.reader_events(ch.reader_events)
            out = core.advance(ch.t1_us)
            est[k].append(out.estimates)
            alr[k].append(out.alerts)
            b = core.beams
            live[k].append(b.live.copy() if b is not None else np.zeros(len(doors), bool))
    r = Run(world, pa.concat_tables(truth), tuple(doors), pa.concat_tables(anomalies))
    for k in cores:
        r.estimates[k] = pa.concat_tables(est[k])
        r.alerts[k] = pa.concat_tables(alr[k])
        r.live[k] = (np.array(times, np.int64), np.array(live[k]))
        r.stats[k] = cores[k].stats()
    return r


def passages(truth: pa.Table, a: str, b: str, t0_us: int, t1_us: int) -> list[tuple[str, int, str, int]]:
    """Dossier passages between spaces a and b starting in [t0_us, t1_us), followed by a stay of MIN_STAY_S or more:
    (epc, time, new space, end of the stay)."""
    d = truth.filter(pa.compute.equal(truth["tag_kind"], "dossier")).to_pydict()
    rows = sorted(zip(d["epc"], d["t0_us"], d["t1_us"], d["space"]))
    stays: list[list] = []  # consecutive rows of a tag in one space are one stay
    for epc, s, e, sp in rows:
        if stays and stays[-1][0] == epc and stays[-1][3] == sp:
            stays[-1][2] = max(stays[-1][2], e)
        else:
            stays.append([epc, s, e, sp])
    out = []
    for prev, cur in zip(stays, stays[1:]):
        if (prev[0] == cur[0] and {prev[3], cur[3]} == {a, b} and t0_us <= cur[1] < t1_us
                and cur[2] - cur[1] >= MIN_STAY_S * US):  # fmt: skip
            out.append((cur[0], cur[1], cur[3], cur[2]))
    return out


def right(estimates: pa.Table, ps: list[tuple[str, int, str, int]]) -> np.ndarray:
    """Per passage: the estimate in force MIN_STAY_S after it names the new space."""
    e = estimates.to_pydict()
    by: dict[str, tuple[list, list]] = {}
    for epc, t, sp in zip(e["epc"], e["t_us"], e["space"]):
        by.setdefault(epc, ([], []))
        by[epc][0].append(t)
        by[epc][1].append(sp)
    out = []
    for epc, t, new, end in ps:
        at = min(t + int(MIN_STAY_S * US), end - 1)
        ts, sp = by.get(epc, ([], []))
        i = int(np.searchsorted(np.array(ts, np.int64), at, side="right")) - 1  # rows come in time order per tag
        out.append(i >= 0 and sp[i] == new)
    return np.array(out, bool)


def latency_s(estimates: pa.Table, ps: list[tuple[str, int, str, int]], early_s: float = 5.0) -> np.ndarray:
    """Per passage: seconds until an estimate names the new space (from early_s before it; one stamped before the
    passage counts 0; never during the stay: the stay's length)."""
    e = estimates.to_pydict()
    by: dict[str, list] = {}
    for epc, t, sp in zip(e["epc"], e["t_us"], e["space"]):
        by.setdefault(epc, []).append((t, sp))
    out = []
    for epc, t, new, end in ps:
        hit = [u for u, sp in by.get(epc, ()) if sp == new and t - early_s * US <= u < end]
        out.append(max(0, min(hit) - t) / US if hit else (end - t) / US)
    return np.array(out, np.float64)


def trusted_share(r: Run, name: str, door: str, t0_us: int, t1_us: int) -> float:
    """Share of the tracker's advances in [t0_us, t1_us) at which it trusted the door's beams."""
    t, live = r.live[name]
    sel = (t >= t0_us) & (t < t1_us)
    return float(live[sel, r.doors.index(door)].mean()) if sel.any() else float("nan")


def distrusted_after_s(r: Run, name: str, door: str, t0_us: int, t1_us: int) -> float:
    """Seconds from t0_us to the first advance in [t0_us, t1_us) at which the tracker did not trust the door's beams
    (NaN: trusted throughout)."""
    t, live = r.live[name]
    sel = (t >= t0_us) & (t < t1_us) & ~live[:, r.doors.index(door)]
    return float((t[sel][0] - t0_us) / US) if sel.any() else float("nan")


def first_crossing_us(r: Run, door: str, t0_us: int, t1_us: int) -> int | None:
    """The first true passage of anyone (badge or dossier) through the door in [t0_us, t1_us), or None."""
    d = r.world.floor.doors[door]
    tr = r.truth.to_pydict()
    rows = sorted(zip(tr["epc"], tr["t0_us"], tr["space"]))
    out = [t for (e0, _, s0), (e1, t, s1) in zip(rows, rows[1:])
           if e0 == e1 and {s0, s1} == {d.a, d.b} and t0_us <= t < t1_us]  # fmt: skip
    return min(out) if out else None


def offline_alerts(r: Run, name: str, window_s: float | None = None) -> dict:
    """The config's reader_offline alerts against the twin's anomalies, over the whole run (the bench's matching;
    window_s: another matching window than the bench's default): alerts, anomalies, precision, recall, delays."""
    w = {"reader_offline": {"window_s": window_s}} if window_s else None
    res = match_alerts(r.anomalies, r.alerts[name], w0_us=0, w1_us=1 << 62, windows=w).get("reader_offline")
    if res is None:
        return {"alerts": 0, "anomalies": 0}
    return {"alerts": res.n_alerts, "anomalies": res.n_anomalies, "precision": res.precision, "recall": res.recall,
            "delays_s": [round(float(x), 1) for x in res.delays_s]}


def report(r: Run) -> list[dict]:
    """Per fault of the run: its door and window, the beams trusted before / during / after, and the direction of the
    passages through the door during the fault by each config."""
    floor = r.world.floor
    rows = []
    for f in r.world.beam_faults:
        d = floor.doors[f.door]
        ps = passages(r.truth, d.a, d.b, f.t0_us, f.t1_us)
        row = {"fault": f.detail(), "door": f.door, "passages": len(ps)}
        first = first_crossing_us(r, f.door, f.t0_us, f.t1_us)
        row["first_crossing_s"] = None if first is None else round((first - f.t0_us) / US, 1)
        lost = distrusted_after_s(r, "beams", f.door, first, f.t1_us) if first is not None and "beams" in r.live else None
        later = passages(r.truth, d.a, d.b, first + int(lost * US), f.t1_us) if lost == lost and lost is not None else []
        row["passages_after_distrust"] = len(later)
        if later:
            row["distrusted_after_first_crossing_s"] = round(lost, 1)
        for k in r.estimates:
            row[f"right_{k}"] = int(right(r.estimates[k], ps).sum())
            if later:
                lat = latency_s(r.estimates[k], later)
                row[f"latency_after_distrust_s_{k}"] = [round(float(np.median(lat)), 1), round(float(lat.max()), 1)]
            lat = latency_s(r.estimates[k], ps)
            row[f"latency_s_{k}"] = [round(float(np.median(lat)), 1), round(float(lat.max()), 1)] if len(lat) else []
            if r.live[k][1].any():
                row[f"trusted_before_{k}"] = trusted_share(r, k, f.door, f.t0_us - 3600 * US, f.t0_us)
                row[f"trusted_during_{k}"] = trusted_share(r, k, f.door, f.t0_us + 120 * US, f.t1_us)
                row[f"trusted_after_{k}"] = trusted_share(r, k, f.door, f.t1_us + 120 * US, f.t1_us + 3600 * US)
                row[f"distrusted_after_s_{k}"] = distrusted_after_s(r, k, f.door, f.t0_us, f.t1_us)
        rows.append(row)
    return rows


if __name__ == "__main__":
    scn = load_scenario(sys.argv[1] if len(sys.argv) > 1 else SCENARIO)
    res = run(scn, CONFIGS)
    for row in report(res):
        print(row)
    for k in res.alerts:
        print(k, "reader_offline", offline_alerts(res, k), "window 1 h:", offline_alerts(res, k, 3600.0))
