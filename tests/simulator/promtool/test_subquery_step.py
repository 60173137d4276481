"""A subquery without a step (`x[2m:]`) steps by the test file's evaluation_interval in promtool
2.42, in promql_expr_test, in rules and in template queries alike; the server's 1m default
would give other counts. promtool is the judge: both tools must give the same verdict."""

import subprocess
import textwrap

from simulator.promtool.runner import run_test_file

RULES = """
groups:
  - name: g
    rules:
      - record: sub:count
        expr: count_over_time(x[2m:])
      - alert: ManyPoints
        expr: count_over_time(x[1m:]) > 3
        annotations:
          points: '{{ query "count_over_time(x[1m:])" | first | value }}'
"""

# x has a sample every 20s. With a 20s subquery step, [2m:] at t=2m holds the aligned points
# 0s, 20s, ..., 120s (2.42's windows are closed): 7 points; [1m:] holds 4 (60s..120s). With
# the server's 1m default they would be 3 and 2, and ManyPoints would never fire.
TEST = """
rule_files: [rules.yml]
evaluation_interval: 20s
tests:
  - interval: 20s
    input_series:
      - {series: 'x', values: '1+1x30'}
    promql_expr_test:
      - expr: count_over_time(x[2m:])
        eval_time: 2m
        exp_samples: [{labels: '{}', value: %(points_2m)s}]
      - expr: sub:count
        eval_time: 2m
        exp_samples: [{labels: 'sub:count', value: %(points_2m)s}]
    alert_rule_test:
      - alertname: ManyPoints
        eval_time: 2m
        exp_alerts: %(alerts)s
"""

WITH_EVALUATION_INTERVAL = {"points_2m": 7, "alerts": "[{exp_annotations: {points: '4'}}]"}
WITH_ONE_MINUTE = {"points_2m": 3, "alerts": "[]"}


def _verdicts(tmp_path, values: dict) -> tuple[int, bool]:
    (tmp_path / "rules.yml").write_text(textwrap.dedent(RULES))
    (tmp_path / "test.yml").write_text(textwrap.dedent(TEST % values))
    promtool = subprocess.run(
        ["/usr/bin/promtool", "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    return promtool.returncode, run_test_file(tmp_path / "test.yml").ok


def test_default_subquery_step_is_the_evaluation_interval(tmp_path):
    assert _verdicts(tmp_path, WITH_EVALUATION_INTERVAL) == (0, True)


def test_the_one_minute_server_default_fails_in_both(tmp_path):
    assert _verdicts(tmp_path, WITH_ONE_MINUTE) == (1, False)
