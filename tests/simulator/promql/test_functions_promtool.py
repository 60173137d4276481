"""The judge: our answers must be exactly promtool 2.42's.

Each test evaluates many expressions with our engine, writes them as promql_expr_test cases
with our values as the expectations, and runs the real `promtool test rules`: it passes only
if every float matches to the last bit (2.42 compares exactly). promtool missing is a failure,
never a skip. A NaN expectation never passes in 2.42, so a case whose answer holds a NaN is
checked as `(E) != bool (E)` instead: 1 exactly where E is NaN, 0 elsewhere.
"""

import math

import numpy as np
import pytest
from helpers import as_dict, make_storage, promtool_test_file, run_promtool

from simulator.promql.engine import instant_query
from simulator.promql.model import ScalarOverGrid


def _ms(duration: str) -> int:
    import re

    units = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)(ms|s|m|h)", duration))


def _our_answers(series, interval, cases):
    storage = make_storage(series, _ms(interval))
    built = []
    for expr, eval_time in cases:
        samples = _answer(expr, storage, _ms(eval_time))
        if any(math.isnan(v) for v in samples.values()):
            expr = f"({expr}) != bool ({expr})"
            samples = _answer(expr, storage, _ms(eval_time))
        built.append((expr, eval_time, samples))
    return built


def _answer(expr, storage, t_ms):
    result = instant_query(expr, storage, t_ms)
    if isinstance(result, ScalarOverGrid):
        return {"{}": float(result.values[0])}
    return as_dict(result)


def _assert_promtool_agrees(series, interval, cases, tmp_path):
    text = promtool_test_file(series, interval, _our_answers(series, interval, cases))
    status, output = run_promtool(text, tmp_path)
    assert status == 0, output


MINUTE_SERIES = {
    'c{job="a"}': "0+10x10 5+10x10 3 100 1000",
    'c{job="b"}': "1.5+0.3x30",
    'g{a="1"}': "0.1 0.2 0.3 0.4 stale 1 2 _ 3 -7.25 1e10 0.001",
    'g{a="2"}': "3 -1 4 1 -5 9 2 6 5 3 5 8 9 7 9 3 2 3 8 4",
    "n": "1 NaN 2 Inf 3 -Inf 4",
    "z": "0 0 0 0 0 5 5 5",
}

