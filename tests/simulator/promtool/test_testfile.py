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


def test_unknown_and_newer_keys_are_reported_like_yaml_v2_with_a_hint():
    with pytest.raises(TestFileError) as caught:
        parse_test_file("tests:\n  - start_timestamp: 0\n    interval: 1m\n    bogus: 1\n", "t.yml")
    assert caught.value.promtool_text() == (
        "yaml: unmarshal errors:\n"
        "  line 2: field start_timestamp not found in type main.testGroup\n"
        "  line 4: field bogus not found in type main.testGroup"
    )
    assert caught.value.hints() == [
        "t.yml:2:5: start_timestamp was added in Prometheus 3.9; promtool 2.42 does not know it"
    ]


def test_bad_durations_and_values_are_errors():
    with pytest.raises(TestFileError) as caught:
        parse_test_file(
            "evaluation_interval: soon\ntests:\n  - promql_expr_test:\n"
            "    - {expr: up, exp_samples: [{labels: up, value: 'one'}]}\n",
            "t.yml",
        )
    assert len(caught.value.problems) == 2
    # A bad duration stops yaml.v2 at once: promtool prints only that error.
    assert caught.value.promtool_text() == 'not a valid duration string: "soon"'
