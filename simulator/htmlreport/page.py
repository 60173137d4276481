"""index.html of the report: the coverage matrix, then per scenario its incident summaries, checks and plots.

The page is one jinja2 template (report.html.j2, autoescaped) over view data prepared here; it loads nothing
from the network: inline CSS, no script, plots as relative <img> files, and a Content-Security-Policy that
lets the browser fetch only files beside the page, so a stray external reference fails loudly in a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from common.durations import format_duration
from simulator.coverage import FIRED, LOUD, MISSED, NOT_COVERED, SILENT, CoverageReport
from simulator.simulate import ScenarioResult

from .panels import AlertPlot
from .summaries import IncidentSummary
from .svgplot import figure_size_in

TEMPLATE = "report.html.j2"
CSS_PX_PER_IN = 96  # CSS reference pixels per inch: the <img> is drawn at the SVG's own size
STATUS_CLASSES = {FIRED: "ok", SILENT: "ok", MISSED: "bad", LOUD: "bad", NOT_COVERED: "none"}
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class PlotEntry:
    plot: AlertPlot
    path: str  # relative to index.html


@dataclass
class ScenarioSection:
    result: ScenarioResult
    summaries: list[IncidentSummary]
    plots: list[PlotEntry]
    plot_dir: str


def render_page(sections: list[ScenarioSection], coverage: CoverageReport | None) -> str:
    # Sandboxed although the template is alertkit's own: the values it renders (alert names, labels, scenario
    # descriptions, event metadata) come from pull requests, as runbooks do.
    template = ImmutableSandboxedEnvironment(
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True
    ).from_string(resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8"))
    passed = sum(s.result.passed for s in sections)
    return template.render(
        scenario_count=len(sections),
        passed_count=passed,
        coverage=_coverage_view(coverage) if coverage is not None else None,
        scenarios=[_scenario_view(s) for s in sections],
    )


def _at(ms: int | None) -> str:
    if ms is None:
        return "-"
    return format_duration(ms) if ms else "0s"


def _after(ms: int | None) -> str:
    return "never" if ms is None else "+" + _at(ms)


def _anchor(*parts: str) -> str:
    return "-".join(_ANCHOR_UNSAFE.sub("-", p).strip("-") for p in parts)


# --- coverage ----------------------------------------------------------------------------------


def _coverage_view(report: CoverageReport) -> dict:
    return {
        "scenarios": [s.name for s in report.scenarios],
        "rows": [
            {
                "layer": report.layer_of(name),
                "alertname": name,
                "runbook": name in report.runbooks,
                "cells": [
                    {
                        "words": report.cells[(name, s.name)].words(),
                        "css": STATUS_CLASSES.get(report.cells[(name, s.name)].status, "none"),
                    }
                    for s in report.scenarios
                ],
            }
            for name in report.alertnames
        ],
        "gaps": [f"{g.alertname}: no {g.missing}: {g.advice}" for g in report.gaps],
        "passed": report.passed,
    }


# --- one scenario ------------------------------------------------------------------------------


def _scenario_view(section: ScenarioSection) -> dict:
    result = section.result
    s = result.scenario
    anchor = _anchor("scenario", section.plot_dir.rsplit("/", 1)[-1])
    return {
        "name": s.name,
        "anchor": anchor,
        "source": s.source,
        "description": s.description,
        "passed": result.passed,
        "facts": (
            f"span {_at(s.duration_ms)}, scrape {_at(s.scrape_interval_ms)}, evaluation "
            f"{_at(s.evaluation_interval_ms)}, seed {s.seed}; {result.series_count} series, "
            f"{result.sample_count} samples"
        ),
        "summaries": [_summary_view(summary) for summary in section.summaries],
        "checks": _checks(result),
        "false_positives": _false_positives(result),
        "unobserved": list(result.unobserved_alerts),
        "paging": _paging(result),
        "plot_groups": _plot_groups(section, anchor),
    }


def _summary_view(summary: IncidentSummary) -> dict:
    return {
        "name": summary.name,
        "start": _at(summary.start_ms),
        "end": _at(summary.end_ms) if summary.end_ms is not None else "the end (still firing)",
        "root_alert": summary.root_alert or "-",
        "root_reason": summary.root_reason,
        "fired": [f"{f.alertname} at {_at(f.firing_at_ms)}" for f in summary.fired],
        "time_to_detect": _after(summary.time_to_detect_ms),
        "time_to_page": _after(summary.time_to_page_ms),
        "pages": list(summary.pages),
        "causes": [{"headline": c.headline, "evidence": list(c.evidence)} for c in summary.causes],
        "postmortem": summary.postmortem_markdown,
    }


def _checks(result: ScenarioResult) -> list[dict]:
    rows = [
        {
            "incident": d.incident,
            "check": f"expect {d.alertname}",
            "budget": _at(d.budget_ms),
            "outcome": "+" + _at(d.time_to_detect_ms) if d.detected_at_ms is not None else "never",
            "passed": d.passed,
        }
        for d in result.detections
    ]
    rows += [
        {
            "incident": c.incident,
            "check": f"silent {c.alertname}",
            "budget": "-",
            "outcome": "silent" if c.fired_at_ms is None else f"fired at {_at(c.fired_at_ms)}",
            "passed": c.passed,
        }
        for c in result.silences
    ]
    return rows


def _false_positives(result: ScenarioResult) -> dict:
    limit = result.max_false_positives
    return {
        "count": len(result.false_positives),
        "per_week": f"{result.false_positives_per_week:.2f}",
        "limit": "-" if limit is None else str(limit),
        "passed": result.false_positives_passed,
        "rows": [f"{fp.alertname} fired at {_at(fp.firing_at_ms)}" for fp in result.false_positives],
    }


def _paging(result: ScenarioResult) -> dict | None:
    paging = result.paging
    if paging is None:
        return None
    return {
        "per_week": f"{paging.notifications_per_week:.2f}",
        "pages_per_week": f"{paging.pages_per_week:.2f}",
        "notifications": [
            {
                "at": _at(n.at_ms) if n.certain else f"{_at(n.earliest_ms)}..{_at(n.latest_ms)}",
                "receiver": n.receiver,
                "kind": n.kind,
                "firing": _alertnames(n.firing),
                "resolved": _alertnames(n.resolved),
            }
            for n in paging.notifications
        ],
    }


def _alertnames(alerts: tuple) -> str:
    return ", ".join(dict(a).get("alertname", "?") for a in alerts) or "-"


def _plot_groups(section: ScenarioSection, scenario_anchor: str) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for entry in section.plots:
        plot = entry.plot
        heading = f"incident {plot.incident}" if plot.incident is not None else "false positives"
        width_in, height_in = figure_size_in(plot)
        groups.setdefault(heading, []).append(
            {
                "src": entry.path,
                "anchor": _anchor(scenario_anchor, plot.incident or "false-positive", plot.alertname),
                "alt": f"{plot.alertname} ({plot.role}) over time, around {plot.origin_words} at {_at(plot.origin_ms)}",
                "width": round(width_in * CSS_PX_PER_IN),
                "height": round(height_in * CSS_PX_PER_IN),
                "alertname": plot.alertname,
                "role": plot.role,
                "expr": plot.expr,
                "for": _at(plot.for_ms) if plot.for_ms else "0s",
                "caption": plot.caption,
            }
        )
    return [{"heading": heading, "plots": plots} for heading, plots in groups.items()]
