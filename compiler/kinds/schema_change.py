"""`schema_change`: a schema-hash gauge changed within a window.

    changes = sum by (...) (changes(<metric>{selector}[window]))
    fires when changes > 0                   # $value: how many changes the window saw

The gauge holds a hash of a table's (or a topic's, an API's) schema, exported as a number by the job that reads
it. Any change of the value is a schema change; the alert is active for `window` after it (then resolves by
itself: it is a notice that a change happened, for the consumers to check, not a condition to repair).

Why `changes()` rather than `x != x offset window`:
- `changes` counts every change between consecutive samples in the window, so a change that is reverted within
  the window (A → B → A, a bad migration rolled back) is still seen; the offset comparison sees A = A.
- the offset comparison needs a sample both now and one window ago (within the 5m lookback): it is blind for
  a window after a new series appears, and after any scrape gap at either end. `changes` needs two samples
  anywhere in the window, and a range drops stale markers (promql/engine.go), so a scrape gap or an exporter
  restart that exports the same hash again is no change, while a hash that differs after the gap is one.
- `changes` treats two NaN samples as equal (promql/functions.go funcChanges), so a gauge that is NaN while the
  schema is unknown does not flap; NaN → hash and hash → NaN are changes (export nothing rather than NaN).

Exactness of hashes as floats: Prometheus stores float64 and `changes` compares with `!=`, so two different
hashes are told apart exactly when their float64 values differ. A float64 holds every integer up to 2^53
exactly; a 64-bit hash is rounded to 53 significant bits, so two hashes differing only in their low 11 bits
compare equal and that change is missed. Export the hash truncated to at most 53 bits (e.g. the first 13 hex
digits of a SHA-256 = 52 bits, or a CRC32): every value is then exact, in the exposition format's text too
(client libraries write the shortest decimal that reads back as the same float64).

What is not a change: a new series (its first sample has nothing to differ from), a series that disappears.

Layer: data (default). A schema change is a change of the data's contract; the systems reading it keep running.

Parameters and why their defaults:
- metric (required): the schema-hash gauge.
- window (1h): how long the alert stays active after a change: long enough for the notification to be delivered
  through Alertmanager's group_wait and group_interval (and an Alertmanager restart) and seen in the alert list,
  short enough that a second change an hour later is a new alert. Detection does not depend on it: a change
  counts from the first evaluation after the new hash is scraped.
- by ([]): labels kept, e.g. [dataset, table] to name the changed table in the alert; [] counts every change
  of every matched series together.
- selector (none): label matchers on the gauge.
"""

from __future__ import annotations

from compiler.kinds.base import (
    Kind,
    KindParams,
    LabelNames,
    Matchers,
    MetricName,
    Window,
    selector,
    summed_over_window,
    window_ms,
)
from compiler.model import Alert, KindRules, RecordingRule
from compiler.naming import recording_rule_name, window_suffix


class Params(KindParams):
    """Parameters of `schema_change` (see the module docstring for the defaults' reasons)."""

    metric: MetricName
    window: Window = "1h"
    by: LabelNames = []
    selector: Matchers = ""


def build(alert: Alert, params: Params) -> KindRules:
    """Record the number of hash changes in the window; alert while it is above 0."""
    window = window_suffix(window_ms(params.window))
    gauge = selector(params.metric, params.selector)
    changes_name = recording_rule_name(params.by, params.metric, f"changes{window}", alert.group)
    return KindRules(
        recording_rules=[RecordingRule(changes_name, summed_over_window("changes", params.by, gauge, window))],
        alert_expr=f"{changes_name} > 0",
        facts={"window": window, "changes_series": changes_name},
    )


KIND = Kind("schema_change", Params, build, default_layer="data")