MINUTE_CASES = [
    ("rate(c[5m])", "5m"),
    ("rate(c[5m])", "11m"),
    ("rate(c[5m])", "12m30s"),
    ("increase(c[3m])", "13m"),
    ("increase(c[10m])", "23m"),
    ("delta(g[5m])", "10m"),
    ("delta(g[4m])", "17m"),
    ("irate(c[5m])", "11m"),
    ("idelta(g[5m])", "10m"),
    ('rate(c{job="b"}[7m])', "29m30s"),
    ("sum_over_time(g[5m])", "12m"),
    ("avg_over_time(g[5m])", "12m"),
    ("avg_over_time(g[10m])", "19m"),
    ("sum_over_time(c[10m])", "25m"),
    ('avg_over_time(c{job="b"}[10m])', "25m"),
    ("stddev_over_time(g[10m])", "19m"),
    ("stdvar_over_time(g[10m])", "19m"),
    ('stddev_over_time(c{job="b"}[10m])', "25m"),
    ("min_over_time(g[5m])", "12m"),
    ("max_over_time(g[5m])", "12m"),
    ("max_over_time(n[10m])", "10m"),
    ("min_over_time(n[10m])", "10m"),
    ("count_over_time(g[5m])", "6m"),
    ("last_over_time(g[5m])", "6m"),
    ("present_over_time(g[5m])", "6m"),
    ("quantile_over_time(0.3, g[10m])", "19m"),
    ("quantile_over_time(0.95, c[10m])", "25m"),
    ("quantile_over_time(2, g[10m])", "19m"),
    ("quantile_over_time(-1, g[10m])", "19m"),
    ("changes(g[10m])", "12m"),
    ("changes(z[10m])", "10m"),
    ("resets(c[30m])", "24m"),
    ("deriv(g[10m])", "19m"),
    ('deriv(c{job="b"}[10m])', "25m"),
    ("deriv(c[10m])", "15m"),
    ("predict_linear(g[10m], 3600)", "19m"),
    ('predict_linear(c{job="b"}[10m], 600)', "25m30s"),
    ("holt_winters(g[10m], 0.5, 0.5)", "19m"),
    ('holt_winters(c{job="b"}[10m], 0.3, 0.7)', "25m"),
    ("abs(g)", "9m"),
    ("ceil(g)", "10m"),
    ("floor(g)", "10m"),
    ("sqrt(g)", "10m"),
    ("exp(g)", "8m"),
    ("ln(c)", "11m"),
    ("log2(c)", "11m"),
    ("log10(c)", "11m"),
    ("log2(g)", "11m"),
    ("log10(g)", "11m"),
    ("log10(g)", "10m"),
    ("cosh(g)", "3m"),
    ("rad(c)", "12m"),
    ("deg(c)", "12m"),
    ("sgn(g)", "9m"),
    ("round(g)", "9m"),
    ("round(g, 0.1)", "11m"),
    ("round(c, 7)", "12m"),
    ('round(c{job="b"}, 0.25)', "12m"),
    ("clamp(g, 0, 2)", "9m"),
    ("clamp(g, 2, 0)", "9m"),
    ("clamp_min(g, 1)", "9m"),
    ("clamp_max(g, 1)", "9m"),
    ("timestamp(g)", "8m"),
    ("timestamp(g offset 1m)", "8m"),
    ("timestamp(abs(g))", "8m30s"),
    ("timestamp(g @ 120)", "8m"),
    ('scalar(g{a="1"})', "5m"),
    ("vector(time())", "5m"),
    ("time()", "5m"),
    ("minute()", "1h23m"),
    ("hour()", "5h"),
    ("day_of_week()", "1m"),
    ("day_of_month(vector(1700000000))", "1m"),
    ("day_of_year(vector(1700000000))", "1m"),
    ("days_in_month(vector(1709251199))", "1m"),
    ("month(vector(1700000000))", "1m"),
    ("year(vector(1700000000))", "1m"),
    ("hour(vector(-1))", "1m"),
    ("day_of_week(vector(-86401))", "1m"),
    ('absent(nope{a="b", c=~"x", a="c"})', "1m"),
    ('absent(nope{a="b", d="e"})', "1m"),
    ("absent(g)", "1m"),
    ('absent_over_time(nope{x="y"}[5m])', "1m"),
    ("absent_over_time(g[5m])", "1m"),
    ('label_replace(g, "dst", "x-$1-${1}y", "a", "(.*)")', "1m"),
    ('label_replace(g, "dst", "$1x", "a", "(.*)")', "1m"),
    ('label_replace(g, "a", "", "a", "1")', "1m"),
    ('label_replace(g, "__name__", "renamed", "a", "2")', "1m"),
    ('label_join(g, "dst", "-", "a", "__name__", "missing")', "1m"),
    ("-g", "1m"),
    ("g offset 2m", "5m"),
    ("g offset -2m", "5m"),
    ("g @ 180", "10m"),
    ("g @ start()", "10m"),
    ("g @ end() offset 1m", "10m"),
    ("rate(c[5m] @ 600)", "20m"),
    ("rate(c[5m] offset 3m)", "20m"),
    ("g", "4m"),
    ("g", "5m"),
    ("g", "9m"),
    ("g", "13m"),
    ("g", "16m"),
    ("g", "17m"),
    ("max_over_time(g[3m:1m])", "12m"),
    ("max_over_time(g[3m:45s])", "12m"),
    ("sum_over_time(g[5m:2m])", "11m"),
    ("rate(c[5m:1m])", "12m"),
    ("max_over_time(rate(c[2m])[6m:])", "14m"),
    ("min_over_time(g[5m:1m] offset 2m)", "12m"),
    ("last_over_time(g[5m:1m] @ 300)", "12m"),
    ("avg_over_time(g[5m:30s])", "12m10s"),
    ("count_over_time(g[10m:3m])", "12m"),
    ("sum(rate(c[5m]))", "11m"),
    ("sum by (job) (rate(c[5m]))", "11m"),
    ("g > bool 0.2", "3m"),
    ("max_over_time(sum(rate(c[2m]))[10m:1m])", "15m"),
    # @ fixes the window; predict_linear still intercepts at the evaluation time.
    ("predict_linear(c[5m] @ 300, 60)", "10m"),
    ("deriv(c[5m] @ 300)", "10m"),
    ("rate(c[5m] @ 300)", "10m"),
    ("timestamp(c @ 300)", "10m"),
    ("time() - timestamp(c)", "10m30s"),
    ("sum_over_time(c[3m:1m] @ 600 offset 2m)", "3m"),
    ("max_over_time((c @ 300)[3m:1m])", "12m"),
    ("rate(c[5m:1m] @ 600)", "1m"),
    ("irate(c[10m:1m] offset -2m)", "5m"),
    ("c offset -30s", "4m45s"),
    ("count_over_time(c[1m] offset -1m)", "4m"),
    ("absent_over_time(c[1m] offset -1h)", "4m"),
    ("absent(c offset 1h)", "4m"),
]


