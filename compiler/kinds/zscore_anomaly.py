"""`zscore_anomaly`: a value far from its own recent history, in standard deviations.

    z = (x − avg_over_time(x[window])) / stddev_over_time(x[window])
    fires when |z| > threshold (or only above / below, by `direction`)

This is the rolling detector of the on-call exercise. The `_over_time` functions need a stored series, so an
input that is not a plain series selector (a ratio of rates, say) is recorded first under `record`.
stddev_over_time is the population standard deviation of the window's samples, current sample included
(promql/functions.go funcStddevOverTime), so a window of n samples bounds |z| by sqrt(n − 1): no early
false alarms while the window is still filling. A perfectly flat input has stddev 0: z is then NaN (0/0), which compares false, or ±Inf for any change
(x/0), which fires; that is the detector's nature and is why it suits noisy signals.

The recorded input keeps finite samples only (`(expr) > -Inf < +Inf`; a comparison without `bool` drops the
samples where it is false, and every comparison with NaN is false). Why: a ratio such as a mean score,
rate(sum) / rate(count), is 0/0 = NaN at any evaluation without traffic, and a single NaN sample in the window
makes avg_over_time and stddev_over_time NaN for as long as it stays in the window (their running sums absorb
it: promql/functions.go funcAvgOverTime, funcStddevOverTime), so z is NaN and the alert is blind for a whole
`window` (two days by default) after a minute without traffic. An absent sample is simply skipped by the
`_over_time` functions, so the detector works again as soon as traffic returns; during the gap the alert has
no value (an outage is for the traffic alerts to report). ±Inf (x/0 with x ≠ 0) would blind the window the
same way (Inf − Inf = NaN) and is dropped too. A plain selector input is read as stored, unfiltered.

Layer: no default, as for `raw`. The detector watches any expression (a model score, a latency, a count),
so only the definition knows which layer it is in; set `layer:` there (ModelScoreAnomaly: model).

Parameters and why their defaults:
- expr (required): the watched instant vector (a selector, or any expression when `record` is given).
- record (required unless expr is a plain selector): the recording-rule name for expr, `level:metric:ops`.
- window (48h): two full daily cycles, so the mean and spread include both day and night.
- threshold (5): |z| > 5 is roughly one-in-a-few-million for Gaussian noise per evaluation; fortnights of
  minutely evaluations with a `for` then stay quiet, while a real shift of the signal stands out.
- direction ("both"): "above" or "below" watch one side only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from compiler.kinds.base import (
    InstantVectorExpr,
    Kind,
    KindParams,
    MetricName,
    PositiveFloat,
    Window,
    number,
    window_ms,
)
from compiler.model import Alert, KindRules, RecordingRule
from compiler.naming import window_suffix
from compiler.promql import is_plain_selector

# Keeps the finite samples of an instant vector: NaN compares false with everything, ±Inf fails one side.
FINITE_SAMPLES_ONLY = "> -Inf < +Inf"


class Params(KindParams):
    """Parameters of `zscore_anomaly` (see the module docstring for the defaults' reasons)."""

    expr: InstantVectorExpr
    record: MetricName | None = None
    window: Window = "48h"
    threshold: PositiveFloat = 5.0
    direction: Literal["both", "above", "below"] = "both"

    @model_validator(mode="after")
    def _recorded_unless_selector(self) -> Params:
        if self.record is None and not _is_plain_selector(self.expr):
            raise ValueError("expr is not a plain series selector: name its recording rule with `record`")
        return self


def _is_plain_selector(expr: str) -> bool:
    return is_plain_selector(expr)


def build(alert: Alert, params: Params) -> KindRules:
    """Record the input when needed; alert on its z-score over the window."""
    window = window_suffix(window_ms(params.window))
    rules = [RecordingRule(params.record, f"({params.expr}) {FINITE_SAMPLES_ONLY}")] if params.record else []
    series = params.record or params.expr
    zscore = f"({series} - avg_over_time({series}[{window}])) / stddev_over_time({series}[{window}])"
    threshold = number(params.threshold)
    alert_expr = {
        "both": f"abs({zscore}) > {threshold}",
        "above": f"{zscore} > {threshold}",
        "below": f"{zscore} < -{threshold}",
    }[params.direction]
    return KindRules(
        recording_rules=rules,
        alert_expr=alert_expr,
        facts={"window": window, "threshold": threshold, "zscore": zscore, "series": series},
    )


KIND = Kind("zscore_anomaly", Params, build, expression_params=("expr",))
