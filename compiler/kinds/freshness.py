"""`freshness`: the time since a pipeline last succeeded, from its timestamp gauge, is above a budget.

    age   = time() - max by (...) (max_over_time(<metric>{selector}[lookback]))
    fires when age > budget
          or absent_over_time(<metric>{selector}[lookback]) * +Inf     # the gauge is missing: age unknown

The gauge holds the Unix time (seconds) of the pipeline's last successful run, set by the job when it
succeeds (the `*_last_success_timestamp_seconds` convention of batch jobs and the Pushgateway).

Why `max_over_time(...[lookback])` rather than the gauge itself: the last success is a fact that outlives the
process that reported it. When the exporter restarts, an in-process gauge starts again at 0, or is not exported
at all until the job's next success (a labelled gauge has no series before its first `set`), and a scrape gap or
a target that is down makes the series absent, at once behind a stale marker (promql/engine.go: a stale newest
sample hides the series). Reading the gauge alone would page with an age of 56 years after every restart (0 is
1970), or fall silent while the target is down. The maximum over the lookback keeps the last success known
through all of these, since a range drops stale markers and the largest timestamp is the latest success. A
job restarting does not page; a job that really stopped succeeding does, at the same moment as without the
restart.

Why `absent_over_time(...[lookback])` rather than `absent(...)`: `absent` is 1 one evaluation after a stale
marker, so every exporter restart or failed scrape would make the "missing" branch pending (and fire, with a
short `for`). `absent_over_time` over the same lookback is 1 exactly when the age branch has nothing left to
compute from: no sample at all for the whole lookback, so the last success is unknown. The two branches hand
over: a gauge that disappears keeps its age (growing, and firing once it passes the budget) for the lookback,
then is reported missing. A gauge that never existed (a renamed metric, a job never deployed) is reported
missing from the first evaluation. Its sample carries only the selector's equality labels, and the value +Inf
(1 × +Inf): the age of a success nobody knows of, so `$value` is an age in seconds in both branches.

Limit: when several series match and only one disappears, the others keep `absent_over_time` empty; the missing
one is still reported by its age for the lookback after it vanished, then no longer. Give a pipeline that must
never silently vanish its own alert (a selector naming it).

Layer: data (default). A stale pipeline serves old data while every system stays healthy.

Parameters and why their defaults:
- metric (required): the timestamp gauge, in seconds since the epoch.
- budget (required): the oldest last success that is still fine. It depends on the schedule, so no default
  fits: a job running every `every` is fine up to `every` plus its run time; budget = 2 × every tolerates one
  failed run and pages on the second.
- lookback (2 × budget): how long the last success is remembered through restarts and gaps, and how long the
  gauge must be missing to count as missing. It must be longer than the budget, or a pipeline whose gauge
  disappeared right after its last success would fall out of the lookback before its age passed the budget.
- by ([pipeline]): the labels the age is computed per. Not [], unlike the ratio kinds: with several pipelines,
  `max` over all of them is the freshest one's timestamp, and one healthy pipeline would hide every stale one.
- selector (none): label matchers on the gauge.
"""

from __future__ import annotations

from pydantic import ValidationInfo, field_validator

from compiler.kinds.base import (
    Kind,
    KindParams,
    LabelNames,
    Matchers,
    MetricName,
    Window,
    number,
    selector,
    window_ms,
)
from compiler.model import Alert, KindRules, RecordingRule
from compiler.naming import recording_rule_name, window_suffix

# lookback = this × budget unless given (see the module docstring).
DEFAULT_LOOKBACK_BUDGETS = 2
MS_PER_SECOND = 1000
# The value of the "missing" branch: absent_over_time's 1 times this, so every sample of the alert is an age in
# seconds, and an unknown last success reads as infinitely old (Prometheus's humanizeDuration prints +Inf).
UNKNOWN_AGE = "+Inf"


class Params(KindParams):
    """Parameters of `freshness` (see the module docstring for the defaults' reasons)."""

    metric: MetricName
    budget: Window
    lookback: Window | None = None
    by: LabelNames = ["pipeline"]
    selector: Matchers = ""

    @field_validator("lookback")
    @classmethod
    def _longer_than_the_budget(cls, lookback: str | None, info: ValidationInfo) -> str | None:
        budget = info.data.get("budget")
        if lookback is not None and budget is not None and window_ms(lookback) <= window_ms(budget):
            raise ValueError(
                f"lookback {lookback} must be longer than the budget {budget}, or a gauge that disappeared "
                "would be forgotten before it is stale"
            )
        return lookback


def lookback_ms(params: Params) -> int:
    """The lookback in milliseconds: as given, or DEFAULT_LOOKBACK_BUDGETS × budget."""
    if params.lookback is not None:
        return window_ms(params.lookback)
    return DEFAULT_LOOKBACK_BUDGETS * window_ms(params.budget)


def max_by(labels: list[str], inner: str) -> str:
    """`max by (a, b) (inner)`, or `max (inner)` when no label is kept."""
    return f"max by ({', '.join(labels)}) ({inner})" if labels else f"max ({inner})"


def build(alert: Alert, params: Params) -> KindRules:
    """Record the age of the last success; alert when it is over budget or the gauge is missing."""
    lookback = window_suffix(lookback_ms(params))
    budget_seconds = number(window_ms(params.budget) / MS_PER_SECOND)
    gauge = selector(params.metric, params.selector)
    age_name = recording_rule_name(params.by, params.metric, f"age_max_over_time{lookback}", alert.group)
    last_success = max_by(params.by, f"max_over_time({gauge}[{lookback}])")
    missing = f"absent_over_time({gauge}[{lookback}]) * {UNKNOWN_AGE}"
    return KindRules(
        recording_rules=[RecordingRule(age_name, f"time() - {last_success}")],
        alert_expr=f"{age_name} > {budget_seconds} or {missing}",
        facts={
            "budget": window_suffix(window_ms(params.budget)),
            "budget_seconds": budget_seconds,
            "lookback": lookback,
            "age_series": age_name,
            "missing_expr": missing,
        },
    )


KIND = Kind("freshness", Params, build, default_layer="data")
