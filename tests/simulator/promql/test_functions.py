"""PromQL functions: expected values worked out from promql/functions.go (v2.42.0) and
confirmed with promtool 2.42 (test_functions_promtool.py re-checks them live)."""

import math

import numpy as np
import pytest
from helpers import as_dict, column, make_storage

from simulator.promql.engine import evaluate, instant_query
from simulator.promql.model import Grid, PromQLError, ScalarOverGrid
from simulator.promql.storage import Storage

MINUTE = 60_000

SERIES = {
    "r": "10 20 5 15",
    "ctr": "0+10x10",
    "h": "0.1 0.2 0.3",
    "g": "3 -1 4 1 -5 9 2 6",
    "z": "_ 1 11 21",
    "z2": "_ _ _ 5 10 15",
    "nanny": "NaN 1 NaN 3",
    "qn": "1 NaN 3",
    "big": "1000 8 0.001 2.5 -2.5",
}


@pytest.fixture(scope="module")
def storage():
    return make_storage(SERIES)


def value_at(storage, expr: str, t_ms: int) -> float:
    result = instant_query(expr, storage, t_ms)
    if isinstance(result, ScalarOverGrid):
        return float(result.values[0])
    present = as_dict(result)
    assert len(present) == 1, present
    return next(iter(present.values()))


# --- rate, increase, delta, irate, idelta --------------------------------------------------


@pytest.mark.parametrize(
    "expr, t_ms, expected",
    [
        # The notes' ✔ values: r = 10 20 5 15 at 1m, evaluated at 3m over [5m].
        ("increase(r[5m])", 3 * MINUTE, 29.166666666666668),
        ("delta(r[5m])", 3 * MINUTE, 5.833333333333334),
        ("irate(r[5m])", 3 * MINUTE, 0.16666666666666666),  # (15 - 5) / 60
        ("idelta(r[5m])", 3 * MINUTE, 10.0),
        # Full window of 0+10x...: factor = (300/240... computed as ext/sampled then / 300. ✔
        ("rate(ctr[5m])", 10 * MINUTE, 0.16666666666666669),
        # z = _ 1 11 21: zero clamp shortens dStart from 60 s to 120*(1/20) = 6 s;
        # ext = 120 + 6 + 30 = 156, factor 1.3, increase = 20 * 1.3.
        ("increase(z[5m])", 5 * MINUTE, 26.0),
        ("rate(z[5m])", 5 * MINUTE, 0.08666666666666667),
        # Trap 3: z2 = _ _ _ 5 10 15, dStart = 180 s >= 1.1*avg = 66 s, dZero = 60 s.
        # 2.42 clamps first (60 s < 66 s → extend by 60): 10 * 180/120 = 15.
        # (2.51+ would substitute avg/2 = 30 s first and give 12.5.)
        ("increase(z2[5m])", 5 * MINUTE, 15.0),
    ],
)
def test_extrapolated_rate_and_instant_value(storage, expr, t_ms, expected):
    assert value_at(storage, expr, t_ms) == expected


def test_rate_needs_two_samples(storage):
    result = evaluate("rate(r[1m])", storage, Grid(0, 3 * MINUTE, MINUTE))
    # At 1m: samples at 0 and 1m cover the window exactly, factor (60/60)/60, times Δ = 10.
    assert column(result)[:2] == [None, 10 * (1.0 / 60)]


def test_irate_counter_reset_uses_last_value(storage):
    # 20 → 5 is a reset: irate uses 5 / 60.
    assert value_at(storage, "irate(r[5m])", 2 * MINUTE) == 5 / 60


def test_counter_resets_are_added_in_order():
    # Δ = 1 - 0 = 1, plus the values before the drops 30 and 20: 51 over 4 samples 1m apart,
    # a window [0, 3m] fully covered → no extrapolation.
    storage = make_storage({"c": "0 30 20 1"})
    assert value_at(storage, "increase(c[3m])", 3 * MINUTE) == 51.0
    assert value_at(storage, "resets(c[3m])", 3 * MINUTE) == 2.0


