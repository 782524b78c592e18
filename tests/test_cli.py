"""The `twin` command as a user meets it: exit codes, one line per problem, no tracebacks, files written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
TWIN = [sys.executable, "-m", "twin.cli"]


def twin(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run([*TWIN, *args], capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=300)


def test_validate_good_files_exit_0():
    r = twin("validate", "scenarios/ci-baseline.toml", "scenarios/floors/station.toml",
             "scenarios/placements/full.toml")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("ok ") == 3


def test_validate_bad_floor_one_line_per_problem_exit_2():
    bad = sorted((ROOT / "tests/data/floors").glob("*.toml"))[0]
    r = twin("validate", str(bad))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines and all(ln.startswith("error:") for ln in lines), r.stderr
    assert bad.name in r.stderr


def test_validate_bad_scenario_names_field(tmp_path):
    text = (ROOT / "scenarios/ci-baseline.toml").read_text().replace('chunk = "60s"', 'chunk = "soon"')
    text = text.replace('"floors/', f'"{ROOT}/scenarios/floors/').replace('"placements/', f'"{ROOT}/scenarios/placements/')
    p = tmp_path / "bad.toml"
    p.write_text(text)
    r = twin("validate", str(p))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "chunk_s = 'soon'" in r.stderr and "a duration like" in r.stderr


def test_validate_missing_file_exit_2(tmp_path):
    r = twin("validate", str(tmp_path / "nope.toml"))
    assert r.returncode == 2 and "an existing file" in r.stderr and "Traceback" not in r.stderr


def test_floor_renders_png(tmp_path):
    out = tmp_path / "plan.png"
    r = twin("floor", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "2 levels" in r.stdout


def test_site_export_writes_json(tmp_path):
    out = tmp_path / "site.json"
    r = twin("site", "--placement", "scenarios/placements/lean.toml", "-o", str(out))
    assert r.returncode == 0, r.stderr
    site = json.loads(out.read_text())
    assert site["format"] == "twin-site" and site["readers"]


def test_run_rejects_bad_days(tmp_path):
    r = twin("run", "scenarios/ci-baseline.toml", "--out", str(tmp_path), "--days", "-1")
    assert r.returncode == 2 and "--days" in r.stderr and "Traceback" not in r.stderr


def _small_store(path: Path) -> str:
    from twin.agents import epc as tagids
    from twin.tracker.store import Store

    d1 = tagids.dossier_epc("0614141", 5, 1)
    s = 1_000_000
    with Store(path) as st:
        st.append_chunk(60 * s, estimates=[{"t_us": 10 * s, "epc": d1, "space": "dossier-room",
                                            "storage": "dossier-room/S01", "confidence": 0.9}],
                        custody=[{"t_us": 20 * s, "epc": d1, "holder": "o-1", "from": "", "how": "badge"}],
                        alerts=[{"t_us": 30 * s, "state": "raised", "kind": "drawer", "epc": d1, "space": "office-1"}])
    return d1


def test_query_verify_export_on_a_store(tmp_path):
    d1 = _small_store(tmp_path)
    r = twin("query", str(tmp_path), "where", d1, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[0])["storage"] == "dossier-room/S01"
    r = twin("query", str(tmp_path), "alerts")
    assert r.returncode == 0 and "drawer" in r.stdout
    r = twin("query", str(tmp_path), "where")
    assert r.returncode == 2 and "expected an EPC" in r.stderr
    r = twin("verify", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    out = tmp_path / "ev.jsonld"
    r = twin("export-epcis", str(tmp_path), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["type"] == "EPCISDocument"


def test_verify_detects_tampering(tmp_path):
    import sqlite3

    _small_store(tmp_path)
    db = next(tmp_path.glob("*.sqlite"))
    con = sqlite3.connect(db)
    tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
    table = next(t for t in tables if "custody" in t)
    con.execute(f"update {table} set holder = 'o-9'")
    con.commit()
    con.close()
    r = twin("verify", str(tmp_path))
    assert r.returncode == 1 and "edited" in (r.stdout + r.stderr)
