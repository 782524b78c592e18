"""fit() learns antenna weights from a recording with known positions; replay() runs the core on recorded files."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq

from twin.records import TRUTH_SCHEMA, reads_to_arrow, rows_to_table
from twin.tracker.fit import antenna_precision, fit, weights_from_precision
from twin.tracker.replay import replay

from .synth import DOSSIER, DOSSIER2, S, SITE, T0, reads, stationary


def _recording(tmp_path):
    rng = np.random.default_rng(11)
    rows = stationary(DOSSIER, 0, 400, 3.0, "R-a", 1, rng, cross=("R-b", 1), cross_share=0.2)
    rows += stationary(DOSSIER2, 0, 400, 3.0, "R-b", 1, rng)
    r = reads(rows)
    r = r[np.argsort(r["t_us"], kind="stable")]
    pq.write_table(reads_to_arrow(r), tmp_path / "reads.parquet")
    truth = rows_to_table([
        {"epc": DOSSIER, "tag_kind": "dossier", "t0_us": T0, "t1_us": T0 + 400 * S, "space": "room-a", "storage": ""},
        {"epc": DOSSIER2, "tag_kind": "dossier", "t0_us": T0, "t1_us": T0 + 400 * S, "space": "room-b", "storage": ""},
    ], TRUTH_SCHEMA)  # fmt: skip
    pq.write_table(truth, tmp_path / "truth.parquet")
    (tmp_path / "site.json").write_text(json.dumps(SITE), encoding="utf-8")
    return r


def test_precision_and_weights(tmp_path):
    r = _recording(tmp_path)
    prec = antenna_precision(reads_to_arrow(r), pq.read_table(tmp_path / "truth.parquet"), SITE)
    n_b = int(((r["reader"] == b"R-b")).sum())
    n_b_good = int(((r["reader"] == b"R-b") & (r["epc"] == DOSSIER2.encode())).sum())
    assert prec["R-b:1"]["reads"] == n_b
    assert abs(prec["R-b:1"]["precision"] - n_b_good / n_b) < 1e-12
    assert prec["R-a:1"]["precision"] == 1.0
    w = weights_from_precision(prec)
    assert w["R-a:1"] == 1.0 and w["R-b:1"] < 0.5  # the cross-reading antenna is trusted less
    cfg = fit(tmp_path / "reads.parquet", tmp_path / "truth.parquet", tmp_path / "site.json")
    assert cfg["antenna_weight"] == w


def test_replay_writes_estimates_and_stats(tmp_path):
    _recording(tmp_path)
    cfg = fit(tmp_path / "reads.parquet", tmp_path / "truth.parquet", tmp_path / "site.json")
    stats = replay(tmp_path / "reads.parquet", tmp_path / "site.json", None, tmp_path / "out", config=cfg)
    est = pq.read_table(tmp_path / "out" / "estimates.parquet")
    last = dict(zip(est.column("epc").to_pylist(), est.column("space").to_pylist()))
    assert last == {DOSSIER: "room-a", DOSSIER2: "room-b"}
    assert stats["rows_in"] == pq.read_metadata(tmp_path / "reads.parquet").num_rows
    assert json.loads((tmp_path / "out" / "tracker.json").read_text())["rows_in"] == stats["rows_in"]
    assert pq.read_table(tmp_path / "out" / "alerts.parquet").num_rows == 0


def test_replay_reports_a_bad_site_file(tmp_path):
    import pytest

    from twin.errors import InputError

    _recording(tmp_path)
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="bad.json"):
        replay(tmp_path / "reads.parquet", tmp_path / "bad.json", None, tmp_path / "out")