# --- *_over_time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr, t_ms, expected",
    [
        ("sum_over_time(h[5m])", 2 * MINUTE, 0.6),  # Kahan: naive would give 0.6000000000000001 ✔
        ("avg_over_time(h[5m])", 2 * MINUTE, 0.19999999999999998),  # compensated mean ✔
        ("stddev_over_time(h[5m])", 2 * MINUTE, 0.08164965809277258),
        ("stdvar_over_time(h[5m])", 2 * MINUTE, 0.006666666666666664),
        ("sum_over_time(g[10m])", 7 * MINUTE, 19.0),
        ("avg_over_time(g[10m])", 7 * MINUTE, 2.375),
        ("min_over_time(g[10m])", 7 * MINUTE, -5.0),
        ("max_over_time(g[10m])", 7 * MINUTE, 9.0),
        ("count_over_time(g[10m])", 7 * MINUTE, 8.0),
        # sorted -5 -1 1 2 3 4 6 9; rank 0.5*7 = 3.5 → (2 + 3) / 2
        ("quantile_over_time(0.5, g[10m])", 7 * MINUTE, 2.5),
        # NaN sorts first: [NaN, 1, 3], rank 1 → 1
        ("quantile_over_time(0.5, qn[10m])", 2 * MINUTE, 1.0),
        ("quantile_over_time(1.5, g[10m])", 7 * MINUTE, math.inf),
        ("quantile_over_time(-1, g[10m])", 7 * MINUTE, -math.inf),
        # A leading NaN is replaced; later NaNs never win.
        ("max_over_time(nanny[10m])", 3 * MINUTE, 3.0),
        ("min_over_time(nanny[10m])", 3 * MINUTE, 1.0),
        ("changes(g[10m])", 7 * MINUTE, 7.0),
        ("resets(g[10m])", 7 * MINUTE, 4.0),
        ("changes(r[5m])", 3 * MINUTE, 3.0),
        ("present_over_time(g[10m])", 7 * MINUTE, 1.0),
        ("deriv(ctr[5m])", 10 * MINUTE, 0.16666666666666666),
        ("predict_linear(ctr[5m], 60)", 10 * MINUTE, 110.0),
        ("deriv(g[10m])", 7 * MINUTE, 0.008928571428571428),
        ("predict_linear(g[10m], 120)", 7 * MINUTE, 5.321428571428571),
        ("holt_winters(g[10m], 0.5, 0.5)", 7 * MINUTE, 5.07177734375),
    ],
)
def test_over_time_functions(storage, expr, t_ms, expected):
    assert value_at(storage, expr, t_ms) == expected


def test_all_nan_window_gives_nan(storage):
    assert math.isnan(value_at(storage, "max_over_time(nanny[10m])", 0))
    assert math.isnan(value_at(storage, "quantile_over_time(0, qn[10m])", 2 * MINUTE))


def test_over_time_drops_metric_name_but_last_over_time_keeps_it(storage):
    assert as_dict(instant_query("sum_over_time(g[1m])", storage, MINUTE)) == {"{}": 2.0}
    assert as_dict(instant_query("last_over_time(g[1m])", storage, MINUTE)) == {"g{}": -1.0}


def test_deriv_of_constant_is_zero_and_of_infinite_constant_is_nan():
    storage = make_storage({"k": "5 5 5", "infinite": "Inf Inf"})
    assert value_at(storage, "deriv(k[5m])", 2 * MINUTE) == 0.0
    assert math.isnan(value_at(storage, "deriv(infinite[5m])", 2 * MINUTE))


def test_holt_winters_rejects_factors_outside_0_1(storage):
    with pytest.raises(PromQLError, match="invalid smoothing factor"):
        instant_query("holt_winters(g[10m], 1, 0.5)", storage, 7 * MINUTE)


def test_absent_over_time(storage):
    result = evaluate('absent_over_time(nope{job="x"}[5m])', storage, Grid(0, MINUTE, MINUTE))
    assert as_dict(result) == {'{job="x"}': 1.0}
    assert as_dict(evaluate("absent_over_time(g[5m])", storage, Grid.at(0))) == {}


