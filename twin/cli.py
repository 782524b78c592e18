"""The `twin` command: validate inputs, draw the floor, export the site, calibrate readers, run scenarios."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from .errors import Problem, TwinError, display_path

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()
err_console = Console(stderr=True)

DEFAULT_FLOOR = Path(__file__).resolve().parents[1] / "scenarios" / "floors" / "station.toml"


def _fail(problems: list[Problem] | str, code: int = 2) -> None:
    if isinstance(problems, str):
        err_console.print(f"[red]error:[/red] {problems}", highlight=False, soft_wrap=True)
    else:
        for p in problems:
            err_console.print(f"[red]error:[/red] {p}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _kind_of(path: Path) -> str:
    """Tell a floor, placement or scenario file apart by its top-level tables."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        # Unparseable: guess from the table headers so the right loader reports the syntax error's line.
        for kind in ("floor", "placement"):
            if f"[{kind}]" in text:
                return kind
        return "scenario"
    if "floor" in raw and isinstance(raw["floor"], dict):
        return "floor"
    if "placement" in raw and isinstance(raw["placement"], dict):
        return "placement"
    return "scenario"


def validate_files(paths: list[Path], floor: Path | None = None) -> list[Problem]:
    """All problems found in the given scenario, floor and placement files (a scenario's own files included)."""
    from .building.floorfile import load_floor, validate_floor_file
    from .errors import InputError
    from .readers.placementfile import validate_placement_file
    from .scenario import load_scenario

    problems: list[Problem] = []
    for path in paths:
        shown = display_path(path)
        if not path.exists():
            problems.append(Problem(shown, "(file)", str(path), "an existing file"))
            continue
        kind = _kind_of(path)
        if kind == "floor":
            problems += validate_floor_file(path)
        elif kind == "placement":
            try:
                fl = load_floor(floor or DEFAULT_FLOOR)
            except InputError as e:
                problems += e.problems
                continue
            problems += validate_placement_file(path, fl)
        else:
            try:
                scn = load_scenario(path)
            except InputError as e:
                problems += e.problems
                continue
            fp = validate_floor_file(scn.floor)
            problems += fp
            if not fp:
                problems += validate_placement_file(scn.placement, load_floor(scn.floor))
    return problems


@app.command()
def validate(
    files: List[Path] = typer.Argument(..., help="scenario, floor or placement files"),
    floor: Optional[Path] = typer.Option(None, help="floor to check placement files against (default: the station)"),
) -> None:
    """Validate scenario, floor and placement files: exit 0 when valid, else one line per problem and exit 2."""
    problems = validate_files(list(files), floor)
    if problems:
        _fail(problems)
    for f in files:
        console.print(f"[green]ok[/green] {display_path(f)}", highlight=False)


@app.command("floor")
def floor_cmd(
    floor_file: Path = typer.Argument(DEFAULT_FLOOR, help="floor file (default: the embedded station)"),
    out: Path = typer.Option(Path("plan.png"), "-o", "--out", help="PNG to write"),
    placement: Optional[Path] = typer.Option(None, help="overlay this reader placement and its coverage"),
) -> None:
    """Validate a floor and render its plan (one panel per level), optionally with readers and coverage."""
    from .building.floorfile import load_floor
    from .building.plot import plot_floor

    fl = load_floor(floor_file)
    overlay = None
    if placement is not None:
        from .readers.coverage import coverage_overlay
        from .readers.placementfile import load_placement

        overlay = coverage_overlay(fl, load_placement(placement, fl))
    written = plot_floor(fl, out, overlay=overlay)
    n_desks = sum(1 for u in fl.storage.values() if u.kind == "desk")
    console.print(
        f"[green]valid[/green] {fl.name}: {len(fl.levels)} levels, {len(fl.spaces)} spaces, {len(fl.doors)} doors, "
        f"{len(fl.links)} links, {len(fl.storage)} storage units ({n_desks} desks)",
        highlight=False,
    )
    for w in written if isinstance(written, (list, tuple)) else [written]:
        console.print(f"plan written to {display_path(w)}", highlight=False)


@app.command()
def site(
    floor: Path = typer.Option(DEFAULT_FLOOR, "--floor", help="floor file"),
    placement: Path = typer.Option(..., "--placement", help="placement file"),
    out: Path = typer.Option(Path("site.json"), "-o", "--out", help="site.json to write"),
) -> None:
    """Export the tracker's view of the site (spaces, doors, storage, readers and what each antenna covers)."""
    from .building.floorfile import load_floor
    from .readers.placementfile import load_placement
    from .readers.site import write_site

    fl = load_floor(floor)
    write_site(fl, load_placement(placement, fl), out)
    console.print(f"site written to {display_path(out)}", highlight=False)


