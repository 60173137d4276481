"""Where an alert's threshold is in its expression, and the expression that does not filter on it.

An alert `(<lhs> > 0.01) and on (...) (<guard>)` fires where lhs > threshold and the guard matches. Along the
path from the root through parentheses and the left side of `and`/`unless` (which keep or drop left-hand
samples with their values unchanged), the comparison `<lhs> OP <number>` (no `bool`) is the threshold. Writing
the number as -Inf (for > and >=) or +Inf (for < and <=) gives the "open" expression, whose result holds every
sample that any finite threshold could keep, with the same values; the result at threshold t is then exactly
the open result's samples whose value passes `value OP t` (a NaN passes no comparison, promql/engine.go
vectorElemBinop), so the expression is evaluated once per scenario and only this comparison is redone per
setting.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from common.errors import InputError
from common.promql import ast
from common.promql.frontdoor import PromQLSyntaxError, check_promql, promql_text

# The comparison operators a threshold can sit behind, and the bound that keeps every sample any finite threshold
# keeps (promql/parser/lex.go: GTR, GTE, LSS, LTE).
OPEN_BOUNDS = {">": -math.inf, ">=": -math.inf, "<": math.inf, "<=": math.inf}
# Set operators that keep left-hand samples with their values (promql/engine.go VectorAnd, VectorUnless).
FILTERING_SET_OPERATORS = ("and", "unless")


@dataclass(frozen=True)
class ThresholdSite:
    op: str
    current: float
    open_expr: str

    def passes(self, values: np.ndarray, threshold: float) -> np.ndarray:
        """Which values the comparison keeps at `threshold` (NaN never)."""
        with np.errstate(invalid="ignore"):
            if self.op == ">":
                return values > threshold
            if self.op == ">=":
                return values >= threshold
            if self.op == "<":
                return values < threshold
            return values <= threshold


def threshold_site(alertname: str, expr: str) -> ThresholdSite:
    """The alert's threshold comparison; InputError when its expression has none tune can sweep."""
    tree, comparison, number = _threshold_of(alertname, expr)
    current = number.value
    number.value = OPEN_BOUNDS[comparison.op]
    return ThresholdSite(comparison.op, current, promql_text(tree))


def with_threshold(alertname: str, expr: str, threshold: float) -> str:
    """The alert's expression with another threshold, as a rule file would carry it."""
    tree, _comparison, number = _threshold_of(alertname, expr)
    number.value = threshold
    return promql_text(tree)


def _threshold_of(alertname: str, expr: str) -> tuple[ast.Node, ast.BinaryExpr, ast.NumberLiteral]:
    """A fresh tree of `expr`, its threshold comparison and the comparison's number."""
    try:
        tree = copy.deepcopy(check_promql(expr))  # check_promql memoizes: never change its tree
    except PromQLSyntaxError as error:
        raise InputError(f"alert {alertname}: expression does not parse: {error}") from None
    comparison = _comparison_on_filter_path(tree)
    if comparison is None:
        raise InputError(
            f"alert {alertname}: no threshold to sweep: its expression is not `<query> OP <number>` (OP one of "
            "> >= < <=, without bool), alone or on the left of and/unless; expression: " + expr
        )
    number = _unwrap(comparison.rhs)
    assert isinstance(number, ast.NumberLiteral)
    return tree, comparison, number


def _comparison_on_filter_path(node: ast.Node) -> ast.BinaryExpr | None:
    node = _unwrap(node)
    if not isinstance(node, ast.BinaryExpr):
        return None
    if node.op in FILTERING_SET_OPERATORS:
        return _comparison_on_filter_path(node.lhs)
    if node.op in OPEN_BOUNDS and not node.return_bool and isinstance(_unwrap(node.rhs), ast.NumberLiteral):
        if isinstance(_unwrap(node.lhs), ast.NumberLiteral):
            return None  # a scalar comparison is not a threshold on a query
        return node
    return None


def _unwrap(node: ast.Node) -> ast.Node:
    while isinstance(node, ast.ParenExpr):
        node = node.expr
    return node
