"""PromQL functions of Prometheus 2.42, each evaluated over the whole grid at once.

Mirrors promql/functions.go at v2.42.0: one table, FUNCTIONS, maps a name to its
implementation; `call_function` applies the shared rules once (dropping __name__, merging rows
that then share a label set). Range functions see a MatrixOverGrid and work on `Windows`
(index ranges into one flat sample array); functions whose float result depends on the order
of additions (sum_over_time, avg_over_time, stddev, deriv, ...) loop over the offset k inside
the window, vectorized over every (series, step), to replay Prometheus's exact sequence of
float operations. Order-free reductions (count, last, max, min, changes, resets) need no loop.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import promql_parser

from .model import (
    METRIC_NAME,
    Labels,
    MatrixOverGrid,
    PromQLError,
    ScalarOverGrid,
    Value,
    VectorOverGrid,
    labels_set,
)
from .selectors import Windows, matrix_step_slice, matrix_windows
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
from .vectors import drop_absent_rows, drop_metric_name, merge_same_labelsets, with_labels

# Steps per chunk when a function materialises (windows x samples) arrays (quantile_over_time).
_QUANTILE_CHUNK_CELLS = 4_000_000

# Range functions run over blocks of steps of about this many (series x step) cells: their
# temporaries then stay small and cache-resident instead of hundreds of megabytes.
_RANGE_CHUNK_CELLS = 1 << 18

# model.LabelNameRE in prometheus/common.
_LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


@dataclass
class CallArgs:
    """Evaluated arguments of one call, and what some functions need beyond values."""

    values: list[Value]
    exprs: list  # the argument AST nodes, parentheses unwrapped
    step_ms: np.ndarray  # the evaluation timestamps (enh.Ts at every step)

    def vector(self, i: int) -> VectorOverGrid:
        return self.values[i]  # type: ignore[return-value]

    def matrix(self, i: int) -> MatrixOverGrid:
        return self.values[i]  # type: ignore[return-value]

    def scalar(self, i: int) -> np.ndarray:
        return self.values[i].values  # type: ignore[union-attr]

    def string(self, i: int) -> str:
        return self.values[i].value  # type: ignore[union-attr]


@dataclass(frozen=True)
class FunctionSpec:
    """One PromQL function: its implementation and the label rule applied after it."""

    impl: Callable[[CallArgs], Value]
    # enh.DropMetricName in functions.go: the output loses __name__.
    drops_metric_name: bool = True
    # Range functions normally run block of steps by block (see _in_step_chunks); False for
    # those whose per-matrix precomputation costs more than their per-step temporaries.
    step_blocks: bool = True


def call_function(name: str, args: CallArgs) -> Value:
    """Run FUNCTIONS[name] and apply the shared output rules."""
    spec = FUNCTIONS.get(name)
    if spec is None:
        raise PromQLError(f"unsupported: function {name}() is not part of Prometheus 2.42")
    with np.errstate(all="ignore"):
        result = _in_step_chunks(spec.impl, args) if spec.step_blocks else spec.impl(args)
    if not isinstance(result, VectorOverGrid):
        return result
    if spec.drops_metric_name:
        result = VectorOverGrid(
            [drop_metric_name(labels) for labels in result.labels], result.values, result.present, None
        )
    return merge_same_labelsets(drop_absent_rows(result))


def _in_step_chunks(impl: Callable[[CallArgs], Value], args: CallArgs) -> Value:
    """Run a range function block of steps by block (results are per step, so blocks are
    independent); other functions run at once."""
    matrix = next((v for v in args.values if isinstance(v, MatrixOverGrid)), None)
    steps = len(args.step_ms)
    chunk = max(1, _RANGE_CHUNK_CELLS // max(1, len(matrix.series))) if matrix is not None else steps
    if chunk >= steps:
        return impl(args)
    values = present = labels = None
    for start in range(0, steps, chunk):
        cols = slice(start, start + chunk)
        piece = impl(_step_slice(args, cols))
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
# Window helpers


def _sample_at(windows: Windows, k: int | np.ndarray, with_time: bool = True, all_valid: bool = False):
    """The k-th sample of every window: (value, time or None, valid). all_valid: the caller
    knows every window holds more than k samples (skips the masking)."""
    index = windows.lo + k
    valid = index < windows.hi
    return _take(windows, index, valid, with_time, all_valid)


def _take(windows: Windows, index: np.ndarray, valid: np.ndarray, with_time: bool = True, all_valid: bool = False):
    if len(windows.flat_v) == 0:  # no samples at all: every window is empty
        return np.zeros(index.shape), np.zeros(index.shape, dtype=np.int64), valid
    safe = index if all_valid else np.where(valid, index, 0)
    return windows.flat_v[safe], windows.flat_t[safe] if with_time else None, valid


def _last_sample(windows: Windows, back: int = 1):
    """The sample `back` places from the end of every window: (value, time, valid)."""
    index = windows.hi - back
    valid = index >= windows.lo
    return _take(windows, index, valid)


def _range_output(matrix: MatrixOverGrid, values: np.ndarray, present: np.ndarray) -> VectorOverGrid:
    """One output row per input series, labels as stored (call_function drops __name__)."""
    return VectorOverGrid([s.labels for s in matrix.series], np.where(present, values, 0.0), present)


def kahan_sum_inc(inc, total, compensation):
    """functions.go kahanSumInc: Kahan-Babuska-Neumaier step, elementwise.

    Neumaier adds the rounding error of total + inc, computed with the larger operand first;
    that error is exact and representable, so Knuth's branch-free TwoSum gives the same bits
    with fewer array passes. They differ only when total + inc overflows (Neumaier's error is
    -Inf, TwoSum's NaN); the total is then infinite, and every function returns the total
    or NaN regardless of the compensation (see test_kahan_forms_agree)."""
    new_total = total + inc
    virtual = new_total - total
    error = (total - (new_total - virtual)) + (inc - virtual)
    return new_total, compensation + error


def neumaier_sum_inc(inc, total, compensation):
    """kahanSumInc exactly as functions.go writes it (the reference for kahan_sum_inc)."""
    new_total = total + inc
    compensation = compensation + np.where(
        np.abs(total) >= np.abs(inc), (total - new_total) + inc, (inc - new_total) + total
    )
    return new_total, compensation


def _ms_to_seconds(ms) -> np.ndarray:
    """float64(ms)/1000 as Prometheus computes durations from millisecond timestamps."""
    return np.asarray(ms, dtype=np.int64).astype(np.float64) / 1000


def go_duration_seconds(ms: int) -> float:
    """time.Duration.Seconds(): whole seconds plus the nanosecond remainder / 1e9."""
    nanos = ms * 1_000_000
    return float(nanos // 1_000_000_000) + float(nanos % 1_000_000_000) / 1e9


def _flagged_positions(windows: Windows, name: str, compare) -> np.ndarray:
    """Flat indices i (never a series start) where compare(v[i], v[i-1]) holds, computed once
    per matrix and cached under `name`."""
    key = f"flagged:{name}"
    if key not in windows.cache:
        v = windows.flat_v
        flags = np.zeros(len(v), dtype=bool)
        if len(v) > 1:
            flags[1:] = compare(v[1:], v[:-1])
        flags[windows.series_start[windows.series_start < len(v)]] = False
        windows.cache[key] = np.flatnonzero(flags)
    return windows.cache[key]


def _flag_counts(windows: Windows, positions: np.ndarray):
    """Per window: how many flagged positions lie in (lo, hi), and the rank of the first one.
    (searchsorted on the few flagged positions beats a cumulative sum over every sample.)"""
    after_first = np.minimum(windows.lo + 1, windows.hi)
    first = np.searchsorted(positions, after_first, side="left")
    counts = np.searchsorted(positions, windows.hi, side="left") - first
    return counts, first


def _is_reset(cur, prev):
    return cur < prev


def _is_change(cur, prev):
    return (cur != prev) & ~(np.isnan(cur) & np.isnan(prev))


# ---------------------------------------------------------------------------------------------
# rate, increase, delta, irate, idelta


def extrapolated_rate(matrix: MatrixOverGrid, is_counter: bool, is_rate: bool) -> VectorOverGrid:
    """functions.go extrapolatedRate (2.42) over every window at once."""
    windows = matrix_windows(matrix)
    count = windows.count
    enough = count >= 2  # fewer than two samples: no output
    v_first, t_first, _ = _sample_at(windows, 0)
    v_last, t_last, _ = _last_sample(windows)
    result = v_last - v_first
    if is_counter:
        result = _add_counter_resets(windows, result, enough)
    range_start = matrix.window_start_ms[None, :]
    range_end = matrix.window_end_ms[None, :]
    duration_to_start = _ms_to_seconds(t_first - range_start)
    duration_to_end = _ms_to_seconds(range_end - t_last)
    sampled_interval = _ms_to_seconds(t_last - t_first)
    average_between = sampled_interval / np.maximum(count - 1, 1).astype(np.float64)
    if is_counter:
        # Trap 3 (functions.go extrapolatedRate, 2.42): the zero-point clamp comes BEFORE the
        # 1.1 x average threshold test (2.51+ swapped the order).
        duration_to_zero = sampled_interval * (v_first / result)
        clamp = (result > 0) & (v_first >= 0) & (duration_to_zero < duration_to_start)
        duration_to_start = np.where(clamp, duration_to_zero, duration_to_start)
    threshold = average_between * 1.1
    extrapolate_to = sampled_interval
    extrapolate_to = extrapolate_to + np.where(
        duration_to_start < threshold, duration_to_start, average_between / 2
    )
    extrapolate_to = extrapolate_to + np.where(duration_to_end < threshold, duration_to_end, average_between / 2)
    # Operation order matters to the last bit: factor = ext / sampled, then / range, then
    # result * factor (0+10x... over a full 5m window gives 0.16666666666666669, not 50/300).
    factor = extrapolate_to / sampled_interval
    if is_rate:
        factor = factor / go_duration_seconds(matrix.range_ms)
    return _range_output(matrix, result * factor, enough)


def _add_counter_resets(windows: Windows, result: np.ndarray, enough: np.ndarray) -> np.ndarray:
    """Add v[i-1] for every drop v[i] < v[i-1] inside each window, in sample order.

    Prometheus adds the corrections one by one starting from v_last - v_first; a prefix sum
    of corrections would round differently, so we find each window's resets by position and
    add them in the same order (the loop runs over the most resets any window holds).
    """
    positions = _flagged_positions(windows, "reset", _is_reset)
    counts, first = _flag_counts(windows, positions)
    counts = np.where(enough, counts, 0)
    for m in range(int(counts.max()) if counts.size else 0):
        active = counts > m
        position = positions[np.where(active, first + m, 0)]
        result = np.where(active, result + windows.flat_v[position - 1], result)
    return result


def instant_value(matrix: MatrixOverGrid, is_rate: bool) -> VectorOverGrid:
    """functions.go instantValue: irate / idelta from the last two samples of each window."""
    windows = matrix_windows(matrix)
    v_last, t_last, _ = _last_sample(windows, 1)
    v_prev, t_prev, enough = _last_sample(windows, 2)
    if is_rate:
        result = np.where(v_last < v_prev, v_last, v_last - v_prev)  # counter reset
        result = result / (_ms_to_seconds(t_last - t_prev))
    else:
        result = v_last - v_prev
    enough = enough & (t_last != t_prev)
    return _range_output(matrix, result, enough)


# ---------------------------------------------------------------------------------------------
# *_over_time


def _over_time_sequential(matrix: MatrixOverGrid, init, step, finish, with_time: bool = False) -> VectorOverGrid:
    """Run a per-sample accumulator over every window, k = 0..longest window, vectorized.
    step(state, value, time or None, k) returns the new state of every window."""
    windows = matrix_windows(matrix)
    present = windows.count > 0
    state = init(windows.count.shape)
    # Offsets every window holds need no masking (the common case: equal-length windows).
    always_valid = int(windows.count.min()) if windows.count.size else 0
    for k in range(windows.max_count):
        v, t, valid = _sample_at(windows, k, with_time, all_valid=k < always_valid)
        updated = step(state, v, t, k)
        if k < always_valid:
            state = tuple(updated)
        else:
            state = tuple(np.where(valid, new, old) for new, old in zip(updated, state))
    return _range_output(matrix, finish(state, windows), present)


def _zeros(count: int):
    return lambda shape: tuple(np.zeros(shape) for _ in range(count))


def sum_over_time(args: CallArgs) -> VectorOverGrid:
    """funcSumOverTime: Kahan-Neumaier sum; an infinite sum is returned without compensation."""

    def step(state, v, t, k):
        return kahan_sum_inc(v, state[0], state[1])

    def finish(state, windows):
        total, compensation = state
        return np.where(np.isinf(total), total, total + compensation)

    return _over_time_sequential(args.matrix(0), _zeros(2), step, finish)


def avg_over_time(args: CallArgs) -> VectorOverGrid:
    """funcAvgOverTime (2.42): compensated incremental mean with its Inf special cases."""

    def step(state, v, t, k):
        mean, compensation = state
        count = float(k + 1)
        mean_inf = np.isinf(mean)
        same_sign_inf = np.isinf(v) & ((mean > 0) == (v > 0))
        finite_value = ~np.isinf(v) & ~np.isnan(v)
        keep = mean_inf & (same_sign_inf | finite_value)
        new_mean, new_comp = kahan_sum_inc(v / count - mean / count, mean, compensation)
        return np.where(keep, mean, new_mean), np.where(keep, compensation, new_comp)

    def finish(state, windows):
        mean, compensation = state
        return np.where(np.isinf(mean), mean, mean + compensation)

    return _over_time_sequential(args.matrix(0), _zeros(2), step, finish)


def _variance_over_time(matrix: MatrixOverGrid) -> VectorOverGrid:
    """funcStdvarOverTime: Welford with Kahan-compensated mean and sum of squares."""

    def step(state, v, t, k):
        mean, c_mean, aux, c_aux = state
        count = float(k + 1)
        delta = v - (mean + c_mean)
        mean, c_mean = kahan_sum_inc(delta / count, mean, c_mean)
        aux, c_aux = kahan_sum_inc(delta * (v - (mean + c_mean)), aux, c_aux)
        return mean, c_mean, aux, c_aux

    def finish(state, windows):
        return (state[2] + state[3]) / windows.count.astype(np.float64)

    return _over_time_sequential(matrix, _zeros(4), step, finish)


def stdvar_over_time(args: CallArgs) -> VectorOverGrid:
    return _variance_over_time(args.matrix(0))


def stddev_over_time(args: CallArgs) -> VectorOverGrid:
    variance = _variance_over_time(args.matrix(0))
    variance.values = np.sqrt(variance.values)
    return variance


def count_over_time(args: CallArgs) -> VectorOverGrid:
    matrix = args.matrix(0)
    windows = matrix_windows(matrix)
    return _range_output(matrix, windows.count.astype(np.float64), windows.count > 0)


def present_over_time(args: CallArgs) -> VectorOverGrid:
    matrix = args.matrix(0)
    windows = matrix_windows(matrix)
    return _range_output(matrix, np.ones(windows.count.shape), windows.count > 0)


def last_over_time(args: CallArgs) -> VectorOverGrid:
    """funcLastOverTime keeps __name__ (the engine exempts it from dropping: it acts like offset)."""
    matrix = args.matrix(0)
    windows = matrix_windows(matrix)
    value, _, present = _last_sample(windows)
    return _range_output(matrix, value, present)


# Windows up to this many samples are reduced directly (reduceat); longer ones by doubling.
_DIRECT_REDUCE_MAX_WINDOW = 64


def _reduce_windows(ufunc: np.ufunc, windows: Windows) -> np.ndarray:
    """An idempotent ufunc (fmax, fmin) over every non-empty window."""
    if windows.max_count <= _DIRECT_REDUCE_MAX_WINDOW:
        return _reduce_windows_directly(ufunc, windows)
    return _reduce_windows_by_doubling(ufunc, windows)


def _reduce_windows_directly(ufunc: np.ufunc, windows: Windows) -> np.ndarray:
    """ufunc.reduceat over each window: O(total window length), no large temporaries."""
    result = np.zeros(windows.count.shape)
    nonempty = windows.count > 0
    if not nonempty.any():
        return result
    bounds = np.empty(2 * int(nonempty.sum()), dtype=np.int64)
    bounds[0::2] = windows.lo[nonempty]
    bounds[1::2] = windows.hi[nonempty]
    padded = np.append(windows.flat_v, 0.0)  # hi may equal len(flat_v)
    result[nonempty] = ufunc.reduceat(padded, bounds)[0::2]
    return result


def _reduce_windows_by_doubling(ufunc: np.ufunc, windows: Windows) -> np.ndarray:
    """O(n log W) for long windows.

    Level j holds ufunc over every run of 2^j consecutive samples, built by doubling; a
    window of length L with 2^j <= L < 2^(j+1) is ufunc of the two (overlapping) runs starting
    at lo and ending at hi. Overlap is harmless because the ufunc is idempotent, and runs
    never leave the window, so they never cross into another series."""
    result = np.zeros(windows.count.shape)
    nonempty = windows.count > 0
    if not nonempty.any():
        return result
    level_of = np.zeros(windows.count.shape, dtype=np.int64)
    level_of[nonempty] = np.floor(np.log2(windows.count[nonempty])).astype(np.int64)
    # log2 of exact powers of two is exact; guard the float rounding of the others anyway.
    level_of = np.where(nonempty & (2 ** (level_of + 1) <= windows.count), level_of + 1, level_of)
    runs = windows.flat_v
    span = 1
    top = int(level_of.max())
    for level in range(top + 1):
        selected = nonempty & (level_of == level)
        if selected.any():
            result[selected] = ufunc(runs[windows.lo[selected]], runs[windows.hi[selected] - span])
        if level < top:
            runs = ufunc(runs[:-span], runs[span:])
            span *= 2
    return result


def max_over_time(args: CallArgs) -> VectorOverGrid:
    """funcMaxOverTime: a leading NaN is replaced by the next value, later NaNs never win, so
    the result is the max ignoring NaN (NaN only if all are NaN): np.fmax."""
    matrix = args.matrix(0)
    windows = matrix_windows(matrix)
    return _range_output(matrix, _reduce_windows(np.fmax, windows), windows.count > 0)


def min_over_time(args: CallArgs) -> VectorOverGrid:
    """funcMinOverTime: as max_over_time, with np.fmin."""
    matrix = args.matrix(0)
    windows = matrix_windows(matrix)
    return _range_output(matrix, _reduce_windows(np.fmin, windows), windows.count > 0)


def quantile_over_time(args: CallArgs) -> VectorOverGrid:
    """funcQuantileOverTime with quantile() from quantile.go (NaN samples sort first)."""
    q = args.scalar(0)
    matrix = args.matrix(1)
    windows = matrix_windows(matrix)
    count = windows.count
    longest = windows.max_count
    result = np.zeros(count.shape)
    if longest:
        steps_per_chunk = max(1, _QUANTILE_CHUNK_CELLS // max(1, longest * count.shape[0]))
        for start in range(0, count.shape[1], steps_per_chunk):
            cols = slice(start, start + steps_per_chunk)
            result[:, cols] = _window_quantile(windows, cols, q[cols], longest)
    return _range_output(matrix, result, count > 0)


def _window_quantile(windows: Windows, cols: slice, q: np.ndarray, longest: int) -> np.ndarray:
    lo = windows.lo[:, cols]
    count = windows.count[:, cols]
    offsets = np.arange(longest)
    index = lo[..., None] + offsets
    inside = offsets < count[..., None]
    gathered = np.where(inside, windows.flat_v[np.where(inside, index, 0)], np.nan)
    real_nans = np.isnan(gathered).sum(axis=-1) - (longest - count)
    ascending = np.sort(gathered, axis=-1)  # non-NaN ascending, then NaNs (real and padding)
    n = count.astype(np.float64)
    qq = np.broadcast_to(q[None, :], n.shape)
    rank = qq * (n - 1)
    lower = np.maximum(0, np.floor(rank))
    upper = np.minimum(n - 1, lower + 1)
    weight = rank - np.floor(rank)

    def nth(position):
        # vectorByValueHeap sorts NaN first: element i is NaN for i < real_nans.
        position = np.nan_to_num(position, nan=0, posinf=0, neginf=0).astype(np.int64)
        source = np.clip(position - real_nans, 0, longest - 1)
        value = np.take_along_axis(ascending, source[..., None], axis=-1)[..., 0]
        return np.where(position < real_nans, np.nan, value)

    value = nth(lower) * (1 - weight) + nth(upper) * weight
    value = np.where(qq > 1, np.inf, value)
    value = np.where(qq < 0, -np.inf, value)
    return np.where(np.isnan(qq), np.nan, value)


def changes(args: CallArgs) -> VectorOverGrid:
    """funcChanges: adjacent values that differ, two NaNs counting as equal."""
    matrix = args.matrix(0)
    windows = matrix_windows(matrix)
    counts, _ = _flag_counts(windows, _flagged_positions(windows, "change", _is_change))
    return _range_output(matrix, counts.astype(np.float64), windows.count > 0)


def resets(args: CallArgs) -> VectorOverGrid:
    """funcResets: adjacent drops v[i] < v[i-1]."""
    matrix = args.matrix(0)
    windows = matrix_windows(matrix)
    counts, _ = _flag_counts(windows, _flagged_positions(windows, "reset", _is_reset))
    return _range_output(matrix, counts.astype(np.float64), windows.count > 0)


def linear_regression(windows: Windows, intercept_ms: np.ndarray):
    """functions.go linearRegression (2.42): Kahan sums of x, y, xy, x^2 with x in seconds
    relative to intercept_ms; a constant series gives slope 0 (NaN, NaN if it is infinite)."""
    shape = windows.count.shape
    n = windows.count.astype(np.float64)
    sums = [np.zeros(shape) for _ in range(8)]  # sumX, cX, sumY, cY, sumXY, cXY, sumX2, cX2
    init_y, _, _ = _sample_at(windows, 0)
    const_y = np.ones(shape, dtype=bool)
    always_valid = int(windows.count.min()) if windows.count.size else 0
    for k in range(windows.max_count):
        v, t, valid = _sample_at(windows, k, all_valid=k < always_valid)
        const_y &= ~valid | (v == init_y)
        x = _ms_to_seconds(t - intercept_ms)
        updated = []
        for pair, inc in zip(range(0, 8, 2), (x, v, x * v, x * x)):
            total, comp = kahan_sum_inc(inc, sums[pair], sums[pair + 1])
            if k < always_valid:
                updated += [total, comp]
            else:
                updated += [np.where(valid, total, sums[pair]), np.where(valid, comp, sums[pair + 1])]
        sums = updated
    sum_x, sum_y, sum_xy, sum_x2 = (sums[i] + sums[i + 1] for i in range(0, 8, 2))
    cov_xy = sum_xy - sum_x * sum_y / n
    var_x = sum_x2 - sum_x * sum_x / n
    slope = cov_xy / var_x
    intercept = sum_y / n - slope * sum_x / n
    inf_y = np.isinf(init_y)
    slope = np.where(const_y, np.where(inf_y, np.nan, 0.0), slope)
    intercept = np.where(const_y, np.where(inf_y, np.nan, init_y), intercept)
    return slope, intercept


def deriv(args: CallArgs) -> VectorOverGrid:
    """funcDeriv: the regression slope with x relative to the first sample's time."""
    matrix = args.matrix(0)
    windows = matrix_windows(matrix)
    _, t_first, _ = _sample_at(windows, 0)
    slope, _ = linear_regression(windows, t_first)
    return _range_output(matrix, slope, windows.count >= 2)


def predict_linear(args: CallArgs) -> VectorOverGrid:
    """funcPredictLinear: intercept at the evaluation time (enh.Ts), then slope*duration + intercept."""
    matrix = args.matrix(0)
    duration = args.scalar(1)[None, :]
    windows = matrix_windows(matrix)
    intercept_ms = np.broadcast_to(args.step_ms[None, :], windows.count.shape)
    slope, intercept = linear_regression(windows, intercept_ms)
    return _range_output(matrix, slope * duration + intercept, windows.count >= 2)


def holt_winters(args: CallArgs) -> VectorOverGrid:
    """funcHoltWinters: double exponential smoothing, factors strictly between 0 and 1."""
    matrix = args.matrix(0)
    smoothing, trend = args.scalar(1), args.scalar(2)
    windows = matrix_windows(matrix)
    in_use = (windows.count > 0).any(axis=0)
    for label, factor in (("smoothing", smoothing), ("trend", trend)):
        # Go tests sf <= 0 || sf >= 1: a NaN factor passes and yields NaN.
        bad = in_use & ((factor <= 0) | (factor >= 1))
        if bad.any():
            got = factor[np.flatnonzero(bad)[0]]
            raise PromQLError(f"invalid {label} factor. Expected: 0 < {label[0]}f < 1, got: {go_format_f(got)}")
    sf, tf = smoothing[None, :], trend[None, :]
    v0, _, _ = _sample_at(windows, 0)
    v1, _, _ = _sample_at(windows, 1)
    s0, s1, b = np.zeros(v0.shape), v0, v1 - v0
    for i in range(1, windows.max_count):
        v, _, valid = _sample_at(windows, i)
        x = sf * v
        if i > 1:  # calcTrendValue returns b unchanged for index 0
            b = np.where(valid, tf * (s1 - s0) + (1 - tf) * b, b)
        y = (1 - sf) * (s1 + b)
        s0, s1 = np.where(valid, s1, s0), np.where(valid, x + y, s1)
    return _range_output(matrix, s1, windows.count >= 2)


def go_format_f(value: float) -> str:
    """Go's %f: six decimals, with NaN, +Inf and -Inf spelled Go's way."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:f}"


def absent_over_time(args: CallArgs) -> VectorOverGrid:
    """1 at steps where no series has a sample in its window, labelled as for absent()."""
    windows = matrix_windows(args.matrix(0))
    any_sample = (windows.count > 0).any(axis=0) if windows.count.size else np.zeros(len(args.step_ms), bool)
    return _one_row(labels_for_absent(args.exprs[0]), np.ones(len(args.step_ms)), ~any_sample)


# ---------------------------------------------------------------------------------------------
# Instant-vector functions


def _one_row(labels: Labels, values: np.ndarray, present: np.ndarray) -> VectorOverGrid:
    return VectorOverGrid([labels], values[None, :].astype(np.float64), present[None, :].copy())


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
    return _one_row((), values, np.ones(len(values), dtype=bool))


def time_(args: CallArgs) -> ScalarOverGrid:
    """funcTime: float64(enh.Ts) / 1000."""
    return ScalarOverGrid(_ms_to_seconds(args.step_ms))


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
    return VectorOverGrid(list(vec.labels), _ms_to_seconds(sample_ms), vec.present.copy())


def _sort_passthrough(args: CallArgs) -> VectorOverGrid:
    """sort/sort_desc only reorder an instant query's output; rule evaluation and promtool's
    comparison ignore order, and a VectorOverGrid keeps one row order for all steps."""
    vec = args.vector(0)
    return VectorOverGrid(list(vec.labels), vec.values, vec.present, vec.sample_ms)


def histogram_quantile(args: CallArgs) -> VectorOverGrid:
    from .histogram import histogram_quantile as bucket_histogram_quantile  # engineer B2's module

    return bucket_histogram_quantile(args.values[0], args.vector(1))  # type: ignore[arg-type]


def _native_histogram_only(args: CallArgs) -> VectorOverGrid:
    """histogram_count/sum/fraction skip float samples; storage holds only floats, so the
    result is always empty, exactly as Prometheus answers for classic histograms."""
    vec = args.vector(len(args.values) - 1)
    return VectorOverGrid([], np.zeros((0, vec.values.shape[1])), np.zeros((0, vec.values.shape[1]), bool))


# --- absent


def labels_for_absent(expr) -> Labels:
    """functions.go createLabelsForAbsentFunction: equality matchers of a selector argument
    (not __name__); a name matched twice, or by any other matcher type, is left out."""
    if isinstance(expr, promql_parser.MatrixSelector):
        expr = expr.vector_selector
    if not isinstance(expr, promql_parser.VectorSelector):
        return ()
    result: dict[str, str] = {}
    seen: set[str] = set()
    for matcher in expr.matchers.matchers:
        if matcher.name == METRIC_NAME:
            continue
        if str(matcher.op) == "MatchOp.Equal" and matcher.name not in seen:
            result[matcher.name] = matcher.value
            seen.add(matcher.name)
        else:
            result.pop(matcher.name, None)
    return tuple(sorted((k, v) for k, v in result.items() if v != ""))


def absent(args: CallArgs) -> VectorOverGrid:
    vec = args.vector(0)
    nothing = ~vec.present.any(axis=0) if len(vec) else np.ones(len(args.step_ms), dtype=bool)
    return _one_row(labels_for_absent(args.exprs[0]), np.ones(len(args.step_ms)), nothing)


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
        pattern = re.compile(f"^(?:{regex})$")
    except re.error:
        raise PromQLError(f"invalid regular expression in label_replace(): {regex}") from None
    if not _LABEL_NAME_RE.match(dst):
        raise PromQLError(f"invalid destination label name in label_replace(): {dst}")
    new_labels = []
    for labels in vec.labels:
        source = dict(labels).get(src, "")
        match = pattern.match(source)
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
            return _one_row((), go_date_field(field, seconds), np.ones(len(args.step_ms), bool))
        vec = args.vector(0)
        values = go_date_field(field, go_float_to_int64(vec.values))
        return VectorOverGrid(list(vec.labels), values, vec.present.copy())

    return impl


# ---------------------------------------------------------------------------------------------


def _rate_function(is_counter: bool, is_rate: bool) -> Callable[[CallArgs], VectorOverGrid]:
    return lambda args: extrapolated_rate(args.matrix(0), is_counter, is_rate)


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
    "rate": FunctionSpec(_rate_function(True, True)),
    "increase": FunctionSpec(_rate_function(True, False)),
    "delta": FunctionSpec(_rate_function(False, False)),
    "irate": FunctionSpec(lambda args: instant_value(args.matrix(0), True)),
    "idelta": FunctionSpec(lambda args: instant_value(args.matrix(0), False)),
    "sum_over_time": FunctionSpec(sum_over_time),
    "avg_over_time": FunctionSpec(avg_over_time),
    "count_over_time": FunctionSpec(count_over_time),
    "max_over_time": FunctionSpec(max_over_time, step_blocks=False),
    "min_over_time": FunctionSpec(min_over_time, step_blocks=False),
    "quantile_over_time": FunctionSpec(quantile_over_time),
    "stddev_over_time": FunctionSpec(stddev_over_time),
    "stdvar_over_time": FunctionSpec(stdvar_over_time),
    "last_over_time": FunctionSpec(last_over_time, drops_metric_name=False),
    "present_over_time": FunctionSpec(present_over_time),
    "absent_over_time": FunctionSpec(absent_over_time, drops_metric_name=False),
    "changes": FunctionSpec(changes),
    "resets": FunctionSpec(resets),
    "deriv": FunctionSpec(deriv),
    "predict_linear": FunctionSpec(predict_linear),
    "holt_winters": FunctionSpec(holt_winters),
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
