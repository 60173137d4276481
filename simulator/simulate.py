"""Simulate scenarios: generate the series, evaluate the rule files over them, judge the alerts.

The pure core of `alertkit simulate`: no printing, no click. The rule groups come from the same
rule files Prometheus loads (simulator.rules.loader), never from compiler internals.

Judging, per incident (window = [start, end + settle]):
- time to detect an `expect:` alert = the first moment any of its instances is firing inside
  the window, minus the incident's start; it passes when it is at most the budget;
- a `silent:` alert fails when any of its instances is firing at any moment of the window;
- a false positive is an activation whose firing_at is outside every incident window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.promql.model import Grid
from simulator.rules.loader import RuleFileError, parse_rule_text
from simulator.rules.model import AlertingRule, AlertInterval, AlertTimeline, RecordingRule, RuleGroup

from .scenarios.errors import ScenarioError, scenario_problem
from .scenarios.generators import generate_series, populate_storage
from .scenarios.model import Incident, Scenario

if TYPE_CHECKING:
    from simulator.alertmanager.config import AlertmanagerConfig
    from simulator.alertmanager.timeline import PagingResult
    from simulator.rules.group import RulesEvaluation

WEEK_MS = 7 * 24 * 3600 * 1000

# Called with a short stage name ("generate", "evaluate", "judge") as a run progresses.
StageCallback = Callable[[str], None]


@dataclass(frozen=True)
class Detection:
    """One `expect:` entry judged: when the alert first fired in the incident window, if at all."""

    incident: str
    alertname: str
    budget_ms: int
    incident_start_ms: int
    detected_at_ms: int | None  # from the scenario start

    @property
    def time_to_detect_ms(self) -> int | None:
        return None if self.detected_at_ms is None else self.detected_at_ms - self.incident_start_ms

    @property
    def passed(self) -> bool:
        return self.time_to_detect_ms is not None and self.time_to_detect_ms <= self.budget_ms


@dataclass(frozen=True)
class SilenceCheck:
    """One `silent:` entry judged: the first moment the alert was firing in the window, if any."""

    incident: str
    alertname: str
    fired_at_ms: int | None

    @property
    def passed(self) -> bool:
        return self.fired_at_ms is None


@dataclass(frozen=True)
class FalsePositive:
    """An activation that fired outside every incident window."""

    alertname: str
    labels: dict[str, str]
    firing_at_ms: int


@dataclass
class ScenarioResult:
    """Everything `alertkit simulate` reports for one scenario.

    timelines: every alert instance's activations (ms from the scenario start), sorted by name and labels.
    """

    scenario: Scenario
    timelines: list[AlertTimeline]
    detections: list[Detection]
    silences: list[SilenceCheck]
    false_positives: list[FalsePositive]
    series_count: int = 0
    sample_count: int = 0
    max_false_positives: int | None = None  # from the scenario; None: reported, not judged
    # Alerts that read none of the scenario's metrics (through their recording rules too): a scenario of
    # another service says nothing about them, so their firing (an absent() of a series the scenario never
    # generates) is not a false positive of this scenario.
    unobserved_alerts: list[str] = field(default_factory=list)
    paging: PagingResult | None = None  # the Alertmanager model's notifications (add_paging), when configured

    def observed_timelines(self) -> list[AlertTimeline]:
        """The timelines of the alerts this scenario observes: what is sent to Alertmanager (the paging model
        and the drill). An unobserved alert fires only where the scenario leaves its service out (an
        absent() of a series nobody generates), so its notifications would be the scenario's, not the rules'."""
        ignored = set(self.unobserved_alerts)
        return [timeline for timeline in self.timelines if timeline.alertname not in ignored]

    @property
    def false_positives_per_week(self) -> float:
        return len(self.false_positives) / (self.scenario.duration_ms / WEEK_MS)

    @property
    def false_positives_passed(self) -> bool:
        return self.max_false_positives is None or len(self.false_positives) <= self.max_false_positives

    @property
    def passed(self) -> bool:
        return (
            all(d.passed for d in self.detections)
            and all(s.passed for s in self.silences)
            and self.false_positives_passed
        )


def evaluation_grid(scenario: Scenario) -> Grid:
    """Rule evaluations at 0, I, 2I, ... up to the scenario's end (I = evaluation_interval)."""
    last = scenario.duration_ms - scenario.duration_ms % scenario.evaluation_interval_ms
    return Grid(0, last, scenario.evaluation_interval_ms)


