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

- A range function over a subquery: the subquery's inner range evaluation (below) leaves its
  result counted; the function then loads each result series' points again like a window, and
  the subquery's result is released when the function returns.
Inside a subquery (a range evaluation over the inner steps): a selector counts every sample
over the steps; rangeEval keeps each step's output counted at the later steps; a range function
holds one series' sliding window at a time plus every output so far.
A sub-expression of a subquery that reads no series (vector(1)) is evaluated once and copied to
every inner step (StepInvariantExpr).
Not modelled (the limit is then not applied; docs/exactness.md): subqueries nested in
subqueries, @ inside a subquery, and a subquery that is the whole query.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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


def peak_samples(node, context) -> np.ndarray | None:
    """The evaluator's peak sample count at each step of an instant query of `node`.

    context is the engine's evaluation context (its grid is the instant queries' times). None
    when the expression holds a node not modelled (see the module docstring)."""
    try:
        return _Accountant(context).load(node).peak
    except _Unmodelled:
        return None


def cannot_exceed(node, context, max_samples: int) -> bool:
    """A cheap proof that no step can exceed max_samples, so the accounting can be skipped:
    the accounting below with every count replaced by an upper bound (see _Bound)."""
    bound = _Bound(context).load(node)
    return bound is not None and bound.peak <= max_samples


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


def evaluate_within_limit(node, context, max_samples: int) -> Value:
    """The engine's evaluation of node, failing like Prometheus at the first step over max_samples.

    An error the evaluation itself raises at an earlier step (or at every step) wins; at the
    same step the sample limit wins, as it trips while the data is loaded."""
    from .engine import _eval

    if cannot_exceed(node, context, max_samples):
        return _eval(node, context)
    # The accounting evaluates every node for its output count: remember each node's value, so
    # no part of the tree is evaluated twice (the evaluation is deterministic).
    context = replace(context, memo={})
    over = first_step_over(peak_samples(node, context), max_samples)
    if over is None:
        return _eval(node, context)
    try:
        _eval(node, context)
    except PromQLError as error:
        if error.step_index is None or error.step_index < over:
            raise
    raise too_many_samples(over)


def _children(node) -> list:
    if isinstance(node, promql_parser.Call):
        return list(node.args)
    if isinstance(node, promql_parser.AggregateExpr):
        return [node.expr] if node.param is None else [node.param, node.expr]
    if isinstance(node, promql_parser.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, promql_parser.UnaryExpr | promql_parser.SubqueryExpr):
        return [node.expr]
    return []


# promql/functions.go AtModifierUnsafeFunctions at v2.42.0: never step invariant.
_AT_MODIFIER_UNSAFE_FUNCTIONS = frozenset(
    {
        "days_in_month",
        "day_of_month",
        "day_of_week",
        "day_of_year",
        "hour",
        "minute",
        "month",
        "year",
        "predict_linear",
        "time",
        "timestamp",
    }
)


def _step_invariant(node) -> bool:
    """engine.go preprocessExprHelper without @ (selectors with @ are not modelled): literals,
    and calls, operators and aggregations of step-invariant operands."""
    node = _unwrap(node)
    if isinstance(node, promql_parser.NumberLiteral | promql_parser.StringLiteral):
        return True
    if isinstance(node, promql_parser.VectorSelector | promql_parser.MatrixSelector | promql_parser.SubqueryExpr):
        return False
    if isinstance(node, promql_parser.AggregateExpr):
        return _step_invariant(node.expr)
    if isinstance(node, promql_parser.Call) and node.func.name in _AT_MODIFIER_UNSAFE_FUNCTIONS:
        return False
    return all(_step_invariant(child) for child in _children(node))


@dataclass
class _Subquery:
    """A subquery argument at each outer step: the inner evaluation's load, and per result
    series the points it holds for that step's window."""

    peak: np.ndarray
    after: np.ndarray
    labels: list[Labels]
    windows: np.ndarray  # (series, outer steps)


