"""What a backtest must fetch: the raw series every rule expression selects, over the times it reads them.

Each selector of each expression (read through the PromQL 2.42 front door, common/promql) needs samples in
a window around every evaluation time t: (t - offset - range, t - offset] for a range selector, the lookback
delta instead of the range for an instant selector, widened by the range and offset of every enclosing
subquery; an `@ <time>` pins the window to that time instead. Selectors keep their matchers, so the store
filters (matchers pushed down); equal selectors are fetched once over the union of their windows.

Series the rules themselves write (recorded names, ALERTS, ALERTS_FOR_STATE) are never fetched: the store
may hold the deployed rules' outputs, but a backtest recomputes them from the raw data with the rules under
test. A selector without a metric name is fetched, and the rule outputs among its series are dropped
(`is_rule_output`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from common.promql import ast
from common.promql.frontdoor import check_promql, promql_text
from simulator.promql.model import DEFAULT_LOOKBACK_DELTA_MS, METRIC_NAME, Grid
from simulator.rules.dependencies import may_read_ahead, metric_names_read
from simulator.rules.group import ALERT_FOR_STATE_METRIC_NAME, ALERT_METRIC_NAME
from simulator.rules.model import AlertingRule, RecordingRule, RuleGroup

# rules/manager.go: a group without `interval:` runs at the global evaluation_interval, 1m by default
# (config/config.go DefaultGlobalConfig.EvaluationInterval).
DEFAULT_EVALUATION_INTERVAL_MS = 60_000


class TimeError(ValueError):
    """A --from/--to value that is neither RFC 3339 nor Unix seconds."""


def parse_time(text: str) -> int:
    """RFC 3339 (2026-01-05T00:00:00Z) or Unix seconds (1767571200, 1767571200.5) -> Unix milliseconds.

    As the Prometheus HTTP API reads its time parameters (web/api/v1/api.go parseTime), a bare number is
    seconds; an RFC 3339 time needs its zone (Z or +hh:mm), since a zoneless time means different instants on
    different machines."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            raise TimeError(f"{text!r}: not a time (give RFC 3339 or Unix seconds)")
        return round(seconds * 1000)
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise TimeError(
            f"{text!r}: not a time: give RFC 3339 (2026-01-05T00:00:00Z) or Unix seconds (1767571200)"
        ) from None
    if moment.tzinfo is None:
        raise TimeError(f"{text!r}: RFC 3339 needs a zone (Z or +hh:mm)")
    return round(moment.astimezone(UTC).timestamp() * 1000)


