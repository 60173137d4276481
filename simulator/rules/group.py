"""Evaluating rule groups over the whole evaluation grid (rules/manager.go, rules/*.go).

Each rule's expression is evaluated ONCE over the grid; its output is written into storage at
the grid timestamps before the next rule runs, exactly as Prometheus commits each rule's
output before evaluating the next rule at the same timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from simulator.promql.model import (
    METRIC_NAME,
    Grid,
    Labels,
    PromQLError,
    VectorOverGrid,
    labels_from_dict,
    labels_set,
)
from simulator.promql.storage import Storage

from .alerting import STATE_FIRING, STATE_INACTIVE, STATE_NAMES, AlertHistory, alert_history
from .dependencies import NameSet, has_subquery, may_read_ahead, metric_names_read
from .model import AlertingRule, AlertTimeline, RecordingRule, RuleGroup
from .outputs import (
    GridTails,
    RuleEvaluationError,
    SeriesOverGrid,
    as_vector,
    recording_outputs,
    samples_with_staleness,
)
from .queries import (
    InstantQueryFunc,
    QueryFunc,
    alerting_query_text,
    default_instant_query,
    default_query,
    template_query,
)
from .templates import (
    AlertTemplateData,
    TemplateExpander,
    expand_or_error_text,
    gotemplate_expander,
    has_actions,
)
from .visibility import RuleOutputs, stack_columns, storage_until

# rules/alerting.go: alertMetricName, alertForStateMetricName, alertStateLabel.
ALERT_METRIC_NAME = "ALERTS"
ALERT_FOR_STATE_METRIC_NAME = "ALERTS_FOR_STATE"
ALERT_STATE_LABEL = "alertstate"
ALERT_NAME_LABEL = "alertname"


@dataclass
class PlannedRule:
    """A rule at its place in the evaluation order."""

    position: int
    group: RuleGroup
    rule: RecordingRule | AlertingRule
    reads: NameSet
    writes: frozenset[str]

    @property
    def name(self) -> str:
        return self.rule.record if isinstance(self.rule, RecordingRule) else self.rule.alert


@dataclass
class FiringAlert:
    """An alert as promtool compares it: final labels (alertname included) and annotations."""

    labels: dict[str, str]
    annotations: dict[str, str]


@dataclass
class AlertInstance:
    """One alert of one alerting rule (one final label set) over the whole grid."""

    planned: PlannedRule
    labels: Labels  # final alert labels, alertname included
    history: AlertHistory
    source_rows: np.ndarray  # per step: the query-result row behind the alert (-1: none)
    result: VectorOverGrid  # the rule's query result (for $labels and $value)

    @property
    def rule(self) -> AlertingRule:
        rule = self.planned.rule
        assert isinstance(rule, AlertingRule)  # alert instances come from alerting rules only
        return rule


@dataclass
class RulesEvaluation:
    """Everything the rule groups produced over the grid.

    timelines: every alert instance's whole timeline; AlertTimeline.labels holds the final
    alert labels including alertname. Annotations are expanded lazily, only for the steps
    someone asks about (firing_alerts / annotations_at).
    """

    grid: Grid
    storage: Storage
    rules: list[PlannedRule]
    instances: list[AlertInstance]
    timelines: list[AlertTimeline]
    external_labels: dict[str, str] = field(default_factory=dict)
    external_url: str = ""
    expander: TemplateExpander = gotemplate_expander
    instant_query: InstantQueryFunc = default_instant_query
    _annotation_cache: dict = field(default_factory=dict)
    # The rules' output series, to hide later rules' outputs from a template's query.
    outputs: RuleOutputs | None = None

    def alerts_at(
        self, step_index: int, alertname: str | None = None, state: int = STATE_FIRING
    ) -> list[AlertInstance]:
        """Alert instances in `state` after the evaluation at grid step `step_index`."""
        return [
            instance
            for instance in self.instances
            if instance.history.state[step_index] == state and (alertname is None or instance.rule.alert == alertname)
        ]

    def firing_alerts(self, step_index: int, alertname: str | None = None) -> list[FiringAlert]:
        """Firing alerts at a grid step, pooled across rules, as promtool collects them."""
        return [
            FiringAlert(dict(instance.labels), self.annotations_at(instance, step_index))
            for instance in self.alerts_at(step_index, alertname, STATE_FIRING)
        ]

    def annotations_at(self, instance: AlertInstance, step_index: int) -> dict[str, str]:
        """The alert's annotations as Prometheus last expanded them, at or before step_index."""
        source_step = int(instance.history.source_step[step_index])
        if source_step < 0:
            return {}
        key = (id(instance), source_step)
        if key not in self._annotation_cache:
            self._annotation_cache[key] = {
                name: self._expand(instance, source_step, text) for name, text in instance.rule.annotations.items()
            }
        return self._annotation_cache[key]

    def _expand(self, instance: AlertInstance, step: int, text: str) -> str:
        if not has_actions(text):
            return text  # a template without actions renders as itself
        row = int(instance.source_rows[step])
        t_ms = int(self.grid.timestamps[step])
        data = AlertTemplateData(
            labels=dict(instance.result.labels[row]),
            value=float(instance.result.values[row, step]),
            external_labels=self.external_labels,
            external_url=self.external_url,
        )
        query = template_query(self.instant_query, self.storage, self.outputs, instance.planned.position, t_ms)
        return expand_or_error_text(self.expander, "__alert_" + instance.rule.alert, text, data, t_ms, query)


