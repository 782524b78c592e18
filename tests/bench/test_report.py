"""report.html is one self-contained page with every section; a `browser` test renders it in headless Chromium."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess

import pytest

from twin.bench.drive import run_with_core
from twin.bench.report import SECTIONS

from .tiny import tiny_scenario

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    run_with_core(tiny_scenario(minutes=10, dossiers=40), out, core="tracker", compare=True, progress=False,
                  references=("naive",))  # fmt: skip
    return out / "report.html"


def test_every_section_present(report):
    page = report.read_text(encoding="utf-8")
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in page, sid
    assert "<th>tracker</th><th>naive</th>" in page  # the metrics table has a column per core


def test_self_contained(report):
    page = report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:)""", page), "a reference to an external asset"
    assert "<link" not in page and "@import" not in page and "url(" not in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 5  # plan, accuracy, dossier, latency, alerts
    for b in images:
        assert base64.b64decode(b).startswith(PNG)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.browser
def test_renders_in_headless_chromium(report, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium)")
    shot = tmp_path / "shot.png"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
           "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
           "--window-size=1280,2400", f"--screenshot={shot}", report.as_uri()]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data.startswith(PNG)
    import matplotlib.image as mpimg
    import numpy as np

    img = mpimg.imread(shot)
    rgb = img[..., :3]
    assert rgb.std() > 0.02, "blank screenshot"
    assert (rgb.reshape(-1, 3) < 0.9).any(axis=1).mean() > 0.02, "nearly all white"
    assert np.unique((rgb * 255).astype(np.uint8).reshape(-1, 3), axis=0).shape[0] > 50  # figures, not only text
