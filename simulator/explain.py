"""Why an alert check failed, in words and numbers: the alert's timeline around the moment that matters
(an incident's budget deadline, or the moment it fired where it had to stay silent), the value of each
threshold condition of its expression there, and the threshold.

The conditions are read from the rule's expression as Prometheus would parse it: every comparison of an
expression with a number, through parentheses and the set operators (and, or, unless), e.g.
`(p99 > 0.2) and on (service) (rate(requests[5m]) >= 1)` has two, `p99` against `> 0.2` and the request
rate against `>= 1`. Their value sides are queried on the simulation's storage, which holds the rules'
outputs, so a recording rule reads as the alert read it.

Pure: from a finished simulation to text; no I/O.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import promql_parser

from common.durations import format_duration
from common.promql.frontdoor import parse_promql
from simulator.promql.model import Grid, PromQLError, ScalarOverGrid, VectorOverGrid, format_labels
from simulator.rules.alerting import STATE_FIRING, STATE_INACTIVE, STATE_PENDING
from simulator.rules.model import AlertingRule
from simulator.rules.outputs import RuleEvaluationError
from simulator.rules.queries import default_query

from .scenarios.model import Incident, Scenario

if TYPE_CHECKING:
    from simulator.rules.group import RulesEvaluation

# promql/parser/lex.go: the comparison operators; without `bool` they filter, which is how alerts use them.
COMPARISONS = {
    ">": lambda v, t: v > t,
    ">=": lambda v, t: v >= t,
    "<": lambda v, t: v < t,
    "<=": lambda v, t: v <= t,
    "==": lambda v, t: v == t,
    "!=": lambda v, t: v != t,
}
# The mirror of an operator when the number is on the left (`0.2 < x` is `x > 0.2`).
FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}
WORDS = {
    ">": "above",
    ">=": "at or above",
    "<": "below",
    "<=": "at or below",
    "==": "equal to",
    "!=": "different from",
}
SET_OPERATORS = {"and", "or", "unless"}
STATE_WORDS = {STATE_INACTIVE: "inactive", STATE_PENDING: "pending", STATE_FIRING: "firing"}
TIMELINE_ROWS = 16  # rows of the timeline table, about
MIN_MARGIN_MS = 10 * 60_000  # shown before the incident and after the deadline, at least
SERIES_SHOWN = 5  # series listed per condition at the moment that matters
_EMPTY_MATCHERS = re.compile(r"(?<=[A-Za-z0-9_:])\{\}")


@dataclass(frozen=True)
class Condition:
    """`expr op threshold` inside an alert's expression; threshold None: `expr` must return a series."""

    expr: str
    op: str | None = None
    threshold: float | None = None

    def holds(self, value: float) -> bool:
        if self.op is None:
            return not math.isnan(value)
        return bool(COMPARISONS[self.op](value, self.threshold))

    def wording(self) -> str:
        if self.op is None:
            return f"{self.expr} must return a series"
        return f"{self.expr} must be {WORDS[self.op]} {_number(self.threshold)} ({self.op} {_number(self.threshold)})"

    def nearest(self, values: np.ndarray) -> int:
        """The index of the value closest to satisfying the condition (the one to watch)."""
        if self.op in (">", ">="):
            return int(np.nanargmax(values))
        if self.op in ("<", "<="):
            return int(np.nanargmin(values))
        return 0


def conditions_of(expr: str) -> list[Condition]:
    """The threshold conditions of an alert expression (the whole expression when it has none)."""
    try:
        node = parse_promql(expr)
    except ValueError:
        return [Condition(expr)]
    found: list[Condition] = []
    _collect(node, found)
    return found or [Condition(expr)]


def _collect(node, found: list[Condition]) -> None:
    if isinstance(node, promql_parser.ParenExpr):
        _collect(node.expr, found)
        return
    if not isinstance(node, promql_parser.BinaryExpr):
        return
    op = str(node.op)
    if op in SET_OPERATORS:
        _collect(node.lhs, found)
        _collect(node.rhs, found)
        return
    returns_bool = node.modifier is not None and node.modifier.return_bool
    if op not in COMPARISONS or returns_bool:
        return
    lhs, rhs = _unparen(node.lhs), _unparen(node.rhs)
    if isinstance(rhs, promql_parser.NumberLiteral) and not isinstance(lhs, promql_parser.NumberLiteral):
        found.append(Condition(_text(node.lhs), op, float(rhs.val)))
    elif isinstance(lhs, promql_parser.NumberLiteral) and not isinstance(rhs, promql_parser.NumberLiteral):
        found.append(Condition(_text(node.rhs), FLIPPED[op], float(lhs.val)))
    else:
        found.append(Condition(_text(node)))


def _unparen(node):
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    return node


def _text(node) -> str:
    return _EMPTY_MATCHERS.sub("", str(_unparen(node)))


