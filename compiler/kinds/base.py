"""What every kind shares: the parameter base class, parameter types with clear range errors, and selectors.

A kind is one module with a `KIND = Kind(name, Params, build)`; `build(alert, params)` returns KindRules and
never fails: everything that can be wrong is caught by `Params` validation first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from common.durations import parse_duration
from compiler.model import Alert, KindRules
from compiler.naming import METRIC_NAME_PATTERN, label_name_problem
from compiler.promql import instant_vector_problem, matchers_problem
from compiler.spec import valid_duration_text


class KindParams(BaseModel):
    """Base of every kind's parameters: unknown keys are errors, no silent coercion of types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


@dataclass(frozen=True)
class Kind:
    """A kind of alert: its name (the `kind:` value and the `kind` label), parameters and generator."""

    name: str
    params: type[KindParams]
    build: Callable[[Alert, Any], KindRules]  # takes this kind's own `params` type, validated
    # Parameters holding hand-written PromQL: the compile warns when one reads another group's recording rule.
    expression_params: tuple[str, ...] = ()
    # The `layer` label (compiler.naming.LAYERS) of its alerts unless the definition sets `layer:`; None: the
    # kind watches anything (raw), so only the definition can say which layer.
    default_layer: str | None = None


def _ratio(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"ratio must be within [0, 1], got {value:g}")
    return value


def _open_unit(value: float) -> float:
    if not 0.0 < value < 1.0:
        raise ValueError(f"must be within (0, 1) exclusive, got {value:g}")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value}")
    return value


def _positive(value: float) -> float:
    _finite(value)
    if not value > 0:
        raise ValueError(f"must be greater than 0, got {value:g}")
    return value


def _non_negative(value: float) -> float:
    _finite(value)
    if not value >= 0:
        raise ValueError(f"must be 0 or more, got {value:g}")
    return value


def _window(value: object) -> str:
    text = valid_duration_text(value)
    if parse_duration(text) <= 0:
        raise ValueError(f"window must be longer than 0, got {text!r}")
    return text


def _metric_name(name: str) -> str:
    if not METRIC_NAME_PATTERN.match(name):
        raise ValueError(f"invalid metric name {name!r}: must match [a-zA-Z_:][a-zA-Z0-9_:]*")
    return name


def _label_names(names: list[str]) -> list[str]:
    for name in names:
        problem = label_name_problem(name)
        if problem:
            raise ValueError(problem)
    if len(set(names)) != len(names):
        raise ValueError(f"label names repeat: {names}")
    return names


def _label_name(name: str) -> str:
    return _label_names([name])[0]


def _instant_vector_expr(expr: str) -> str:
    problem = instant_vector_problem(expr)
    if problem:
        raise problem
    return expr.strip()


def _selector(text: str) -> str:
    problem = matchers_problem(text) if text.strip() else None
    if problem:
        raise ValueError(f"invalid label matchers {text!r}: {problem}")
    return text.strip()


Ratio = Annotated[float, AfterValidator(_ratio)]
OpenUnitInterval = Annotated[float, AfterValidator(_open_unit)]
PositiveFloat = Annotated[float, AfterValidator(_positive)]
NonNegativeFloat = Annotated[float, AfterValidator(_non_negative)]
Window = Annotated[str, BeforeValidator(_window)]
MetricName = Annotated[str, AfterValidator(_metric_name)]
LabelNames = Annotated[list[str], AfterValidator(_label_names)]
LabelName = Annotated[str, AfterValidator(_label_name)]
Matchers = Annotated[str, AfterValidator(_selector)]
InstantVectorExpr = Annotated[str, AfterValidator(_instant_vector_expr)]


def quote_label_value(value: str) -> str:
    """A PromQL double-quoted string literal for a label value."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def regex_alternatives(values: list[str]) -> str:
    """A PromQL regex literal matching exactly these values (RE2 metacharacters escaped)."""
    return quote_label_value("|".join(re.escape(value) for value in values))


def selector(metric: str, matchers: str, *extra: str) -> str:
    """`metric{matchers,extra...}`; `matchers` is validated user text like `service="ranker"`."""
    parts = [part for part in (matchers, *extra) if part]
    return f"{metric}{{{','.join(parts)}}}" if parts else metric


def sum_by(labels: list[str], inner: str) -> str:
    """`sum by (a, b) (inner)`, or `sum (inner)` when no label is kept."""
    return f"sum by ({', '.join(labels)}) ({inner})" if labels else f"sum ({inner})"


def on_clause(labels: list[str]) -> str:
    """`on (a, b)` for vector matching on exactly the aggregation labels.

    Guards are joined with `and`, which keeps the left-hand samples and their values (promql/engine.go
    VectorAnd), so the alert's `$value` stays the ratio or quantile, not the guard's traffic figure.
    """
    return f"on ({', '.join(labels)})"


def number(value: float) -> str:
    """A float as PromQL text: shortest repr that round-trips, no exponent surprises for integers."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def window_ms(text: str) -> int:
    """A validated window in milliseconds."""
    return parse_duration(text)


def summed_over_window(function: str, by: list[str], series: str, window: str, offset: str = "") -> str:
    """`sum by (by) (function(series[window]))`, the window shifted back by `offset` when given.

    `offset` goes on the range selector itself, so the earlier window is read from raw samples at the same
    evaluation (promql/engine.go, the selector's OriginalOffset).
    """
    shift = f" offset {offset}" if offset else ""
    return sum_by(by, f"{function}({series}[{window}]{shift})")


def summed_rate(by: list[str], series: str, window: str, offset: str = "") -> str:
    """`sum by (by) (rate(series[window]))`, optionally `offset`: the per-second rate summed per group."""
    return summed_over_window("rate", by, series, window, offset)


def ratio_of_summed_rates(by: list[str], numerator: str, denominator: str, window: str, offset: str = "") -> str:
    """`sum by (by) (rate(numerator[window])) / sum by (by) (rate(denominator[window]))`.

    Both sides are summed before dividing, so the ratio is traffic-weighted across the summed series rather than
    an average of per-series ratios.
    """
    return f"{summed_rate(by, numerator, window, offset)} / {summed_rate(by, denominator, window, offset)}"


def with_traffic_guard(alert_expr: str, by: list[str], minimum: float, *traffic_exprs: str) -> str:
    """`(alert_expr) and on (by) (traffic >= minimum)` for each traffic expression, in order.

    `and` keeps the alert's own samples (see on_clause), so the guard silences low-traffic groups without
    changing `$value`.
    """
    on = on_clause(by)
    guards = "".join(f" and {on} ({traffic} >= {number(minimum)})" for traffic in traffic_exprs)
    return f"({alert_expr}){guards}"