def format_time(t_ms: int) -> str:
    """Unix milliseconds as RFC 3339 UTC (milliseconds only when there are some)."""
    moment = datetime.fromtimestamp(t_ms / 1000, UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if t_ms % 1000:
        text += f".{t_ms % 1000:03d}"
    return text + "Z"


def group_interval_ms(groups: list[RuleGroup], default_ms: int = DEFAULT_EVALUATION_INTERVAL_MS) -> int:
    """The one evaluation interval of the groups; InputError-worthy ValueError when they differ.

    The evaluator runs every group on one grid (rule outputs cross groups at the same timestamps)."""
    intervals = {group.interval_ms or default_ms for group in groups}
    if len(intervals) > 1:
        listed = ", ".join(f"{g.name} ({(g.interval_ms or default_ms) // 1000}s)" for g in groups)
        raise ValueError(f"the rule groups have different evaluation intervals ({listed}); backtest one interval")
    return intervals.pop() if intervals else default_ms


def evaluation_grid(from_ms: int, to_ms: int, interval_ms: int) -> Grid:
    """Evaluations at the multiples of the interval in [from, to].

    Multiples, not from + k*interval: the sender's resend schedule is on multiples of the interval too, and
    a query frontend that aligns steps (Thanos' --query-range.align-range-with-step) then asks the same
    times."""
    first = -(-from_ms // interval_ms) * interval_ms
    last = to_ms - to_ms % interval_ms
    if last < first:
        raise ValueError(
            f"no evaluation between --from and --to: the window is shorter than the {interval_ms // 1000}s interval"
        )
    return Grid(first, last, interval_ms)


def rule_output_names(groups: list[RuleGroup]) -> frozenset[str]:
    """Every metric name the rules write."""
    names = {ALERT_METRIC_NAME, ALERT_FOR_STATE_METRIC_NAME}
    names.update(rule.record for group in groups for rule in group.rules if isinstance(rule, RecordingRule))
    return frozenset(names)


def is_rule_output(labels: dict[str, str], outputs: frozenset[str]) -> bool:
    return labels.get(METRIC_NAME, "") in outputs


def reads_rule_outputs(expr: str, outputs: frozenset[str]) -> bool:
    """Whether an expression may read what the rules write (a selector without a name may)."""
    names = metric_names_read(expr)
    return names is None or not names.isdisjoint(outputs)


def evaluated_by_store(expr: str, outputs: frozenset[str]) -> bool:
    """Whether --remote-eval hands this expression to the store's query_range.

    Not when it reads rule outputs (the store does not hold the outputs of the rules under test), and not
    when it can look past its evaluation time (a negative offset or @): a range query at a past time sees
    samples that a rule evaluated then could not, and `@ start()`/`@ end()` mean the range's ends there, the
    evaluation time in a rule."""
    return not reads_rule_outputs(expr, outputs) and not may_read_ahead(expr)


@dataclass(frozen=True)
class Fetch:
    """One selector to fetch (its PromQL text, matchers only) over [start_ms, end_ms]."""

    selector: str
    start_ms: int
    end_ms: int

    @property
    def span_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class _Reach:
    """Data needed in [t + lo, t + hi] for each evaluation time t, or around `at_ms` when pinned by @."""

    lo_ms: int = 0
    hi_ms: int = 0
    at_ms: int | None = None

    def shifted(self, back_ms: int, offset_ms: int, at: ast.AtModifier | None) -> _Reach:
        """The reach of a child that reads `back_ms` before its reference time (t or @) minus offset_ms."""
        if at is not None and at.preprocessor is None:
            # A pinned time; @ start()/@ end() are the evaluation time in a rule (an instant query).
            return _Reach(-offset_ms - back_ms, -offset_ms, at.timestamp_ms or 0)
        return _Reach(self.lo_ms - offset_ms - back_ms, self.hi_ms - offset_ms, self.at_ms)


def fetches(exprs: list[str], grid: Grid, outputs: frozenset[str], lookback_ms: int = DEFAULT_LOOKBACK_DELTA_MS):
    """The fetches the expressions need for evaluations on `grid`, one per distinct selector, in text order."""
    windows: dict[str, tuple[int, int]] = {}
    for expr in exprs:
        for selector, reach in _selectors(check_promql(expr), _Reach(), lookback_ms):
            if _selector_name(selector) in outputs:
                continue
            if reach.at_ms is not None:
                start, end = reach.at_ms + reach.lo_ms, reach.at_ms + reach.hi_ms
            else:
                start, end = grid.start_ms + reach.lo_ms, grid.end_ms + reach.hi_ms
            text = _selector_text(selector)
            if text in windows:
                old_start, old_end = windows[text]
                start, end = min(start, old_start), max(end, old_end)
            windows[text] = (start, end)
    return [Fetch(text, start, end) for text, (start, end) in sorted(windows.items())]


def rule_exprs(groups: list[RuleGroup]) -> list[str]:
    return [rule.expr for group in groups for rule in group.rules if isinstance(rule, (RecordingRule, AlertingRule))]


def _selectors(node: ast.Node, reach: _Reach, lookback_ms: int):
    """(selector, reach) for every selector under node."""
    if isinstance(node, ast.VectorSelector):
        yield node, reach.shifted(lookback_ms, node.offset_ms, node.at)
    elif isinstance(node, ast.MatrixSelector):
        selector = node.selector
        yield selector, reach.shifted(node.range_ms, selector.offset_ms, selector.at)
    elif isinstance(node, ast.SubqueryExpr):
        yield from _selectors(node.expr, reach.shifted(node.range_ms, node.offset_ms, node.at), lookback_ms)
    else:
        for child in node.children():
            yield from _selectors(child, reach, lookback_ms)


def _selector_name(selector: ast.VectorSelector) -> str | None:
    if selector.name:
        return selector.name
    for matcher in selector.matchers:
        if matcher.name == METRIC_NAME and matcher.op == "=":
            return matcher.value
    return None


def _selector_text(selector: ast.VectorSelector) -> str:
    """The selector with its name and matchers only (no offset, no @), as 2.42 PromQL."""
    bare = ast.VectorSelector(start=0, name=selector.name, matchers=list(selector.matchers))
    return promql_text(bare)
