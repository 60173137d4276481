"""Render simulation results: a compact text table, or JSON following a versioned schema.

JSON schema version 1 (documented in docs/scenarios.md): times are seconds from the scenario
start (t=0); absent times are null. Output is deterministic: no wall-clock figures.
"""

from __future__ import annotations

import json

from common.durations import format_duration
from common.layers import LAYER_LABEL, NO_LAYER, layer_order
from simulator.rules.model import AlertTimeline

from .simulate import ScenarioResult

JSON_SCHEMA_NAME = "alertkit-simulate"  # docs/schemas/simulate.schema.json
JSON_SCHEMA_VERSION = 1


def to_json_document(results: list[ScenarioResult]) -> dict:
    """The versioned JSON document for a run of one or more scenarios."""
    return {
        "schema": JSON_SCHEMA_NAME,
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
                "layer": timeline.labels.get(LAYER_LABEL),
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
            for timeline in _by_layer(result.timelines)
        ],
        "unobserved_alerts": list(result.unobserved_alerts),
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
        **({"paging": _paging_json(result)} if result.paging is not None else {}),
    }


def _labels_json(labels: tuple) -> dict[str, str]:
    return dict(sorted(labels))


def _paging_json(result: ScenarioResult) -> dict:
    """Time to page (simulator/alertmanager): per incident, then every notification Alertmanager sends."""
    paging = result.paging
    assert paging is not None
    return {
        "notifications_per_week": round(paging.notifications_per_week, 3),
        "pages_per_week": round(paging.pages_per_week, 3),
        "incidents": [
            {
                "name": incident.incident,
                "time_to_detect_s": _seconds(_time_to_detect(result, incident.incident)),
                "time_to_page_s": _seconds(incident.time_to_page_ms),
                "time_to_page_window_s": (
                    None
                    if incident.time_to_page_window_ms is None
                    else [_seconds(t) for t in incident.time_to_page_window_ms]
                ),
                "pages": [_notification_json(n) for n in incident.pages],
                "follow_ups": len(incident.follow_ups),
                "inhibited": [
                    {
                        "alertname": i.alertname,
                        "labels": _labels_json(i.labels),
                        "first_at_s": _seconds(i.first_at_ms),
                        "inhibited_by": i.source_alertname,
                    }
                    for i in incident.inhibited
                ],
            }
            for incident in paging.incidents
        ],
        "notifications": [_notification_json(n) for n in paging.notifications],
    }


def _notification_json(n) -> dict:
    return {
        "at_s": _seconds(n.at_ms),
        "earliest_s": _seconds(n.earliest_ms),
        "latest_s": _seconds(n.latest_ms),
        "receiver": n.receiver,
        "integration": n.integration,
        "group_key": n.group_key,
        "kind": n.kind,
        "reason": n.reason,
        "firing": [_labels_json(a) for a in n.firing],
        "resolved": [_labels_json(a) for a in n.resolved],
    }


def _time_to_detect(result: ScenarioResult, incident: str) -> int | None:
    """The incident's first detection (any expected alert), from its start."""
    times = [d.time_to_detect_ms for d in result.detections if d.incident == incident]
    known = [t for t in times if t is not None]
    return min(known) if known else None


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
        (
            _layer(tl.labels),
            tl.alertname,
            _format_labels(tl.labels),
            _at(i.pending_at_ms),
            _at(i.firing_at_ms),
            _at(i.resolved_at_ms),
        )
        for tl in _by_layer(result.timelines)
        for i in tl.intervals
    ]
    lines.append("")
    if alerts:
        lines += _table(("LAYER", "ALERT", "LABELS", "PENDING AT", "FIRING AT", "RESOLVED AT"), alerts)
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
    if result.unobserved_alerts:
        lines.append(f"  not observed (read none of this scenario's metrics): {', '.join(result.unobserved_alerts)}")
    if result.paging is not None:
        lines += _paging_text(result)
    return "\n".join(lines)


