"""Simulate the scenarios of two revisions, computing what differs and reusing what is provably the same.

What is reused between the two sides (and why it is the same):
- a scenario's series: generated once per scenario text (sha256). Generation is a pure function of the
  scenario (its seed included), and both sides run the same generator code (the working tree's alertkit).
- a rule group's alert timelines: kept per (scenario text, closure digest). A group's closure is the group
  and every group whose output it can read, transitively (a recording rule it selects; `ALERTS` and
  `ALERTS_FOR_STATE` are written by every group with an alerting rule; a selector without a fixed metric
  name or a templated alert label may read anything, so it reads every group). The digest covers the closure's
  groups in load order (name, interval, every rule field): Prometheus orders rules only by that order, so equal
  digests over equal series give equal timelines. A group whose digest is unseen is evaluated together with
  its closure; the rest of the closure is evaluated again only because the group reads it.
- the paging of a scenario: kept per (scenario text, alertmanager.yml text, digest of the alert timelines): the
  Alertmanager model is a function of the timelines, the configuration and the scenario's incidents and span.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from common.errors import InputError
from simulator.alertmanager.config import AlertmanagerConfig, AlertmanagerConfigError, load_alertmanager_config
from simulator.alertmanager.timeline import PagingResult
from simulator.rules.dependencies import metric_names_read
from simulator.rules.group import ALERT_FOR_STATE_METRIC_NAME, ALERT_METRIC_NAME, evaluate_rule_groups
from simulator.rules.loader import RuleFileError
from simulator.rules.model import AlertingRule, AlertTimeline, RecordingRule, RuleGroup
from simulator.rules.templates import has_actions
from simulator.scenarios.errors import ScenarioError
from simulator.scenarios.generators import GeneratedSeries, generate_series, populate_storage
from simulator.scenarios.loader import parse_scenario
from simulator.scenarios.model import Scenario
from simulator.simulate import (
    ScenarioResult,
    add_paging,
    check_alert_names,
    evaluation_grid,
    judge,
    rule_groups_from_texts,
    unobserved_alerts,
)

# rules/alerting.go: every alerting rule writes these two series.
ALERT_OUTPUT_NAMES = frozenset({ALERT_METRIC_NAME, ALERT_FOR_STATE_METRIC_NAME})

# A side's Alertmanager configuration and the digest of its text.
Paging = tuple[AlertmanagerConfig, str]


@dataclass(frozen=True)
class Revision:
    """One side of a comparison, as texts: what the compile produced and the scenarios of that revision."""

    label: str  # how the report names the side: "main (1a2b3c4)", "working tree"
    rule_texts: dict[str, str]  # rule-file name -> text, in load order
    alertmanager_text: str | None
    scenario_texts: dict[str, str]  # scenario path (as the report shows it) -> file text


@dataclass
class ReuseStats:
    """What one side computed and what it took from the other side's work."""

    series_generated: int = 0
    series_reused: int = 0
    groups_evaluated: int = 0
    groups_reused: int = 0
    paging_computed: int = 0
    paging_reused: int = 0


@dataclass
class RevisionResults:
    """Every scenario of a side, simulated: path -> result."""

    results: dict[str, ScenarioResult] = field(default_factory=dict)
    stats: ReuseStats = field(default_factory=ReuseStats)


