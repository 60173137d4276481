"""Bad parameters of the kinds error_ratio, freshness, schema_change and model_quality (issue 10): each is
reported as `file:line:col: alert NAME: params.FIELD: message`, exit 1, no traceback, build/ unchanged."""

from __future__ import annotations

import pytest
from compiler_testkit import RAW_PARAMS, alert_yaml, alerts_file

GOOD = alerts_file(alert_yaml("GoodAlert", "raw", RAW_PARAMS))


def _bad(kind: str, params: str) -> str:
    """A definitions file with one alert `Bad` of `kind`; its params start on line 11, values at column 7."""
    return alerts_file(alert_yaml("Bad", kind, params))


# (case, kind, params, the exact line expected on stderr)
BAD_PARAMS = [
    (
        "error_ratio-missing-metric",
        "error_ratio",
        "      threshold: 0.1\n",
        "alerts/bad.yaml:11:7: alert Bad: params.metric: missing required field",
    ),
    (
        "error_ratio-empty-errors",
        "error_ratio",
        "      metric: http_requests_total\n      errors: ''\n",
        'alerts/bad.yaml:12:15: alert Bad: params.errors: must select the failed requests, e.g. code=~"5.."',
    ),
    (
        "error_ratio-invalid-errors",
        "error_ratio",
        "      metric: http_requests_total\n      errors: 'code=~5..'\n",
        "alerts/bad.yaml:12:15: alert Bad: params.errors: invalid label matchers 'code=~5..': unexpected character "
        "inside braces: '5'",
    ),
    (
        "error_ratio-by-keeps-error-label",
        "error_ratio",
        "      metric: http_requests_total\n      by: [service, code]\n",
        "alerts/bad.yaml:12:11: alert Bad: params.by: keeps code, which `errors` tests: every group would be all "
        "errors or none",
    ),
    (
        "error_ratio-threshold-above-1",
        "error_ratio",
        "      metric: http_requests_total\n      threshold: 5\n",
        "alerts/bad.yaml:12:18: alert Bad: params.threshold: ratio must be within [0, 1], got 5",
    ),
    (
        "freshness-missing-budget",
        "freshness",
        "      metric: pipeline_last_success_timestamp_seconds\n",
        "alerts/bad.yaml:11:7: alert Bad: params.budget: missing required field",
    ),
    (
        "freshness-zero-budget",
        "freshness",
        "      metric: pipeline_last_success_timestamp_seconds\n      budget: 0s\n",
        "alerts/bad.yaml:12:15: alert Bad: params.budget: window must be longer than 0, got '0s'",
    ),
    (
        "freshness-lookback-not-longer",
        "freshness",
        "      metric: pipeline_last_success_timestamp_seconds\n      budget: 2h\n      lookback: 90m\n",
        "alerts/bad.yaml:13:17: alert Bad: params.lookback: lookback 90m must be longer than the budget 2h, or a "
        "gauge that disappeared would be forgotten before it is stale",
    ),
    (
        "freshness-budget-as-number",
        "freshness",
        "      metric: pipeline_last_success_timestamp_seconds\n      budget: 7200\n",
        "alerts/bad.yaml:12:15: alert Bad: params.budget: invalid duration 7200: write it as text with a unit, "
        "like 30s, 5m, 1h",
    ),
    (
        "schema_change-missing-metric",
        "schema_change",
        "      window: 1h\n",
        "alerts/bad.yaml:11:7: alert Bad: params.metric: missing required field",
    ),
    (
        "schema_change-invalid-window",
        "schema_change",
        "      metric: table_schema_hash\n      window: soon\n",
        "alerts/bad.yaml:12:15: alert Bad: params.window: invalid duration 'soon': expected a Prometheus duration "
        "like 30s, 5m, 1h30m, 1d",
    ),
    (
        "schema_change-invalid-metric",
        "schema_change",
        "      metric: table-schema-hash\n",
        "alerts/bad.yaml:11:15: alert Bad: params.metric: invalid metric name 'table-schema-hash': must match "
        "[a-zA-Z_:][a-zA-Z0-9_:]*",
    ),
    (
        "model_quality-missing-metric",
        "model_quality",
        "      threshold: 0.2\n",
        "alerts/bad.yaml:11:7: alert Bad: params.metric: missing required field",
    ),
    (
        "model_quality-drift-factor-1",
        "model_quality",
        "      metric: model_rolling_mae\n      drift_factor: 1\n",
        "alerts/bad.yaml:12:21: alert Bad: params.drift_factor: must be a finite number above 1 (the error as a "
        "multiple of its baseline), got 1",
    ),
    (
        "model_quality-negative-threshold",
        "model_quality",
        "      metric: model_rolling_mae\n      threshold: -0.1\n",
        "alerts/bad.yaml:12:18: alert Bad: params.threshold: must be 0 or more, got -0.1",
    ),
    (
        "model_quality-higher-is-better-text",
        "model_quality",
        "      metric: model_rolling_auc\n      higher_is_better: 'yes'\n",
        "alerts/bad.yaml:12:25: alert Bad: params.higher_is_better: must be a valid boolean, got str 'yes'",
    ),
    (
        "model_quality-baseline-under-a-day",
        "model_quality",
        "      metric: model_rolling_mae\n      baseline_window: 12h\n",
        "alerts/bad.yaml:12:24: alert Bad: params.baseline_window: must be at least 1d (a baseline of hourly means "
        "over whole days), got '12h'",
    ),
    (
        "model_quality-unknown-param",
        "model_quality",
        "      metric: model_rolling_mae\n      baseline: 7d\n",
        "alerts/bad.yaml:12:7: alert Bad: params.baseline: unknown field (allowed: baseline_window, by, drift_factor, "
        "higher_is_better, metric, selector, threshold)",
    ),
]


@pytest.fixture
def compiled_project(project):
    """A project with one good alert, compiled once so build/ has content to protect."""
    project.write_alerts("good.yaml", GOOD)
    project.write_runbook("GoodAlert")
    project.write_runbook("Bad")
    assert project.compile().exit_code == 0
    return project


@pytest.mark.parametrize("case, kind, params, expected", BAD_PARAMS, ids=[case[0] for case in BAD_PARAMS])
def test_bad_parameter_is_reported_at_its_position_and_nothing_is_written(
    compiled_project, case, kind, params, expected
):
    before = compiled_project.build_digest()
    compiled_project.write_alerts("bad.yaml", _bad(kind, params))

    result = compiled_project.compile()

    assert result.exit_code == 1
    assert expected in result.stderr.splitlines(), result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert compiled_project.build_digest() == before
