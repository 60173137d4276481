"""Range functions over large matrices: segment by segment flat layout and shared lookups.

A matrix with more samples than selectors.SEGMENT_MAX_SAMPLES is laid out in flat segments as
its step blocks advance (bounded memory); series sharing one timestamp array share their
searchsorted work. Neither may change a single bit: each test forces the segmented path (tiny
segments, one-step blocks) and compares with the whole-matrix path, which the promtool-backed
tests pin to Prometheus 2.42.
"""

import numpy as np
import pytest
from helpers import as_dict, column, make_storage

from simulator.promql import functions, selectors, shared_times
from simulator.promql.engine import evaluate
from simulator.promql.model import STALE_NAN, Grid, Series, labels_from_dict
from simulator.promql.selectors import select_instant, select_range
from simulator.promql.storage import Storage

MINUTE = 60_000


@pytest.fixture(autouse=True)
def general_path_only(monkeypatch):
    """rate/increase/delta over series sharing timestamps take shared_times.py's path (its own
    tests compare it with this one): here the general path's layout is under test."""
    monkeypatch.setattr(shared_times, "extrapolated_rate_over_shared_times", lambda *args: None)


EXPRESSIONS = [
    "rate(x[5m])",
    "increase(x[17m])",
    "delta(x[1h])",
    "irate(x[5m])",
    "idelta(x[3m])",
    "sum_over_time(x[1h])",
    "avg_over_time(x[45m])",
    "stddev_over_time(x[1h])",
    "stdvar_over_time(x[7m])",
    "count_over_time(x[10m])",
    "last_over_time(x[10m])",
    "present_over_time(x[3m])",
    "max_over_time(x[1h])",
    "min_over_time(x[2m])",
    "quantile_over_time(0.9, x[20m])",
    "changes(x[30m])",
    "resets(x[30m])",
    "deriv(x[15m])",
    "predict_linear(x[15m], 600)",
    "holt_winters(x[10m], 0.5, 0.3)",
    "absent_over_time(x[2m])",
    "rate(x[5m] offset 7m)",
    "rate(x[5m] offset -3m)",
    "sum_over_time(x[20m] @ 3600)",
    "increase(x[1h] @ 7200 offset 10m)",
    "avg_over_time(x[10m:2m])",
]


def _storage() -> Storage:
    """Series of different lengths and intervals; three share one timestamp array (one of them
    hidden at evaluation time); stale markers, counter resets, NaN and Inf included."""
    rng = np.random.default_rng(42)
    storage = Storage()
    shared_t = np.arange(0, 4 * 3600_000 + 1, 30_000, dtype=np.int64)
    counter = np.cumsum(rng.integers(0, 20, len(shared_t))).astype(np.float64)
    with_resets = counter.copy()
    with_resets[200:] -= with_resets[200]
    with_resets[333:] -= with_resets[333]
    gauge = rng.normal(100.0, 15.0, len(shared_t))
    gauge[[17, 250]] = STALE_NAN
    gauge[90] = np.nan
    for job, values in (("a", counter), ("b", with_resets), ("c", gauge)):
        storage.add_series(Series(labels_from_dict({"__name__": "x", "job": job}), shared_t, values))
    odd_t = np.sort(rng.choice(np.arange(0, 3 * 3600_000, 7_000), 900, replace=False)).astype(np.int64)
    odd_v = rng.normal(0.0, 1e3, len(odd_t))
    odd_v[400] = np.inf
    storage.add_series(Series(labels_from_dict({"__name__": "x", "job": "d"}), odd_t, odd_v))
    storage.add_series(Series(labels_from_dict({"__name__": "x", "job": "e"}), shared_t[:100], counter[:100]))
    hidden = Series(labels_from_dict({"__name__": "x", "job": "f"}), shared_t, counter * 2.5)
    hidden.hidden_at_eval_time = True
    storage.add_series(hidden)
    return storage


def _bits(result):
    return [labels for labels in result.labels], result.values.view(np.uint64), result.present


@pytest.fixture
def segmented(monkeypatch):
    """Force one-step blocks and segments no larger than one block needs; count segment builds."""
    monkeypatch.setattr(selectors, "SEGMENT_MAX_SAMPLES", 0)
    monkeypatch.setattr(selectors, "_SEGMENT_MIN_BLOCKS_OF_REACH", 1)
    monkeypatch.setattr(functions, "_RANGE_CHUNK_CELLS", 1)
    monkeypatch.setattr(functions, "_RATE_CHUNK_CELLS", 1)
    builds = []
    original = selectors._concatenated

    def counting(series_list, spans):
        builds.append(len(spans))
        return original(series_list, spans)

    monkeypatch.setattr(selectors, "_concatenated", counting)
    return builds


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_segmented_layout_gives_the_same_bits_as_the_whole_matrix(expr, segmented):
    grid = Grid(0, 4 * 3600_000, 5 * MINUTE)
    storage = _storage()
    with pytest.MonkeyPatch.context() as whole:
        whole.setattr(selectors, "SEGMENT_MAX_SAMPLES", 1 << 40)
        whole.setattr(functions, "_RANGE_CHUNK_CELLS", 1 << 40)
        whole.setattr(functions, "_RATE_CHUNK_CELLS", 1 << 40)
        expected = evaluate(expr, storage, grid)
    segmented.clear()
    got = evaluate(expr, _storage(), grid)
    exp_labels, exp_values, exp_present = _bits(expected)
    got_labels, got_values, got_present = _bits(got)
    assert got_labels == exp_labels
    assert np.array_equal(got_present, exp_present)
    assert np.array_equal(np.where(got_present, got_values, 0), np.where(exp_present, exp_values, 0))


