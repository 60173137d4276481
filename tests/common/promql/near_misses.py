"""Expressions on both sides of the PromQL 2.42 line, for the front-door differential.

Generated from the 2.42 function table and a list of newer names and syntax: every function
called with too few, enough and too many arguments and with each argument of every wrong value
type; aggregations likewise; functions and syntax of later Prometheus releases; `or` inside
label matchers; negative and out-of-range @ times; number, duration and string spellings; and
nesting around the front door's depth bound.
"""

from __future__ import annotations

from common.promql.frontdoor import MAX_NESTING_DEPTH
from common.promql.functions import FUNCTIONS, MATRIX, SCALAR, STRING, VECTOR

SAMPLE = {VECTOR: 'up{job="a"}', MATRIX: 'up{job="a"}[5m]', SCALAR: "0.5", STRING: '"job"'}

# Functions added after 2.42 (and a few that never existed), with arguments they would take.
NEWER_FUNCTIONS = [
    'sort_by_label(up, "job")',
    'sort_by_label_desc(up, "job")',
    "limitk(2, up)",
    "limit_ratio(0.5, up)",
    "double_exponential_smoothing(up[5m], 0.5, 0.5)",
    "mad_over_time(up[5m])",
    "first_over_time(up[5m])",
    "ts_of_max_over_time(up[5m])",
    "ts_of_min_over_time(up[5m])",
    "ts_of_last_over_time(up[5m])",
    "histogram_avg(up)",
    "histogram_stddev(up)",
    "histogram_stdvar(up)",
    'info(up, {k8s_cluster_name=~".+"})',
    "present_over_time(up[5m])",
    "holt_winters(up[5m], 0.5, 0.5)",
    "holt_winters(up[5m:1m], 0.1, 0.9)",
    "Holt_Winters(up[5m], 0.5, 0.5)",
    "RATE(up[5m])",
    "step()",
    "range(up)",
]