def test_long_windows_are_exact_and_consistent_with_short_grid_steps():
    # The per-step window machinery must give the same answer as one instant query per step.
    storage = make_storage({"x": "1+0.1x300"}, interval_ms=15_000)
    grid = Grid(0, 75 * MINUTE, 7 * MINUTE)
    for expr in ["sum_over_time(x[30m])", "avg_over_time(x[30m])", "rate(x[17m])"]:
        over_grid = evaluate(expr, storage, grid)
        for step, t in enumerate(grid.timestamps):
            single = instant_query(expr, storage, int(t))
            assert as_dict(over_grid, step) == as_dict(single), (expr, t)


# --- instant-vector functions ---------------------------------------------------------------


@pytest.mark.parametrize(
    "expr, t_ms, expected",
    [
        # Go's Log10 is Log2(x) * (Ln2/Ln10) and Log2 goes through Frexp: exact here. ✔
        ("log10(big)", 0, 3.0),
        ("log2(big)", MINUTE, 3.0),
        ("log10(big)", 2 * MINUTE, -3.0),
        ("ln(big)", 0, 6.907755278982137),
        ("exp(big)", MINUTE, 2980.9579870417283),
        ("sqrt(big)", MINUTE, 2.8284271247461903),
        # round: floor(v + 0.5), ties go up: 2.5 → 3, -2.5 → -2.
        ("round(big)", 3 * MINUTE, 3.0),
        ("round(big)", 4 * MINUTE, -2.0),
        ("round(h, 0.5)", 2 * MINUTE, 0.5),
        ("abs(big)", 4 * MINUTE, 2.5),
        ("ceil(big)", 3 * MINUTE, 3.0),
        ("floor(big)", 4 * MINUTE, -3.0),
        ("sgn(big)", 4 * MINUTE, -1.0),
        ("clamp(big, 0, 10)", 0, 10.0),
        ("clamp_min(big, 5)", 3 * MINUTE, 5.0),
        ("clamp_max(big, 5)", 0, 5.0),
        ("time()", 90_000, 90.0),
        ("scalar(big)", MINUTE, 8.0),
        ("pi()", 0, math.pi),
        ("timestamp(abs(big))", 90_000, 90.0),  # not a selector: the evaluation time
        ("minute()", 83 * MINUTE, 23.0),
        ("hour(vector(7200))", 0, 2.0),
        ("day_of_week(vector(0))", 0, 4.0),  # 1970-01-01 was a Thursday
        ("day_of_month(vector(1700000000))", 0, 14.0),  # 2023-11-14T22:13:20Z
        ("day_of_year(vector(1700000000))", 0, 318.0),
        ("month(vector(1700000000))", 0, 11.0),
        ("year(vector(1700000000))", 0, 2023.0),
        ("days_in_month(vector(1709251199))", 0, 29.0),  # 2024-02-29T23:59:59Z
        ("hour(vector(-1))", 0, 23.0),
    ],
)
def test_instant_functions(storage, expr, t_ms, expected):
    assert value_at(storage, expr, t_ms) == expected


def test_instant_functions_drop_metric_name(storage):
    assert as_dict(instant_query("abs(big)", storage, 0)) == {"{}": 1000.0}


def test_clamp_with_max_below_min_returns_nothing_and_nan_propagates():
    storage = make_storage({"x": "NaN"})
    assert as_dict(instant_query("clamp(x, 2, 1)", storage, 0)) == {}
    assert math.isnan(value_at(storage, "clamp(x, 0, 1)", 0))
    assert math.isnan(value_at(storage, "clamp_min(x, 0)", 0))


def test_scalar_is_nan_unless_exactly_one_element():
    storage = make_storage({'x{a="1"}': "1", 'x{a="2"}': "2"})
    assert math.isnan(value_at(storage, "scalar(x)", 0))
    assert math.isnan(value_at(storage, "scalar(nothing)", 0))
    assert value_at(storage, 'scalar(x{a="2"})', 0) == 2.0


def test_vector_has_no_labels(storage):
    assert as_dict(instant_query("vector(time())", storage, 5 * MINUTE)) == {"{}": 300.0}


def test_absent_labels_come_from_equality_matchers():
    storage = make_storage({"x": "1"})
    assert as_dict(instant_query('absent(nope{a="b", d="e", c=~"x"})', storage, 0)) == {'{a="b", d="e"}': 1.0}
    # A name matched twice is left out.
    assert as_dict(instant_query('absent(nope{a="b", a="c"})', storage, 0)) == {"{}": 1.0}
    assert as_dict(instant_query("absent(x)", storage, 0)) == {}
    assert as_dict(instant_query("absent(sum(nope))", storage, 0)) == {"{}": 1.0}


