"""`alertkit incidents` and `alertkit postmortem`: thin click commands over simulator.incidents.

    alertkit incidents SCENARIO... [--gap 1h] [--format markdown|json] [--drill RECORD] [--out FILE]
    alertkit postmortem SCENARIO [--incident N] [--gap 1h] [--drill RECORD] [--out FILE]

Both simulate the scenario (rules compiled in memory, or --rules DIR), cluster its firing alerts into incidents
and rank the declared change events as causes. Paging comes from the Alertmanager model, or from a drill's
record (`alertkit drill --record FILE`). Exit status: 0 written; 1 the output cannot be written (nothing is);
2 bad input, reported as file:line: message.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from common.durations import DurationError, format_duration, parse_duration
from common.errors import InputError, OutputError
from common.outputpaths import non_directory_on_path
from simulator.incidents.cluster import DEFAULT_GAP_MS
from simulator.scenarios.errors import ScenarioError

from .rules_source import RulesSource, rules_options
from .simulate import _alertmanager_option, _load_groups, _load_scenarios, load_paging_config

FORMATS = ("markdown", "json")

_scenario_argument = click.argument(
    "scenario_paths",
    metavar="SCENARIO...",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
_gap_option = click.option(
    "--gap",
    default=format_duration(DEFAULT_GAP_MS),
    show_default=True,
    help="Quiet time that separates two incidents: a firing more than GAP after the last alert stopped "
    "starts a new one (why 1h: docs/incidents.md).",
)
_drill_option = click.option(
    "--drill",
    "drill_path",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A drill's record (`alertkit drill --record FILE`): its real notifications are the paging timeline.",
)
_out_option = click.option(
    "--out",
    "out_path",
    default=None,
    type=click.Path(path_type=Path),
    help="Write to this file (atomically) instead of standard output.",
)


@click.command("incidents")
@_scenario_argument
@rules_options
@_gap_option
@click.option("--format", "format_", type=click.Choice(FORMATS), default="markdown", show_default=True)
@_drill_option
@_alertmanager_option
@_out_option
def incidents_command(
    scenario_paths: tuple[Path, ...],
    rules_source: RulesSource,
    gap: str,
    format_: str,
    drill_path: Path | None,
    alertmanager_config: Path | None,
    out_path: Path | None,
) -> None:
    """Cluster SCENARIO's firing alerts into incidents: root alert, start, detection, pages, ranked causes."""
    from simulator.incidents.render import incidents_json, incidents_markdown

    _check_out(out_path, scenario_paths)
    if drill_path is not None and len(scenario_paths) > 1:
        raise InputError("--drill: a drill record belongs to one scenario; give only that scenario")
    reports = _reports(scenario_paths, rules_source, _gap(gap), drill_path, alertmanager_config)
    _emit(incidents_json(reports) if format_ == "json" else incidents_markdown(reports), out_path)


@click.command("postmortem")
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@rules_options
@click.option("--incident", "number", default=1, show_default=True, type=int, help="Which incident (1 = the first).")
@_gap_option
@_drill_option
@_alertmanager_option
@_out_option
def postmortem_command(
    scenario_path: Path,
    rules_source: RulesSource,
    number: int,
    gap: str,
    drill_path: Path | None,
    alertmanager_config: Path | None,
    out_path: Path | None,
) -> None:
    """Write a postmortem skeleton (markdown) for one incident of SCENARIO."""
    from simulator.incidents.postmortem import postmortem_markdown

    _check_out(out_path, (scenario_path,))
    report = _reports((scenario_path,), rules_source, _gap(gap), drill_path, alertmanager_config)[0]
    if not 1 <= number <= len(report.incidents):
        found = f"incidents 1-{len(report.incidents)}" if report.incidents else "no incident (no alert fired)"
        raise InputError(f"--incident {number}: scenario {report.scenario} ({report.source}) has {found}")
    _emit(postmortem_markdown(report, report.incidents[number - 1]), out_path)


def _gap(text: str) -> int:
    try:
        return parse_duration(text)
    except DurationError as error:
        raise InputError(f"--gap {text}: {error}") from None


def _reports(scenario_paths, rules_source: RulesSource, gap_ms: int, drill_path, alertmanager_config):
    from simulator.incidents.drill_record import parse_record
    from simulator.incidents.report import build_report
    from simulator.incidents.root import causal_links
    from simulator.promql.allocator import allow_malloc_tuning
    from simulator.simulate import add_paging, simulate_with_evaluation

    allow_malloc_tuning()
    scenarios = _load_scenarios(scenario_paths)
    groups = _load_groups(rules_source)
    config = load_paging_config(alertmanager_config, rules_source)
    drill = None
    if drill_path is not None:
        try:
            text = drill_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"--drill {drill_path}: cannot read: {error}") from None
        drill = parse_record(text, str(drill_path), scenarios[0].name)
    reports = []
    for scenario in scenarios:
        try:
            result, evaluation = simulate_with_evaluation(scenario, groups)
        except ScenarioError as error:
            raise InputError(str(error)) from None
        if config is not None and drill is None:
            add_paging(result, config)
        reports.append(build_report(scenario, result, evaluation, causal_links(config), gap_ms, drill))
    return reports


def _check_out(out_path: Path | None, inputs: tuple[Path, ...]) -> None:
    """Refuse, before any work, an --out that cannot be written or would overwrite an input."""
    if out_path is None:
        return
    blocker = non_directory_on_path(out_path)
    if blocker is not None:
        raise OutputError(f"--out {out_path}: cannot write: {blocker} exists and is not a directory")
    if not out_path.parent.is_dir():
        raise OutputError(f"--out {out_path}: cannot write: directory {out_path.parent} does not exist")
    if out_path.exists() and not out_path.is_file():
        raise OutputError(f"--out {out_path}: cannot write: not a regular file (a directory, device, FIFO or socket)")
    for source in inputs:
        if out_path.exists() and out_path.samefile(source):
            raise OutputError(f"--out {out_path}: is the scenario file itself; write elsewhere")


def _emit(text: str, out_path: Path | None) -> None:
    if out_path is None:
        click.echo(text, nl=False)
        return
    try:
        _write_atomically(out_path, text)
    except OSError as error:
        raise OutputError(f"--out {out_path}: cannot write: {error.strerror or error}") from None
    click.echo(f"wrote {out_path}", err=True)


def _write_atomically(path: Path, text: str) -> None:
    """Stage beside the target and rename over it: readers see the old file or the whole new one."""
    descriptor, staged = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staged, path)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise
