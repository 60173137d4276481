"""`ctr_drop`: click-through rate now compared with the same window a day (or a week) earlier.

    ctr_now  = sum (rate(clicks[window]))           / sum (rate(impressions[window]))
    ctr_then = sum (rate(clicks[window] offset d))  / sum (rate(impressions[window] offset d))
    fires when ctr_now / ctr_then < ratio and impressions in the window (now and then) >= min_impressions

Comparing with the same hour of the previous day (or week) cancels the daily cycle of CTR, so evening lows
do not page. `offset` shifts the range selector's window back in time (promql/engine.go, the selector's
OriginalOffset), so both windows are computed at the same evaluation. Both sides read raw counters (`offset` on the range selector), so the alert works from the first
day the counters exist, without waiting for a day of recorded history. The flip side: a drop that lasts
longer than `compare_offset` resolves by itself once the earlier window also contains it (the drop has become
the reference); the runbook must treat a resolved CTR alert as unresolved until CTR is back.

Layer: business (default). CTR is the outcome the business buys: a drop may come from the model, the data
or the product, and it matters whatever the cause, so the alert is placed where its impact is.

Parameters and why their defaults:
- clicks_metric, impressions_metric (required): counters.
- window (1h): CTR of a few percent needs thousands of impressions per point; an hour of traffic keeps the
  ratio's random error near 1 % while a real drop still shows within two hours.
- compare_offset (1d): yesterday's same hour; use 1w for services with a strong weekly cycle.
- ratio (0.95): fire when CTR is below 95 % of the earlier value. The reference CTR is 5.1 %; a fall to 4.7 %
  (ratio 0.92) is caught, day-to-day noise of an hourly CTR (about ±2 %) is not.
- min_impressions (1000): impressions per window (on both sides) under which the ratio is too noisy.
- by ([]), selector (none): as for the other ratio kinds.
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
    summed_over_window,
    window_ms,
    with_traffic_guard,
)
from compiler.model import Alert, KindRules, RecordingRule
from compiler.naming import metric_base, recording_rule_name, window_suffix


class Params(KindParams):
    """Parameters of `ctr_drop` (see the module docstring for the defaults' reasons)."""

    clicks_metric: MetricName
    impressions_metric: MetricName
    window: Window = "1h"
    compare_offset: Window = "1d"
    ratio: Ratio = 0.95
    min_impressions: NonNegativeFloat = 1000.0
    by: LabelNames = []
    selector: Matchers = ""


def build(alert: Alert, params: Params) -> KindRules:
    """Record CTR now and CTR one offset earlier; alert when their ratio falls below `ratio`."""
    window = window_suffix(window_ms(params.window))
    offset = window_suffix(window_ms(params.compare_offset))
    clicks = selector(params.clicks_metric, params.selector)
    impressions = selector(params.impressions_metric, params.selector)
    ctr_base = f"{metric_base(params.clicks_metric)}_per_impression"
    now_name = recording_rule_name(params.by, ctr_base, f"ratio_rate{window}", alert.group)
    then_name = recording_rule_name(params.by, ctr_base, f"ratio_rate{window}_offset{offset}", alert.group)
    now_expr = ratio_of_summed_rates(params.by, clicks, impressions, window)
    then_expr = ratio_of_summed_rates(params.by, clicks, impressions, window, offset)
    alert_expr = f"{now_name} / {then_name} < {number(params.ratio)}"
    if params.min_impressions > 0:
        impressions_now = summed_over_window("increase", params.by, impressions, window)
        impressions_then = summed_over_window("increase", params.by, impressions, window, offset)
        alert_expr = with_traffic_guard(
            alert_expr, params.by, params.min_impressions, impressions_now, impressions_then
        )
    return KindRules(
        recording_rules=[RecordingRule(now_name, now_expr), RecordingRule(then_name, then_expr)],
        alert_expr=alert_expr,
        facts={
            "ratio": number(params.ratio),
            "drop_percent": f"{(1 - params.ratio) * 100:g} %",
            "window": window,
            "compare_offset": offset,
            "ctr_now_series": now_name,
            "ctr_then_series": then_name,
            "min_impressions": number(params.min_impressions),
        },
    )


KIND = Kind("ctr_drop", Params, build, default_layer="business")