@pytest.mark.parametrize(
    "expr, expected_labels",
    [
        # Go's $1x names a group "1x" (empty), and $2 does not exist: empty deletes the label. ✔
        ('label_replace(lbl, "c", "$1x$2", "a", "(.)")', 'lbl{a="x", b="y"}'),
        ('label_replace(lbl, "c", "${1}x", "a", "(?P<name>.)")', 'lbl{a="x", b="y", c="xx"}'),
        ('label_replace(lbl, "c", "$name-$$", "a", "(?P<name>.)")', 'lbl{a="x", b="y", c="x-$"}'),
        ('label_replace(lbl, "c", "z", "a", "nomatch")', 'lbl{a="x", b="y"}'),
        ('label_replace(lbl, "a", "", "a", "x")', 'lbl{b="y"}'),
        ('label_join(lbl, "c", ",", "b", "a", "none")', 'lbl{a="x", b="y", c="y,x,"}'),
    ],
)
def test_label_replace_and_join(expr, expected_labels):
    storage = make_storage({'lbl{a="x", b="y"}': "1"})
    assert as_dict(instant_query(expr, storage, 0)) == {expected_labels: 1.0}


def test_label_replace_rejects_bad_regex_and_label_name():
    storage = make_storage({"x": "1"})
    with pytest.raises(PromQLError, match="invalid regular expression in label_replace"):
        instant_query('label_replace(x, "a", "b", "c", "(")', storage, 0)
    with pytest.raises(PromQLError, match="invalid destination label name"):
        instant_query('label_replace(x, "1a", "b", "c", ".*")', storage, 0)


def test_same_labelset_after_dropping_name_fails_only_where_both_are_present():
    # dup1 is visible at 0 and (by lookback) at 1m; dup2 only from 1m. ✔ promtool fails at 1m.
    storage = make_storage({'dup1{a="1"}': "1 _", 'dup2{a="1"}': "_ 2"})
    assert as_dict(instant_query('abs({__name__=~"dup.*"})', storage, 0)) == {'{a="1"}': 1.0}
    with pytest.raises(PromQLError, match="vector cannot contain metrics with the same labelset"):
        instant_query('abs({__name__=~"dup.*"})', storage, MINUTE)


def test_rows_with_one_labelset_at_different_steps_are_merged():
    storage = make_storage({'a{k="1"}': "1 _x9", 'b{k="1"}': "_x8 2"})
    result = evaluate('abs({__name__=~"a|b"})', storage, Grid(0, 9 * MINUTE, MINUTE))
    assert len(result) == 1
    assert column(result) == [1.0] * 6 + [None, None, 2.0, 2.0]


def test_functions_newer_than_2_42_are_refused_like_promtool():
    storage = make_storage({"x": "1"})
    for expr in ['sort_by_label(x, "a")', "mad_over_time(x[5m])", "double_exponential_smoothing(x[5m], 0.5, 0.5)"]:
        name = expr.split("(")[0]
        with pytest.raises(PromQLError, match=f'^1:1: parse error: unknown function with name "{name}"$'):
            instant_query(expr, storage, 0)


def test_native_histogram_functions_see_no_float_samples():
    storage = make_storage({"x": "1"})
    assert as_dict(instant_query("histogram_count(x)", storage, 0)) == {}


def test_range_functions_over_many_steps_match_per_step_instant_queries_with_resets():
    values = np.array([0, 4, 9, 3, 8, 8, 1, 50, 51, 60, 2, 2, 2, 9]) * 1.1
    storage = make_storage({"c": " ".join(repr(float(v)) for v in values)}, interval_ms=20_000)
    grid = Grid(0, 5 * MINUTE, 10_000)
    for expr in [
        "rate(c[1m])",
        "increase(c[95s])",
        "resets(c[2m])",
        "changes(c[1m])",
        "irate(c[1m])",
        "stddev_over_time(c[2m])",
        "quantile_over_time(0.3, c[2m])",
        "deriv(c[1m])",
    ]:
        over_grid = evaluate(expr, storage, grid)
        for step, t in enumerate(grid.timestamps):
            assert as_dict(over_grid, step) == as_dict(instant_query(expr, storage, int(t))), (expr, t)


