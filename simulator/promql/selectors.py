"""Instant and range vector selectors evaluated over every step of a grid at once.

Mirrors promql/engine.go at v2.42.0 (vectorSelectorSingle, matrixSelector, matrixIterSlice).
Each stored series is handled with one searchsorted over all reference times, never one lookup
per step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .model import MatrixOverGrid, Series, VectorOverGrid, is_stale

# Key of MatrixOverGrid.extra holding a dict of per-matrix derived data (the flat sample
# arrays, flagged positions, ...), shared by reference with every step slice of the matrix.
SHARED_CACHE_KEY = "shared_cache"

# Key of MatrixOverGrid.extra marking a step slice of a larger matrix: the slice of columns.
STEP_SLICE_KEY = "step_slice"

# Key of MatrixOverGrid.extra holding, per step, the evaluation timestamp before which samples
# of `hidden_at_eval_time` series are visible (None: nothing hidden, e.g. inside subqueries).
HIDDEN_CUTOFF_KEY = "hidden_cutoff_ms"


def visible_end_index(series: Series, ref_ms: np.ndarray, hidden_cutoff_ms: np.ndarray | None) -> np.ndarray:
    """Per step: one past the index of the newest sample with t <= ref (and, for a series that
    a later rule writes, with t < the evaluation timestamp)."""
    end = np.searchsorted(series.t, ref_ms, side="right")
    if series.hidden_at_eval_time and hidden_cutoff_ms is not None:
        # simulator/rules: a sample stamped at the evaluation timestamp by a rule that runs later
        # in the group does not exist yet for the reader (rules/manager.go evaluates in order).
        end = np.minimum(end, np.searchsorted(series.t, hidden_cutoff_ms, side="left"))
    return end


def select_instant(
    series_list: list[Series],
    ref_ms: np.ndarray,
    lookback_delta_ms: int,
    hidden_cutoff_ms: np.ndarray | None,
    with_sample_times: bool = False,
) -> VectorOverGrid:
    """An instant vector selector at reference times ref_ms (step time minus offset, or @).

    engine.go vectorSelectorSingle (2.42): the newest sample with T <= ref is used when
    T >= ref - lookbackDelta (a closed window: trap 1, 3.x makes it open) and it is not the
    StaleNaN marker (trap 2: a stale newest sample hides older samples in the window).
    with_sample_times fills sample_ms (only timestamp() needs it; it doubles the memory).
    """
    steps = len(ref_ms)
    n = len(series_list)
    values = np.zeros((n, steps))
    present = np.zeros((n, steps), dtype=bool)
    sample_ms = np.zeros((n, steps), dtype=np.int64) if with_sample_times else None
    for row, series in enumerate(series_list):
        if len(series.t) == 0:
            continue
        idx = visible_end_index(series, ref_ms, hidden_cutoff_ms) - 1
        has_sample = idx >= 0
        safe = np.maximum(idx, 0)
        t = series.t[safe]
        v = series.v[safe]
        row_present = has_sample & (t >= ref_ms - lookback_delta_ms) & ~is_stale(v)
        present[row] = row_present
        values[row] = np.where(row_present, v, 0.0)
        if sample_ms is not None:
            sample_ms[row] = np.where(row_present, t, 0)
    labels = [s.labels for s in series_list]
    return VectorOverGrid(labels, values, present, sample_ms)


def without_stale_markers(series: Series) -> Series:
    """engine.go matrixIterSlice: stale markers are dropped from range vectors."""
    stale = is_stale(series.v)
    if not stale.any():
        return series
    keep = ~stale
    return Series(series.labels, series.t[keep], series.v[keep], series.hidden_at_eval_time)


def select_range(
    series_list: list[Series],
    window_end_ms: np.ndarray,
    range_ms: int,
    hidden_cutoff_ms: np.ndarray | None,
) -> MatrixOverGrid:
    """A range vector selector: windows [end - range, end] per step (closed in 2.42, trap 1).

    Each series is first cut to the span the windows can reach (views, no copy), so a short
    grid over a long history does not carry the whole history into the range functions."""
    window_end_ms = np.asarray(window_end_ms, dtype=np.int64)
    if len(window_end_ms):
        earliest, latest = int(window_end_ms.min()) - range_ms, int(window_end_ms.max())
        series_list = [_within(s, earliest, latest) for s in series_list]
    cleaned = [without_stale_markers(s) for s in series_list]
    extra = {HIDDEN_CUTOFF_KEY: hidden_cutoff_ms}
    return MatrixOverGrid(cleaned, range_ms, window_end_ms, extra)


def _within(series: Series, earliest_ms: int, latest_ms: int) -> Series:
    """The samples with earliest <= t <= latest, as views of the stored arrays."""
    lo = int(np.searchsorted(series.t, earliest_ms, side="left"))
    hi = int(np.searchsorted(series.t, latest_ms, side="right"))
    if lo == 0 and hi == len(series.t):
        return series
    return Series(series.labels, series.t[lo:hi], series.v[lo:hi], series.hidden_at_eval_time)


@dataclass
class Windows:
    """Every (series, step) window of a matrix as index ranges into one flat sample array.

    flat_t/flat_v hold the samples of all series back to back; the window of series s at step
    j is flat[lo[s, j]:hi[s, j]] (empty when lo == hi). series_start[s] is where series s begins,
    so reductions that look at a previous sample never cross into another series.
    """

    flat_t: np.ndarray  # int64
    flat_v: np.ndarray  # float64
    lo: np.ndarray  # (n_series, n_steps) int64
    hi: np.ndarray  # (n_series, n_steps) int64
    series_start: np.ndarray  # (n_series,) int64
    # Per-matrix cache shared by all step blocks (see shared_cache).
    cache: dict = field(default_factory=dict)

    @property
    def count(self) -> np.ndarray:
        return self.hi - self.lo

    @property
    def max_count(self) -> int:
        return int(self.count.max()) if self.count.size else 0


def flat_samples(matrix: MatrixOverGrid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All samples of the matrix back to back (t, v) and where each series starts; cached in
    matrix.extra so step chunks of one matrix share them."""
    cache = shared_cache(matrix)
    cached = cache.get("flat_samples")
    if cached is not None:
        return cached
    lengths = np.array([len(s.t) for s in matrix.series], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if len(lengths) else lengths
    if matrix.series:
        flat_t = np.concatenate([s.t for s in matrix.series]).astype(np.int64, copy=False)
        flat_v = np.concatenate([s.v for s in matrix.series]).astype(np.float64, copy=False)
    else:
        flat_t, flat_v = np.zeros(0, dtype=np.int64), np.zeros(0)
    cache["flat_samples"] = (flat_t, flat_v, starts)
    return flat_t, flat_v, starts


def shared_cache(matrix: MatrixOverGrid) -> dict:
    """The matrix's cache of derived data, created on first use."""
    return matrix.extra.setdefault(SHARED_CACHE_KEY, {})


def matrix_windows(matrix: MatrixOverGrid) -> Windows:
    """Window bounds with searchsorted: lo = first T >= start, hi = one past last T <= end.

    Both ends are inclusive in 2.42 (count_over_time(x[5m]) at 5m over 1m data is 6). A step
    slice of a larger matrix (matrix_step_slice) reads its columns of the bounds computed once
    for the whole grid.
    """
    flat_t, flat_v, starts = flat_samples(matrix)
    cols = matrix.extra.get(STEP_SLICE_KEY)
    if cols is not None:
        full_lo, full_hi = shared_cache(matrix)["bounds"]
        lo, hi = full_lo[:, cols].astype(np.int64), full_hi[:, cols].astype(np.int64)
    else:
        lo, hi = _window_bounds(matrix)
    return Windows(flat_t, flat_v, lo, hi, starts, shared_cache(matrix))


def _window_bounds(matrix: MatrixOverGrid, dtype=np.int64) -> tuple[np.ndarray, np.ndarray]:
    """Flat (lo, hi) of every (series, step) window: two searchsorted calls per series, each
    over that series' own samples (small and cache-resident) for all steps at once."""
    _, _, starts = flat_samples(matrix)
    cutoff = matrix.extra.get(HIDDEN_CUTOFF_KEY)
    shape = (len(matrix.series), len(matrix.window_end_ms))
    lo = np.zeros(shape, dtype=dtype)
    hi = np.zeros(shape, dtype=dtype)
    window_start = matrix.window_start_ms
    for row, series in enumerate(matrix.series):
        row_hi = visible_end_index(series, matrix.window_end_ms, cutoff)
        lo[row] = np.minimum(np.searchsorted(series.t, window_start, side="left"), row_hi) + starts[row]
        hi[row] = row_hi + starts[row]
    return lo, hi


def matrix_step_slice(matrix: MatrixOverGrid, cols: slice) -> MatrixOverGrid:
    """The same matrix at a subset of the steps, sharing the cached flat samples and the
    window bounds computed once for all steps (int32 when the sample count allows)."""
    cache = shared_cache(matrix)
    if "bounds" not in cache:
        small = len(flat_samples(matrix)[0]) < 2**31
        cache["bounds"] = _window_bounds(matrix, np.int32 if small else np.int64)
    extra = dict(matrix.extra)
    extra[STEP_SLICE_KEY] = cols
    return MatrixOverGrid(matrix.series, matrix.range_ms, matrix.window_end_ms[cols], extra)
