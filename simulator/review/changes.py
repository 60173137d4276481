"""Compare two revisions: alerts, runbooks and the simulated detection and paging, with regressions marked.

The result is plain data (the versioned JSON document of `alertkit diff --format json`, docs/json-schemas.md);
render.py turns it into markdown. Times are seconds from an incident's start (null: never); a delta is
after - before (positive: slower).

Regressions:
- slower detection: an expected alert fires later in an incident than before;
- missed incident: an expected alert that fired no longer fires in the incident's window;
- slower page / no page: the incident's first page comes later, or no longer comes;
- different receiver: the incident's pages reach other receivers than before;
- new false page: more pages outside every incident window than before;
- new false positive: more firing outside every incident window than before;
- failing scenario: a scenario whose expectations held no longer holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.layers import LAYER_LABEL
from simulator.alertmanager.config import AlertmanagerConfig, load_alertmanager_config
from simulator.alertmanager.routing import receivers_for
from simulator.simulate import ScenarioResult

SCHEMA = "alertkit-diff"
SCHEMA_VERSION = 1

# Definition facts compared field by field (compiler.snapshot.definition_facts), in report order.
DEFINITION_FIELDS = ("kind", "team", "severity", "layer", "expr", "for", "keep_firing_for", "symptom_of")


@dataclass(frozen=True)
class SideInput:
    """What the comparison needs of one revision (plain data: the compiler's output, the simulation)."""

    label: str
    definitions: dict[str, dict[str, Any]]  # alert name -> facts (compiler.snapshot.definition_facts)
    runbooks: dict[str, dict[str, str]]  # alert name -> section -> text
    alertmanager_text: str | None  # the compiled alertmanager.yml (routing.yaml included)
    results: dict[str, ScenarioResult]  # scenario path -> simulation
    scenario_texts: dict[str, str]


def compare(
    base: SideInput, head: SideInput, base_meta: dict[str, Any], head_meta: dict[str, Any], reuse: dict[str, Any]
) -> dict[str, Any]:
    """The whole comparison document; `base_meta`/`head_meta` say which revisions (git ref, commit, uncommitted
    paths), `reuse` what the simulation reused (evaluation.ReuseStats per side)."""
    base_routing = _routing_facts(base)
    head_routing = _routing_facts(head)
    scenarios = [
        _scenario_delta(path, base.results.get(path), head.results.get(path), base, head)
        for path in sorted(set(base.results) | set(head.results))
    ]
    regressions = [
        {"scenario": scenario["path"], **regression} for scenario in scenarios for regression in scenario["regressions"]
    ]
    return {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "base": base_meta,
        "head": head_meta,
        "regressions": regressions,
        "alerts": _alert_changes(base, head, base_routing, head_routing),
        "inhibit_rules": _inhibit_rule_changes(base_routing, head_routing),
        "runbooks": _runbook_changes(base.runbooks, head.runbooks),
        "scenarios": scenarios,
        "reuse": reuse,
    }


# --- alerts ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Routing:
    """Per alert: the receivers its labels reach and the inhibit rules that can mute it (as text)."""

    receivers: dict[str, list[str]]
    muted_by: dict[str, list[str]]
    rules: list[str]


def _routing_facts(side: SideInput) -> _Routing:
    if side.alertmanager_text is None:
        return _Routing({}, {}, [])
    config = load_alertmanager_config(side.alertmanager_text)
    receivers, muted_by = {}, {}
    for name, facts in side.definitions.items():
        labels = _route_labels(name, facts)
        receivers[name] = receivers_for(config, labels)
        muted_by[name] = [
            _rule_text(config, index)
            for index, rule in enumerate(config.inhibit_rules)
            if all(matcher.matches(labels) for matcher in rule.target_matchers)
        ]
    return _Routing(receivers, muted_by, [_rule_text(config, i) for i in range(len(config.inhibit_rules))])


def _route_labels(name: str, facts: dict[str, Any]) -> dict[str, str]:
    """The labels an alert is routed on: alertname, the compiler's labels and the static extra labels."""
    labels = {"alertname": name, "severity": facts["severity"], "team": facts["team"], "kind": facts["kind"]}
    if facts.get("layer"):
        labels[LAYER_LABEL] = facts["layer"]
    labels |= {key: value for key, value in facts["labels"].items() if "{{" not in value}
    return labels


def _rule_text(config: AlertmanagerConfig, index: int) -> str:
    rule = config.inhibit_rules[index]
    source = ", ".join(str(matcher) for matcher in rule.source_matchers)
    target = ", ".join(str(matcher) for matcher in rule.target_matchers)
    equal = f" with equal {', '.join(rule.equal)}" if rule.equal else ""
    return f"{{{source}}} mutes {{{target}}}{equal}"


def _alert_changes(base: SideInput, head: SideInput, base_routing: _Routing, head_routing: _Routing) -> dict:
    def summary(name: str, side: SideInput, routing: _Routing) -> dict:
        facts = side.definitions[name]
        return {
            "name": name,
            "source": facts["source"],
            "severity": facts["severity"],
            "team": facts["team"],
            "receivers": routing.receivers.get(name, []),
        }

    added = [summary(name, head, head_routing) for name in sorted(set(head.definitions) - set(base.definitions))]
    removed = [summary(name, base, base_routing) for name in sorted(set(base.definitions) - set(head.definitions))]
    changed = []
    for name in sorted(set(base.definitions) & set(head.definitions)):
        before, after = base.definitions[name], head.definitions[name]
        fields = [_field(key, before[key], after[key]) for key in DEFINITION_FIELDS if before[key] != after[key]]
        fields += _mapping_fields("params", before["params"], after["params"])
        fields += _mapping_fields("labels", before["labels"], after["labels"])
        for key, routing_before, routing_after in (
            ("receivers", base_routing.receivers, head_routing.receivers),
            ("inhibited_by", base_routing.muted_by, head_routing.muted_by),
        ):
            if routing_before.get(name, []) != routing_after.get(name, []):
                fields.append(_field(key, routing_before.get(name, []), routing_after.get(name, [])))
        if fields:
            changed.append({"name": name, "source": after["source"], "changes": fields})
    return {"added": added, "removed": removed, "changed": changed}


def _field(name: str, before: Any, after: Any) -> dict:
    return {"field": name, "before": before, "after": after}


def _mapping_fields(prefix: str, before: dict, after: dict) -> list[dict]:
    """One change per key of a mapping (absent: null)."""
    return [
        _field(f"{prefix}.{key}", before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


def _inhibit_rule_changes(base: _Routing, head: _Routing) -> dict:
    return {
        "added": [rule for rule in head.rules if rule not in base.rules],
        "removed": [rule for rule in base.rules if rule not in head.rules],
    }


# --- runbooks ----------------------------------------------------------------------------------------------


def _runbook_changes(base: dict[str, dict[str, str]], head: dict[str, dict[str, str]]) -> list[dict]:
    """Per alert whose rendered runbook differs: each section added, removed or changed, with both texts."""
    changes = []
    for name in sorted(set(base) | set(head)):
        before, after = base.get(name), head.get(name)
        if before == after:
            continue
        status = "added" if before is None else "removed" if after is None else "changed"
        before, after = before or {}, after or {}
        sections = []
        for title in list(before) + [title for title in after if title not in before]:
            old, new = before.get(title), after.get(title)
            if old != new:
                kind = "added" if old is None else "removed" if new is None else "changed"
                sections.append({"title": title, "status": kind, "before": old, "after": new})
        changes.append({"alert": name, "status": status, "sections": sections})
    return changes


# --- detection and paging ----------------------------------------------------------------------------------


def _seconds(ms: int | None) -> float | int | None:
    if ms is None:
        return None
    return ms / 1000 if ms % 1000 else ms // 1000


def _delta(before: int | None, after: int | None) -> float | int | None:
    return None if before is None or after is None else _seconds(after - before)


def _scenario_delta(
    path: str, before: ScenarioResult | None, after: ScenarioResult | None, base: SideInput, head: SideInput
) -> dict:
    present = after or before
    assert present is not None
    status = "added" if before is None else "removed" if after is None else "compared"
    document: dict[str, Any] = {
        "path": path,
        "name": present.scenario.name,
        "status": status,
        "scenario_changed": status == "compared" and base.scenario_texts[path] != head.scenario_texts[path],
        "passed": {"before": _maybe(before, lambda r: r.passed), "after": _maybe(after, lambda r: r.passed)},
        "detections": _detections(before, after),
        "incidents": _incident_paging(before, after),
        "false_positives": _pair(before, after, lambda r: len(r.false_positives)),
        "false_positives_per_week": _pair(before, after, lambda r: round(r.false_positives_per_week, 3)),
        "false_pages": _pair(before, after, lambda r: _false_pages(r)),
        "false_pages_per_week": _pair(before, after, lambda r: _per_week(r, _false_pages(r))),
        "notifications": _pair(before, after, lambda r: len(r.paging.notifications) if r.paging else None),
        "pages": _pair(before, after, lambda r: _page_count(r)),
    }
    document["regressions"] = _regressions(document) if status == "compared" else []
    return document


def _maybe(result: ScenarioResult | None, get):
    return None if result is None else get(result)


def _pair(before: ScenarioResult | None, after: ScenarioResult | None, get) -> dict:
    return {"before": _maybe(before, get), "after": _maybe(after, get)}


def _page_count(result: ScenarioResult) -> int | None:
    if result.paging is None:
        return None
    return sum(n.kind == "page" for n in result.paging.notifications)


def _false_pages(result: ScenarioResult) -> int | None:
    """Pages sent outside every incident's judging window."""
    if result.paging is None:
        return None
    incidents = result.scenario.incidents
    return sum(
        n.kind == "page" and not any(i.start_ms <= n.at_ms <= i.window_end_ms for i in incidents)
        for n in result.paging.notifications
    )


def _per_week(result: ScenarioResult, count: int | None) -> float | None:
    if count is None:
        return None
    weeks = result.scenario.duration_ms / (7 * 24 * 3600 * 1000)
    return round(count / weeks, 3)


def _detections(before: ScenarioResult | None, after: ScenarioResult | None) -> list[dict]:
    """Per (incident, expected alert) of either side: time to detect before and after."""
    keyed: dict[tuple[str, str], dict] = {}
    for side, result in (("before", before), ("after", after)):
        for detection in result.detections if result else []:
            entry = keyed.setdefault(
                (detection.incident, detection.alertname),
                {"incident": detection.incident, "alert": detection.alertname, "before": None, "after": None},
            )
            entry[side] = {
                "time_to_detect_s": _seconds(detection.time_to_detect_ms),
                "budget_s": _seconds(detection.budget_ms),
                "passed": detection.passed,
            }
    rows = []
    for entry in keyed.values():
        old = (entry["before"] or {}).get("time_to_detect_s")
        new = (entry["after"] or {}).get("time_to_detect_s")
        entry["delta_s"] = None if old is None or new is None else new - old
        rows.append(entry)
    return rows


def _incident_paging(before: ScenarioResult | None, after: ScenarioResult | None) -> list[dict]:
    keyed: dict[str, dict] = {}
    for side, result in (("before", before), ("after", after)):
        if result is None or result.paging is None:
            continue
        for incident in result.paging.incidents:
            entry = keyed.setdefault(incident.incident, {"incident": incident.incident, "before": None, "after": None})
            entry[side] = {
                "time_to_page_s": _seconds(incident.time_to_page_ms),
                "pages": len(incident.pages),
                "receivers": sorted({n.receiver for n in incident.pages}),
                "paged_alerts": sorted({dict(a).get("alertname", "") for n in incident.pages for a in n.firing}),
                "inhibited": sorted({i.alertname for i in incident.inhibited}),
            }
    rows = []
    for entry in keyed.values():
        old = (entry["before"] or {}).get("time_to_page_s")
        new = (entry["after"] or {}).get("time_to_page_s")
        entry["delta_s"] = None if old is None or new is None else new - old
        rows.append(entry)
    return rows


def _regressions(scenario: dict) -> list[dict]:
    found = []
    for row in scenario["detections"]:
        old, new = row["before"], row["after"]
        if old is None or new is None or old["time_to_detect_s"] is None:
            continue
        where = f"{row['incident']}: {row['alert']}"
        if new["time_to_detect_s"] is None:
            found.append(_regression("missed incident", where, "detected before, never fires now"))
        elif row["delta_s"] > 0:
            found.append(_regression("slower detection", where, f"+{row['delta_s']}s"))
    for row in scenario["incidents"]:
        old, new = row["before"], row["after"]
        if old is None or new is None or old["time_to_page_s"] is None:
            continue
        where = row["incident"]
        if new["time_to_page_s"] is None:
            found.append(_regression("no page", where, "paged before, never pages now"))
            continue
        if row["delta_s"] > 0:
            found.append(_regression("slower page", where, f"+{row['delta_s']}s"))
        if new["receivers"] != old["receivers"]:
            detail = f"{', '.join(old['receivers'])} -> {', '.join(new['receivers'])}"
            found.append(_regression("different receiver", where, detail))
    for key, what in (("false_pages", "new false page"), ("false_positives", "new false positive")):
        pair = scenario[key]
        if pair["before"] is not None and pair["after"] is not None and pair["after"] > pair["before"]:
            found.append(_regression(what, scenario["name"], f"{pair['before']} -> {pair['after']}"))
    if scenario["passed"]["before"] and not scenario["passed"]["after"]:
        found.append(_regression("failing scenario", scenario["name"], "its expectations held before"))
    return found


def _regression(kind: str, where: str, detail: str) -> dict:
    return {"kind": kind, "where": where, "detail": detail}
