"""The HTML report as files: index.html and one SVG per plot, all under one directory, nothing fetched.

`ReportBuilder` takes finished simulations one at a time (so a scenario's evaluation can be freed before the
next one runs), draws their plots, and at the end renders the page with the coverage matrix. The result is a
mapping of relative path -> bytes; writing it (atomically) is output.py's job. Pure otherwise: no clock, no
absolute paths, the same bytes for the same input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.coverage import CoverageReport
from simulator.simulate import ScenarioResult

from .page import PlotEntry, ScenarioSection, render_page
from .panels import AlertPlot, PlotPlanner
from .summaries import SummaryProvider, simulation_summaries
from .svgplot import render_svg

if TYPE_CHECKING:
    from simulator.rules.group import RulesEvaluation

INDEX_FILE = "index.html"
PLOTS_DIR = "plots"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class ReportBuilder:
    summaries: SummaryProvider = simulation_summaries
    files: dict[str, bytes] = field(default_factory=dict)
    sections: list[ScenarioSection] = field(default_factory=list)

    def add_scenario(self, result: ScenarioResult, evaluation: RulesEvaluation) -> None:
        directory = self._unique(f"{PLOTS_DIR}/{_slug(result.scenario.name)}", {s.plot_dir for s in self.sections})
        entries = []
        for plot in PlotPlanner(result, evaluation).plots():
            path = self._unique(f"{directory}/{_plot_name(plot)}", set(self.files), ".svg")
            self.files[path] = render_svg(plot)
            entries.append(PlotEntry(plot, path))
        self.sections.append(ScenarioSection(result, self.summaries(result, evaluation), entries, directory))

    def finish(self, coverage: CoverageReport | None) -> dict[str, bytes]:
        """Every file of the report, index.html included (relative path -> bytes)."""
        self.files[INDEX_FILE] = render_page(self.sections, coverage).encode("utf-8")
        return dict(sorted(self.files.items()))

    @staticmethod
    def _unique(stem: str, taken: set[str], suffix: str = "") -> str:
        """stem+suffix, or stem-2+suffix, stem-3+suffix, ... when taken (two scenarios of one name)."""
        candidate, n = stem + suffix, 1
        while candidate in taken:
            n += 1
            candidate = f"{stem}-{n}{suffix}"
        return candidate


def _slug(name: str) -> str:
    return _UNSAFE.sub("-", name).strip("-.") or "unnamed"


def _plot_name(plot: AlertPlot) -> str:
    where = _slug(plot.incident) if plot.incident is not None else "false-positive"
    return f"{where}--{_slug(plot.alertname)}"
