"""The figures of report.html as PNG bytes: plan with readers, accuracy per space on the plan, one dossier's day,
latency CDF, alerts against anomalies. Each takes plain tables and returns bytes, so tests can call them alone."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
from matplotlib.patches import Polygon as MplPolygon  # noqa: E402

from .score_zone import joint_codes, make_steps, move_latency_us, tag_time_order, true_moves  # noqa: E402

DPI = 90


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def _plan_png(floor, overlay) -> bytes:
    from ..building.plot import plot_floor

    with tempfile.TemporaryDirectory() as d:
        (path,) = plot_floor(floor, Path(d) / "plan.png", overlay=overlay, dpi=DPI)
        return Path(path).read_bytes()


def plan_with_readers(floor, placement) -> bytes:
    """The floor plan with every antenna marked by kind (no coverage grid: quick to draw)."""
    from ..readers.coverage import draw_antennas

    return _plan_png(floor, lambda ax, lv: draw_antennas(ax, placement, lv))


def accuracy_heatmap(floor, placement, by_space: dict[str, dict]) -> bytes:
    """Each space filled by its zone-detection probability (grey: no dossier-time there), readers on top."""
    from ..readers.coverage import draw_antennas

    cmap = plt.get_cmap("RdYlGn")
    drawn = {"bar": False}

    def overlay(ax, lv: str) -> None:
        for s in floor.spaces.values():
            if s.level != lv or not s.has_geometry:
                continue
            v = by_space.get(s.id, {}).get("value")
            colour = "#bdbdbd" if v is None else cmap(float(v))
            ax.add_patch(MplPolygon(s.polygon, closed=True, facecolor=colour, edgecolor="black", linewidth=0.4,
                                    alpha=0.85, zorder=3))  # fmt: skip
            if v is not None:
                x, y = s.centroid
                ax.text(x, y, f"{v:.2f}", ha="center", va="center", fontsize=6, zorder=7)
        draw_antennas(ax, placement, lv)
        if not drawn["bar"]:
            sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
            ax.figure.colorbar(sm, ax=ax, shrink=0.6, pad=0.01).set_label("zone-detection probability")
            drawn["bar"] = True

    return _plan_png(floor, overlay)


def _rows_of(table: pa.Table, epc: str) -> pa.Table:
    return table.filter(pc.equal(table["epc"], epc))


def busiest_dossier(truth: pa.Table) -> str | None:
    """The dossier that visited the most spaces (then: the most truth intervals; then the smallest EPC)."""
    t = truth.filter(pc.equal(truth["tag_kind"], "dossier"))
    if t.num_rows == 0:
        return None
    g = t.group_by("epc").aggregate([("space", "count_distinct"), ("t0_us", "count")])
    g = g.sort_by([("space_count_distinct", "descending"), ("t0_us_count", "descending"), ("epc", "ascending")])
    return g["epc"][0].as_py()


def dossier_day(truth: pa.Table, estimates: dict[str, pa.Table], epc: str, start_us: int, end_us: int) -> bytes:
    """Truth vs each core's estimate of one dossier's space over the run (one lane per space)."""
    tr = _rows_of(truth, epc).sort_by("t0_us")
    ests = {n: _rows_of(e, epc).sort_by("t_us") for n, e in estimates.items()}
    spaces = sorted(set(tr["space"].to_pylist()) | {s for e in ests.values() for s in e["space"].to_pylist() if s})
    lane = {s: i for i, s in enumerate(spaces)}
    h = lambda us: (np.asarray(us, dtype=np.int64) - start_us) / 3.6e9  # noqa: E731  hours since start
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.35 * max(len(spaces), 2)))
    for s, a, b in zip(tr["space"].to_pylist(), h(tr["t0_us"].to_numpy()), h(tr["t1_us"].to_numpy())):
        ax.broken_barh([(a, max(b - a, 1e-3))], (lane[s] - 0.4, 0.8), color="#2ca02c", alpha=0.45)
    colours = ["#1f77b4", "#d62728", "#9467bd", "#ff7f0e"]
    end_h = float(h([end_us])[0])
    for k, (name, e) in enumerate(ests.items()):
        t = h(e["t_us"].to_numpy())
        sp = e["space"].to_pylist()
        xs, ys = [], []
        for i, s in enumerate(sp):
            nxt = t[i + 1] if i + 1 < len(t) else end_h
            y = lane[s] + (k - (len(ests) - 1) / 2) * 0.12 if s else np.nan
            xs += [t[i], nxt]
            ys += [y, y]
        ax.plot(xs, ys, color=colours[k % len(colours)], linewidth=1.4, label=f"estimate ({name})")
    ax.plot([], [], color="#2ca02c", alpha=0.45, linewidth=6, label="truth")
    ax.set_yticks(range(len(spaces)), spaces, fontsize=7)
    ax.set_xlim(0, end_h)
    ax.set_xlabel("hours since the run's start")
    ax.set_title(f"dossier {epc}: truth vs estimate")
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    return _png(fig)


def move_latencies_s(truth: pa.Table, est: pa.Table, w0_us: int, w1_us: int) -> tuple[np.ndarray, int]:
    """Seconds from each true change of a dossier's space (inside [w0, w1)) to the estimate showing it, for the
    moves that were shown, and the number of moves (as score.py counts them)."""
    truth = truth.filter(pc.equal(truth["tag_kind"], "dossier"))
    (t_tag, e_tag), _ = joint_codes(truth["epc"], est["epc"])
    (t_space, e_space), _ = joint_codes(truth["space"], est["space"])
    e_t = est["t_us"].to_numpy()
    steps = make_steps(e_tag, e_t, e_space, w0_us, w1_us, tag_time_order(e_tag, e_t))
    moves = true_moves(t_tag, truth["t0_us"].to_numpy(), t_space, w0_us, w1_us)
    lat = move_latency_us(moves, steps)
    return np.sort(lat[lat >= 0] / 1e6), len(lat)


def latency_cdf(latencies: dict[str, tuple[np.ndarray, int]]) -> bytes:
    """Share of true moves shown within x seconds, per core (a curve below 1 at the right: moves never shown)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, (lat, n) in latencies.items():
        if n == 0:
            continue
        x = np.concatenate([[0.0], np.maximum(lat, 1e-2)])
        y = np.arange(len(lat) + 1) / n
        ax.step(x, y, where="post", label=f"{name} ({len(lat)}/{n} shown)")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("latency after a true move (s)")
    ax.set_ylabel("share of moves shown")
    ax.grid(alpha=0.3)
    moved = any(n for _, n in latencies.values())
    if moved:
        ax.legend(fontsize=8)
    ax.set_title("latency CDF" + ("" if moved else " (no true moves in the scored span)"))
    fig.tight_layout()
    return _png(fig)


