"""The internal model: validated alerts and the rules generated from them.

Distinct from the public spec (compiler.spec): durations are milliseconds, every alert knows where it was
defined, and rules are what Prometheus loads (simulator.rules.model mirrors the same shapes on the reading side).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common.problems import SourcePosition


@dataclass(frozen=True)
class Alert:
    """One validated alert definition."""

    name: str
    kind: str
    team: str
    severity: str
    summary: str
    description: str
    for_ms: int
    keep_firing_for_ms: int | None
    labels: dict[str, str]
    annotations: dict[str, str]
    source_file: str  # the definition file as the user named it
    source_stem: str  # its name without suffix: the output file and group prefix
    position: SourcePosition  # where the alert's mapping starts


@dataclass(frozen=True)
class RecordingRule:
    """A `record:` rule; `expr` is PromQL text that promql-parser accepted."""

    record: str
    expr: str


@dataclass(frozen=True)
class KindRules:
    """What a kind generates for one alert.

    recording_rules: evaluated before the alert, in this order, in the same group;
    alert_expr: the alerting expression (fires for every series it returns);
    facts: the numbers a runbook quotes (threshold, window, ...), as text, for the runbook template.
    """

    recording_rules: list[RecordingRule]
    alert_expr: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CompiledAlert:
    """An alert with its generated rules and final labels/annotations."""

    alert: Alert
    rules: KindRules
    labels: dict[str, str]
    annotations: dict[str, str]
    params: dict[str, Any]
