"""`raw`: a hand-written alerting expression, for what the other kinds do not cover.

Parameters:
- expr (required): PromQL returning an instant vector; every series it returns is an alert instance.
  It is parsed like every emitted expression, so a syntax error is reported at its line.
"""

from __future__ import annotations

from pydantic import field_validator

from compiler.kinds.base import Kind, KindParams
from compiler.model import Alert, KindRules
from compiler.promql import instant_vector_problem


class Params(KindParams):
    """Parameters of `raw`."""

    expr: str

    @field_validator("expr")
    @classmethod
    def _parses(cls, expr: str) -> str:
        problem = instant_vector_problem(expr)
        if problem:
            raise ValueError(problem)
        return expr.strip()


def build(alert: Alert, params: Params) -> KindRules:
    """The expression as written; no recording rules."""
    return KindRules(recording_rules=[], alert_expr=params.expr, facts={})


KIND = Kind("raw", Params, build)
