"""Which series a hand-written PromQL expression reads, and where in its text each selector names them.

Prometheus runs rule groups concurrently and each on its own clock; only the rules inside one group run in
order, each committed before the next (rules/manager.go Group.Eval). A hand-written expression that reads a
recording rule another group writes therefore sees that rule's previous evaluation, up to one interval late:
the compile warns about it (pipeline step "rule files").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import promql_parser

from common.promql.frontdoor import parse_promql
from common.regex import GoRegexpError, compile_go_regexp

METRIC_NAME_LABEL = "__name__"  # model/labels.go MetricName: the label holding a series' name

# PromQL tokens that cannot hold a selector's name: string literals (three quote styles, backslash escapes
# in the two interpreted ones; promql/parser/lex.go lexString, lexRawString) and `#` comments to end of line.
_SKIPPED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`|#[^\n]*', re.DOTALL)
_IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


@dataclass(frozen=True)
class SelectorRead:
    """One vector selector of a hand-written expression: its `__name__` conditions and its offset in the text."""

    name: str | None  # the metric name written before `{`, if any
    name_matchers: tuple[tuple[str, str], ...]  # (operator, value) of every `__name__` matcher
    offset: int  # where the selector's name (or its `__name__` matcher) starts in the expression text

    def reads(self, metric: str) -> bool:
        """Whether this selector selects series named `metric`."""
        if self.name is not None and self.name != metric:
            return False
        return all(_matches(operator, value, metric) for operator, value in self.name_matchers)


def selector_reads(expr: str) -> list[SelectorRead]:
    """Every vector selector of `expr` (which must parse), with the offset of its name in `expr`."""
    selectors: list[promql_parser.VectorSelector] = []

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            selectors.append(node)

    promql_parser.walk(parse_promql(expr), visit)
    tokens = _identifier_offsets(expr)
    reads = []
    for node in selectors:
        matchers = tuple(
            (_operator(matcher.op), matcher.value)
            for matcher in node.matchers.matchers
            if matcher.name == METRIC_NAME_LABEL
        )
        token = node.name if node.name else METRIC_NAME_LABEL
        reads.append(SelectorRead(node.name or None, matchers, tokens.get(token, 0)))
    return reads


def _identifier_offsets(expr: str) -> dict[str, int]:
    """The first offset of each identifier in `expr`, outside string literals and comments."""
    offsets: dict[str, int] = {}
    position = 0
    while position < len(expr):
        skipped = _SKIPPED.match(expr, position)
        if skipped:
            position = skipped.end()
            continue
        identifier = _IDENTIFIER.match(expr, position)
        if identifier and (position == 0 or not (expr[position - 1].isalnum() or expr[position - 1] in "_:")):
            offsets.setdefault(identifier.group(), position)
            position = identifier.end()
            continue
        position += 1
    return offsets


def _operator(op: object) -> str:
    """promql-parser's MatchOp as PromQL writes it."""
    return {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}[str(op).rsplit(".", 1)[-1]]


def _matches(operator: str, value: str, metric: str) -> bool:
    """Prometheus's labels.Matcher.Matches: regexes are anchored at both ends (model/labels/regexp.go)."""
    if operator in ("=", "!="):
        return (metric == value) == (operator == "=")
    try:
        hit = compile_go_regexp(value).fullmatch(metric) is not None
    except GoRegexpError:
        return False  # the parser already refused an invalid regex; nothing is read
    return hit == (operator == "=~")
