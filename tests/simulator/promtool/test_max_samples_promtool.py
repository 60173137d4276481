"""promtool's test engine refuses queries holding over 10,000 samples; alertkit test must too.

Each case runs the same test file through the real promtool 2.42 and through alertkit and
compares exit code, stdout and stderr byte for byte. Windows sit exactly at the limit (the
peak is 10,000: passes) and one sample over it (fails), for one series and for three series
summed or divided, range functions with a scalar argument, and timestamp(). Series are scraped
every second so 10,000 samples fit in under three hours of evaluations (fast).
These tests never skip: without /usr/bin/promtool they fail.
"""

import subprocess
import textwrap

import numpy as np
import pytest

from simulator.promql.engine import evaluate
from simulator.promql.maxsamples import PROMTOOL_MAX_SAMPLES, TOO_MANY_SAMPLES_MESSAGE
from simulator.promql.model import Grid, PromQLError
from simulator.promql.storage import Storage
from simulator.promtool.runner import render_file_result, run_test_file

SERIES = """
    input_series:
      - series: 'x1{i="1"}'
        values: '0+1x10100'
      - series: 'x3{i="1"}'
        values: '0+1x10100'
      - series: 'x3{i="2"}'
        values: '0+1x10100'
      - series: 'x3{i="3"}'
        values: '0+1x10100'
"""

# Peaks at 2h47m (every window full): rate over one series holds window + 1 output; summing
# three series holds the last window + 3 outputs; a division holds both sides' outputs (3) while
# loading the second side's windows; a scalar argument is one more sample.
AT_LIMIT_RULES = """
groups:
  - name: g
    rules:
      - alert: One
        expr: rate(x1[9998s]) > 0
      - record: r:sum
        expr: sum(rate(x3[9996s]))
      - alert: Ratio
        expr: rate(x3[9993s]) / rate(x3[9993s]) > 0
      - alert: Quantile
        expr: quantile_over_time(0.5, x1[9997s]) > 0
"""

AT_LIMIT_TESTS = """
    alert_rule_test:
      - alertname: One
        eval_time: 2h47m
        exp_alerts:
          - exp_labels: {i: "1"}
      - alertname: Ratio
        eval_time: 2h47m
        exp_alerts:
          - exp_labels: {i: "1"}
          - exp_labels: {i: "2"}
          - exp_labels: {i: "3"}
      - alertname: Quantile
        eval_time: 2h47m
        exp_alerts:
          - exp_labels: {i: "1"}
    promql_expr_test:
      - expr: r:sum
        eval_time: 2h47m
        exp_samples:
          - labels: 'r:sum'
            value: 3
"""

EXPRESSION_TESTS = """
    promql_expr_test:
      - expr: count_over_time(x1[9998s])
        eval_time: 2h47m
        exp_samples:
          - labels: '{i="1"}'
            value: 9999
      - expr: count_over_time(x1[9999s])
        eval_time: 2h47m
        exp_samples:
          - labels: '{i="1"}'
            value: 10000
      - expr: quantile_over_time(0.5, x1[9997s])
        eval_time: 2h47m
        exp_samples: []
      - expr: quantile_over_time(0.5, x1[9998s])
        eval_time: 2h47m
        exp_samples: []
      - expr: sum(rate(x3[9996s]))
        eval_time: 2h47m
        exp_samples:
          - value: 3
      - expr: sum(rate(x3[9997s]))
        eval_time: 2h47m
        exp_samples:
          - value: 3
      - expr: rate(x1[9999s]) * 2
        eval_time: 1h
        exp_samples:
          - labels: '{i="1"}'
            value: 2
      - expr: timestamp(x3)
        eval_time: 2h47m
        exp_samples: []
"""

