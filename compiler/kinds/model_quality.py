"""`model_quality`: a model's rolling error is above a threshold, or has drifted from its own baseline.

    error    = max by (...) (<metric>{selector})          (1 - <metric> for a score where higher is better)
               > -Inf < +Inf                              # finite samples only
    hourly   = avg_over_time(error[1h])
    baseline = avg_over_time(hourly[baseline_window:1h])  # the mean of the window's hourly means
    fires when error > threshold or error > drift_factor * baseline      # $value: the error

The metric is a rolling error that an evaluation job publishes as a gauge: MAE or RMSE of a regression model,
log loss, or 1 − AUC / 1 − accuracy of a classifier (`higher_is_better: true` turns AUC into 1 − AUC). The two
conditions catch different failures: the threshold is the quality the product needs, whatever the model's
history; the drift condition catches a model that got much worse than it usually is, long before it reaches the
threshold (a feature gone bad, a skewed input, a broken retrain).

The error is recorded first, then its hourly mean, and the baseline is the mean of the hourly means over
`baseline_window`, read by a subquery with a 1h step. Why not avg_over_time(error[7d]): that range holds 10,080
samples at a 1m evaluation interval, past the 10,000 samples a query may load in promtool's test engine
(promql/test.go, MaxSamples), so the rule could not be unit-tested; and each evaluation would read them all. The
subquery reads 168 hourly means, each already the mean of an hour, so the baseline is the same 7-day mean (of
whole clock hours) at 1/60 of the samples. Why recorded rather than avg_over_time of the raw gauge: the recording keeps finite samples only (a comparison
without `bool` drops the samples where it is false; every comparison with NaN is false), and an evaluation job
that publishes NaN for an empty evaluation set would otherwise make the 7-day average NaN, and the drift
condition blind, for seven days (the same lesson as zscore_anomaly's); and it is one sample per evaluation
interval instead of one per scrape, four times fewer for a 7-day range at a 15s scrape. The price: after the
rules are deployed the baseline is the average of what has been recorded so far, so the drift condition compares
with a shorter history during the first `baseline_window` (a model broken from the start is not a drift, which
is what the threshold is for).

`max by` keeps the worst of the series aggregated together (shards of one evaluation, replicas reporting one
model), so one bad shard is not averaged away. A missing gauge (the evaluation job stopped) is no error and no
alert: watch the job's last-success timestamp with a `freshness` alert.

Layer: model (default). The model's own quality, measured on its predictions; a data cause shows in the data
alerts, its consequence for the business in the business alerts.

Parameters and why their defaults:
- metric (required): the gauge.
- higher_is_better (false): true for a score such as AUC or accuracy, read as the error 1 − score; the threshold
  and the drift are then on 1 − score (AUC 0.80 → error 0.20; a drop to AUC 0.70 is error 0.30, factor 1.5).
- threshold (none): the error above which the model is not good enough, in the metric's unit; no default can fit
  every model. Without it only the drift is watched.
- drift_factor (1.5): the error 50 % above its own 7-day average. A rolling error over a large evaluation set
  moves by a few percent from day to day; +50 % is a real regression, and still well before most models become
  useless. Must be above 1. Note: a baseline of exactly 0 (a perfect model) makes every positive error a drift.
- baseline_window (7d): a whole weekly cycle, so weekday/weekend changes of the traffic mix are in the baseline;
  a drift lasting hours moves a 7-day average by a few percent only, so the drift does not hide itself. At least
  1d: a shorter baseline follows the daily cycle (and holds too few hourly means to be one).
- by ([model]): the labels the error is computed per; not [], so one model's drift is not hidden by another.
- selector (none): label matchers on the gauge.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator

from compiler.kinds.base import (
    Kind,
    KindParams,
    LabelNames,
    Matchers,
    MetricName,
    NonNegativeFloat,
    Window,
    number,
    selector,
    window_ms,
)
from compiler.model import Alert, KindRules, RecordingRule
from compiler.naming import recording_rule_name, window_suffix

# The baseline's resolution: hourly means, read by a subquery with this step.
HOURLY = 3_600_000
MIN_BASELINE_WINDOW_MS = 24 * HOURLY

# Keeps the finite samples of an instant vector: NaN compares false with everything, ±Inf fails one side.
FINITE_SAMPLES_ONLY = "> -Inf < +Inf"


def _above_one(value: float) -> float:
    if not (math.isfinite(value) and value > 1):
        raise ValueError(f"must be a finite number above 1 (the error as a multiple of its baseline), got {value:g}")
    return value


DriftFactor = Annotated[float, AfterValidator(_above_one)]


def _a_day_or_more(text: str) -> str:
    if window_ms(text) < MIN_BASELINE_WINDOW_MS:
        raise ValueError(f"must be at least 1d (a baseline of hourly means over whole days), got {text!r}")
    return text


BaselineWindow = Annotated[Window, AfterValidator(_a_day_or_more)]


class Params(KindParams):
    """Parameters of `model_quality` (see the module docstring for the defaults' reasons)."""

    metric: MetricName
    higher_is_better: bool = False
    threshold: NonNegativeFloat | None = None
    drift_factor: DriftFactor = 1.5
    baseline_window: BaselineWindow = "7d"
    by: LabelNames = ["model"]
    selector: Matchers = ""


def _max_by(labels: list[str], inner: str) -> str:
    return f"max by ({', '.join(labels)}) ({inner})" if labels else f"max ({inner})"


def build(alert: Alert, params: Params) -> KindRules:
    """Record the error and its baseline; alert when the error is over the threshold or drifted."""
    baseline_window = window_suffix(window_ms(params.baseline_window))
    gauge = selector(params.metric, params.selector)
    error_expr = _max_by(params.by, f"1 - {gauge}" if params.higher_is_better else gauge)
    operation = "error" if not params.higher_is_better else "one_minus"
    error_name = recording_rule_name(params.by, params.metric, operation, alert.group)
    hour = window_suffix(HOURLY)
    hourly_name = recording_rule_name(params.by, params.metric, f"{operation}_avg_over_time{hour}", alert.group)
    baseline_name = recording_rule_name(
        params.by, params.metric, f"{operation}_avg_over_time{baseline_window}", alert.group
    )
    drift = f"{error_name} > {number(params.drift_factor)} * {baseline_name}"
    conditions = ([f"{error_name} > {number(params.threshold)}"] if params.threshold is not None else []) + [drift]
    return KindRules(
        recording_rules=[
            RecordingRule(error_name, f"{error_expr} {FINITE_SAMPLES_ONLY}"),
            RecordingRule(hourly_name, f"avg_over_time({error_name}[{hour}])"),
            RecordingRule(baseline_name, f"avg_over_time({hourly_name}[{baseline_window}:{hour}])"),
        ],
        alert_expr=" or ".join(conditions),
        facts={
            "threshold": "none" if params.threshold is None else number(params.threshold),
            "drift_factor": number(params.drift_factor),
            "drift_percent": f"{(params.drift_factor - 1) * 100:g} %",
            "baseline_window": baseline_window,
            "error_series": error_name,
            "baseline_series": baseline_name,
        },
    )


KIND = Kind("model_quality", Params, build, default_layer="model")
