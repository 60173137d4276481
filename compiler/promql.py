"""PromQL checks: every expression the compiler emits or accepts is parsed with promql-parser."""

from __future__ import annotations

import promql_parser

# Node types whose value is not an instant vector (or scalar) and so cannot be a rule's expression.
_NOT_INSTANT = (promql_parser.MatrixSelector, promql_parser.SubqueryExpr, promql_parser.StringLiteral)


def syntax_problem(expr: str) -> str | None:
    """The parser's complaint about `expr`, or None when it parses."""
    try:
        promql_parser.parse(expr)
    except ValueError as error:
        return f"PromQL syntax error: {error}"
    return None


def instant_vector_problem(expr: str) -> str | None:
    """Why `expr` cannot be a rule expression (syntax error, or a range/string value), or None."""
    if not expr.strip():
        return "PromQL expression must not be empty"
    problem = syntax_problem(expr)
    if problem:
        return problem
    node = promql_parser.parse(expr)
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    if isinstance(node, _NOT_INSTANT):
        return "PromQL expression must return an instant vector, not a range vector or string"
    return None
