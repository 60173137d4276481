"""Runner outcomes per case: unsupported input is reported, never passed."""

import textwrap

from simulator.promtool.runner import FAILED, PASSED, UNSUPPORTED, run_test_file


def write(tmp_path, test_text, rules="groups: []\n"):
    (tmp_path / "rules.yml").write_text(rules)
    path = tmp_path / "t.yml"
    path.write_text(textwrap.dedent(test_text))
    return path


def test_native_histogram_input_is_reported_unsupported(tmp_path):
    path = write(
        tmp_path,
        """
        rule_files: [rules.yml]
        tests:
          - interval: 1m
            input_series:
              - {series: h, values: '{{schema:0 sum:5 count:4 buckets:[1 2 1]}}'}
            promql_expr_test:
              - {expr: h, eval_time: 0m}
    """,
    )
    result = run_test_file(path)
    assert not result.ok
    [case] = result.groups[0].cases
    assert case.status == UNSUPPORTED and "native histogram" in case.detail


def test_case_statuses_and_titles(tmp_path):
    path = write(
        tmp_path,
        """
        rule_files: [rules.yml]
        tests:
          - interval: 1m
            input_series: [{series: 'up{job="a"}', values: '1 0'}]
            promql_expr_test:
              - {expr: up, eval_time: 0m, exp_samples: [{labels: 'up{job="a"}', value: 1}]}
              - {expr: up, eval_time: 1m, exp_samples: [{labels: 'up{job="a"}', value: 1}]}
    """,
    )
    cases = run_test_file(path).groups[0].cases
    assert [(c.title, c.status) for c in cases] == [("expr up @0s", PASSED), ("expr up @1m", FAILED)]
    assert 'got: {__name__="up", job="a"} 0E+00' in cases[1].detail


def test_glob_matching_nothing_only_warns(tmp_path):
    path = write(
        tmp_path,
        """
        rule_files: [missing-*.yml]
        tests:
          - interval: 1m
            promql_expr_test: [{expr: vector(1), eval_time: 0m, exp_samples: [{labels: '{}', value: 1}]}]
    """,
    )
    result = run_test_file(path)
    assert result.ok
    assert result.warnings == [f"WARNING: no file match pattern {tmp_path}/missing-*.yml"]