def alerts_timeline(anomalies: pa.Table, alerts: pa.Table, start_us: int, end_us: int) -> bytes:
    """One lane per kind: anomalies (truth) as crosses, the core's alerts as dots."""
    kinds = sorted(set(anomalies["kind"].to_pylist()) | set(alerts["kind"].to_pylist()))
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.4 * max(len(kinds), 2)))
    h = lambda col: (col.to_numpy() - start_us) / 3.6e9  # noqa: E731
    lane = {k: i for i, k in enumerate(kinds)}
    if anomalies.num_rows:
        ax.plot(h(anomalies["t_us"]), [lane[k] + 0.12 for k in anomalies["kind"].to_pylist()], "x", color="#d62728",
                markersize=8, label="anomaly (truth)")  # fmt: skip
    if alerts.num_rows:
        ax.plot(h(alerts["t_us"]), [lane[k] - 0.12 for k in alerts["kind"].to_pylist()], "o", color="#1f77b4",
                markersize=4, alpha=0.7, label="alert (core)")  # fmt: skip
    ax.set_yticks(range(len(kinds)), kinds, fontsize=8)
    ax.set_ylim(-0.6, max(len(kinds), 1) - 0.4)
    ax.set_xlim(0, (end_us - start_us) / 3.6e9)
    ax.set_xlabel("hours since the run's start")
    ax.set_title("alerts against anomalies" + ("" if kinds else " (none in this run)"))
    if kinds:
        ax.legend(loc="upper right", fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)
