"""The PromQL evaluator: an expression evaluated at every step of a grid at once.

The result at step j equals Prometheus 2.42's instant query at grid.timestamps[j] (what a rule
evaluation runs). The PromQL 2.42 front door (common/promql) checks the text and gives
promql_parser's AST; this module walks it, with selectors in selectors.py, functions in
functions.py, and aggregations, binary operators and
histogram_quantile in aggregations.py, binops.py and histogram.py. Mirrors promql/engine.go
(evaluator.eval) at v2.42.0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import promql_parser

from common.promql.frontdoor import ENGINE_FUNCTION_NAMES, PromQLSyntaxError, parse_promql

from .functions import CallArgs, call_function
from .model import (
    DEFAULT_LOOKBACK_DELTA_MS,
    Grid,
    MatrixOverGrid,
    PromQLError,
    ScalarOverGrid,
    Series,
    StringValue,
    Value,
    VectorOverGrid,
)
from .selectors import select_instant, select_range
from .storage import Matcher, Storage
from .vectors import drop_metric_name, merge_same_labelsets

# cmd/promtool and the server default: a subquery without a step ([5m:]) uses the global
# evaluation interval, 1m by default (promql.EngineOpts.NoStepSubqueryIntervalFn).
DEFAULT_SUBQUERY_STEP_MS = 60 * 1000

_MATCH_OPS = {
    "MatchOp.Equal": "=",
    "MatchOp.NotEqual": "!=",
    "MatchOp.Re": "=~",
    "MatchOp.NotRe": "!~",
}

_CARDINALITY = {
    "VectorMatchCardinality.OneToOne": "one-to-one",
    "VectorMatchCardinality.ManyToOne": "many-to-one",
    "VectorMatchCardinality.OneToMany": "one-to-many",
    "VectorMatchCardinality.ManyToMany": "many-to-many",
}

_SET_OPERATORS = {"and", "or", "unless"}

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# The front door (common/promql) hands promql_parser holt_winters under its 3.x name.
_RENAMED_FUNCTIONS = {engine: name for name, engine in ENGINE_FUNCTION_NAMES.items()}

# promql/parser/lex.go at v2.42.0: the aggregation operators of that release.
AGGREGATION_OPERATORS = frozenset(
    {"sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk", "count_values", "quantile"}
)


@dataclass(frozen=True)
class _Context:
    """What every node of one (sub)evaluation shares."""

    storage: Storage
    step_ms: np.ndarray  # the evaluation timestamps (int64)
    lookback_delta_ms: int
    # What `@ start()` / `@ end()` mean at each step (None inside a subquery whose outer steps
    # disagree on it, see _constant_for_subquery).
    at_start_ms: np.ndarray | None
    at_end_ms: np.ndarray | None
    # Per step, the rule evaluation timestamp for Series.hidden_at_eval_time; None inside
    # subqueries (see docs/evaluator.md, known limitations).
    hidden_cutoff_ms: np.ndarray | None
    # The step of a subquery written without one ([5m:]).
    subquery_step_ms: int = DEFAULT_SUBQUERY_STEP_MS
    # Each node's value, when one query evaluates parts of its tree more than once (the sample
    # limit's accounting counts every node's output): id(node) -> (node, value). Never handed
    # to a subquery's inner steps, where the same node has other values.
    memo: dict | None = None

    @property
    def steps(self) -> int:
        return len(self.step_ms)


def evaluate(
    expr: str | promql_parser.Expr,
    storage: Storage,
    grid: Grid,
    *,
    lookback_delta_ms: int = DEFAULT_LOOKBACK_DELTA_MS,
    range_query: bool = False,
    subquery_step_ms: int = DEFAULT_SUBQUERY_STEP_MS,
    max_samples: int | None = None,
) -> VectorOverGrid | ScalarOverGrid | StringValue:
    """Evaluate a PromQL expression at every timestamp of `grid`.

    Step j equals Prometheus 2.42's instant query at grid.timestamps[j], so `@ start()` and
    `@ end()` mean that step's time. With range_query=True they mean the grid's start and end
    instead, as in a Prometheus range query. subquery_step_ms is the step of `[5m:]`
    subqueries (promtool uses its evaluation_interval; the server its global one, 1m by
    default). Raises PromQLError when Prometheus would fail the query; its message starts with
    "unsupported:" for features outside Prometheus 2.42 floats. max_samples is the engine's
    MaxSamples (None: unchecked; promtool's is maxsamples.PROMTOOL_MAX_SAMPLES).
    """
    node = parse(expr)
    step_ms = grid.timestamps
    if range_query:
        at_start = np.full(len(step_ms), grid.start_ms, dtype=np.int64)
        at_end = np.full(len(step_ms), grid.end_ms, dtype=np.int64)
    else:
        at_start = at_end = step_ms
    context = _Context(storage, step_ms, lookback_delta_ms, at_start, at_end, step_ms, subquery_step_ms)
    if max_samples is None:
        result = _eval(node, context)
    else:
        from .maxsamples import evaluate_within_limit

        result = evaluate_within_limit(node, context, max_samples)
    if isinstance(result, MatrixOverGrid):
        raise PromQLError('invalid expression type "range vector" for query, must be Scalar or instant Vector')
    return result


def instant_query(expr, storage: Storage, t_ms: int, **options) -> VectorOverGrid | ScalarOverGrid | StringValue:
    """Prometheus's instant query at t_ms: evaluate on a one-step grid (options as evaluate's)."""
    return evaluate(expr, storage, Grid.at(t_ms), **options)


def parse(expr: str | promql_parser.Expr):
    """The tree of a PromQL text through the 2.42 front door (memoized); what Prometheus 2.42
    refuses raises PromQLError with promtool's text ("1:6: parse error: ...").

    Prefer handing evaluate() the text, or a tree from this function: a tree made by
    promql_parser.parse itself skips the 2.42 checks and misreads negative @ times."""
    if not isinstance(expr, str):
        return expr
    try:
        return parse_promql(expr)
    except PromQLSyntaxError as error:
        raise PromQLError(str(error)) from None


# ---------------------------------------------------------------------------------------------


def _eval(node, context: _Context) -> Value:
    memo = context.memo
    if memo is not None:
        known = memo.get(id(node))
        if known is not None and known[0] is node:
            return known[1]
    handler = _HANDLERS.get(type(node))
    if handler is None:
        raise PromQLError(f"unsupported: expression node {type(node).__name__}")
    value = handler(node, context)
    if memo is not None:
        memo[id(node)] = (node, value)  # holding the node keeps its id unique
    return value


def _unwrap_parens(node):
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    return node


def _duration_ms(delta: timedelta | None) -> int:
    if delta is None:
        return 0
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def _reference_ms(at, offset: timedelta | None, context: _Context) -> np.ndarray:
    """Per step, the time a selector or subquery looks back from: the step time (or the @
    time) minus the offset. promtool enables both @ and negative offsets."""
    base = context.step_ms
    if at is not None:
        kind = str(at.type)
        if kind in ("AtModifierType.Start", "AtModifierType.End"):
            at_modifier_ms = context.at_start_ms if kind == "AtModifierType.Start" else context.at_end_ms
            if at_modifier_ms is None:
                raise PromQLError(
                    "unsupported: @ start()/end() inside a subquery evaluated at several steps "
                    "(evaluate with range_query=True or as an instant query)"
                )
            base = at_modifier_ms
        else:
            # str(at) is "@ <seconds with 3 decimals>"; reading at.at fails for negative times.
            seconds = Decimal(str(at).split()[1])
            at_ms = int(seconds * 1000)
            if not _INT64_MIN <= at_ms <= _INT64_MAX:
                raise PromQLError(f"timestamp out of bounds for @ modifier: {seconds}")
            base = np.full(context.steps, at_ms, dtype=np.int64)
    return base - _duration_ms(offset)


def _matchers(selector) -> list[Matcher]:
    if selector.matchers.or_matchers:
        raise PromQLError("unsupported: 'or' inside label matchers is newer than Prometheus 2.42")
    matchers = [Matcher(m.name, _MATCH_OPS[str(m.op)], m.value) for m in selector.matchers.matchers]
    if selector.name:
        matchers.append(Matcher("__name__", "=", selector.name))
    return matchers


def _eval_vector_selector(node, context: _Context, with_sample_times: bool = False) -> VectorOverGrid:
    reference = _reference_ms(node.at, node.offset, context)
    series = context.storage.select(_matchers(node))
    return select_instant(series, reference, context.lookback_delta_ms, context.hidden_cutoff_ms, with_sample_times)


def _eval_matrix_selector(node, context: _Context) -> MatrixOverGrid:
    selector = node.vector_selector
    window_end = _reference_ms(selector.at, selector.offset, context)
    series = context.storage.select(_matchers(selector))
    return select_range(series, window_end, _duration_ms(node.range), context.hidden_cutoff_ms)


def _eval_subquery(node, context: _Context) -> MatrixOverGrid:
    """engine.go SubqueryExpr: the inner expression runs on steps aligned to absolute
    multiples of the subquery step; each outer step's window [end - range, end] (closed, 2.42)
    then reads those results like a range selector."""
    step = _duration_ms(node.step) or context.subquery_step_ms
    range_ms = _duration_ms(node.range)
    window_end = _reference_ms(node.at, node.offset, context)
    inner_ms = _subquery_timestamps(window_end, range_ms, step)
    inner = replace(
        context,
        step_ms=inner_ms,
        at_start_ms=_constant_for_subquery(context.at_start_ms, len(inner_ms)),
        at_end_ms=_constant_for_subquery(context.at_end_ms, len(inner_ms)),
        hidden_cutoff_ms=None,
        memo=None,
    )
    result = _eval(node.expr, inner) if len(inner_ms) else VectorOverGrid.empty(0)
    if not isinstance(result, VectorOverGrid):
        raise PromQLError("subquery is only allowed on instant vector")
    series = [
        Series(labels, inner_ms[result.present[row]], result.values[row][result.present[row]])
        for row, labels in enumerate(result.labels)
        if result.present[row].any()
    ]
    return MatrixOverGrid(series, range_ms, window_end)


def _subquery_timestamps(window_end: np.ndarray, range_ms: int, step: int) -> np.ndarray:
    """Every multiple of `step` inside some window [end - range, end] (engine.go aligns the
    inner start up to a multiple of the step: Go's truncating division, then += step)."""
    if len(window_end) == 0:
        return np.zeros(0, dtype=np.int64)
    first = -((-(window_end - range_ms)) // step)  # ceil division
    last = window_end // step
    if len(np.unique(window_end)) == 1 or np.all(np.diff(np.sort(window_end)) <= range_ms):
        ks = np.arange(first.min(), last.max() + 1, dtype=np.int64)
    else:
        ks = np.unique(np.concatenate([np.arange(a, b + 1) for a, b in zip(first, last)]))
    return ks.astype(np.int64) * step


def _constant_for_subquery(times: np.ndarray | None, steps: int) -> np.ndarray | None:
    """Inner steps are shared by all outer steps, so inside a subquery @ start()/end() can
    only be honoured when every outer step means the same time by it (else None)."""
    if times is None or (len(times) and (times != times[0]).any()):
        return None
    value = times[0] if len(times) else 0
    return np.full(steps, value, dtype=np.int64)


def _eval_call(node, context: _Context) -> Value:
    name = _RENAMED_FUNCTIONS.get(node.func.name, node.func.name)
    exprs = [_unwrap_parens(arg) for arg in node.args]
    if name == "timestamp" and isinstance(exprs[0], promql_parser.VectorSelector):
        # engine.go special-cases timestamp(<selector>): it reports the raw sample times.
        values: list[Value] = [_eval_vector_selector(exprs[0], context, with_sample_times=True)]
    else:
        values = [_eval_argument(arg, context) for arg in exprs]
    return call_function(name, CallArgs(values, exprs, context.step_ms))


def _eval_argument(node, context: _Context) -> Value:
    if isinstance(node, promql_parser.StringLiteral):
        return StringValue(node.val)
    return _eval(node, context)


def _eval_number(node, context: _Context) -> ScalarOverGrid:
    return ScalarOverGrid(np.full(context.steps, float(node.val)))


def _eval_string(node, context: _Context) -> StringValue:
    return StringValue(node.val)


def _eval_paren(node, context: _Context) -> Value:
    return _eval(node.expr, context)


def _eval_unary(node, context: _Context) -> Value:
    """Unary minus (the parser drops unary plus): negates and drops __name__."""
    operand = _eval(node.expr, context)
    if isinstance(operand, ScalarOverGrid):
        return ScalarOverGrid(-operand.values)
    if not isinstance(operand, VectorOverGrid):
        raise PromQLError("unary expression only allowed on expressions of type scalar or instant vector")
    negated = VectorOverGrid(
        [drop_metric_name(labels) for labels in operand.labels], -operand.values, operand.present.copy()
    )
    return merge_same_labelsets(negated)


def _eval_aggregate(node, context: _Context) -> VectorOverGrid:
    from .aggregations import aggregate  # imported late: aggregations imports this module's helpers

    op = str(node.op)
    if op not in AGGREGATION_OPERATORS:
        raise PromQLError(f"unsupported: aggregation {op} is not part of Prometheus 2.42")
    param = None
    if node.param is not None:
        param = _eval_argument(_unwrap_parens(node.param), context)
    vector = _eval(node.expr, context)
    modifier = node.modifier
    grouping = list(modifier.labels) if modifier is not None else []
    without = modifier is not None and str(modifier.type) == "AggModifierType.Without"
    return aggregate(op, vector, grouping, without, param)


def _eval_binary(node, context: _Context) -> Value:
    from . import binops  # imported late: binops imports this module's helpers

    op = str(node.op)
    lhs = _eval(node.lhs, context)
    rhs = _eval(node.rhs, context)
    modifier = node.modifier
    return_bool = bool(modifier.return_bool) if modifier is not None else False
    if isinstance(lhs, ScalarOverGrid) and isinstance(rhs, ScalarOverGrid):
        return binops.scalar_binop(op, lhs, rhs, return_bool)
    if isinstance(lhs, VectorOverGrid) and isinstance(rhs, ScalarOverGrid):
        return binops.vector_scalar_binop(op, lhs, rhs, False, return_bool)
    if isinstance(lhs, ScalarOverGrid) and isinstance(rhs, VectorOverGrid):
        return binops.vector_scalar_binop(op, rhs, lhs, True, return_bool)
    if isinstance(lhs, VectorOverGrid) and isinstance(rhs, VectorOverGrid):
        return binops.vector_binop(op, lhs, rhs, _vector_matching(op, modifier, binops), return_bool)
    raise PromQLError(f"binary expression must contain only scalar and instant vector types, got {op}")


def _vector_matching(op: str, modifier, binops):
    default_card = "many-to-many" if op in _SET_OPERATORS else "one-to-one"
    if modifier is None:
        return binops.VectorMatching(default_card, False, [], [])
    fill = getattr(modifier, "fill_values", None)
    if fill is not None and (getattr(fill, "lhs", None) is not None or getattr(fill, "rhs", None) is not None):
        raise PromQLError("unsupported: fill modifiers are newer than Prometheus 2.42")
    card = _CARDINALITY.get(str(modifier.card), default_card) if modifier.card is not None else default_card
    matching = modifier.matching
    on = matching is not None and str(matching.type) == "LabelModifierType.Include"
    labels = list(matching.labels) if matching is not None else []
    include = list(modifier.group_labels or []) if card in ("many-to-one", "one-to-many") else []
    return binops.VectorMatching(card, on, labels, include)


_HANDLERS: dict[type, Callable[[Any, _Context], Value]] = {
    promql_parser.VectorSelector: _eval_vector_selector,
    promql_parser.MatrixSelector: _eval_matrix_selector,
    promql_parser.SubqueryExpr: _eval_subquery,
    promql_parser.Call: _eval_call,
    promql_parser.NumberLiteral: _eval_number,
    promql_parser.StringLiteral: _eval_string,
    promql_parser.ParenExpr: _eval_paren,
    promql_parser.UnaryExpr: _eval_unary,
    promql_parser.AggregateExpr: _eval_aggregate,
    promql_parser.BinaryExpr: _eval_binary,
}
