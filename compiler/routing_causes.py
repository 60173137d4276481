"""Causal inhibition: `symptom_of: Cause` on a definition → an inhibit rule muting the symptom while the cause fires.

The rule matches on the labels both alerts are known to carry (inhibit/inhibit.go compares `equal` labels,
a label missing on both sides counting as equal), so a cache incident on service A does not mute latency on
service B. Known labels are a lower bound read from the alert expression: aggregation `by` labels, equality
matchers of selectors, the labels of recording rules the expression reads, and the definition's extra labels;
the labels the compiler sets (severity, team, kind) and alertname are never compared.

The race (inhibit.go, dispatch.go): inhibition is checked when the symptom's group flushes. If the cause has not
reached Alertmanager by then (its `for` is longer, or its group_wait elapsed first), the symptom pages anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import promql_parser

from common.problems import Problem, SourcePosition
from common.promql.frontdoor import parse_promql
from compiler.alertmanager import matcher

NEVER_COMPARED = frozenset({"alertname", "severity", "team", "kind", "__name__"})
_SET_OPERATORS = ("and", "or", "unless")


@dataclass(frozen=True)
class CausalLink:
    """`symptom symptom_of cause`, with where the link is written."""

    symptom: str
    cause: str
    position: SourcePosition


def link_problems(links: list[CausalLink], compiled: set[str], defined: set[str]) -> list[Problem]:
    """Self-links, unknown causes and cycles; `defined` holds every alert name written (valid or not)."""
    problems = []
    for link in links:
        if link.cause == link.symptom:
            problems.append(
                Problem(link.position, "an alert cannot be a symptom of itself", link.symptom, "symptom_of")
            )
        elif link.cause not in defined:
            problems.append(Problem(link.position, f"unknown alert {link.cause!r}", link.symptom, "symptom_of"))
        elif sum(other.symptom == link.symptom and other.cause == link.cause for other in links) > 1:
            problems.append(Problem(link.position, f"{link.cause!r} is listed twice", link.symptom, "symptom_of"))
    causes: dict[str, list[CausalLink]] = {}
    for link in links:
        if link.cause != link.symptom and link.cause in compiled:
            causes.setdefault(link.symptom, []).append(link)
    for link in links:
        cycle = _cycle_through(link, causes)
        if cycle:
            message = "symptom_of cycle: " + " → ".join(cycle)
            problems.append(Problem(link.position, message, link.symptom, "symptom_of"))
    return problems


def _cycle_through(start: CausalLink, causes: dict[str, list[CausalLink]]) -> list[str] | None:
    """The path symptom → cause → ... back to the symptom, if following causes returns to it."""
    stack = [(start.cause, [start.symptom, start.cause])]
    seen = set()
    while stack:
        name, path = stack.pop()
        if name == start.symptom and len(path) > 2:
            return path
        if name in seen:
            continue
        seen.add(name)
        for link in causes.get(name, []):
            stack.append((link.cause, path + [link.cause]))
    return None


def inhibit_rules(links: list[CausalLink], labels_of: dict[str, frozenset[str]]) -> list[dict]:
    """One inhibit rule per link, sorted by cause then symptom; equal = the labels both alerts carry."""
    rules = []
    for link in sorted(links, key=lambda item: (item.cause, item.symptom)):
        shared = sorted((labels_of[link.cause] & labels_of[link.symptom]) - NEVER_COMPARED)
        rules.append(
            {
                "source_matchers": [matcher("alertname", link.cause)],
                "target_matchers": [matcher("alertname", link.symptom)],
                "equal": shared,
            }
        )
    return rules


def series_labels(expr: str, recorded: dict[str, frozenset[str]]) -> frozenset[str]:
    """Label names every series of `expr` is known to carry (a lower bound), reading recording rules' labels."""
    return _labels(parse_promql(expr), recorded)


def _labels(node, recorded: dict[str, frozenset[str]]) -> frozenset[str]:
    if isinstance(node, promql_parser.MatrixSelector):
        node = node.vector_selector
    if isinstance(node, promql_parser.VectorSelector):
        equal = {m.name for m in node.matchers.matchers if str(m.op) == "MatchOp.Equal" and m.value}
        return frozenset(equal | recorded.get(node.name or "", frozenset())) - {"__name__"}
    if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
        return _labels(node.expr, recorded)
    if isinstance(node, promql_parser.AggregateExpr):
        return _aggregate_labels(node, recorded)
    if isinstance(node, promql_parser.BinaryExpr):
        return _binary_labels(node, recorded)
    if isinstance(node, promql_parser.Call):
        return _call_labels(node, recorded)
    return frozenset()  # number and string literals


def _aggregate_labels(node, recorded) -> frozenset[str]:
    inner = _labels(node.expr, recorded)
    op = str(node.op)  # a promql_parser TokenType; its text is the operator
    if op in ("topk", "bottomk"):
        return inner
    modifier = node.modifier
    grouped: frozenset[str]
    if modifier is None:
        grouped = frozenset()
    elif str(modifier.type) == "AggModifierType.Without":
        grouped = inner - set(modifier.labels)
    else:
        grouped = frozenset(modifier.labels)
    if op == "count_values" and isinstance(node.param, promql_parser.StringLiteral):
        grouped |= {node.param.val}
    return grouped


def _is_scalar(node) -> bool:
    while isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr)):
        node = node.expr
    return isinstance(node, promql_parser.NumberLiteral) or (
        isinstance(node, promql_parser.Call) and node.func.name in ("scalar", "time", "pi")
    )


def _binary_labels(node, recorded) -> frozenset[str]:
    """promql/engine.go resultMetric: the left side's labels, narrowed by on/ignoring, widened by group_x."""
    lhs, rhs = _labels(node.lhs, recorded), _labels(node.rhs, recorded)
    if _is_scalar(node.lhs):
        return rhs
    if _is_scalar(node.rhs):
        return lhs
    op = str(node.op)  # a promql_parser TokenType; its text is the operator
    if op in _SET_OPERATORS:
        return lhs & rhs if op == "or" else lhs
    modifier = node.modifier
    matching = modifier.matching if modifier is not None else None
    card = str(modifier.card) if modifier is not None and modifier.card is not None else ""
    on = matching is not None and str(matching.type) == "LabelModifierType.Include"
    names = set(matching.labels) if matching is not None else set()
    extra = set(modifier.group_labels or []) if modifier is not None else set()
    if card.endswith("ManyToOne"):
        return lhs | extra | ((lhs | rhs) & names if on else frozenset())
    if card.endswith("OneToMany"):
        return rhs | extra | ((lhs | rhs) & names if on else frozenset())
    if on:
        return (lhs | rhs) & names
    return (lhs | rhs) - names  # one-to-one: the signature equates every other label of both sides


def _call_labels(node, recorded) -> frozenset[str]:
    name = node.func.name
    if name in ("absent", "absent_over_time"):
        argument = node.args[0]
        if isinstance(argument, promql_parser.MatrixSelector):
            argument = argument.vector_selector
        if isinstance(argument, promql_parser.VectorSelector):
            return frozenset(m.name for m in argument.matchers.matchers if str(m.op) == "MatchOp.Equal" and m.value)
        return frozenset()
    vectors = [
        argument
        for argument in node.args
        if not isinstance(argument, (promql_parser.NumberLiteral, promql_parser.StringLiteral))
    ]
    if name in ("vector", "time", "scalar", "pi") or not vectors:
        return frozenset()
    inner = _labels(vectors[0], recorded)
    return inner - {"le"} if name == "histogram_quantile" else inner
