"""What Prometheus 2.42 posts to Alertmanager for the simulator's alert timelines.

rules/alerting.go sendAlerts + needsSending, rules/manager.go SendAlerts, rules/alerting.go Eval:
- a pending alert is never sent; a firing alert is sent at the evaluation where it fires, then at every
  evaluation with `LastSentAt + resend_delay < ts` (strict: with a 1m interval and 1m delay, every 2 minutes);
- the wire alert has StartsAt = FiredAt and EndsAt = ValidUntil = ts + 4·max(resend_delay, interval) while
  firing, EndsAt = ResolvedAt once resolved;
- a resolved alert is sent at the evaluation where it resolved (ResolvedAt is after LastSentAt), then re-sent
  on the same resend rule until it is deleted, at the first evaluation with ts − ResolvedAt > resolvedRetention;
  it is deleted at once when the same label set is returned again (Eval replaces an inactive alert).
Times are ms on the scenario's evaluation grid (evaluations at 0, I, 2I, ..., as promtool evaluates).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.rules.model import AlertInterval, AlertTimeline

# cmd/prometheus/main.go --rules.alert.resend-delay default.
RESEND_DELAY_MS = 60_000
# rules/alerting.go resolvedRetention: how long a resolved alert stays in the rule's active map and is re-sent.
RESOLVED_RETENTION_MS = 15 * 60_000
# rules/alerting.go sendAlerts: ValidUntil = ts + 4·max(resend delay, interval) ("two Eval or send failures").
VALID_UNTIL_FACTOR = 4

Labels = tuple[tuple[str, str], ...]  # sorted label pairs: hashable, the alert's fingerprint


@dataclass(frozen=True)
class PostedAlert:
    """One alert as Prometheus posts it to /api/v2/alerts (notifier.Alert)."""

    labels: Labels
    starts_at_ms: int
    ends_at_ms: int

    @property
    def alertname(self) -> str:
        return dict(self.labels).get("alertname", "")


@dataclass(frozen=True)
class Post:
    """Every alert sent after the evaluations at one timestamp (one notifier batch)."""

    at_ms: int
    alerts: tuple[PostedAlert, ...]


def label_tuple(labels: dict[str, str]) -> Labels:
    return tuple(sorted(labels.items()))


def valid_for_ms(evaluation_interval_ms: int, resend_delay_ms: int = RESEND_DELAY_MS) -> int:
    """ValidUntil − ts of a firing alert."""
    return VALID_UNTIL_FACTOR * max(resend_delay_ms, evaluation_interval_ms)


def _next_send(last_sent_ms: int, interval_ms: int, resend_delay_ms: int) -> int:
    """The first evaluation ts (a multiple of the interval) with last_sent + resend_delay < ts."""
    return ((last_sent_ms + resend_delay_ms) // interval_ms + 1) * interval_ms


def interval_sends(
    interval: AlertInterval,
    next_pending_ms: int | None,
    interval_ms: int,
    end_ms: int,
    resend_delay_ms: int = RESEND_DELAY_MS,
) -> list[tuple[int, int, int]]:
    """The (ts, StartsAt, EndsAt) of every send of one activation, up to end_ms included.

    next_pending_ms: when the same label set becomes active again (its resolved alert is replaced then).
    """
    if interval.firing_at_ms is None:
        return []
    fired = interval.firing_at_ms
    resolved = interval.resolved_at_ms
    valid_for = valid_for_ms(interval_ms, resend_delay_ms)
    sends = []
    ts = fired
    while ts <= end_ms and (resolved is None or ts < resolved):
        sends.append((ts, fired, ts + valid_for))
        ts = _next_send(ts, interval_ms, resend_delay_ms)
    if resolved is None or resolved > end_ms:
        return sends
    # Resolved since the last send: sent at the resolving evaluation, then on the resend rule while retained.
    ts = resolved
    deleted_at = resolved + RESOLVED_RETENTION_MS  # deleted at the first ts with ts − ResolvedAt > retention
    while ts <= min(end_ms, deleted_at) and (next_pending_ms is None or ts < next_pending_ms):
        sends.append((ts, fired, resolved))
        ts = _next_send(ts, interval_ms, resend_delay_ms)
    return sends


def prometheus_posts(
    timelines: list[AlertTimeline],
    interval_ms: int,
    end_ms: int,
    resend_delay_ms: int = RESEND_DELAY_MS,
) -> list[Post]:
    """Every POST Prometheus makes for these timelines, in time order (alerts in label order within one)."""
    by_time: dict[int, list[PostedAlert]] = {}
    for timeline in timelines:
        labels = label_tuple({**timeline.labels, "alertname": timeline.alertname})
        intervals = sorted(timeline.intervals, key=lambda i: i.pending_at_ms)
        for index, interval in enumerate(intervals):
            following = intervals[index + 1].pending_at_ms if index + 1 < len(intervals) else None
            for ts, starts, ends in interval_sends(interval, following, interval_ms, end_ms, resend_delay_ms):
                by_time.setdefault(ts, []).append(PostedAlert(labels, starts, ends))
    return [Post(ts, tuple(sorted(by_time[ts], key=lambda a: a.labels))) for ts in sorted(by_time)]