def evaluate_rule_groups(
    groups: list[RuleGroup],
    storage: Storage,
    grid: Grid,
    *,
    external_labels: dict[str, str] | None = None,
    external_url: str = "",
    group_order: list[str] | None = None,
    query: QueryFunc = default_query,
    instant_query: InstantQueryFunc = default_instant_query,
    expander: TemplateExpander = gotemplate_expander,
) -> RulesEvaluation:
    """Evaluate every rule over the grid, writing rule outputs (and ALERTS) into storage.

    Groups run in `group_order` (promtool's group_eval_order; see order_groups for unlisted
    groups), rules in file order.
    Raises RuleEvaluationError (rule name, first failing timestamp) when a query fails.
    `query`, `instant_query` and `expander` are injectable so the state machine can be tested
    with stubs, as Prometheus's rules package is handed a query function.
    """
    plan = plan_rules(order_groups(groups, group_order))
    evaluator = _GroupEvaluator(
        plan, storage, grid, query, expander, instant_query, dict(external_labels or {}), external_url
    )
    instances = evaluator.run()
    return RulesEvaluation(
        grid=grid,
        storage=storage,
        rules=plan,
        instances=instances,
        timelines=[_timeline(instance) for instance in instances],
        external_labels=evaluator.external_labels,
        external_url=external_url,
        outputs=evaluator.outputs,
        expander=expander,
        instant_query=instant_query,
    )


def order_groups(groups: list[RuleGroup], group_order: list[str] | None) -> list[RuleGroup]:
    """Groups in evaluation order.

    cmd/promtool/unittest.go orderedGroups sorts by the index in group_eval_order, and a group
    that is not listed gets index 0 (Go's zero value for a missing map key); the relative order
    of equal indices comes from Go map iteration, i.e. is unspecified (trap 12). We keep the
    load order for ties so results are deterministic.
    """
    index = {name: i for i, name in enumerate(group_order or [])}
    return sorted(groups, key=lambda group: index.get(group.name, 0))


def rule_errors_at(
    groups: list[RuleGroup],
    storage: Storage,
    t_ms: int,
    *,
    group_order: list[str] | None = None,
    query: QueryFunc = default_query,
) -> list[RuleEvaluationError]:
    """Every rule whose query fails at t_ms, in evaluation order (promtool lists them all).

    Meant for the first failing timestamp, with storage holding the outputs of the evaluations
    before it; the outputs earlier rules would write at t_ms itself are not there.
    """
    errors = []
    for planned in plan_rules(order_groups(groups, group_order)):
        expr = planned.rule.expr
        if isinstance(planned.rule, AlertingRule):
            expr = alerting_query_text(expr)
        try:
            as_vector(query(expr, storage, Grid.at(t_ms)), 1)
        except (PromQLError, TypeError) as error:
            errors.append(_error_of(planned, t_ms, str(error)))
    return errors


