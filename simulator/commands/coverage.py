"""`alertkit coverage`: the alert x scenario matrix and the coverage gate (thin over simulator.coverage).

Exit status: 0 every alert is covered and every check holds; 1 a coverage gap or a failed check;
2 bad input (scenario or rule files), as `alertkit simulate`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from common.layers import LAYER_LABEL
from simulator.scenarios.errors import ScenarioError

from .rules_source import RulesSource, rules_options
from .simulate import EXIT_EXPECTATION_FAILED, _fail, _load_groups, _load_scenarios

DEFAULT_SCENARIO_GLOB = "scenarios/*.yaml"
RENDERERS = ("text", "markdown", "json")


@click.command("coverage")
@click.argument("scenario_paths", metavar="[SCENARIO...]", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@rules_options
@click.option("--format", "output_format", type=click.Choice(RENDERERS), default="text", show_default=True)
def coverage_command(scenario_paths: tuple[Path, ...], rules_source: RulesSource, output_format: str) -> None:
    """Which scenario proves each alert fires and stays silent (default: every scenarios/*.yaml)."""
    from simulator import coverage
    from simulator.simulate import alert_rules, simulate

    paths = scenario_paths or tuple(sorted(Path().glob(DEFAULT_SCENARIO_GLOB)))
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        _fail("\n".join(f"{path}: no such scenario file" for path in missing))
    scenarios = _load_scenarios(paths)
    groups = _load_groups(rules_source)
    rules = alert_rules(groups)
    alertnames = list(dict.fromkeys(rule.alert for rule in rules))
    results = {}
    for scenario in scenarios:
        try:
            results[scenario.source] = simulate(scenario, groups)
        except ScenarioError as error:
            _fail(str(error))
    layers = {rule.alert: rule.labels.get(LAYER_LABEL) for rule in rules}  # as Prometheus loads them
    report = coverage.coverage_report(alertnames, _runbooks(rules_source, rules), scenarios, results, layers)
    render = {"text": coverage.render_text, "markdown": coverage.render_markdown, "json": coverage.render_json}
    click.echo(render[output_format](report), nl=False)
    if not report.passed:
        sys.exit(EXIT_EXPECTATION_FAILED)


def _runbooks(rules_source: RulesSource, rules) -> set[str]:
    """Alerts with a runbook: rendered by the compile, or (for --rules) linked by a runbook_url annotation."""
    if rules_source.rules_dir is None:
        from compiler.memory_build import compile_in_memory

        return compile_in_memory(rules_source.sources).runbook_names
    return {rule.alert for rule in rules if rule.annotations.get("runbook_url", "").strip()}
