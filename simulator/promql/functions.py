"""PromQL functions of Prometheus 2.42, each evaluated over the whole grid at once.

Mirrors promql/functions.go at v2.42.0: one table, FUNCTIONS, maps a name to its
implementation; `call_function` applies the shared rules once (dropping __name__, merging rows
that then share a label set) and runs range functions block of steps by block. The range
functions live in range_functions.py, Go's math in gomath.py; the instant-vector functions
(math, clamp, round, labels, dates, absent, ...) are here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import promql_parser

from common.regex import GoRegexpError, compile_anchored

from . import range_functions as ranged
from .callargs import CallArgs, labels_for_absent, ms_to_seconds, one_row
from .gomath import (
    go_acos,
    go_acosh,
    go_asin,
    go_asinh,
    go_atan,
    go_atanh,
    go_cos,
    go_cosh,
    go_date_field,
    go_exp,
    go_float_to_int64,
    go_log,
    go_log2,
    go_log10,
    go_max,
    go_min,
    go_sin,
    go_sinh,
    go_tan,
    go_tanh,
)
from .model import (
    MatrixOverGrid,
    PromQLError,
    ScalarOverGrid,
    Value,
    VectorOverGrid,
    labels_set,
)
from .selectors import matrix_step_slice
from .vectors import drop_absent_rows, drop_metric_name, merge_same_labelsets, with_labels

# Range functions run over blocks of steps of about this many (series x step) cells: their
# temporaries then stay small and cache-resident instead of hundreds of megabytes.
_RANGE_CHUNK_CELLS = 1 << 15
# The rate family reads two samples per window (plus any resets) with no loop over the window: a
# block's fixed cost (window bounds, gathers, a dozen small numpy calls) dominates at 32k cells, so
# it runs over larger blocks (8 MB arrays; 90 days x 500 series: 50 blocks instead of 400).
_RATE_CHUNK_CELLS = 1 << 17

# model.LabelNameRE in prometheus/common.
_LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")


@dataclass(frozen=True)
class FunctionSpec:
    """One PromQL function: its implementation and the label rule applied after it."""

    impl: Callable[[CallArgs], Value]
    # enh.DropMetricName in functions.go: the output loses __name__.
    drops_metric_name: bool = True
    # Range functions normally run block of steps by block (see _in_step_chunks); False for
    # those whose per-matrix precomputation costs more than their per-step temporaries.
    step_blocks: bool = True
    # Blocks of _RATE_CHUNK_CELLS instead of _RANGE_CHUNK_CELLS (no loop over the window).
    wide_blocks: bool = False
    # The same function over the whole grid at once, when the input suits it (else None).
    whole_grid: Callable[[CallArgs], Value | None] | None = None


def call_function(name: str, args: CallArgs) -> Value:
    """Run FUNCTIONS[name] and apply the shared output rules."""
    spec = FUNCTIONS.get(name)
    if spec is None:
        raise PromQLError(f"unsupported: function {name}() is not part of Prometheus 2.42")
    with np.errstate(all="ignore"):
        result = spec.whole_grid(args) if spec.whole_grid is not None else None
        if result is None:
            cells = _RATE_CHUNK_CELLS if spec.wide_blocks else _RANGE_CHUNK_CELLS
            result = _in_step_chunks(spec.impl, args, cells) if spec.step_blocks else spec.impl(args)
    if not isinstance(result, VectorOverGrid):
        return result
    if spec.drops_metric_name:
        result = VectorOverGrid(
            [drop_metric_name(labels) for labels in result.labels], result.values, result.present, None
        )
    return merge_same_labelsets(drop_absent_rows(result))


def _in_step_chunks(impl: Callable[[CallArgs], Value], args: CallArgs, block_cells: int = _RANGE_CHUNK_CELLS) -> Value:
    """Run a range function block of steps by block (results are per step, so blocks are
    independent: the block size changes no value); other functions run at once."""
    matrix = next((v for v in args.values if isinstance(v, MatrixOverGrid)), None)
    steps = len(args.step_ms)
    chunk = max(1, block_cells // max(1, len(matrix.series))) if matrix is not None else steps
    if chunk >= steps:
        return impl(args)
    values = present = labels = None
    for start in range(0, steps, chunk):
        cols = slice(start, start + chunk)
        piece = impl(_step_slice(args, cols))
        assert isinstance(piece, VectorOverGrid)  # range functions return instant vectors
        if values is None:  # every block yields the same rows (one per series, or one row)
            labels = piece.labels
            values = np.zeros((len(labels), steps))
            present = np.zeros((len(labels), steps), dtype=bool)
        values[:, cols] = piece.values
        present[:, cols] = piece.present
    return VectorOverGrid(labels, values, present)


def _step_slice(args: CallArgs, cols: slice) -> CallArgs:
    values: list[Value] = []
    for value in args.values:
        if isinstance(value, MatrixOverGrid):
            values.append(matrix_step_slice(value, cols))
        elif isinstance(value, ScalarOverGrid):
            values.append(ScalarOverGrid(value.values[cols]))
        else:
            values.append(value)
    return CallArgs(values, args.exprs, args.step_ms[cols])


# ---------------------------------------------------------------------------------------------
# Instant-vector functions


def _elementwise(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[CallArgs], VectorOverGrid]:
    """functions.go simpleFunc: fn applied to every value (the wrapper drops __name__)."""

    def impl(args: CallArgs) -> VectorOverGrid:
        vec = args.vector(0)
        return VectorOverGrid(list(vec.labels), fn(vec.values), vec.present.copy())

    return impl


def _sgn(values: np.ndarray) -> np.ndarray:
    return np.where(values < 0, -1.0, np.where(values > 0, 1.0, values))


def _clamp_result(args: CallArgs, low: np.ndarray, high: np.ndarray, allowed: np.ndarray) -> VectorOverGrid:
    vec = args.vector(0)
    values = go_max(low[None, :], go_min(high[None, :], vec.values))
    return VectorOverGrid(list(vec.labels), values, vec.present & allowed[None, :])


def clamp(args: CallArgs) -> VectorOverGrid:
    """funcClamp: nothing at a step where max < min."""
    low, high = args.scalar(1), args.scalar(2)
    return _clamp_result(args, low, high, ~(high < low))


def clamp_min(args: CallArgs) -> VectorOverGrid:
    low = args.scalar(1)
    vec = args.vector(0)
    return VectorOverGrid(list(vec.labels), go_max(low[None, :], vec.values), vec.present.copy())


def clamp_max(args: CallArgs) -> VectorOverGrid:
    high = args.scalar(1)
    vec = args.vector(0)
    return VectorOverGrid(list(vec.labels), go_min(high[None, :], vec.values), vec.present.copy())


def round_(args: CallArgs) -> VectorOverGrid:
    """funcRound: math.Floor(v*toNearestInverse+0.5) / toNearestInverse (ties round up)."""
    vec = args.vector(0)
    to_nearest = args.scalar(1) if len(args.values) > 1 else np.ones(vec.values.shape[1])
    inverse = (1.0 / to_nearest)[None, :]
    values = np.floor(vec.values * inverse + 0.5) / inverse
    return VectorOverGrid(list(vec.labels), values, vec.present.copy())


def scalar(args: CallArgs) -> ScalarOverGrid:
    """funcScalar: the single element's value, NaN unless exactly one element is present."""
    vec = args.vector(0)
    if len(vec) == 0:
        return ScalarOverGrid(np.full(len(args.step_ms), np.nan))
    single = vec.present.sum(axis=0) == 1
    value = vec.values[vec.present.argmax(axis=0), np.arange(vec.values.shape[1])]
    return ScalarOverGrid(np.where(single, value, np.nan))