# Subqueries (1 s steps): the inner range evaluation's load, then the function reading the
# subquery's points again. Each pair is the last window at the limit and the first over it.
SUBQUERY_PAIRS = [
    ("max_over_time(x1[{}s:1s])", 4998),
    ("max_over_time(rate(x3[1m])[{}s:1s])", 2498),
    ("sum(max_over_time(x3[{}s:1s]))", 2498),
    ("sum_over_time(sum(x3)[{}s:1s])", 2498),
    ("max_over_time((rate(x1[1m]) * on() group_left vector(2))[{}s:1s])", 3331),
    ("max_over_time((time() - x1)[{}s:1s])", 3331),
    ("max_over_time(rate(x1[1m])[{}s:1s] offset 5m)", 4998),
    ("max_over_time(vector(1)[{}s:1s])", 4998),
]

SUBQUERY_TESTS = "    promql_expr_test:\n" + "".join(
    f"      - {{expr: '{template.format(seconds)}', eval_time: 2h47m, exp_samples: []}}\n"
    for template, at_limit in SUBQUERY_PAIRS
    for seconds in (at_limit, at_limit + 1)
)


def _over(rule: str) -> str:
    return f"groups:\n  - name: g\n    rules:\n{textwrap.indent(rule, '      ')}"


CASES = {
    "at the limit everything passes": (AT_LIMIT_RULES, AT_LIMIT_TESTS),
    "promql_expr_test just under and over": (AT_LIMIT_RULES, EXPRESSION_TESTS),
    "alert one sample over fails the group at the first step over": (
        _over("- alert: One\n  expr: rate(x1[9999s]) > 0\n"),
        "    alert_rule_test:\n      - {alertname: One, eval_time: 2h50m}\n",
    ),
    "recording rule over three series": (
        _over("- record: r:sum\n  expr: sum(rate(x3[9997s]))\n"),
        "    promql_expr_test:\n      - {expr: r:sum, eval_time: 1h, exp_samples: [{labels: 'r:sum', value: 3}]}\n",
    ),
    "subqueries just under and over": ("groups: []\n", SUBQUERY_TESTS),
    "alert over a subquery": (
        _over("- alert: Sub\n  expr: max_over_time(rate(x3[1m])[2499s:1s]) > 0\n"),
        "    alert_rule_test:\n      - {alertname: Sub, eval_time: 2h50m}\n",
    ),
    "division over": (
        _over("- alert: Ratio\n  expr: rate(x3[9994s]) / rate(x3[9994s]) > 0\n"),
        "    alert_rule_test:\n      - {alertname: Ratio, eval_time: 2h50m}\n",
    ),
}


def write_case(tmp_path, rules: str, tests: str) -> str:
    (tmp_path / "rules.yml").write_text(rules)
    text = "rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1s\n" + SERIES + tests
    (tmp_path / "test.yml").write_text(textwrap.dedent(text))
    return "test.yml"


