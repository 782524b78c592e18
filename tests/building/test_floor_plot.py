"""The plan renders every level to one PNG and calls the overlay seam once per level."""

from __future__ import annotations

from floortools import STATION, doc_example

from twin.building.floorfile import load_floor, load_floor_text
from twin.building.plot import plot_floor


def test_station_plan_png(tmp_path):
    floor = load_floor(STATION)
    seen = []

    def overlay(ax, level):
        seen.append(level)
        ax.plot([1.0], [1.0], "k+")

    out = plot_floor(floor, tmp_path / "plans" / "station.png", overlay=overlay)
    assert out == [tmp_path / "plans" / "station.png"]
    data = out[0].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    assert seen == list(floor.levels)


def test_small_plan_without_overlay(tmp_path):
    out = plot_floor(load_floor_text(doc_example()), tmp_path / "tiny.png")
    assert out[0].stat().st_size > 10_000
