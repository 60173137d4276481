"""The incident report of one finished simulation: clusters, roots, onsets, causes and pages, as plain data.

Paging comes from the Alertmanager model (simulate.add_paging) or, when given, from a drill's recorded
notifications (the real Alertmanager's), which then are the paging timeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.scenarios.model import Scenario

from .causes import rank_causes
from .cluster import cluster, firings_of
from .model import BudgetCheck, DeclaredIncident, Firing, IncidentReport, Page, ScenarioIncidents
from .onset import root_trace, series_change
from .root import root_alert

if TYPE_CHECKING:
    from simulator.alertmanager.timeline import PagingResult
    from simulator.rules.group import RulesEvaluation
    from simulator.simulate import ScenarioResult


@dataclass(frozen=True)
class DrillNotification:
    """A notification the real Alertmanager sent in a drill (scenario time), as `alertkit drill --record` saves it."""

    at_ms: int
    receiver: str
    group_key: str
    firing: tuple[str, ...]  # alertnames firing in it
    pager: bool


@dataclass(frozen=True)
class DrillRecord:
    """A drill's window [from_ms, end_ms] of the scenario and the notifications the real Alertmanager sent."""

    from_ms: int
    end_ms: int
    notifications: tuple[DrillNotification, ...]


def build_report(
    scenario: Scenario,
    result: ScenarioResult,
    evaluation: RulesEvaluation,
    links: set[tuple[str, str]],
    gap_ms: int,
    drill: DrillRecord | None = None,
) -> ScenarioIncidents:
    """Every incident of a simulated scenario; `result.paging` (when set) or `drill` gives the pages."""
    firings = firings_of(result.timelines, set(result.unobserved_alerts))
    clusters = cluster(firings, gap_ms, scenario.duration_ms)
    pages = _drill_pages(drill.notifications) if drill is not None else _model_pages(result.paging)
    paging_source = "drill" if drill is not None else ("model" if result.paging is not None else "none")
    incidents = tuple(
        _incident(number, members, scenario, evaluation, links, gap_ms, pages, result, drill)
        for number, members in enumerate(clusters, start=1)
    )
    return ScenarioIncidents(
        scenario.name,
        scenario.source,
        scenario.duration_ms,
        scenario.evaluation_interval_ms,
        gap_ms,
        paging_source,
        incidents,
        tuple((e.title, e.at_ms) for e in scenario.events),
    )


def _incident(
    number, firings: list[Firing], scenario, evaluation, links, gap_ms, pages, result, drill
) -> IncidentReport:
    paging = result.paging
    interval = scenario.evaluation_interval_ms
    root, reason = root_alert(firings, links)
    trace = root_trace(evaluation, root.alertname, root.labels, root.pending_at_ms, interval)
    change = series_change(trace, root.pending_at_ms) if trace is not None else None
    start = min([f.pending_at_ms for f in firings] + ([change.onset_ms] if change is not None else []))
    ends = [f.resolved_at_ms for f in firings]
    end = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
    names = {f.alertname for f in firings}
    declared = _declared(scenario, min(f.firing_at_ms for f in firings))
    until = (end if end is not None else scenario.duration_ms) + gap_ms
    return IncidentReport(
        number=number,
        start_ms=start,
        end_ms=end,
        detected_ms=min(f.firing_at_ms for f in firings),
        root=root.alertname,
        root_reason=reason,
        firings=tuple(firings),
        change=change,
        causes=tuple(rank_causes(scenario.events, start, firings, change, interval)),
        pages=tuple(p for p in pages if start <= p.at_ms <= until and names & set(p.alertnames)),
        inhibited=_inhibited(paging, names, start, until),
        declared=declared,
        paging_covered=drill is None or drill.from_ms <= start <= drill.end_ms,
        budgets=tuple(
            BudgetCheck(d.alertname, d.budget_ms, d.time_to_detect_ms)
            for d in result.detections
            if d.incident in _declared_within(scenario, start, until - gap_ms)
        ),
    )


def _model_pages(paging: PagingResult | None) -> list[Page]:
    """The model's first notifications of each group (pages, and notify for non-pager receivers)."""
    if paging is None:
        return []
    return [
        Page(n.at_ms, n.receiver, _alertnames(n.firing), n.kind == "page", "model")
        for n in paging.notifications
        if n.kind in ("page", "notify") and n.firing
    ]


def _drill_pages(drill: tuple[DrillNotification, ...]) -> list[Page]:
    """The first notification of each group in a drill, and the first after the group was all resolved."""
    pages, open_groups = [], set()
    for n in sorted(drill, key=lambda n: (n.at_ms, n.receiver, n.group_key)):
        if not n.firing:
            open_groups.discard(n.group_key)
            continue
        if n.group_key not in open_groups:
            open_groups.add(n.group_key)
            pages.append(Page(n.at_ms, n.receiver, tuple(sorted(set(n.firing))), n.pager, "drill"))
    return pages


def _alertnames(alerts: Iterable) -> tuple[str, ...]:
    return tuple(sorted({dict(labels).get("alertname", "") for labels in alerts}))


def _inhibited(paging: PagingResult | None, names: set[str], start: int, until: int) -> tuple[str, ...]:
    if paging is None:
        return ()
    muted = {
        dict(i.target).get("alertname", "")
        for i in paging.inhibitions
        if start <= i.at_ms <= until and dict(i.target).get("alertname") in names
    }
    return tuple(sorted(muted))


def _declared_within(scenario: Scenario, start_ms: int, end_ms: int) -> set[str]:
    """The scenario's incidents that start while this one lasts (from a step before its estimated start)."""
    early = start_ms - scenario.evaluation_interval_ms
    return {i.name for i in scenario.incidents if early <= i.start_ms <= end_ms}


def _declared(scenario: Scenario, detected_ms: int) -> DeclaredIncident | None:
    """The scenario's incident whose window holds the first firing (the latest to start, if several do)."""
    holding = [i for i in scenario.incidents if i.start_ms <= detected_ms <= i.window_end_ms]
    if not holding:
        return None
    chosen = max(holding, key=lambda i: i.start_ms)
    return DeclaredIncident(chosen.name, chosen.start_ms)