def _error_of(planned: PlannedRule, t_ms: int, message: str) -> RuleEvaluationError:
    """The failure of `planned` at t_ms, naming its file, group and rule."""
    return RuleEvaluationError(planned.name, t_ms, message, planned.group.file, planned.group.name)


def plan_rules(groups: list[RuleGroup]) -> list[PlannedRule]:
    plan: list[PlannedRule] = []
    for group in groups:
        for rule in group.rules:
            if isinstance(rule, RecordingRule):
                writes = frozenset({rule.record})
            else:
                writes = frozenset({ALERT_METRIC_NAME, ALERT_FOR_STATE_METRIC_NAME})
            plan.append(PlannedRule(len(plan), group, rule, metric_names_read(rule.expr), writes))
    return plan


class _GroupEvaluator:
    def __init__(self, plan, storage, grid, query, expander, instant_query, external_labels, external_url):
        self.plan = plan
        self.storage = storage
        self.grid = grid
        self.timestamps = grid.timestamps
        self.tails = GridTails(self.timestamps)
        self.query = query
        self.expander = expander
        self.instant_query = instant_query
        self.external_labels = external_labels
        self.external_url = external_url
        self.outputs = RuleOutputs(storage)
        self.writers: dict[str, list[int]] = {}
        for planned in plan:
            for name in planned.writes:
                self.writers.setdefault(name, []).append(planned.position)
        self.sources = [self.sources_of(planned) for planned in plan]

    def run(self) -> list[AlertInstance]:
        """Evaluate all rules in order; then re-evaluate, pass after pass, only the rules that
        read an output that changed since they last ran (a later rule's output is seen from
        the previous evaluation, so it can change what an earlier rule computed)."""
        sources = self.sources
        versions = [0] * len(self.plan)  # bumped whenever a rule's output changes
        seen: list[dict[int, int] | None] = [None] * len(self.plan)
        instances: dict[int, list[AlertInstance]] = {}
        try:
            for _ in range(self.grid.steps + 2):
                evaluated_any = False
                for planned in self.plan:
                    position = planned.position
                    current = {source: versions[source] for source in sources[position]}
                    if seen[position] == current:
                        continue
                    evaluated_any = True
                    self.outputs.hide_from(position)
                    written, instances[position] = self.evaluate_rule(planned)
                    # What it read: a rule reading its own output must run again once that changed.
                    seen[position] = current
                    if self.outputs.replace(position, written):
                        versions[position] += 1
                if not evaluated_any:
                    break
        finally:
            self.outputs.reveal_all()
        return [instance for position in sorted(instances) for instance in instances[position]]

    def sources_of(self, planned: PlannedRule) -> list[int]:
        """Positions of the rules whose output this rule can read (its own included)."""
        if planned.reads is None:
            return [other.position for other in self.plan if other.writes]
        return sorted({p for name in planned.reads for p in self.writers.get(name, ())})

    def evaluate_rule(self, planned: PlannedRule):
        vector = self.query_over_grid(planned)
        if isinstance(planned.rule, RecordingRule):
            try:
                series = recording_outputs(planned.rule.record, planned.rule.labels, vector, self.timestamps)
            except RuleEvaluationError as error:
                raise _error_of(planned, error.t_ms, error.message) from None
            return [self.samples(s) for s in series], []
        instances = self.alert_instances(planned, vector)
        written: list[tuple[Labels, np.ndarray, np.ndarray]] = []
        for instance in instances:
            written.extend(self.samples(s) for s in _alert_series(planned.rule, instance))
        return written, instances

    def samples(self, series: SeriesOverGrid) -> tuple[Labels, np.ndarray, np.ndarray]:
        t, v = samples_with_staleness(series, self.timestamps, self.tails)
        return series.labels, t, v

    def query_over_grid(self, planned: PlannedRule) -> VectorOverGrid:
        expr = planned.rule.expr
        if isinstance(planned.rule, AlertingRule):
            expr = alerting_query_text(expr)
        try:
            if self.needs_step_by_step(planned, expr):
                return self.query_without_future_samples(expr)
            return as_vector(self.query(expr, self.storage, self.grid), self.grid.steps)
        except (PromQLError, TypeError):
            t_ms, message = self.first_failing_step(planned)
            raise _error_of(planned, t_ms, message) from None

    def needs_step_by_step(self, planned: PlannedRule, expr: str) -> bool:
        """A negative offset or @ can reach past the evaluation time, and a subquery's inner
        steps do not honour hidden_at_eval_time (the engine's documented limitation): when the
        subquery can read an output of this rule or a later one, it would see this evaluation's
        not-yet-written samples."""
        if may_read_ahead(expr):
            return True
        return has_subquery(expr) and any(source >= planned.position for source in self.sources[planned.position])

    def query_without_future_samples(self, expr: str) -> VectorOverGrid:
        """Evaluate step by step on storage cut at each step's time.

        Only for the rare expressions that grid evaluation cannot cut correctly (see
        needs_step_by_step): they would see samples that do not exist yet at evaluation time.
        """
        columns = []
        for t_ms in self.timestamps:
            visible = storage_until(self.storage, int(t_ms))
            columns.append(as_vector(self.query(expr, visible, Grid.at(int(t_ms))), 1))
        return stack_columns(columns)

    def first_failing_step(self, planned: PlannedRule) -> tuple[int, str]:
        # Error path only: find the first timestamp at which Prometheus would see the error.
        last_error = None
        for t_ms in self.timestamps:
            try:
                as_vector(
                    self.query(
                        planned.rule.expr
                        if isinstance(planned.rule, RecordingRule)
                        else alerting_query_text(planned.rule.expr),
                        self.storage,
                        Grid.at(int(t_ms)),
                    ),
                    1,
                )
            except (PromQLError, TypeError) as error:
                return int(t_ms), str(error)
            except Exception as error:
                last_error = error
        return int(self.timestamps[0]), str(last_error or "query failed")

    def alert_instances(self, planned: PlannedRule, vector: VectorOverGrid) -> list[AlertInstance]:
        rule = planned.rule
        assert isinstance(rule, AlertingRule)
        cells = self.identity_cells(planned, vector)
        instances = []
        for labels, (present, rows) in cells.items():
            history = alert_history(present, self.timestamps, rule.for_ms, rule.keep_firing_for_ms)
            source_rows = np.where(history.source_step >= 0, rows[np.maximum(history.source_step, 0)], -1)
            instances.append(AlertInstance(planned, labels, history, source_rows, vector))
        return instances

    def identity_cells(self, planned: PlannedRule, vector: VectorOverGrid):
        """Alert identity -> (presence mask, query row per step).

        rules/alerting.go Eval: labels = sample labels minus __name__, each rule label set to
        its expansion (an empty expansion deletes it), alertname forced; two samples with the
        same final labels at one evaluation fail the rule.
        """
        rule = planned.rule
        assert isinstance(rule, AlertingRule)
        steps = self.grid.steps
        templated = any(has_actions(text) for text in rule.labels.values())
        cells: dict[Labels, tuple[np.ndarray, np.ndarray]] = {}

        def claim(labels: Labels, row: int, mask: np.ndarray) -> None:
            present, rows = cells.setdefault(labels, (np.zeros(steps, bool), np.full(steps, -1)))
            clash = present & mask
            if clash.any():
                t_ms = int(self.timestamps[int(np.argmax(clash))])
                raise _error_of(
                    planned, t_ms, "vector contains metrics with the same labelset after applying alert labels"
                )
            present |= mask
            rows[mask] = row

        for row, sample_labels in enumerate(vector.labels):
            if not templated:
                claim(self.alert_labels(rule, sample_labels, rule.labels), row, vector.present[row])
                continue
            for step in np.flatnonzero(vector.present[row]):
                expanded = self.expand_labels(planned, vector, row, int(step))
                mask = np.zeros(steps, bool)
                mask[step] = True
                claim(self.alert_labels(rule, sample_labels, expanded), row, mask)
        return cells

    def expand_labels(self, planned: PlannedRule, vector: VectorOverGrid, row: int, step: int) -> dict[str, str]:
        rule = planned.rule
        assert isinstance(rule, AlertingRule)
        t_ms = int(self.timestamps[step])
        data = AlertTemplateData(
            dict(vector.labels[row]), float(vector.values[row, step]), self.external_labels, self.external_url
        )
        query = template_query(self.instant_query, self.storage, self.outputs, planned.position, t_ms)
        return {
            name: expand_or_error_text(self.expander, "__alert_" + rule.alert, text, data, t_ms, query)
            if has_actions(text)
            else text
            for name, text in rule.labels.items()
        }

    @staticmethod
    def alert_labels(rule: AlertingRule, sample_labels: Labels, expanded: dict[str, str]) -> Labels:
        labels = tuple(pair for pair in sample_labels if pair[0] != METRIC_NAME)
        for name, value in expanded.items():
            labels = labels_set(labels, name, value)
        return labels_set(labels, ALERT_NAME_LABEL, rule.alert)


