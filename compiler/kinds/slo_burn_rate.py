"""`slo_burn_rate`: the SRE workbook's multi-window, multi-burn-rate alert on an SLO's error budget.

An SLO of `objective` % over `period` allows an error budget of b = 1 − objective/100 of the requests. The burn
rate is the error ratio in units of b: burning at 1× spends exactly the budget in one period, at 14.4× in
period/14.4 (50 h of 30 d). Each window pair (long, short, factor) fires when the error ratio over both windows
exceeds factor · b:

    ratio_w = sum by (by) (rate(errors[w])) / sum by (by) (rate(total[w]))          (errors/total SLI)
            = 1 − sum by (by) (rate(good[w])) / sum by (by) (rate(total[w]))          (good/total SLI)
    fires when (ratio_long1 > f1·b and ratio_short1 > f1·b) or (ratio_long2 > f2·b and ratio_short2 > f2·b) ...

The long window says enough budget was spent to matter: at detection at least factor · long / period of the
budget is gone (14.4 · 1h / 30d = 2 %). The short window says it is still being spent, so the alert resolves
minutes after the errors stop instead of an hour later (the workbook's "short window = 1/12 of the long one").
A total outage reaches the long window's threshold after factor · b · long (14.4 · 0.1 % · 1h = 51.84 s).

One definition is one alert: a `severity: page` definition takes the page pairs, any other severity the ticket
pairs, as Sloth's page and ticket alerts do. Both definitions of one SLO, in one file, share the ratios: each
window's ratio is one recording rule, `level:<slo>:error_ratio_rate<window>:<group>`, written once by the group.

Parameters and why their defaults:
- objective (required): the SLO in percent, within (0, 100): 99.9 means 99.9 % of requests succeed. A value of
  1 or less is refused: it is almost always a ratio (0.999) written where a percentage is meant.
- period (30d): the SLO period the budget is counted over; the workbook's and Sloth's default.
- total (required), and exactly one of errors or good: series selectors of counters, e.g.
  `ranker_responses_total{service="ranker"}` and `ranker_responses_total{service="ranker",code=~"5.."}`.
- by ([]): labels the SLO is kept per (one budget per service, say); every ratio keeps them.
- slo (the total counter's name without `_total`): the SLO's name in the recording rules; set it when two SLOs
  of one file count the same total (availability and latency of one service).
- windows (page: 14.4× over 1h & 5m, 6× over 6h & 30m; other severities: 3× over 1d & 2h, 1× over 3d & 6h): the
  workbook's table 5-8 (2 %, 5 %, 10 % and 10 % of a 30-day budget spent at detection). Each entry has `long`,
  `short` (shorter than long) and `factor`; entries go from the fastest burn to the slowest (long windows
  growing, factors falling), and factor · b must stay below 100 % (an error ratio cannot exceed it: such a
  pair could never fire).

Layer: system (default). An SLO on request success measures the service as its users see it; set `layer:
business` for an SLO on a business event (checkouts completed, say).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from common.durations import format_duration
from common.promql import ast
from common.promql.frontdoor import check_promql
from compiler.kinds.base import (
    InstantVectorExpr,
    Kind,
    KindParams,
    LabelNames,
    PositiveFloat,
    Window,
    ratio_of_summed_rates,
    window_ms,
)
from compiler.model import Alert, KindRules, RecordingRule
from compiler.naming import ALERT_NAME_PATTERN, metric_base, recording_rule_name, window_suffix

PAGE_SEVERITY = "page"  # compiler.spec.Severity: the pairs of a page, every other severity the ticket pairs

# The SRE workbook's recommended parameters (chapter 5, "Alerting on SLOs", table 5-8), for a 30-day period:
# (long window, short window, burn-rate factor). Sloth ships the same (internal/alert/windows/google-30d.yaml).
PAGE_WINDOWS = (("1h", "5m", 14.4), ("6h", "30m", 6.0))
TICKET_WINDOWS = (("1d", "2h", 3.0), ("3d", "6h", 1.0))


def _series_selector(expr: str) -> str:
    """A counter's vector selector with a written metric name, e.g. `requests_total{code=~"5.."}`."""
    node = check_promql(expr)
    if not isinstance(node, ast.VectorSelector) or not node.name or node.offset_ms or node.at is not None:
        raise ValueError(
            f'must be a series selector with a metric name, like requests_total{{code=~"5.."}}; got {expr!r}'
        )
    return expr