def _paging_text(result: ScenarioResult) -> list[str]:
    """Time to page next to time to detect, per incident; then every notification."""
    paging = result.paging
    assert paging is not None
    rows = []
    for incident in paging.incidents:
        detected = _time_to_detect(result, incident.incident)
        window = incident.time_to_page_window_ms
        paged = "never" if window is None else _window(*window)
        pages = ", ".join(f"{_alertnames(n.firing)} -> {n.receiver}" for n in incident.pages) or "-"
        inhibited = ", ".join(f"{i.alertname} (by {i.source_alertname})" for i in incident.inhibited) or "-"
        rows.append(
            (
                incident.incident,
                _at(detected),
                paged,
                str(len(incident.pages)),
                pages,
                str(len(incident.follow_ups)),
                inhibited,
            )
        )
    lines = ["", "  paging (Alertmanager 0.25 model):"]
    if rows:
        lines += _table(("INCIDENT", "DETECTED AFTER", "PAGED AFTER", "PAGES", "PAGED", "REPEATS", "INHIBITED"), rows)
    page_count = sum(n.kind == "page" for n in paging.notifications)
    lines.append(
        f"  notifications: {len(paging.notifications)} ({paging.notifications_per_week:.2f}/week), "
        f"pages: {page_count} ({paging.pages_per_week:.2f}/week)"
    )
    if paging.notifications:
        lines.append("")
        lines += _table(
            ("AT", "RECEIVER", "KIND", "FIRING", "RESOLVED"),
            [
                (
                    _window(n.earliest_ms, n.latest_ms),
                    n.receiver,
                    n.kind,
                    _alertnames(n.firing),
                    _alertnames(n.resolved),
                )
                for n in paging.notifications
            ],
        )
    return lines


def _window(earliest_ms: int, latest_ms: int) -> str:
    return _at(earliest_ms) if earliest_ms == latest_ms else f"{_at(earliest_ms)}..{_at(latest_ms)}"


def _alertnames(alerts: tuple) -> str:
    return ", ".join(dict(a).get("alertname", "?") for a in alerts) or "-"


# Labels every reference alert carries (the layer has its own column); the table shows the distinguishing ones.
_COMMON_LABELS = {"alertname", "severity", "team", "kind", LAYER_LABEL}


def _layer(labels: dict[str, str]) -> str:
    return labels.get(LAYER_LABEL) or NO_LAYER


def _by_layer(timelines: list[AlertTimeline]) -> list[AlertTimeline]:
    """Timelines grouped by their `layer` label in risk-map order, otherwise in the result's order."""
    return sorted(timelines, key=lambda timeline: layer_order(timeline.labels.get(LAYER_LABEL)))


def _format_labels(labels: dict[str, str]) -> str:
    shown = {k: v for k, v in sorted(labels.items()) if k not in _COMMON_LABELS}
    return "{" + ", ".join(f'{k}="{v}"' for k, v in shown.items()) + "}"


def _table(header: tuple, rows: list[tuple]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]

    def line(cells):
        return "  " + "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    return [line(header)] + [line(row) for row in rows]


def render_drill_text(model: list, real: list, problems: list[str], tolerance_note: str) -> str:
    """The drill's report: the model's notifications and the real ones in the same table, then the verdict."""

    def rows(notifications: list) -> list[tuple]:
        return [(_at(n.at_ms), n.receiver, _alertnames(n.firing), _alertnames(n.resolved)) for n in notifications]

    header = ("AT", "RECEIVER", "FIRING", "RESOLVED")
    lines = ["model (Alertmanager 0.25 model):"]
    lines += _table(header, rows(model)) if model else ["  no notification"]
    lines += ["", "drill (the real Alertmanager):"]
    lines += _table(header, rows(real)) if real else ["  no notification"]
    lines.append("")
    if problems:
        lines.append(f"the drill differs from the model ({tolerance_note}):")
        lines += [f"  {p}" for p in problems]
    else:
        lines.append(f"the drill matches the model: {len(real)} notifications ({tolerance_note})")
    return "\n".join(lines) + "\n"