# Syntax of later releases, and spellings 2.42 accepts or refuses, decided by promtool.
SYNTAX = [
    'up{job="a" or job="b"}',
    'up{job="a" or instance="b", env="c"}',
    '{job="a" or job="b"}',
    '{"up"}',
    '{"my.metric", job="a"}',
    'up{"job"="a"}',
    "up[5m] smoothed",
    "up[5m] anchored",
    "rate(up[5m] anchored)",
    "up[5m * 2]",
    "up offset (1m + 1m)",
    "up[1]",
    "up[1m:1]",
    "up + fill(0) up",
    "up + fill_left(0) up",
    "up + on(job) fill(0) up",
    "up[5m:1m:]",
    "up[-5m]",
    "up offset -5m",
    "up offset - 5m",
    "up offset 0s",
    "up offset 292y",
    "up offset 293y",
    "up offset -292y",
    "up offset 106751d",
    "up offset 106752d",
    "up[290y]",
    "up[5m:290y]",
    "up[4294968s]",
    "up[5m5m]",
    "up[1h30m]",
    "up[30m1h]",
    "up[1ms]",
    "up[0s]",
    "up[5m:0s]",
    "up offset 5m offset 1m",
    "up @ 1 @ 2",
    "up @ 1 offset 5m",
    "up offset 5m @ 1",
    "up[5m] @ 1 offset 1m",
    "up @ start()",
    "up @ end()",
    "up[5m:] @ start()",
    "rate(up[5m]) @ 100",
    "(up) offset 1m",
    "(up)[5m]",
    "(up)[5m:1m]",
    "up @ 1 [5m]",
    "up offset 1m [5m]",
    "up offset 1m [5m:1m]",
    "1[5m]",
    '"a"[5m:]',
    "up[5m][5m:1m]",
    "up[5m:1m][5m:1m]",
    "sum(up)[5m:1m] offset 1m",
    'up{job="a",}',
    "sum by (job,) (up)",
    "sum by () (up)",
    "sum without () (up)",
    "sum(up) by (job)",
    "sum by (job) (up) by (instance)",
    "sum by (job)",
    "sum",
    "sum offset 5m",
    "by",
    "offset",
    "and",
    "start",
    "end",
    "bool",
    "on",
    "group_left",
    "atan2",
    "atan2(1, 2)",
    "1 atan2 2",
    "up atan2 up",
    "sum by (on, bool, offset, group_left, start, end, atan2, sum) (up)",
    "sum by (foo:bar) (up)",
    "sum by (without) (up)",
    "sum by (job, without) (up)",
    "up * on(without) up",
    "up + ignoring(job) group_left(without) up",
    "sum by (by, and, or, unless, ignoring, group_right) (up)",
    'up{on="a", by="b", offset="c", bool="d", and="e"}',
    "up + on(sum, offset) group_left(bool) up",
    "up + group_left up",
    "up + on(job) group_left up",
    "up + on(job) group_left() up",
    "up + on(job) group_right(job) up",
    "up + ignoring(job) group_left(job) up",
    "up and on(job) group_left up",
    "up and bool up",
    "up == bool up",
    "1 == bool 2",
    "1 == 2",
    "1 + on() 2",
    "1 + on(job) up",
    "1 + on() up",
    "up and 1",
    "1 or 2",
    "up or up unless up and up",
    "up / on() vector(1)",
    "-up",
    "- -up",
    "+up",
    "-1",
    "--1",
    '-"a"',
    "-up[5m]",
    "-2 ^ 2",
    "2 ^ -1",
    "2 ^ 3 ^ 2",
    "up % 2",
    "up * -1",
    "Inf",
    "-Inf",
    "NaN",
    "nan",
    "INF",
    "infinity",
    "0x1F",
    "0X1f",
    "0x",
    "0x1p3",
    "010",
    "08",
    "1_000",
    ".5",
    "5.",
    "1e3",
    "1e+3",
    "1e",
    "1e500",
    "99999999999999999999",
    "5m",
    "1y",
    '"a"',
    "'a'",
    "`a`",
    '"a\\qb"',
    '"a\\x41"',
    '"a\\u00e9"',
    '"\\U0001F600"',
    '"\\400"',
    '"\\ud800"',
    '"unterminated',
    "up # comment",
    "# only a comment",
    "",
    "   ",
    "up)",
    "(up",
    "up[5m",
    "up{",
    "up{job}",
    "up{job=}",
    'up{job="a" job="b"}',
    'up{job=~"("}',
    'up{job=~"a|"}',
    '{job=~".*"}',
    '{job=""}',
    '{job!=""}',
    '{job=~".+"}',
    '{job!~".*"}',
    '{__name__="up"}',
    'up{__name__="up"}',
    'up{__name__=~"u.*"}',
    "{}",
    "up{}",
    "foo:bar:baz",
    "foo:bar(up)",
    "unknown_function(up)",
    "abs()",
    "abs(up,)",
    "time()",
    "time(1)",
    "pi()",
    "vector(time())",
    "scalar(up[5m])",
    "absent(nonexistent)",
    "absent(sum(up))",
    "topk(1, up)",
    'topk("1", up)',
    "topk(up, up)",
    "topk(1)",
    "topk(1, 2, up)",
    "quantile(0.5, up)",
    'count_values("v", up)',
    "count_values(1, up)",
    "count_values(up)",
    "sum(1)",
    'sum("a")',
    "sum(up[5m])",
    "sum()",
    "sum(up, up)",
    "stddev(up)",
    "group(up)",
    'label_replace(up, "a", "holt_winters(", "job", "(.*)")',
    'label_replace(up, "a", "$1", "job", "(")',
    'label_join(up, "a", ",")',
    'label_join(up, "a", ",", "b", "c", "d")',
    "histogram_quantile(0.9, rate(x_bucket[5m]))",
    "histogram_fraction(0, 1, up)",
    "round(up)",
    "round(up, 1)",
    "round(up, 1, 2)",
    "hour()",
    "hour(up, up)",
    "clamp(up, 1)",
]