class Simulations:
    """Simulates revisions one after the other, sharing series, group timelines and paging between them."""

    def __init__(self) -> None:
        self._series: dict[str, list[GeneratedSeries]] = {}
        self._timelines: dict[tuple[str, str], list[AlertTimeline]] = {}
        self._paging: dict[tuple[str, str, str], PagingResult | None] = {}

    def run(self, revision: Revision) -> RevisionResults:
        """Simulate every scenario of `revision`; InputError names the side and what is wrong."""
        groups = _rule_groups(revision)
        config = _alertmanager_config(revision)
        digests = closure_digests(groups)
        closures = group_closures(groups)
        out = RevisionResults()
        for path, text in revision.scenario_texts.items():
            scenario = _scenario(revision, path, text)
            try:
                check_alert_names(scenario, groups)
                out.results[path] = self._simulate(scenario, _digest(text), groups, digests, closures, config, out)
            except InputError as error:  # ScenarioError, RuleEvaluationError
                raise InputError(f"{revision.label}: {error}") from None
        return out

    def _simulate(
        self,
        scenario: Scenario,
        scenario_digest: str,
        groups: list[RuleGroup],
        digests: list[str],
        closures: list[frozenset[int]],
        config: Paging | None,
        out: RevisionResults,
    ) -> ScenarioResult:
        series = self._series_of(scenario, scenario_digest, out.stats)
        missing = [index for index, digest in enumerate(digests) if (scenario_digest, digest) not in self._timelines]
        if missing:
            self._evaluate(scenario, scenario_digest, series, groups, digests, closures, missing, out.stats)
        out.stats.groups_reused += len(groups) - len(missing)
        timelines = [timeline for digest in digests for timeline in self._timelines[(scenario_digest, digest)]]
        generated_names = {dict(s.labels).get("__name__", "") for s in series}
        result = judge(scenario, timelines, unobserved_alerts(groups, generated_names))
        result.series_count = len(series)
        result.sample_count = sum(len(s.t_ms) for s in series)
        result.max_false_positives = scenario.max_false_positives
        if config is not None:
            self._add_paging(result, scenario_digest, digests, config, out.stats)
        return result

    def _series_of(self, scenario: Scenario, digest: str, stats: ReuseStats) -> list[GeneratedSeries]:
        if digest in self._series:
            stats.series_reused += 1
        else:
            self._series[digest] = generate_series(scenario)
            stats.series_generated += 1
        return self._series[digest]

    def _evaluate(
        self,
        scenario: Scenario,
        scenario_digest: str,
        series: list[GeneratedSeries],
        groups: list[RuleGroup],
        digests: list[str],
        closures: list[frozenset[int]],
        missing: list[int],
        stats: ReuseStats,
    ) -> None:
        """Evaluate the missing groups with their closures (in load order) on fresh storage; keep each group's
        timelines under its own digest (every evaluated group's closure is inside the evaluated set)."""
        chosen = sorted(set().union(*(closures[index] for index in missing)))
        evaluation = evaluate_rule_groups(
            [groups[i] for i in chosen], populate_storage(series), evaluation_grid(scenario)
        )
        index_of = {id(groups[i]): i for i in chosen}
        found: dict[int, list[AlertTimeline]] = {i: [] for i in chosen}
        for instance, timeline in zip(evaluation.instances, evaluation.timelines):
            found[index_of[id(instance.planned.group)]].append(timeline)
        for index in chosen:
            self._timelines.setdefault((scenario_digest, digests[index]), found[index])
        stats.groups_evaluated += len(missing)

    def _add_paging(
        self, result: ScenarioResult, scenario_digest: str, digests: list[str], paging: Paging, stats: ReuseStats
    ) -> None:
        config, config_digest = paging
        key = (scenario_digest, config_digest, _timelines_digest(result.timelines))
        cached = self._paging.get(key)
        if cached is not None:
            result.paging = cached
            stats.paging_reused += 1
            return
        add_paging(result, config)
        self._paging[key] = result.paging
        stats.paging_computed += 1


def _timelines_digest(timelines: list[AlertTimeline]) -> str:
    """The digest of what Prometheus would send Alertmanager: every alert's labels and activations."""
    return _digest(json.dumps([asdict(timeline) for timeline in timelines], sort_keys=True))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rule_groups(revision: Revision) -> list[RuleGroup]:
    try:
        return rule_groups_from_texts(revision.rule_texts)
    except RuleFileError as error:
        raise InputError(f"{revision.label}: {error}") from None


def _alertmanager_config(revision: Revision) -> Paging | None:
    if revision.alertmanager_text is None:
        return None
    try:
        config = load_alertmanager_config(revision.alertmanager_text)
    except AlertmanagerConfigError as error:
        raise InputError(f"{revision.label}: alertmanager/alertmanager.yml (compiled): {error}") from None
    return config, _digest(revision.alertmanager_text)


def _scenario(revision: Revision, path: str, text: str) -> Scenario:
    try:
        return parse_scenario(text, path)
    except ScenarioError as error:
        raise InputError(f"{revision.label}: {error}") from None


def _reads(group: RuleGroup) -> frozenset[str] | None:
    """Every metric name the group's rules select; None when one of them may read any series."""
    names: set[str] = set()
    for rule in group.rules:
        read = metric_names_read(rule.expr)
        if read is None:
            return None
        names |= read
        if isinstance(rule, AlertingRule) and any(has_actions(text) for text in rule.labels.values()):
            return None  # a label template may run `query` on any series
    return frozenset(names)


def _writes(group: RuleGroup) -> frozenset[str]:
    names = {rule.record for rule in group.rules if isinstance(rule, RecordingRule)}
    if any(isinstance(rule, AlertingRule) for rule in group.rules):
        names |= ALERT_OUTPUT_NAMES
    return frozenset(names)


def group_closures(groups: list[RuleGroup]) -> list[frozenset[int]]:
    """Per group (by index): itself and every group whose output it can read, transitively."""
    writes = [_writes(group) for group in groups]
    reads = [_reads(group) for group in groups]
    direct = [{j for j, written in enumerate(writes) if written and (read is None or written & read)} for read in reads]
    closures = []
    for start in range(len(groups)):
        seen = {start}
        stack = [start]
        while stack:
            for j in direct[stack.pop()]:
                if j not in seen:
                    seen.add(j)
                    stack.append(j)
        closures.append(frozenset(seen))
    return closures


def closure_digests(groups: list[RuleGroup]) -> list[str]:
    """Per group: the sha256 of its closure's groups in load order (everything that fixes its timelines)."""
    canonical = [_canonical(group) for group in groups]
    return [
        _digest(json.dumps([canonical[i] for i in sorted(closure)], sort_keys=True))
        for closure in group_closures(groups)
    ]


def _canonical(group: RuleGroup) -> dict:
    """A group as evaluation sees it; the file it came from plays no part."""
    return {
        "name": group.name,
        "interval_ms": group.interval_ms,
        "rules": [{"type": type(rule).__name__, **asdict(rule)} for rule in group.rules],
    }
