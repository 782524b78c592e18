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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
) -> None:
    """Run a scenario through the twin: metrics.json (and the streams on request) in the workspace folder."""
    from .run import run_scenario

    if days is not None and days <= 0:
        _fail(f"--days = {days}: expected a positive number of days")
    if seed is not None and seed < 0:
        _fail(f"--seed = {seed}: expected a seed >= 0")
    run_scenario(scenario, out, seed=seed, days=days, save_streams=save_streams, progress=not quiet)


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
