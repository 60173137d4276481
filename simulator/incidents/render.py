"""The incident report rendered: markdown for people, versioned JSON for programs (docs/incidents.md)."""

from __future__ import annotations

import json
from typing import Any

from common.durations import format_duration

from .causes import change_sentence
from .model import Cause, Firing, IncidentReport, Page, ScenarioIncidents

JSON_SCHEMA_NAME = "alertkit-incidents"  # docs/schemas/incidents.schema.json
JSON_VERSION = 1


def at(ms: int | None) -> str:
    """A moment from the scenario start (`4d14h1m`, `0s`); `-` when unknown."""
    if ms is None:
        return "-"
    return format_duration(ms) if ms else "0s"


def span(ms: int | None) -> str:
    """A duration (`6m`, `0s`); `-` when unknown."""
    return at(ms)


# --- JSON ----------------------------------------------------------------------------------------------


def incidents_json(reports: list[ScenarioIncidents]) -> str:
    document = {"schema": JSON_SCHEMA_NAME, "version": JSON_VERSION, "scenarios": [scenario_dict(r) for r in reports]}
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def scenario_dict(report: ScenarioIncidents) -> dict[str, Any]:
    return {
        "scenario": report.scenario,
        "source": report.source,
        "duration_ms": report.duration_ms,
        "evaluation_interval_ms": report.evaluation_interval_ms,
        "gap_ms": report.gap_ms,
        "paging": report.paging_source,
        "events": [{"title": title, "at_ms": at_ms} for title, at_ms in report.events],
        "incidents": [incident_dict(i) for i in report.incidents],
    }


def incident_dict(incident: IncidentReport) -> dict[str, Any]:
    change = incident.change
    return {
        "number": incident.number,
        "start_ms": incident.start_ms,
        "end_ms": incident.end_ms,
        "detected_ms": incident.detected_ms,
        "time_to_detect_ms": incident.time_to_detect_ms,
        "time_to_page_ms": incident.time_to_page_ms,
        "paging_covered": incident.paging_covered,
        "root": incident.root,
        "root_reason": incident.root_reason,
        "alerts": [_firing_dict(f) for f in incident.firings],
        "change": None
        if change is None
        else {
            "expr": change.expr,
            "labels": dict(change.labels),
            "before": change.before,
            "after": change.after,
            "relative_change": change.relative_change,
            "onset_ms": change.onset_ms,
            "text": change_sentence(change),
        },
        "causes": [_cause_dict(rank, c) for rank, c in enumerate(incident.causes, start=1)],
        "pages": [_page_dict(p) for p in incident.pages],
        "inhibited": list(incident.inhibited),
        "declared": None
        if incident.declared is None
        else {"name": incident.declared.name, "start_ms": incident.declared.start_ms},
        "budgets": [
            {
                "alertname": b.alertname,
                "budget_ms": b.budget_ms,
                "time_to_detect_ms": b.time_to_detect_ms,
                "passed": b.passed,
            }
            for b in incident.budgets
        ],
    }


def _firing_dict(firing: Firing) -> dict[str, Any]:
    return {
        "alertname": firing.alertname,
        "labels": dict(firing.labels),
        "severity": firing.severity,
        "pending_at_ms": firing.pending_at_ms,
        "firing_at_ms": firing.firing_at_ms,
        "resolved_at_ms": firing.resolved_at_ms,
    }


def _cause_dict(rank: int, cause: Cause) -> dict[str, Any]:
    return {
        "rank": rank,
        "type": cause.event_type,
        "title": cause.title,
        "at_ms": cause.at_ms,
        "description": cause.description,
        "score": cause.score,
        "prior": cause.prior,
        "proximity": cause.proximity,
        "support": cause.support,
        "agreeing": list(cause.agreeing),
        "evidence": list(cause.evidence),
    }


def _page_dict(page: Page) -> dict[str, Any]:
    return {
        "at_ms": page.at_ms,
        "receiver": page.receiver,
        "alerts": list(page.alertnames),
        "pager": page.pager,
        "source": page.source,
    }


# --- markdown ------------------------------------------------------------------------------------------


def incidents_markdown(reports: list[ScenarioIncidents]) -> str:
    return "\n".join(_scenario_markdown(r) for r in reports)


def _scenario_markdown(report: ScenarioIncidents) -> str:
    paging = {"model": "the Alertmanager model", "drill": "the drill's real Alertmanager", "none": "none"}
    lines = [
        f"# Incidents of scenario {report.scenario} ({report.source})",
        "",
        f"{len(report.incidents)} incident(s); firings more than {span(report.gap_ms)} apart are separate "
        f"incidents; paging: {paging[report.paging_source]}. Times are from the scenario start.",
    ]
    for incident in report.incidents:
        lines += ["", *incident_markdown(incident)]
    return "\n".join(lines) + "\n"


def incident_markdown(incident: IncidentReport) -> list[str]:
    """One incident as markdown lines (a level-2 heading, facts, alerts, causes)."""
    lines = [f"## Incident {incident.number}: {incident.root}, {at(incident.start_ms)} to {end_words(incident)}", ""]
    lines += [f"- Root alert: {incident.root} ({incident.root_reason})"]
    start = f"- Start: {at(incident.start_ms)}"
    if incident.declared is not None:
        start += (
            f" (declared incident {incident.declared.name!r} starts at {at(incident.declared.start_ms)}, "
            f"{_signed(incident.start_ms - incident.declared.start_ms)} from it)"
        )
    lines.append(start)
    lines.append(f"- Detected: {at(incident.detected_ms)}, time to detect {span(incident.time_to_detect_ms)}")
    lines.append(f"- Paged: {_page_words(incident)}")
    if incident.change is not None:
        lines.append(f"- Change: {change_sentence(incident.change)}")
    lines += ["", "| alert | severity | pending | firing | resolved |", "|---|---|---|---|---|"]
    for firing in incident.firings:
        lines.append(
            f"| {alert_title(firing)} | {firing.severity or '-'} | {at(firing.pending_at_ms)} "
            f"| {at(firing.firing_at_ms)} | {at(firing.resolved_at_ms) if firing.resolved_at_ms is not None else 'still firing'} |"
        )
    lines += [
        "",
        "Probable causes:" if incident.causes else "Probable causes: no change event declared near the start.",
    ]
    for rank, cause in enumerate(incident.causes, start=1):
        lines.append(
            f"{rank}. **{cause.title}** at {at(cause.at_ms)}: score {cause.score:.3f} "
            f"(prior {cause.prior:.2f} × proximity {cause.proximity:.2f} × support {cause.support:.2f})"
        )
        lines += [f"   - {sentence}" for sentence in cause.evidence]
    return lines


def alert_title(firing: Firing) -> str:
    shown = [f"{k}={v}" for k, v in firing.labels if k not in ("alertname", "severity")]
    return f"{firing.alertname} {{{', '.join(shown)}}}" if shown else firing.alertname


def end_words(incident: IncidentReport) -> str:
    return at(incident.end_ms) if incident.end_ms is not None else "the scenario's end (still firing)"


def _signed(ms: int) -> str:
    return ("+" if ms >= 0 else "-") + span(abs(ms))


def _page_words(incident: IncidentReport) -> str:
    page = incident.first_page
    if not incident.paging_covered:
        return "not drilled (the drill's window does not hold the incident's start)"
    if page is None:
        return "no notification reached a pager receiver" if incident.pages else "no notification"
    return (
        f"{at(page.at_ms)} to {page.receiver} ({', '.join(page.alertnames)}), time to page "
        f"{span(incident.time_to_page_ms)} ({page.source})"
    )