def rule_files_in(directory: str | Path) -> list[Path]:
    """The rule files of a directory (*.yml, *.yaml), in name order, as Prometheus globs them."""
    directory = Path(directory)
    return sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())


def rule_groups_from_texts(texts: dict[str, str]) -> list[RuleGroup]:
    """Rule groups of rule-file texts (name -> text, in load order), as load_rule_files reads files;
    raise RuleFileError listing every problem of every text."""
    groups: list[RuleGroup] = []
    problems = []
    for name, text in texts.items():
        file_groups, file_problems = parse_rule_text(text, name)
        groups += file_groups
        problems += file_problems
    if problems:
        raise RuleFileError(problems)
    return groups


def alert_rules(groups: list[RuleGroup]) -> list[AlertingRule]:
    """Every alerting rule, in load order."""
    return [rule for group in groups for rule in group.rules if isinstance(rule, AlertingRule)]


def alert_names(groups: list[RuleGroup]) -> set[str]:
    return {rule.alert for group in groups for rule in group.rules if isinstance(rule, AlertingRule)}


def check_alert_names(scenario: Scenario, groups: list[RuleGroup]) -> None:
    """Every alert a scenario expects or silences must exist in the rule files (else ScenarioError)."""
    known = alert_names(groups)
    problems = []
    for incident in scenario.incidents:
        for expectation in incident.expect:
            if expectation.alertname not in known:
                problems.append(
                    scenario_problem(
                        scenario.source,
                        expectation.line,
                        f"incident {incident.name!r} expects alert {expectation.alertname!r}, "
                        "which no rule file defines",
                    )
                )
        for alertname, line in incident.silent:
            if alertname not in known:
                problems.append(
                    scenario_problem(
                        scenario.source,
                        line,
                        f"incident {incident.name!r} silences alert {alertname!r}, which no rule file defines",
                    )
                )
    if problems:
        raise ScenarioError(problems)


def simulate(
    scenario: Scenario,
    groups: list[RuleGroup],
    on_stage: StageCallback | None = None,
    max_false_positives: int | None = None,
) -> ScenarioResult:
    """Generate the scenario's series, evaluate the rule groups over them, and judge the alerts."""
    return simulate_with_evaluation(scenario, groups, on_stage, max_false_positives)[0]


def simulate_with_evaluation(
    scenario: Scenario,
    groups: list[RuleGroup],
    on_stage: StageCallback | None = None,
    max_false_positives: int | None = None,
) -> tuple[ScenarioResult, RulesEvaluation]:
    """simulate(), also returning the evaluation (storage with the rules' outputs, alert histories) so a
    report can query the rules' expressions around an incident afterwards."""
    from simulator.rules.group import evaluate_rule_groups  # imported late: loads numpy and the evaluator

    stage = on_stage or (lambda name: None)
    check_alert_names(scenario, groups)
    stage("generate")
    series = generate_series(scenario)
    storage = populate_storage(series)
    stage("evaluate")
    evaluation = evaluate_rule_groups(groups, storage, evaluation_grid(scenario))
    stage("judge")
    unobserved = unobserved_alerts(groups, {dict(s.labels).get("__name__", "") for s in series})
    result = judge(scenario, evaluation.timelines, unobserved)
    result.series_count = len(series)
    result.sample_count = sum(len(s.t_ms) for s in series)
    result.max_false_positives = (
        max_false_positives if max_false_positives is not None else scenario.max_false_positives
    )
    return result, evaluation


