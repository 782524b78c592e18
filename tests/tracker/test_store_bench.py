"""The store measurement runs end to end on a tiny synthetic load (the figures themselves are not asserted)."""

from twin.tracker.store_bench import main, measure


def test_measure_small(tmp_path):
    m = measure(tmp_path, chunks=3, n_est=20, n_chained=5, n_tags=10)
    assert m["verify_ok"] and m["rows"] == 3 * 30 and m["export_events"] > 0


def test_cli_prints_figures(tmp_path, capsys):
    main(["--chunks", "2", "--estimates", "5", "--chained", "2", "--dir", str(tmp_path / "s")])
    assert "rows_per_s" in capsys.readouterr().out
