"""Time to page: the simulator's alert timelines through Prometheus's sender and Alertmanager's dispatcher.

`page_scenario` is the whole model for one simulated scenario: what Prometheus posts (sender.py), what
Alertmanager sends (dispatch.py), and, per incident, the pages, their time to page, the repeats and the
inhibited alerts. A page is the first notification of a group to a pager receiver with something firing
(dispatch.Notification.kind == "page"); updates and repeats while it keeps firing are counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.alertmanager.config import AlertmanagerConfig
from simulator.rules.model import AlertTimeline

from .dispatch import DispatchResult, Notification, dispatch
from .notify import Inhibition
from .sender import RESEND_DELAY_MS, Labels, Post, prometheus_posts

WEEK_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class IncidentWindow:
    """What the paging summary needs of an incident: its name and judging window."""

    name: str
    start_ms: int
    window_end_ms: int


@dataclass(frozen=True)
class InhibitedAlert:
    """An alert muted in an incident's window, the first time, and the alert that muted it."""

    alertname: str
    labels: Labels
    first_at_ms: int
    source_alertname: str


@dataclass(frozen=True)
class IncidentPaging:
    incident: str
    start_ms: int
    pages: tuple[Notification, ...]
    follow_ups: tuple[Notification, ...]  # updates and repeats to pager receivers while firing
    other_notifications: int  # notify/resolved notifications in the window (tickets, chat, resolved messages)
    inhibited: tuple[InhibitedAlert, ...]

    @property
    def time_to_page_ms(self) -> int | None:
        return self.pages[0].at_ms - self.start_ms if self.pages else None

    @property
    def time_to_page_window_ms(self) -> tuple[int, int] | None:
        if not self.pages:
            return None
        return self.pages[0].earliest_ms - self.start_ms, self.pages[0].latest_ms - self.start_ms


@dataclass
class PagingResult:
    posts: list[Post]
    notifications: list[Notification]
    inhibitions: list[Inhibition]
    incidents: list[IncidentPaging]
    duration_ms: int

    @property
    def weeks(self) -> float:
        return self.duration_ms / WEEK_MS

    @property
    def notifications_per_week(self) -> float:
        return len(self.notifications) / self.weeks

    @property
    def pages_per_week(self) -> float:
        return sum(n.kind == "page" for n in self.notifications) / self.weeks


def page_timelines(
    config: AlertmanagerConfig,
    timelines: list[AlertTimeline],
    evaluation_interval_ms: int,
    duration_ms: int,
    resend_delay_ms: int = RESEND_DELAY_MS,
) -> tuple[list[Post], DispatchResult]:
    """Every POST and every notification for a scenario's timelines, up to its end."""
    posts = prometheus_posts(timelines, evaluation_interval_ms, duration_ms, resend_delay_ms)
    return posts, dispatch(config, posts, duration_ms)


def page_scenario(
    config: AlertmanagerConfig,
    timelines: list[AlertTimeline],
    incidents: list[IncidentWindow],
    evaluation_interval_ms: int,
    duration_ms: int,
) -> PagingResult:
    posts, result = page_timelines(config, timelines, evaluation_interval_ms, duration_ms)
    summaries = [_incident_paging(incident, result) for incident in incidents]
    return PagingResult(posts, result.notifications, result.inhibitions, summaries, duration_ms)


def _incident_paging(incident: IncidentWindow, result: DispatchResult) -> IncidentPaging:
    def inside(t_ms: int) -> bool:
        return incident.start_ms <= t_ms <= incident.window_end_ms

    in_window = [n for n in result.notifications if inside(n.at_ms)]
    inhibited: dict[Labels, InhibitedAlert] = {}
    for inhibition in result.inhibitions:
        if inside(inhibition.at_ms) and inhibition.target not in inhibited:
            target = dict(inhibition.target)
            inhibited[inhibition.target] = InhibitedAlert(
                target.get("alertname", ""),
                inhibition.target,
                inhibition.at_ms,
                dict(inhibition.source).get("alertname", ""),
            )
    return IncidentPaging(
        incident.name,
        incident.start_ms,
        tuple(n for n in in_window if n.kind == "page"),
        tuple(n for n in in_window if n.kind in ("update", "repeat") and n.pager),
        sum(n.kind in ("notify", "resolved") for n in in_window),
        tuple(sorted(inhibited.values(), key=lambda i: (i.first_at_ms, i.labels))),
    )
