"""`twin bench`: run the bench's pytest-benchmark groups (world generation, core ingest, whole run) and print one
row per benchmark with its figures and its ratio to the reference measured in the same session."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The suites `twin bench` runs (the other files of benchmarks/ are longer studies, run with pytest directly).
SUITES = ("benchmarks/bench_run.py", "benchmarks/bench_core.py")


def run_benchmarks(paths: list[str] | None = None, extra_args: list[str] | None = None) -> tuple[int, dict]:
    """pytest.main on the suites with --benchmark-json to a temp file: (pytest exit code, the JSON document)."""
    import pytest

    with tempfile.TemporaryDirectory(prefix="twin-bench-") as d:
        out = Path(d) / "bench.json"
        args = [str(ROOT / p) for p in (paths or SUITES)]
        args += ["-m", "benchmark", "-q", "-p", "no:cacheprovider", f"--rootdir={ROOT}",
                 f"--benchmark-json={out}", "--benchmark-disable-gc", "--benchmark-columns=min,mean,rounds"]  # fmt: skip
        code = int(pytest.main(args + list(extra_args or [])))
        doc = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"benchmarks": []}
    return code, doc


def summary(doc: dict) -> list[dict]:
    """One dict per benchmark: group, name, min wall s, and its extra_info figures."""
    return [{"group": b.get("group") or "", "name": b["name"], "min_s": b["stats"]["min"], **b.get("extra_info", {})}
            for b in doc.get("benchmarks", [])]  # fmt: skip


def render(rows: list[dict]):
    from rich.table import Table

    t = Table(title="twin bench")
    for c, j in (("group", "left"), ("benchmark", "left"), ("min wall s", "right"), ("figures", "left")):
        t.add_column(c, justify=j)
    for r in rows:
        figs = ", ".join(f"{k} {v:,}" if isinstance(v, (int, float)) and not isinstance(v, bool) else f"{k} {v}"
                         for k, v in r.items() if k not in ("group", "name", "min_s"))  # fmt: skip
        t.add_row(r["group"], r["name"], f"{r['min_s']:.3f}", figs)
    return t


def bench(as_json: bool = False, *, paths: list[str] | None = None, console=None) -> int:
    """Run the benchmark suites; print a table (or one JSON object with the rows); return pytest's exit code."""
    from rich.console import Console

    if as_json:  # pytest's own report goes to stderr so stdout holds only the JSON document
        import contextlib

        with contextlib.redirect_stdout(sys.stderr):
            code, doc = run_benchmarks(paths)
    else:
        code, doc = run_benchmarks(paths)
    rows = summary(doc)
    if as_json:
        sys.stdout.write(json.dumps({"exit_code": code, "benchmarks": rows, "machine_info": doc.get("machine_info", {})},
                                    indent=1) + "\n")  # fmt: skip
    else:
        (console or Console()).print(render(rows))
    return code
