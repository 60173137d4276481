"""`cache_hit_ratio`: hits / (hits + misses) of a cache below a threshold, with a minimum-traffic guard.

    ratio    = sum by (...) (rate(<metric>{result="hit"}[window]))
             / sum by (...) (rate(<metric>{result=~"hit|miss"}[window]))
    requests = sum by (...) (rate(<metric>{result=~"hit|miss"}[window]))
    fires when ratio < threshold and requests >= min_request_rate

hits + misses is summed inside one selector (`result=~"hit|miss"`) rather than as `hits + misses`: a binary `+`
drops every group where one side has no series (a cache that never missed yet; promql/engine.go VectorBinop
outputs only label sets found on both sides), the selector does not.

Layer: data (default). The feature cache is how the model reads its data; a cold or broken cache starves
the model of fresh features before any system symptom (its misses still succeed, from the slower store).

Parameters and why their defaults:
- metric (required): a counter of cache requests with a label telling hit from miss.
- result_label ("result"), hit_value ("hit"), miss_value ("miss"): that label and its values.
- threshold (0.85): the reference cache hits about 92 % of requests; 85 % is well below its daily and random
  variation yet a real degradation (hit ratio 0.67 after a bad deploy) crosses it within two minutes.
- window (5m), by ([]), selector (none): as for the other ratio kinds.
- min_request_rate (1 req/s): below it a few misses swing the ratio; 0 disables the guard.
"""

from __future__ import annotations

from compiler.kinds.base import (
    Kind,
    KindParams,
    LabelName,
    LabelNames,
    Matchers,
    MetricName,
    NonNegativeFloat,
    Ratio,
    Window,
    number,
    quote_label_value,
    ratio_of_summed_rates,
    regex_alternatives,
    selector,
    summed_rate,
    window_ms,
    with_traffic_guard,
)
from compiler.model import Alert, KindRules, RecordingRule
from compiler.naming import metric_base, recording_rule_name, window_suffix


class Params(KindParams):
    """Parameters of `cache_hit_ratio` (see the module docstring for the defaults' reasons)."""

    metric: MetricName
    result_label: LabelName = "result"
    hit_value: str = "hit"
    miss_value: str = "miss"
    threshold: Ratio = 0.85
    window: Window = "5m"
    by: LabelNames = []
    selector: Matchers = ""
    min_request_rate: NonNegativeFloat = 1.0


def build(alert: Alert, params: Params) -> KindRules:
    """Record the hit ratio and the request rate; alert when the ratio is low under real traffic."""
    window = window_suffix(window_ms(params.window))
    hits_selector = selector(
        params.metric, params.selector, f"{params.result_label}={quote_label_value(params.hit_value)}"
    )
    all_selector = selector(
        params.metric,
        params.selector,
        f"{params.result_label}=~{regex_alternatives([params.hit_value, params.miss_value])}",
    )
    requests_expr = summed_rate(params.by, all_selector, window)
    ratio_name = recording_rule_name(params.by, metric_base(params.metric), f"hit_ratio_rate{window}", alert.group)
    requests_name = recording_rule_name(params.by, metric_base(params.metric), f"rate{window}", alert.group)
    ratio_expr = ratio_of_summed_rates(params.by, hits_selector, all_selector, window)
    alert_expr = f"{ratio_name} < {number(params.threshold)}"
    if params.min_request_rate > 0:
        alert_expr = with_traffic_guard(alert_expr, params.by, params.min_request_rate, requests_name)
    return KindRules(
        recording_rules=[RecordingRule(requests_name, requests_expr), RecordingRule(ratio_name, ratio_expr)],
        alert_expr=alert_expr,
        facts={
            "threshold": number(params.threshold),
            "threshold_percent": f"{params.threshold * 100:g} %",
            "window": window,
            "ratio_series": ratio_name,
            "requests_series": requests_name,
            "min_request_rate": number(params.min_request_rate),
        },
    )


KIND = Kind("cache_hit_ratio", Params, build, default_layer="data")
