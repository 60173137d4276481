"""Test files are parsed strictly, like yaml.UnmarshalStrict in promtool 2.42."""

import pytest

from simulator.promtool.testfile import TestFileError, parse_test_file


def test_defaults_and_fields():
    test_file = parse_test_file(
        "rule_files: [r.yml]\n"
        "tests:\n"
        "  - input_series: [{series: 'up', values: '1'}]\n"
        "    external_labels: {site: eu}\n"
        "    alert_rule_test: [{alertname: A, eval_time: 2m}]\n"
        "    promql_expr_test: [{expr: up, eval_time: 1m, exp_samples: [{labels: up, value: 8E-1}]}]\n",
        "t.yml",
    )
    assert test_file.evaluation_interval_ms == 60_000
    [group] = test_file.tests
    assert group.interval_ms == 0  # 2.42: no default interval
    assert group.external_labels == {"site": "eu"}
    assert group.max_eval_time_ms == 120_000
    assert group.promql_expr_tests[0].exp_samples[0].value == 0.8  # yaml.v2 reads 8E-1 as a float


def test_unknown_and_newer_keys_are_errors_with_positions():
    with pytest.raises(TestFileError) as caught:
        parse_test_file("tests:\n  - start_timestamp: 0\n    interval: 1m\n    bogus: 1\n", "t.yml")
    rendered = [str(p) for p in caught.value.problems]
    assert rendered == [
        "t.yml:2:5: field start_timestamp not found in type testGroup "
        "(start_timestamp is added in Prometheus 3.9; promtool 2.42 rejects it)",
        "t.yml:4:5: field bogus not found in type testGroup",
    ]


def test_bad_durations_and_values_are_errors():
    with pytest.raises(TestFileError) as caught:
        parse_test_file("evaluation_interval: soon\ntests:\n  - promql_expr_test:\n"
                        "    - {expr: up, exp_samples: [{labels: up, value: 'one'}]}\n", "t.yml")
    assert len(caught.value.problems) == 2
