"""The query sample limit: how many samples Prometheus 2.42 holds in memory at each step.

promql/engine.go's evaluator keeps a running count (currentSamples) of the samples a query
holds and fails the query with ErrTooManySamples as soon as it would exceed the engine's
MaxSamples. This module recomputes, for an instant query at every grid step (what a rule
evaluation and a promql_expr_test run), the highest count the evaluator reaches, from the
expression tree and the results of its sub-expressions, vectorised over the steps.

The accounting, per node of an instant query (engine.go at v2.42.0, evaluator.eval):
- VectorSelector: +1 per selected series (the result stays counted).
- MatrixSelector / a range function's matrix argument (matrixIterSlice): +1 per non-stale
  sample in the window [t - range, t]; a range function goes series by series, keeping each
  series' output (+1) and releasing the previous series' window before loading the next.
- rangeEval (aggregations, binary operators, functions without a range argument, literals):
  evaluates its arguments (their results stay counted), counts every argument sample a second
  time as it gathers the step's input vectors, then adds the output; when it returns, the
  count is reset to what it was before plus the output.
- timestamp(<selector>): selects inside the call (+n) and adds the output (+n).
Everything is checked against the limit as "count > MaxSamples", so a query fails at a step
exactly when the peak there exceeds the limit.

Subqueries are not modelled (their inner range evaluation counts differently): the limit is not
applied to expressions containing one (docs/exactness.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import promql_parser

from .model import METRIC_NAME, Labels, MatrixOverGrid, PromQLError, ScalarOverGrid, Value, VectorOverGrid
from .selectors import HIDDEN_CUTOFF_KEY

# promql/test.go at v2.42.0, NewLazyLoader's EngineOpts (the engine cmd/promtool/unittest.go's
# `promtool test rules` evaluates rules and promql_expr_test with): MaxSamples: 10000.
PROMTOOL_MAX_SAMPLES = 10_000
# cmd/prometheus/main.go at v2.42.0: --query.max-samples defaults to 50000000 (a real server).
SERVER_DEFAULT_MAX_SAMPLES = 50_000_000
# engine.go ErrTooManySamples.Error() with env "query execution".
TOO_MANY_SAMPLES_MESSAGE = "query processing would load too many samples into memory in query execution"


class _Unmodelled(Exception):
    """The expression holds a node whose accounting this module does not reproduce."""


@dataclass
class _Load:
    """Per step, relative to the count before the node was evaluated."""

    peak: np.ndarray  # the highest count reached while evaluating the node
    after: np.ndarray  # the count left when the node returns (its result, plus what leaks)
    count: np.ndarray  # samples in the node's result (what a parent's rangeEval gathers again)


def peak_samples(
    node,
    steps: int,
    evaluate_node: Callable[[object], Value],
    matrix_of: Callable[[object], MatrixOverGrid],
) -> np.ndarray | None:
    """The evaluator's peak sample count at each step of an instant query of `node`.

    evaluate_node(n) gives a sub-expression's value over the grid, matrix_of(n) a
    MatrixSelector's windows. None when the expression holds a node not modelled (subquery)."""
    try:
        return _Accountant(steps, evaluate_node, matrix_of).load(node).peak
    except _Unmodelled:
        return None


def first_step_over(peaks: np.ndarray | None, max_samples: int) -> int | None:
    """The first step whose peak exceeds max_samples, or None."""
    if peaks is None:
        return None
    over = peaks > max_samples
    return int(np.argmax(over)) if over.any() else None


def too_many_samples(step_index: int) -> PromQLError:
    error = PromQLError(TOO_MANY_SAMPLES_MESSAGE)
    error.step_index = step_index
    return error


def evaluate_within_limit(node, steps: int, max_samples: int, evaluate_node, matrix_of) -> Value:
    """evaluate_node(node), failing like Prometheus at the first step over max_samples.

    An error the evaluation itself raises at an earlier step (or at every step) wins; at the
    same step the sample limit wins, as it trips while the data is loaded."""
    over = first_step_over(peak_samples(node, steps, evaluate_node, matrix_of), max_samples)
    if over is None:
        return evaluate_node(node)
    try:
        evaluate_node(node)
    except PromQLError as error:
        if error.step_index is None or error.step_index < over:
            raise
    raise too_many_samples(over)


