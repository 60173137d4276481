"""The internal model: validated alerts and the rules generated from them.

Distinct from the public spec (compiler.spec): durations are milliseconds, every alert knows where it was
defined, and rules are what Prometheus loads (simulator.rules.model mirrors the same shapes on the reading side).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common.problems import SourcePosition
from compiler.naming import group_name
from compiler.reads import SelectorRead


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
    symptom_of: tuple[str, ...] = ()  # alerts whose firing mutes this one (compiled into inhibit rules)
    layer: str | None = None  # data | model | system | business: the definition's, else the kind's default

    @property
    def group(self) -> str:
        """The rule group evaluating this alert and every recording rule it reads."""
        return group_name(self.source_stem, self.kind)


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
    # Selectors of the definition's hand-written PromQL, each with where it stands in the definition file.
    handwritten_reads: tuple[tuple[SelectorRead, SourcePosition], ...] = ()
