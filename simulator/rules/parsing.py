"""Rule expressions are parsed by the one PromQL 2.42 front door (common/promql), shared by the
loader, the dependency analysis and the query function."""

from __future__ import annotations

from common.promql.frontdoor import PromQLSyntaxError, parse_promql

__all__ = ["PromQLSyntaxError", "parse_expr"]


def parse_expr(expr: str):
    """The promql_parser tree of a 2.42 expression (memoized by the front door); raises
    PromQLSyntaxError (a ValueError whose text is promtool's "1:6: parse error: ...")."""
    return parse_promql(expr)
