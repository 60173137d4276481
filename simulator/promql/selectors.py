"""Instant and range vector selectors evaluated over every step of a grid at once.

Mirrors promql/engine.go at v2.42.0 (vectorSelectorSingle, matrixSelector, matrixIterSlice).
Each stored series is handled with one searchsorted over all reference times, never one lookup
per step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .allocator import keep_freed_memory_for_reuse
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
    newest = _SharedTimeLookups(
        lambda series: _newest_sample_index(series, ref_ms, lookback_delta_ms, hidden_cutoff_ms)
    )
    for row, series in enumerate(series_list):
        if len(series.t) == 0:
            continue
        safe, in_lookback = newest(series)
        v = series.v[safe]
        row_present = in_lookback & ~is_stale(v)
        present[row] = row_present
        values[row] = np.where(row_present, v, 0.0)
        if sample_ms is not None:
            sample_ms[row] = np.where(row_present, series.t[safe], 0)
    labels = [s.labels for s in series_list]
    return VectorOverGrid(labels, values, present, sample_ms)


def _newest_sample_index(
    series: Series, ref_ms: np.ndarray, lookback_delta_ms: int, hidden_cutoff_ms: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per step: the index of the newest visible sample (0 when there is none) and whether it
    lies inside the closed lookback window [ref - lookbackDelta, ref] (trap 1)."""
    idx = visible_end_index(series, ref_ms, hidden_cutoff_ms) - 1
    safe = np.maximum(idx, 0)
    return safe, (idx >= 0) & (series.t[safe] >= ref_ms - lookback_delta_ms)


class _SharedTimeLookups:
    """Memoizes a per-series computation that depends only on the series' timestamp array and
    (with by_hidden, the default) its hidden_at_eval_time flag.

    Generated scenarios store every series on one shared timestamp array (and rule outputs of
    one rule share theirs), so a selector over 1,000 such series does its searchsorted work once
    instead of 1,000 times. Identity, not equality, is the key: it costs nothing to check, and
    the memo holds a reference to each array so an id cannot be reused while it lives.
    """

    def __init__(self, compute, by_hidden: bool = True) -> None:
        self._compute = compute
        self._by_hidden = by_hidden
        self._memo: dict[tuple[int, bool], tuple[np.ndarray, object]] = {}

    def __call__(self, series: Series):
        key = (id(series.t), series.hidden_at_eval_time and self._by_hidden)
        hit = self._memo.get(key)
        if hit is None or hit[0] is not series.t:
            hit = (series.t, self._compute(series))
            self._memo[key] = hit
        return hit[1]


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
    grid over a long history does not carry the whole history into the range functions.
    Series sharing one timestamp array keep sharing one (cut) array."""
    # From the first range selector on, the range functions' many same-sized block temporaries
    # are reused from the heap instead of mapped afresh (2x faster long windows; allocator.py).
    # Not at import: a scenario's series are generated before, without the tuning.
    keep_freed_memory_for_reuse()
    window_end_ms = np.asarray(window_end_ms, dtype=np.int64)
    if len(window_end_ms):
        earliest, latest = int(window_end_ms.min()) - range_ms, int(window_end_ms.max())
        reach = _SharedTimeLookups(lambda series: _reach_indices(series, earliest, latest), by_hidden=False)
        series_list = [_within(s, *reach(s)) for s in series_list]
    cleaned = [without_stale_markers(s) for s in series_list]
    extra = {HIDDEN_CUTOFF_KEY: hidden_cutoff_ms}
    return MatrixOverGrid(cleaned, range_ms, window_end_ms, extra)


def _reach_indices(series: Series, earliest_ms: int, latest_ms: int) -> tuple[int, int, np.ndarray]:
    """Where the samples with earliest <= t <= latest begin and end, and their timestamps."""
    lo = int(np.searchsorted(series.t, earliest_ms, side="left"))
    hi = int(np.searchsorted(series.t, latest_ms, side="right"))
    return lo, hi, series.t[lo:hi]


def _within(series: Series, lo: int, hi: int, t_view: np.ndarray) -> Series:
    """The samples lo:hi of a series, as views of the stored arrays (t_view is t[lo:hi])."""
    if lo == 0 and hi == len(series.t):
        return series
    return Series(series.labels, t_view, series.v[lo:hi], series.hidden_at_eval_time)


@dataclass
class Windows:
    """Every (series, step) window of a matrix as index ranges into one flat sample array.

    flat_t/flat_v hold samples of all series back to back; the window of series s at step
    j is flat[lo[s, j]:hi[s, j]] (empty when lo == hi). series_start[s] is where series s begins,
    so reductions that look at a previous sample never cross into another series. For a step
    slice the flat arrays may hold only the part of each series that the slice's windows reach
    (a `Segment`); a series' first flat sample is then not its first stored sample, but it is
    never inside a window after the window's own first sample.
    """

    flat_t: np.ndarray  # int64
    flat_v: np.ndarray  # float64
    lo: np.ndarray  # (n_series, n_steps) int64
    hi: np.ndarray  # (n_series, n_steps) int64
    series_start: np.ndarray  # (n_series,) int64
    # Derived data valid for these flat arrays (flagged positions, ...), shared by the step
    # blocks that read the same flat arrays.
    cache: dict = field(default_factory=dict)

    @property
    def count(self) -> np.ndarray:
        return self.hi - self.lo

    @property
    def max_count(self) -> int:
        return int(self.count.max()) if self.count.size else 0


# The most samples a flat segment of a large matrix holds beyond what one step block needs
# (t and v together: 16 bytes a sample, so 16 MB). A matrix with at most this many samples is
# laid out once, whole; a larger one segment by segment as its step blocks advance, so memory
# stays bounded at any span and series count (90 days x 1,000 series is 130 M samples, 2 GB).
SEGMENT_MAX_SAMPLES = 1 << 20

# A segment may grow past SEGMENT_MAX_SAMPLES up to this many times the samples of its first
# step block, so long windows (a day of samples per window) are not copied once per block.
_SEGMENT_MIN_BLOCKS_OF_REACH = 4


@dataclass
class Segment:
    """The samples that the windows of steps col_start..col_stop-1 reach, laid out flat:
    series s contributes its stored samples first[s]:first[s] + (starts[s+1] - starts[s])."""

    col_start: int
    col_stop: int
    first: np.ndarray  # (n_series,) int64: index in the series of its first flat sample
    flat_t: np.ndarray
    flat_v: np.ndarray
    starts: np.ndarray  # (n_series,) int64: where each series begins in the flat arrays
    cache: dict = field(default_factory=dict)

    def covers(self, start: int, stop: int) -> bool:
        return self.col_start <= start and stop <= self.col_stop


def flat_samples(matrix: MatrixOverGrid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All samples of the matrix back to back (t, v) and where each series starts; cached in
    the matrix's shared cache."""
    cache = shared_cache(matrix)
    cached = cache.get("flat_samples")
    if cached is None:
        everything = [(0, len(s.t)) for s in matrix.series]
        cached = _concatenated(matrix.series, everything)
        cache["flat_samples"] = cached
    return cached


