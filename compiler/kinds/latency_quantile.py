"""`latency_quantile`: a latency quantile from a classic histogram above a threshold.

    buckets  = sum by (le, by...) (rate(<metric>_bucket[window]))
    quantile = histogram_quantile(q, buckets)
    fires when quantile > threshold (and, with a guard, requests/s >= min_request_rate)

The bucket rates are recorded first (they are also what dashboards plot), then the quantile. `le` must survive
the aggregation: histogram_quantile needs every bucket of a series (promql/quantile.go, bucketQuantile).

Layer: system (default). Latency is the serving system's health, whatever the data or the model do.

Parameters and why their defaults:
- metric (required): the histogram's base name, e.g. `ranker_request_duration_seconds` (`_bucket`, `_count`).
- quantile (0.99): p99 is what users of a ranking service feel at the tail; must lie in (0, 1).
- threshold (required, in the histogram's unit, seconds): no default can fit every service. For the reference
  ranker (p99 95 ms ± 12 ms over the day) 0.2 s is twice the normal level, and a bucket boundary, so linear
  interpolation inside a bucket cannot make it flap.
- window (5m), by ([]), selector (none): as for the other ratio kinds.
- min_request_rate (0 = no guard): requests per second (from `<metric>_count`) below which a quantile of a
  handful of requests is not worth paging.
"""

from __future__ import annotations

from pydantic import field_validator

from compiler.kinds.base import (
    Kind,
    KindParams,
    LabelNames,
    Matchers,
    MetricName,
    NonNegativeFloat,
    OpenUnitInterval,
    PositiveFloat,
    Window,
    number,
    selector,
    summed_rate,
    window_ms,
    with_traffic_guard,
)
from compiler.model import Alert, KindRules, RecordingRule
from compiler.naming import recording_rule_name, window_suffix


class Params(KindParams):
    """Parameters of `latency_quantile` (see the module docstring for the defaults' reasons)."""

    metric: MetricName
    threshold: PositiveFloat
    quantile: OpenUnitInterval = 0.99
    window: Window = "5m"
    by: LabelNames = []
    selector: Matchers = ""
    min_request_rate: NonNegativeFloat = 0.0

    @field_validator("by")
    @classmethod
    def _le_is_implicit(cls, by: list[str]) -> list[str]:
        if "le" in by:
            raise ValueError("`le` is kept by the kind itself; list only the other labels")
        return by


def quantile_label(quantile: float) -> str:
    """`p99` for 0.99, `p99_9` for 0.999, `p50` for 0.5: the quantile as recording-rule names spell it."""
    return "p" + f"{quantile * 100:.10g}".replace(".", "_")


def build(alert: Alert, params: Params) -> KindRules:
    """Record the bucket rates and the quantile; alert when the quantile exceeds the threshold."""
    window = window_suffix(window_ms(params.window))
    buckets_name = recording_rule_name(params.by + ["le"], f"{params.metric}_bucket", f"rate{window}", alert.group)
    quantile_name = recording_rule_name(
        params.by, params.metric, f"{quantile_label(params.quantile)}_rate{window}", alert.group
    )
    buckets_expr = summed_rate(params.by + ["le"], selector(params.metric + "_bucket", params.selector), window)
    quantile_expr = f"histogram_quantile({number(params.quantile)}, {buckets_name})"
    alert_expr = f"{quantile_name} > {number(params.threshold)}"
    if params.min_request_rate > 0:
        requests = summed_rate(params.by, selector(params.metric + "_count", params.selector), window)
        alert_expr = with_traffic_guard(alert_expr, params.by, params.min_request_rate, requests)
    return KindRules(
        recording_rules=[RecordingRule(buckets_name, buckets_expr), RecordingRule(quantile_name, quantile_expr)],
        alert_expr=alert_expr,
        facts={
            "quantile": number(params.quantile),
            "quantile_label": quantile_label(params.quantile),
            "threshold": number(params.threshold),
            "threshold_ms": f"{params.threshold * 1000:g} ms",
            "window": window,
            "quantile_series": quantile_name,
            "min_request_rate": number(params.min_request_rate),
        },
    )


KIND = Kind("latency_quantile", Params, build, default_layer="system")
