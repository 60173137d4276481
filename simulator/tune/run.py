"""The sweep: each scenario is generated and evaluated once; per setting only the threshold comparison, the alert
state machine, the judging and the paging model run again (threshold.py says why that is exact).

Scenarios run in separate processes, up to `jobs`; each task's outcome depends only on its inputs and they are put together in scenario and setting order,
so any `jobs` gives the same result as a serial run.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from common.errors import InputError
from simulator.alertmanager.config import matches_all
from simulator.alertmanager.routing import group_key, match_routes
from simulator.alertmanager.timeline import IncidentWindow, PagingResult, page_scenario
from simulator.promql.model import VectorOverGrid
from simulator.rules.model import AlertingRule, AlertTimeline, RuleGroup
from simulator.scenarios.generators import generate_series, populate_storage
from simulator.scenarios.model import Scenario
from simulator.simulate import WEEK_MS, check_alert_names, evaluation_grid, judge, unobserved_alerts

from .params import Setting
from .threshold import ThresholdSite, threshold_site

if TYPE_CHECKING:
    from simulator.alertmanager.config import AlertmanagerConfig

# rules/alerting.go: the series every alerting rule writes. A rule reading them would see the tuned alert's
# outputs, which the sweep does not re-evaluate.
ALERT_OUTPUT_METRICS = frozenset({"ALERTS", "ALERTS_FOR_STATE"})


@dataclass(frozen=True)
class IncidentOutcome:
    """One incident that expects the alert, under one setting (times from the incident start)."""

    scenario: str
    incident: str
    window_ms: int  # the judging window's length: what a miss costs in the mean time to detect
    time_to_detect_ms: int | None
    time_to_page_ms: int | None


@dataclass(frozen=True)
class ScenarioOutcome:
    incidents: tuple[IncidentOutcome, ...]
    false_pages: int  # pages (or, without paging, firings) of the alert outside every window that expects it
    weeks: float


@dataclass(frozen=True)
class SettingResult:
    setting: Setting
    incidents: tuple[IncidentOutcome, ...]
    false_pages: int
    weeks: float

    @property
    def false_pages_per_week(self) -> float:
        return self.false_pages / self.weeks

    @property
    def missed(self) -> int:
        return sum(i.time_to_detect_ms is None for i in self.incidents)

    @property
    def mean_time_to_detect_ms(self) -> float:
        """Mean time to detect over the incidents that expect the alert, a miss counted as its whole window."""
        if not self.incidents:
            return 0.0
        costs = [i.window_ms if i.time_to_detect_ms is None else i.time_to_detect_ms for i in self.incidents]
        return sum(costs) / len(costs)


@dataclass(frozen=True)
class TuneResult:
    alertname: str
    current: Setting
    results: list[SettingResult]
    front: list[Setting]  # the Pareto front (false pages per week, mean time to detect), both minimized
    paged: bool  # False: no Alertmanager configuration, false "pages" are firings


def tuned_rule(groups: list[RuleGroup], alertname: str) -> tuple[AlertingRule, ThresholdSite]:
    """The one alerting rule named `alertname` and its threshold; InputError when tune cannot sweep it exactly."""
    from simulator.rules.dependencies import metric_names_read

    rules = [r for g in groups for r in g.rules if isinstance(r, AlertingRule) and r.alert == alertname]
    if not rules:
        known = sorted({r.alert for g in groups for r in g.rules if isinstance(r, AlertingRule)})
        raise InputError(f"alert {alertname!r}: no rule file defines it (alerts: {', '.join(known)})")
    if len(rules) > 1:
        raise InputError(f"alert {alertname!r}: {len(rules)} rules define it; tune sweeps an alert of one rule")
    for group in groups:
        for rule in group.rules:
            reads = metric_names_read(rule.expr)
            if reads is None or reads & ALERT_OUTPUT_METRICS:
                name = rule.alert if isinstance(rule, AlertingRule) else rule.record
                raise InputError(
                    f"{group.file}: rule {name!r} reads ALERTS (or any metric name): its result would depend on "
                    f"the tuned alert's state, so tune cannot evaluate the rules once per scenario"
                )
    return rules[0], threshold_site(alertname, rules[0].expr)


def tune(
    scenarios: list[Scenario],
    groups: list[RuleGroup],
    alertname: str,
    settings: list[Setting],
    paging_config: AlertmanagerConfig | None,
    jobs: int = 1,
) -> TuneResult:
    rule, site = tuned_rule(groups, alertname)
    current = Setting(site.current, rule.for_ms)
    for scenario in scenarios:
        check_alert_names(scenario, groups)
    tasks = _tasks(scenarios, settings, jobs)
    arguments = [(scenario, groups, alertname, chunk, paging_config) for scenario, chunk in tasks]
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
            outcomes = list(pool.map(_sweep_task, arguments))
    else:
        outcomes = [_sweep_task(argument) for argument in arguments]
    per_scenario: dict[int, list[ScenarioOutcome]] = {}
    for (scenario, _chunk), chunk_outcomes in zip(tasks, outcomes):
        per_scenario.setdefault(id(scenario), []).extend(chunk_outcomes)
    results = [
        SettingResult(
            setting,
            tuple(i for s in scenarios for i in per_scenario[id(s)][index].incidents),
            sum(per_scenario[id(s)][index].false_pages for s in scenarios),
            sum(per_scenario[id(s)][index].weeks for s in scenarios),
        )
        for index, setting in enumerate(settings)
    ]
    return TuneResult(alertname, current, results, pareto_front(results), paging_config is not None)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _tasks(scenarios: list[Scenario], settings: list[Setting], jobs: int) -> list[tuple[Scenario, list[Setting]]]:
    """One task per scenario. Splitting the settings too would evaluate a scenario once per slice, which costs
    more than the per-setting work it spreads (docs/tune.md)."""
    return [(scenario, settings) for scenario in scenarios]


def _sweep_task(argument) -> list[ScenarioOutcome]:
    scenario, groups, alertname, settings, paging_config = argument
    sweep = ScenarioSweep(scenario, groups, alertname, paging_config)
    return [sweep.outcome(setting) for setting in settings]


class ScenarioSweep:
    """One scenario generated and evaluated once, ready to judge the alert under any setting."""

    def __init__(self, scenario: Scenario, groups: list[RuleGroup], alertname: str, paging_config=None):
        from simulator.rules.group import AlertReplay, evaluate_rule_groups

        _rule, self.site = tuned_rule(groups, alertname)
        self.scenario = scenario
        self.alertname = alertname
        self.paging_config = paging_config
        series = generate_series(scenario)
        evaluation = evaluate_rule_groups(groups, populate_storage(series), evaluation_grid(scenario))
        position = next(
            p.position for p in evaluation.rules if isinstance(p.rule, AlertingRule) and p.rule.alert == alertname
        )
        self.replay = AlertReplay(evaluation, position)
        self.open = self.replay.query(self.site.open_expr)
        self.others: list[AlertTimeline] = [tl for tl in evaluation.timelines if tl.alertname != alertname]
        self.unobserved = unobserved_alerts(groups, {dict(s.labels).get("__name__", "") for s in series})
        self.expecting = [i for i in scenario.incidents if any(e.alertname == alertname for e in i.expect)]
        self.windows = [IncidentWindow(i.name, i.start_ms, i.window_end_ms) for i in scenario.incidents]
        self._outcomes: dict[tuple, ScenarioOutcome] = {}
        self.other_keys = [self._group_keys(tl) for tl in self.others]
        self.inhibitors = [self._may_inhibit(tl) for tl in self.others]

    def _group_keys(self, timeline: AlertTimeline) -> set[str]:
        """The aggregation groups (dispatch.go aggrGroup keys) an alert's notifications are sent from."""
        if self.paging_config is None:
            return set()
        labels = {**timeline.labels, "alertname": timeline.alertname}
        return {group_key(route, labels) for route in match_routes(self.paging_config.route, labels)}

    def _may_inhibit(self, timeline: AlertTimeline, side: str = "source_matchers") -> set[int]:
        """The inhibit rules (indexes) whose source (or target) matchers match the alert."""
        if self.paging_config is None:
            return set()
        labels = {**timeline.labels, "alertname": timeline.alertname}
        rules = self.paging_config.inhibit_rules
        return {index for index, rule in enumerate(rules) if matches_all(getattr(rule, side), labels)}

    def _paging(self, mine: list[AlertTimeline]) -> PagingResult:
        """The Alertmanager model over the alerts that can change when the tuned alert pages: those sharing one of
        its aggregation groups, and inhibition sources. Alertmanager's groups flush independently, so the other
        alerts cannot move its notifications; tests check the result equals paging every alert."""
        assert self.paging_config is not None
        keys: set[str] = set().union(*(self._group_keys(tl) for tl in mine))
        muting: set[int] = set().union(*(self._may_inhibit(tl, "target_matchers") for tl in mine))
        related = [
            tl
            for tl, tl_keys, inhibits in zip(self.others, self.other_keys, self.inhibitors)
            if inhibits & muting or tl_keys & keys
        ]
        scenario = self.scenario
        return page_scenario(
            self.paging_config, related + mine, self.windows, scenario.evaluation_interval_ms, scenario.duration_ms
        )

    def timelines(self, setting: Setting) -> list[AlertTimeline]:
        """The alert's timelines under `setting` (those with at least one activation)."""
        present = self.open.present & self.site.passes(self.open.values, setting.threshold)
        rows = np.flatnonzero(present.any(axis=1))
        sample_ms = None if self.open.sample_ms is None else self.open.sample_ms[rows]
        vector = VectorOverGrid([self.open.labels[r] for r in rows], self.open.values[rows], present[rows], sample_ms)
        return self.replay.timelines(vector, setting.for_ms)

    def outcome(self, setting: Setting) -> ScenarioOutcome:
        mine = self.timelines(setting)
        # Neighbouring settings often give the alert the very same timelines; the outcome is a function of them
        # (every other alert's timelines are fixed), so it is computed once per distinct timeline set.
        key = tuple(
            (
                tuple(sorted(tl.labels.items())),
                tuple((i.pending_at_ms, i.firing_at_ms, i.resolved_at_ms) for i in tl.intervals),
            )
            for tl in mine
        )
        if key not in self._outcomes:
            self._outcomes[key] = self._judge(mine)
        return self._outcomes[key]

    def _judge(self, mine: list[AlertTimeline]) -> ScenarioOutcome:
        result = judge(self.scenario, self.others + mine, self.unobserved)
        if self.paging_config is not None:
            result.paging = self._paging(mine)
        detections = {(d.incident, d.alertname): d for d in result.detections}
        incidents = tuple(
            IncidentOutcome(
                self.scenario.name,
                incident.name,
                incident.window_end_ms - incident.start_ms,
                detections[(incident.name, self.alertname)].time_to_detect_ms,
                self._time_to_page(result, incident),
            )
            for incident in self.expecting
        )
        return ScenarioOutcome(incidents, self._false_pages(result, mine), self.scenario.duration_ms / WEEK_MS)

    def _pages(self, result) -> list[int]:
        """When the alert paged: pages (first notifications to a pager receiver) that carry it firing."""
        return [
            n.at_ms
            for n in result.paging.notifications
            if n.kind == "page" and any(dict(labels).get("alertname") == self.alertname for labels in n.firing)
        ]

    def _time_to_page(self, result, incident) -> int | None:
        if result.paging is None:
            return None
        inside = [t for t in self._pages(result) if incident.start_ms <= t <= incident.window_end_ms]
        return min(inside) - incident.start_ms if inside else None

    def _false_pages(self, result, mine: list[AlertTimeline]) -> int:
        if result.paging is not None:
            moments = self._pages(result)
        else:
            moments = [i.firing_at_ms for tl in mine for i in tl.intervals if i.firing_at_ms is not None]
        return sum(not any(i.start_ms <= t <= i.window_end_ms for i in self.expecting) for t in moments)


def pareto_front(results: list[SettingResult]) -> list[Setting]:
    """Settings no other setting beats on both false pages per week and mean time to detect (ties kept)."""
    points = [(r.false_pages_per_week, r.mean_time_to_detect_ms, r.setting) for r in results]
    return [
        setting
        for fp, ttd, setting in points
        if not any(f <= fp and t <= ttd and (f < fp or t < ttd) for f, t, _ in points)
    ]
