"""The incident report as plain data: frozen dataclasses of strings and numbers, easy to render anywhere
(text, JSON, HTML). Times are milliseconds from the scenario start, as everywhere in the simulator."""

from __future__ import annotations

from dataclasses import dataclass, field

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Firing:
    """One activation of one alert instance that reached firing."""

    alertname: str
    labels: Labels  # the alert's labels, alertname included, sorted
    severity: str  # its `severity` label ("" when it has none)
    pending_at_ms: int
    firing_at_ms: int
    resolved_at_ms: int | None  # None: still firing at the scenario's end


@dataclass(frozen=True)
class Page:
    """A notification about an incident's alerts, from the Alertmanager model or from a drill's recording."""

    at_ms: int
    receiver: str
    alertnames: tuple[str, ...]  # the firing alerts it carried, sorted
    pager: bool  # the receiver pages someone
    source: str  # "model" or "drill"


@dataclass(frozen=True)
class SeriesChange:
    """How the root alert's main series moved: its level before, its extreme after the onset."""

    expr: str
    labels: Labels
    before: float
    after: float
    onset_ms: int  # the first evaluation of the departure that lasted until the alert went pending

    @property
    def relative_change(self) -> float | None:
        return None if self.before == 0 else (self.after - self.before) / abs(self.before)


@dataclass(frozen=True)
class Cause:
    """A change event ranked as a probable cause: score = prior × proximity × support (see causes.py)."""

    event_type: str
    title: str  # e.g. "deploy v2.3.1"
    at_ms: int
    description: str
    score: float
    prior: float
    proximity: float
    support: float
    agreeing: tuple[str, ...]  # alertnames that support it
    evidence: tuple[str, ...]  # sentences with numbers


@dataclass(frozen=True)
class DeclaredIncident:
    """The scenario's own incident overlapping this one (the truth a simulation knows)."""

    name: str
    start_ms: int


@dataclass(frozen=True)
class BudgetCheck:
    """A detection budget of the declared incident (`expect:`), as the simulation judged it."""

    alertname: str
    budget_ms: int
    time_to_detect_ms: int | None  # from the declared start; None: it never fired in the window

    @property
    def passed(self) -> bool:
        return self.time_to_detect_ms is not None and self.time_to_detect_ms <= self.budget_ms


@dataclass(frozen=True)
class IncidentReport:
    """One incident: its alerts, root, start, detection, paging and ranked causes."""

    number: int  # 1-based, in time order
    start_ms: int  # the onset: when the root's series departed from its baseline (else the first pending)
    end_ms: int | None  # when its last alert resolved; None: still firing at the scenario's end
    detected_ms: int  # its first alert firing
    root: str
    root_reason: str
    firings: tuple[Firing, ...]
    change: SeriesChange | None
    causes: tuple[Cause, ...]
    pages: tuple[Page, ...]
    inhibited: tuple[str, ...]  # alertnames muted by inhibition during the incident (model paging only)
    declared: DeclaredIncident | None
    budgets: tuple[BudgetCheck, ...] = ()
    paging_covered: bool = True  # False: a drill's window does not hold the incident's start

    @property
    def alertnames(self) -> tuple[str, ...]:
        """The incident's alerts, in the order they first fired."""
        seen: dict[str, None] = {}
        for firing in sorted(self.firings, key=lambda f: f.firing_at_ms):
            seen.setdefault(firing.alertname, None)
        return tuple(seen)

    @property
    def time_to_detect_ms(self) -> int:
        return self.detected_ms - self.start_ms

    @property
    def first_page(self) -> Page | None:
        return next((p for p in self.pages if p.pager), None)

    @property
    def time_to_page_ms(self) -> int | None:
        page = self.first_page
        return None if page is None else page.at_ms - self.start_ms


@dataclass(frozen=True)
class ScenarioIncidents:
    """Every incident of one scenario, with the settings that produced them."""

    scenario: str
    source: str
    duration_ms: int
    evaluation_interval_ms: int
    gap_ms: int
    paging_source: str  # "model", "drill" or "none"
    incidents: tuple[IncidentReport, ...]
    events: tuple[tuple[str, int], ...] = field(default=())  # every declared event: (title, at_ms)