def _number(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "no value"
    return f"{value:.6g}"


def _at(ms: int) -> str:
    return format_duration(ms) if ms else "0s"


def _offset(ms: int) -> str:
    return ("+" if ms >= 0 else "-") + _at(abs(ms))


@dataclass
class Explainer:
    """Explanations over one finished simulation (scenario, evaluation of its rules)."""

    scenario: Scenario
    evaluation: RulesEvaluation

    def rule(self, alertname: str) -> AlertingRule | None:
        for planned in self.evaluation.rules:
            if isinstance(planned.rule, AlertingRule) and planned.rule.alert == alertname:
                return planned.rule
        return None

    # -- the failures ------------------------------------------------------------------------

    def missed_detection(self, incident: Incident, alertname: str, budget_ms: int, detected_at_ms: int | None) -> str:
        deadline = incident.start_ms + budget_ms
        if detected_at_ms is None:
            outcome = (
                f"It never fired in the incident's window [{_at(incident.start_ms)}, {_at(incident.window_end_ms)}]."
            )
        else:
            outcome = f"It fired only at {_at(detected_at_ms)}, {_offset(detected_at_ms - incident.start_ms)} after the start."
        lines = [
            f"{alertname} did not fire within its budget of {format_duration(budget_ms)} for incident "
            f"{incident.name!r} of scenario {self.scenario.name} ({self.scenario.source}).",
            f"The incident started at {_at(incident.start_ms)}; the deadline was {_at(deadline)}. {outcome}",
        ]
        markers = {incident.start_ms: "incident starts", deadline: "budget deadline"}
        if detected_at_ms is not None:
            markers.setdefault(detected_at_ms, "fired")
        lines += self._around(alertname, deadline, "at the budget deadline", incident.start_ms, deadline, markers)
        return "\n".join(lines)

    def loud_silence(self, incident: Incident | None, alertname: str, fired_at_ms: int) -> str:
        if incident is None:
            where = f"quiet scenario {self.scenario.name} ({self.scenario.source}), where no alert may fire"
            start = fired_at_ms
        else:
            where = (
                f"the window [{_at(incident.start_ms)}, {_at(incident.window_end_ms)}] of incident "
                f"{incident.name!r} of scenario {self.scenario.name} ({self.scenario.source}), where it must stay silent"
            )
            start = incident.start_ms
        lines = [f"{alertname} fired at {_at(fired_at_ms)} in {where}."]
        markers = {fired_at_ms: "fired"}
        if incident is not None:
            markers.setdefault(incident.start_ms, "incident starts")
        lines += self._around(alertname, fired_at_ms, "when it fired", start, fired_at_ms, markers)
        return "\n".join(lines)

    # -- pieces ------------------------------------------------------------------------------

    def _around(
        self, alertname: str, moment_ms: int, moment_words: str, from_ms: int, to_ms: int, markers
    ) -> list[str]:
        rule = self.rule(alertname)
        if rule is None:
            return [f"(no alerting rule {alertname} was evaluated)"]
        lines = ["", f"Rule: {rule.alert}: {rule.expr}"]
        if rule.for_ms:
            lines[-1] += f"  (for: {format_duration(rule.for_ms)})"
        conditions = conditions_of(rule.expr)
        grid = self._window(from_ms, to_ms)
        values = [self._values(c, grid) for c in conditions]
        moment = self._index(grid, moment_ms)
        lines += ["", f"State {moment_words} ({_at(moment_ms)}): {self._state_words(rule, moment_ms)}"]
        for condition, value in zip(conditions, values):
            lines += self._condition_at(condition, value, moment)
        lines += ["", "Timeline (times from the scenario start; value: the series nearest to firing):"]
        lines += self._table(rule, conditions, values, grid, markers)
        lines += self._activations(alertname, grid)
        return lines

    def _window(self, from_ms: int, to_ms: int) -> Grid:
        interval = self.scenario.evaluation_interval_ms
        margin = max(MIN_MARGIN_MS, (to_ms - from_ms) // 2)
        lo = max(0, from_ms - margin) // interval * interval
        hi = min(self.evaluation.grid.end_ms, to_ms + margin) // interval * interval
        return Grid(lo, max(lo, hi), interval)

    def _index(self, grid: Grid, t_ms: int) -> int:
        return int(min(max((t_ms - grid.start_ms) // grid.step_ms, 0), grid.steps - 1))

    def _values(self, condition: Condition, grid: Grid) -> VectorOverGrid | str:
        try:
            value = default_query(condition.expr, self.evaluation.storage, grid)
        except (PromQLError, RuleEvaluationError, TypeError, ValueError) as error:
            return f"cannot evaluate {condition.expr}: {error}"
        if isinstance(value, ScalarOverGrid):
            return VectorOverGrid([()], value.values[None, :], np.ones((1, grid.steps), dtype=bool))
        if not isinstance(value, VectorOverGrid):
            return f"{condition.expr} is not an instant vector"
        return value

    def _condition_at(self, condition: Condition, value, step: int) -> list[str]:
        lines = [f"  condition: {condition.wording()}"]
        if isinstance(value, str):
            return lines + [f"    {value}"]
        rows = [i for i in range(len(value.labels)) if value.present[i, step]]
        if not rows:
            return lines + ["    no series: the expression returned nothing here, so the alert cannot be active"]
        values = np.array([value.values[i, step] for i in rows])
        order = list(range(len(rows)))
        if condition.op in ("<", "<="):
            order = list(np.argsort(values, kind="stable"))
        elif condition.op in (">", ">="):
            order = list(np.argsort(-values, kind="stable"))
        for k in order[:SERIES_SHOWN]:
            v = float(values[k])
            verdict = "holds" if condition.holds(v) else "does not hold"
            gap = ""
            if condition.threshold is not None and not condition.holds(v) and condition.op not in ("==", "!="):
                gap = f", {_number(abs(v - condition.threshold))} short of {_number(condition.threshold)}"
            lines.append(f"    {format_labels(value.labels[rows[k]]) or '{}'} = {_number(v)}: {verdict}{gap}")
        if len(rows) > SERIES_SHOWN:
            lines.append(f"    ... and {len(rows) - SERIES_SHOWN} more series")
        return lines

    def _state_words(self, rule: AlertingRule, t_ms: int) -> str:
        instances = [i for i in self.evaluation.instances if i.rule is rule]
        step = int(t_ms // self.evaluation.grid.step_ms)
        if step >= self.evaluation.grid.steps or not instances:
            return "inactive: the expression returned no series"
        best = max(instances, key=lambda i: int(i.history.state[step]))
        state = int(best.history.state[step])
        if state == STATE_INACTIVE:
            return "inactive: the expression returned no series (no condition held everywhere it must)"
        active_at = int(best.history.active_at_ms[step])
        if state == STATE_PENDING:
            return (
                f"pending since {_at(active_at)}; with for: {format_duration(rule.for_ms)} it fires at "
                f"{_at(active_at + rule.for_ms)} at the earliest"
            )
        return f"firing (active since {_at(active_at)})"

    def _table(self, rule: AlertingRule, conditions, values, grid: Grid, markers: dict[int, str]) -> list[str]:
        stride = max(1, math.ceil(grid.steps / TIMELINE_ROWS))
        steps = set(range(0, grid.steps, stride)) | {grid.steps - 1}
        steps |= {self._index(grid, t) for t in markers if grid.start_ms <= t <= grid.end_ms}
        header = ["TIME"] + [f"VALUE {i + 1}" if len(conditions) > 1 else "VALUE" for i in range(len(conditions))]
        header += ["STATE", ""]
        rows = []
        for step in sorted(steps):
            t = grid.start_ms + step * grid.step_ms
            row = [_at(t)]
            for condition, value in zip(conditions, values):
                row.append(self._cell(condition, value, step))
            row.append(self._state_at(rule, t))
            row.append(" ".join(f"<- {m}" for at, m in sorted(markers.items()) if self._index(grid, at) == step))
            rows.append(row)
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip()]
        lines += ["  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
        if len(conditions) > 1:
            lines += [f"  VALUE {i + 1}: {c.expr}" for i, c in enumerate(conditions)]
        return lines

    def _cell(self, condition: Condition, value, step: int) -> str:
        if isinstance(value, str):
            return "?"
        present = value.present[:, step]
        if not present.any():
            return "-"
        column = np.where(present, value.values[:, step], np.nan)
        v = float(column[condition.nearest(column)])
        mark = "ok" if condition.holds(v) else "no"
        return f"{_number(v)} ({mark})" if condition.op else "present"

    def _state_at(self, rule: AlertingRule, t_ms: int) -> str:
        step = int(t_ms // self.evaluation.grid.step_ms)
        states = [int(i.history.state[step]) for i in self.evaluation.instances if i.rule is rule]
        return STATE_WORDS[max(states, default=STATE_INACTIVE)]

    def _activations(self, alertname: str, grid: Grid) -> list[str]:
        lines = []
        for timeline in self.evaluation.timelines:
            if timeline.alertname != alertname:
                continue
            for interval in timeline.intervals:
                end = interval.resolved_at_ms if interval.resolved_at_ms is not None else grid.end_ms
                if end < grid.start_ms or interval.pending_at_ms > grid.end_ms:
                    continue
                firing = "never fired" if interval.firing_at_ms is None else f"firing {_at(interval.firing_at_ms)}"
                resolved = (
                    "still active" if interval.resolved_at_ms is None else f"resolved {_at(interval.resolved_at_ms)}"
                )
                labels = {k: v for k, v in sorted(timeline.labels.items()) if k != "alertname"}
                lines.append(f"  {labels}: pending {_at(interval.pending_at_ms)}, {firing}, {resolved}")
        return ["", "Activations in this window:"] + (lines or ["  none"])
