"""Alertmanager 0.25's dispatcher over the POSTs Prometheus makes: every notification it sends, and when.

Mirrors provider/mem (the alert store and types.Alert.Merge), dispatch/dispatch.go (Dispatcher.processAlert,
aggrGroup.insert/run/flush, doMaintenance) and the notify pipeline of notify.py, in simulated time:
- a POST is received at its evaluation time + delivery_ms; each alert is merged into the store, cached by the
  inhibitor, and inserted into one aggregation group per matched route;
- a new group flushes first at creation + group_wait, at once if an alert inserted before its first flush has
  StartsAt + group_wait < now; then every group_interval after each tick;
- an empty group is removed by the maintenance that runs every 30 s; the model removes it at the latest moment
  (emptied + 30 s) and marks a notification uncertain when a POST met a group that may or may not have been
  removed yet;
- POSTs received at the same moment as a tick are handled before it; when such a POST changes what the tick
  would see (a new alert, or one now resolved), the real order is up to the scheduler, and the group's
  notifications until the next tick are given as the window [tick, tick + group_interval].
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from simulator.alertmanager.config import AlertmanagerConfig, Route
from simulator.alertmanager.routing import group_key, match_routes

from .notify import (
    REASON_REPEAT,
    FlushAlert,
    Inhibition,
    Inhibitor,
    LogEntry,
    in_time_intervals,
    needs_update,
)
from .sender import Labels, Post, PostedAlert

# dispatch/dispatch.go Dispatcher.run: maintenance (removal of empty aggregation groups) every 30 s.
MAINTENANCE_INTERVAL_MS = 30_000
# Integrations whose receivers page someone (besides receivers named `<team>-pager`, compiler/naming.py).
PAGER_INTEGRATIONS = ("pagerduty_configs", "opsgenie_configs")
PAGER_SUFFIX = "-pager"
# notify/notify.go: send_resolved defaults per integration (config/notifiers.go Default*Config).
SEND_RESOLVED_DEFAULTS = {"email_configs": False, "slack_configs": False}


@dataclass
class StoredAlert:
    """types.Alert as the store holds it; UpdatedAt is the receipt time."""

    labels: Labels
    starts_at_ms: int
    ends_at_ms: int
    updated_at_ms: int

    def resolved_at(self, now_ms: int) -> bool:
        """types.Alert.ResolvedAt: EndsAt is set and not after now."""
        return self.ends_at_ms <= now_ms


def merge(old: StoredAlert, new: StoredAlert, now_ms: int) -> StoredAlert:
    """types.Alert.Merge (new is the younger): earliest StartsAt; the later explicit EndsAt while unresolved."""
    starts = min(old.starts_at_ms, new.starts_at_ms)
    ends = new.ends_at_ms
    if new.resolved_at(now_ms):
        if old.resolved_at(now_ms) and old.ends_at_ms > new.ends_at_ms:
            ends = old.ends_at_ms
    elif old.ends_at_ms > new.ends_at_ms:
        ends = old.ends_at_ms
    return StoredAlert(new.labels, starts, ends, new.updated_at_ms)


def put(store: dict[Labels, StoredAlert], posted: PostedAlert, now_ms: int) -> StoredAlert:
    """provider/mem Alerts.Put: merge into the stored alert when the activity intervals overlap, else replace."""
    alert = StoredAlert(posted.labels, posted.starts_at_ms, posted.ends_at_ms, now_ms)
    old = store.get(posted.labels)
    if old is not None and (
        old.starts_at_ms < alert.ends_at_ms < old.ends_at_ms or old.starts_at_ms < alert.starts_at_ms < old.ends_at_ms
    ):
        alert = merge(old, alert, now_ms)
    store[posted.labels] = alert
    return alert


@dataclass(frozen=True)
class Notification:
    """One notification sent by one integration of a receiver (or recorded only: see transmitted)."""

    at_ms: int
    receiver: str
    integration: str  # e.g. "webhook_configs[0]"
    group_key: str
    firing: tuple[Labels, ...]
    resolved: tuple[Labels, ...]
    reason: str  # notify.REASON_*
    kind: str  # "page", "notify", "update", "repeat" or "resolved"
    pager: bool  # the receiver pages someone (is_pager)
    earliest_ms: int  # == at_ms unless the time is uncertain (see dispatch's docstring)
    latest_ms: int

    @property
    def certain(self) -> bool:
        return self.earliest_ms == self.latest_ms


@dataclass
class AggrGroup:
    """dispatch.go aggrGroup: the alerts of one (route, group labels), its timer and whether it has flushed."""

    route: Route
    key: str
    alerts: dict[Labels, StoredAlert] = field(default_factory=dict)
    next_flush_ms: int = 0
    has_flushed: bool = False
    emptied_at_ms: int | None = None
    # A POST met it while its removal was undecided: its notifications lie in [uncertain_from, uncertain_until].
    uncertain_from_ms: int = 0
    uncertain_until_ms: int | None = None


@dataclass
class DispatchResult:
    notifications: list[Notification]
    inhibitions: list[Inhibition]


def is_pager(config: AlertmanagerConfig, receiver: str) -> bool:
    """A receiver that pages: a PagerDuty or Opsgenie integration, or the compiler's `<team>-pager` name."""
    found = config.receivers.get(receiver)
    integrations = found.integrations if found is not None else {}
    return receiver.endswith(PAGER_SUFFIX) or any(integrations.get(kind) for kind in PAGER_INTEGRATIONS)


