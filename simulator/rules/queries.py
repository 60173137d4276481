"""The query functions rules are handed, and what Prometheus does around them.

rules/manager.go EngineQueryFunc runs a rule's query; rules/alerting.go re-prints an alerting
rule's expression first; template.go's query function runs nested instant queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from common.promql.frontdoor import PromQLSyntaxError, check_promql, promql_text
from simulator.promql.model import Grid, Labels, ScalarOverGrid, VectorOverGrid
from simulator.promql.storage import Storage

from .dependencies import has_subquery, may_read_ahead
from .parsing import parse_expr
from .visibility import storage_until

# evaluate(expr, storage, grid): the query function the rules are handed (rules.QueryFunc).
QueryFunc = Callable[[str, Storage, Grid], Any]
# instant_query(expr, storage, t_ms): for {{ query }} inside alert templates.
InstantQueryFunc = Callable[[str, Storage, int], Any]


def default_query(expr: str, storage: Storage, grid: Grid, **options):
    """simulator.promql.engine.evaluate, imported late so this module loads without the engine.

    options go to evaluate (e.g. subquery_step_ms, which promtool sets to evaluation_interval).
    """
    from simulator.promql.engine import evaluate

    # The text, never a tree: the engine parses it through the 2.42 front door (memoized).
    return evaluate(expr, storage, grid, **options)


def default_instant_query(expr: str, storage: Storage, t_ms: int, **options):
    from simulator.promql.engine import instant_query

    return instant_query(expr, storage, t_ms, **options)


def alerting_query_text(expr: str) -> str:
    """The query text an alerting rule really runs in 2.42.

    rules/alerting.go Eval queries r.vector.String(), and VectorSelector.String() sorts the
    label matchers (promql/parser/printer.go). Only absent() can tell: its labels come from the
    matchers in order, Set for the first "=" of a name, Del for any other matcher of that name,
    so x{a="v", a!~"r"} keeps a="v" in an alert (the matchers become a!~"r", a="v") but not in
    a promql_expr_test. Only expressions that use absent are re-printed, from the front door's
    tree (string literals and names stay as written).
    """
    if "absent" not in expr:
        return expr
    try:
        return promql_text(check_promql(expr), sort_matchers=True)
    except PromQLSyntaxError:
        return expr


def template_query(instant_query: InstantQueryFunc, storage: Storage, outputs, position: int, t_ms: int):
    """{{ query "..." }} for the rule at `position`, evaluated at t_ms.

    `outputs` (visibility.RuleOutputs or None) hides the outputs of this rule and later ones,
    which Prometheus has not yet written when it expands this rule's templates.
    """

    def run(expr: str) -> list[tuple[Labels, float]]:
        if outputs is not None:
            outputs.hide_from(position)
        try:
            seen = storage
            if _reaches_unwritten_samples(expr):
                seen = storage_until(storage, t_ms)  # what exists when Prometheus expands it
            return order_like_prometheus(expr, instant_samples(instant_query(expr, seen, t_ms)))
        finally:
            if outputs is not None:
                outputs.reveal_all()

    return run


def _reaches_unwritten_samples(expr: str) -> bool:
    try:
        return may_read_ahead(expr) or has_subquery(expr)
    except ValueError:
        return False  # a syntax error: the engine reports it in its own words


def order_like_prometheus(expr: str, samples: list[tuple[Labels, float]]) -> list[tuple[Labels, float]]:
    """An instant query's samples in the order Prometheus returns them, for {{ range query }}.

    The grid evaluator keeps one row order for all steps, but the order of an instant query's
    result is visible to templates: sort/sort_desc sort by value (promql/functions.go
    funcSort, funcSortDesc) and an ungrouped topk/bottomk returns its heap sorted
    (promql/engine.go aggregation: sort.Sort(sort.Reverse(aggr.heap))). NaN sorts last except
    for sort(), where vectorByValueHeap puts it first.
    """
    try:
        node = parse_expr(expr)
    except ValueError:
        return samples
    while type(node).__name__ == "ParenExpr":
        node = node.expr
    kind = type(node).__name__
    if kind == "Call" and node.func.name in ("sort", "sort_desc"):
        descending = node.func.name == "sort_desc"
    elif kind == "AggregateExpr" and str(node.op) in ("topk", "bottomk") and node.modifier is None:
        descending = str(node.op) == "topk"
    else:
        return samples
    nan_first = kind == "Call" and not descending

    def key(sample):
        value = sample[1]
        if value != value:  # NaN
            return (0 if nan_first else 2, 0.0)
        return (1, -value if descending else value)

    return sorted(samples, key=key)


def instant_samples(result) -> list[tuple[Labels, float]]:
    if isinstance(result, ScalarOverGrid):
        return [((), float(np.asarray(result.values).reshape(-1)[-1]))]
    if isinstance(result, VectorOverGrid):
        column = result.values.shape[1] - 1
        return [
            (labels, float(result.values[row, column]))
            for row, labels in enumerate(result.labels)
            if result.present[row, column]
        ]
    return list(result)