def vector(args: CallArgs) -> VectorOverGrid:
    values = args.scalar(0)
    return one_row((), values, np.ones(len(values), dtype=bool))


def time_(args: CallArgs) -> ScalarOverGrid:
    """funcTime: float64(enh.Ts) / 1000."""
    return ScalarOverGrid(ms_to_seconds(args.step_ms))


def pi(args: CallArgs) -> ScalarOverGrid:
    return ScalarOverGrid(np.full(len(args.step_ms), math.pi))


def timestamp(args: CallArgs) -> VectorOverGrid:
    """funcTimestamp: for a plain selector argument the raw sample time (engine.go special
    case); for any other argument the evaluation time, as rangeEval stamps points with ts."""
    vec = args.vector(0)
    if vec.sample_ms is not None and isinstance(args.exprs[0], promql_parser.VectorSelector):
        sample_ms = vec.sample_ms
    else:
        sample_ms = np.broadcast_to(args.step_ms[None, :], vec.values.shape)
    return VectorOverGrid(list(vec.labels), ms_to_seconds(sample_ms), vec.present.copy())


def _sort_passthrough(args: CallArgs) -> VectorOverGrid:
    """sort/sort_desc only reorder an instant query's output; rule evaluation and promtool's
    comparison ignore order, and a VectorOverGrid keeps one row order for all steps."""
    vec = args.vector(0)
    return VectorOverGrid(list(vec.labels), vec.values, vec.present, vec.sample_ms)


def histogram_quantile(args: CallArgs) -> VectorOverGrid:
    from .histogram import histogram_quantile as bucket_histogram_quantile  # imported late, as the engine does

    return bucket_histogram_quantile(args.values[0], args.vector(1))


