"""PromQL range-vector functions of Prometheus 2.42 over every (series, step) window at once.

Mirrors the matrix functions of promql/functions.go at v2.42.0. Each function reads `Windows`
(index ranges into one flat sample array, selectors.matrix_windows); those whose float result
depends on the order of operations (sum_over_time, avg_over_time, stddev, deriv, ...) loop
over the offset k inside the window, vectorized over every window, to replay Prometheus's
exact sequence of float operations. Order-free reductions (count, last, max, min, changes,
resets) need no such loop.
"""

from __future__ import annotations

import numpy as np

from .callargs import CallArgs, labels_for_absent, ms_to_seconds, one_row
from .gomath import go_format_f
from .model import MatrixOverGrid, PromQLError, VectorOverGrid
from .selectors import Windows, matrix_windows, shared_cache

# Steps per chunk when a function materialises (windows x samples) arrays (quantile_over_time).
_QUANTILE_CHUNK_CELLS = 4_000_000


# ---------------------------------------------------------------------------------------------
# Window helpers


def _sample_at(windows: Windows, k: int | np.ndarray, with_time: bool = True):
    """The k-th sample of every window: (value, time or None, valid)."""
    index = windows.lo + k
    valid = index < windows.hi
    return _take(windows, index, valid, with_time)


def _take(windows: Windows, index: np.ndarray, valid: np.ndarray, with_time: bool = True):
    """Gather flat samples at index; where not valid the value is arbitrary (callers mask it).
    mode="clip" keeps an index just past either end in bounds without a masking pass."""
    if len(windows.flat_v) == 0:  # no samples at all: every window is empty
        return np.zeros(index.shape), np.zeros(index.shape, dtype=np.int64), valid
    times = np.take(windows.flat_t, index, mode="clip") if with_time else None
    return np.take(windows.flat_v, index, mode="clip"), times, valid


