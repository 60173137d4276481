"""How far back in time an alert's result reads its input, through the rules it depends on.

A window of a scenario can be replayed exactly only with the samples its expressions read:
a range selector `x[r] offset o` reads [t - o - r, t - o] (closed in 2.42), an instant selector
(t - o - lookback, t - o], a subquery `e[r:s] offset o` evaluates e at steps in
[t - o - r, t - o], and a selector of a recorded series reads samples that rule wrote at those
times, each of which read its own input further back (promql/engine.go, rules/manager.go).
Walking the parsed expression gives that reach as a number; what cannot be bounded (a rule that
reads its own output, the ALERTS series, whose value is the alert state) or what depends on the
absolute time rather than on the samples (time(), hour(), @ <timestamp>) is reported instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from simulator.promql.model import DEFAULT_LOOKBACK_DELTA_MS

from .dependencies import selector_name
from .model import AlertingRule, RecordingRule, RuleGroup
from .parsing import parse_expr

# promql/functions.go: functions whose result is the evaluation time or derived from a
# timestamp (with no argument they read time()), so a replay shifted in time changes them.
TIME_FUNCTIONS = frozenset(
    {
        "time",
        "timestamp",
        "minute",
        "hour",
        "day_of_week",
        "day_of_month",
        "day_of_year",
        "days_in_month",
        "month",
        "year",
    }
)

# rules/alerting.go alertMetricName and alertForStateMetricName: series whose values are the
# alert state, which depends on the whole history of the alert.
ALERT_STATE_METRICS = frozenset({"ALERTS", "ALERTS_FOR_STATE"})


class UnboundedReach(Exception):
    """The expression's result can depend on samples arbitrarily far back."""


@dataclass
class Reach:
    """What an expression reads, relative to its evaluation time t.

    ms: every sample it can read lies after t - ms (or at it);
    absolute_time: why its result depends on the absolute time (None: only on the samples);
    subquery_steps_ms: the steps of its subqueries, whose inner evaluations are aligned to
    absolute multiples of the step (engine.go), so a shifted replay must shift by a multiple.
    """

    ms: int = 0
    absolute_time: str | None = None
    subquery_steps_ms: set[int] = field(default_factory=set)


def _ms(delta: timedelta | None) -> int:
    if delta is None:
        return 0
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


class ReachAnalysis:
    """Reach of every alerting rule of a set of groups, through the recording rules it reads.

    A recorded sample written at u read its input back to u - reach(rule); a reader also needs
    the rule's previous evaluation (u - interval) to see the stale marker written when a series
    vanishes, so reading a recorded series adds reach(rule) + interval to the selector's own.
    """

    def __init__(
        self,
        groups: list[RuleGroup],
        evaluation_interval_ms: int,
        subquery_step_ms: int,
        lookback_delta_ms: int = DEFAULT_LOOKBACK_DELTA_MS,
    ):
        self.interval_ms = evaluation_interval_ms
        self.subquery_step_ms = subquery_step_ms
        self.lookback_ms = lookback_delta_ms
        self.writers: dict[str, list[RecordingRule]] = {}
        for group in groups:
            for rule in group.rules:
                if isinstance(rule, RecordingRule):
                    self.writers.setdefault(rule.record, []).append(rule)
        self._recorded: dict[str, Reach] = {}
        self._visiting: list[str] = []

    def alert_reach(self, rule: AlertingRule) -> Reach:
        """Raises UnboundedReach naming the chain of rules that makes the reach unbounded."""
        return self.expression_reach(rule.expr)

    def expression_reach(self, expr: str) -> Reach:
        reach = Reach()
        reach.ms = self._walk(parse_expr(expr), 0, reach)
        return reach

    def _walk(self, node, outer_ms: int, reach: Reach) -> int:
        """Reach of node relative to the top-level evaluation time; outer_ms is how far the
        enclosing subqueries already moved the node's evaluation times back."""
        kind = type(node).__name__
        if kind == "VectorSelector":
            return self._selector(node, outer_ms, self.lookback_ms, reach)
        if kind == "MatrixSelector":
            return self._selector(node.vector_selector, outer_ms, _ms(node.range), reach)
        if kind == "SubqueryExpr":
            step = _ms(node.step) or self.subquery_step_ms
            reach.subquery_steps_ms.add(step)
            base = self._time_base(node, outer_ms, reach)
            return self._walk(node.expr, max(0, base + _ms(node.offset) + _ms(node.range)), reach)
        if kind == "Call" and node.func.name in TIME_FUNCTIONS:
            reach.absolute_time = reach.absolute_time or f"{node.func.name}()"
        children = [getattr(node, a, None) for a in ("expr", "lhs", "rhs", "param")]
        children += list(getattr(node, "args", None) or [])
        reaches = [
            self._walk(child, outer_ms, reach)
            for child in children
            if child is not None and not isinstance(child, (str, int, float))
        ]
        return max(reaches, default=0)

    def _time_base(self, node, outer_ms: int, reach: Reach) -> int:
        """@ start()/end() pin a rule's selector to its evaluation time (an instant query's start
        and end), whatever subquery encloses it; @ <timestamp> is absolute."""
        at = getattr(node, "at", None)
        if at is None:
            return outer_ms
        if str(at.type) in ("AtModifierType.Start", "AtModifierType.End"):
            return 0
        reach.absolute_time = reach.absolute_time or str(at)
        return outer_ms

    def _selector(self, selector, outer_ms: int, window_ms: int, reach: Reach) -> int:
        base = self._time_base(selector, outer_ms, reach)
        own = max(0, base + _ms(selector.offset) + window_ms)
        name = selector_name(selector)
        if name is None or name in ALERT_STATE_METRICS:
            what = "a selector without a fixed metric name" if name is None else f"the {name} series"
            raise UnboundedReach(f"reads {what}, whose values can depend on the whole alert history")
        written = self.writers.get(name)
        if not written:
            return own
        recorded = self._recorded_reach(name)
        reach.absolute_time = reach.absolute_time or recorded.absolute_time
        reach.subquery_steps_ms |= recorded.subquery_steps_ms
        return own + recorded.ms + self.interval_ms

    def _recorded_reach(self, name: str) -> Reach:
        if name in self._recorded:
            return self._recorded[name]
        if name in self._visiting:
            chain = " -> ".join(self._visiting[self._visiting.index(name) :] + [name])
            raise UnboundedReach(f"reads recording rules that read their own output ({chain})")
        self._visiting.append(name)
        try:
            combined = Reach()
            for rule in self.writers[name]:
                one = self.expression_reach(rule.expr)
                combined.ms = max(combined.ms, one.ms)
                combined.absolute_time = combined.absolute_time or one.absolute_time
                combined.subquery_steps_ms |= one.subquery_steps_ms
        finally:
            self._visiting.pop()
        self._recorded[name] = combined
        return combined