def _native_histogram_only(args: CallArgs) -> VectorOverGrid:
    """histogram_count/sum/fraction skip float samples; storage holds only floats, so the
    result is always empty, exactly as Prometheus answers for classic histograms."""
    vec = args.vector(len(args.values) - 1)
    return VectorOverGrid([], np.zeros((0, vec.values.shape[1])), np.zeros((0, vec.values.shape[1]), bool))


# --- absent


def absent(args: CallArgs) -> VectorOverGrid:
    vec = args.vector(0)
    nothing = ~vec.present.any(axis=0) if len(vec) else np.ones(len(args.step_ms), dtype=bool)
    return one_row(labels_for_absent(args.exprs[0]), np.ones(len(args.step_ms)), nothing)


# --- labels


def go_expand(template: str, match: re.Match) -> str:
    """Go regexp.Expand: $name or ${name}, the longest run of [A-Za-z0-9_] after $; a number
    is a group index; an unknown or unmatched group expands to ""; $$ is a literal $."""
    out: list[str] = []
    i = 0
    while i < len(template):
        char = template[i]
        if char != "$" or i + 1 == len(template):
            out.append(char)
            i += 1
            continue
        nxt = template[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
            continue
        if nxt == "{":
            end = template.find("}", i + 2)
            name = template[i + 2 : end] if end >= 0 else ""
            if end < 0 or not re.fullmatch(r"[A-Za-z0-9_]+", name):
                out.append(char)
                i += 1
                continue
            i = end + 1
        else:
            run = re.match(r"[A-Za-z0-9_]+", template[i + 1 :])
            if run is None:
                out.append(char)
                i += 1
                continue
            name = run.group(0)
            i += 1 + len(name)
        out.append(_group_text(match, name))
    return "".join(out)


def _group_text(match: re.Match, name: str) -> str:
    try:
        group = match.group(int(name)) if name.isdigit() else match.group(name)
    except IndexError:
        return ""
    return group or ""


def label_replace(args: CallArgs) -> VectorOverGrid:
    """funcLabelReplace: regex fully anchored; no match keeps the labels; an empty
    replacement deletes the destination label."""
    vec = args.vector(0)
    dst, replacement, src, regex = (args.string(i) for i in range(1, 5))
    try:
        # RE2 syntax translated as for label matchers (common/regex.py); fullmatch below is
        # Go's ^(?:re)$ anchoring, where Python's $ would also match before a final newline.
        pattern = compile_anchored(regex)
    except GoRegexpError:
        raise PromQLError(f"invalid regular expression in label_replace(): {regex}") from None
    if not _LABEL_NAME_RE.match(dst):
        raise PromQLError(f"invalid destination label name in label_replace(): {dst}")
    new_labels = []
    for labels in vec.labels:
        source = dict(labels).get(src, "")
        match = pattern.fullmatch(source)
        if match is None:
            new_labels.append(labels)
        else:
            new_labels.append(labels_set(labels, dst, go_expand(replacement, match)))
    return with_labels(vec, new_labels)


def label_join(args: CallArgs) -> VectorOverGrid:
    """funcLabelJoin: the source values joined by the separator; empty deletes the label."""
    vec = args.vector(0)
    dst, separator = args.string(1), args.string(2)
    sources = [args.string(i) for i in range(3, len(args.values))]
    for source in sources:
        if not _LABEL_NAME_RE.match(source):
            raise PromQLError(f"invalid source label name in label_join(): {source}")
    if not _LABEL_NAME_RE.match(dst):
        raise PromQLError(f"invalid destination label name in label_join(): {dst}")
    new_labels = []
    for labels in vec.labels:
        mapping = dict(labels)
        joined = separator.join(mapping.get(source, "") for source in sources)
        new_labels.append(labels_set(labels, dst, joined))
    return with_labels(vec, new_labels)


# --- dates


def _date_function(field: str) -> Callable[[CallArgs], VectorOverGrid]:
    """functions.go dateWrapper: no argument → the evaluation time (time.Unix(ts/1000, 0)), one
    unlabeled element; else each value read as time.Unix(int64(v), 0), Go's conversion and
    calendar arithmetic included (gomath.go_date_field)."""

    def impl(args: CallArgs) -> VectorOverGrid:
        if not args.values:
            # Go's integer division truncates toward zero.
            seconds = np.where(args.step_ms < 0, -((-args.step_ms) // 1000), args.step_ms // 1000)
            return one_row((), go_date_field(field, seconds), np.ones(len(args.step_ms), bool))
        vec = args.vector(0)
        values = go_date_field(field, go_float_to_int64(vec.values))
        return VectorOverGrid(list(vec.labels), values, vec.present.copy())

    return impl


# ---------------------------------------------------------------------------------------------


def _rate_function(is_counter: bool, is_rate: bool) -> Callable[[CallArgs], VectorOverGrid]:
    return lambda args: ranged.extrapolated_rate(args.matrix(0), is_counter, is_rate)


def _rate_over_shared_times(is_counter: bool, is_rate: bool) -> Callable[[CallArgs], VectorOverGrid | None]:
    def rate(args: CallArgs) -> VectorOverGrid | None:
        from .shared_times import extrapolated_rate_over_shared_times  # loaded on first use: start-up

        return extrapolated_rate_over_shared_times(args.matrix(0), is_counter, is_rate)

    return rate


def _rate_spec(is_counter: bool, is_rate: bool) -> FunctionSpec:
    return FunctionSpec(
        _rate_function(is_counter, is_rate),
        wide_blocks=True,
        whole_grid=_rate_over_shared_times(is_counter, is_rate),
    )


_MATH = {
    "abs": np.abs,
    "ceil": np.ceil,
    "floor": np.floor,
    "exp": go_exp,
    "sqrt": np.sqrt,
    "ln": go_log,
    "log2": go_log2,
    "log10": go_log10,
    "sin": go_sin,
    "cos": go_cos,
    "tan": go_tan,
    "asin": go_asin,
    "acos": go_acos,
    "atan": go_atan,
    "sinh": go_sinh,
    "cosh": go_cosh,
    "tanh": go_tanh,
    "asinh": go_asinh,
    "acosh": go_acosh,
    "atanh": go_atanh,
    "rad": lambda v: v * math.pi / 180,
    "deg": lambda v: v * 180 / math.pi,
    "sgn": _sgn,
}

_DATES = ["year", "month", "day_of_month", "day_of_year", "day_of_week", "days_in_month", "hour", "minute"]

# functions.go FunctionCalls at v2.42.0: every function of that release.
FUNCTIONS: dict[str, FunctionSpec] = {
    **{name: FunctionSpec(_elementwise(fn)) for name, fn in _MATH.items()},
    **{name: FunctionSpec(_date_function(name)) for name in _DATES},
    "rate": _rate_spec(True, True),
    "increase": _rate_spec(True, False),
    "delta": _rate_spec(False, False),
    "irate": FunctionSpec(lambda args: ranged.instant_value(args.matrix(0), True), wide_blocks=True),
    "idelta": FunctionSpec(lambda args: ranged.instant_value(args.matrix(0), False), wide_blocks=True),
    "sum_over_time": FunctionSpec(ranged.sum_over_time),
    "avg_over_time": FunctionSpec(ranged.avg_over_time),
    "count_over_time": FunctionSpec(ranged.count_over_time),
    "max_over_time": FunctionSpec(ranged.max_over_time, step_blocks=False),
    "min_over_time": FunctionSpec(ranged.min_over_time, step_blocks=False),
    "quantile_over_time": FunctionSpec(ranged.quantile_over_time),
    "stddev_over_time": FunctionSpec(ranged.stddev_over_time),
    "stdvar_over_time": FunctionSpec(ranged.stdvar_over_time),
    "last_over_time": FunctionSpec(ranged.last_over_time, drops_metric_name=False),
    "present_over_time": FunctionSpec(ranged.present_over_time),
    "absent_over_time": FunctionSpec(ranged.absent_over_time, drops_metric_name=False),
    "changes": FunctionSpec(ranged.changes),
    "resets": FunctionSpec(ranged.resets),
    "deriv": FunctionSpec(ranged.deriv),
    "predict_linear": FunctionSpec(ranged.predict_linear),
    "holt_winters": FunctionSpec(ranged.holt_winters),
    "absent": FunctionSpec(absent, drops_metric_name=False),
    "clamp": FunctionSpec(clamp),
    "clamp_min": FunctionSpec(clamp_min),
    "clamp_max": FunctionSpec(clamp_max),
    "round": FunctionSpec(round_),
    "scalar": FunctionSpec(scalar),
    "vector": FunctionSpec(vector, drops_metric_name=False),
    "time": FunctionSpec(time_),
    "pi": FunctionSpec(pi),
    "timestamp": FunctionSpec(timestamp),
    "label_replace": FunctionSpec(label_replace, drops_metric_name=False),
    "label_join": FunctionSpec(label_join, drops_metric_name=False),
    "sort": FunctionSpec(_sort_passthrough, drops_metric_name=False),
    "sort_desc": FunctionSpec(_sort_passthrough, drops_metric_name=False),
    "histogram_quantile": FunctionSpec(histogram_quantile, drops_metric_name=False),
    "histogram_count": FunctionSpec(_native_histogram_only),
    "histogram_sum": FunctionSpec(_native_histogram_only),
    "histogram_fraction": FunctionSpec(_native_histogram_only),
}
