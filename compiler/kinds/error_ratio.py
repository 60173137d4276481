"""`error_ratio`: the share of requests that failed, errors / total over a window, above a threshold.

    ratio    = sum by (...) (rate(<metric>{selector, errors}[window])) / sum by (...) (rate(<metric>{selector}[window]))
    requests = sum by (...) (rate(<metric>{selector}[window]))
    fires when ratio > threshold and requests >= min_request_rate

Errors and total come from one counter: the errors are the series its `errors` matchers select (the HTTP
convention `code=~"5.."`, or `status="error"`, `grpc_code!="OK"`). Both sides are summed before dividing, so the
ratio is traffic-weighted. A window without any error series (a service that never failed since it started) has
no numerator: `sum` over nothing is nothing (promql/engine.go, an aggregation of an empty vector), so there is no
ratio and no alert, which is right: no errors is no error ratio to page on.

Layer: system (default). Failed requests are the serving system's health; when the requests succeed but carry
bad data, the data kinds speak.

Parameters and why their defaults:
- metric (required): a counter of requests (or operations, or jobs) with a label telling failures apart.
- errors (`code=~"5.."`): label matchers selecting the failed requests among the metric's series. Server errors
  only: a 4xx is usually the caller's mistake, and a client hammering with bad requests must not page the service.
  A label the matchers test may not be in `by` (every group would then be all errors or none).
- threshold (0.05): 5 % of requests failing. A healthy service fails well under 1 %; 5 % is far outside that
  noise and a visible outage for users, while a total outage (100 %) crosses it at the first evaluation whose
  window holds a few failed scrapes.
- window (5m): as for the other ratio kinds: five 1m evaluations smooth scrape jitter and Poisson noise of the
  error count, yet a step change crosses the threshold within a minute or two.
- min_request_rate (1 req/s): with 300 requests per 5m window, a 5 % threshold is 15 errors, seven standard
  deviations above the 3 expected at 1 % normal errors. At a few requests per minute (nights, a canary) one or
  two failures swing the ratio past any threshold; 0 disables the guard.
- by ([]), selector (none): as for the other ratio kinds.
"""

from __future__ import annotations

from pydantic import ValidationInfo, field_validator

from common.promql import ast
from common.promql.frontdoor import check_promql
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

# The HTTP convention: a 5xx status is the server's failure, a 4xx the caller's.
DEFAULT_ERRORS = 'code=~"5.."'


class Params(KindParams):
    """Parameters of `error_ratio` (see the module docstring for the defaults' reasons)."""

    metric: MetricName
    errors: Matchers = DEFAULT_ERRORS
    threshold: Ratio = 0.05
    window: Window = "5m"
    by: LabelNames = []
    selector: Matchers = ""
    min_request_rate: NonNegativeFloat = 1.0

    @field_validator("errors")
    @classmethod
    def _errors_not_empty(cls, errors: str) -> str:
        if not errors:
            raise ValueError(f"must select the failed requests, e.g. {DEFAULT_ERRORS}")
        return errors

    @field_validator("by")
    @classmethod
    def _by_keeps_no_error_label(cls, by: list[str], info: ValidationInfo) -> list[str]:
        tested = sorted(set(matcher_label_names(info.data.get("errors", ""))) & set(by))
        if tested:
            raise ValueError(
                f"keeps {', '.join(tested)}, which `errors` tests: every group would be all errors or none"
            )
        return by


def matcher_label_names(matchers: str) -> list[str]:
    """The label names tested by validated matcher text such as `code=~"5..", method="GET"`."""
    if not matchers:
        return []
    node = check_promql(f"up{{{matchers}}}")
    if not isinstance(node, ast.VectorSelector):  # not reached: validated matchers make a selector
        return []
    return [matcher.name for matcher in node.matchers if matcher.name != "__name__"]


def build(alert: Alert, params: Params) -> KindRules:
    """Record the request rate and the error ratio; alert when the ratio is high under real traffic."""
    window = window_suffix(window_ms(params.window))
    total = selector(params.metric, params.selector)
    errors = selector(params.metric, params.selector, params.errors)
    requests_name = recording_rule_name(params.by, metric_base(params.metric), f"rate{window}", alert.group)
    ratio_name = recording_rule_name(params.by, metric_base(params.metric), f"error_ratio_rate{window}", alert.group)
    alert_expr = f"{ratio_name} > {number(params.threshold)}"
    if params.min_request_rate > 0:
        alert_expr = with_traffic_guard(alert_expr, params.by, params.min_request_rate, requests_name)
    return KindRules(
        recording_rules=[
            RecordingRule(requests_name, summed_rate(params.by, total, window)),
            RecordingRule(ratio_name, ratio_of_summed_rates(params.by, errors, total, window)),
        ],
        alert_expr=alert_expr,
        facts={
            "threshold": number(params.threshold),
            "threshold_percent": f"{params.threshold * 100:g} %",
            "window": window,
            "errors": params.errors,
            "ratio_series": ratio_name,
            "requests_series": requests_name,
            "min_request_rate": number(params.min_request_rate),
        },
    )


KIND = Kind("error_ratio", Params, build, default_layer="system")