def _slo_name(name: str) -> str:
    if not ALERT_NAME_PATTERN.match(name):
        raise ValueError(f"invalid SLO name {name!r}: must match [a-zA-Z_][a-zA-Z0-9_]* (it goes into metric names)")
    return name


SeriesSelector = Annotated[InstantVectorExpr, AfterValidator(_series_selector)]
SloName = Annotated[str, AfterValidator(_slo_name)]


class BurnWindow(KindParams):
    """One window pair: fires when the error ratio over both windows exceeds factor × the error budget."""

    long: Window
    short: Window
    factor: PositiveFloat

    @model_validator(mode="after")
    def _short_is_shorter(self) -> BurnWindow:
        if window_ms(self.short) >= window_ms(self.long):
            raise ValueError(f"short window {self.short} must be shorter than the long window {self.long}")
        return self


def _objective(value: float) -> float:
    if not 0 < value < 100:
        raise ValueError(f"objective is a percentage within (0, 100) exclusive, like 99.9; got {value:g}")
    if value <= 1:
        raise ValueError(
            f"objective is a percentage: write 99.9 for 99.9 %; got {value:g}, which would allow "
            f"{100 - value:g} % of requests to fail"
        )
    return value


class Params(KindParams):
    """Parameters of `slo_burn_rate` (see the module docstring for the defaults' reasons).

    Fields are validated in this order; `windows` is checked against `objective` and `period` (and, left out,
    filled in from the alert's severity, which compiler.validation passes as validation context).
    """

    objective: Annotated[float, AfterValidator(_objective)]
    period: Window = "30d"
    total: SeriesSelector
    errors: SeriesSelector | None = None
    good: SeriesSelector | None = None
    by: LabelNames = []
    slo: SloName | None = None
    windows: list[BurnWindow] | None = Field(default=None, validate_default=True)

    @field_validator("windows")
    @classmethod
    def _windows_fit(cls, windows: list[BurnWindow] | None, info: ValidationInfo) -> list[BurnWindow]:
        written = windows is not None
        if windows is None:
            windows = default_windows((info.context or {}).get("severity"))
        elif not windows:
            raise ValueError("give at least one window pair, or leave `windows` out for the workbook's")
        objective, period = info.data.get("objective"), info.data.get("period")
        if objective is not None and period is not None:
            _check_windows(windows, error_budget(objective), window_ms(period), written)
        return windows

    @model_validator(mode="after")
    def _one_sli(self) -> Params:
        if (self.errors is None) == (self.good is None):
            which = "both" if self.errors is not None else "neither"
            raise ValueError(f"give the SLI as `errors` and `total`, or as `good` and `total`: got {which} of them")
        return self


def default_windows(severity: Any) -> list[BurnWindow]:
    """The workbook's pairs for an alert of this severity: page pairs for a page, ticket pairs otherwise."""
    table = PAGE_WINDOWS if severity == PAGE_SEVERITY else TICKET_WINDOWS
    return [BurnWindow(long=long, short=short, factor=factor) for long, short, factor in table]


def _check_windows(windows: list[BurnWindow], budget: Decimal, period_ms: int, written: bool) -> None:
    for index, window in enumerate(windows):
        pair = f"{window.factor:g}× over {window.long} and {window.short}"
        where = f"pair {index + 1} ({pair})" if written else f"the workbook's pair {pair} (the default)"
        if window_ms(window.long) > period_ms:
            raise ValueError(f"{where}: long window {window.long} is longer than the SLO period {_duration(period_ms)}")
        if threshold(window.factor, budget) >= 1:
            raise ValueError(
                f"{where}: factor {window.factor:g} × error budget {_percent(budget)} = "
                f"{_percent(threshold(window.factor, budget))}: an error ratio never exceeds 100 %, so this pair "
                f"could never fire; lower the factor or raise the objective"
            )
        if index:
            previous = windows[index - 1]
            if not (window_ms(window.long) > window_ms(previous.long) and window.factor < previous.factor):
                raise ValueError(
                    f"{where}: pairs go from the fastest burn to the slowest: each long window longer than the "
                    f"one before ({window.long} after {previous.long}) and each factor smaller "
                    f"({window.factor:g} after {previous.factor:g})"
                )


def error_budget(objective: float) -> Decimal:
    """1 − objective/100 in exact decimal arithmetic: 99.9 gives 0.001, not 0.0010000000000000009."""
    return (Decimal(100) - Decimal(repr(objective))) / Decimal(100)