def add_paging(result: ScenarioResult, config: AlertmanagerConfig) -> None:
    """Feed the result's alert timelines through Prometheus's sender and Alertmanager's dispatcher."""
    from simulator.alertmanager.timeline import IncidentWindow, page_scenario

    scenario = result.scenario
    windows = [IncidentWindow(i.name, i.start_ms, i.window_end_ms) for i in scenario.incidents]
    result.paging = page_scenario(
        config, result.observed_timelines(), windows, scenario.evaluation_interval_ms, scenario.duration_ms
    )


def unobserved_alerts(groups: list[RuleGroup], generated_metrics: set[str]) -> list[str]:
    """Alerts whose expressions read no generated metric, directly or through recording rules (sorted).

    An alert with a selector that matches any metric name counts as observed."""
    from simulator.rules.dependencies import metric_names_read

    recorded = {rule.record: rule.expr for group in groups for rule in group.rules if isinstance(rule, RecordingRule)}

    def observes(expr: str, seen: frozenset[str]) -> bool:
        names = metric_names_read(expr)
        if names is None or names & generated_metrics:
            return True
        return any(observes(recorded[name], seen | {name}) for name in names if name in recorded and name not in seen)

    return sorted({rule.alert for rule in alert_rules(groups) if not observes(rule.expr, frozenset())})


def judge(scenario: Scenario, timelines: list[AlertTimeline], unobserved: list[str] | None = None) -> ScenarioResult:
    """Judge alert timelines against the scenario's incidents (pure: usable with stub timelines).

    Alerts in `unobserved` (see unobserved_alerts) are not false positives of this scenario."""
    ignored = set(unobserved or ())
    timelines = sorted(timelines, key=lambda tl: (tl.alertname, sorted(tl.labels.items())))
    by_name: dict[str, list[AlertInterval]] = {}
    for timeline in timelines:
        by_name.setdefault(timeline.alertname, []).extend(timeline.intervals)
    detections = [
        Detection(
            incident.name,
            e.alertname,
            e.budget_ms,
            incident.start_ms,
            _first_firing_in_window(by_name.get(e.alertname, []), incident, scenario.duration_ms),
        )
        for incident in scenario.incidents
        for e in incident.expect
    ]
    silences = [
        SilenceCheck(
            incident.name,
            alertname,
            _first_firing_in_window(by_name.get(alertname, []), incident, scenario.duration_ms),
        )
        for incident in scenario.incidents
        for alertname, _line in incident.silent
    ]
    false_positives = [
        FalsePositive(timeline.alertname, dict(timeline.labels), interval.firing_at_ms)
        for timeline in timelines
        for interval in timeline.intervals
        if interval.firing_at_ms is not None
        and timeline.alertname not in ignored
        and not any(_in_window(interval.firing_at_ms, incident) for incident in scenario.incidents)
    ]
    false_positives.sort(key=lambda fp: (fp.firing_at_ms, fp.alertname, sorted(fp.labels.items())))
    return ScenarioResult(scenario, timelines, detections, silences, false_positives, unobserved_alerts=sorted(ignored))


def _in_window(t_ms: int, incident: Incident) -> bool:
    return incident.start_ms <= t_ms <= incident.window_end_ms


def _first_firing_in_window(intervals: list[AlertInterval], incident: Incident, duration_ms: int) -> int | None:
    """The first moment in [start, window end] at which one of these activations is firing."""
    moments = []
    for interval in intervals:
        if interval.firing_at_ms is None:
            continue
        firing_until = interval.resolved_at_ms if interval.resolved_at_ms is not None else duration_ms + 1
        overlaps = interval.firing_at_ms <= incident.window_end_ms and firing_until > incident.start_ms
        if overlaps:
            moments.append(max(interval.firing_at_ms, incident.start_ms))
    return min(moments) if moments else None