def test_minute_data_matches_promtool(tmp_path):
    _assert_promtool_agrees(MINUTE_SERIES, "1m", MINUTE_CASES, tmp_path)


IRREGULAR_SERIES = {
    'c{job="a"}': "0 _ 7 _x3 30 31 2 _ 50 60 _x5 100 110 stale 115 120 5 7 -1 4",
    'c{job="b"}': "-5 3 10 15 20 25 30 35 40 45 50 55 60 65 70 75 80 85 90 95 100",
    'c{job="c"}': "100 101 102 103 _x10 150 151",
    "h": "0.1+0.1x40",
    "g": "1 NaN 2 Inf 3 -Inf 4 NaN NaN 5 1 1 1 1",
}

RANGE_FUNCTIONS = [
    "rate(c[{r}])",
    "increase(c[{r}])",
    "delta(c[{r}])",
    "irate(c[{r}])",
    "idelta(c[{r}])",
    "sum_over_time(c[{r}])",
    "avg_over_time(c[{r}])",
    "stddev_over_time(c[{r}])",
    "min_over_time(c[{r}])",
    "max_over_time(c[{r}])",
    "changes(c[{r}])",
    "resets(c[{r}])",
    "deriv(c[{r}])",
    "quantile_over_time(0.7, c[{r}])",
    "predict_linear(c[{r}], 37)",
    "holt_winters(c[{r}], 0.2, 0.9)",
]


def test_irregular_15s_data_with_gaps_resets_and_staleness_matches_promtool(tmp_path):
    cases = [
        (template.format(r=window), eval_time)
        for template in RANGE_FUNCTIONS
        for window in ["1m", "2m30s", "5m"]
        for eval_time in ["1m", "2m15s", "4m50s", "6m"]
    ]
    cases += [("avg_over_time(h[10m])", t) for t in ["30s", "2m", "3m30s", "10m"]]
    cases += [
        (template.format(r="1m").replace("c[", "g["), t)
        for template in RANGE_FUNCTIONS
        for t in ["30s", "1m", "2m", "3m30s"]
    ]
    cases += [
        (e, t)
        for t in ["3m", "5m", "7m", "9m", "11m"]
        for e in ["c", "rate(c[1m:15s])", "max_over_time(c[2m:45s] offset 20s)", "deriv(h[3m:20s])"]
    ]
    _assert_promtool_agrees(IRREGULAR_SERIES, "15s", cases, tmp_path)


def test_the_judge_notices_a_one_ulp_difference(tmp_path):
    # The harness itself must be able to fail: promtool rejects our value nudged by one ulp.
    series = {"h": "0.1 0.2 0.3"}
    ((expr, eval_time, samples),) = _our_answers(series, "1m", [("avg_over_time(h[5m])", "2m")])
    nudged = {labels: float(np.nextafter(v, math.inf)) for labels, v in samples.items()}
    status, output = run_promtool(promtool_test_file(series, "1m", [(expr, eval_time, nudged)]), tmp_path)
    assert status != 0 and "FAILED" in output


def test_inverse_trigonometry_follows_go_math(tmp_path):
    # Go's Asin/Acos/Atan are its own Cephes code (not the C library): both branches of asin.
    series = {"u": "0.05 0.3 0.69 0.71 0.9 0.99 1 -0.8 -0.3 1e-300"}
    cases = [(f"{fn}(u)", f"{minute}m") for fn in ["asin", "acos", "atan"] for minute in range(10)]
    _assert_promtool_agrees(series, "1m", cases, tmp_path)


