"""A scenario of one service says nothing about alerts on another's metrics: those alerts are "not
observed" there, so an absent() of a series the scenario never generates is not a false positive."""

from __future__ import annotations

from simulator.rules.model import AlertInterval, AlertTimeline
from simulator.scenarios.loader import parse_scenario
from simulator.simulate import judge, rule_groups_from_texts, unobserved_alerts

RULES = """\
groups:
  - name: g
    rules:
      - record: job:http_errors:rate5m
        expr: sum(rate(http_requests_total{code=~"5.."}[5m]))
      - alert: ErrorsHigh
        expr: job:http_errors:rate5m > 1
      - alert: RankerGone
        expr: absent(ranker_requests_total)
      - alert: AnyUp
        expr: '{__name__=~".+_up"} == 0'
"""

SCENARIO = """\
version: 1
name: api
duration: 1h
baseline: none
series:
  - name: http_requests_total
    kind: counter
    labels: {code: {"200": 0.99, "500": 0.01}}
    rate: 10
"""


def test_alerts_reading_no_generated_metric_are_unobserved_through_recording_rules():
    groups = rule_groups_from_texts({"r.yml": RULES})

    assert unobserved_alerts(groups, {"http_requests_total"}) == ["RankerGone"]
    assert unobserved_alerts(groups, {"ranker_requests_total"}) == ["ErrorsHigh"]


def test_an_unobserved_alert_firing_is_not_a_false_positive_but_an_observed_one_is():
    scenario = parse_scenario(SCENARIO, "api.yaml")
    firing = [AlertInterval(pending_at_ms=0, firing_at_ms=60_000, resolved_at_ms=None)]
    timelines = [
        AlertTimeline("RankerGone", {"alertname": "RankerGone"}, firing),
        AlertTimeline("ErrorsHigh", {"alertname": "ErrorsHigh"}, firing),
    ]

    result = judge(scenario, timelines, ["RankerGone"])

    assert [fp.alertname for fp in result.false_positives] == ["ErrorsHigh"]
    assert result.unobserved_alerts == ["RankerGone"]


def test_a_quiet_scenario_that_never_generates_an_alerts_metrics_is_no_silent_coverage():
    """The coverage gate once counted such a scenario as proof of silence (a newcomer's checkout alert passed
    with only the ranker's quiet fortnight); now it names the gap and the scenario that does not observe."""
    from simulator.coverage import alert_gaps

    quiet_api = parse_scenario(SCENARIO, "api.yaml")
    groups = rule_groups_from_texts({"r.yml": RULES})
    unobserved = {"api.yaml": unobserved_alerts(groups, {"http_requests_total"})}

    def observes(scenario, alertname):
        return alertname not in unobserved[scenario.source]

    gaps = alert_gaps("RankerGone", True, [quiet_api], observes)
    assert [(g.missing, g.advice.endswith("(api: generate none of its metrics)")) for g in gaps] == [
        ("firing scenario", False),
        ("silent scenario", True),
    ]
    assert [g.missing for g in alert_gaps("ErrorsHigh", True, [quiet_api], observes)] == ["firing scenario"]
