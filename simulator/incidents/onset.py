"""When an incident began, and by how much, from the root alert's main series (the value side of its first
threshold condition, often a recording rule), evaluated on the simulation's storage as the alert read it.

The onset is the first evaluation of the departure from the baseline that lasted until the alert went
pending: walking back from the pending moment while the value stays beyond the baseline's band. The baseline
is the median of the series over BASELINE_SPAN ending BASELINE_GUARD before the pending moment; its band is
NOISE_SIGMAS robust standard deviations (1.4826 × the median absolute deviation, the normal-consistent MAD),
and at least RELATIVE_FLOOR of the baseline, so a perfectly flat series does not make every wiggle a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulator.explain import conditions_of
from simulator.promql.model import Grid, PromQLError, ScalarOverGrid, VectorOverGrid
from simulator.rules.model import AlertingRule
from simulator.rules.outputs import RuleEvaluationError
from simulator.rules.queries import default_query

from .model import Labels, SeriesChange

if TYPE_CHECKING:
    from simulator.rules.group import RulesEvaluation

BASELINE_SPAN_MS = 3600 * 1000  # an hour of normal behaviour: long enough for a stable median
# The departure is searched this far back from the pending moment: longer than any `for`-free detection
# delay of a 5m-rate expression, short enough to stay clear of the baseline span.
BASELINE_GUARD_MS = 30 * 60 * 1000
NOISE_SIGMAS = 4.0  # a 4σ band: a false onset on noise about once in 16,000 normal steps
MAD_TO_SIGMA = 1.4826  # the median absolute deviation of a normal distribution is 0.6745 σ
RELATIVE_FLOOR = 0.01  # changes under 1 % of the baseline are not an onset
EVIDENCE_SPAN_MS = 3600 * 1000  # the "after" level is read over the hour from the onset
DIRECTIONS = {"<": -1, "<=": -1, ">": 1, ">=": 1}


@dataclass(frozen=True)
class Trace:
    """One series over a window: times (ms) and values (NaN where absent)."""

    expr: str
    labels: Labels
    times_ms: np.ndarray
    values: np.ndarray
    direction: int  # -1: the alert fires on low values, +1 on high ones, 0: unknown (either way)


def series_change(trace: Trace, pending_ms: int) -> SeriesChange | None:
    """The onset and the size of the change in `trace` before `pending_ms` (None: no usable baseline)."""
    t, v = trace.times_ms, trace.values
    base_mask = (t >= pending_ms - BASELINE_GUARD_MS - BASELINE_SPAN_MS) & (t < pending_ms - BASELINE_GUARD_MS)
    base_values = v[base_mask & ~np.isnan(v)]
    at = np.nonzero(t <= pending_ms)[0]
    if base_values.size < 2 or at.size == 0:
        return None
    baseline = float(np.median(base_values))
    sigma = MAD_TO_SIGMA * float(np.median(np.abs(base_values - baseline)))
    band = max(NOISE_SIGMAS * sigma, RELATIVE_FLOOR * abs(baseline))
    pending_index = int(at[-1])
    direction = trace.direction or (1 if v[pending_index] >= baseline else -1)
    departed = direction * (v - baseline) > band  # NaN compares false: an absent value is no departure
    earliest = int(np.searchsorted(t, pending_ms - BASELINE_GUARD_MS))
    onset = pending_index
    while onset - 1 >= earliest and departed[onset - 1]:
        onset -= 1
    after_mask = (t >= t[onset]) & (t <= t[onset] + EVIDENCE_SPAN_MS) & ~np.isnan(v)
    if not after_mask.any():
        return None
    window = v[after_mask]
    peak = float(window.max() if direction > 0 else window.min())
    # The new level: the median of the values at least halfway from the baseline to the peak, so neither the
    # ramp of the rate window nor one noisy extreme sets it.
    settled = window[direction * (window - baseline) >= abs(peak - baseline) / 2]
    after = float(np.median(settled))
    return SeriesChange(trace.expr, trace.labels, baseline, after, int(t[onset]))


def root_trace(
    evaluation: RulesEvaluation, alertname: str, alert_labels: Labels, pending_ms: int, interval_ms: int
) -> Trace | None:
    """The root alert's main series around its pending moment: the value side of its first threshold condition,
    the series whose labels agree with the alert's (else the one moving most toward the threshold)."""
    rule = _rule(evaluation, alertname)
    if rule is None:
        return None
    condition = conditions_of(rule.expr)[0]
    lo = max(0, pending_ms - BASELINE_GUARD_MS - BASELINE_SPAN_MS) // interval_ms * interval_ms
    hi = min(evaluation.grid.end_ms, pending_ms + EVIDENCE_SPAN_MS + BASELINE_GUARD_MS) // interval_ms * interval_ms
    grid = Grid(lo, max(lo, hi), interval_ms)
    try:
        value = default_query(condition.expr, evaluation.storage, grid)
    except (PromQLError, RuleEvaluationError, TypeError, ValueError):
        return None
    if isinstance(value, ScalarOverGrid):
        value = VectorOverGrid([()], value.values[None, :], np.ones((1, grid.steps), dtype=bool))
    if not isinstance(value, VectorOverGrid) or not value.labels:
        return None
    row = _matching_row(value, dict(alert_labels))
    values = np.where(value.present[row], value.values[row], np.nan)
    labels = tuple(sorted((k, v) for k, v in dict(value.labels[row]).items() if k != "__name__"))
    return Trace(condition.expr, labels, grid.timestamps, values, DIRECTIONS.get(condition.op or "", 0))


def _rule(evaluation: RulesEvaluation, alertname: str) -> AlertingRule | None:
    for planned in evaluation.rules:
        if isinstance(planned.rule, AlertingRule) and planned.rule.alert == alertname:
            return planned.rule
    return None


def _matching_row(value: VectorOverGrid, alert_labels: dict[str, str]) -> int:
    """The series whose every label the alert carries with the same value; the first when none does."""
    for row, labels in enumerate(value.labels):
        shown = {k: v for k, v in dict(labels).items() if k != "__name__"}
        if all(alert_labels.get(k) == v for k, v in shown.items()):
            return row
    return 0
