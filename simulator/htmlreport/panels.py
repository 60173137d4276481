"""What each plot of the HTML report shows, as plain data: no drawing here (svgplot.py draws).

One plot per incident and alert (expected, silenced, or also fired in the incident's window), and one per alert
that fired as a false positive. A plot has two windows over the same data: around the detection (from before
the incident's start to past its budget deadline, its first firing and its first page) and the whole incident
window. In each window, one panel per threshold condition of the alert's expression (explain.conditions_of):
the value side queried on the simulation's storage (which holds the rules' outputs, so a recording rule reads
as the alert read it), the threshold, the alert's pending and firing bands, the incident's start, and the
notifications Alertmanager sent about the alert.

Pure: from a finished simulation (result and evaluation) to data.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import promql_parser

from common.promql.frontdoor import parse_promql
from simulator.explain import COMPARISONS, Condition, conditions_of
from simulator.promql.model import Grid, PromQLError, ScalarOverGrid, VectorOverGrid, format_labels
from simulator.rules.model import AlertingRule
from simulator.rules.outputs import RuleEvaluationError
from simulator.rules.queries import default_query
from simulator.simulate import ScenarioResult

if TYPE_CHECKING:
    from simulator.rules.group import RulesEvaluation

SERIES_SHOWN = 4  # series drawn per condition: those nearest to firing
# Points per curve and window, about: a window wider than this many evaluation steps is drawn as the minimum and
# maximum of each of ENVELOPE_BUCKETS slices (every spike stays visible; an axes is ~480 pixels wide, so a slice
# is two pixels), which keeps an SVG of a week-long window small.
ENVELOPE_BUCKETS = 160
MIN_FOCUS_MS = 10 * 60_000  # the detection window reaches at least this far past the start
FALSE_POSITIVE_PLOTS = 8  # alerts plotted per scenario for false positives (the first ones to fire)
PENDING = "pending"
FIRING = "firing"
_EMPTY_MATCHERS = re.compile(r"(?<=[A-Za-z0-9_:])\{\}")


@dataclass(frozen=True)
class Curve:
    """One series of a condition's value side; values are NaN where the series is absent."""

    label: str
    t_ms: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class Plotted:
    """A condition as drawn: `expr op threshold`, `expr op threshold_expr` (a comparison of two expressions,
    e.g. a chi-square statistic against its critical value), or, with no op, `expr` returning a series."""

    expr: str
    op: str | None = None
    threshold: float | None = None
    threshold_expr: str | None = None


@dataclass(frozen=True)
class Panel:
    """One threshold condition in one window."""

    condition: Plotted
    curves: tuple[Curve, ...]
    note: str = ""  # why there is nothing to draw (cannot evaluate, no series in the window)
    threshold_curves: tuple[Curve, ...] = ()  # the threshold_expr side, for the series drawn


def plotted(condition: Condition) -> Plotted:
    """explain's condition as drawn: a comparison of two expressions is split into its two sides."""
    if condition.op is not None:
        return Plotted(condition.expr, condition.op, condition.threshold)
    try:
        node = _unparen(parse_promql(condition.expr))
    except ValueError:
        return Plotted(condition.expr)
    returns_bool = getattr(node, "modifier", None) is not None and node.modifier.return_bool
    if isinstance(node, promql_parser.BinaryExpr) and str(node.op) in COMPARISONS and not returns_bool:
        return Plotted(_text(node.lhs), str(node.op), None, _text(node.rhs))
    return Plotted(condition.expr)


def _unparen(node):
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    return node


def _text(node) -> str:
    """The expression as Prometheus prints it, without the empty `{}` the printer adds to a bare name."""
    return _EMPTY_MATCHERS.sub("", str(_unparen(node)))


@dataclass(frozen=True)
class Window:
    title: str
    start_ms: int
    end_ms: int
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class Band:
    """A stretch of time an instance of the alert was pending or firing: [start, end)."""

    state: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Mark:
    """A notification about the alert: its kind (page, repeat, update, notify, resolved) and receiver."""

    at_ms: int
    earliest_ms: int
    latest_ms: int
    kind: str
    receiver: str