def test_range_functions_in_step_blocks_give_identical_results(monkeypatch):
    # Large grids are processed in blocks of steps sharing cached per-matrix data; a tiny block
    # size must not change a single bit (nor which cells are present).
    import simulator.promql.functions as functions

    storage = make_storage(
        {'c{k="1"}': "0 4 9 3 8 8 1 50 51 60 2 2 2 9 NaN 4", 'c{k="2"}': "5 _ 1 stale 7 7 7 0 3"},
        interval_ms=20_000,
    )
    grid = Grid(0, 6 * MINUTE, 10_000)
    exprs = [
        "rate(c[1m])",
        "resets(c[2m])",
        "changes(c[1m])",
        "sum_over_time(c[2m])",
        "max_over_time(c[90s])",
        "quantile_over_time(0.5, c[2m])",
        "predict_linear(c[2m], 30)",
        "absent_over_time(c[20s])",
    ]
    whole = [evaluate(expr, storage, grid) for expr in exprs]
    monkeypatch.setattr(functions, "_RANGE_CHUNK_CELLS", 3)
    monkeypatch.setattr(functions, "_RATE_CHUNK_CELLS", 3)
    for expr, expected in zip(exprs, whole):
        blocked = evaluate(expr, storage, grid)
        assert blocked.labels == expected.labels, expr
        assert (blocked.present == expected.present).all(), expr
        assert blocked.values[blocked.present].tobytes() == expected.values[expected.present].tobytes(), expr


def test_holt_winters_lets_a_nan_factor_through_and_prints_like_go(storage):
    # Go checks sf <= 0 || sf >= 1, which NaN passes: the answer is NaN, not an error. ✔
    assert math.isnan(value_at(storage, "holt_winters(g[10m], NaN, 0.5)", 7 * MINUTE))
    with pytest.raises(PromQLError, match=r"got: 1\.000000$"):
        instant_query("holt_winters(g[10m], 1, 0.5)", storage, 7 * MINUTE)


def test_max_and_min_over_long_irregular_windows_match_a_direct_scan():
    rng = np.random.default_rng(4)
    values = rng.normal(size=700)
    values[rng.integers(0, 700, 40)] = np.nan
    keep = rng.random(700) > 0.3
    storage = Storage()
    storage.add((("__name__", "x"),), np.arange(700, dtype=np.int64)[keep] * 15_000, values[keep])
    grid = Grid(0, 700 * 15_000, 37_000)
    times = np.arange(700)[keep] * 15_000
    kept = values[keep]
    for fn, reduce in (("max_over_time", np.fmax.reduce), ("min_over_time", np.fmin.reduce)):
        result = evaluate(f"{fn}(x[47m])", storage, grid)
        for step, t in enumerate(grid.timestamps):
            inside = kept[(times >= t - 47 * MINUTE) & (times <= t)]
            expected = reduce(inside) if len(inside) else None
            got = column(result)[step]
            assert (got is None and expected is None) or repr(got) == repr(float(expected)), (fn, t)


def test_max_over_time_direct_and_doubling_paths_agree(monkeypatch):
    import simulator.promql.range_functions as range_functions

    storage = make_storage({'x{k="1"}': "3 NaN 1 4 1 5 9 2 6 NaN NaN 5 3 5", 'x{k="2"}': "NaN NaN 2 _ 7 1 8"})
    grid = Grid(0, 14 * MINUTE, 30_000)
    direct = [
        evaluate(f"{fn}(x[{w}])", storage, grid) for fn in ("max_over_time", "min_over_time") for w in ("2m", "5m")
    ]
    monkeypatch.setattr(range_functions, "_DIRECT_REDUCE_MAX_WINDOW", 0)
    doubled = [
        evaluate(f"{fn}(x[{w}])", storage, grid) for fn in ("max_over_time", "min_over_time") for w in ("2m", "5m")
    ]
    for a, b in zip(direct, doubled):
        assert (a.present == b.present).all()
        assert a.values[a.present].tobytes() == b.values[b.present].tobytes()