def _concatenated(series_list: list[Series], spans: list[tuple[int, int]]):
    """(flat_t, flat_v, starts) of the samples lo:hi of each series, back to back."""
    lengths = np.array([hi - lo for lo, hi in spans], dtype=np.int64)
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    if not series_list:
        return np.zeros(0, dtype=np.int64), np.zeros(0), starts
    flat_t = np.concatenate([s.t[lo:hi] for s, (lo, hi) in zip(series_list, spans)]).astype(np.int64, copy=False)
    flat_v = np.concatenate([s.v[lo:hi] for s, (lo, hi) in zip(series_list, spans)]).astype(np.float64, copy=False)
    return flat_t, flat_v, starts


def shared_cache(matrix: MatrixOverGrid) -> dict:
    """The matrix's cache of derived data, created on first use (shared by its step slices)."""
    return matrix.extra.setdefault(SHARED_CACHE_KEY, {})


def matrix_windows(matrix: MatrixOverGrid) -> Windows:
    """Window bounds with searchsorted: lo = first T >= start, hi = one past last T <= end.

    Both ends are inclusive in 2.42 (count_over_time(x[5m]) at 5m over 1m data is 6). A step
    slice of a larger matrix (matrix_step_slice) reads its columns of the bounds computed once
    for the whole grid, over the flat segment that holds its windows.
    """
    cols = matrix.extra.get(STEP_SLICE_KEY)
    if cols is None:
        flat_t, flat_v, starts = flat_samples(matrix)
        lo, hi = _window_bounds(matrix)
        return Windows(flat_t, flat_v, lo + starts[:, None], hi + starts[:, None], starts, shared_cache(matrix))
    local_lo, local_hi = _shared_bounds(matrix)
    steps = local_lo.shape[1]
    start, stop, _ = cols.indices(steps)
    segment = _segment_for(matrix, start, stop)
    shift = (segment.starts - segment.first)[:, None]
    lo = local_lo[:, start:stop] + shift
    hi = local_hi[:, start:stop] + shift
    return Windows(segment.flat_t, segment.flat_v, lo, hi, segment.starts, segment.cache)