def _random_series_values(rnd, count: int) -> str:
    """Counter-like runs with drops, tiny and large steps, many decimals, gaps and stale markers."""
    out, value = [], rnd.uniform(-5, 50)
    for _ in range(count):
        draw = rnd.random()
        if draw < 0.08:
            out.append("_")
        elif draw < 0.11:
            out.append("stale")
        elif draw < 0.2:
            value = rnd.uniform(0, 5)
            out.append(repr(round(value, rnd.randint(0, 6))))
        else:
            value += rnd.choice([0, 0, rnd.uniform(0, 3), rnd.uniform(-2, 2) * 1e-3, rnd.randint(0, 9)])
            out.append(repr(round(value, rnd.randint(0, 12))))
    return " ".join(out)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seeded_random_series_match_promtool(seed, tmp_path):
    import random

    rnd = random.Random(seed)
    series = {f'm{{i="{i}"}}': _random_series_values(rnd, rnd.randint(5, 60)) for i in range(4)}
    templates = [f.replace("c[", "m[") for f in RANGE_FUNCTIONS] + [
        "last_over_time(m[{r}])",
        "count_over_time(m[{r}])",
        "stdvar_over_time(m[{r}])",
        "present_over_time(m[{r}])",
    ]
    cases = []
    for _ in range(200):
        window = rnd.choice(["30s", "45s", "1m", "2m", "3m17s", "5m", "10m"])
        expr = rnd.choice(templates).format(r=window)
        if rnd.random() < 0.2:
            expr = expr.replace(f"m[{window}]", f"m[{window}:{rnd.choice(['10s', '15s', '20s', '1m'])}]")
        if rnd.random() < 0.2:
            expr = expr.replace("]", f"] offset {rnd.choice(['10s', '1m', '-30s'])}", 1)
        cases.append((expr, f"{rnd.randint(0, 15 * 60)}s"))
    # promtool loads input only up to the last evaluation_interval step <= the largest eval_time.
    cases.append(("vector(1)", "1h"))
    _assert_promtool_agrees(series, "15s", cases, tmp_path)


def test_logarithms_follow_go_math_on_amd64(tmp_path):
    # Go's Log (log_amd64.s) is not the C library's log; Log2 goes through Frexp and Log,
    # Log10 is Log * (1/Ln10). Subnormals, sqrt(2)/2 boundaries and wide magnitudes.
    import random

    rnd = random.Random(7)
    values = [10 ** rnd.uniform(-300, 300) for _ in range(30)] + [rnd.uniform(0, 3) for _ in range(20)]
    values += [0.7071067811865476, 1.4142135623730951, 5e-324, 7.4e-309, 0.7071067811865475, 3.0, 0.5, 1.0]
    series = {"u": " ".join(repr(v) for v in values)}
    cases = [(f"{fn}(u)", f"{minute}m") for fn in ["ln", "log2", "log10"] for minute in range(len(values))]
    _assert_promtool_agrees(series, "1m", cases, tmp_path)


def test_exp_follows_go_amd64_assembly(tmp_path):
    # Go's Exp is its own assembly (fused multiply-adds on AVX2+FMA CPUs), returns 0 below
    # 2^-1022 and +Inf once the exponent reaches 1024: exp(-709) is 0 and exp(709.78) is +Inf
    # in Go, where the C library gives 1.2e-308 and 1.8e308.
    import random

    rnd = random.Random(11)
    values = [rnd.uniform(-745, 710) for _ in range(25)] + [rnd.uniform(-3, 3) for _ in range(25)]
    values += [709.78, 709.7827, -709.0, -708.39, -745.2, 0.0, 1e-300, 88.7]
    series = {"u": " ".join(repr(v) for v in values)}
    cases = [(f"{fn}(u)", f"{minute}m") for fn in ["exp", "cosh"] for minute in range(len(values))]
    _assert_promtool_agrees(series, "1m", cases, tmp_path)


