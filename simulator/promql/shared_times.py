"""rate, increase and delta over series that share one timestamp array, a row at a time.

Generated scenarios store every series on one timestamp array (and a rule's outputs share
theirs), so every quantity extrapolatedRate derives from timestamps alone (the window bounds,
the durations to the window's ends, the average interval, the extrapolation factor) is the same
for all of them. Computed once per timestamp array and broadcast over each series' row, it is
the same float operations on the same operands as the per-cell computation in
range_functions.extrapolated_rate, so every result is bit-for-bit the same; only the two value
gathers, the counter corrections and the zero-point clamp remain per cell. Series sharing their
value array too (every feature's lookups count the same requests) are computed once.

Matrices whose series mostly have timestamps of their own (a promtool test file, data from a
Prometheus server) take the general path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .callargs import ms_to_seconds
from .model import MatrixOverGrid, Series, VectorOverGrid
from .range_functions import add_resets_in_order, flags_in_windows, go_duration_seconds
from .selectors import HIDDEN_CUTOFF_KEY, STEP_SLICE_KEY, visible_end_index

# Below this many series per distinct timestamp array, the general path's vectorization over
# every (series, step) cell wins over one row of numpy calls per series.
MIN_SERIES_PER_TIMESTAMP_ARRAY = 4


@dataclass(eq=False, repr=False)  # never compared or printed
class _TimeRow:
    """What extrapolatedRate derives from the timestamps alone, per step, for one timestamp array."""

    first: np.ndarray  # index of each window's first sample (clipped into the array)
    last: np.ndarray  # index of each window's last sample (clipped into the array)
    enough: np.ndarray  # at least two samples: the window has a result
    lo: np.ndarray
    hi: np.ndarray
    sampled_interval: np.ndarray
    duration_to_start: np.ndarray
    threshold: np.ndarray
    half_average: np.ndarray
    end_part: np.ndarray  # the extrapolation towards the window's end
    factor: np.ndarray  # the whole factor when the zero-point clamp does not apply


def extrapolated_rate_over_shared_times(
    matrix: MatrixOverGrid, is_counter: bool, is_rate: bool
) -> VectorOverGrid | None:
    """functions.go extrapolatedRate for every series and step, or None when the series do not
    share timestamp arrays enough for this path to pay (the caller takes the general path)."""
    if STEP_SLICE_KEY in matrix.extra:
        return None
    rows_by_times = _rows_by_timestamp_array(matrix.series)
    if len(rows_by_times) * MIN_SERIES_PER_TIMESTAMP_ARRAY > len(matrix.series):
        return None
    steps = len(matrix.window_end_ms)
    values = np.zeros((len(matrix.series), steps))
    present = np.zeros((len(matrix.series), steps), dtype=bool)
    range_s = go_duration_seconds(matrix.range_ms) if is_rate else None
    for rows in rows_by_times:
        series = matrix.series[rows[0]]
        if len(series.t) == 0:
            continue  # no samples: no window has a result
        times = _time_row(matrix, series, range_s)
        done: dict[int, int] = {}  # id(values array) -> the row already computed from it
        for row in rows:
            v = matrix.series[row].v
            if id(v) in done:
                values[row] = values[done[id(v)]]
            else:
                # Cells without a result are 0, as range_functions._range_output leaves them.
                values[row] = np.where(times.enough, _rate_row(v, times, is_counter, range_s), 0.0)
                done[id(v)] = row
            present[row] = times.enough
    return VectorOverGrid([s.labels for s in matrix.series], values, present)


def _rows_by_timestamp_array(series_list: list[Series]) -> list[list[int]]:
    """Row numbers grouped by (timestamp array identity, hidden flag), in first-seen order."""
    groups: dict[tuple[int, bool], list[int]] = {}
    for row, series in enumerate(series_list):
        groups.setdefault((id(series.t), series.hidden_at_eval_time), []).append(row)
    return list(groups.values())


def _time_row(matrix: MatrixOverGrid, series: Series, range_s: float | None) -> _TimeRow:
    """selectors._window_bounds and the timestamp half of extrapolatedRate, for one array."""
    t = series.t
    hi = visible_end_index(series, matrix.window_end_ms, matrix.extra.get(HIDDEN_CUTOFF_KEY))
    lo = np.minimum(np.searchsorted(t, matrix.window_start_ms, side="left"), hi)
    first = np.minimum(lo, len(t) - 1)
    last = np.clip(hi - 1, 0, len(t) - 1)
    count = hi - lo
    t_first, t_last = t[first], t[last]
    duration_to_start = ms_to_seconds(t_first - matrix.window_start_ms)
    duration_to_end = ms_to_seconds(matrix.window_end_ms - t_last)
    sampled_interval = ms_to_seconds(t_last - t_first)
    average_between = sampled_interval / np.maximum(count - 1, 1).astype(np.float64)
    threshold = average_between * 1.1
    half_average = average_between / 2
    end_part = np.where(duration_to_end < threshold, duration_to_end, half_average)
    factor = _factor(sampled_interval, duration_to_start, threshold, half_average, end_part, range_s)
    return _TimeRow(
        first, last, count >= 2, lo, hi, sampled_interval, duration_to_start, threshold, half_average, end_part, factor
    )


def _factor(sampled_interval, duration_to_start, threshold, half_average, end_part, range_s):
    """extrapolateToInterval / sampledInterval (/ range for rate), in extrapolatedRate's order."""
    extrapolate_to = sampled_interval + np.where(duration_to_start < threshold, duration_to_start, half_average)
    extrapolate_to = extrapolate_to + end_part
    factor = extrapolate_to / sampled_interval
    return factor / range_s if range_s is not None else factor


def _rate_row(v: np.ndarray, times: _TimeRow, is_counter: bool, range_s: float | None) -> np.ndarray:
    """One series' results at every step (arbitrary where the window has fewer than two samples)."""
    v_first = v[times.first]
    result = v[times.last] - v_first
    if not is_counter:
        return result * times.factor
    result = _add_counter_resets(v, times, result)
    # Trap 3 (2.42): the zero-point clamp comes before the threshold test; it changes the start
    # of the extrapolation only where the counter would reach zero inside the gap.
    duration_to_zero = times.sampled_interval * (v_first / result)
    clamp = (result > 0) & (v_first >= 0) & (duration_to_zero < times.duration_to_start)
    if not clamp.any():
        return result * times.factor
    duration_to_start = np.where(clamp, duration_to_zero, times.duration_to_start)
    factor = _factor(
        times.sampled_interval, duration_to_start, times.threshold, times.half_average, times.end_part, range_s
    )
    return result * factor


def _add_counter_resets(v: np.ndarray, times: _TimeRow, result: np.ndarray) -> np.ndarray:
    """Add v[i-1] for every drop v[i] < v[i-1] inside each window, one by one in sample order
    (as extrapolatedRate does; a prefix sum of corrections would round differently)."""
    resets = np.flatnonzero(v[1:] < v[:-1]) + 1
    if len(resets) == 0:
        return result
    counts, first = flags_in_windows(resets, times.lo, times.hi)
    return add_resets_in_order(result, np.where(times.enough, counts, 0), first, resets, v)
