"""One parse per distinct expression text, shared by the loader, the dependency analysis and
the query function (parsing is a large share of the cost of a promtool test group)."""

from __future__ import annotations

from functools import lru_cache

import promql_parser


@lru_cache(maxsize=16384)
def parse_expr(expr: str):
    """promql_parser.parse, memoized; raises ValueError on a syntax error (not cached)."""
    return promql_parser.parse(expr)