def test_date_functions_replay_go_time_arithmetic(tmp_path):
    # time.Unix(int64(v), 0): NaN, ±Inf and |v| >= 2^63 become -2^63 (amd64), and Go's absolute
    # seconds wrap around uint64; leap years, negative times and far years included.
    import random

    rnd = random.Random(5)
    values = [repr(10 ** rnd.uniform(0, 19) * rnd.choice([1, -1])) for _ in range(30)]
    values += ["NaN", "Inf", "-Inf", "9.3e18", "-9.3e18", "951782400", "951868799", "-1", "0", "4107542400"]
    series = {"u": " ".join(values)}
    fields = ["minute", "hour", "day_of_week", "day_of_month", "day_of_year", "days_in_month", "month", "year"]
    cases = [(f"{fn}(u)", f"{minute}m") for fn in fields for minute in range(len(values))]
    _assert_promtool_agrees(series, "1m", cases, tmp_path)


def test_trigonometry_follows_go_math(tmp_path):
    # Go's Cephes sin/cos/tan with three-part Pi/4 reduction (Payne-Hanek from 2^29 on), and
    # its sinh/cosh/tanh built on its own Exp.
    import random

    rnd = random.Random(13)
    values = [rnd.uniform(-10, 10) for _ in range(25)] + [rnd.uniform(-1, 1) for _ in range(10)]
    values += [10 ** rnd.uniform(8, 300) for _ in range(10)] + [0.625, -0.5, 0.5, 21.5, 50.0, 1e-9, 5e8, 6e8]
    series = {"u": " ".join(repr(v) for v in values)}
    functions = ["sin", "cos", "tan", "sinh", "cosh", "tanh"]
    cases = [(f"{fn}(u)", f"{minute}m") for fn in functions for minute in range(len(values))]
    _assert_promtool_agrees(series, "1m", cases, tmp_path)


def test_inverse_hyperbolic_functions_follow_go_math(tmp_path):
    # fdlibm asinh/acosh/atanh over Go's Log, Log1p (with its 1+x correction term) and Sqrt.
    import random

    rnd = random.Random(17)
    values = [rnd.uniform(-0.999, 0.999) for _ in range(20)] + [rnd.uniform(1, 3) for _ in range(10)]
    values += [10 ** rnd.uniform(-12, 12) for _ in range(15)] + [1.0, 2.0, 0.5, 1e-300, 3e8, 1 + 2**-40]
    series = {"u": " ".join(repr(v) for v in values)}
    cases = [(f"{fn}(u)", f"{minute}m") for fn in ["asinh", "acosh", "atanh"] for minute in range(len(values))]
    _assert_promtool_agrees(series, "1m", cases, tmp_path)


def test_clamp_lets_an_infinite_side_win_over_a_nan_bound(tmp_path):
    # Go's math.Max/Min test ±Inf before NaN: clamp_max(-Inf, NaN) = -Inf, clamp_min(+Inf, NaN) = +Inf.
    series = {"lo": "-Inf -Inf -Inf", "hi": "Inf Inf Inf", "mid": "1 NaN 2"}
    cases = [
        (expr, "1m")
        for expr in [
            "clamp_max(lo, NaN)",
            "clamp_min(hi, NaN)",
            "clamp_min(lo, NaN)",
            "clamp_max(hi, NaN)",
            "clamp(lo, NaN, 0)",
            "clamp(hi, 0, NaN)",
            "clamp_max(mid, Inf)",
            "clamp_min(mid, -Inf)",
        ]
    ]
    _assert_promtool_agrees(series, "1m", cases, tmp_path)


def test_label_replace_speaks_re2(tmp_path):
    # label_replace compiles its regex as RE2 (mid-pattern flags, Unicode classes), fully anchored.
    series = {'up{job="ABCdef", x="é1"}': "1 1 1"}
    cases = [
        (expr, "1m")
        for expr in [
            'label_replace(up, "m", "$1", "job", "(?i)(abc)DEF")',
            'label_replace(up, "m", "$1", "x", "(\\\\pL)\\\\d")',
            'label_replace(up, "m", "$1", "job", "ABC(?i)(def)")',
            'label_replace(up, "m", "$1", "job", "abc")',
        ]
    ]
    _assert_promtool_agrees(series, "1m", cases, tmp_path)
