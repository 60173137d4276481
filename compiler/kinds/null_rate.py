"""`null_rate`: the share of feature lookups that returned null, per feature, above a threshold.

    ratio = sum by (feature) (rate(nulls[window])) / sum by (feature) (rate(lookups[window]))
    fires when ratio > threshold (and, with a guard, lookups/s >= min_lookup_rate)

Layer: data (default). Null feature values are a data problem: the lookups succeed, the data behind them is missing.

Parameters and why their defaults:
- nulls_metric, lookups_metric (required): counters of null results and of all lookups, labelled by feature.
- selector: label matchers applied to both counters, e.g. `service="ranker"` (default: none).
- by: labels the ratio is computed per; default [feature] so one broken feature is not averaged away.
- window (5m): the rate window; five times a 1m evaluation interval smooths scrape jitter yet a step change
  crosses the threshold within about a minute.
- threshold (0.01): 1 % nulls, five times the reference service's normal 0.2 %, far outside its noise, while a
  broken feature (several % nulls) crosses it at once.
- min_lookup_rate (0 = no guard): lookups per second below which the ratio is too noisy to page on.
"""

from __future__ import annotations

from compiler.kinds.base import (
    Kind,
    KindParams,
    LabelNames,
    Matchers,
    MetricName,
    NonNegativeFloat,
    Ratio,
    Window,
    number,
    ratio_of_summed_rates,
    selector,
    summed_rate,
    window_ms,
    with_traffic_guard,
)
from compiler.model import Alert, KindRules, RecordingRule
from compiler.naming import metric_base, recording_rule_name, window_suffix


class Params(KindParams):
    """Parameters of `null_rate` (see the module docstring for the defaults' reasons)."""

    nulls_metric: MetricName
    lookups_metric: MetricName
    selector: Matchers = ""
    by: LabelNames = ["feature"]
    window: Window = "5m"
    threshold: Ratio = 0.01
    min_lookup_rate: NonNegativeFloat = 0.0


def build(alert: Alert, params: Params) -> KindRules:
    """One recording rule for the null ratio, and the alert comparing it with the threshold."""
    window = window_suffix(window_ms(params.window))
    nulls = selector(params.nulls_metric, params.selector)
    lookups = selector(params.lookups_metric, params.selector)
    ratio_name = recording_rule_name(
        params.by, f"{metric_base(params.nulls_metric)}_per_lookup", f"ratio_rate{window}", alert.group
    )
    alert_expr = f"{ratio_name} > {number(params.threshold)}"
    if params.min_lookup_rate > 0:
        alert_expr = with_traffic_guard(
            alert_expr, params.by, params.min_lookup_rate, summed_rate(params.by, lookups, window)
        )
    return KindRules(
        recording_rules=[RecordingRule(ratio_name, ratio_of_summed_rates(params.by, nulls, lookups, window))],
        alert_expr=alert_expr,
        facts={
            "threshold": number(params.threshold),
            "threshold_percent": f"{params.threshold * 100:g} %",
            "window": window,
            "ratio_series": ratio_name,
        },
    )


KIND = Kind("null_rate", Params, build, default_layer="data")