def promtool(tmp_path, name):
    done = subprocess.run(["promtool", "test", "rules", name], cwd=tmp_path, capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def alertkit(tmp_path, name, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_test_file(name)
    out, err = render_file_result(result)
    return (0 if result.ok else 1), out, err


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_sample_limit_like_promtool(tmp_path, monkeypatch, case):
    name = write_case(tmp_path, *case)
    ours = alertkit(tmp_path, name, monkeypatch)
    assert ours == promtool(tmp_path, name)


def test_the_cases_reach_both_sides_of_the_limit(tmp_path, monkeypatch):
    # Guards the differential cases above against passing trivially (both tools silent).
    name = write_case(tmp_path, *CASES["promql_expr_test just under and over"])
    code, _, err = alertkit(tmp_path, name, monkeypatch)
    assert code == 1
    assert err.count(TOO_MANY_SAMPLES_MESSAGE) == 3
    assert 'expr: "count_over_time(x1[9999s])", time: 2h47m, err: query processing would load' in err
    assert "count_over_time(x1[9998s])" not in err
    assert 'expr: "rate(x1[9999s]) * 2", time: 1h, err' not in err  # at 1h the window holds 3601 samples
    name = write_case(tmp_path, *CASES["subqueries just under and over"])
    err = alertkit(tmp_path, name, monkeypatch)[2]
    for template, at_limit in SUBQUERY_PAIRS:
        assert f'expr: "{template.format(at_limit)}", time: 2h47m,\n' in err
        assert f'expr: "{template.format(at_limit + 1)}", time: 2h47m, err: query processing would' in err
    name = write_case(tmp_path, *CASES["alert one sample over fails the group at the first step over"])
    assert (
        "rule: One, time: 2h47m0s, err: query processing would load too many samples"
        in alertkit(tmp_path, name, monkeypatch)[2]
    )


def _storage(series_count: int, samples: int) -> Storage:
    storage = Storage()
    t = np.arange(samples, dtype=np.int64) * 1000
    for i in range(series_count):
        storage.add((("__name__", "x"), ("i", str(i))), t, t / 1000.0)
    return storage


def test_the_limit_is_a_parameter_and_off_by_default():
    storage = _storage(1, 10_001)
    grid = Grid.at(10_000_000)
    assert len(evaluate("rate(x[10000s])", storage, grid).labels) == 1  # a server: 50M, unchecked
    with pytest.raises(PromQLError, match=TOO_MANY_SAMPLES_MESSAGE):
        evaluate("rate(x[10000s])", storage, grid, max_samples=PROMTOOL_MAX_SAMPLES)
    evaluate("rate(x[9998s])", storage, grid, max_samples=PROMTOOL_MAX_SAMPLES)
    assert len(evaluate("rate(x[10000s])", storage, grid, max_samples=10_002).labels) == 1


def test_the_first_step_over_the_limit_is_reported():
    storage = _storage(1, 12_001)
    grid = Grid(9_000_000, 11_000_000, 60_000)
    with pytest.raises(PromQLError) as raised:
        evaluate("count_over_time(x[2h47m])", storage, grid, max_samples=PROMTOOL_MAX_SAMPLES)
    # 10,020 s of window holds 10,000 samples (+1 output) once the step reaches 10,020 s.
    assert grid.timestamps[raised.value.step_index] == 10_020_000


def test_an_earlier_evaluation_error_wins():
    storage = _storage(2, 10_001)
    grid = Grid(9_000_000, 10_000_000, 500_000)
    # Both series end up labelled i="same": the duplicate labelset fails the query from the
    # first step, before the limit trips (at 10000 s, where each window holds 10,001 samples).
    expr = 'label_replace(rate(x[10000s]), "i", "same", "", "")'
    with pytest.raises(PromQLError, match="same labelset"):
        evaluate(expr, storage, grid, max_samples=PROMTOOL_MAX_SAMPLES)
    with pytest.raises(PromQLError, match=TOO_MANY_SAMPLES_MESSAGE) as raised:
        evaluate("rate(x[10000s])", storage, grid, max_samples=PROMTOOL_MAX_SAMPLES)
    assert raised.value.step_index == 2


def test_the_sample_accounting_evaluates_each_node_once(monkeypatch):
    # The accounting counts every node's output; without the per-query memo each node was evaluated
    # once per ancestor (a 2-day z-score rule: seven times), with the same values.
    from simulator.promql import range_functions

    calls = []
    original = range_functions._over_time_sequential

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(range_functions, "_over_time_sequential", counting)
    storage = Storage()
    t = np.arange(0, 7_200_000, 60_000, dtype=np.int64)
    storage.add((("__name__", "x"),), t, np.sin(np.arange(len(t))))
    expr = "abs((x - avg_over_time(x[30m])) / stddev_over_time(x[30m])) > 1"
    grid = Grid(3_600_000, 7_140_000, 60_000)
    # 33: the peak (a 31-sample window and two outputs) is at the limit, so no cheap bound proves
    # the query safe and every node is accounted for.
    limited = evaluate(expr, storage, grid, max_samples=33)
    assert len(calls) == 2  # avg_over_time once, stddev_over_time once
    plain = evaluate(expr, storage, grid)
    assert limited.labels == plain.labels
    assert np.array_equal(limited.present, plain.present)
    assert np.array_equal(limited.values[limited.present], plain.values[plain.present])