class _Accountant:
    def __init__(self, context) -> None:
        self.context = context
        self.steps = context.steps

    def evaluate_node(self, node) -> Value:
        from .engine import _eval

        return _eval(node, self.context)

    def matrix_of(self, node) -> MatrixOverGrid:
        from .engine import _eval_matrix_selector

        return _eval_matrix_selector(node, self.context)

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
        running, peak = self.zeros(), self.zeros()
        subquery = None
        if isinstance(args[matrix_index], promql_parser.SubqueryExpr):
            # evalSubquery runs first; its result stays counted until the function returns.
            subquery = self.subquery(args[matrix_index])
            peak, running = subquery.peak, subquery.after
        for i, arg in enumerate(args):
            if i == matrix_index or _is_string(arg):
                continue
            loaded = self.load(arg)
            peak = np.maximum(peak, running + loaded.peak)
            running = running + loaded.after
        if subquery is None:
            matrix = self.matrix_of(args[matrix_index])
            labels = [series.labels for series in matrix.series]
            windows = self.windows(args[matrix_index], matrix)
        else:
            labels, windows = subquery.labels, subquery.windows
        outputs = self.outputs(node, name, labels, windows)
        # Series by series: the outputs of earlier series stay, the window is this series' own.
        kept_before = np.cumsum(outputs, axis=0) - outputs
        if len(windows):
            peak = np.maximum(peak, running + (kept_before + windows + outputs).max(axis=0))
        after = running + outputs.sum(axis=0)
        if subquery is not None:
            after = after - windows.sum(axis=0)
        return _Load(peak, after, self.result_count(node))

    def subquery(self, node) -> _Subquery:
        """engine.go SubqueryExpr at each step: the inner expression as a range evaluation over
        the steps aligned inside [t - offset - range, t - offset]."""
        from .engine import _duration_ms, _eval, _reference_ms, _subquery_timestamps

        if node.at is not None:
            raise _Unmodelled
        step = _duration_ms(node.step) or self.context.subquery_step_ms
        range_ms = _duration_ms(node.range)
        window_end = _reference_ms(node.at, node.offset, self.context)
        inner_ms = _subquery_timestamps(window_end, range_ms, step)
        inner = replace(self.context, step_ms=inner_ms, at_start_ms=None, at_end_ms=None, hidden_cutoff_ms=None)
        first = np.searchsorted(inner_ms, window_end - range_ms, side="left")
        stop = np.searchsorted(inner_ms, window_end, side="right")
        loaded = _RangeAccountant(inner, first, stop).load(node.expr)
        result = _eval(node.expr, inner) if len(inner_ms) else VectorOverGrid.empty(0)
        if not isinstance(result, VectorOverGrid):
            raise _Unmodelled
        labels = list(result.labels)
        windows = np.zeros((len(labels), self.steps), dtype=np.int64)
        if labels:
            windows = _windowed_sums(result.present.astype(np.int64), first, stop)
        return _Subquery(loaded.peak, loaded.after, labels, windows)

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

    def outputs(self, node, name: str, labels_of: list[Labels], windows: np.ndarray) -> np.ndarray:
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
        for series_labels in labels_of:
            labels = series_labels if name == "last_over_time" else _drop_name(series_labels)
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


@dataclass
class _RangeLoad:
    peak: np.ndarray  # per outer step
    after: np.ndarray  # per outer step
    count: np.ndarray  # per inner step: samples in the node's result at that step


