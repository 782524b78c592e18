"""Fit the tracker's parameters from a recording with known positions (`twin tracker fit`).

For each antenna: its precision, the share of its reads taken while the tag truly was in the place the antenna
stands for. A read's weight is its log-likelihood ratio log(p / (1 - p)) over the acceptance threshold's, so a run
of reads from a trusted antenna is accepted at once and cross-read-prone antennas need several. Per tag kind, the
read rate while seen sets the defaults of the adaptive windows. Nothing is read from the twin: only the recording.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .sitemodel import site_model

#: Evidence needed to accept a place, as a log-likelihood ratio: odds of 99:1 (assumption).
ACCEPT_LLR = math.log(99.0)


def _codes(*cols: pa.ChunkedArray) -> list[np.ndarray]:
    arr = pa.chunked_array([c for col in cols for c in col.chunks], type=pa.string()).combine_chunks().dictionary_encode()
    idx = arr.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    out, k = [], 0
    for c in cols:
        out.append(idx[k : k + len(c)])
        k += len(c)
    return out


def antenna_precision(reads: pa.Table, truth: pa.Table, site: dict) -> dict[str, dict]:
    """{"reader:port": {"reads": n, "precision": p}} from reads joined to the truth interval in force."""
    m = site_model(site)
    names = [f"{m.readers[r]}:{p}" for r, p in zip(m.ant_reader.tolist(), m.ant_port.tolist())]
    key = {k: i for i, k in enumerate(names)}
    r_epc, t_epc = _codes(reads["epc"], truth["epc"])
    r_sp_name = [m.spaces[s] if s >= 0 else "" for s in m.ant_space.tolist()]
    rk = pc.binary_join_element_wise(reads["reader"], pc.cast(reads["antenna"], pa.string()), ":")
    ant_codes = np.array([key.get(x, -1) for x in pc.unique(rk).to_pylist()], np.int64)
    ant = ant_codes[pc.index_in(rk, pc.unique(rk)).to_numpy(zero_copy_only=False)]
    t_sp = np.asarray(truth["space"].to_pylist(), dtype=object)
    t_un = np.asarray(truth["storage"].to_pylist(), dtype=object)
    t0 = truth["t0_us"].to_numpy()
    o = np.lexsort((t0, t_epc))
    t_epc, t0, t_sp, t_un = t_epc[o], t0[o], t_sp[o], t_un[o]
    rt = reads["t_us"].to_numpy()
    base = min(int(t0.min()), int(rt.min()))
    span = max(int(t0.max()), int(rt.max())) - base + 1
    tk = t_epc * span + (t0 - base)
    rk2 = r_epc * span + (rt - base)
    j = np.searchsorted(tk, rk2, side="right") - 1
    ok = (j >= 0) & (ant >= 0)
    ok[ok] &= t_epc[j[ok]] == r_epc[ok]
    sp_of_ant = np.asarray(r_sp_name, dtype=object)
    good = np.zeros(len(ant), bool)
    good[ok] = t_sp[j[ok]] == sp_of_ant[ant[ok]]
    un_of_ant = np.asarray([m.storage[u] if u >= 0 else "" for u in m.ant_storage.tolist()], dtype=object)
    good_un = np.zeros(len(ant), bool)
    good_un[ok] = t_un[j[ok]] == un_of_ant[ant[ok]]
    n = np.bincount(ant[ok], minlength=m.n_antennas)
    g = np.bincount(ant[ok], weights=good[ok], minlength=m.n_antennas)
    gu = np.bincount(ant[ok], weights=good_un[ok], minlength=m.n_antennas)
    out = {}
    for i in range(m.n_antennas):
        row = {"reads": int(n[i]), "precision": float(g[i] / n[i]) if n[i] else None}
        if m.ant_storage[i] >= 0:
            row["unit_precision"] = float(gu[i] / n[i]) if n[i] else None
        out[names[i]] = row
    return out


def weights_from_precision(prec: dict[str, dict], min_reads: int = 50, key: str = "precision") -> dict[str, float]:
    """A read's weight: its log-likelihood ratio over the acceptance threshold's, within [0.02, 1]."""
    out = {}
    for k, v in prec.items():
        if v.get(key) is None or v["reads"] < min_reads:
            continue
        p = min(max(v[key], 0.5), 1 - 1e-4)
        out[k] = round(float(min(max(math.log(p / (1 - p)) / ACCEPT_LLR, 0.02), 1.0)), 4)
    return out


def fit(reads_path: str | Path, truth_path: str | Path, site_path: str | Path) -> dict:
    """A tracker config fitted on a recording: per-antenna weights (see module doc)."""
    site = json.loads(Path(site_path).read_text(encoding="utf-8"))
    reads = pq.read_table(reads_path, columns=["t_us", "reader", "antenna", "epc"])
    truth = pq.read_table(truth_path, columns=["epc", "t0_us", "t1_us", "space", "storage"])
    prec = antenna_precision(reads, truth, site)
    return {"antenna_weight": weights_from_precision(prec),
            "unit_weight": weights_from_precision(prec, key="unit_precision"), "fit": {"reads": reads.num_rows,
            "antennas": {k: v for k, v in prec.items() if v["reads"]}}}  # fmt: skip
