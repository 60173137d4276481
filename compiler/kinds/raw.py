"""`raw`: a hand-written alerting expression, for what the other kinds do not cover.

Layer: no default; the expression can watch anything, so set `layer:` in the definition.

Parameters:
- expr (required): PromQL returning an instant vector; every series it returns is an alert instance.
  It is parsed like every emitted expression, so a syntax error is reported at its line.
"""

from __future__ import annotations

from compiler.kinds.base import InstantVectorExpr, Kind, KindParams
from compiler.model import Alert, KindRules


class Params(KindParams):
    """Parameters of `raw`."""

    expr: InstantVectorExpr


def build(alert: Alert, params: Params) -> KindRules:
    """The expression as written; no recording rules."""
    return KindRules(recording_rules=[], alert_expr=params.expr, facts={})


KIND = Kind("raw", Params, build, expression_params=("expr",))