class _RangeAccountant:
    """A subquery's inner range evaluation: for every outer step, the inner steps
    first[t] <= k < stop[t] of the inner grid."""

    def __init__(self, context, first: np.ndarray, stop: np.ndarray) -> None:
        self.context = context
        self.first = np.asarray(first, dtype=np.int64)
        self.stop = np.asarray(stop, dtype=np.int64)
        self.outer = len(self.first)
        self.inner_steps = context.steps
        self.instant = _Accountant(context)

    def load(self, node) -> _RangeLoad:
        node = _unwrap(node)
        if isinstance(node, promql_parser.SubqueryExpr) or _has_at(node):
            raise _Unmodelled
        if isinstance(node, promql_parser.StringLiteral):
            zero = np.zeros(self.outer, dtype=np.int64)
            return _RangeLoad(zero, zero, np.zeros(self.inner_steps, dtype=np.int64))
        if isinstance(node, promql_parser.NumberLiteral):
            ones = np.ones(self.inner_steps, dtype=np.int64)
            held = self.stop - self.first
            return _RangeLoad(held, held, ones)
        if _step_invariant(node):
            return self.evaluated_once(node)
        if isinstance(node, promql_parser.VectorSelector):
            count = self.instant.result_count(node)
            held = self.sums(count)
            return _RangeLoad(held, held, count)
        if isinstance(node, promql_parser.UnaryExpr):
            inner = self.load(node.expr)
            return _RangeLoad(inner.peak, inner.after, self.instant.result_count(node))
        if isinstance(node, promql_parser.AggregateExpr):
            param = node.param
            args = [node.expr] if param is None or _is_string(param) else [param, node.expr]
            return self.range_eval(node, args)
        if isinstance(node, promql_parser.BinaryExpr):
            return self.range_eval(node, [node.lhs, node.rhs])
        if isinstance(node, promql_parser.Call):
            return self.call(node)
        raise _Unmodelled

    def evaluated_once(self, node) -> _RangeLoad:
        """engine.go StepInvariantExpr (what PreprocessExpr wraps a subtree reading no series
        in): one instant evaluation at the first inner step, then its samples copied to the
        other steps one by one."""
        once = self.instant.load(node)
        first = np.minimum(self.first, max(self.inner_steps - 1, 0))
        held = self.stop - self.first
        if self.inner_steps == 0:
            zero = np.zeros(self.outer, dtype=np.int64)
            return _RangeLoad(zero, zero, once.count)
        copies = once.count[first] * np.maximum(held - 1, 0)
        after = np.where(held > 0, once.after[first] + copies, 0)
        peak = np.where(held > 0, np.maximum(once.peak[first], after), 0)
        return _RangeLoad(peak, after, once.count)

    def sums(self, per_step: np.ndarray) -> np.ndarray:
        return _windowed_sums(per_step.reshape(1, -1), self.first, self.stop)[0]

    def step_peaks(self, held_before: np.ndarray, at_step: np.ndarray) -> np.ndarray:
        """Per outer step: max over its inner steps k of (what earlier steps left + at_step[k]),
        held_before being the cumulative sum of what each step leaves."""
        prefix = np.concatenate([[0], np.cumsum(held_before)])
        peaks = np.zeros(self.outer, dtype=np.int64)
        candidate = prefix[:-1] + at_step
        for t in range(self.outer):
            a, b = self.first[t], self.stop[t]
            if b > a:
                peaks[t] = candidate[a:b].max() - prefix[a]
        return peaks

    def range_eval(self, node, args) -> _RangeLoad:
        running = np.zeros(self.outer, dtype=np.int64)
        peak = np.zeros(self.outer, dtype=np.int64)
        gathered = np.zeros(self.inner_steps, dtype=np.int64)
        for arg in args:
            if _is_string(arg):
                continue
            loaded = self.load(arg)
            peak = np.maximum(peak, running + loaded.peak)
            running = running + loaded.after
            gathered = gathered + loaded.count
        out = self.instant.result_count(node)
        peak = np.maximum(peak, running + self.step_peaks(out, gathered + out))
        return _RangeLoad(peak, self.sums(out), out)

    def call(self, node) -> _RangeLoad:
        args = [_unwrap(arg) for arg in node.args]
        name = node.func.name
        if name == "timestamp" and isinstance(args[0], promql_parser.VectorSelector):
            selected = self.instant.result_count(args[0])
            return _RangeLoad(self.step_peaks(selected, 2 * selected), self.sums(selected), selected)
        matrix_index = next((i for i, arg in enumerate(args) if isinstance(arg, promql_parser.MatrixSelector)), None)
        if matrix_index is None:
            return self.range_eval(node, args)
        running = np.zeros(self.outer, dtype=np.int64)
        peak = np.zeros(self.outer, dtype=np.int64)
        for i, arg in enumerate(args):
            if i == matrix_index or _is_string(arg):
                continue
            loaded = self.load(arg)
            peak = np.maximum(peak, running + loaded.peak)
            running = running + loaded.after
        matrix = self.instant.matrix_of(args[matrix_index])
        windows = self.instant.windows(args[matrix_index], matrix)
        outputs = self.instant.outputs(node, name, [s.labels for s in matrix.series], windows)
        totals = _windowed_sums(outputs, self.first, self.stop)  # (series, outer)
        kept_before = np.cumsum(totals, axis=0) - totals
        for t in range(self.outer):
            a, b = self.first[t], self.stop[t]
            if b > a and len(windows):
                # A series holds its sliding window; when done, its last window and its outputs.
                held = np.maximum(windows[:, a:b].max(axis=1), windows[:, b - 1] + totals[:, t])
                peak[t] = max(peak[t], running[t] + (kept_before[:, t] + held).max())
        after = running + totals.sum(axis=0)
        return _RangeLoad(peak, after, self.instant.result_count(node))