NEGATIVE_AT = [
    "up @ -60",
    "up @ - 60",
    "up @ -60.5",
    "up @ -0.0004",
    "up @ -1e3",
    "up[5m] @ -60",
    "up[5m:1m] @ -60",
    "up @ -60 offset 5m",
    "up @ -60 offset -60s",
    "up @ -Inf",
    "up @ +Inf",
    "up @ NaN",
    "up @ 1e19",
    "up @ -1e19",
    "up @ 9.2e15",
    "up @ +60",
    "up @ 0x10",
    'up{job!="user@-1"}',
    'up{job="@ -1"} @ 1',
    'label_replace(up, "a", "@ -60", "job", ".*")',
]


def function_near_misses() -> list[str]:
    """Each 2.42 function with the right arguments, one too few, one too many, and each
    argument replaced by every other value type."""
    out: list[str] = []
    for function in FUNCTIONS.values():
        args = [SAMPLE[t] for t in function.arg_types]
        name = function.name
        out.append(f"{name}({', '.join(args)})")
        if args:
            out.append(f"{name}({', '.join(args[:-1])})")
        extra = SAMPLE[function.arg_types[-1]] if function.arg_types else SAMPLE[SCALAR]
        out.append(f"{name}({', '.join(args + [extra])})")
        if function.variadic > 0:
            out.append(f"{name}({', '.join(args + [extra] * (function.variadic + 1))})")
        for index, wanted in enumerate(function.arg_types):
            for other in (VECTOR, MATRIX, SCALAR, STRING):
                if other != wanted:
                    wrong = list(args)
                    wrong[index] = SAMPLE[other]
                    out.append(f"{name}({', '.join(wrong)})")
    return out


def aggregation_near_misses() -> list[str]:
    out: list[str] = []
    for op in ("sum", "avg", "count", "min", "max", "group", "stddev", "stdvar"):
        for argument in SAMPLE.values():
            out.append(f"{op}({argument})")
            out.append(f"{op} by (job) ({argument})")
    for op, param in (("topk", SCALAR), ("bottomk", SCALAR), ("quantile", SCALAR), ("count_values", STRING)):
        for param_type in (VECTOR, MATRIX, SCALAR, STRING):
            out.append(f"{op}({SAMPLE[param_type]}, up)")
            out.append(f"{op} without (job) ({SAMPLE[param_type]}, {SAMPLE[MATRIX]})")
        out.append(f"{op}(up)")
        out.append(f"{op}({SAMPLE[param]}, up, up)")
    for op in ("limitk", "limit_ratio"):
        out.append(f"{op}(1, up)")
    return out


def nesting(depths: tuple[int, ...]) -> list[str]:
    """Parentheses, unary minus, calls and binary chains, `depth` levels deep."""
    out: list[str] = []
    for depth in depths:
        out.append("(" * depth + "up" + ")" * depth)
        out.append("-" * depth + "up")
        out.append("abs(" * depth + "up" + ")" * depth)
        out.append(" + ".join(["up"] * depth))
        out.append("2 ^ " * depth + "2")
        out.append("sum(" * depth + "up" + ")" * depth)
    return out


# Depths the front door accepts, and depths past its bound (see common/promql/frontdoor.py).
ACCEPTED_DEPTHS = (2, 10, 40, MAX_NESTING_DEPTH // 2 - 1)
REFUSED_DEPTHS = (MAX_NESTING_DEPTH + 1, 1000, 10_000)


def near_misses() -> list[str]:
    return (
        NEWER_FUNCTIONS
        + SYNTAX
        + NEGATIVE_AT
        + function_near_misses()
        + aggregation_near_misses()
        + nesting(ACCEPTED_DEPTHS)
    )
