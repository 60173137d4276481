"""Hypothesis strategies: input series in promtool's notation and PromQL expressions over them.

One drawn `CaseGroup` is one promtool test group: a handful of series families and many
instant-query cases. The families are built so that every expression's answer is the same
whatever order promtool 2.42 loads the series in (it loads them in Go map order, random per
run, and aggregations fold floats in that order):

- `a` counters (arbitrary decimals, resets, gaps, stale markers) and `b` gauges (NaN, ±Inf,
  negatives): only reached by order-free aggregations (min, max, count, group, quantile,
  count_values) or per-series work.
- `d` exact values: series i holds n + i/8 (n a small integer), so any sum of them is exact
  (order-free) and no two series ever tie (topk/bottomk keep the same elements in any order).
  avg/stddev/stdvar fold with divisions by the running count (engine.go aggregation, 2.42),
  exact for two values of this kind but not for three, so they only see groupings that leave
  at most two series per group.
- `e0` … `e3` one series each, arbitrary floats (NaN and ±Inf too): aggregated only over
  `(e2 or e0 or ...)`, whose output order is fixed by the expression (engine.go VectorOr keeps the
  left side's order, then the right's), so every order-sensitive fold sees one order in promtool
  too: sums of arbitrary floats, Welford's avg/stddev, and which of tied values topk keeps.
  Only outside subqueries: a subquery's inner expression is a range evaluation, whose results
  are gathered through a Go map (engine.go rangeEval; only a one-step evaluation keeps the
  order), so there the `or` chain's order is random again.
- `h_bucket` classic histograms with small integer counts: non-monotone counts, two spellings
  of one bound ("1" and "1.0"), sometimes no +Inf bucket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from simulator.promtool.notation import parse_values

COUNTER_SERIES = ['a{job="x", inst="1"}', 'a{job="x", inst="2"}', 'a{job="y", inst="1"}']
GAUGE_SERIES = ['b{job="x"}', 'b{job="y"}']
ORDERED_SERIES = ['e0{job="x", inst="1"}', 'e1{job="x", inst="2"}', 'e2{job="y", inst="1"}', 'e3{job="y", inst="2"}']
EXACT_SERIES = ['d{job="x", inst="1"}', 'd{job="x", inst="2"}', 'd{job="y", inst="1"}', 'd{job="y", inst="2"}']
BUCKET_BOUNDS = ["0.1", "0.5", "1", "1.0", "5", "+Inf"]

WINDOWS = ["30s", "1m", "90s", "2m", "3m", "5m"]
OFFSETS = ["", "", "", " offset 30s", " offset 1m", " offset -45s", " offset 2m"]
SUBQUERY_STEPS = ["", "15s", "20s", "30s", "1m"]
SCALAR_LITERALS = ["2", "0.5", "-1", "0", "3.7", "1e-3", "NaN", "Inf", "-Inf"]
QUANTILES = ["0", "0.25", "0.5", "0.9", "0.99", "1", "-0.5", "1.5", "NaN"]

# Groupings that leave at most two `d` series per group (see the module docstring).
PAIR_GROUPINGS = [" by (job)", " by (inst)", " without (inst)", " without (job)", " by (job, inst)"]
ANY_GROUPINGS = ["", " by (job)", " without (inst)", " by (inst)", " without (job)", " by (__name__)"]

COUNTER_RANGE_FUNCTIONS = ["rate", "increase", "delta", "irate", "idelta", "resets", "changes", "deriv"]
OVER_TIME_FUNCTIONS = [
    "avg_over_time",
    "min_over_time",
    "max_over_time",
    "sum_over_time",
    "count_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "last_over_time",
    "present_over_time",
]
MATH_FUNCTIONS = [
    "abs",
    "ceil",
    "floor",
    "round",
    "sqrt",
    "exp",
    "ln",
    "log2",
    "log10",
    "sgn",
    "sin",
    "atan",
    "tanh",
    "cos",
    "deg",
    "rad",
    "acosh",
    "asin",
    "minute",
    "hour",
    "day_of_week",
    "day_of_month",
    "day_of_year",
    "days_in_month",
    "month",
    "year",
]
ARITHMETIC = ["+", "-", "*", "/", "%", "^"]
COMPARISONS = ["==", "!=", ">", "<", ">=", "<="]
# A group modifier always gets its label list: `group_left (x)` would read (x) as the list.
VECTOR_MATCHINGS = [
    "",
    " on (job)",
    " ignoring (inst)",
    " on (job) group_left ()",
    " ignoring (inst) group_left ()",
    " on (job) group_right ()",
    " on (job, inst)",
    " on ()",
    " ignoring (inst) group_right (inst)",
    " on (job) group_left (inst)",
]


@dataclass
class CaseGroup:
    """One promtool test group: series (selector → values notation) and (expr, eval seconds) cases."""

    interval_s: int
    evaluation_interval_s: int
    series: dict[str, str]
    cases: list[tuple[str, int]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Input series


@st.composite
def counter_values(draw, length: int) -> str:
    """Counter-like runs: decimal increments, resets to a small value, gaps, stale, a+bxN runs."""
    tokens, value, remaining = [], draw(st.integers(0, 50)) + 0.0, length
    while remaining > 0:
        kind = draw(st.sampled_from(["inc", "inc", "inc", "reset", "gap", "stale", "run"]))
        if kind == "gap":
            tokens.append("_")
        elif kind == "stale":
            tokens.append("stale")
        elif kind == "reset":
            value = float(draw(st.integers(0, 5)))
            tokens.append(repr(value))
        elif kind == "run" and remaining > 3:
            step = draw(st.sampled_from(["1", "0.1", "2.5", "0.3"]))
            times = draw(st.integers(1, 3))
            tokens.append(f"{value!r}+{step}x{times}")
            remaining -= times
            value += float(step) * times  # only a starting point for the next increments
        else:
            value = round(value + draw(st.sampled_from([0, 0.1, 0.7, 1, 3.3, 12.25, 1e-3])), 6)
            tokens.append(repr(value))
        remaining -= 1
    return " ".join(tokens)


@st.composite
def gauge_values(draw, length: int) -> str:
    """Gauge values with the special floats, negatives, gaps and stale markers."""
    choices = st.one_of(
        st.sampled_from(["NaN", "Inf", "-Inf", "0", "-0.5", "_", "stale", "1e10", "-3"]),
        st.floats(-100, 100, allow_nan=False).map(lambda v: repr(round(v, 3))),
    )
    return " ".join(draw(st.lists(choices, min_size=length, max_size=length)))


@st.composite
def exact_values(draw, length: int, index: int) -> str:
    """n + index/8 with n a small integer: exact sums, no ties between series."""
    tokens = []
    for _ in range(length):
        kind = draw(st.sampled_from(["value"] * 8 + ["gap", "stale"]))
        if kind == "value":
            tokens.append(repr(draw(st.integers(-40, 40)) + index / 8))
        else:
            tokens.append("_" if kind == "gap" else "stale")
    return " ".join(tokens)


@st.composite
def histogram_series(draw, job: str, length: int) -> dict[str, str]:
    """Cumulative bucket counters; sometimes non-monotone, without +Inf, or with a bound spelt twice."""
    bounds = draw(st.lists(st.sampled_from(BUCKET_BOUNDS), min_size=1, max_size=5, unique=True))
    monotone = draw(st.booleans())
    counts = {bound: [] for bound in bounds}
    running = {bound: 0 for bound in bounds}
    for _ in range(length):
        carried = 0
        for bound in sorted(bounds, key=float):
            increment = draw(st.integers(0, 4))
            if monotone:
                carried += increment
                running[bound] += carried
            else:
                running[bound] += increment
            if draw(st.integers(0, 20)) == 0:
                running[bound] = 0  # a counter reset of this bucket alone
            counts[bound].append(str(running[bound]))
    return {f'h_bucket{{job="{job}", le="{bound}"}}': " ".join(values) for bound, values in counts.items()}


@st.composite
def input_series(draw) -> dict[str, str]:
    length = draw(st.integers(4, 30))
    series = {selector: draw(counter_values(length)) for selector in COUNTER_SERIES}
    series.update({selector: draw(gauge_values(length)) for selector in GAUGE_SERIES})
    series.update({selector: draw(exact_values(length, i)) for i, selector in enumerate(EXACT_SERIES)})
    series.update({selector: draw(gauge_values(length)) for selector in ORDERED_SERIES})
    series.update(draw(histogram_series("x", length)))
    if draw(st.booleans()):
        series.update(draw(histogram_series("y", length)))
    return series


# ---------------------------------------------------------------------------------------------
# Expressions


class ExpressionDrawer:
    """Draws PromQL text from the supported subset; every method returns one expression."""

    def __init__(self, draw):
        self.draw = draw
        self.in_subquery = False  # drawing a subquery's inner expression (see _ordered_agg)

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    # Selectors -------------------------------------------------------------------------------

    def matchers(self, family: str) -> str:
        if family == "h_bucket":
            return self.pick(["", '{job="x"}', '{le!="+Inf"}', '{le=~"1.*"}'])
        return self.pick(
            [
                "",
                "",
                '{job="x"}',
                '{job=~"x|y"}',
                '{inst!="1"}',
                '{job!~"y"}',
                '{job=~".*"}',
                '{job=""}',
                '{job=~"(?i)X"}',
                '{job=~"y|(?i)X"}',
                '{job=~"\\\\pL"}',
                '{job!~"[[:upper:]]|x"}',
                '{inst=~"\\\\d"}',
                '{job=~"[^y]"}',
            ]
        )

    def at_or_offset(self) -> str:
        if self.chance(10):
            return f" @ {self.pick(['0', '60', '135', '300', '600.5'])}"
        return self.pick(OFFSETS)

    def selector(self, families=("a", "b", "d")) -> str:
        if self.chance(8):
            return self.pick(['{__name__=~"a|b"}', "nope", '{__name__=~"d|nope", inst="1"}', 'a{job="z"}'])
        family = self.pick(list(families))
        return family + self.matchers(family) + self.at_or_offset()

    def range_vector(self, families=("a", "b", "d")) -> str:
        window = self.pick(WINDOWS)
        if self.chance(20):
            outer, self.in_subquery = self.in_subquery, True
            inner = self.vector(depth=2)
            self.in_subquery = outer
            return f"({inner})[{window}:{self.pick(SUBQUERY_STEPS)}]" + self.pick(OFFSETS)
        family = self.pick(list(families))
        return f"{family}{self.matchers(family)}[{window}]" + self.at_or_offset()

    # Scalars ---------------------------------------------------------------------------------

    def scalar(self, depth: int = 0) -> str:
        draw = self.draw(st.integers(0, 9))
        if draw < 6 or depth > 2:
            return self.pick(SCALAR_LITERALS)
        if draw < 7:
            return "time()"
        if draw < 9:
            return f"scalar({self.vector(depth + 1)})"
        return f"({self.scalar(depth + 1)} {self.pick(ARITHMETIC)} {self.scalar(depth + 1)})"

    # Vectors ---------------------------------------------------------------------------------

    def vector(self, depth: int = 0) -> str:
        if depth > 2:
            return self.selector()
        kind = self.pick(
            [
                "selector",
                "range",
                "range",
                "over_time",
                "math",
                "aggregate",
                "aggregate",
                "exact_agg",
                "ordered_agg",
                "binary_scalar",
                "binary_vector",
                "set",
                "labels",
                "histogram",
                "absent",
                "misc",
            ]
        )
        return getattr(self, f"_{kind}")(depth)

    def _selector(self, depth: int) -> str:
        return self.selector()

    def _range(self, depth: int) -> str:
        function = self.pick(COUNTER_RANGE_FUNCTIONS)
        return f"{function}({self.range_vector()})"

    def _over_time(self, depth: int) -> str:
        if self.chance(15):
            return f"quantile_over_time({self.pick(QUANTILES)}, {self.range_vector()})"
        if self.chance(10):
            return f"predict_linear({self.range_vector()}, {self.pick(['60', '-30', '0', '3600'])})"
        if self.chance(10):
            return f"holt_winters({self.range_vector()}, {self.pick(['0.5', '0.1'])}, {self.pick(['0.5', '0.9'])})"
        return f"{self.pick(OVER_TIME_FUNCTIONS)}({self.range_vector()})"

    def _math(self, depth: int) -> str:
        inner = self.vector(depth + 1)
        draw = self.draw(st.integers(0, 9))
        if draw < 6:
            return f"{self.pick(MATH_FUNCTIONS)}({inner})"
        if draw < 7:
            return f"round({inner}, {self.pick(['0.1', '5', '0.25', '-1', '0'])})"
        if draw < 8:
            return f"clamp({inner}, {self.pick(['-1', '0', '5'])}, {self.pick(['2', '10', '-3'])})"
        return f"{self.pick(['clamp_min', 'clamp_max'])}({inner}, {self.scalar(depth + 1)})"

    def _aggregate(self, depth: int) -> str:
        """Order-free aggregations: any argument."""
        inner = self.vector(depth + 1)
        grouping = self.pick(ANY_GROUPINGS)
        kind = self.pick(["max", "min", "count", "group", "quantile", "count_values"])
        if kind == "quantile":
            return f"quantile{grouping} ({self.pick(QUANTILES)}, {inner})"
        if kind == "count_values":
            return f'count_values{grouping} ("value", {inner})'
        return f"{kind}{grouping} ({inner})"

    def exact(self, depth: int = 0) -> tuple[str, bool]:
        """An expression over the `d` family whose values stay exact; the flag says "no ties"."""
        selector = "d" + self.matchers("d") + self.at_or_offset()
        window = f"d{self.matchers('d')}[{self.pick(WINDOWS)}]"
        options = [
            (selector, True),
            (selector, True),
            (f"last_over_time({window})", True),
            (f"max_over_time({window})", True),
            (f"min_over_time({window})", True),
            (f"-{selector}", True),
            (f"{selector} * 2", True),
            (f"{selector} + 1", True),
            (f"abs({selector})", True),
            (f"{selector} > {self.pick(['0', '3', '-10'])}", True),
            (f"ceil({selector})", False),
            (f"count_over_time({window})", False),
            (f"sum_over_time({window})", False),
            (f"changes({window})", False),
            (f"clamp({selector}, -5, 5)", False),
            (f"{selector} >= bool 1", False),
            (f"timestamp({selector})", False),
        ]
        return self.pick(options)

    def _exact_agg(self, depth: int) -> str:
        """Aggregations whose float folds depend on input order, kept exact (module docstring)."""
        inner, distinct = self.exact(depth)
        kind = self.pick(["sum", "sum", "avg", "stddev", "stdvar", "topk", "bottomk"])
        if kind in ("topk", "bottomk") and distinct:
            return f"{kind}{self.pick(ANY_GROUPINGS)} ({self.pick(['1', '2', '3', '0', '-1'])}, {inner})"
        if kind in ("avg", "stddev", "stdvar"):
            return f"{kind}{self.pick(PAIR_GROUPINGS)} ({inner})"
        return f"sum{self.pick(ANY_GROUPINGS)} ({inner})"

    def _ordered_agg(self, depth: int) -> str:
        """Order-sensitive aggregations of arbitrary floats over an `or` chain fixing the order
        (not inside a subquery, where range evaluation loses that order: module docstring)."""
        if self.in_subquery:
            return self._exact_agg(depth)
        names = self.draw(st.permutations(["e0", "e1", "e2", "e3"]))[: self.draw(st.integers(2, 4))]
        form = self.pick(
            [
                "{}",
                "{}",
                "abs({})",
                "{} offset 1m",
                "rate({}[2m])",
                "avg_over_time({}[90s])",
                "{} * 1.1",
                "deriv({}[3m])",
            ]
        )
        chain = " or ".join(form.format(name) for name in names)
        kind = self.pick(["sum", "avg", "stddev", "stdvar", "topk", "bottomk", "quantile", "max", "count_values"])
        grouping = self.pick(ANY_GROUPINGS)
        if kind in ("topk", "bottomk", "quantile"):
            parameter = self.pick(QUANTILES if kind == "quantile" else ["1", "2", "3"])
            return f"{kind}{grouping} ({parameter}, {chain})"
        if kind == "count_values":
            return f'count_values{grouping} ("v", {chain})'
        return f"{kind}{grouping} ({chain})"

    def _binary_scalar(self, depth: int) -> str:
        vector, scalar = self.vector(depth + 1), self.scalar(depth + 1)
        op = self.pick(ARITHMETIC + COMPARISONS + [c + " bool" for c in COMPARISONS])
        if self.chance(50):
            return f"({vector}) {op} {scalar}"
        return f"{scalar} {op} ({vector})"

    def _binary_vector(self, depth: int) -> str:
        left, right = self.vector(depth + 1), self.vector(depth + 1)
        op = self.pick(ARITHMETIC + COMPARISONS + [c + " bool" for c in COMPARISONS])
        return f"({left}) {op}{self.pick(VECTOR_MATCHINGS)} ({right})"

    def _set(self, depth: int) -> str:
        op = self.pick(["and", "or", "unless"])
        matching = self.pick(["", " on (job)", " ignoring (inst)", " on ()"])
        return f"({self.vector(depth + 1)}) {op}{matching} ({self.vector(depth + 1)})"

    def _labels(self, depth: int) -> str:
        inner = self.vector(depth + 1)
        if self.chance(60):
            replacement, source, regex = self.pick(
                [
                    ("$1", "job", "(.*)"),
                    ("x-${1}", "inst", "([0-9])"),
                    ("$1$2", "job", "(x)|(y)"),
                    ("", "job", "x"),
                    ("$0", "__name__", "a.*"),
                    ("z", "missing", ""),
                ]
            )
            target = self.pick(["job", "new", "inst", "__name__"])
            return f'label_replace({inner}, "{target}", "{replacement}", "{source}", "{regex}")'
        return f'label_join({inner}, "{self.pick(["j", "job"])}", "{self.pick(["-", ""])}", "job", "inst", "__name__")'

    def _histogram(self, depth: int) -> str:
        buckets = self.pick(
            [
                "h_bucket",
                f"rate(h_bucket[{self.pick(WINDOWS)}])",
                f"sum by (le) (rate(h_bucket[{self.pick(WINDOWS)}]))",
                'h_bucket{job="x"}',
                f'increase(h_bucket{{job="y"}}[{self.pick(WINDOWS)}])',
                "h_bucket offset 1m",
            ]
        )
        return f"histogram_quantile({self.pick(QUANTILES)}, {buckets})"

    def _absent(self, depth: int) -> str:
        if self.chance(50):
            return f"absent({self.selector(('a', 'b', 'nope'))})"
        return f"absent_over_time({self.range_vector(('a', 'b', 'nope'))})"

    def _misc(self, depth: int) -> str:
        return self.pick(
            [
                f"timestamp({self.selector()})",
                f"vector({self.scalar(depth + 1)})",
                f"sort({self.vector(depth + 1)})",
                f"sort_desc({self.vector(depth + 1)})",
                f"-({self.vector(depth + 1)})",
                f"timestamp({self._math(depth)})",
            ]
        )


@st.composite
def expressions(draw) -> str:
    """One instant-vector or scalar expression."""
    drawer = ExpressionDrawer(draw)
    return drawer.scalar() if drawer.chance(5) else drawer.vector()


@st.composite
def case_groups(draw, cases_per_group: int) -> CaseGroup:
    """A test group: input series and `cases_per_group` distinct (expr, eval_time) cases."""
    interval_s = draw(st.sampled_from([15, 30, 60]))
    group = CaseGroup(interval_s, draw(st.sampled_from([60, 60, 30, 45])), draw(input_series()))
    last_sample_s = interval_s * max(len(parse_values(values)) for values in group.series.values())
    seen = set()
    while len(group.cases) < cases_per_group:
        # Mostly inside the data; sometimes past its end, where lookback and staleness run out.
        horizon_s = last_sample_s + (420 if draw(st.integers(0, 4)) == 0 else 0)
        case = (draw(expressions()), 5 * draw(st.integers(0, horizon_s // 5)))
        if case not in seen:
            seen.add(case)
            group.cases.append(case)
    return group