def _windowed_sums(per_step: np.ndarray, first: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """(rows, outer): each row summed over the inner steps first[t] <= k < stop[t]."""
    prefix = np.concatenate([np.zeros((per_step.shape[0], 1), dtype=np.int64), np.cumsum(per_step, axis=1)], axis=1)
    return prefix[:, stop] - prefix[:, first]


def _has_at(node) -> bool:
    if isinstance(node, promql_parser.VectorSelector):
        return node.at is not None
    if isinstance(node, promql_parser.MatrixSelector):
        return node.vector_selector.at is not None
    return False


@dataclass
class _Bounds:
    peak: int
    after: int
    count: int


class _Bound:
    """Upper bounds of the accounting at any step, from the stored series alone: a selector
    holds at most its series, a window at most a series' samples, a node's result at most the
    sum of its operands' (`or` adds its sides) or one sample; a subquery multiplies its inner
    expression's bounds by its inner step count. None for nested subqueries."""

    def __init__(self, context, inner_steps: int = 1) -> None:
        self.context = context
        self.inner_steps = inner_steps

    def load(self, node) -> _Bounds | None:
        from .engine import _matchers

        node = _unwrap(node)
        if isinstance(node, promql_parser.StringLiteral):
            return _Bounds(0, 0, 0)
        if isinstance(node, promql_parser.NumberLiteral):
            return _Bounds(self.inner_steps, self.inner_steps, 1)
        if isinstance(node, promql_parser.VectorSelector):
            count = len(self.context.storage.select(_matchers(node)))
            return _Bounds(count * self.inner_steps, count * self.inner_steps, count)
        if isinstance(node, promql_parser.SubqueryExpr):
            return self.subquery(node)
        if isinstance(node, promql_parser.MatrixSelector):
            return None  # a range vector as the whole query: always accounted
        if isinstance(node, promql_parser.Call):
            matrix = [_unwrap(a) for a in node.args if isinstance(_unwrap(a), promql_parser.MatrixSelector)]
            if matrix:
                return self.range_function(node, matrix[0])
        return self.operands(node)

    def operands(self, node) -> _Bounds | None:
        """rangeEval (and unary minus, a subquery's function): operands in turn, gathered
        again, plus the output; timestamp(<selector>) selects inside the call (same bound)."""
        held = peak = gathered = 0
        for child in _children(node):
            if _is_string(child):
                continue
            loaded = self.load(child)
            if loaded is None:
                return None
            peak = max(peak, held + loaded.peak)
            held += loaded.after
            gathered += loaded.count
        count = max(gathered, 1)
        # Each step's output stays held at the later steps of a range evaluation.
        return _Bounds(max(peak, held + gathered + count * self.inner_steps), held + count * self.inner_steps, count)

    def range_function(self, node, selector) -> _Bounds | None:
        from .engine import _matchers

        held = peak = 0
        for child in node.args:
            child = _unwrap(child)
            if child is selector or _is_string(child):
                continue
            loaded = self.load(child)
            if loaded is None:
                return None
            peak = max(peak, held + loaded.peak)
            held += loaded.after
        series = self.context.storage.select(_matchers(selector.vector_selector))
        window = max((len(s.t) for s in series), default=0)
        outputs = len(series) * self.inner_steps
        return _Bounds(max(peak, held + outputs + window), held + outputs, max(len(series), 1))

    def subquery(self, node) -> _Bounds | None:
        from .engine import _duration_ms

        if self.inner_steps != 1:
            return None
        step = _duration_ms(node.step) or self.context.subquery_step_ms
        steps = _duration_ms(node.range) // step + 1
        inner = _Bound(self.context, steps).load(node.expr)
        if inner is None:
            return None
        # Its points are then loaded again by the function, one series' window at a time.
        return _Bounds(inner.peak + inner.after, inner.after, inner.after)
