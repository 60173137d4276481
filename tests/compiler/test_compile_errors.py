"""Every bad input is reported as `file:line:col: alert NAME: field: message`, exit 1, build/ unchanged."""

from __future__ import annotations

import pytest
from compiler_testkit import RAW_PARAMS, alert_yaml, alerts_file

GOOD = alerts_file(alert_yaml("GoodAlert", "raw", RAW_PARAMS))

HEADER = "apiVersion: alertkit/v1\nalerts:\n"


def _alert(name="Bad", kind="raw", params=RAW_PARAMS, extra="", for_="5m", summary='"s"', team="ranking"):
    return (
        f"  - name: {name}\n"
        f"    kind: {kind}\n"
        f"    team: {team}\n"
        f"    severity: page\n"
        f"    summary: {summary}\n"
        f'    description: "d"\n'
        f"    for: {for_}\n"
        f"{extra}"
        f"    params:\n{params}"
    )


# (case, bad file text, the exact line expected on stderr). Lines/columns counted in the text: line 3 is the
# first alert's `- name:` line, its keys start at column 5 and `for:`'s value at column 10.
BAD_INPUTS = [
    (
        "malformed_yaml",
        HEADER + "  - name: [Bad\n",
        "alerts/bad.yaml:4:1: malformed YAML: did not find expected ',' or ']'",
    ),
    (
        "unknown_kind",
        HEADER + _alert(kind="null_ratio"),
        "alerts/bad.yaml:4:11: alert Bad: kind: unknown kind 'null_ratio' (known kinds: cache_hit_ratio, ctr_drop, "
        "error_ratio, freshness, latency_quantile, model_quality, null_rate, raw, schema_change, slo_burn_rate, srm, "
        "zscore_anomaly)",
    ),
    (
        "unknown_field",
        HEADER + _alert(extra="    severty: page\n"),
        "alerts/bad.yaml:10:5: alert Bad: severty: unknown field (allowed: annotations, description, for, keep_firing_for, "
        "kind, labels, layer, name, params, severity, summary, symptom_of, team)",
    ),
    (
        "unknown_param",
        HEADER + _alert(params="      expr: up == 0\n      treshold: 1\n"),
        "alerts/bad.yaml:12:7: alert Bad: params.treshold: unknown field (allowed: expr)",
    ),
    (
        "missing_field",
        HEADER + _alert().replace("    team: ranking\n", ""),
        "alerts/bad.yaml:3:5: alert Bad: team: missing required field",
    ),
    (
        "missing_param",
        HEADER + _alert(kind="null_rate", params="      nulls_metric: a_total\n"),
        "alerts/bad.yaml:11:7: alert Bad: params.lookups_metric: missing required field",
    ),
    (
        "wrong_type",
        HEADER + _alert(kind="cache_hit_ratio", params="      metric: c_total\n      threshold: high\n"),
        "alerts/bad.yaml:12:18: alert Bad: params.threshold: must be a valid number, got str 'high'",
    ),
    (
        "wrong_type_team",
        HEADER + _alert(team="42"),
        "alerts/bad.yaml:5:11: alert Bad: team: must be a valid string, got int 42",
    ),
    (
        "invalid_duration",
        HEADER + _alert(for_="5 minutes"),
        "alerts/bad.yaml:9:10: alert Bad: for: invalid duration '5 minutes': expected a Prometheus duration like "
        "30s, 5m, 1h30m, 1d",
    ),
    (
        "duration_without_unit",
        HEADER + _alert(for_="5"),
        "alerts/bad.yaml:9:10: alert Bad: for: invalid duration 5: write it as text with a unit, like 30s, 5m, 1h",
    ),
    (
        "invalid_window",
        HEADER
        + _alert(
            kind="null_rate", params="      nulls_metric: a_total\n      lookups_metric: b_total\n      window: 5mins\n"
        ),
        "alerts/bad.yaml:13:15: alert Bad: params.window: invalid duration '5mins': expected a Prometheus duration "
        "like 30s, 5m, 1h30m, 1d",
    ),
    (
        "promql_syntax_error",
        HEADER + _alert(params="      expr: sum(rate(x[5m]) > 1\n"),
        "alerts/bad.yaml:11:32: alert Bad: params.expr: PromQL syntax error: unclosed left parenthesis",
    ),
    (
        "ratio_out_of_range",
        HEADER + _alert(kind="cache_hit_ratio", params="      metric: c_total\n      threshold: 1.5\n"),
        "alerts/bad.yaml:12:18: alert Bad: params.threshold: ratio must be within [0, 1], got 1.5",
    ),
    (
        "quantile_out_of_range",
        HEADER + _alert(kind="latency_quantile", params="      metric: h\n      threshold: 0.2\n      quantile: 1\n"),
        "alerts/bad.yaml:13:17: alert Bad: params.quantile: must be within (0, 1) exclusive, got 1",
    ),
    (
        "p_value_out_of_range",
        HEADER + _alert(kind="srm", params="      p_value: 0\n"),
        "alerts/bad.yaml:11:16: alert Bad: params.p_value: must be within (0, 1) exclusive, got 0",
    ),
    (
        "bad_label_name",
        HEADER + _alert(extra="    labels: {tier-name: ranking}\n"),
        "alerts/bad.yaml:10:13: alert Bad: labels: invalid label name 'tier-name': must match [a-zA-Z_][a-zA-Z0-9_]*",
    ),
    (
        "bad_by_label",
        HEADER
        + _alert(
            kind="null_rate",
            params="      nulls_metric: a_total\n      lookups_metric: b_total\n      by: [__name__]\n",
        ),
        "alerts/bad.yaml:13:11: alert Bad: params.by: invalid label name '__name__': names starting with '__' are "
        "reserved by Prometheus",
    ),
    (
        "bad_alert_name",
        HEADER + _alert(name="bad-name"),
        "alerts/bad.yaml:3:11: alert bad-name: name: invalid alert name 'bad-name': must match [a-zA-Z_][a-zA-Z0-9_]*",
    ),
    (
        "go_template_error",
        HEADER + _alert(summary='"{{ $labels.feature "'),
        "alerts/bad.yaml:7:34: alert Bad: summary: Go template does not parse: template: __alert_Bad:1: unclosed "
        "action",
    ),
    (
        "go_template_unknown_function",
        HEADER + _alert(extra='    annotations: {dashboard: "{{ $value | humanise }}"}\n'),
        "alerts/bad.yaml:10:43: alert Bad: annotations.dashboard: Go template does not parse: template: __alert_Bad:1: "
        'function "humanise" not defined',
    ),
    (
        "reserved_label",
        HEADER + _alert(extra="    labels: {severity: info}\n"),
        "alerts/bad.yaml:10:14: alert Bad: labels.severity: 'severity' is set by the compiler from the definition; "
        "remove it here",
    ),
    (
        "unknown_layer",
        HEADER + _alert(extra="    layer: infra\n"),
        "alerts/bad.yaml:10:12: alert Bad: layer: must be 'data', 'model', 'system' or 'business', got str 'infra'",
    ),
    (
        "layer_not_a_string",
        HEADER + _alert(extra="    layer: [data]\n"),
        "alerts/bad.yaml:10:12: alert Bad: layer: must be 'data', 'model', 'system' or 'business', got list",
    ),
    (
        "layer_as_a_label",
        HEADER + _alert(extra="    labels: {layer: data}\n"),
        "alerts/bad.yaml:10:14: alert Bad: labels.layer: 'layer' is set by the compiler: write "
        "`layer: data|model|system|business` on the alert",
    ),
    (
        "api_version",
        HEADER.replace("v1", "v2") + _alert(),
        "alerts/bad.yaml:1:13: apiVersion: unsupported apiVersion 'alertkit/v2': expected 'alertkit/v1'",
    ),
    (
        "duplicate_key",
        HEADER + _alert(extra="    for: 10m\n"),
        "alerts/bad.yaml:10:5: alert Bad: for: duplicate key 'for'",
    ),
    (
        "empty_file",
        "",
        "alerts/bad.yaml:1:1: expected a mapping with `apiVersion: alertkit/v1` and `alerts:`; the file is empty",
    ),
    (
        "alert_not_a_mapping",
        HEADER + "  - 1\n",
        "alerts/bad.yaml:3:5: alerts[0]: must be a mapping (one alert definition), got int 1",
    ),
    (
        "label_value_not_a_string",
        HEADER + _alert(extra="    labels: {tier: 1}\n"),
        "alerts/bad.yaml:10:20: alert Bad: labels.tier: must be a valid string, got int 1",
    ),
    (
        "label_name_not_a_string",
        HEADER + _alert(extra="    labels: {1: x}\n"),
        "alerts/bad.yaml:10:14: alert Bad: labels.1: key must be a valid string, got int 1",
    ),
    (
        "infinite_threshold",
        HEADER + _alert(kind="latency_quantile", params="      metric: h\n      threshold: .inf\n"),
        "alerts/bad.yaml:12:18: alert Bad: params.threshold: must be a finite number, got inf",
    ),
    (
        "zscore_needs_record",
        HEADER + _alert(kind="zscore_anomaly", params="      expr: rate(x[5m])\n"),
        "alerts/bad.yaml:11:7: alert Bad: params: expr is not a plain series selector: name its recording rule with "
        "`record`",
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


@pytest.mark.parametrize("case, text, expected", BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_reported_at_its_position_and_changes_nothing(compiled_project, case, text, expected):
    before = compiled_project.build_digest()
    compiled_project.write_alerts("bad.yaml", text)

    result = compiled_project.compile()

    assert result.exit_code == 1
    assert expected in result.stderr.splitlines(), result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert compiled_project.build_digest() == before


def test_duplicate_alert_names_across_files_point_at_both(compiled_project):
    before = compiled_project.build_digest()
    compiled_project.write_alerts("other.yaml", GOOD)

    result = compiled_project.compile()

    assert result.exit_code == 1
    assert (
        "alerts/other.yaml:3:11: alert GoodAlert: name: duplicate alert name, first defined at alerts/good.yaml:3:11"
        in result.stderr.splitlines()
    )
    assert compiled_project.build_digest() == before


def test_missing_runbook_is_an_error_at_the_alert(compiled_project):
    before = compiled_project.build_digest()
    compiled_project.write_alerts("new.yaml", HEADER + _alert(name="NoBook"))

    result = compiled_project.compile()

    assert result.exit_code == 1
    assert (
        "alerts/new.yaml:3:5: alert NoBook: runbook: missing runbook runbooks/NoBook.md" in result.stderr.splitlines()
    )
    assert compiled_project.build_digest() == before


def test_missing_runbook_section_is_an_error(compiled_project):
    before = compiled_project.build_digest()
    text = (compiled_project.runbooks / "GoodAlert.md").read_text().replace("## Escalation", "## Who to call")
    compiled_project.write_runbook("GoodAlert", text)

    result = compiled_project.compile()

    assert result.exit_code == 1
    assert (
        "runbooks/GoodAlert.md:1:1: alert GoodAlert: runbook: runbook has no section 'Escalation' (required: "
        "Meaning, Impact, Diagnosis, Mitigation, Escalation, Prevention)" in result.stderr.splitlines()
    )
    assert compiled_project.build_digest() == before


def test_diagnosis_must_quote_the_alert_expression(compiled_project):
    text = (compiled_project.runbooks / "GoodAlert.md").read_text().replace("[= expr =]", "up")
    compiled_project.write_runbook("GoodAlert", text)

    result = compiled_project.compile()

    assert result.exit_code == 1
    assert "section 'Diagnosis' must quote the alert's expression" in result.stderr


def test_runbook_template_error_names_its_line(compiled_project):
    text = (compiled_project.runbooks / "GoodAlert.md").read_text() + "\n[= facts.no_such_fact =]\n"
    compiled_project.write_runbook("GoodAlert", text)

    result = compiled_project.compile()

    assert result.exit_code == 1
    line_count = text.count("\n")
    assert f"runbooks/GoodAlert.md:{line_count}:1: alert GoodAlert: runbook: runbook template error:" in result.stderr


def test_orphan_runbook_is_a_warning_and_the_compile_succeeds(compiled_project):
    result = compiled_project.compile()

    assert result.exit_code == 0
    assert "runbooks/Bad.md:1:1: warning: orphan runbook: no alert named 'Bad'" in result.stderr.splitlines()


def test_every_problem_of_a_run_is_reported_together(compiled_project):
    compiled_project.write_alerts("bad.yaml", HEADER + _alert(for_="soon") + _alert(name="Bad2", kind="nope"))

    result = compiled_project.compile()

    lines = result.stderr.splitlines()
    assert result.exit_code == 1
    assert any(line.startswith("alerts/bad.yaml:9:10: alert Bad: for: invalid duration") for line in lines)
    assert any(line.startswith("alerts/bad.yaml:13:11: alert Bad2: kind: unknown kind 'nope'") for line in lines)
    assert "compile failed: 2 error(s); nothing under build/ was changed" in lines
    assert not any("orphan" in line for line in lines)  # Bad is defined, only invalid: its runbook is not orphan


def test_a_yml_file_is_not_read_but_warned_about(compiled_project):
    compiled_project.write_alerts("typo.yml", "not: read\n")

    result = compiled_project.compile()

    assert result.exit_code == 0
    assert (
        "alerts/typo.yml:1:1: warning: ignored: definitions files end in .yaml (rename to typo.yaml)" in result.stderr
    )


def test_empty_params_take_every_default(compiled_project):
    compiled_project.write_alerts("srm.yaml", HEADER + _alert(kind="srm", params=""))

    result = compiled_project.compile()

    assert result.exit_code == 0, result.stderr
    rules = (compiled_project.build / "prometheus" / "srm.yml").read_text()
    assert "increase(experiment_assignments_total[1h])" in rules


def test_identical_recording_rules_are_shared_and_conflicting_ones_rejected(compiled_project):
    p99 = "      metric: h_seconds\n      threshold: 0.3\n"
    p50 = "      metric: h_seconds\n      threshold: 0.1\n      quantile: 0.5\n"
    lat = HEADER + _alert(name="P99", kind="latency_quantile", params=p99)
    lat += _alert(name="P50", kind="latency_quantile", params=p50)
    compiled_project.write_alerts("lat.yaml", lat)
    compiled_project.write_runbook("P99")
    compiled_project.write_runbook("P50")

    assert compiled_project.compile().exit_code == 0
    rules = (compiled_project.build / "prometheus" / "lat.yml").read_text()
    assert rules.count("- record: le:h_seconds_bucket:rate5m:lat_latency_quantile") == 1  # shared by both quantiles
    assert "- record: global:h_seconds:p50_rate5m:lat_latency_quantile" in rules
    assert "- record: global:h_seconds:p99_rate5m:lat_latency_quantile" in rules

    before = compiled_project.build_digest()
    other = "      metric: h_seconds\n      threshold: 0.3\n      selector: 'job=\"other\"'\n"
    compiled_project.write_alerts("lat.yaml", lat + _alert(name="Other", kind="latency_quantile", params=other))
    compiled_project.write_runbook("Other")

    result = compiled_project.compile()

    assert result.exit_code == 1
    assert (
        "alerts/lat.yaml:24:5: alert Other: recording rule le:h_seconds_bucket:rate5m:lat_latency_quantile is also "
        "emitted by alert P99 with a different expression; give one of them other labels, selector or metric"
    ) in result.stderr.splitlines()
    assert compiled_project.build_digest() == before


def test_go_template_error_in_a_block_scalar_points_at_the_value(compiled_project):
    text = HEADER + _alert().replace(
        '    description: "d"\n', "    description: >-\n      Value {{ $value | nope }}\n      here.\n"
    )
    compiled_project.write_alerts("bad.yaml", text)

    result = compiled_project.compile()

    assert result.exit_code == 1
    assert (
        "alerts/bad.yaml:8:18: alert Bad: description: Go template does not parse: template: __alert_Bad:1: "
        'function "nope" not defined'
    ) in result.stderr.splitlines()


def test_mitigation_must_state_rollback_criteria(compiled_project):
    text = (compiled_project.runbooks / "GoodAlert.md").read_text()
    text = text.replace(
        "Roll back the last deploy if the alert started with it; rollback criterion: resolved within 15 minutes.",
        "Fix it.",
    )
    compiled_project.write_runbook("GoodAlert", text)

    result = compiled_project.compile()

    assert result.exit_code == 1
    assert "section 'Mitigation' must state rollback criteria" in result.stderr
