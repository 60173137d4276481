"""histogram_quantile over the grid. Expected values follow quantile.go at v2.42.0 (bucketQuantile,
coalesceBuckets, ensureMonotonic); the ones marked "promtool" were printed by promtool 2.42."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import cells, expect_cells, same_value
from helpers import promtool_instant_results as promtool_results
from helpers import vector_of as vec
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.promql.histogram import bucket_quantile, histogram_quantile, parse_go_float
from simulator.promql.model import PromQLError, ScalarOverGrid, VectorOverGrid

NAN = float("nan")
INF = float("inf")


def same(a, b) -> bool:
    """histogram_quantile results are compared without telling -0 from +0."""
    return same_value(a, b, signed_zero=False)


def expect(result: VectorOverGrid, rows: dict[str, list]) -> None:
    expect_cells(result, rows, signed_zero=False)


def q(*values) -> ScalarOverGrid:
    return ScalarOverGrid(np.array(values, dtype=float))


def test_interpolates_inside_the_bucket_and_drops_le_and_the_name():
    h = vec(
        {
            'h_bucket{job="a",le="1"}': [1.0],
            'h_bucket{job="a",le="2"}': [1.0],
            'h_bucket{job="a",le="4"}': [3.0],
            'h_bucket{job="a",le="+Inf"}': [3.0],
        }
    )
    # rank 1.5 falls in (2, 4]: 2 + 2 * (0.5 / 2) = 2.5 ; rank 2.7: 2 + 2 * (1.7 / 2) = 3.7 (promtool)
    expect(histogram_quantile(q(0.5), h), {'{job="a"}': [2.5]})
    expect(histogram_quantile(q(0.9), h), {'{job="a"}': [3.7]})


def test_the_bucket_rules_checked_with_promtool():
    # 0.1:1 0.5:3 1:2 1.0:1 +Inf:10 -> merged 1:3, monotonic 1 3 3 10
    h = vec(
        {
            'h{le="0.1"}': [1.0] * 4,
            'h{le="0.5"}': [3.0] * 4,
            'h{le="1"}': [2.0] * 4,
            'h{le="+Inf"}': [10.0] * 4,
            'h{le="1.0"}': [1.0] * 4,
        }
    )
    # rank beyond every finite bucket -> the second-highest bound; q=0 -> 0 + 0.1*(0/1)
    expect(histogram_quantile(q(0.5, 0.95, 0, 1), h), {"{}": [1.0, 1.0, 0.0, 1.0]})
    g = vec({'g{le="-1"}': [2.0] * 3, 'g{le="1"}': [5.0] * 3, 'g{le="Inf"}': [5.0] * 3})
    # the first bucket with a bound <= 0 answers its bound; else interpolate from -1 to 1
    expect(histogram_quantile(q(0.3, 0.2, 0.9), g), {"{}": [-1.0, -1.0, 0.6666666666666667]})


def test_q_outside_zero_one_and_nan_come_before_any_bucket_check():
    no_inf = vec({'h{le="1"}': [1.0] * 4, 'h{le="2"}': [2.0] * 4})
    expect(histogram_quantile(q(-1, 2, NAN, 0.5), no_inf), {"{}": [-INF, INF, NAN, NAN]})


def test_empty_first_bucket_at_q_zero_and_zero_total_give_nan():
    h = vec({'h{le="1"}': [0.0, 0.0], 'h{le="2"}': [5.0, 0.0], 'h{le="+Inf"}': [5.0, 0.0]})
    expect(histogram_quantile(q(0, 0.5), h), {"{}": [NAN, NAN]})


def test_fewer_than_two_buckets_is_nan():
    expect(histogram_quantile(q(0.5), vec({'h{le="+Inf"}': [3.0]})), {"{}": [NAN]})


def test_decreasing_counts_are_raised_to_the_running_maximum():
    # 1:5 2:3 +Inf:6 -> 5 5 6; rank 3 -> first bucket: 0 + 1 * (3/5)
    h = vec({'h{le="1"}': [5.0], 'h{le="2"}': [3.0], 'h{le="+Inf"}': [6.0]})
    expect(histogram_quantile(q(0.5), h), {"{}": [0.6]})


def test_buckets_that_come_and_go_change_the_answer_per_step():
    h = vec({'h{le="1"}': [2.0, 2.0, None], 'h{le="2"}': [4.0, None, None], 'h{le="+Inf"}': [4.0, 4.0, 4.0]})
    # step 0: rank 2 -> 0 + 1*(2/2) = 1; step 1 (no le=2): rank 3 -> second-highest bound 1;
    # step 2: only +Inf -> NaN
    expect(histogram_quantile(q(0.5, 0.75, 0.5), h), {"{}": [1.0, 1.0, NAN]})


def test_series_without_a_float_le_are_skipped():
    # promtool: le="1e400" is out of range in Go and skipped, 0x1p2 is 4, "inf" is +Inf
    h = vec(
        {
            'j{le="1"}': [1.0],
            'j{le="2"}': [1.0],
            'j{le="0x1p2"}': [3.0],
            'j{le="1e400"}': [3.0],
            'j{le="inf"}': [3.0],
            "j": [100.0],
            'j{le="1_0"}': [100.0],
        }
    )
    expect(histogram_quantile(q(0.5), h), {"{}": [2.5]})


def test_parse_go_float_syntax():
    assert parse_go_float("+Inf") == INF and parse_go_float("-infinity") == -INF
    assert math.isnan(parse_go_float("NaN")) and parse_go_float("+nan") is None
    assert parse_go_float("0x1.8p1") == 3.0 and parse_go_float("0x1.8") is None
    assert [parse_go_float(s) for s in ("1e400", " 1", "1_0", "", ".5", "5.", "1e-3")] == [
        None,
        None,
        None,
        None,
        0.5,
        5.0,
        0.001,
    ]


def test_histograms_are_keyed_by_name_and_collide_after_dropping_it():
    h = vec(
        {
            'a_bucket{le="1"}': [1.0, 1.0],
            'a_bucket{le="+Inf"}': [2.0, 2.0],
            'b_bucket{le="1"}': [None, 1.0],
            'b_bucket{le="+Inf"}': [None, 2.0],
        }
    )
    with pytest.raises(PromQLError, match="^vector cannot contain metrics with the same labelset$") as error:
        histogram_quantile(q(0.5, 0.5), h)
    assert error.value.step_index == 1
    expect(
        histogram_quantile(q(0.5, 0.5), vec({'a_bucket{le="1"}': [1.0, None], 'b_bucket{le="+Inf"}': [None, 2.0]})),
        {"{}": [NAN, NAN]},
    )


# --- a literal transcription of bucketQuantile as the oracle --------------------------------


def reference_bucket_quantile(q_value, buckets):
    """quantile.go bucketQuantile for one step; buckets is [(bound, count)]."""
    if math.isnan(q_value):
        return NAN
    if q_value < 0:
        return -INF
    if q_value > 1:
        return INF
    buckets = sorted(buckets, key=lambda b: b[0])
    if buckets[-1][0] != INF:
        return NAN
    merged = []
    for bound, count in buckets:
        if merged and merged[-1][0] == bound:
            merged[-1][1] += count
        else:
            merged.append([bound, count])
    running = merged[0][1]
    for bucket in merged[1:]:
        if bucket[1] > running:
            running = bucket[1]
        elif bucket[1] < running:
            bucket[1] = running
    if len(merged) < 2:
        return NAN
    observations = merged[-1][1]
    if observations == 0:
        return NAN
    rank = q_value * observations
    low, high = 0, len(merged) - 1
    while low < high:
        middle = (low + high) // 2
        if not merged[middle][1] >= rank:
            low = middle + 1
        else:
            high = middle
    b = low
    if b == len(merged) - 1:
        return merged[-2][0]
    if b == 0 and merged[0][0] <= 0:
        return merged[0][0]
    start, end, count = 0.0, merged[b][0], merged[b][1]
    if b > 0:
        start = merged[b - 1][0]
        count -= merged[b - 1][1]
        rank -= merged[b - 1][1]
    with np.errstate(all="ignore"):
        return float(np.float64(start) + (np.float64(end) - start) * (np.float64(rank) / count))


count_cell = st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.0, 3.0, 5.0, 8.0, NAN]))


@settings(max_examples=80, deadline=None)
@given(
    bounds=st.lists(st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0, 10.0, INF]), min_size=1, max_size=7),
    data=st.data(),
)
def test_grid_equals_bucket_quantile_step_by_step(bounds, data):
    steps = 4
    counts = [data.draw(st.lists(count_cell, min_size=steps, max_size=steps)) for _ in bounds]
    q_values = data.draw(
        st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0, -0.5, 1.5, NAN]), min_size=steps, max_size=steps)
    )
    values = np.array([[NAN if c is None else c for c in row] for row in counts])
    present = np.array([[c is not None for c in row] for row in counts])
    got = bucket_quantile(np.array(q_values), np.array(bounds), values, present)
    for step in range(steps):
        buckets = [(bound, row[step]) for bound, row in zip(bounds, counts) if row[step] is not None]
        if buckets:
            assert same(float(got[step]), reference_bucket_quantile(q_values[step], buckets)), (
                step,
                buckets,
                q_values[step],
            )


# --- cross-check with the real promtool ------------------------------------------------------


def test_matches_promtool():
    series = {
        'lat_bucket{job="api",le="0.05"}': "3",
        'lat_bucket{job="api",le="0.1"}': "17",
        'lat_bucket{job="api",le="0.25"}': "40",
        'lat_bucket{job="api",le="1"}': "44",
        'lat_bucket{job="api",le="+Inf"}': "45",
        'lat_bucket{job="db",le="0.1"}': "7",
        'lat_bucket{job="db",le="+Inf"}': "9",
    }
    x = vec({text: [float(value)] for text, value in series.items()})
    quantiles = [0.5, 0.9, 0.99, 0.999, 0.01]
    exprs = [f"histogram_quantile({phi}, lat_bucket)" for phi in quantiles]
    for phi, theirs in zip(quantiles, promtool_results(series, exprs)):
        assert {row: values[0] for row, values in cells(histogram_quantile(q(phi), x)).items()} == theirs, phi


def test_histograms_computed_together_keep_their_own_answers():
    h = vec(
        {
            'h{job="a",le="1"}': [1.0, 4.0],
            'h{job="a",le="2"}': [2.0, 4.0],
            'h{job="a",le="+Inf"}': [4.0, 4.0],
            'h{job="b",le="10"}': [0.0, None],
            'h{job="b",le="20"}': [10.0, 1.0],
            'h{job="b",le="+Inf"}': [10.0, 2.0],
        }
    )
    # a: rank 2 -> 1 + 1*(1/1) = 2 ; rank 1 -> 0 + 1*(1/4) = 0.25
    # b: rank 5 -> 10 + 10*(5/10) = 15 ; step 1 without le=10: rank 0.5 -> 0 + 20*(0.5/1) = 10
    expect(histogram_quantile(q(0.5, 0.25), h), {'{job="a"}': [2.0, 0.25], '{job="b"}': [15.0, 10.0]})


def test_batches_of_histograms_give_the_same_answers():
    from simulator.promql.histogram import _quantiles_in_batches

    rng = np.random.default_rng(3)
    histograms = []
    for _ in range(5):
        counts = np.cumsum(rng.integers(0, 4, size=(3, 4)), axis=0).astype(float)
        histograms.append((np.array([1.0, 2.0, INF]), counts, rng.random((3, 4)) > 0.2))
    phi = np.array([0.1, 0.5, 0.9, 0.99])
    one_by_one = [bucket_quantile(phi, *h) for h in histograms]
    for budget in (1, 24, 10**6):
        for got, want in zip(_quantiles_in_batches(phi, histograms, cell_budget=budget), one_by_one):
            assert all(same(float(g), float(w)) for g, w in zip(got, want))