def threshold(factor: float, budget: Decimal) -> Decimal:
    """The error ratio a pair fires above: factor × budget, exact in decimal (14.4 × 0.001 = 0.0144)."""
    return Decimal(repr(factor)) * budget


def _decimal_text(value: Decimal) -> str:
    """A decimal as PromQL number text, without exponent or trailing zeros."""
    return format(value.normalize(), "f")


def _percent(value: Decimal | float) -> str:
    return f"{float(value) * 100:.4g} %"


def _duration(ms: float) -> str:
    """A duration for people: whole seconds up to a minute (51.84 s), Prometheus notation above."""
    if ms < 60_000:
        return f"{ms / 1000:.4g} s"
    return format_duration(round(ms / 1000) * 1000)


def build(alert: Alert, params: Params) -> KindRules:
    """One recording rule per window (each pair's long and short), and the OR of the pairs' conditions."""
    windows = params.windows or default_windows(alert.severity)
    budget = error_budget(params.objective)
    slo = params.slo or metric_base(_metric_name(params.total))
    ratio_names: dict[str, str] = {}
    rules = []
    for length_ms in sorted({window_ms(w.long) for w in windows} | {window_ms(w.short) for w in windows}):
        suffix = window_suffix(length_ms)
        ratio_names[suffix] = recording_rule_name(params.by, slo, f"error_ratio_rate{suffix}", alert.group)
        rules.append(RecordingRule(ratio_names[suffix], _ratio_expr(params, suffix)))
    conditions = []
    for window in windows:
        limit = _decimal_text(threshold(window.factor, budget))
        long_name = ratio_names[window_suffix(window_ms(window.long))]
        short_name = ratio_names[window_suffix(window_ms(window.short))]
        conditions.append(f"({long_name} > {limit} and {short_name} > {limit})")
    return KindRules(recording_rules=rules, alert_expr=" or ".join(conditions), facts=_facts(alert, params, windows))


def _metric_name(series_selector: str) -> str:
    """The metric name a validated series selector names (_series_selector refuses one without)."""
    node = check_promql(series_selector)
    return node.name if isinstance(node, ast.VectorSelector) else ""


def _ratio_expr(params: Params, window: str) -> str:
    if params.errors is not None:
        return ratio_of_summed_rates(params.by, params.errors, params.total, window)
    assert params.good is not None  # exactly one of errors and good: Params._one_sli
    return f"1 - ({ratio_of_summed_rates(params.by, params.good, params.total, window)})"


def _facts(alert: Alert, params: Params, windows: list[BurnWindow]) -> dict[str, Any]:
    """What the runbook quotes: the budget, and per pair the budget spent and the time to detect an outage."""
    budget = error_budget(params.objective)
    period_ms = window_ms(params.period)
    budget_ms = float(budget) * period_ms  # a total outage spends the whole budget in this long
    pairs = []
    for window in windows:
        long_ms = window_ms(window.long)
        outage_ms = float(threshold(window.factor, budget)) * long_ms  # a total outage's time to cross it
        pairs.append(
            {
                "long": window.long,
                "short": window.short,
                "factor": f"{window.factor:g}",
                "threshold": _decimal_text(threshold(window.factor, budget)),
                "threshold_percent": _percent(threshold(window.factor, budget)),
                "budget_spent": _percent(window.factor * long_ms / period_ms),
                "exhausts_budget_in": _duration(period_ms / window.factor),
                "total_outage_detected_after": _duration(outage_ms),
                "total_outage_budget_spent": _percent((outage_ms + alert.for_ms) / budget_ms),
            }
        )
    fastest = pairs[0]
    return {
        "objective_percent": f"{params.objective:g} %",
        "error_budget_percent": _percent(budget),
        "period": params.period,
        "total_outage_budget_per_minute": _percent(60_000 / budget_ms),
        "budget_spent_at_detection": fastest["budget_spent"],
        "total_outage_detected_after": fastest["total_outage_detected_after"],
        "windows_text": "; ".join(
            f"{p['factor']}× over {p['long']} and {p['short']} (error ratio > {p['threshold_percent']}, "
            f"{p['budget_spent']} of the budget spent)"
            for p in pairs
        ),
        "windows": pairs,
    }


KIND = Kind("slo_burn_rate", Params, build, default_layer="system")
