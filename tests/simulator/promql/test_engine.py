"""The evaluator: AST dispatch, subqueries, literals, errors, and grid = per-step instant queries."""

import math

import numpy as np
import pytest
from helpers import as_dict, column, make_storage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.promql.engine import evaluate, instant_query
from simulator.promql.model import Grid, PromQLError, ScalarOverGrid, StringValue, VectorOverGrid
from simulator.promql.storage import Storage

MINUTE = 60_000


@pytest.fixture(scope="module")
def ramp():
    return make_storage({"x": "0+1x20", 'y{job="a"}': "1 2 3", 'y{job="b"}': "10 20 30"})


# --- literals and simple nodes ---------------------------------------------------------------


def test_number_literal_is_a_scalar_at_every_step(ramp):
    result = evaluate("1.5", ramp, Grid(0, 2 * MINUTE, MINUTE))
    assert isinstance(result, ScalarOverGrid)
    assert result.values.tolist() == [1.5, 1.5, 1.5]


def test_string_literal(ramp):
    assert evaluate('"hello"', ramp, Grid.at(0)) == StringValue("hello")


def test_parentheses_are_transparent(ramp):
    assert as_dict(instant_query("((x))", ramp, MINUTE)) == {"x{}": 1.0}


def test_unary_minus_negates_and_drops_the_metric_name(ramp):
    assert as_dict(instant_query("-x", ramp, 2 * MINUTE)) == {"{}": -2.0}
    assert as_dict(instant_query("-(-x)", ramp, 2 * MINUTE)) == {"{}": 2.0}
    assert instant_query("-time()", ramp, 2 * MINUTE).values.tolist() == [-120.0]


def test_unary_minus_on_series_differing_only_by_name_fails():
    storage = make_storage({'a{k="1"}': "1", 'b{k="1"}': "2"})
    with pytest.raises(PromQLError, match="same labelset"):
        instant_query('-{__name__=~"a|b"}', storage, 0)


# --- subqueries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr, expected",
    [
        # Inner steps are absolute multiples of 45 s inside [9m, 12m]: 540, 585, 630, 675, 720 s,
        # where x (a sample per minute, x(t) = minute) reads 9, 9, 10, 11, 12.
        ("sum_over_time(x[3m:45s])", 51.0),
        ("count_over_time(x[3m:45s])", 5.0),
        # Multiples of 50 s in [540, 720]: 550, 600, 650, 700 → 9, 10, 10, 11.
        ("sum_over_time(x[3m:50s])", 40.0),
        # offset 1m moves the window to [480, 660]: 500, 550, 600, 650 → 8, 9, 10, 10.
        ("sum_over_time(x[3m:50s] offset 1m)", 37.0),
        # No step: the default 1m (promtool: the evaluation interval) → 9m..12m.
        ("count_over_time(x[3m:])", 4.0),
        # @ fixes the window end: [120, 300] at 1m steps → 2..5.
        ("sum_over_time(x[3m:1m] @ 300)", 14.0),
        # Nested: rate of a subquery of a rate (all 1/60 on a straight ramp).
        ("max_over_time(rate(x[2m])[5m:1m])", 1 / 60 * (1.0)),
    ],
)
def test_subqueries(ramp, expr, expected):
    result = as_dict(instant_query(expr, ramp, 12 * MINUTE))
    assert list(result.values()) == [pytest.approx(expected, rel=1e-15)] and len(result) == 1


def test_subquery_over_a_grid_matches_instant_queries(ramp):
    grid = Grid(30_000, 15 * MINUTE, 70_000)
    for expr in ["sum_over_time(x[3m:45s])", "rate(x[5m:20s])", "last_over_time(y[2m:1m] offset 30s)"]:
        over_grid = evaluate(expr, ramp, grid)
        for step, t in enumerate(grid.timestamps):
            assert as_dict(over_grid, step) == as_dict(instant_query(expr, ramp, int(t))), (expr, t)


def test_at_start_inside_a_subquery_needs_one_time_for_all_steps(ramp):
    assert as_dict(instant_query("max_over_time((x @ start())[2m:1m])", ramp, 5 * MINUTE)) == {"{}": 5.0}
    with pytest.raises(PromQLError, match="^unsupported:"):
        evaluate("max_over_time((x @ start())[2m:1m])", ramp, Grid(0, 2 * MINUTE, MINUTE))
    result = evaluate("max_over_time((x @ start())[2m:1m])", ramp, Grid(0, 2 * MINUTE, MINUTE), range_query=True)
    assert column(result) == [0.0, 0.0, 0.0]


# --- aggregations and binary operators are dispatched to their modules ------------------------


def test_aggregation_dispatch(ramp):
    assert as_dict(instant_query("sum(y)", ramp, MINUTE)) == {"{}": 22.0}
    assert as_dict(instant_query("sum by (job) (y)", ramp, MINUTE)) == {'{job="a"}': 2.0, '{job="b"}': 20.0}
    assert as_dict(instant_query("max without (job) (y)", ramp, MINUTE)) == {"{}": 20.0}
    assert as_dict(instant_query("topk(1, y)", ramp, MINUTE)) == {'y{job="b"}': 20.0}
    assert as_dict(instant_query('count_values("v", y)', ramp, 0)) == {'{v="1"}': 1.0, '{v="10"}': 1.0}


