"""Random compositions of selectors, offsets, @, subqueries, functions, aggregations and binary
operators, each answered by our engine and judged by the real promtool 2.42.

Only order-independent aggregations (max, min, count) appear: promtool creates its test series
in Go map order, so a float sum over three or more series can differ by an ulp between two
promtool runs of the same file.
"""

import random

import pytest
from helpers import make_storage
from test_functions_promtool import _answer, _assert_promtool_agrees, _random_series_values

from simulator.promql.model import PromQLError

RANGE_FUNCTIONS = [
    "rate",
    "increase",
    "delta",
    "irate",
    "idelta",
    "sum_over_time",
    "avg_over_time",
    "max_over_time",
    "min_over_time",
    "count_over_time",
    "last_over_time",
    "changes",
    "resets",
    "deriv",
    "stddev_over_time",
]
INSTANT_FUNCTIONS = ["abs", "ceil", "floor", "sqrt", "ln", "exp", "sgn", "round", "timestamp", "log2", "sin"]


class ExpressionMaker:
    """Builds random PromQL expressions over the metrics a and b."""

    def __init__(self, rnd: random.Random):
        self.rnd = rnd

    def selector(self) -> str:
        name = self.rnd.choice(["a", "b", 'a{job="x"}', '{__name__=~"a|b"}', 'a{inst!="2"}'])
        return name + self.rnd.choice(["", "", " offset 30s", " offset -15s", " @ 300"])

    def range_vector(self) -> str:
        window = self.rnd.choice(["1m", "2m", "3m"])
        if self.rnd.random() < 0.3:
            return f"({self.instant(1)})[{window}:{self.rnd.choice(['15s', '30s', '1m'])}]"
        metric = self.rnd.choice(["a", "b", 'a{job="x"}'])
        return f"{metric}[{window}]" + self.rnd.choice(["", "", " offset 1m"])

    def instant(self, depth: int = 0) -> str:
        draw = self.rnd.random()
        if depth > 2 or draw < 0.25:
            return self.selector()
        if draw < 0.45:
            return f"{self.rnd.choice(RANGE_FUNCTIONS)}({self.range_vector()})"
        if draw < 0.6:
            return f"{self.rnd.choice(INSTANT_FUNCTIONS)}({self.instant(depth + 1)})"
        if draw < 0.75:
            grouping = self.rnd.choice(["", " by (job)", " without (inst)"])
            return f"{self.rnd.choice(['max', 'min', 'count'])}{grouping} ({self.instant(depth + 1)})"
        if draw < 0.85:
            op = self.rnd.choice(["+", "-", "*", "/", ">", "<", ">=", "== bool", "> bool"])
            return f"({self.instant(depth + 1)}) {op} {self.rnd.choice(['2', '0.5', '-1'])}"
        if draw < 0.92:
            return f"clamp({self.instant(depth + 1)}, {self.rnd.choice(['-1', '0'])}, {self.rnd.choice(['5', '100'])})"
        return f'label_replace({self.instant(depth + 1)}, "z", "$1", "job", "(.)")'


@pytest.mark.parametrize("seed", [1, 2])
def test_random_compositions_match_promtool(seed, tmp_path):
    rnd = random.Random(seed)
    series = {
        'a{job="x", inst="1"}': _random_series_values(rnd, 40),
        'a{job="x", inst="2"}': _random_series_values(rnd, 40),
        'a{job="y", inst="1"}': _random_series_values(rnd, 40),
        'b{job="x"}': _random_series_values(rnd, 40),
        'b{job="y"}': _random_series_values(rnd, 40),
    }
    storage = make_storage(series, 15_000)
    maker = ExpressionMaker(rnd)
    cases = []
    for _ in range(200):
        expr, eval_time = maker.instant(), f"{rnd.randint(0, 600)}s"
        try:
            _answer(expr, storage, int(eval_time[:-1]) * 1000)
        except PromQLError as error:  # e.g. both metrics of a selector collide after a function
            assert "same labelset" in str(error), (expr, error)
            continue
        cases.append((expr, eval_time))
    assert len(cases) > 150
    # promtool loads input only up to the last evaluation_interval step <= the largest eval_time.
    cases.append(("vector(1)", "1h"))
    _assert_promtool_agrees(series, "15s", cases, tmp_path)
