"""verification_problems on answers shaped like Prometheus 2.42's /api/v1/rules (the real server is in
test_deploy_prometheus.py; these cover differences a real server rarely shows on demand)."""

from __future__ import annotations

from simulator.deploy.verify import verification_problems
from simulator.rules.model import AlertingRule, RecordingRule, RuleGroup

GROUP = RuleGroup(
    "g",
    "team.yml",
    [
        RecordingRule("job:up:sum", "sum by (job) (up)"),
        AlertingRule("Down", "job:up:sum == 0", for_ms=300_000, labels={"severity": "page"}),
    ],
    interval_ms=30_000,
)


def served(**changes) -> list[dict]:
    rules = [
        {"type": "recording", "name": "job:up:sum", "query": "sum by(job) (up)", "labels": {}, "health": "ok"},
        {
            "type": "alerting",
            "name": "Down",
            "query": "job:up:sum == 0",
            "duration": 300,
            "labels": {"severity": "page"},
            "health": "unknown",
        },
    ]
    rules[1].update(changes)
    return [{"name": "g", "file": "/etc/prometheus/rules.d/team.yml", "interval": 30, "rules": rules}]


def test_same_rules_verify_whatever_the_printing():
    assert verification_problems([GROUP], served()) == []


def test_each_difference_is_reported():
    assert verification_problems([GROUP], served(query="job:up:sum == 1")) == [
        "team.yml: group 'g': rule 2 (Down): query differs: Prometheus has 'job:up:sum == 1'"
    ]
    assert verification_problems([GROUP], served(duration=60)) == [
        "team.yml: group 'g': rule 2 (Down): for differs: Prometheus has 60s"
    ]
    assert verification_problems([GROUP], served(health="err", lastError="many-to-many matching not allowed")) == [
        "team.yml: group 'g': rule 2 (Down): evaluation error: many-to-many matching not allowed"
    ]
    assert verification_problems([GROUP], served(name="Up")) == [
        "team.yml: group 'g': rule 2 (Down): Prometheus has the alerting rule 'Up' in its place"
    ]
    answer = served()
    answer[0]["interval"] = 60
    answer[0]["rules"].pop(0)
    assert verification_problems([GROUP], answer) == [
        "team.yml: group 'g': interval differs: Prometheus has 60s",
        "team.yml: group 'g': 1 rule(s) loaded, 2 deployed",
        "team.yml: group 'g': rule 1 (job:up:sum): Prometheus has the alerting rule 'Down' in its place",
    ]
    assert verification_problems([GROUP], served() + served()) == ["team.yml: group 'g': loaded 2 times"]
    assert verification_problems([GROUP], []) == [
        "team.yml: group 'g': not loaded by Prometheus (is the file under its rule_files?)"
    ]
