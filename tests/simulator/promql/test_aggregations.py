"""Aggregations over the grid. Expected values follow engine.go/quantile.go at v2.42.0; a literal
per-step transcription of engine.go below is the oracle for random grids, and
test_matches_promtool asks promtool 2.42 itself."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import cells
from helpers import expect_cells as expect
from helpers import labels_of as labels
from helpers import promtool_instant_results as promtool_results
from helpers import same_value as same
from helpers import vector_of as vec
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.promql.aggregations import aggregate, format_float_f, go_format_float
from simulator.promql.model import PromQLError, ScalarOverGrid, StringValue, VectorOverGrid

NAN = float("nan")
INF = float("inf")


def scalar(*values) -> ScalarOverGrid:
    return ScalarOverGrid(np.array(values, dtype=float))


# --- grouping -------------------------------------------------------------------------------


def test_by_keeps_only_the_listed_labels_in_first_appearance_order():
    x = vec({'x{job="b",i="1"}': [1.0, None], 'x{job="a",i="2"}': [2.0, 2.0], 'x{job="b",i="3"}': [3.0, 3.0]})
    result = aggregate("sum", x, ["job"], False, None)
    assert result.labels == [labels('{job="b"}'), labels('{job="a"}')]
    expect(result, {'{job="b"}': [4.0, 3.0], '{job="a"}': [2.0, 2.0]})


def test_without_removes_the_listed_labels_and_the_name():
    x = vec({'x{job="a",i="1"}': [1.0], 'y{job="a",i="2"}': [2.0], 'x{job="a",i="1",z="q"}': [4.0]})
    expect(aggregate("sum", x, ["i"], True, None), {'{job="a"}': [3.0], '{job="a",z="q"}': [4.0]})
    expect(aggregate("count", x, [], False, None), {"{}": [3.0]})


def test_a_group_exists_only_where_one_of_its_series_is_present():
    x = vec({'x{i="1"}': [1.0, None, None], 'x{i="2"}': [None, 2.0, None]})
    expect(aggregate("max", x, [], False, None), {"{}": [1.0, 2.0, None]})


# --- float order of the folds ---------------------------------------------------------------


def test_sum_is_a_naive_sum_in_input_order():
    # promtool: sum over 0.1, 0.2, 0.3 = 0.6000000000000001
    expect(aggregate("sum", vec({"a": [0.1], "b": [0.2], "c": [0.3]}), [], False, None), {"{}": [0.6000000000000001]})
    expect(aggregate("sum", vec({"c": [0.3], "b": [0.2], "a": [0.1]}), [], False, None), {"{}": [0.6]})
    expect(aggregate("sum", vec({"a": [-0.0]}), [], False, None), {"{}": [-0.0]})


def test_avg_is_the_incremental_mean():
    # m = 0.1; m += 0.2/2 - 0.1/2 -> 0.15000000000000002; m += 0.3/3 - m/3 -> 0.2, while
    # sum/count would be 0.20000000000000004.
    expect(aggregate("avg", vec({"a": [0.1], "b": [0.2], "c": [0.3]}), [], False, None), {"{}": [0.2]})


def test_avg_keeps_an_infinite_mean_unless_nan_or_the_opposite_infinity_arrives():
    x = vec({"a": [INF, INF, INF, 1.0, INF], "b": [1.0, INF, -INF, INF, NAN]})
    expect(aggregate("avg", x, [], False, None), {"{}": [INF, INF, NAN, INF, NAN]})


def test_max_and_min_replace_a_held_nan_but_never_take_a_later_one():
    x = vec({"a": [NAN, 1.0, NAN], "b": [2.0, NAN, NAN], "c": [1.0, 3.0, None]})
    expect(aggregate("max", x, [], False, None), {"{}": [2.0, 3.0, NAN]})
    expect(aggregate("min", x, [], False, None), {"{}": [1.0, 1.0, NAN]})


def test_stddev_and_stdvar_are_population_welford():
    x = vec(
        {
            "a": [2.0, 1.0],
            "b": [4.0, None],
            "c": [4.0, None],
            "d": [4.0, None],
            "e": [5.0, None],
            "f": [5.0, None],
            "g": [7.0, None],
            "h": [9.0, None],
        }
    )
    expect(aggregate("stddev", x, [], False, None), {"{}": [2.0, 0.0]})
    expect(aggregate("stdvar", x, [], False, None), {"{}": [4.0, 0.0]})


def test_count_and_group():
    x = vec({'x{a="1"}': [NAN, 1.0], 'x{a="2"}': [None, 5.0]})
    expect(aggregate("count", x, [], False, None), {"{}": [1.0, 2.0]})
    expect(aggregate("group", x, ["a"], False, None), {'{a="1"}': [1.0, 1.0], '{a="2"}': [None, 1.0]})


# --- quantile -------------------------------------------------------------------------------


def test_quantile_interpolates_between_sorted_neighbours_with_phi_per_step():
    x = vec({"a": [4.0, 4.0, 4.0, 4.0, 4.0], "b": [1.0, 1.0, 1.0, 1.0, 1.0], "c": [2.0, 2.0, 2.0, 2.0, None]})
    # sorted 1 2 4: φ=0.5 -> 2; φ=0.75 -> rank 1.5 -> 3; φ=-1 -> -Inf; φ=2 -> +Inf; last step 1 4, φ=0.5 -> 2.5
    expect(aggregate("quantile", x, [], False, scalar(0.5, 0.75, -1, 2, 0.5)), {"{}": [2.0, 3.0, -INF, INF, 2.5]})
    expect(aggregate("quantile", x, [], False, scalar(NAN, 0, 1, 0, 0)), {"{}": [NAN, 1.0, 4.0, 1.0, 1.0]})


def test_quantile_sorts_nan_first_and_an_unweighted_infinite_neighbour_poisons():
    # promtool: quantile(0.5, 5 5 7 5 NaN) = 5; quantile(0, ...) = NaN; quantile(0.2, ...) = NaN
    x = vec({"a": [5.0] * 3, "b": [5.0] * 3, "c": [7.0] * 3, "d": [5.0] * 3, "e": [NAN] * 3})
    expect(aggregate("quantile", x, [], False, scalar(0.5, 0, 0.2)), {"{}": [5.0, NAN, NAN]})
    # 1*(1-0) + Inf*0 = NaN
    expect(aggregate("quantile", vec({"a": [1.0], "b": [INF]}), [], False, scalar(0)), {"{}": [NAN]})


# --- topk / bottomk -------------------------------------------------------------------------


def test_topk_keeps_full_labels_and_k_may_change_per_step():
    x = vec({'x{i="1"}': [1.0, 1.0, 1.0, 1.0], 'x{i="2"}': [3.0, 3.0, 3.0, None], 'x{i="3"}': [2.0, 2.0, 2.0, 2.0]})
    expect(
        aggregate("topk", x, [], False, scalar(1, 2.9, 0.5, 5)),
        {'x{i="1"}': [None, None, None, 1.0], 'x{i="2"}': [3.0, 3.0, None, None], 'x{i="3"}': [None, 2.0, None, 2.0]},
    )
    expect(
        aggregate("bottomk", x, [], False, scalar(1, 2, -3, 1)),
        {'x{i="1"}': [1.0, 1.0, None, 1.0], 'x{i="3"}': [None, 2.0, None, None]},
    )


def test_topk_ties_follow_the_go_heap():
    # Checked with promtool on `x1 or x2 or ...` (which fixes the input order): 5 5 7 5 NaN.
    x = vec({'x{i="1"}': [5.0], 'x{i="2"}': [5.0], 'x{i="3"}': [7.0], 'x{i="4"}': [5.0], 'x{i="5"}': [NAN]})
    expect(aggregate("topk", x, [], False, scalar(2)), {'x{i="2"}': [5.0], 'x{i="3"}': [7.0]})
    expect(aggregate("topk", x, [], False, scalar(3)), {'x{i="1"}': [5.0], 'x{i="2"}': [5.0], 'x{i="3"}': [7.0]})
    expect(aggregate("bottomk", x, [], False, scalar(2)), {'x{i="1"}': [5.0], 'x{i="2"}': [5.0]})
    nan_first = vec({'x{i="1"}': [NAN], 'x{i="2"}': [5.0], 'x{i="3"}': [5.0], 'x{i="4"}': [7.0]})
    expect(aggregate("bottomk", nan_first, [], False, scalar(2)), {'x{i="2"}': [5.0], 'x{i="3"}': [5.0]})


def test_topk_rejects_k_that_does_not_fit_an_int64_even_on_empty_input():
    # promtool: topk(NaN, x) -> "Scalar value NaN overflows int64"; topk(1e19, x) -> 1e+19
    with pytest.raises(PromQLError, match=r"^Scalar value NaN overflows int64$") as error:
        aggregate("topk", VectorOverGrid.empty(2), [], False, scalar(1, NAN))
    assert error.value.step_index == 1
    with pytest.raises(PromQLError, match=r"^Scalar value 1e\+19 overflows int64$"):
        aggregate("bottomk", vec({"a": [1.0]}), [], False, scalar(1e19))
    expect(aggregate("topk", vec({"a": [1.0]}), [], False, scalar(2.0**63)), {})


def test_topk_per_group():
    x = vec({'x{g="a",i="1"}': [1.0], 'x{g="b",i="2"}': [5.0], 'x{g="a",i="3"}': [3.0], 'x{g="b",i="4"}': [4.0]})
    expect(aggregate("topk", x, ["g"], False, scalar(1)), {'x{g="a",i="3"}': [3.0], 'x{g="b",i="2"}': [5.0]})


# --- count_values ---------------------------------------------------------------------------


def test_count_values_formats_like_go_and_counts_per_step():
    # promtool: +Inf, -0, 0.0000001, 0.1, 1000000000000000000000, NaN
    x = vec(
        {
            'y{i="1"}': [1e21, 1.0],
            'y{i="2"}': [0.1, 1.0],
            'y{i="3"}': [-0.0, 0.0],
            'y{i="4"}': [INF, None],
            'y{i="5"}': [NAN, NAN],
            'y{i="6"}': [1e-7, None],
        }
    )
    expect(
        aggregate("count_values", x, [], False, StringValue("v")),
        {
            '{v="1000000000000000000000"}': [1.0, None],
            '{v="0.1"}': [1.0, None],
            '{v="-0"}': [1.0, None],
            '{v="+Inf"}': [1.0, None],
            '{v="NaN"}': [1.0, 1.0],
            '{v="0.0000001"}': [1.0, None],
            '{v="1"}': [None, 2.0],
            '{v="0"}': [None, 1.0],
        },
    )


def test_count_values_with_by_and_without():
    x = vec({'x{job="a",i="1"}': [2.0], 'x{job="a",i="2"}': [2.0], 'x{job="b",i="3"}': [2.0]})
    expect(
        aggregate("count_values", x, ["job"], False, StringValue("value")),
        {'{job="a",value="2"}': [2.0], '{job="b",value="2"}': [1.0]},
    )
    expect(
        aggregate("count_values", x, ["i"], True, StringValue("value")),
        {'{job="a",value="2"}': [2.0], '{job="b",value="2"}': [1.0]},
    )
    with pytest.raises(PromQLError, match='^invalid label name "1a"$'):
        aggregate("count_values", x, [], False, StringValue("1a"))


def test_go_number_formats():
    assert [go_format_float(v) for v in (1e19, 1234567.0, 123456.0, 1e-5, 0.0001, -0.0)] == [
        "1e+19",
        "1.234567e+06",
        "123456",
        "1e-05",
        "0.0001",
        "-0",
    ]
    assert format_float_f(1e21) == "1000000000000000000000" and format_float_f(-INF) == "-Inf"


# --- a literal transcription of engine.go as the oracle -------------------------------------


def reference_aggregation(op, samples, param):
    """engine.go aggregation for one step without grouping: samples is [(name, value)]."""
    if op in ("topk", "bottomk"):
        k = int(param)
        if k < 1:
            return {}
        less = (lambda a, b: math.isnan(a) or a < b) if op == "topk" else (lambda a, b: math.isnan(a) or a > b)
        heap = []
        for name, v in samples:
            if not heap:
                heap.append((name, v))
                continue
            if len(heap) < k or (v > heap[0][1] if op == "topk" else v < heap[0][1]) or math.isnan(heap[0][1]):
                if len(heap) == k:
                    if k == 1:
                        heap[0] = (name, v)
                        continue
                    go_heap_pop(heap, less)
                go_heap_push(heap, (name, v), less)
        return dict(heap)
    if not samples:
        return {}
    value = mean = samples[0][1]
    count = 1
    if op in ("stddev", "stdvar"):
        value = 0.0
    quantile_values = [samples[0][1]]
    for _, v in samples[1:]:
        if op == "sum":
            value += v
        elif op == "avg":
            count += 1
            if math.isinf(mean) and (
                (math.isinf(v) and (mean > 0) == (v > 0)) or (not math.isinf(v) and not math.isnan(v))
            ):
                continue
            mean += v / count - mean / count
        elif op == "max":
            if value < v or math.isnan(value):
                value = v
        elif op == "min":
            if value > v or math.isnan(value):
                value = v
        elif op in ("stddev", "stdvar"):
            count += 1
            delta = v - mean
            mean += delta / count
            value += delta * (v - mean)
        elif op == "quantile":
            quantile_values.append(v)
        else:
            count += 1
    if op == "avg":
        value = mean
    elif op == "count":
        value = float(count)
    elif op == "stdvar":
        value = value / count
    elif op == "stddev":
        value = math.sqrt(value / count)
    elif op == "quantile":
        value = reference_quantile(param, quantile_values)
    return {"": value}


def reference_quantile(q, values):
    if math.isnan(q):
        return NAN
    if q < 0:
        return -INF
    if q > 1:
        return INF
    ordered = [v for v in values if math.isnan(v)] + sorted(v for v in values if not math.isnan(v))
    n = len(ordered)
    rank = q * (n - 1)
    lower = max(0.0, math.floor(rank))
    upper = min(n - 1.0, lower + 1)
    weight = rank - math.floor(rank)
    with np.errstate(all="ignore"):
        return float(np.float64(ordered[int(lower)]) * (1 - weight) + np.float64(ordered[int(upper)]) * weight)


def go_heap_push(heap, item, less):
    heap.append(item)
    j = len(heap) - 1
    while True:
        i = (j - 1) // 2 if j > 0 else 0
        if i == j or not less(heap[j][1], heap[i][1]):
            break
        heap[i], heap[j] = heap[j], heap[i]
        j = i


def go_heap_pop(heap, less):
    n = len(heap) - 1
    heap[0], heap[n] = heap[n], heap[0]
    i = 0
    while True:
        j1 = 2 * i + 1
        if j1 >= n:
            break
        j = j1
        if j1 + 1 < n and less(heap[j1 + 1][1], heap[j1][1]):
            j = j1 + 1
        if not less(heap[j][1], heap[i][1]):
            break
        heap[i], heap[j] = heap[j], heap[i]
        i = j
    heap.pop()


cell_value = st.one_of(st.none(), st.sampled_from([0.1, 0.2, 0.3, 1.0, 2.0, -1.0, 1e308, INF, -INF, NAN, -0.0]))


@settings(max_examples=60, deadline=None)
@given(
    grid=st.integers(1, 7).flatmap(
        lambda rows: st.lists(st.lists(cell_value, min_size=5, max_size=5), min_size=rows, max_size=rows)
    ),
    op=st.sampled_from(["sum", "avg", "max", "min", "count", "stddev", "stdvar", "quantile", "topk", "bottomk"]),
    params=st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0, 3.0, -1.0]), min_size=5, max_size=5),
    group_count=st.integers(1, 3),
)
def test_grid_equals_engine_go_step_by_step(grid, op, params, group_count):
    # Series i belongs to group g = i % group_count; the reference aggregates each group apart.
    x = vec({f'x{{g="{i % group_count}",i="{i}"}}': row for i, row in enumerate(grid)})
    param = scalar(*params) if op in ("quantile", "topk", "bottomk") else None
    got = cells(aggregate(op, x, ["g"], False, param))
    for step in range(5):
        want = {}
        for g in range(group_count):
            samples = [
                (f'x{{g="{g}",i="{i}"}}', row[step])
                for i, row in enumerate(grid)
                if row[step] is not None and i % group_count == g
            ]
            for name, value in reference_aggregation(op, samples, params[step]).items():
                want[labels(name) if name else labels(f'{{g="{g}"}}')] = value
        got_at_step = {row: values[step] for row, values in got.items() if values[step] is not None}
        assert set(got_at_step) == set(want), (step, got_at_step, want)
        assert all(same(got_at_step[key], want[key]) for key in want), (step, got_at_step, want)


# --- cross-check with the real promtool ------------------------------------------------------


def test_matches_promtool():
    # `a or b or ...` fixes the input order (promtool's own series order is not stable).
    values = [0.1, 0.7, 0.2, 0.3, 0.7, 1e-3, 5.0]
    series = {f'm{i}{{i="{i}",g="{i % 2}"}}': repr(v) for i, v in enumerate(values)}
    chain = " or ".join(f"m{i}" for i in range(len(values)))
    x = VectorOverGrid(
        [labels(s) for s in series], np.array([[v] for v in values]), np.ones((len(values), 1), dtype=bool)
    )
    cases = {
        f"sum by (g) ({chain})": aggregate("sum", x, ["g"], False, None),
        f"avg({chain})": aggregate("avg", x, [], False, None),
        f"stddev without (i) ({chain})": aggregate("stddev", x, ["i"], True, None),
        f"quantile(0.3, {chain})": aggregate("quantile", x, [], False, scalar(0.3)),
        f"topk by (g) (2, {chain})": aggregate("topk", x, ["g"], False, scalar(2)),
        f"bottomk(3, {chain})": aggregate("bottomk", x, [], False, scalar(3)),
        f'count_values("v", {chain})': aggregate("count_values", x, [], False, StringValue("v")),
    }
    for (expr, ours), theirs in zip(cases.items(), promtool_results(series, list(cases))):
        assert {row: float(ours.values[i, 0]) for i, row in enumerate(ours.labels) if ours.present[i, 0]} == theirs, (
            expr
        )


def test_sum_adds_sequentially_not_pairwise():
    # Sequentially, every +1 is lost against 1e16 (round half to even); a pairwise sum keeps them.
    rows = {"big": [1e16]} | {f'one{{i="{i}"}}': [1.0] for i in range(200)}
    expect(aggregate("sum", vec(rows), [], False, None), {"{}": [1e16]})
    expect(
        aggregate("sum", vec({f'one{{i="{i}"}}': [1.0] for i in range(200)} | {"big": [1e16]}), [], False, None),
        {"{}": [1.0000000000000200e16]},
    )


def test_topk_groups_are_chunked_without_changing_the_answer(monkeypatch):
    import simulator.promql.aggregations as aggregations

    x = vec({f'x{{g="{i % 4}",i="{i}"}}': [float(i % 3), float(i % 5), None] for i in range(12)})
    whole = cells(aggregate("topk", x, ["g"], False, scalar(2, 1, 2)))
    chunks = aggregations._group_chunks
    monkeypatch.setattr(
        aggregations, "_group_chunks", lambda groups, steps, k_max: chunks(groups, steps, k_max, cell_budget=1)
    )
    assert cells(aggregate("topk", x, ["g"], False, scalar(2, 1, 2))) == whole
    assert len(list(chunks(aggregations.group_rows(x.labels, ["g"], False), 3, 2, cell_budget=1))) == 4


def test_groups_never_present_on_the_grid_are_not_output():
    x = vec({'x{job="a"}': [None, None], 'x{job="b"}': [1.0, None]})
    for op, param in (("sum", None), ("avg", None), ("quantile", scalar(0.5, 0.5))):
        assert aggregate(op, x, ["job"], False, param).labels == [labels('{job="b"}')]
