"""Incident summaries for the HTML report: the seam between a simulation and the report's summary section.

The report shows whatever a `SummaryProvider` returns for a scenario's finished simulation (result and
evaluation), as `IncidentSummary` data; the page renders every field it fills.

- `incident_report_summaries(links, gap)`: the incident analysis (simulator/incidents, docs/incidents.md):
  firing alerts clustered into incidents, the root alert from `symptom_of` links or the earliest to fire,
  causes ranked with their evidence, and a postmortem skeleton. The commands use it.
- `simulation_summaries`: one summary per declared incident from the simulation alone (the root is the
  earliest alert to fire in the incident's window; no causes).

Pure: plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.simulate import ScenarioResult

if TYPE_CHECKING:
    from simulator.incidents.model import Cause, IncidentReport
    from simulator.rules.group import RulesEvaluation


@dataclass(frozen=True)
class FiredAlert:
    """An alert that started firing inside an incident's window, the first time."""

    alertname: str
    firing_at_ms: int


@dataclass(frozen=True)
class CauseSummary:
    """A probable cause: a headline (what, when, its score) and its evidence, sentences with numbers."""

    headline: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class IncidentSummary:
    """What the report says of one incident. Times are ms from the scenario start; None: not known/never."""

    name: str
    start_ms: int
    end_ms: int | None  # the end of the incident's judging window
    root_alert: str | None
    root_reason: str  # why that alert is the root, in words
    fired: tuple[FiredAlert, ...]  # in firing order
    time_to_detect_ms: int | None  # first expected alert firing, from the start
    time_to_page_ms: int | None
    pages: tuple[str, ...]  # "Alert -> receiver", in order
    causes: tuple[CauseSummary, ...] = ()  # probable causes, best first
    postmortem_markdown: str | None = None  # a postmortem skeleton, shown as text


# Given a scenario's finished simulation (result, evaluation), the summaries of its incidents, in order.
SummaryProvider = Callable[[ScenarioResult, "RulesEvaluation"], list[IncidentSummary]]


def incident_report_summaries(links: set[tuple[str, str]], gap_ms: int) -> SummaryProvider:
    """The incident analysis as a provider: `links` are the (cause, symptom) pairs of `symptom_of`
    (incidents.root.causal_links), `gap_ms` the quiet time that separates two incidents."""
    from simulator.incidents.postmortem import postmortem_markdown
    from simulator.incidents.report import build_report

    def provide(result: ScenarioResult, evaluation: RulesEvaluation) -> list[IncidentSummary]:
        report = build_report(result.scenario, result, evaluation, links, gap_ms)
        return [_from_incident(incident, postmortem_markdown(report, incident)) for incident in report.incidents]

    return provide


def _from_incident(incident: IncidentReport, postmortem: str) -> IncidentSummary:
    first: dict[str, int] = {}
    for firing in sorted(incident.firings, key=lambda f: (f.firing_at_ms, f.alertname)):
        first.setdefault(firing.alertname, firing.firing_at_ms)
    declared = f" (declared: {incident.declared.name})" if incident.declared is not None else ""
    return IncidentSummary(
        name=f"incident {incident.number}{declared}",
        start_ms=incident.start_ms,
        end_ms=incident.end_ms,
        root_alert=incident.root,
        root_reason=incident.root_reason,
        fired=tuple(FiredAlert(name, at) for name, at in first.items()),
        time_to_detect_ms=incident.time_to_detect_ms,
        time_to_page_ms=incident.time_to_page_ms,
        pages=tuple(f"{', '.join(p.alertnames)} -> {p.receiver}" for p in incident.pages if p.pager),
        causes=tuple(_cause_words(cause) for cause in incident.causes),
        postmortem_markdown=postmortem,
    )


def _cause_words(cause: Cause) -> CauseSummary:
    return CauseSummary(f"{cause.title} (score {cause.score:.3f})", tuple(cause.evidence))


def simulation_summaries(result: ScenarioResult, evaluation: RulesEvaluation | None = None) -> list[IncidentSummary]:
    """One summary per declared incident, from the simulation alone (no events, so no causes)."""
    return [_summary(result, incident) for incident in result.scenario.incidents]


def _summary(result: ScenarioResult, incident) -> IncidentSummary:
    fired = _fired_in_window(result, incident.start_ms, incident.window_end_ms)
    detected = [d.time_to_detect_ms for d in result.detections if d.incident == incident.name]
    known = [t for t in detected if t is not None]
    paging = next((p for p in result.paging.incidents if p.incident == incident.name), None) if result.paging else None
    pages = tuple(f"{_alertnames(n.firing)} -> {n.receiver}" for n in paging.pages) if paging else ()
    root = fired[0].alertname if fired else None
    return IncidentSummary(
        name=incident.name,
        start_ms=incident.start_ms,
        end_ms=incident.window_end_ms,
        root_alert=root,
        root_reason="the earliest alert to fire in the incident's window" if root else "no alert fired",
        fired=fired,
        time_to_detect_ms=min(known) if known else None,
        time_to_page_ms=paging.time_to_page_ms if paging else None,
        pages=pages,
    )


def _fired_in_window(result: ScenarioResult, start_ms: int, end_ms: int) -> tuple[FiredAlert, ...]:
    first: dict[str, int] = {}
    for timeline in result.timelines:
        for interval in timeline.intervals:
            at = interval.firing_at_ms
            if at is not None and start_ms <= at <= end_ms:
                first[timeline.alertname] = min(at, first.get(timeline.alertname, at))
    return tuple(FiredAlert(name, at) for name, at in sorted(first.items(), key=lambda item: (item[1], item[0])))


def _alertnames(alerts: tuple) -> str:
    return ", ".join(dict(a).get("alertname", "?") for a in alerts) or "-"
