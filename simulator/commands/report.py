"""`alertkit report` and `alertkit simulate --report`: the HTML report (thin over simulator.htmlreport).

Exit status of `alertkit report`: 0 the report was written (whether or not its checks passed: the report says);
1 the directory cannot take the report; 2 bad input (an unknown scenario, scenario or rule files), as
`alertkit simulate`. Nothing is written unless the whole report is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from common.errors import InputError
from common.layers import LAYER_LABEL
from simulator.promql.allocator import allow_malloc_tuning
from simulator.scenarios.errors import ScenarioError

from .rules_source import RulesSource, rules_options

if TYPE_CHECKING:
    from simulator.htmlreport.build import ReportBuilder
from .simulate import _alertmanager_option, _load_groups, _load_scenarios, load_paging_config

SCENARIOS_DIR = Path("scenarios")
SCENARIO_SUFFIX = ".yaml"


class ReportWriter:
    """Collects finished simulations into the report, then writes it; the directory is checked up front."""

    def __init__(self, out_dir: Path, rules_source: RulesSource) -> None:
        from simulator.htmlreport.output import check_report_dir

        check_report_dir(out_dir)
        self.out_dir = out_dir
        self.rules_source = rules_source
        self.builder: ReportBuilder | None = None
        self.results: dict = {}

    def start(self, paging_config) -> None:
        """Summaries from the incident analysis, its `symptom_of` links read from the Alertmanager config."""
        from simulator.htmlreport.build import ReportBuilder
        from simulator.htmlreport.summaries import incident_report_summaries
        from simulator.incidents.cluster import DEFAULT_GAP_MS
        from simulator.incidents.root import causal_links

        self.builder = ReportBuilder(summaries=incident_report_summaries(causal_links(paging_config), DEFAULT_GAP_MS))

    def add(self, result, evaluation) -> None:
        assert self.builder is not None, "start() first"
        self.builder.add_scenario(result, evaluation)
        self.results[result.scenario.source] = result

    def write(self, scenarios, groups) -> None:
        from simulator import coverage
        from simulator.htmlreport.output import write_report
        from simulator.simulate import alert_rules

        from .coverage import _runbooks

        rules = alert_rules(groups)
        alertnames = list(dict.fromkeys(rule.alert for rule in rules))
        layers = {rule.alert: rule.labels.get(LAYER_LABEL) for rule in rules}  # as `alertkit coverage` groups them
        runbooks = _runbooks(self.rules_source, rules)
        matrix = coverage.coverage_report(alertnames, runbooks, scenarios, self.results, layers)
        assert self.builder is not None, "start() first"
        files = self.builder.finish(matrix)
        write_report(self.out_dir, files)
        plots = sum(len(s.plots) for s in self.builder.sections)
        size = sum(len(content) for content in files.values())
        click.echo(
            f"wrote {self.out_dir / 'index.html'} ({plots} plots, {len(files)} files, {size // 1024} KiB)", err=True
        )


def simulate_into_report(scenarios, groups, paging_config, report: ReportWriter, on_result=None) -> list:
    """Simulate each scenario, hand it to the report, and keep only its result (the evaluation is freed)."""
    from simulator.simulate import add_paging, simulate_with_evaluation

    report.start(paging_config)
    results = []
    for scenario in scenarios:
        try:
            result, evaluation = simulate_with_evaluation(scenario, groups)
            if paging_config is not None:
                add_paging(result, paging_config)
        except ScenarioError as error:
            raise InputError(str(error)) from None
        report.add(result, evaluation)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def resolve_scenarios(names: tuple[str, ...]) -> tuple[Path, ...]:
    """Each SCENARIO as a file, or as the name of one in scenarios/ (default: every scenarios/*.yaml)."""
    if not names:
        return tuple(sorted(SCENARIOS_DIR.glob(f"*{SCENARIO_SUFFIX}")))
    paths, unknown = [], []
    for name in names:
        path = Path(name)
        named = SCENARIOS_DIR / f"{name}{SCENARIO_SUFFIX}"
        if path.is_file():
            paths.append(path)
        elif named.is_file():
            paths.append(named)
        else:
            unknown.append(name)
    if unknown:
        known = ", ".join(p.stem for p in sorted(SCENARIOS_DIR.glob(f"*{SCENARIO_SUFFIX}"))) or "none"
        raise InputError(
            "\n".join(
                f"{name}: no such scenario: neither a file nor a name in {SCENARIOS_DIR}/ (known: {known})"
                for name in unknown
            )
        )
    return tuple(paths)


@click.command("report")
@click.argument("scenario_names", metavar="[SCENARIO...]", nargs=-1)
@rules_options
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="The report's directory (index.html and plots/); replaced whole, so new, empty, or an earlier report.",
)
@_alertmanager_option
def report_command(
    scenario_names: tuple[str, ...], rules_source: RulesSource, out_dir: Path, alertmanager_config: Path | None
) -> None:
    """Write an HTML report of SCENARIO files or names (default: every scenarios/*.yaml): per incident and alert
    a plot of the expression over time, the coverage matrix, and incident summaries. Nothing is fetched to view
    it: open OUT/index.html."""
    allow_malloc_tuning()
    report = ReportWriter(out_dir, rules_source)
    paths = resolve_scenarios(scenario_names)
    if not paths:
        raise InputError(f"no scenarios: name SCENARIO files, or add some to {SCENARIOS_DIR}/")
    scenarios = _load_scenarios(paths)
    groups = _load_groups(rules_source)
    paging_config = load_paging_config(alertmanager_config, rules_source)
    results = simulate_into_report(scenarios, groups, paging_config, report)
    report.write(scenarios, groups)
    failed = sum(not r.passed for r in results)
    if failed:
        click.echo(f"{failed} of {len(results)} scenarios failed a check (see the report)", err=True)
