"""Checks shared by the ledger and world tests: truth partitions time, motion follows holders, no jumps."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow as pa


def truth_by_tag(table: pa.Table) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in table.to_pylist():
        out[r["epc"]].append(r)
    for rows in out.values():
        rows.sort(key=lambda r: r["t0_us"])
    return out


def check_truth(table: pa.Table, reg_us: dict[str, int], end_us: int, adjacent) -> None:
    """Every tag in exactly one place at every instant from registration to the end; no jump between spaces
    that are not adjacent (adjacent(a, b) -> bool)."""
    by = truth_by_tag(table)
    assert set(by) == set(reg_us), "every registered tag has truth and nothing else does"
    for epc, rows in by.items():
        assert rows[0]["t0_us"] == reg_us[epc], (epc, rows[0])
        assert rows[-1]["t1_us"] == end_us, (epc, rows[-1])
        for r in rows:
            assert r["t1_us"] > r["t0_us"], r
            assert not (r["storage"] and r["holder"]), r
        for a, b in zip(rows, rows[1:]):
            assert a["t1_us"] == b["t0_us"], ("gap or overlap", a, b)
            if a["space"] != b["space"]:
                assert adjacent(a["space"], b["space"]), ("jump", a, b)


def segments_by_tag(segs: np.ndarray) -> dict[bytes, np.ndarray]:
    order = np.lexsort((segs["t0_us"], segs["epc"]))
    s = segs[order]
    keys, first = np.unique(s["epc"], return_index=True)
    bounds = list(first) + [len(s)]
    return {k: s[bounds[i] : bounds[i + 1]] for i, k in enumerate(keys)}


def check_segments_cover(segs: np.ndarray, reg_us: dict[str, int], end_us: int) -> None:
    """Each tag's motion pieces tile [registration, end) with no gap and no overlap."""
    by = segments_by_tag(segs)
    assert {k.decode() for k in by} == set(reg_us)
    for k, s in by.items():
        assert s["t0_us"][0] == reg_us[k.decode()]
        assert s["t1_us"][-1] == end_us
        assert np.all(s["t1_us"][:-1] == s["t0_us"][1:]), k
        assert np.all(s["t1_us"] > s["t0_us"])


def position_at(s: np.ndarray, t_us: float) -> tuple[float, float]:
    """Interpolated position of a tag at t_us from its (sorted, tiling) segments."""
    k = int(np.searchsorted(s["t0_us"], t_us, side="right")) - 1
    r = s[k]
    span = r["t1_us"] - r["t0_us"]
    f = (t_us - r["t0_us"]) / span if span else 0.0
    return float(r["x0"] + (r["x1"] - r["x0"]) * f), float(r["y0"] + (r["y1"] - r["y0"]) * f)


def check_carried_with_holder(truth: pa.Table, segs: np.ndarray, badge_of: dict[str, str]) -> int:
    """While a tag is held, it is exactly where its holder's badge is (sampled inside every held interval)."""
    by = segments_by_tag(segs)
    n = 0
    for r in truth.to_pylist():
        if not r["holder"] or r["tag_kind"] == "badge":
            continue
        mine = by[r["epc"].encode()]
        theirs = by[badge_of[r["holder"]].encode()]
        for f in (0.0, 0.37, 0.999):
            t = r["t0_us"] + f * (r["t1_us"] - r["t0_us"])
            a, b = position_at(mine, t), position_at(theirs, t)
            assert abs(a[0] - b[0]) < 1e-6 and abs(a[1] - b[1]) < 1e-6, (r, a, b)
            n += 1
    return n


def check_reads_reachable(reads: np.ndarray, segs: np.ndarray, floor, placement, slack_m: float = 1.0,
                          slack_us: int = 500_000, max_rows: int = 3000, seed: int = 0) -> int:
    """No fixed antenna reports a tag it cannot reach under the RF model: at some instant of the report's window
    (widened by the reader clock's offset) the tag is on the antenna's level within the model's maximum range, and
    not shielded in a metal unit that is not the antenna's own. Checks a seeded sample of max_rows rows."""
    from twin.readers import rf

    levels = {lv: i for i, lv in enumerate(floor.levels)}
    storage_ids = list(floor.storage)
    metal = np.array([floor.storage[s].metal for s in storage_ids] + [False])
    if len(reads) > max_rows:
        reads = reads[np.sort(np.random.default_rng(seed).choice(len(reads), max_rows, replace=False))]
    by = segments_by_tag(segs)
    checked = 0
    for r in placement.readers.values():
        if r.kind != "fixed":
            continue
        for a in r.antennas:
            rows = reads[(reads["reader"] == r.id.encode()) & (reads["antenna"] == a.port)]
            if len(rows) == 0:
                continue
            reach = rf.max_range_m(a.gain_dbi, r.power_dbm) + slack_m
            own = storage_ids.index(a.storage) if a.storage else -1
            for epc in np.unique(rows["epc"]):
                mine = rows[rows["epc"] == epc]
                s = by[epc]
                lo, hi = mine["first_us"].min() - slack_us, mine["t_us"].max() + slack_us
                s = s[(s["t1_us"] > lo) & (s["t0_us"] < hi)]
                for row in mine:
                    w = s[(s["t1_us"] > row["first_us"] - slack_us) & (s["t0_us"] < row["t_us"] + slack_us)]
                    ok = (w["level"] == levels[a.level]) & ~(metal[w["container"]] & (w["container"] != own))
                    assert np.any(ok & (_dist_to_segments(a.position, w) <= reach)), (r.id, a.port, epc, row, w)
                    checked += 1
    return checked


def _dist_to_segments(p, w: np.ndarray) -> np.ndarray:
    """Distance from point p to each straight piece (x0, y0) -> (x1, y1) of w."""
    dx, dy = w["x1"] - w["x0"], w["y1"] - w["y0"]
    ll = dx * dx + dy * dy
    f = np.clip(((p[0] - w["x0"]) * dx + (p[1] - w["y0"]) * dy) / np.where(ll > 0, ll, 1.0), 0.0, 1.0)
    return np.hypot(w["x0"] + f * dx - p[0], w["y0"] + f * dy - p[1])
