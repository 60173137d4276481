"""Replaying history through the rules: the exact evaluator over fetched samples, or the store's own engine.

Local replay hands the fetched raw samples to the same rule-group evaluator `alertkit simulate` runs
(simulator.rules.group), on a grid of evaluation times; the alert timelines and the time-to-page model
(simulator.alertmanager) follow from it unchanged.

Remote evaluation (`--remote-eval`, as vmalert -replay does) hands the evaluator a query function that sends
each rule's expression to the store's query_range at the group's step, so the store's (distributed) engine
does the heavy work; the alert state machine stays local and exact. Expressions the store cannot answer for
the rules under test (plan.evaluated_by_store: they read the rules' own outputs, or look past their
evaluation time) are evaluated locally, over raw samples fetched for them alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator.promql.model import Grid, Labels, VectorOverGrid, labels_from_dict
from simulator.promql.storage import Storage
from simulator.rules.group import evaluate_rule_groups
from simulator.rules.model import AlertingRule, AlertTimeline, RuleGroup
from simulator.rules.queries import alerting_query_text, default_query

from .client import PrometheusAPI, StoreError, TooLargeError
from .plan import evaluated_by_store, rule_output_names

# web/api/v1/api.go: "exceeded maximum resolution of 11,000 points per timeseries"; stay below it.
MAX_STEPS_PER_RANGE_QUERY = 10_000


@dataclass
class RemoteStats:
    queries: int = 0  # query_range requests
    points: int = 0  # (series, step) points answered
    rules: list[str] = field(default_factory=list)  # rule names evaluated by the store


class RemoteQueries:
    """A rules.QueryFunc: the store's query_range where it can answer, the local engine elsewhere.

    Answers are remembered per (expression, grid): the evaluator may run a rule again when an output it
    reads changed, and the store's answer cannot have."""

    def __init__(self, api: PrometheusAPI, outputs: frozenset[str], max_points: int):
        self.api = api
        self.outputs = outputs
        self.max_points = max_points
        self.stats = RemoteStats()
        self._answers: dict[tuple[str, Grid], VectorOverGrid] = {}

    def __call__(self, expr: str, storage: Storage, grid: Grid, **options):
        if not evaluated_by_store(expr, self.outputs):
            return default_query(expr, storage, grid, **options)
        key = (expr, grid)
        if key not in self._answers:
            self._answers[key] = self._range_query(expr, grid)
        return self._answers[key]

    def _range_query(self, expr: str, grid: Grid) -> VectorOverGrid:
        timestamps = grid.timestamps
        rows: dict[Labels, tuple[np.ndarray, np.ndarray]] = {}
        first, steps_per_query = 0, MAX_STEPS_PER_RANGE_QUERY
        while first < grid.steps:
            last = min(first + steps_per_query, grid.steps) - 1
            try:
                data = self.api.query_range(expr, int(timestamps[first]), int(timestamps[last]), grid.step_ms)
            except TooLargeError:
                if steps_per_query == 1:
                    raise
                steps_per_query = max(1, steps_per_query // 2)
                continue
            self.stats.queries += 1
            series = self._store_rows(expr, data, grid, rows)
            if series:
                steps_per_query = max(1, min(MAX_STEPS_PER_RANGE_QUERY, self.max_points // series))
            first = last + 1
        labels = sorted(rows)
        values = np.zeros((len(labels), grid.steps))
        present = np.zeros((len(labels), grid.steps), dtype=bool)
        for row, key in enumerate(labels):
            values[row], present[row] = rows[key]
        return VectorOverGrid(labels, values, present)

    def _store_rows(self, expr: str, data: dict, grid: Grid, rows: dict) -> int:
        """Write one answer into rows (labels -> values, presence); the number of series in it."""
        if data.get("resultType") != "matrix":
            raise StoreError(f"{self.api.shown}: query_range of {expr} gave a {data.get('resultType')!r} result")
        for item in data["result"]:
            labels = labels_from_dict(item.get("metric", {}))
            values, present = rows.setdefault(labels, (np.zeros(grid.steps), np.zeros(grid.steps, dtype=bool)))
            for t_seconds, text in item.get("values") or []:
                offset = round(float(t_seconds) * 1000) - grid.start_ms
                step, off_grid = divmod(offset, grid.step_ms)
                if off_grid or not 0 <= step < grid.steps:
                    raise StoreError(
                        f"{self.api.shown}: query_range of {expr} answered at {t_seconds}, off the evaluation "
                        "grid (does a query frontend move the steps? see docs/backtest.md)"
                    )
                values[step] = float(text)
                present[step] = True
                self.stats.points += 1
        return len(data["result"])


def store_evaluated_rules(groups: list[RuleGroup]) -> tuple[list[str], list[str]]:
    """The rule expressions --remote-eval gives the store, and those it evaluates locally (as queried)."""
    outputs = rule_output_names(groups)
    remote: list[str] = []
    local: list[str] = []
    for group in groups:
        for rule in group.rules:
            query = alerting_query_text(rule.expr) if isinstance(rule, AlertingRule) else rule.expr
            (remote if evaluated_by_store(query, outputs) else local).append(rule.expr)
    return remote, local


def replay(
    groups: list[RuleGroup], storage: Storage, grid: Grid, remote: RemoteQueries | None = None
) -> list[AlertTimeline]:
    """Every alert instance's timeline over the grid (times in Unix ms), locally or with the store's help."""
    if remote is None:
        evaluation = evaluate_rule_groups(groups, storage, grid)
    else:
        evaluation = evaluate_rule_groups(groups, storage, grid, query=remote)
    return sorted(evaluation.timelines, key=lambda tl: (tl.alertname, sorted(tl.labels.items())))