@app.command()
def calibrate(
    placement: Optional[Path] = typer.Option(None, "--placement", help="placement whose reader settings to use"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object with the checks"),
    out_dir: Optional[Path] = typer.Option(None, "-o", "--out", help="folder for the PNG plots"),
    seed: int = typer.Option(1, "--seed", help="random seed"),
) -> None:
    """Measure the reader model on canned layouts and print each figure beside its published anchor."""
    from .readers.calibrate import run_calibration

    report = run_calibration(placement, seed)
    if out_dir is not None:
        report.save_plots(out_dir)
    if as_json:
        sys.stdout.write(report.to_json() + "\n")
    else:
        console.print(report.render_table())
    if not all(c["inside"] for c in report.checks):
        raise typer.Exit(1)


@app.command()
def run(
    scenario: Optional[Path] = typer.Argument(None, help="scenario file (default: scenarios/baseline.toml)"),
    out: Path = typer.Option(Path("runs/latest"), "--out", "-o", help="workspace folder to write"),
    seed: Optional[int] = typer.Option(None, "--seed", help="override the scenario's seed"),
    days: Optional[float] = typer.Option(None, "--days", help="override the scenario's duration, in days"),
    save_streams: bool = typer.Option(False, "--save-streams", help="write reads/truth/anomalies/events Parquet"),
    core: str = typer.Option("tracker", "--core", help="naive | oracle | tracker | package.module:Class | none"),
    compare: bool = typer.Option(False, "--compare", help="also score naive and oracle on the same stream"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
) -> None:
    """Run a scenario through the twin and a tracking core: metrics.json, estimates, alerts, report.html."""
    from .scenario import DEFAULT_SCENARIO, load_scenario

    if days is not None and days <= 0:
        _fail(f"--days = {days}: expected a positive number of days")
    if seed is not None and seed < 0:
        _fail(f"--seed = {seed}: expected a seed >= 0")
    if core == "none":
        from .run import run_scenario

        run_scenario(scenario, out, seed=seed, days=days, save_streams=save_streams, progress=not quiet)
        return
    from .bench.drive import bench_table, run_with_core
    from .bench.loader import resolve_core_class

    resolve_core_class(core)  # an unknown core is a user error before the world is built
    scn = load_scenario(scenario or DEFAULT_SCENARIO).with_overrides(seed=seed, days=days)
    metrics = run_with_core(scn, out, core=core, compare=compare, save_streams=save_streams, progress=not quiet)
    from .run import summary_table

    console.print(summary_table(metrics))
    console.print(bench_table(metrics))
    console.print(f"workspace: {display_path(out)} (report.html, metrics.json)", highlight=False)


@app.command()
def check(
    scenarios: Optional[List[Path]] = typer.Argument(None, help="scenarios to gate (default: scenarios/ci-*.toml)"),
    junit: Optional[Path] = typer.Option(None, "--junit", help="write JUnit XML here"),
    update_baselines: bool = typer.Option(False, "--update-baselines", help="record scenarios/baselines/NAME.json"),
    core: str = typer.Option("tracker", "--core", help="core to gate"),
) -> None:
    """Regression gate: run scenarios, compare metrics with [expect] bands and baselines; exit 1 on regression."""
    from .bench.check import check as run_check

    raise typer.Exit(run_check(list(scenarios) if scenarios else None, junit, update_baselines, core))


@app.command()
def bench(as_json: bool = typer.Option(False, "--json", help="print the results as JSON")) -> None:
    """Run the speed benchmarks (world generation, core ingest, whole run) and print ratios to their references."""
    from .bench.benchmarks import bench as run_bench

    raise typer.Exit(run_bench(as_json))

tracker_app = typer.Typer(add_completion=False, no_args_is_help=True, help="The tracking core's own tools.")
app.add_typer(tracker_app, name="tracker")


@app.command()
def replay(
    reads: Path = typer.Argument(..., help="reads.parquet recorded from readers (or by `twin run --save-streams`)"),
    site_file: Path = typer.Option(..., "--site", help="site.json (from `twin site`)"),
    events: Optional[Path] = typer.Option(None, "--events", help="events.parquet from the case software"),
    out: Path = typer.Option(..., "--out", "-o", help="folder for estimates.parquet, alerts.parquet, the store"),
    config: Optional[Path] = typer.Option(None, "--config", help="tracker config JSON (e.g. from `twin tracker fit`)"),
    reader_events: Optional[Path] = typer.Option(None, "--reader-events",
                                                 help="reader_events.parquet: keepalives and reader event notifications"),
) -> None:
    """Run the tracking core on a recording, with no twin behind it."""
    from .tracker.replay import replay as run_replay

    for f in (reads, site_file, events, config, reader_events):
        if f is not None and not f.exists():
            _fail(f"{display_path(f)}: no such file")
    cfg = json.loads(config.read_text(encoding="utf-8")) if config else None
    run_replay(reads, site_file, events, out, config=cfg, reader_events_path=reader_events)
    console.print(f"tracker output written to {display_path(out)}", highlight=False)


@tracker_app.command("fit")
def tracker_fit(
    reads: Path = typer.Argument(..., help="reads.parquet of a recording with known positions"),
    truth: Path = typer.Option(..., "--truth", help="truth.parquet: where each tag really was"),
    site_file: Path = typer.Option(..., "--site", help="site.json"),
    out: Path = typer.Option(Path("tracker-config.json"), "-o", "--out", help="config JSON to write"),
) -> None:
    """Fit the tracker's model parameters (per-antenna weights) on a recording with known positions."""
    from .tracker.fit import fit

    for f in (reads, truth, site_file):
        if not f.exists():
            _fail(f"{display_path(f)}: no such file")
    cfg = fit(reads, truth, site_file)
    out.write_text(json.dumps(cfg, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    console.print(f"tracker config written to {display_path(out)}", highlight=False)


@app.command()
def query(
    dir: Path = typer.Argument(..., help="a tracker workspace (holds store.sqlite)"),
    what: str = typer.Argument(..., help="where | history | space | officer | alerts | overdue | sweeps | sweep"),
    subject: Optional[str] = typer.Argument(None, help="EPC (hex or URI) for where/history, space or officer id"),
    at: Optional[str] = typer.Option(None, "--at", help="time (µs since epoch or ISO 8601); default: latest"),
    t0: Optional[str] = typer.Option(None, "--from", help="history from this time"),
    t1: Optional[str] = typer.Option(None, "--to", help="history up to this time"),
    kind: Optional[str] = typer.Option(None, "--kind", help="alerts of this kind only"),
    as_json: bool = typer.Option(False, "--json", help="print rows as JSON lines"),
) -> None:
    """Ask the tracker's store: where a tag is, its history, what a space or officer holds, open alerts, overdue."""
    from .tracker.query import query as run_query
    from .tracker.query import render

    key = {"where": "epc", "history": "epc", "space": "space", "officer": "officer"}.get(what)
    if key and not subject:
        noun = "an EPC (hex or URI)" if key == "epc" else f"a {key} id"
        _fail(f"query {what}: expected {noun} after '{what}'")
    args = {key: subject} if key else {}
    if what in ("sweeps", "sweep") and subject:  # inventory sweeps of one space
        args["space"] = subject
    args.update(at=at, t0=t0, t1=t1, kind=kind)
    if what in ("where", "space", "officer", "overdue"):
        args.pop("t0"), args.pop("t1")
    if what != "alerts":
        args.pop("kind")
    if what == "history":
        args.pop("at")
    res = run_query(dir, what, **args)
    if as_json:
        for row in res.rows:
            sys.stdout.write(json.dumps(row, default=str) + "\n")
    else:
        console.print(render(res))


@app.command()
def verify(dir: Path = typer.Argument(..., help="a tracker workspace (holds store.sqlite)")) -> None:
    """Check the hash chain of the custody and alert log: exit 0 when intact, 1 naming each tampered row."""
    from .tracker.chain import verify as run_verify

    rep = run_verify(dir)
    for line in rep.lines():
        (console if rep.ok else err_console).print(line, highlight=False, soft_wrap=True)
    if not rep.ok:
        raise typer.Exit(1)


@app.command("export-epcis")
def export_epcis_cmd(
    dir: Path = typer.Argument(..., help="a tracker workspace (holds store.sqlite)"),
    out: Path = typer.Option(Path("events.jsonld"), "-o", "--out", help="EPCIS 2.0 JSON-LD document to write"),
) -> None:
    """Export the store's history as EPCIS 2.0 ObjectEvents (JSON-LD) with standard event hash IDs."""
    from .tracker.epcis import export_epcis

    n = export_epcis(dir, out)
    console.print(f"{n} EPCIS events written to {display_path(out)}", highlight=False)


def main() -> None:
    """Console entry point: domain errors are printed without a traceback and exit 2."""
    try:
        app()
    except TwinError as e:
        problems = getattr(e, "problems", None)
        for line in (problems or [str(e)]):
            err_console.print(f"[red]error:[/red] {line}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
