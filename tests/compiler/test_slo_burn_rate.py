"""`slo_burn_rate`: the workbook's arithmetic, the 52-second page on a total outage judged by the real promtool
(and by alertkit's own evaluator on the same test file), and every bad input with its message and position."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from compiler_testkit import GENERIC_RUNBOOK, RAW_PARAMS, alert_yaml, alerts_file

from compiler.cli import main as alertkit
from compiler.pipeline import compile_project

SLI = '      total: x_total{service="api"}\n      errors: x_total{service="api",code="500"}\n'


def _definition(severity: str = "page", params: str = "      objective: 99.9\n" + SLI, extra: str = "") -> str:
    return alerts_file(
        f"  - name: Burn\n    kind: slo_burn_rate\n    team: t\n    severity: {severity}\n    summary: s\n"
        f"    description: d\n    for: 0s\n{extra}    params:\n{params}"
    )


def _compile(tmp_path: Path, text: str) -> dict[str, bytes]:
    (tmp_path / "alerts").mkdir(parents=True)
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "alerts" / "slo.yaml").write_text(text)
    (tmp_path / "runbooks" / "Burn.md").write_text(GENERIC_RUNBOOK)
    result = compile_project(tmp_path / "alerts", tmp_path / "runbooks", "runbooks/")
    assert not result.failed, result.problems
    return result.files


def _alert_rule(files: dict[str, bytes]) -> dict:
    document = yaml.safe_load(files["prometheus/slo.yml"])
    return next(rule for group in document["groups"] for rule in group["rules"] if "alert" in rule)


def test_page_and_ticket_take_the_workbooks_pairs_with_exact_decimal_thresholds(tmp_path):
    """14.4 × 0.1 % is written 0.0144 (not 0.014400000000000001), 6 × 0.1 % as 0.006."""
    page = _alert_rule(_compile(tmp_path / "page", _definition("page")))["expr"]
    ticket = _alert_rule(_compile(tmp_path / "ticket", _definition("ticket")))["expr"]
    assert page == (
        "(global:x:error_ratio_rate1h:slo_slo_burn_rate > 0.0144 and global:x:error_ratio_rate5m:slo_slo_burn_rate"
        " > 0.0144) or (global:x:error_ratio_rate6h:slo_slo_burn_rate > 0.006 and "
        "global:x:error_ratio_rate30m:slo_slo_burn_rate > 0.006)"
    )
    assert "error_ratio_rate1d:slo_slo_burn_rate > 0.003 and" in ticket
    assert "error_ratio_rate3d:slo_slo_burn_rate > 0.001 and" in ticket
    assert "error_ratio_rate6h:slo_slo_burn_rate > 0.001)" in ticket


def test_the_runbook_facts_state_the_budget_spent_at_detection(tmp_path):
    """Hand-worked from the workbook's table 5-8: 14.4 · 1h / 30d = 2 %, 6 · 6h / 30d = 5 %; a total outage of a
    99.9 % SLO crosses 14.4 × 0.1 % after 0.0144 · 3600 s = 51.84 s and spends 60 / (0.001 · 30 · 86400) =
    2.315 % of the budget per minute."""
    from compiler.kinds import KINDS
    from compiler.validation import validate_file

    path = tmp_path / "slo.yaml"
    path.write_text(_definition("page"))
    [item] = validate_file(path, "alerts/slo.yaml").alerts
    facts = KINDS["slo_burn_rate"].build(item.alert, item.params).facts
    assert [(w["factor"], w["long"], w["short"], w["budget_spent"]) for w in facts["windows"]] == [
        ("14.4", "1h", "5m", "2 %"),
        ("6", "6h", "30m", "5 %"),
    ]
    assert facts["total_outage_detected_after"] == "51.84 s"
    assert facts["total_outage_budget_per_minute"] == "2.315 %"
    assert facts["windows"][0]["exhausts_budget_in"] == "2d2h"  # 30d / 14.4 = 50 h
    path.write_text(_definition("ticket"))
    [item] = validate_file(path, "alerts/slo.yaml").alerts
    facts = KINDS["slo_burn_rate"].build(item.alert, item.params).facts
    assert [w["budget_spent"] for w in facts["windows"]] == ["10 %", "10 %"]  # 3 · 1d / 30d, 1 · 3d / 30d


def test_good_over_total_records_one_minus_the_success_ratio(tmp_path):
    params = (
        "      objective: 99.5\n      total: t_total\n      good: g_total\n      by: [region]\n      slo: checkout\n"
    )
    files = _compile(tmp_path, _definition("page", params))
    document = yaml.safe_load(files["prometheus/slo.yml"])
    records = {rule["record"]: rule["expr"] for rule in document["groups"][0]["rules"] if "record" in rule}
    assert records["region:checkout:error_ratio_rate1h:slo_slo_burn_rate"] == (
        "1 - (sum by (region) (rate(g_total[1h])) / sum by (region) (rate(t_total[1h])))"
    )
    assert "> 0.072 and" in _alert_rule(files)["expr"]  # 14.4 × 0.5 %


# A total outage from t = 6h (six hours of history, so that the 6h window is full and the 6x pair stays out of
# it): 1 response/s scraped every 15 s, all of them code 200 before, code 500 after. The 1h window at t = 6h + s
# holds s/3600 errors per response (samples sit on the window's edges, so rate() extrapolates nothing): 45 s give
# 1.25 % < 1.44 %, 60 s give 1.667 % > 1.44 %. The workbook's 51.84 s lies between, so with 15 s evaluations and
# `for: 0s` the page fires at 6h1m and not at 6h45s: within one evaluation step of 51.84 s. (The 6h window holds
# 60/21600 = 0.28 %, below the 6x pair's 0.6 %.) 15 s rather than 5 s steps: promtool's run is 3x shorter.
OUTAGE_TEST = {
    "rule_files": ["rules.yml"],
    "evaluation_interval": "15s",
    "tests": [
        {
            "interval": "15s",
            "input_series": [
                {"series": 'x_total{service="api",code="200"}', "values": "0+15x1440 21600x240"},
                {"series": 'x_total{service="api",code="500"}', "values": "0x1440 15+15x240"},
            ],
            "alert_rule_test": [
                {"eval_time": "6h45s", "alertname": "Burn", "exp_alerts": []},
                {
                    "eval_time": "6h1m",
                    "alertname": "Burn",
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "service": "api",
                                "severity": "page",
                                "team": "t",
                                "kind": "slo_burn_rate",
                                "layer": "system",
                            },
                            "exp_annotations": {"summary": "s", "description": "d", "runbook_url": "runbooks/Burn.md"},
                        }
                    ],
                },
            ],
        }
    ],
}


def test_a_total_outage_pages_after_the_workbooks_52_seconds_in_promtool_and_alertkit(tmp_path, monkeypatch):
    params = "      objective: 99.9\n" + SLI + "      by: [service]\n"
    files = _compile(tmp_path / "project", _definition("page", params))
    (tmp_path / "rules.yml").write_bytes(files["prometheus/slo.yml"])
    (tmp_path / "test.yml").write_text(yaml.safe_dump(OUTAGE_TEST, sort_keys=False))
    promtool = shutil.which("promtool")
    assert promtool, "promtool is required (make test installs it from Debian's prometheus package)"
    completed = subprocess.run(
        [promtool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    monkeypatch.chdir(tmp_path)
    ours = CliRunner().invoke(alertkit, ["test", "test.yml"])
    assert ours.exit_code == 0, ours.output


GOOD = alerts_file(alert_yaml("GoodAlert", "raw", RAW_PARAMS))

# (case, params or extra text of one definition, severity, the exact line expected on stderr). The definition
# starts at line 3 of bad.yaml and its params at line 11 (see _definition).
BAD_INPUTS = [
    (
        "objective_above_100",
        "      objective: 150\n" + SLI,
        "page",
        "alerts/bad.yaml:11:18: alert Burn: params.objective: objective is a percentage within (0, 100) exclusive, "
        "like 99.9; got 150",
    ),
    (
        "objective_as_a_ratio",
        "      objective: 0.999\n" + SLI,
        "page",
        "alerts/bad.yaml:11:18: alert Burn: params.objective: objective is a percentage: write 99.9 for 99.9 %; "
        "got 0.999, which would allow 99.001 % of requests to fail",
    ),
    (
        "objective_a_string",
        '      objective: "99.9%"\n' + SLI,
        "page",
        "alerts/bad.yaml:11:18: alert Burn: params.objective: must be a valid number, got str '99.9%'",
    ),
    (
        "no_sli",
        '      objective: 99.9\n      total: x_total{service="api"}\n',
        "page",
        "alerts/bad.yaml:11:7: alert Burn: params: give the SLI as `errors` and `total`, or as `good` and `total`: "
        "got neither of them",
    ),
    (
        "errors_and_good",
        "      objective: 99.9\n" + SLI + "      good: x_total{code='200'}\n",
        "page",
        "alerts/bad.yaml:11:7: alert Burn: params: give the SLI as `errors` and `total`, or as `good` and `total`: "
        "got both of them",
    ),
    (
        "missing_total",
        '      objective: 99.9\n      errors: x_total{code="500"}\n',
        "page",
        "alerts/bad.yaml:11:7: alert Burn: params.total: missing required field",
    ),
    (
        "total_not_a_selector",
        "      objective: 99.9\n      total: sum(rate(x_total[5m]))\n      errors: x_total{code='500'}\n",
        "page",
        "alerts/bad.yaml:12:14: alert Burn: params.total: must be a series selector with a metric name, like "
        "requests_total{code=~\"5..\"}; got 'sum(rate(x_total[5m]))'",
    ),
    (
        "errors_does_not_parse",
        "      objective: 99.9\n      total: x_total\n      errors: 'x_total{code=\"500\"'\n",
        "page",
        "alerts/bad.yaml:13:34: alert Burn: params.errors: PromQL syntax error: unexpected end of input inside braces",
    ),
    (
        "windows_not_ordered",
        "      objective: 99.9\n"
        + SLI
        + "      windows:\n        - {long: 6h, short: 30m, factor: 6}\n        - {long: 1h, short: 5m, factor: 14.4}\n",
        "page",
        "alerts/bad.yaml:15:9: alert Burn: params.windows: pair 2 (14.4× over 1h and 5m): pairs go from the fastest "
        "burn to the slowest: each long window longer than the one before (1h after 6h) and each factor smaller "
        "(14.4 after 6)",
    ),
    (
        "short_not_shorter",
        "      objective: 99.9\n" + SLI + "      windows:\n        - {long: 5m, short: 1h, factor: 14.4}\n",
        "page",
        "alerts/bad.yaml:15:11: alert Burn: params.windows[0]: short window 1h must be shorter than the long window 5m",
    ),
    (
        "no_windows",
        "      objective: 99.9\n" + SLI + "      windows: []\n",
        "page",
        "alerts/bad.yaml:14:16: alert Burn: params.windows: give at least one window pair, or leave `windows` out "
        "for the workbook's",
    ),
    (
        "window_key_typo",
        "      objective: 99.9\n" + SLI + "      windows:\n        - {long: 1h, short: 5m, factr: 14.4}\n",
        "page",
        "alerts/bad.yaml:15:33: alert Burn: params.windows[0].factr: unknown field (allowed: factor, long, short)",
    ),
    (
        "factor_never_reachable",
        "      objective: 90\n" + SLI,
        "page",
        "alerts/bad.yaml:11:7: alert Burn: params.windows: the workbook's pair 14.4× over 1h and 5m (the default): "
        "factor 14.4 × error budget 10 % = 144 %: an error ratio never exceeds 100 %, so this pair could never "
        "fire; lower the factor or raise the objective",
    ),
    (
        "long_window_beyond_the_period",
        "      objective: 99.9\n      period: 1d\n" + SLI,
        "ticket",
        "alerts/bad.yaml:11:7: alert Burn: params.windows: the workbook's pair 1× over 3d and 6h (the default): "
        "long window 3d is longer than the SLO period 1d",
    ),
    (
        "negative_factor",
        "      objective: 99.9\n" + SLI + "      windows:\n        - {long: 1h, short: 5m, factor: -1}\n",
        "page",
        "alerts/bad.yaml:15:41: alert Burn: params.windows[0].factor: must be greater than 0, got -1",
    ),
    (
        "slo_name_not_a_metric_name_part",
        "      objective: 99.9\n" + SLI + "      slo: my-slo\n",
        "page",
        "alerts/bad.yaml:14:12: alert Burn: params.slo: invalid SLO name 'my-slo': must match "
        "[a-zA-Z_][a-zA-Z0-9_]* (it goes into metric names)",
    ),
]


@pytest.fixture
def compiled_project(project):
    """A project with one good alert, compiled once so build/ has content to protect."""
    project.write_alerts("good.yaml", GOOD)
    project.write_runbook("GoodAlert")
    project.write_runbook("Burn")
    assert project.compile().exit_code == 0
    return project


@pytest.mark.parametrize("case, params, severity, expected", BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_reported_at_its_position_and_changes_nothing(compiled_project, case, params, severity, expected):
    before = compiled_project.build_digest()
    compiled_project.write_alerts("bad.yaml", _definition(severity, params))

    result = compiled_project.compile()

    assert result.exit_code == 1
    assert expected in result.stderr.splitlines(), result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert compiled_project.build_digest() == before
