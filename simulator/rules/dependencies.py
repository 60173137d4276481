"""Which metric names a rule expression reads, to decide how rule outputs must be made visible.

rules/manager.go evaluates a group's rules in order at one timestamp, each rule's output
committed before the next rule runs. A rule that reads what a *later* rule writes therefore
sees that output only from the previous evaluation.
"""

from __future__ import annotations

from functools import lru_cache

from simulator.promql.model import METRIC_NAME

from .parsing import parse_expr

# A name set of None means "any metric name" (a selector without a fixed __name__).
NameSet = frozenset[str] | None


@lru_cache(maxsize=16384)
def metric_names_read(expr: str) -> NameSet:
    """Metric names the expression selects; None when some selector matches any name."""
    names: set[str] = set()
    for node in _expression_nodes(expr):
        if type(node).__name__ == "VectorSelector":
            name = selector_name(node)
            if name is None:
                return None
            names.add(name)
    return frozenset(names)


def _expression_nodes(expr: str):
    """Every node of the parsed expression, depth first; a MatrixSelector is given as its VectorSelector.

    Selectors are leaves (promql_parser's VectorSelector has no child expressions), so unwrapping the
    MatrixSelector loses nothing and lets callers treat `x` and `x[5m]` alike.
    """
    stack = [parse_expr(expr)]
    while stack:
        node = stack.pop()
        if type(node).__name__ == "MatrixSelector":
            node = node.vector_selector
        yield node
        for attribute in ("expr", "lhs", "rhs", "param"):
            child = getattr(node, attribute, None)
            if child is not None and not isinstance(child, (str, int, float)):
                stack.append(child)
        stack.extend(getattr(node, "args", None) or [])


def selector_name(selector) -> str | None:
    """The metric name a selector names (its name, or an equality matcher on __name__); None for any name."""
    if selector.name:
        return selector.name
    for matcher in selector.matchers.matchers:
        if matcher.name == METRIC_NAME and str(matcher.op) == "MatchOp.Equal":
            return matcher.value
    return None


def reads_any(read: NameSet, written: frozenset[str]) -> bool:
    """Whether a rule reading `read` can see any of the names in `written`."""
    if not written:
        return False
    return read is None or not read.isdisjoint(written)


@lru_cache(maxsize=16384)
def may_read_ahead(expr: str) -> bool:
    """Whether the expression can look past its evaluation time (a negative offset or @).

    Rules never see samples after their evaluation time: they do not exist yet on a server,
    and promtool loads input samples only up to each evaluation timestamp
    (promql/test.go LazyLoader.WithSamplesTill). Only these modifiers can reach them.
    """
    for node in _expression_nodes(expr):
        if type(node).__name__ in ("VectorSelector", "SubqueryExpr"):
            if getattr(node, "at", None) is not None:
                return True
            offset = getattr(node, "offset", None)
            if offset is not None and offset.total_seconds() < 0:
                return True
    return False


@lru_cache(maxsize=16384)
def has_subquery(expr: str) -> bool:
    """Whether the expression contains a subquery (expr[range:step])."""
    return any(type(node).__name__ == "SubqueryExpr" for node in _expression_nodes(expr))