def _alert_series(rule: AlertingRule, instance: AlertInstance) -> list[SeriesOverGrid]:
    """ALERTS and ALERTS_FOR_STATE for one alert (rules/alerting.go sample, forStateSample).

    Their labels are the raw (unexpanded) rule labels overlaid with the alert's labels; promtool
    marks every rule as restored, so both series are written for pending and firing alerts.
    """
    base = labels_from_dict(rule.labels)
    for name, value in instance.labels:
        base = labels_set(base, name, value)
    state = instance.history.state
    series = []
    for code, state_name in STATE_NAMES.items():
        labels = labels_set(labels_set(base, METRIC_NAME, ALERT_METRIC_NAME), ALERT_STATE_LABEL, state_name)
        mask = state == code
        if mask.any():
            series.append(SeriesOverGrid(labels, np.ones(len(state)), mask))
    active = state != STATE_INACTIVE
    if active.any():
        # ActiveAt.Unix(): whole seconds.
        values = (instance.history.active_at_ms // 1000).astype(np.float64)
        series.append(SeriesOverGrid(labels_set(base, METRIC_NAME, ALERT_FOR_STATE_METRIC_NAME), values, active))
    return series


def _timeline(instance: AlertInstance) -> AlertTimeline:
    return AlertTimeline(instance.rule.alert, dict(instance.labels), instance.history.intervals)


class AlertReplay:
    """One alerting rule of a finished evaluation, run again with another expression or `for`.

    For sweeps over one alert's threshold and hold duration (simulator/tune): every other rule's output stays
    as evaluated, which is exact only when no rule reads this alert's outputs (ALERTS, ALERTS_FOR_STATE);
    the caller checks that. The query sees its inputs as the rule did (later rules' outputs hidden).
    """

    def __init__(self, evaluation: RulesEvaluation, position: int, query: QueryFunc = default_query):
        self.planned = evaluation.rules[position]
        evaluator = _GroupEvaluator(
            evaluation.rules,
            evaluation.storage,
            evaluation.grid,
            query,
            evaluation.expander,
            evaluation.instant_query,
            evaluation.external_labels,
            evaluation.external_url,
        )
        if evaluation.outputs is not None:
            evaluator.outputs = evaluation.outputs
        self._evaluator = evaluator

    def query(self, expr: str) -> VectorOverGrid:
        """The rule's query result over the grid, had its expression been `expr`."""
        rule = self.planned.rule
        assert isinstance(rule, AlertingRule)
        planned = replace(self.planned, rule=replace(rule, expr=expr))
        self._evaluator.outputs.hide_from(planned.position)
        try:
            return self._evaluator.query_over_grid(planned)
        finally:
            self._evaluator.outputs.reveal_all()

    def timelines(self, vector: VectorOverGrid, for_ms: int) -> list[AlertTimeline]:
        """The alert's timelines had its query returned `vector`, with hold duration `for_ms`."""
        rule = self.planned.rule
        assert isinstance(rule, AlertingRule)
        planned = replace(self.planned, rule=replace(rule, for_ms=for_ms))
        return [_timeline(instance) for instance in self._evaluator.alert_instances(planned, vector)]
