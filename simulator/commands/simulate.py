"""`alertkit simulate` and `alertkit export-promtool`: thin click commands over the simulator core.

Exit status: 0 every expectation holds; 1 an expectation failed; 2 bad input (scenario or rule
files, or a rule that fails to evaluate), reported as file:line: message; 3 an internal error.
Errors are raised as common.errors kinds; the root group (compiler/cli.py) prints them and exits.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from common.errors import InputError, OutputError
from common.outputpaths import non_directory_on_path
from simulator.parallel import simulate_in_processes, worker_count
from simulator.promql.allocator import allow_malloc_tuning
from simulator.scenarios.errors import ScenarioError
from simulator.scenarios.loader import load_scenario

from .rules_source import RuleFileError, RulesSource, RulesUnavailable, rules_options

EXIT_EXPECTATION_FAILED = 1


_alertmanager_option = click.option(
    "--alertmanager-config",
    "alertmanager_config",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The compiled alertmanager.yml to time pages with "
    "(default: alertmanager/alertmanager.yml beside the rules directory, when it exists).",
)


def load_paging_config(path: Path | None, rules_source: RulesSource):
    """The Alertmanager configuration for time to page: the given file, else the project's compiled one (beside
    --rules DIR, or from the in-memory compile), when there is one."""
    from simulator.alertmanager.config import AlertmanagerConfigError, load_alertmanager_config

    if path is not None and not path.is_file():
        _fail(f"{path}: no such Alertmanager configuration (run `alertkit compile` first)")
    try:
        text = path.read_text(encoding="utf-8") if path is not None else rules_source.alertmanager_text()
    except RulesUnavailable as error:
        _fail(str(error))
    if text is None:
        return None
    try:
        return load_alertmanager_config(text)
    except AlertmanagerConfigError as error:
        _fail(f"{path or 'alertmanager/alertmanager.yml (compiled)'}: {error}")


def _load_groups(rules_source: RulesSource):
    try:
        return rules_source.groups()
    except (RulesUnavailable, RuleFileError) as error:
        _fail(str(error))


def _rules_in_memory(rules_source: RulesSource):
    """Rules compiled in memory: (groups, rule-file texts), which the export copies beside its test file."""
    from simulator.simulate import rule_groups_from_texts

    try:
        texts = rules_source.rule_texts()
        return rule_groups_from_texts(texts), texts
    except RulesUnavailable as error:
        _fail(str(error))
    except RuleFileError as error:
        _fail(str(error))


class _NoProgress:
    """Stands in for a progress bar when stderr is not a terminal."""

    label = ""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def update(self, steps: int) -> None:
        return None


def _progress(length: int):
    """A progress bar on stderr, only when stderr is a terminal (logs and pipes stay clean)."""
    if not sys.stderr.isatty():
        return _NoProgress()
    return click.progressbar(length=length, label="simulating", file=sys.stderr)


def _fail(message: str) -> None:
    raise InputError(message)


def _load_scenarios(paths: tuple[Path, ...]):
    scenarios, problems = [], []
    for path in paths:
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as error:
            problems.append(str(error))
    if problems:
        _fail("\n".join(problems))
    return scenarios


def _same_file(out_path: Path, input_path: Path) -> bool:
    """Whether writing `out_path` would overwrite `input_path` (same path, or a link to it)."""
    try:
        return out_path.exists() and out_path.samefile(input_path)
    except OSError:
        return False


@click.command("simulate")
@click.argument(
    "scenario_paths",
    metavar="SCENARIO...",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@rules_options
@click.option("--json", "as_json", is_flag=True, help="Write the versioned JSON report (schema in docs/scenarios.md).")
@click.option(
    "--report",
    "report_dir",
    default=None,
    type=click.Path(path_type=Path),
    help="Also write the HTML report (docs/report.md) into this directory: new, empty, or an earlier report.",
)
@_alertmanager_option
@click.option(
    "--jobs",
    "jobs",
    type=click.IntRange(min=0),
    default=0,
    help="Scenarios simulated at once, in separate processes (default 0: one per available core). "
    "The report is the same whatever the number.",
)
def simulate_command(
    scenario_paths: tuple[Path, ...],
    rules_source: RulesSource,
    as_json: bool,
    report_dir: Path | None,
    alertmanager_config: Path | None,
    jobs: int,
) -> None:
    """Replay SCENARIO files through the rule files: which alerts fire, how fast, and when they page."""
    from simulator.simulate import add_paging, simulate

    allow_malloc_tuning()

    report = None
    if report_dir is not None:
        from .report import ReportWriter

        report = ReportWriter(report_dir, rules_source)  # checks the directory before any work
    scenarios = _load_scenarios(scenario_paths)
    groups = _load_groups(rules_source)
    paging_config = load_paging_config(alertmanager_config, rules_source)
    if report is not None:
        from .report import simulate_into_report

        results = simulate_into_report(scenarios, groups, paging_config, report)
        report.write(scenarios, groups)
        _finish(results, as_json)
        return
    results = []
    workers = worker_count(jobs, len(scenarios))
    with _progress(len(scenarios) * 3) as bar:
        if workers > 1:
            for outcome in simulate_in_processes(scenarios, groups, paging_config, workers):
                bar.update(3)
                if isinstance(outcome, ScenarioError):
                    _fail(str(outcome))
                results.append(outcome)
        for scenario in scenarios if workers <= 1 else []:

            def on_stage(stage: str, name: str = scenario.name) -> None:
                bar.label = f"{name}: {stage}"
                bar.update(1)

            try:
                results.append(simulate(scenario, groups, on_stage=on_stage))
                if paging_config is not None:
                    add_paging(results[-1], paging_config)
            except ScenarioError as error:
                _fail(str(error))
    _finish(results, as_json)


def _finish(results: list, as_json: bool) -> None:
    from simulator.report import render_json, render_text

    click.echo(render_json(results) if as_json else render_text(results), nl=False)
    if not all(r.passed for r in results):
        sys.exit(EXIT_EXPECTATION_FAILED)


@click.command("export-promtool")
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@rules_options
@click.option(
    "--from",
    "from_",
    default="0s",
    show_default=True,
    help="Start of the exported window, as a duration from the scenario start.",
)
@click.option("--span", default=None, help="Length of the exported window (default: to the scenario end).")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The promtool test file to write; the rule files it tests are copied beside it, into "
    "OUT's name without its extension plus .rules/ (check.test.yml: check.test.rules/).",
)
def export_promtool_command(
    scenario_path: Path, rules_source: RulesSource, from_: str, span: str | None, out_path: Path
) -> None:
    """Write a promtool test file that checks the simulated alert timeline of SCENARIO.

    The window [--from, --from + --span] is exported with the history its alerts read before it
    (ranges, offsets, lookback, subqueries, for and keep_firing_for), so promtool checks the
    whole scenario's timeline inside the window; a window that no bounded history replays
    exactly is refused with the alert and the reason.
    """
    from common.durations import parse_duration
    from simulator.scenarios.promtool_export import export_promtool_test

    if _same_file(out_path, scenario_path):
        raise OutputError(f"--out {out_path}: is the scenario file itself; write the test file elsewhere")
    blocker = non_directory_on_path(out_path)
    if blocker is not None:
        raise OutputError(f"--out {out_path}: cannot write: {blocker} exists and is not a directory")
    if out_path.exists() and not out_path.is_file():
        # The export replaces its file by a rename: never put a file in the place of a device or directory.
        raise OutputError(f"--out {out_path}: cannot write: not a regular file (a directory, device, FIFO or socket)")
    allow_malloc_tuning()
    scenario = _load_scenarios((scenario_path,))[0]
    groups, texts = (_load_groups(rules_source), None) if rules_source.rules_dir else _rules_in_memory(rules_source)
    try:
        window_start = parse_duration(from_)
        window_span = parse_duration(span) if span is not None else None
    except ValueError as error:
        _fail(f"--from/--span: {error}")
    try:
        written = export_promtool_test(scenario, groups, out_path, window_start, window_span, texts)
    except ScenarioError as error:
        _fail(str(error))
    except OSError as error:
        raise OutputError(f"--out {out_path}: cannot write: {error.strerror or error}") from None
    click.echo(f"wrote {', '.join(str(p) for p in written)}", err=True)
