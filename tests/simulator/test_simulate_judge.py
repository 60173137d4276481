"""Judging alert timelines against incidents, and the reports: stub timelines, no evaluator needed."""

import json

import pytest

from simulator.report import render_json, render_text, to_json_document
from simulator.rules.model import AlertingRule, AlertInterval, AlertTimeline, RuleGroup
from simulator.scenarios import ScenarioError, parse_scenario
from simulator.simulate import check_alert_names, evaluation_grid, judge

H = 3600_000
M = 60_000

SCENARIO = """
name: judged
duration: 14d
incidents:
  - name: deploy
    start: 4d14h
    changes: [{parameter: cache_hit_ratio, delta: -0.25, shape: exp_decay, tau: 12h, duration: 30h}]
    expect: {CacheLow: 10m, LatencyHigh: 10m}
    silent: [NoTraffic]
  - name: sag
    start: 9d
    changes: [{parameter: ctr, delta: -0.004, duration: 6h}]
    expect: {CtrDrop: 2h}
"""


def timeline(name, *intervals, **labels):
    return AlertTimeline(name, {"alertname": name, **labels}, [AlertInterval(*i) for i in intervals])


DEPLOY = (4 * 24 + 14) * H
SAG = 9 * 24 * H


@pytest.fixture()
def result():
    scenario = parse_scenario(SCENARIO, "judged.yaml")
    timelines = [
        timeline("CacheLow", (DEPLOY + 2 * M, DEPLOY + 4 * M, DEPLOY + 15 * H)),
        # Fires too late for its 10m budget.
        timeline("LatencyHigh", (DEPLOY + 5 * M, DEPLOY + 12 * M, DEPLOY + 3 * H)),
        # Fired before the incident and still firing at its start: detected at the start, and a false positive.
        timeline("CtrDrop", (SAG - 3 * H, SAG - 2 * H, SAG + H), team="growth"),
        # Pending only: never a false positive.
        timeline("NoTraffic", (2 * H, None, 2 * H + M)),
        # Fires after the deploy's window (end 30h + settle 2h): a false positive.
        timeline("CacheLow", (DEPLOY + 33 * H, DEPLOY + 33 * H, DEPLOY + 34 * H), feature="x"),
    ]
    return judge(scenario, timelines)


def test_time_to_detect_against_budgets(result):
    by_alert = {d.alertname: d for d in result.detections}
    assert by_alert["CacheLow"].time_to_detect_ms == 4 * M and by_alert["CacheLow"].passed
    assert by_alert["LatencyHigh"].time_to_detect_ms == 12 * M and not by_alert["LatencyHigh"].passed
    assert by_alert["CtrDrop"].time_to_detect_ms == 0 and by_alert["CtrDrop"].passed
    assert not result.passed


def test_silences_and_false_positives(result):
    [silence] = result.silences
    assert silence.passed and silence.fired_at_ms is None
    assert [(fp.alertname, fp.firing_at_ms) for fp in result.false_positives] == [
        ("CacheLow", DEPLOY + 33 * H),
        ("CtrDrop", SAG - 2 * H),
    ]
    assert result.false_positives_per_week == pytest.approx(1.0)


def test_a_silent_alert_that_fires_fails():
    scenario = parse_scenario(SCENARIO, "judged.yaml")
    result = judge(
        scenario,
        [
            timeline("CacheLow", (DEPLOY, DEPLOY, None)),
            timeline("LatencyHigh", (DEPLOY, DEPLOY + M, None)),
            timeline("CtrDrop", (SAG, SAG + H, None)),
            timeline("NoTraffic", (DEPLOY + H, DEPLOY + 2 * H, DEPLOY + 3 * H)),
        ],
    )
    [silence] = result.silences
    assert silence.fired_at_ms == DEPLOY + 2 * H and not silence.passed
    assert all(d.passed for d in result.detections)
    assert not result.passed


def test_never_detected_fails():
    result = judge(parse_scenario(SCENARIO), [])
    assert all(d.detected_at_ms is None and not d.passed for d in result.detections)
    assert result.false_positives == [] and not result.passed


def test_max_false_positives_is_judged():
    scenario = parse_scenario("name: q\nduration: 7d\nmax_false_positives: 0\n")
    quiet = judge(scenario, [])
    quiet.max_false_positives = scenario.max_false_positives
    assert quiet.passed
    noisy = judge(scenario, [timeline("X", (H, H, 2 * H))])
    noisy.max_false_positives = scenario.max_false_positives
    assert not noisy.passed and noisy.false_positives_per_week == 1.0


def test_expect_naming_an_unknown_alert_is_an_error_with_its_line():
    scenario = parse_scenario(SCENARIO, "judged.yaml")
    groups = [
        RuleGroup(
            "g",
            "rules.yml",
            [
                AlertingRule("CacheLow", "vector(1)"),
                AlertingRule("CtrDrop", "vector(1)"),
                AlertingRule("NoTraffic", "vector(1)"),
            ],
        )
    ]
    with pytest.raises(ScenarioError) as caught:
        check_alert_names(scenario, groups)
    [problem] = caught.value.problems
    assert str(problem) == "judged.yaml:8: incident 'deploy' expects alert 'LatencyHigh', which no rule file defines"


def test_evaluation_grid_covers_the_span():
    grid = evaluation_grid(parse_scenario("name: q\nduration: 1d\nevaluation_interval: 7m\n"))
    assert grid.start_ms == 0 and grid.step_ms == 7 * M and grid.end_ms == (1440 // 7) * 7 * M


def test_json_report_is_versioned_and_in_seconds(result):
    document = to_json_document([result])
    assert document["version"] == 1 and document["passed"] is False
    [scenario] = document["scenarios"]
    deploy = scenario["incidents"][0]
    assert deploy["start_s"] == DEPLOY // 1000 and deploy["end_s"] == DEPLOY // 1000 + 30 * 3600
    assert deploy["expect"][0] == {
        "alertname": "CacheLow",
        "budget_s": 600,
        "detected_at_s": DEPLOY // 1000 + 240,
        "time_to_detect_s": 240,
        "passed": True,
    }
    assert scenario["false_positives"]["count"] == 2 and scenario["false_positives"]["per_week"] == 1.0
    assert scenario["alerts"][0]["intervals"][0]["resolved_at_s"] == (DEPLOY + 15 * H) // 1000
    assert json.loads(render_json([result])) == document


def test_text_report(result):
    text = render_text([result])
    assert "scenario judged (judged.yaml): FAIL" in text
    assert "expect LatencyHigh  10m     12m             FAIL" in text
    assert "expect CacheLow     10m     4m              ok" in text
    assert "false positives: 2 (1.00/week)" in text
    assert text.endswith("0 of 1 scenarios passed\n")
