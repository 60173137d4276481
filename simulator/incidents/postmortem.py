"""A postmortem skeleton in markdown for one incident, with the sections of the seeds' template: summary,
impact, detection, timeline, root cause, contributing factors, what went well, what went wrong, action items.

What the simulation knows is filled in (times, alerts, pages, ranked causes with evidence); what only people
know is left as an italic prompt to replace.
"""

from __future__ import annotations

from .causes import change_sentence
from .model import IncidentReport, ScenarioIncidents
from .render import alert_title, at, end_words, span


def postmortem_markdown(report: ScenarioIncidents, incident: IncidentReport) -> str:
    sections = [
        _title(report, incident),
        _summary(incident),
        _impact(report, incident),
        _detection(incident),
        _timeline(report, incident),
        _root_cause(incident),
        _contributing(incident),
        _went_well(incident),
        _went_wrong(incident),
        _action_items(incident),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def _title(report: ScenarioIncidents, incident: IncidentReport) -> list[str]:
    source = {"drill": "a fire drill (pages from the real Alertmanager)", "model": "a simulation"}.get(
        report.paging_source, "a simulation (no paging configuration)"
    )
    return [
        f"# Postmortem: {incident.root} (incident {incident.number} of {report.scenario})",
        "",
        f"_Skeleton written by `alertkit postmortem` from {source} of {report.source}. Times are from the "
        "scenario start. Italic lines are prompts: replace them._",
    ]


def _top(incident: IncidentReport):
    return incident.causes[0] if incident.causes and incident.causes[0].score > 0 else None


def _summary(incident: IncidentReport) -> list[str]:
    top = _top(incident)
    cause = f"the probable cause is {top.title} at {at(top.at_ms)}" if top else "no change event explains it"
    text = (
        f"From {at(incident.start_ms)} to {end_words(incident)}, {len(incident.alertnames)} alert(s) fired, "
        f"{incident.root} first as the root; {cause}."
    )
    if incident.change is not None:
        text += f" {change_sentence(incident.change)}."
    return ["## Summary", "", text]


def _impact(report: ScenarioIncidents, incident: IncidentReport) -> list[str]:
    if incident.end_ms is not None:
        length = f"{span(incident.end_ms - incident.start_ms)} (from {at(incident.start_ms)} to {at(incident.end_ms)})"
    else:
        length = (
            f"at least {span(report.duration_ms - incident.start_ms)} (from {at(incident.start_ms)}; still firing "
            "at the scenario's end)"
        )
    lines = ["## Impact", "", f"- Duration: {length}"]
    lines += [
        f"- {alert_title(f)} ({f.severity or 'no severity'}) firing from {at(f.firing_at_ms)}" for f in incident.firings
    ]
    lines.append("- _Who was affected, how many requests or users, which SLO budget was spent._")
    return lines


def _detection(incident: IncidentReport) -> list[str]:
    page = incident.first_page
    lines = [
        "## Detection",
        "",
        f"- Time to detect: {span(incident.time_to_detect_ms)} (start {at(incident.start_ms)}, first alert firing "
        f"{at(incident.detected_ms)})",
        (
            f"- Time to page: {span(incident.time_to_page_ms)} ({page.receiver} at {at(page.at_ms)}, from the "
            f"{'drill' if page.source == 'drill' else 'Alertmanager model'})"
            if page is not None
            else f"- Time to page: {'not drilled (outside the drill window)' if not incident.paging_covered else 'no page reached a pager receiver'}"
        ),
    ]
    for budget in incident.budgets:
        verdict = "within" if budget.passed else "outside"
        detected = span(budget.time_to_detect_ms) if budget.time_to_detect_ms is not None else "never"
        lines.append(f"- {budget.alertname}: detected in {detected}, {verdict} its budget of {span(budget.budget_ms)}")
    return lines


def _timeline(report: ScenarioIncidents, incident: IncidentReport) -> list[str]:
    rows: list[tuple[int, int, str]] = []  # (time, order among equal times, what)
    for cause in incident.causes:
        rows.append((cause.at_ms, 0, f"{cause.title}{': ' + cause.description if cause.description else ''}"))
    if incident.change is not None:
        rows.append((incident.change.onset_ms, 1, f"onset: {change_sentence(incident.change)}"))
    for firing in incident.firings:
        rows.append((firing.pending_at_ms, 2, f"{alert_title(firing)} pending"))
        rows.append((firing.firing_at_ms, 3, f"{alert_title(firing)} firing"))
        if firing.resolved_at_ms is not None:
            rows.append((firing.resolved_at_ms, 5, f"{alert_title(firing)} resolved"))
    for page in incident.pages:
        kind = "page" if page.pager else "notification"
        rows.append((page.at_ms, 4, f"{kind} to {page.receiver} ({page.source}): {', '.join(page.alertnames)}"))
    lines = ["## Timeline", "", "| time | what |", "|---|---|"]
    lines += [f"| {at(t)} | {what} |" for t, _order, what in sorted(rows)]
    return lines


def _root_cause(incident: IncidentReport) -> list[str]:
    lines = ["## Root cause", "", f"Root alert: {incident.root} ({incident.root_reason})."]
    top = _top(incident)
    if top is None:
        lines += ["", "No declared change event near the start explains it.", "", "_What broke, and why._"]
        return lines
    lines += ["", f"Probable cause: **{top.title}** (score {top.score:.3f}):"]
    lines += [f"- {sentence}" for sentence in top.evidence]
    lines += ["", "_Confirm or correct: what in this change broke, and why._"]
    return lines


def _contributing(incident: IncidentReport) -> list[str]:
    lines = ["## Contributing factors", ""]
    for rank, cause in enumerate(incident.causes[1:], start=2):
        lines.append(
            f"- Also near the start: {cause.title} at {at(cause.at_ms)} (rank {rank}, score {cause.score:.3f})"
        )
    symptoms = [name for name in incident.alertnames if name != incident.root]
    if symptoms:
        lines.append(f"- Symptoms that followed the root: {', '.join(symptoms)}")
    lines.append("- _Conditions that made it worse or longer (load, missing safeguards, a slow rollback)._")
    return lines


def _went_well(incident: IncidentReport) -> list[str]:
    lines = ["## What went well", ""]
    lines += [
        f"- {b.alertname} detected it in {span(b.time_to_detect_ms)}, within its budget of {span(b.budget_ms)}"
        for b in incident.budgets
        if b.passed
    ]
    if incident.inhibited:
        lines.append(f"- Inhibition (symptom_of) muted {', '.join(incident.inhibited)}: no separate page for symptoms")
    if incident.first_page is not None:
        lines.append(f"- A pager was notified {span(incident.time_to_page_ms)} after the start")
    lines.append("- _What else worked: tooling, runbooks, communication._")
    return lines


def _went_wrong(incident: IncidentReport) -> list[str]:
    lines = ["## What went wrong", ""]
    for budget in incident.budgets:
        if not budget.passed:
            took = f"took {span(budget.time_to_detect_ms)}" if budget.time_to_detect_ms is not None else "never fired"
            lines.append(f"- {budget.alertname} {took}, over its budget of {span(budget.budget_ms)}")
    if incident.first_page is None and incident.paging_covered:
        lines.append("- No pager receiver was notified")
    symptom_pages = [p for p in incident.pages if p.pager and incident.root not in p.alertnames]
    if symptom_pages:
        lines.append(
            f"- {len(symptom_pages)} page(s) for symptoms without the root: "
            + ", ".join(f"{', '.join(p.alertnames)} at {at(p.at_ms)}" for p in symptom_pages)
        )
    lines.append("- _What was slow, confusing or missing._")
    return lines


def _action_items(incident: IncidentReport) -> list[str]:
    items = []
    top = _top(incident)
    if top is not None:
        items.append(f"Guard changes like {top.title}: canary on {incident.root}'s signal, automatic rollback")
    for budget in incident.budgets:
        if not budget.passed:
            items.append(f"Make {budget.alertname} detect within {span(budget.budget_ms)}")
    if incident.first_page is None and incident.paging_covered:
        items.append(f"Route {incident.root} to a pager receiver, or document why it need not page")
    items.append("_Further actions from the review_")
    lines = ["## Action items", "", "| action | owner | priority | ticket |", "|---|---|---|---|"]
    lines += [f"| {item} | _owner_ | _P?_ | _link_ |" for item in items]
    return lines
