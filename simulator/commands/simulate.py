"""`alertkit simulate` and `alertkit export-promtool`: thin click commands over the simulator core.

Exit status: 0 every expectation holds; 1 an expectation failed; 2 bad input (scenario or rule
files, or a rule that fails to evaluate), reported as file:line: message; 3 an internal error
(reported in one line, never as a traceback).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from simulator.promql.model import PromQLError
from simulator.rules.outputs import RuleEvaluationError
from simulator.scenarios.errors import ScenarioError
from simulator.scenarios.loader import load_scenario

EXIT_EXPECTATION_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 3

_rules_option = click.option(
    "--rules",
    "rules_dir",
    default="build/prometheus",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of compiled rule files (*.yml), as Prometheus loads them.",
)


_alertmanager_option = click.option(
    "--alertmanager-config",
    "alertmanager_config",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The compiled alertmanager.yml to time pages with "
    "(default: alertmanager/alertmanager.yml beside the rules directory, when it exists).",
)


def load_paging_config(path: Path | None, rules_dir: Path):
    """The Alertmanager configuration for time to page: the given file, or the build's one when present."""
    from simulator.alertmanager.config import AlertmanagerConfigError, load_alertmanager_config

    if path is None:
        path = rules_dir.parent / "alertmanager" / "alertmanager.yml"
        if not path.is_file():
            return None
    elif not path.is_file():
        _fail(f"{path}: no such Alertmanager configuration (run `alertkit compile` first)")
    try:
        return load_alertmanager_config(path.read_text())
    except AlertmanagerConfigError as error:
        _fail(f"{path}: {error}")


def _load_groups(rules_dir: Path):
    from simulator.rules.loader import RuleFileError, load_rule_files
    from simulator.simulate import rule_files_in

    if not rules_dir.is_dir():
        _fail(f"{rules_dir}: no such rules directory (run `alertkit compile` first, or pass --rules DIR)")
    files = rule_files_in(rules_dir)
    if not files:
        _fail(f"{rules_dir}: no rule files (*.yml, *.yaml) found")
    try:
        return load_rule_files(files)
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
    click.echo(message, err=True)
    sys.exit(EXIT_BAD_INPUT)


def _internal_error(source: str, error: Exception) -> None:
    click.echo(
        f"{source}: internal error in the simulator ({type(error).__name__}: {error}); "
        "please report it with this scenario file",
        err=True,
    )
    sys.exit(EXIT_INTERNAL_ERROR)


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


@click.command("simulate")
@click.argument(
    "scenario_paths",
    metavar="SCENARIO...",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@_rules_option
@click.option("--json", "as_json", is_flag=True, help="Write the versioned JSON report (schema in docs/scenarios.md).")
@_alertmanager_option
def simulate_command(
    scenario_paths: tuple[Path, ...], rules_dir: Path, as_json: bool, alertmanager_config: Path | None
) -> None:
    """Replay SCENARIO files through the rule files: which alerts fire, how fast, and when they page."""
    from simulator.report import render_json, render_text
    from simulator.simulate import add_paging, simulate

    scenarios = _load_scenarios(scenario_paths)
    groups = _load_groups(rules_dir)
    paging_config = load_paging_config(alertmanager_config, rules_dir)
    results = []
    with _progress(len(scenarios) * 3) as bar:
        for scenario in scenarios:

            def on_stage(stage: str, name: str = scenario.name) -> None:
                bar.label = f"{name}: {stage}"
                bar.update(1)

            try:
                results.append(simulate(scenario, groups, on_stage=on_stage))
                if paging_config is not None:
                    add_paging(results[-1], paging_config)
            except (ScenarioError, PromQLError, RuleEvaluationError) as error:
                _fail(str(error))
            except Exception as error:  # never a traceback: say what broke and where to report it
                _internal_error(scenario.source, error)
    click.echo(render_json(results) if as_json else render_text(results), nl=False)
    if not all(r.passed for r in results):
        sys.exit(EXIT_EXPECTATION_FAILED)


@click.command("export-promtool")
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_rules_option
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
    help="The promtool test file to write; a copy of the rules it needs is written beside it.",
)
def export_promtool_command(scenario_path: Path, rules_dir: Path, from_: str, span: str | None, out_path: Path) -> None:
    """Write a promtool test file that checks the simulated alert timeline of SCENARIO."""
    from simulator.scenarios.durations import parse_duration
    from simulator.scenarios.promtool_export import export_promtool_test

    scenario = _load_scenarios((scenario_path,))[0]
    groups = _load_groups(rules_dir)
    try:
        window_start = parse_duration(from_)
        window_span = parse_duration(span) if span is not None else None
    except ValueError as error:
        _fail(f"--from/--span: {error}")
    try:
        written = export_promtool_test(scenario, groups, out_path, window_start, window_span)
    except (ScenarioError, PromQLError, RuleEvaluationError) as error:
        _fail(str(error))
    except Exception as error:  # never a traceback: say what broke and where to report it
        _internal_error(scenario.source, error)
    click.echo(f"wrote {', '.join(str(p) for p in written)}", err=True)