@dataclass(frozen=True)
class AlertPlot:
    scenario: str
    incident: str | None  # None: a false positive outside every incident
    alertname: str
    role: str  # "expected", "silent", "also fired", "false positive"
    origin_ms: int  # the moment times are counted from: the incident's start, or the false positive's firing
    origin_words: str
    deadline_ms: int | None  # the budget deadline of an expected alert
    expr: str
    for_ms: int
    windows: tuple[Window, ...]
    bands: tuple[Band, ...]
    marks: tuple[Mark, ...]
    caption: str = ""


@dataclass
class PlotPlanner:
    """Plans the plots of one finished simulation."""

    result: ScenarioResult
    evaluation: RulesEvaluation

    def plots(self) -> list[AlertPlot]:
        plots = []
        for incident in self.result.scenario.incidents:
            for alertname, role in self._incident_alerts(incident):
                plots.append(self._incident_plot(incident, alertname, role))
        for alertname, firing_at in self._false_positive_alerts():
            plots.append(self._false_positive_plot(alertname, firing_at))
        return plots

    # -- which alerts -----------------------------------------------------------------------

    def _incident_alerts(self, incident) -> list[tuple[str, str]]:
        chosen = {e.alertname: "expected" for e in incident.expect}
        for alertname, _line in incident.silent:
            chosen.setdefault(alertname, "silent")
        for alertname in sorted(self._fired_between(incident.start_ms, incident.window_end_ms)):
            chosen.setdefault(alertname, "also fired")
        return list(chosen.items())

    def _fired_between(self, start_ms: int, end_ms: int) -> set[str]:
        return {
            tl.alertname
            for tl in self.result.timelines
            for i in tl.intervals
            if i.firing_at_ms is not None and start_ms <= i.firing_at_ms <= end_ms
        }

    def _false_positive_alerts(self) -> list[tuple[str, int]]:
        first: dict[str, int] = {}
        for fp in self.result.false_positives:
            first.setdefault(fp.alertname, fp.firing_at_ms)
        return sorted(first.items(), key=lambda item: (item[1], item[0]))[:FALSE_POSITIVE_PLOTS]

    # -- one plot ---------------------------------------------------------------------------

    def _incident_plot(self, incident, alertname: str, role: str) -> AlertPlot:
        start = incident.start_ms
        budget = next((e.budget_ms for e in incident.expect if e.alertname == alertname), None)
        deadline = None if budget is None else start + budget
        moments = [start + MIN_FOCUS_MS, deadline or start]
        moments += [t for t in self._firings(alertname) if start <= t <= incident.window_end_ms][:1]
        moments += [m.at_ms for m in self._marks(alertname) if start <= m.at_ms <= incident.window_end_ms][:1]
        focus = max(moments)
        span = focus - start
        detection = (start - span, focus + span // 2)
        whole_span = incident.window_end_ms - start
        whole = (start - max(whole_span // 10, span), incident.window_end_ms + whole_span // 10)
        return self._plot(
            incident.name,
            alertname,
            role,
            start,
            "incident start",
            deadline,
            [("around the detection", detection), ("the whole incident window", whole)],
        )

    def _false_positive_plot(self, alertname: str, firing_at_ms: int) -> AlertPlot:
        span = MIN_FOCUS_MS * 3
        activations = [i for tl in self._timelines(alertname) for i in tl.intervals if i.firing_at_ms == firing_at_ms]
        resolved = [i.resolved_at_ms for i in activations if i.resolved_at_ms is not None]
        end = max(resolved) if resolved else self.evaluation.grid.end_ms
        around = (firing_at_ms - span, firing_at_ms + span)
        whole = (firing_at_ms - max(span, (end - firing_at_ms) // 10), end + max(span, (end - firing_at_ms) // 10))
        return self._plot(
            None,
            alertname,
            "false positive",
            firing_at_ms,
            "false positive fires",
            None,
            [("around the firing", around), ("the whole activation", whole)],
        )

    def _plot(self, incident, alertname, role, origin_ms, origin_words, deadline_ms, windows) -> AlertPlot:
        rule = self._rule(alertname)
        grid = self.evaluation.grid
        clipped = [(title, self._clip(lo, hi)) for title, (lo, hi) in windows]
        conditions = [plotted(c) for c in conditions_of(rule.expr)] if rule else []
        query_grid = Grid(min(w[0] for _t, w in clipped), max(w[1] for _t, w in clipped), grid.step_ms)
        values = [self._query(c.expr, query_grid) for c in conditions]
        thresholds = [self._query(c.threshold_expr, query_grid) if c.threshold_expr else None for c in conditions]
        built = tuple(
            Window(
                title,
                lo,
                hi,
                tuple(self._panel(c, v, t, query_grid, lo, hi) for c, v, t in zip(conditions, values, thresholds)),
            )
            for title, (lo, hi) in clipped
        )
        return AlertPlot(
            scenario=self.result.scenario.name,
            incident=incident,
            alertname=alertname,
            role=role,
            origin_ms=origin_ms,
            origin_words=origin_words,
            deadline_ms=deadline_ms,
            expr=rule.expr if rule else "",
            for_ms=rule.for_ms if rule else 0,
            windows=built,
            bands=self._bands(alertname),
            marks=self._marks(alertname),
            caption="" if rule else f"no alerting rule {alertname} was evaluated",
        )

    def _clip(self, lo: int, hi: int) -> tuple[int, int]:
        grid = self.evaluation.grid
        step = grid.step_ms
        lo = max(grid.start_ms, lo) // step * step
        hi = min(grid.end_ms, -(-hi // step) * step)
        return lo, max(lo + step, hi)

    # -- data -------------------------------------------------------------------------------

    def _rule(self, alertname: str) -> AlertingRule | None:
        for planned in self.evaluation.rules:
            if isinstance(planned.rule, AlertingRule) and planned.rule.alert == alertname:
                return planned.rule
        return None

    def _query(self, expr: str, grid: Grid) -> VectorOverGrid | str:
        try:
            value = default_query(expr, self.evaluation.storage, grid)
        except (PromQLError, RuleEvaluationError, TypeError, ValueError) as error:
            return f"cannot evaluate {expr}: {error}"
        if isinstance(value, ScalarOverGrid):
            return VectorOverGrid([()], value.values[None, :], np.ones((1, grid.steps), dtype=bool))
        if not isinstance(value, VectorOverGrid):
            return f"{expr} is not an instant vector"
        return value

    def _panel(self, condition: Plotted, value, threshold, grid: Grid, lo: int, hi: int) -> Panel:
        if isinstance(value, str):
            return Panel(condition, (), value)
        first = (lo - grid.start_ms) // grid.step_ms
        last = (hi - grid.start_ms) // grid.step_ms + 1
        rows = [i for i in self._nearest(condition, value) if value.present[i, first:last].any()]
        if not rows:
            return Panel(condition, (), "no series in this window")
        presence = condition.op is None
        curves = tuple(_curve(value, i, grid, first, last, presence) for i in rows)
        threshold_curves: tuple[Curve, ...] = ()
        if isinstance(threshold, VectorOverGrid):
            drawn = {_shown_labels(value.labels[i]) for i in rows}
            matching = [i for i in range(len(threshold.labels)) if _shown_labels(threshold.labels[i]) in drawn]
            by_label = sorted(range(len(threshold.labels)), key=lambda i: format_labels(threshold.labels[i]))
            picked = matching or by_label[:SERIES_SHOWN]
            threshold_curves = tuple(
                _curve(threshold, i, grid, first, last, False) for i in picked if threshold.present[i, first:last].any()
            )
        note = threshold if isinstance(threshold, str) else ""
        return Panel(condition, curves, note, threshold_curves)

    @staticmethod
    def _nearest(condition: Plotted, value: VectorOverGrid) -> list[int]:
        """The series closest to satisfying the condition over the whole plot, at most SERIES_SHOWN, in label
        order (the same series in every window)."""

        def closeness(i: int) -> float:
            cells = value.values[i][value.present[i]]
            cells = cells[~np.isnan(cells)]
            if not len(cells) or condition.op not in (">", ">=", "<", "<="):
                return 0.0
            return -float(cells.max()) if condition.op in (">", ">=") else float(cells.min())

        rows = [i for i in range(len(value.labels)) if value.present[i].any()]
        by_label = sorted(rows, key=lambda i: format_labels(value.labels[i]))
        chosen = sorted(by_label, key=closeness)[:SERIES_SHOWN]
        return sorted(chosen, key=lambda i: format_labels(value.labels[i]))

    def _timelines(self, alertname: str):
        return [tl for tl in self.result.timelines if tl.alertname == alertname]

    def _firings(self, alertname: str) -> list[int]:
        return sorted(
            i.firing_at_ms for tl in self._timelines(alertname) for i in tl.intervals if i.firing_at_ms is not None
        )

    def _bands(self, alertname: str) -> tuple[Band, ...]:
        """The union over the alert's instances of the pending and the firing stretches."""
        end = self.evaluation.grid.end_ms + self.evaluation.grid.step_ms
        pending, firing = [], []
        for timeline in self._timelines(alertname):
            for i in timeline.intervals:
                over = i.resolved_at_ms if i.resolved_at_ms is not None else end
                if i.firing_at_ms is None:
                    pending.append((i.pending_at_ms, over))
                else:
                    pending.append((i.pending_at_ms, i.firing_at_ms))
                    firing.append((i.firing_at_ms, over))
        bands = [Band(PENDING, a, b) for a, b in _union(pending) if a < b]
        bands += [Band(FIRING, a, b) for a, b in _union(firing) if a < b]
        return tuple(sorted(bands, key=lambda b: (b.start_ms, b.state)))

    def _marks(self, alertname: str) -> tuple[Mark, ...]:
        if self.result.paging is None:
            return ()
        marks = []
        for n in self.result.paging.notifications:
            names = {dict(a).get("alertname") for a in n.firing + n.resolved}
            if alertname in names:
                marks.append(Mark(n.at_ms, n.earliest_ms, n.latest_ms, n.kind, n.receiver))
        return tuple(marks)


def _shown_labels(labels) -> tuple:
    return tuple((k, v) for k, v in labels if k != "__name__")


def _curve(value: VectorOverGrid, row: int, grid: Grid, first: int, last: int, presence: bool) -> Curve:
    """One series over steps [first, last): its values (1 where present, for a presence condition), NaN where
    absent, enveloped when long."""
    present = value.present[row, first:last]
    shown = np.where(present, 1.0 if presence else value.values[row, first:last], np.nan)
    label = format_labels(_shown_labels(value.labels[row])) or "{}"
    return Curve(label, *envelope(grid.timestamps[first:last], shown, ENVELOPE_BUCKETS))


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def envelope(t_ms: np.ndarray, values: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """At most 2 x `buckets` points that draw like the whole curve: in each of `buckets` equal slices, the
    minimum and the maximum in time order (a slice with no value stays a gap). Short curves are returned as is."""
    if len(t_ms) <= 2 * buckets:
        return t_ms, values
    bounds = np.linspace(0, len(t_ms), buckets + 1).astype(np.int64)
    points: list[int] = []
    gap: list[int] = []
    for lo, hi in itertools.pairwise(bounds):
        chunk = values[lo:hi]
        finite = np.flatnonzero(~np.isnan(chunk))
        if not len(finite):
            gap.append(len(points))
            points.append(int(lo))
            continue
        low, high = lo + finite[np.argmin(chunk[finite])], lo + finite[np.argmax(chunk[finite])]
        points += sorted({int(low), int(high)})
    index = np.array(points, dtype=np.int64)
    out = values[index].copy()
    out[gap] = np.nan
    return t_ms[index], out
