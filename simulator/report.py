"""Render simulation results: a compact text table, or JSON following a versioned schema.

JSON schema version 1 (documented in docs/scenarios.md): times are seconds from the scenario
start (t=0); absent times are null. Output is deterministic: no wall-clock figures.
"""

from __future__ import annotations

import json

from common.durations import format_duration

from .simulate import ScenarioResult

JSON_SCHEMA_VERSION = 1


def to_json_document(results: list[ScenarioResult]) -> dict:
    """The versioned JSON document for a run of one or more scenarios."""
    return {
        "version": JSON_SCHEMA_VERSION,
        "passed": all(r.passed for r in results),
        "scenarios": [_scenario_json(r) for r in results],
    }


def render_json(results: list[ScenarioResult]) -> str:
    return json.dumps(to_json_document(results), indent=2, sort_keys=False) + "\n"


def _seconds(ms: int | None) -> float | None:
    if ms is None:
        return None
    return ms / 1000 if ms % 1000 else ms // 1000


def _scenario_json(result: ScenarioResult) -> dict:
    scenario = result.scenario
    return {
        "name": scenario.name,
        "source": scenario.source,
        "passed": result.passed,
        "duration_s": _seconds(scenario.duration_ms),
        "scrape_interval_s": _seconds(scenario.scrape_interval_ms),
        "evaluation_interval_s": _seconds(scenario.evaluation_interval_ms),
        "seed": scenario.seed,
        "series": result.series_count,
        "samples": result.sample_count,
        "incidents": [
            {
                "name": incident.name,
                "start_s": _seconds(incident.start_ms),
                "end_s": _seconds(incident.end_ms),
                "window_end_s": _seconds(incident.window_end_ms),
                "expect": [
                    {
                        "alertname": d.alertname,
                        "budget_s": _seconds(d.budget_ms),
                        "detected_at_s": _seconds(d.detected_at_ms),
                        "time_to_detect_s": _seconds(d.time_to_detect_ms),
                        "passed": d.passed,
                    }
                    for d in result.detections
                    if d.incident == incident.name
                ],
                "silent": [
                    {"alertname": s.alertname, "fired_at_s": _seconds(s.fired_at_ms), "passed": s.passed}
                    for s in result.silences
                    if s.incident == incident.name
                ],
            }
            for incident in scenario.incidents
        ],
        "alerts": [
            {
                "alertname": timeline.alertname,
                "labels": dict(sorted(timeline.labels.items())),
                "intervals": [
                    {
                        "pending_at_s": _seconds(i.pending_at_ms),
                        "firing_at_s": _seconds(i.firing_at_ms),
                        "resolved_at_s": _seconds(i.resolved_at_ms),
                    }
                    for i in timeline.intervals
                ],
            }
            for timeline in result.timelines
        ],
        "false_positives": {
            "count": len(result.false_positives),
            "per_week": round(result.false_positives_per_week, 3),
            "max_allowed": result.max_false_positives,
            "passed": result.false_positives_passed,
            "activations": [
                {
                    "alertname": fp.alertname,
                    "labels": dict(sorted(fp.labels.items())),
                    "firing_at_s": _seconds(fp.firing_at_ms),
                }
                for fp in result.false_positives
            ],
        },
    }


# --- text ------------------------------------------------------------------------------------


def _at(ms: int | None) -> str:
    return "-" if ms is None else format_duration(ms)


def render_text(results: list[ScenarioResult]) -> str:
    """A compact, deterministic table per scenario: expectations, silences, alert timelines, false positives."""
    blocks = [_scenario_text(r) for r in results]
    failed = sum(not r.passed for r in results)
    blocks.append(f"{len(results) - failed} of {len(results)} scenarios passed")
    return "\n\n".join(blocks) + "\n"


def _scenario_text(result: ScenarioResult) -> str:
    s = result.scenario
    lines = [
        f"scenario {s.name} ({s.source}): {'PASS' if result.passed else 'FAIL'}",
        f"  span {format_duration(s.duration_ms)}, scrape {format_duration(s.scrape_interval_ms)}, "
        f"evaluation {format_duration(s.evaluation_interval_ms)}, seed {s.seed}; "
        f"{result.series_count} series, {result.sample_count} samples",
    ]
    checks = []
    for incident in s.incidents:
        starts = _at(incident.start_ms)
        checks += [
            (
                incident.name,
                starts,
                f"expect {d.alertname}",
                format_duration(d.budget_ms),
                _at(d.time_to_detect_ms) if d.detected_at_ms is not None else "never",
                "ok" if d.passed else "FAIL",
            )
            for d in result.detections
            if d.incident == incident.name
        ]
        checks += [
            (
                incident.name,
                starts,
                f"silent {c.alertname}",
                "-",
                "fired at " + _at(c.fired_at_ms) if c.fired_at_ms is not None else "silent",
                "ok" if c.passed else "FAIL",
            )
            for c in result.silences
            if c.incident == incident.name
        ]
    if checks:
        lines.append("")
        lines += _table(("INCIDENT", "STARTS", "CHECK", "BUDGET", "DETECTED AFTER", "RESULT"), checks)
    alerts = [
        (tl.alertname, _format_labels(tl.labels), _at(i.pending_at_ms), _at(i.firing_at_ms), _at(i.resolved_at_ms))
        for tl in result.timelines
        for i in tl.intervals
    ]
    lines.append("")
    if alerts:
        lines += _table(("ALERT", "LABELS", "PENDING AT", "FIRING AT", "RESOLVED AT"), alerts)
    else:
        lines.append("  no alert became active")
    limit = "" if result.max_false_positives is None else f" (at most {result.max_false_positives} allowed)"
    lines.append("")
    lines.append(
        f"  false positives: {len(result.false_positives)} "
        f"({result.false_positives_per_week:.2f}/week){limit}" + ("" if result.false_positives_passed else " FAIL")
    )
    for fp in result.false_positives:
        lines.append(f"    {fp.alertname} {_format_labels(fp.labels)} fired at {_at(fp.firing_at_ms)}")
    return "\n".join(lines)


# Labels every reference alert carries; the table shows only the distinguishing ones.
_COMMON_LABELS = {"alertname", "severity", "team", "kind"}


def _format_labels(labels: dict[str, str]) -> str:
    shown = {k: v for k, v in sorted(labels.items()) if k not in _COMMON_LABELS}
    return "{" + ", ".join(f'{k}="{v}"' for k, v in shown.items()) + "}"


def _table(header: tuple, rows: list[tuple]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]

    def line(cells):
        return "  " + "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    return [line(header)] + [line(row) for row in rows]
