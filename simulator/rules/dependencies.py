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
    stack = [parse_expr(expr)]
    while stack:
        node = stack.pop()
        kind = type(node).__name__
        if kind == "MatrixSelector":
            node = node.vector_selector
            kind = "VectorSelector"
        if kind == "VectorSelector":
            name = _selector_name(node)
            if name is None:
                return None
            names.add(name)
            continue
        for attribute in ("expr", "lhs", "rhs", "param"):
            child = getattr(node, attribute, None)
            if child is not None and not isinstance(child, (str, int, float)):
                stack.append(child)
        stack.extend(getattr(node, "args", None) or [])
    return frozenset(names)


def _selector_name(selector) -> str | None:
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
    stack = [parse_expr(expr)]
    while stack:
        node = stack.pop()
        kind = type(node).__name__
        if kind == "MatrixSelector":
            node = node.vector_selector
            kind = "VectorSelector"
        if kind in ("VectorSelector", "SubqueryExpr"):
            if getattr(node, "at", None) is not None:
                return True
            offset = getattr(node, "offset", None)
            if offset is not None and offset.total_seconds() < 0:
                return True
        for attribute in ("expr", "lhs", "rhs", "param"):
            child = getattr(node, attribute, None)
            if child is not None and not isinstance(child, (str, int, float)):
                stack.append(child)
        stack.extend(getattr(node, "args", None) or [])
    return False


@lru_cache(maxsize=16384)
def has_subquery(expr: str) -> bool:
    """Whether the expression contains a subquery (expr[range:step])."""
    stack = [parse_expr(expr)]
    while stack:
        node = stack.pop()
        if type(node).__name__ == "SubqueryExpr":
            return True
        for attribute in ("expr", "lhs", "rhs", "param"):
            child = getattr(node, attribute, None)
            if child is not None and not isinstance(child, (str, int, float)):
                stack.append(child)
        stack.extend(getattr(node, "args", None) or [])
    return False
