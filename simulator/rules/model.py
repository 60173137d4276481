"""Rule files as Prometheus loads them, and what evaluating them produces.

Mirrors rules/alerting.go and rules/recording.go: the state machine works on these, never on
compiler internals (the simulator reads the same rule files Prometheus loads).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RecordingRule:
    record: str
    expr: str
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class AlertingRule:
    alert: str
    expr: str
    for_ms: int = 0  # hold duration: pending until active for at least this long
    keep_firing_for_ms: int = 0  # keep firing this long after the condition clears
    labels: dict[str, str] = field(default_factory=dict)  # Go templates
    annotations: dict[str, str] = field(default_factory=dict)  # Go templates


@dataclass
class RuleGroup:
    name: str
    file: str
    rules: list[RecordingRule | AlertingRule]
    interval_ms: int | None = None


@dataclass
class AlertInterval:
    """One activation of an alert instance, times in ms on the evaluation grid.

    pending_at: the ActiveAt of Prometheus (first evaluation where the expression returned it);
    firing_at: first evaluation where it was Firing (None if it never fired);
    resolved_at: first evaluation where it was no longer active (None if still active at the end).
    """

    pending_at_ms: int
    firing_at_ms: int | None
    resolved_at_ms: int | None


@dataclass
class AlertTimeline:
    """Every activation of one alert instance (one final label set, alertname included)."""

    alertname: str
    labels: dict[str, str]
    intervals: list[AlertInterval]