def _gather(windows: Windows, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(value, time) at flat index for every window; arbitrary where the window has no such
    sample (callers mask those cells)."""
    values, times, _ = _take(windows, index, None)
    return values, times


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
    # error = (total - (new_total - virtual)) + (inc - virtual), in two reused buffers.
    error = new_total - virtual
    np.subtract(total, error, out=error)
    np.subtract(inc, virtual, out=virtual)
    np.add(error, virtual, out=error)
    np.add(compensation, error, out=error)
    return new_total, error


def neumaier_sum_inc(inc, total, compensation):
    """kahanSumInc exactly as functions.go writes it (the reference for kahan_sum_inc)."""
    new_total = total + inc
    compensation = compensation + np.where(
        np.abs(total) >= np.abs(inc), (total - new_total) + inc, (inc - new_total) + total
    )
    return new_total, compensation


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
    return flags_in_windows(positions, windows.lo, windows.hi)


def flags_in_windows(positions: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Per window [lo, hi): how many flagged positions lie in (lo, hi), and the rank of the first
    one. (searchsorted on the few flagged positions beats a cumulative sum over every sample.)"""
    first = np.searchsorted(positions, np.minimum(lo + 1, hi), side="left")
    counts = np.searchsorted(positions, hi, side="left") - first
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
    enough = count >= 2  # fewer than two samples: no output (other cells are masked below)
    v_first, t_first = _gather(windows, windows.lo)
    v_last, t_last = _gather(windows, windows.hi - 1)
    result = v_last - v_first
    if is_counter:
        result = _add_counter_resets(windows, result, enough)
    range_start = matrix.window_start_ms[None, :]
    range_end = matrix.window_end_ms[None, :]
    duration_to_start = ms_to_seconds(t_first - range_start)
    duration_to_end = ms_to_seconds(range_end - t_last)
    sampled_interval = ms_to_seconds(t_last - t_first)
    average_between = sampled_interval / np.maximum(count - 1, 1).astype(np.float64)
    if is_counter:
        # Trap 3 (functions.go extrapolatedRate, 2.42): the zero-point clamp comes BEFORE the
        # 1.1 x average threshold test (2.51+ swapped the order).
        duration_to_zero = sampled_interval * (v_first / result)
        clamp = (result > 0) & (v_first >= 0) & (duration_to_zero < duration_to_start)
        duration_to_start = np.where(clamp, duration_to_zero, duration_to_start)
    threshold = average_between * 1.1
    half_average = average_between / 2
    extrapolate_to = sampled_interval
    extrapolate_to = extrapolate_to + np.where(duration_to_start < threshold, duration_to_start, half_average)
    extrapolate_to = extrapolate_to + np.where(duration_to_end < threshold, duration_to_end, half_average)
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
    if len(positions) == 0:  # the usual case: no counter reset anywhere in these samples
        return result
    counts, first = _flag_counts(windows, positions)
    return add_resets_in_order(result, np.where(enough, counts, 0), first, positions, windows.flat_v)


def add_resets_in_order(result, counts, first, positions, values):
    """result + values[p - 1] for each window's reset positions p, one at a time in sample order."""
    for m in range(int(counts.max()) if counts.size else 0):
        active = counts > m
        position = positions[np.where(active, first + m, 0)]
        result = np.where(active, result + values[position - 1], result)
    return result


def instant_value(matrix: MatrixOverGrid, is_rate: bool) -> VectorOverGrid:
    """functions.go instantValue: irate / idelta from the last two samples of each window."""
    windows = matrix_windows(matrix)
    v_last, t_last, _ = _last_sample(windows, 1)
    v_prev, t_prev, enough = _last_sample(windows, 2)
    if is_rate:
        result = np.where(v_last < v_prev, v_last, v_last - v_prev)  # counter reset
        result = result / (ms_to_seconds(t_last - t_prev))
    else:
        result = v_last - v_prev
    enough = enough & (t_last != t_prev)
    return _range_output(matrix, result, enough)


# ---------------------------------------------------------------------------------------------
# *_over_time


def _over_time_sequential(matrix: MatrixOverGrid, init, step, finish, with_time: bool = False) -> VectorOverGrid:
    """Run a per-sample accumulator over every window, k = 0..longest window, vectorized.
    step(state, value, time or None, k) returns the new state of every window it is given.

    Prometheus's float order forbids a shortcut here: funcAvgOverTime, funcStdvarOverTime and
    funcSumOverTime (functions.go) fold each window from its own first sample (the k-th step of an
    incremental mean divides by k), so the window one sample later is a different sequence of
    operations. Sliding (add the new sample, drop the old) and prefix sums round differently;
    the cost is one vectorized pass per offset in the longest window (docs/evaluator.md).

    Windows are visited longest first, so the windows still holding a k-th sample are a prefix of
    that order: each pass updates that prefix, with no masking and no work for windows already
    done (a grid's first windows are short: a 2-day window over a 14-day grid is not full for a
    seventh of it). Each window still sees exactly its own sequence of operations."""
    windows = matrix_windows(matrix)
    count = windows.count.ravel()
    order = np.argsort(-count, kind="stable")
    first = windows.lo.ravel()[order]
    # still_open[k]: how many windows (a prefix of `order`) hold a k-th sample.
    still_open = np.searchsorted(-count[order], -np.arange(windows.max_count), side="left")
    state = init(count.shape)
    for k, width in enumerate(still_open.tolist()):
        index = first[:width] + k
        v = windows.flat_v[index]
        t = windows.flat_t[index] if with_time else None
        updated = step(tuple(part[:width] for part in state), v, t, k)
        for part, new in zip(state, updated):
            part[:width] = new
    unsorted = tuple(np.empty_like(part) for part in state)
    for part, sorted_part in zip(unsorted, state):
        part[order] = sorted_part
    shape = windows.count.shape
    return _range_output(matrix, finish(tuple(part.reshape(shape) for part in unsorted), windows), windows.count > 0)


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


# Below this magnitude a running mean cannot overflow: its Kahan terms stay under 3x the
# largest sample.
_NO_OVERFLOW_MAGNITUDE = 1e300


def avg_over_time(args: CallArgs) -> VectorOverGrid:
    """funcAvgOverTime (2.42): compensated incremental mean with its Inf special cases.

    The special cases only act once the mean is infinite, which needs an infinite sample or
    an overflow; when the matrix has neither, the plain step (same bits, half the work) runs."""
    matrix = args.matrix(0)

    def plain_step(state, v, t, k):
        mean, compensation = state
        count = float(k + 1)
        return kahan_sum_inc(v / count - mean / count, mean, compensation)

    def step(state, v, t, k):
        mean, compensation = state
        mean_inf = np.isinf(mean)
        same_sign_inf = np.isinf(v) & ((mean > 0) == (v > 0))
        finite_value = ~np.isinf(v) & ~np.isnan(v)
        keep = mean_inf & (same_sign_inf | finite_value)
        new_mean, new_comp = plain_step(state, v, t, k)
        return np.where(keep, mean, new_mean), np.where(keep, compensation, new_comp)

    def finish(state, windows):
        mean, compensation = state
        return np.where(np.isinf(mean), mean, mean + compensation)

    chosen = step if _may_reach_infinity(matrix) else plain_step
    return _over_time_sequential(matrix, _zeros(2), chosen, finish)


def _may_reach_infinity(matrix: MatrixOverGrid) -> bool:
    """Could a running sum or mean over this matrix's samples become infinite? (True when some
    sample is infinite or at least _NO_OVERFLOW_MAGNITUDE in size; NaNs cannot make it so.)"""
    cache = shared_cache(matrix)
    if "may_reach_infinity" not in cache:
        checked: set[int] = set()
        large = False
        for series in matrix.series:
            if large or id(series.v) in checked or len(series.v) == 0:
                continue
            checked.add(id(series.v))  # the series keep their arrays alive, so ids stay unique
            # fmax/fmin skip NaN; an all-NaN series gives NaN, which compares False.
            large = bool(
                np.fmax.reduce(series.v) >= _NO_OVERFLOW_MAGNITUDE
                or np.fmin.reduce(series.v) <= -_NO_OVERFLOW_MAGNITUDE
            )
        cache["may_reach_infinity"] = large
    return cache["may_reach_infinity"]


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
        v, t, valid = _sample_at(windows, k)
        const_y &= ~valid | (v == init_y)
        x = ms_to_seconds(t - intercept_ms)
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


def absent_over_time(args: CallArgs) -> VectorOverGrid:
    """1 at steps where no series has a sample in its window, labelled as for absent()."""
    windows = matrix_windows(args.matrix(0))
    any_sample = (windows.count > 0).any(axis=0) if windows.count.size else np.zeros(len(args.step_ms), bool)
    return one_row(labels_for_absent(args.exprs[0]), np.ones(len(args.step_ms)), ~any_sample)
