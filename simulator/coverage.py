"""Alert coverage: which scenario proves each alert fires, which proves it stays silent, and the gate.

The gate (issue 8): every alert has a runbook, at least one scenario where it is expected to fire, and
at least one where it must stay silent — named in an incident's `silent:` list, or any alert in a quiet
scenario (one without incidents: nothing may fire in it). The gate reads declarations only; the matrix
adds what the simulation found (fired at +N, missed, silent, fired while it had to stay silent).

Pure: plain data in, plain data out; rendering to text, markdown and JSON at the end of the module.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from common.durations import format_duration
from common.layers import NO_LAYER, layer_order

from .scenarios.model import Scenario
from .simulate import ScenarioResult

JSON_SCHEMA_NAME = "alertkit-coverage"  # docs/schemas/coverage.schema.json
JSON_SCHEMA_VERSION = 1

FIRED = "fired"  # expected, detected within budget
MISSED = "missed"  # expected, not detected within budget
SILENT = "silent"  # must stay silent, stayed silent
LOUD = "fired while silent"  # must stay silent, fired
NOT_COVERED = "not covered"


def is_quiet(scenario: Scenario) -> bool:
    """A scenario without incidents: every alert must stay silent over its whole span."""
    return not scenario.incidents


def expects(scenario: Scenario, alertname: str) -> bool:
    return any(e.alertname == alertname for incident in scenario.incidents for e in incident.expect)


def silences(scenario: Scenario, alertname: str) -> bool:
    return is_quiet(scenario) or any(name == alertname for i in scenario.incidents for name, _line in i.silent)


# Whether a scenario generates any metric the alert reads (through its recording rules): silence where the
# alert sees nothing proves nothing, so such a scenario is no silent coverage (ScenarioResult.unobserved_alerts).
Observes = Callable[[Scenario, str], bool]


@dataclass(frozen=True)
class Gap:
    """What an alert lacks, and what to add."""

    alertname: str
    missing: str  # "runbook", "firing scenario", "silent scenario"
    advice: str


def coverage_gaps(
    alertnames: list[str], runbooks: set[str], scenarios: list[Scenario], observes: Observes
) -> list[Gap]:
    """Every gap of every alert, in alert order (empty: the gate passes)."""
    gaps = []
    for name in alertnames:
        gaps += alert_gaps(name, name in runbooks, scenarios, observes)
    return gaps


def alert_gaps(alertname: str, has_runbook: bool, scenarios: list[Scenario], observes: Observes) -> list[Gap]:
    gaps = []
    if not has_runbook:
        gaps.append(Gap(alertname, "runbook", f"add a runbook for {alertname} (runbooks/{alertname}.md)"))
    if not any(expects(s, alertname) for s in scenarios):
        gaps.append(
            Gap(
                alertname,
                "firing scenario",
                f"add a scenario with an incident that expects {alertname} to fire: "
                f"`expect: {{{alertname}: <budget>}}` under an incident",
            )
        )
    silent_candidates = [s for s in scenarios if silences(s, alertname)]
    if not any(observes(s, alertname) for s in silent_candidates):
        unobserved = f" ({', '.join(s.name for s in silent_candidates)}: generate none of its metrics)"
        gaps.append(
            Gap(
                alertname,
                "silent scenario",
                f"add a scenario where {alertname} must stay silent: `silent: [{alertname}]` under an incident "
                "of a look-alike failure, or a quiet scenario (no incidents), that generates the metrics it reads"
                + (unobserved if silent_candidates else ""),
            )
        )
    return gaps


@dataclass(frozen=True)
class Check:
    """One judged declaration of one alert in one scenario."""

    incident: str | None  # None: the whole span of a quiet scenario
    status: str
    time_ms: int | None = None  # detection time from the incident start, or the firing time
    budget_ms: int | None = None

    def words(self) -> str:
        time = "-" if self.time_ms is None else format_duration(self.time_ms)
        if self.status == FIRED:
            return f"fired at +{time}"
        if self.status == MISSED:
            budget = "-" if self.budget_ms is None else format_duration(self.budget_ms)
            late = "" if self.time_ms is None else f", fired at +{time}"
            return f"missed (budget {budget}{late})"
        if self.status == LOUD:
            return f"fired at {time} (must stay silent)"
        return SILENT


@dataclass
class Cell:
    """One alert in one scenario: its checks, or none (not covered)."""

    checks: list[Check] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.checks:
            return NOT_COVERED
        for worst in (MISSED, LOUD, FIRED):
            if any(c.status == worst for c in self.checks):
                return worst
        return SILENT

    def words(self) -> str:
        if not self.checks:
            return NOT_COVERED
        return "; ".join(dict.fromkeys(c.words() for c in self.checks))


@dataclass
class CoverageReport:
    alertnames: list[str]  # grouped by layer (common.layers order), then as the rule files list them
    scenarios: list[Scenario]
    runbooks: set[str]
    cells: dict[tuple[str, str], Cell]  # (alertname, scenario name) -> cell
    gaps: list[Gap]
    layers: dict[str, str | None] = field(default_factory=dict)  # alertname -> its `layer` label, if any

    def layer_of(self, alertname: str) -> str:
        return self.layers.get(alertname) or NO_LAYER

    def layer_groups(self) -> list[tuple[str, list[str]]]:
        """(layer, its alerts) in layer order; alerts without a layer last, under NO_LAYER."""
        groups: dict[str, list[str]] = {}
        for name in self.alertnames:
            groups.setdefault(self.layer_of(name), []).append(name)
        return list(groups.items())

    @property
    def passed(self) -> bool:
        failed_checks = any(c.status in (MISSED, LOUD) for cell in self.cells.values() for c in cell.checks)
        return not self.gaps and not failed_checks


def coverage_report(
    alertnames: list[str],
    runbooks: set[str],
    scenarios: list[Scenario],
    results: dict[str, ScenarioResult],
    layers: dict[str, str | None] | None = None,
) -> CoverageReport:
    """The alert x scenario matrix; `results` (scenario source -> its simulation) says what happened.

    `layers` maps an alert to its `layer` label as the rule files carry it; rows are grouped by layer.
    """
    layers = layers or {}
    alertnames = sorted(alertnames, key=lambda name: layer_order(layers.get(name)))  # stable within a layer
    cells = {}
    for scenario in scenarios:
        for name in alertnames:
            cells[(name, scenario.name)] = Cell(_checks(scenario, name, results[scenario.source]))
    gaps = coverage_gaps(
        alertnames, runbooks, scenarios, lambda s, name: name not in results[s.source].unobserved_alerts
    )
    return CoverageReport(alertnames, scenarios, runbooks, cells, gaps, dict(layers))


def _checks(scenario: Scenario, alertname: str, result: ScenarioResult) -> list[Check]:
    checks = []
    for d in result.detections:
        if d.alertname == alertname:
            checks.append(Check(d.incident, FIRED if d.passed else MISSED, d.time_to_detect_ms, d.budget_ms))
    for s in result.silences:
        if s.alertname == alertname:
            checks.append(Check(s.incident, SILENT if s.passed else LOUD, s.fired_at_ms))
    if is_quiet(scenario) and alertname not in result.unobserved_alerts:
        fired = first_firing(result, alertname)
        checks.append(Check(None, SILENT if fired is None else LOUD, fired))
    return checks


def first_firing(result: ScenarioResult, alertname: str) -> int | None:
    """The first moment any instance of the alert was firing in the scenario, if any."""
    times = [
        interval.firing_at_ms
        for timeline in result.timelines
        if timeline.alertname == alertname
        for interval in timeline.intervals
        if interval.firing_at_ms is not None
    ]
    return min(times) if times else None


# --- rendering ----------------------------------------------------------------------------------


def _rows(report: CoverageReport) -> tuple[list[str], list[list[str]]]:
    header = ["LAYER", "ALERT", "RUNBOOK"] + [s.name for s in report.scenarios]
    rows = [
        [report.layer_of(name), name, "yes" if name in report.runbooks else "MISSING"]
        + [report.cells[(name, s.name)].words() for s in report.scenarios]
        for name in report.alertnames
    ]
    return header, rows


def _layer_lines(report: CoverageReport) -> list[str]:
    """Per layer: how many alerts, and how many of them the scenarios prove firing and silent (no gap)."""
    lines = []
    for layer, names in report.layer_groups():
        gapped = {gap.alertname for gap in report.gaps}
        covered = sum(name not in gapped for name in names)
        lines.append(f"layer {layer}: {len(names)} alert(s), {covered} covered: {', '.join(names)}")
    return lines


def _gap_lines(report: CoverageReport) -> list[str]:
    if not report.gaps:
        return [f"coverage: every alert of {len(report.alertnames)} has a runbook, a firing and a silent scenario"]
    return [f"coverage gap: {gap.alertname}: no {gap.missing}: {gap.advice}" for gap in report.gaps]


def render_text(report: CoverageReport) -> str:
    """One block per alert (a matrix of many scenarios is too wide for a terminal), then the gaps."""
    header, rows = _rows(report)
    lines = []
    width = max((len(s.name) for s in report.scenarios), default=0)
    layer = None
    for row in rows:
        if row[0] != layer:
            layer = row[0]
            lines.append(f"== layer {layer} ==")
        lines.append(f"{row[1]} (runbook: {row[2]})")
        for scenario_name, words in zip(header[3:], row[3:]):
            lines.append(f"  {scenario_name.ljust(width)}  {words}")
    lines.append("")
    lines += _layer_lines(report)
    lines += _gap_lines(report)
    return "\n".join(lines) + "\n"


def render_markdown(report: CoverageReport) -> str:
    header, rows = _rows(report)
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    lines.append("")
    lines += [f"- {line}" for line in _layer_lines(report) + _gap_lines(report)]
    return "\n".join(lines) + "\n"


def _seconds(ms: int | None):
    if ms is None:
        return None
    return ms / 1000 if ms % 1000 else ms // 1000


def to_json_document(report: CoverageReport) -> dict:
    return {
        "schema": JSON_SCHEMA_NAME,
        "version": JSON_SCHEMA_VERSION,
        "passed": report.passed,
        "scenarios": [{"name": s.name, "source": s.source, "quiet": is_quiet(s)} for s in report.scenarios],
        "layers": [
            {"layer": None if layer == NO_LAYER else layer, "alerts": names} for layer, names in report.layer_groups()
        ],
        "alerts": [
            {
                "alertname": name,
                "layer": report.layers.get(name),
                "runbook": name in report.runbooks,
                "gaps": [{"missing": g.missing, "advice": g.advice} for g in report.gaps if g.alertname == name],
                "scenarios": {
                    s.name: {
                        "status": report.cells[(name, s.name)].status,
                        "checks": [
                            {
                                "incident": c.incident,
                                "status": c.status,
                                "time_s": _seconds(c.time_ms),
                                "budget_s": _seconds(c.budget_ms),
                            }
                            for c in report.cells[(name, s.name)].checks
                        ],
                    }
                    for s in report.scenarios
                },
            }
            for name in report.alertnames
        ],
    }


def render_json(report: CoverageReport) -> str:
    return json.dumps(to_json_document(report), indent=2) + "\n"