def test_binary_operator_dispatch(ramp):
    assert instant_query("1 + 2 * 3", ramp, 0).values.tolist() == [7.0]
    assert as_dict(instant_query("y * 2", ramp, 0)) == {'{job="a"}': 2.0, '{job="b"}': 20.0}
    assert as_dict(instant_query("2 < y", ramp, 0)) == {'y{job="b"}': 10.0}
    assert as_dict(instant_query("y > bool 5", ramp, 0)) == {'{job="a"}': 0.0, '{job="b"}': 1.0}
    assert as_dict(instant_query('y{job="a"} + on() y{job="b"}', ramp, 0)) == {"{}": 11.0}
    assert as_dict(instant_query("y + ignoring(job) group_left x", ramp, 0)) == {'{job="a"}': 1.0, '{job="b"}': 10.0}
    assert as_dict(instant_query('y and y{job="a"}', ramp, 0)) == {'y{job="a"}': 1.0}
    assert as_dict(instant_query('y unless y{job="a"}', ramp, 0)) == {'y{job="b"}': 10.0}
    # or matches on all labels but __name__: {} matches x's signature, so vector(7) is dropped.
    assert as_dict(instant_query("x or vector(7)", ramp, 0)) == {"x{}": 0.0}
    assert as_dict(instant_query("nothing or vector(7)", ramp, 0)) == {"{}": 7.0}


def test_aggregations_newer_than_2_42_are_refused_like_promtool(ramp):
    with pytest.raises(PromQLError, match='^1:1: parse error: unknown function with name "limitk"$'):
        instant_query("limitk(1, y)", ramp, 0)


# --- errors -----------------------------------------------------------------------------------


def test_syntax_error_becomes_promql_error(ramp):
    with pytest.raises(PromQLError, match="parse error"):
        instant_query("sum(x", ramp, 0)
    with pytest.raises(PromQLError, match="parse error"):
        instant_query("nosuchfunction(x)", ramp, 0)


def test_range_vector_result_is_refused(ramp):
    with pytest.raises(PromQLError, match="range vector"):
        instant_query("x[5m]", ramp, 0)


def test_pre_parsed_expressions_are_accepted(ramp):
    import promql_parser

    assert as_dict(instant_query(promql_parser.parse("x"), ramp, MINUTE)) == {"x{}": 1.0}


def test_empty_storage_gives_empty_vectors():
    result = evaluate("rate(x[5m]) + sum_over_time(x[5m:1m])", Storage(), Grid(0, 5 * MINUTE, MINUTE))
    assert isinstance(result, VectorOverGrid) and len(result) == 0


# --- the grid promise: step j equals an instant query at timestamps[j] ------------------------

EXPRESSIONS = [
    "c",
    "rate(c[2m])",
    "increase(c[90s] offset 30s)",
    "delta(c[3m])",
    "irate(c[2m])",
    "sum_over_time(c[2m])",
    "avg_over_time(c[3m])",
    "min_over_time(c[150s])",
    "quantile_over_time(0.25, c[3m])",
    "changes(c[2m])",
    "deriv(c[2m])",
    "timestamp(c)",
    "max_over_time(c[2m:30s])",
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.lists(
        st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.just(math.nan)), min_size=1, max_size=25
    ),
    start=st.integers(0, 8 * MINUTE),
    step=st.sampled_from([10_000, 30_000, 60_000, 95_000]),
)
def test_grid_evaluation_equals_instant_queries(values, start, step):
    storage = Storage()
    times = [k * 20_000 for k, v in enumerate(values) if v is not None]
    samples = [v for v in values if v is not None]
    storage.add((("__name__", "c"),), np.array(times, dtype=np.int64), np.array(samples, dtype=float))
    grid = Grid(start, start + 6 * step, step)
    for expr in EXPRESSIONS:
        over_grid = evaluate(expr, storage, grid)
        for j, t in enumerate(grid.timestamps):
            single = instant_query(expr, storage, int(t))
            expected = {k: repr(v) for k, v in as_dict(single).items()}
            assert {k: repr(v) for k, v in as_dict(over_grid, j).items()} == expected, (expr, t)


def test_subquery_default_step_is_configurable(ramp):
    # promtool uses its evaluation_interval for [r:]: with 30s, [9m, 12m] holds 7 inner steps.
    assert as_dict(instant_query("count_over_time(x[3m:])", ramp, 12 * MINUTE, subquery_step_ms=30_000)) == {"{}": 7.0}


def test_at_timestamp_out_of_range_is_a_promql_error(ramp):
    with pytest.raises(PromQLError, match="out of bounds"):
        instant_query("x @ 1e20", ramp, 0)


def test_histogram_quantile_dispatch():
    # Buckets le=1: 5, le=2: 10, +Inf: 10 → rank 0.5*10 = 5 falls in the first bucket at its top.
    storage = make_storage({'h_bucket{le="1"}': "5", 'h_bucket{le="2"}': "10", 'h_bucket{le="+Inf"}': "10"})
    assert as_dict(instant_query("histogram_quantile(0.5, h_bucket)", storage, 0)) == {"{}": 1.0}
    assert as_dict(instant_query("histogram_quantile(0.75, h_bucket)", storage, 0)) == {"{}": 1.5}