def _integrations(config: AlertmanagerConfig, receiver: str) -> list[tuple[str, bool]]:
    """(name, send_resolved) of every integration of a receiver, in config order."""
    found = config.receivers.get(receiver)
    if found is None:
        return []
    named = []
    for kind in sorted(found.integrations):
        for index, settings in enumerate(found.integrations[kind]):
            default = SEND_RESOLVED_DEFAULTS.get(kind, True)
            send_resolved = (settings or {}).get("send_resolved", default)
            named.append((f"{kind}[{index}]", bool(send_resolved)))
    return named


class Dispatcher:
    """The dispatcher, inhibitor and notification log of one Alertmanager, stepped through simulated time."""

    def __init__(
        self, config: AlertmanagerConfig, delivery_ms: int = 0, maintenance_ms: int = MAINTENANCE_INTERVAL_MS
    ) -> None:
        self.config = config
        self.delivery_ms = delivery_ms
        self.maintenance_ms = maintenance_ms
        self.store: dict[Labels, StoredAlert] = {}
        self.inhibitor = Inhibitor(config.inhibit_rules)
        self.groups: dict[str, AggrGroup] = {}
        self.nflog: dict[tuple[str, str, str], LogEntry] = {}
        self.ticks: list[tuple[int, int, str]] = []  # (time, sequence, group key) heap
        self.sequence = 0
        self.notifications: list[Notification] = []
        self.inhibitions: list[Inhibition] = []

    def run(self, posts: list[Post], end_ms: int) -> DispatchResult:
        """Receive every POST and flush every group due up to end_ms (included)."""
        for post in posts:
            received = post.at_ms + self.delivery_ms
            self._flush_due(received, inclusive=False)
            if received > end_ms:
                break
            for alert in post.alerts:
                self._receive(alert, received)
        self._flush_due(end_ms, inclusive=True)
        return DispatchResult(self.notifications, self.inhibitions)

    # -- receiving ---------------------------------------------------------------------------------------------

    def _receive(self, posted: PostedAlert, now_ms: int) -> None:
        alert = put(self.store, posted, now_ms)
        self.inhibitor.received(alert.labels, alert.ends_at_ms)
        labels = dict(alert.labels)
        for route in match_routes(self.config.route, labels):
            self._process_alert(alert, route, group_key(route, labels), now_ms)

    def _process_alert(self, alert: StoredAlert, route: Route, key: str, now_ms: int) -> None:
        """Dispatcher.processAlert + aggrGroup.insert."""
        group = self.groups.get(key)
        if group is not None and group.emptied_at_ms is not None:
            if now_ms - group.emptied_at_ms >= self.maintenance_ms:
                del self.groups[key]  # removed by a maintenance run since it emptied
                group = None
            else:
                group.uncertain_from_ms = now_ms
                group.uncertain_until_ms = now_ms + max(route.group_wait_ms, route.group_interval_ms)
        if group is None:
            group = AggrGroup(route, key, next_flush_ms=now_ms + route.group_wait_ms)
            self.groups[key] = group
            self._schedule(group)
        previous = group.alerts.get(alert.labels)
        changed = previous is None or previous.resolved_at(now_ms) != alert.resolved_at(now_ms)
        if changed and group.next_flush_ms == now_ms:
            # A tie: the real server may run the tick before this POST, so the change is notified at this tick
            # or at the next one.
            group.uncertain_from_ms = now_ms
            group.uncertain_until_ms = now_ms + route.group_interval_ms
        group.alerts[alert.labels] = alert
        group.emptied_at_ms = None
        if not group.has_flushed and alert.starts_at_ms + route.group_wait_ms < now_ms:
            group.next_flush_ms = now_ms  # ag.next.Reset(0)
            self._schedule(group)

    def _schedule(self, group: AggrGroup) -> None:
        self.sequence += 1
        heapq.heappush(self.ticks, (group.next_flush_ms, self.sequence, group.key))

    # -- flushing ----------------------------------------------------------------------------------------------

    def _flush_due(self, until_ms: int, inclusive: bool) -> None:
        while self.ticks and (self.ticks[0][0] < until_ms or (inclusive and self.ticks[0][0] == until_ms)):
            at, _, key = heapq.heappop(self.ticks)
            group = self.groups.get(key)
            if group is None or group.next_flush_ms != at:
                continue  # a stale timer entry (reset, or the group was removed)
            if group.emptied_at_ms is not None and at - group.emptied_at_ms >= self.maintenance_ms:
                del self.groups[key]  # doMaintenance removed it
                continue
            group.has_flushed = True
            group.next_flush_ms = at + group.route.group_interval_ms
            self._schedule(group)
            self._flush(group, at)

    def _flush(self, group: AggrGroup, now_ms: int) -> None:
        """aggrGroup.flush: snapshot, run the pipeline, drop the resolved alerts after a successful notify."""
        if not group.alerts:
            return
        snapshot = [
            FlushAlert(a.labels, a.starts_at_ms, a.resolved_at(now_ms))
            for a in sorted(group.alerts.values(), key=lambda a: a.labels)
        ]
        self._pipeline(group, snapshot, now_ms)
        for alert in snapshot:
            if alert.resolved:
                del group.alerts[alert.labels]
        if not group.alerts:
            group.emptied_at_ms = now_ms

    def _pipeline(self, group: AggrGroup, snapshot: list[FlushAlert], now_ms: int) -> None:
        route = group.route
        kept = []
        for alert in snapshot:  # InhibitStage
            source = self.inhibitor.muted_by(alert.labels, now_ms)
            if source is None:
                kept.append(alert)
            elif not alert.resolved:
                self.inhibitions.append(Inhibition(now_ms, alert.labels, source))
        if not kept:
            return
        intervals = self.config.time_intervals
        if route.active_time_intervals and not in_time_intervals(route.active_time_intervals, intervals, now_ms):
            return  # TimeActiveStage
        if in_time_intervals(route.mute_time_intervals, intervals, now_ms):
            return  # TimeMuteStage
        for integration, send_resolved in _integrations(self.config, route.receiver):
            self._integration_stage(group, kept, integration, send_resolved, now_ms)

    def _integration_stage(
        self, group: AggrGroup, alerts: list[FlushAlert], integration: str, send_resolved: bool, now_ms: int
    ) -> None:
        """DedupStage → RetryStage → SetNotifiesStage for one integration."""
        route = group.route
        firing = frozenset(a.labels for a in alerts if not a.resolved)
        resolved = frozenset(a.labels for a in alerts if a.resolved)
        log_key = (group.key, route.receiver, integration)
        entry = self.nflog.get(log_key)
        reason = needs_update(entry, firing, resolved, send_resolved, route.repeat_interval_ms, now_ms)
        if reason is None:
            return
        self.nflog[log_key] = LogEntry(firing, resolved, now_ms)
        if not firing and not send_resolved:
            return  # logged, nothing transmitted (RetryStage with send_resolved off)
        shown_resolved = tuple(sorted(resolved)) if send_resolved else ()
        earliest = latest = now_ms
        if group.uncertain_until_ms is not None and now_ms <= group.uncertain_until_ms:
            earliest, latest = group.uncertain_from_ms, group.uncertain_until_ms
        self.notifications.append(
            Notification(
                now_ms,
                route.receiver,
                integration,
                group.key,
                tuple(sorted(firing)),
                shown_resolved,
                reason,
                self._kind(reason, entry, firing, route.receiver),
                is_pager(self.config, route.receiver),
                earliest,
                latest,
            )
        )

    def _kind(self, reason: str, entry: LogEntry | None, firing: frozenset, receiver: str) -> str:
        """page (or notify, off the pager): the group's last notification had nothing firing, as PagerDuty and
        Opsgenie open a new incident per group key only then; later ones while firing are updates or repeats."""
        if not firing:
            return "resolved"
        if reason == REASON_REPEAT:
            return "repeat"
        if entry is None or not entry.firing:
            return "page" if is_pager(self.config, receiver) else "notify"
        return "update"


def dispatch(config: AlertmanagerConfig, posts: list[Post], end_ms: int, delivery_ms: int = 0) -> DispatchResult:
    """Every notification Alertmanager sends for these POSTs, up to end_ms."""
    return Dispatcher(config, delivery_ms).run(posts, end_ms)
