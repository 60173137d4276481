"""Did Prometheus load what was deployed? Compare the expected rule groups with GET /api/v1/rules (pure).

A deployed group must be served exactly once, from the deployed file, with the same rules in the same order:
names, types, queries (compared as Prometheus prints them: both sides are parsed and re-printed by the 2.42
front door, so spacing or matcher order cannot cause a false alarm), `for`, labels; and no rule may report an
evaluation error (health "err", web/api/v1/api.go rulesHealth).
"""

from __future__ import annotations

import posixpath
from typing import Any

from common.promql.frontdoor import PromQLSyntaxError, check_promql, promql_text
from simulator.rules.model import AlertingRule, RecordingRule, RuleGroup

# web/api/v1/api.go: a rule's "health" values (rules.HealthGood/HealthBad/HealthUnknown).
HEALTH_BAD = "err"


def verification_problems(expected: list[RuleGroup], served: list[dict[str, Any]]) -> list[str]:
    """What differs between the deployed groups and the groups Prometheus serves (empty: all loaded)."""
    problems: list[str] = []
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for served_group in served:
        served_key = (posixpath.basename(str(served_group.get("file", ""))), str(served_group.get("name", "")))
        by_key.setdefault(served_key, []).append(served_group)
    for group in expected:
        key = (posixpath.basename(group.file), group.name)
        found = by_key.get(key, [])
        where = f"{key[0]}: group {group.name!r}"
        if not found:
            problems.append(f"{where}: not loaded by Prometheus (is the file under its rule_files?)")
            continue
        if len(found) > 1:
            problems.append(f"{where}: loaded {len(found)} times")
            continue
        problems += [f"{where}: {problem}" for problem in _group_problems(group, found[0])]
    return problems


def _group_problems(group: RuleGroup, served: dict[str, Any]) -> list[str]:
    rules = served.get("rules") or []
    problems = []
    if group.interval_ms is not None and round(float(served.get("interval", 0)) * 1000) != group.interval_ms:
        problems.append(f"interval differs: Prometheus has {served.get('interval')}s")
    if len(rules) != len(group.rules):
        problems.append(f"{len(rules)} rule(s) loaded, {len(group.rules)} deployed")
    for index, (rule, loaded) in enumerate(zip(group.rules, rules)):
        problems += [f"rule {index + 1} ({_name(rule)}): {p}" for p in _rule_problems(rule, loaded)]
    return problems


def _rule_problems(rule: RecordingRule | AlertingRule, loaded: dict[str, Any]) -> list[str]:
    problems = []
    kind = "alerting" if isinstance(rule, AlertingRule) else "recording"
    if loaded.get("type") != kind or loaded.get("name") != _name(rule):
        problems.append(f"Prometheus has the {loaded.get('type')} rule {loaded.get('name')!r} in its place")
        return problems
    if _canonical(str(loaded.get("query", ""))) != _canonical(rule.expr):
        problems.append(f"query differs: Prometheus has {loaded.get('query')!r}")
    if isinstance(rule, AlertingRule) and round(float(loaded.get("duration", 0)) * 1000) != rule.for_ms:
        problems.append(f"for differs: Prometheus has {loaded.get('duration')}s")
    if (loaded.get("labels") or {}) != rule.labels:
        problems.append(f"labels differ: Prometheus has {loaded.get('labels')}")
    if loaded.get("health") == HEALTH_BAD:
        problems.append(f"evaluation error: {loaded.get('lastError')}")
    return problems


def _name(rule: RecordingRule | AlertingRule) -> str:
    return rule.alert if isinstance(rule, AlertingRule) else rule.record


def _canonical(expr: str) -> str:
    try:
        return promql_text(check_promql(expr))
    except PromQLSyntaxError:
        return expr