def _shared_bounds(matrix: MatrixOverGrid) -> tuple[np.ndarray, np.ndarray]:
    """Per-series window bounds for every step of the whole grid, computed once per matrix
    (int32 when every series is shorter than 2^31 samples)."""
    cache = shared_cache(matrix)
    if "bounds" not in cache:
        small = all(len(s.t) < 2**31 for s in matrix.series)
        cache["bounds"] = _window_bounds(matrix, np.int32 if small else np.int64)
    return cache["bounds"]


def _segment_for(matrix: MatrixOverGrid, start: int, stop: int) -> Segment:
    """The flat segment holding the windows of steps start..stop-1: the cached one if it
    covers them, else a new one from `start` on (the old one is released first)."""
    cache = shared_cache(matrix)
    segment = cache.get("segment")
    if segment is not None and segment.covers(start, stop):
        return segment
    cache.pop("segment", None)
    reach = _Reach(matrix)
    stop = _segment_stop(reach, start, stop)
    first, last = reach.spans(start, stop)
    flat_t, flat_v, starts = _concatenated(matrix.series, list(zip(first.tolist(), last.tolist())))
    segment = Segment(start, stop, first, flat_t, flat_v, starts)
    cache["segment"] = segment
    return segment


class _Reach:
    """Which stored samples the windows of a run of steps reach, per series."""

    def __init__(self, matrix: MatrixOverGrid) -> None:
        self.lo, self.hi = _shared_bounds(matrix)
        self.steps = self.lo.shape[1]
        cutoff = matrix.extra.get(HIDDEN_CUTOFF_KEY)
        # Windows that only move forward (no @, ascending hidden cutoffs) have nondecreasing
        # bounds, so a run of steps reaches from its first step's lo to its last step's hi.
        self.monotone = bool(np.all(np.diff(matrix.window_end_ms) >= 0)) and (
            cutoff is None or bool(np.all(np.diff(cutoff) >= 0))
        )

    def spans(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Per series: the first and one-past-last sample index of steps start..stop-1."""
        if self.monotone:
            first, last = self.lo[:, start], self.hi[:, stop - 1]
        else:
            first, last = self.lo[:, start:stop].min(axis=1), self.hi[:, start:stop].max(axis=1)
        first, last = first.astype(np.int64), last.astype(np.int64)
        return np.minimum(first, last), last

    def samples(self, start: int, stop: int) -> int:
        first, last = self.spans(start, stop)
        return int((last - first).sum())


def _segment_stop(reach: _Reach, start: int, stop: int) -> int:
    """How far past `stop` a segment starting at `start` may extend: to the end of the grid if
    that fits in SEGMENT_MAX_SAMPLES, else by doubling while it fits (or holds at most a few
    times the samples the first block needs)."""
    limit = max(SEGMENT_MAX_SAMPLES, _SEGMENT_MIN_BLOCKS_OF_REACH * reach.samples(start, stop))
    if reach.monotone and reach.samples(start, reach.steps) <= limit:
        return reach.steps
    while stop < reach.steps:
        longer = min(reach.steps, start + 2 * (stop - start))
        if reach.samples(start, longer) > limit:
            break
        stop = longer
    return stop


def _window_bounds(matrix: MatrixOverGrid, dtype=np.int64) -> tuple[np.ndarray, np.ndarray]:
    """Per-series (lo, hi) of every (series, step) window, as indices into each series' own
    samples: two searchsorted calls per distinct timestamp array (small and cache-resident)
    for all steps at once."""
    cutoff = matrix.extra.get(HIDDEN_CUTOFF_KEY)
    shape = (len(matrix.series), len(matrix.window_end_ms))
    lo = np.zeros(shape, dtype=dtype)
    hi = np.zeros(shape, dtype=dtype)
    window_start = matrix.window_start_ms

    def bounds(series: Series) -> tuple[np.ndarray, np.ndarray]:
        row_hi = visible_end_index(series, matrix.window_end_ms, cutoff)
        return np.minimum(np.searchsorted(series.t, window_start, side="left"), row_hi), row_hi

    shared = _SharedTimeLookups(bounds)
    for row, series in enumerate(matrix.series):
        lo[row], hi[row] = shared(series)
    return lo, hi


def matrix_step_slice(matrix: MatrixOverGrid, cols: slice) -> MatrixOverGrid:
    """The same matrix at a subset of the steps, sharing the window bounds computed once for
    all steps and the flat segment that holds the slice's windows."""
    _shared_bounds(matrix)
    extra = dict(matrix.extra)
    extra[STEP_SLICE_KEY] = cols
    return MatrixOverGrid(matrix.series, matrix.range_ms, matrix.window_end_ms[cols], extra)