class _Accountant:
    def __init__(self, steps: int, evaluate_node, matrix_of) -> None:
        self.steps = steps
        self.evaluate_node = evaluate_node
        self.matrix_of = matrix_of

    def zeros(self) -> np.ndarray:
        return np.zeros(self.steps, dtype=np.int64)

    def load(self, node) -> _Load:
        while isinstance(node, promql_parser.ParenExpr):
            node = node.expr
        if isinstance(node, promql_parser.SubqueryExpr):
            raise _Unmodelled
        if isinstance(node, promql_parser.StringLiteral):
            zero = self.zeros()
            return _Load(zero, zero, zero)
        if isinstance(node, promql_parser.NumberLiteral):
            one = np.ones(self.steps, dtype=np.int64)
            return _Load(one, one, one)
        if isinstance(node, promql_parser.VectorSelector):
            count = self.result_count(node)
            return _Load(count, count, count)
        if isinstance(node, promql_parser.MatrixSelector):
            count = self.windows(node).sum(axis=0)
            return _Load(count, count, count)
        if isinstance(node, promql_parser.UnaryExpr):
            inner = self.load(node.expr)
            return _Load(inner.peak, inner.after, self.result_count(node))
        if isinstance(node, promql_parser.AggregateExpr):
            param = node.param
            args = [node.expr] if param is None or _is_string(param) else [param, node.expr]
            return self.range_eval(node, args)
        if isinstance(node, promql_parser.BinaryExpr):
            return self.range_eval(node, [node.lhs, node.rhs])
        if isinstance(node, promql_parser.Call):
            return self.call(node)
        raise _Unmodelled

    def result_count(self, node) -> np.ndarray:
        value = self.evaluate_node(node)
        if isinstance(value, VectorOverGrid):
            if not value.labels:
                return self.zeros()
            return value.present.sum(axis=0).astype(np.int64)
        if isinstance(value, ScalarOverGrid):
            return np.ones(self.steps, dtype=np.int64)
        return self.zeros()

    def range_eval(self, node, args) -> _Load:
        """engine.go rangeEval at one step: arguments in order, their samples gathered again,
        then the output."""
        running, peak, gathered = self.zeros(), self.zeros(), self.zeros()
        for arg in args:
            if _is_string(arg):
                continue
            loaded = self.load(arg)
            peak = np.maximum(peak, running + loaded.peak)
            running = running + loaded.after
            gathered = gathered + loaded.count
        out = self.result_count(node)
        peak = np.maximum(peak, running + gathered + out)
        return _Load(peak, out, out)

    def call(self, node) -> _Load:
        args = [_unwrap(arg) for arg in node.args]
        name = node.func.name
        if name == "timestamp" and isinstance(args[0], promql_parser.VectorSelector):
            selected = self.result_count(args[0])
            return _Load(2 * selected, selected, selected)
        matrix_index = next(
            (
                i
                for i, arg in enumerate(args)
                if isinstance(arg, promql_parser.MatrixSelector | promql_parser.SubqueryExpr)
            ),
            None,
        )
        if matrix_index is None:
            return self.range_eval(node, args)
        if isinstance(args[matrix_index], promql_parser.SubqueryExpr):
            raise _Unmodelled
        running, peak = self.zeros(), self.zeros()
        for i, arg in enumerate(args):
            if i == matrix_index or _is_string(arg):
                continue
            loaded = self.load(arg)
            peak = np.maximum(peak, running + loaded.peak)
            running = running + loaded.after
        matrix = self.matrix_of(args[matrix_index])
        windows = self.windows(args[matrix_index], matrix)
        outputs = self.outputs(node, name, matrix, windows)
        # Series by series: the outputs of earlier series stay, the window is this series' own.
        kept_before = np.cumsum(outputs, axis=0) - outputs
        if len(windows):
            peak = np.maximum(peak, running + (kept_before + windows + outputs).max(axis=0))
        after = running + outputs.sum(axis=0)
        return _Load(peak, after, self.result_count(node))

    def windows(self, selector, matrix: MatrixOverGrid | None = None) -> np.ndarray:
        """(series, steps): the non-stale samples matrixIterSlice loads per window [end - range, end]."""
        if matrix is None:
            matrix = self.matrix_of(selector)
        end = np.asarray(matrix.window_end_ms, dtype=np.int64)
        start = end - matrix.range_ms
        cutoff = matrix.extra.get(HIDDEN_CUTOFF_KEY)
        rows = []
        for series in matrix.series:
            last = end
            if series.hidden_at_eval_time and cutoff is not None:
                last = np.minimum(end, np.asarray(cutoff, dtype=np.int64) - 1)
            lo = np.searchsorted(series.t, start, side="left")
            hi = np.searchsorted(series.t, last, side="right")
            rows.append(np.maximum(hi - lo, 0))
        if not rows:
            return np.zeros((0, self.steps), dtype=np.int64)
        return np.vstack(rows).astype(np.int64)

    def outputs(self, node, name: str, matrix: MatrixOverGrid, windows: np.ndarray) -> np.ndarray:
        """(series, steps): 1 where the range function gives this series a sample."""
        if name == "absent_over_time":
            # funcAbsentOverTime answers for every non-empty window; the series are dropped after.
            return (windows > 0).astype(np.int64)
        value = self.evaluate_node(node)
        present: dict[Labels, np.ndarray] = {}
        if isinstance(value, VectorOverGrid):
            present = {labels: value.present[row] for row, labels in enumerate(value.labels)}
        none = np.zeros(self.steps, dtype=bool)
        rows = []
        for series in matrix.series:
            labels = series.labels if name == "last_over_time" else _drop_name(series.labels)
            rows.append(present.get(labels, none))
        if not rows:
            return np.zeros((0, self.steps), dtype=np.int64)
        return (np.vstack(rows) & (windows > 0)).astype(np.int64)


def _unwrap(node):
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    return node


def _is_string(node) -> bool:
    return isinstance(_unwrap(node), promql_parser.StringLiteral)


def _drop_name(labels: Labels) -> Labels:
    return tuple(pair for pair in labels if pair[0] != METRIC_NAME)