def test_segmented_path_is_really_taken(segmented):
    evaluate("rate(x[5m])", _storage(), Grid(0, 4 * 3600_000, 5 * MINUTE))
    assert len(segmented) > 10  # a segment per step block, not one flat copy


def test_increase_across_a_reset_at_a_segment_boundary(segmented):
    # 0 1 2 3 0 1 2 (reset at 4m), one segment per step: at 5m the window holds 0 1 2 3 0 1
    # (1 - 0 + 3 = 4), at 6m 1 2 3 0 1 2 (2 - 1 + 3 = 4); the samples span the whole window,
    # so nothing is extrapolated.
    storage = make_storage({"x": "0 1 2 3 0 1 2"})
    result = evaluate("increase(x[5m])", storage, Grid(5 * MINUTE, 6 * MINUTE, MINUTE))
    assert column(result) == [4.0, 4.0]
    assert len(segmented) == 2
    assert as_dict(evaluate("resets(x[3m])", storage, Grid.at(6 * MINUTE))) == {"{}": 1.0}


def test_series_sharing_timestamps_keep_their_own_hidden_rule():
    # Two series on one timestamp array; only the second is written by a later rule, so only
    # it loses the sample stamped at the evaluation time.
    t = np.array([0, MINUTE, 2 * MINUTE], dtype=np.int64)
    visible = Series(labels_from_dict({"__name__": "a"}), t, np.array([1.0, 2.0, 3.0]))
    hidden = Series(labels_from_dict({"__name__": "b"}), t, np.array([10.0, 20.0, 30.0]), True)
    steps = t.copy()
    result = select_instant([visible, hidden, visible], steps, 5 * MINUTE, hidden_cutoff_ms=steps)
    assert column(result, 0) == [1.0, 2.0, 3.0]
    assert column(result, 1) == [None, 10.0, 20.0]
    assert column(result, 2) == [1.0, 2.0, 3.0]
    matrix = select_range([visible, hidden], steps, MINUTE, hidden_cutoff_ms=steps)
    windows = selectors.matrix_windows(matrix)
    assert windows.count.tolist() == [[1, 2, 2], [0, 1, 1]]


def test_cut_series_keep_sharing_one_timestamp_array():
    t = np.arange(0, 100 * MINUTE, MINUTE, dtype=np.int64)
    series = [Series(labels_from_dict({"__name__": "x", "i": str(i)}), t, np.full(100, float(i))) for i in range(3)]
    matrix = select_range(series, np.array([50 * MINUTE]), 10 * MINUTE, None)
    assert len(matrix.series[0].t) == 11
    assert matrix.series[0].t is matrix.series[1].t is matrix.series[2].t


def test_windows_that_move_backwards_are_segmented_by_their_widest_reach(monkeypatch):
    # No PromQL modifier makes windows move backwards today; the general (min/max) reach must
    # still hold every window. Steps whose windows end at 50m, 20m, 40m, 10m, ...
    monkeypatch.setattr(selectors, "SEGMENT_MAX_SAMPLES", 0)
    monkeypatch.setattr(selectors, "_SEGMENT_MIN_BLOCKS_OF_REACH", 1)
    t = np.arange(0, 60 * MINUTE + 1, MINUTE, dtype=np.int64)
    series = [Series(labels_from_dict({"__name__": "x", "i": str(i)}), t, t / 1000.0 + i) for i in range(2)]
    ends = np.array([50, 20, 40, 10, 60, 30], dtype=np.int64) * MINUTE
    matrix = select_range(series, ends, 5 * MINUTE, None)
    for start in range(0, len(ends), 2):
        windows = selectors.matrix_windows(selectors.matrix_step_slice(matrix, slice(start, start + 2)))
        for row in range(2):
            for col in range(2):
                end = ends[start + col]
                inside = windows.flat_v[windows.lo[row, col] : windows.hi[row, col]]
                assert inside.tolist() == [ms / 1000.0 + row for ms in range(end - 5 * MINUTE, end + 1, MINUTE)]


def test_segments_stay_bounded_and_copy_each_sample_about_once(monkeypatch):
    # 4 series x 10,001 samples at 1 m; rate(x[5m]) on a 5 m grid in blocks of 100 steps. One
    # block's windows reach 4 x (500 + 6) = 2,024 samples, so a segment may hold up to
    # max(SEGMENT_MAX_SAMPLES, 4 x 2,024) = 8,096 samples, never the whole 40,004.
    monkeypatch.setattr(selectors, "SEGMENT_MAX_SAMPLES", 1_000)
    monkeypatch.setattr(functions, "_RANGE_CHUNK_CELLS", 400)
    monkeypatch.setattr(functions, "_RATE_CHUNK_CELLS", 400)
    sizes = []
    original = selectors._concatenated

    def recording(series_list, spans):
        sizes.append(sum(hi - lo for lo, hi in spans))
        return original(series_list, spans)

    monkeypatch.setattr(selectors, "_concatenated", recording)
    t = np.arange(0, 10_001 * MINUTE, MINUTE, dtype=np.int64)
    storage = Storage()
    for i in range(4):
        storage.add_series(Series(labels_from_dict({"__name__": "x", "i": str(i)}), t, np.arange(10_001.0) * (i + 1)))
    result = evaluate("rate(x[5m])", storage, Grid(5 * MINUTE, 10_000 * MINUTE, 5 * MINUTE))
    assert max(sizes) <= 4 * 4 * (500 + 6)
    assert 40_004 <= sum(sizes) <= 1.05 * 40_004
    # A counter growing by (i + 1) per minute: rate (i + 1) / 60 at every step, as in Prometheus.
    assert np.all(result.present)
    assert np.array_equal(result.values, np.repeat([[(i + 1) / 60] for i in range(4)], result.values.shape[1], axis=1))
