"""The one way into PromQL: parse and check an expression as Prometheus 2.42 does.

`check_promql(text)` parses with this package's 2.42 lexer, grammar, function table and
checkAST (parser.py) and raises PromQLSyntaxError, worded like promtool
("1:6: parse error: expected type range vector in call to function "rate", got instant
vector"), for whatever 2.42 refuses: newer functions (sort_by_label, limitk, limit_ratio,
double_exponential_smoothing, ...), wrong argument counts or types, `or` between label
matchers, and the rest of its grammar. `parse_promql(text)` then gives the promql_parser tree
the evaluator walks. promql_parser (Rust) follows Prometheus 3, so it is never handed the user's
text: it gets a re-print of the checked 2.42 tree (`engine_text`) in which

- holt_winters is named double_exponential_smoothing, the only name promql_parser knows for
  it (the evaluator maps it back). Only function-call nodes are renamed, never string
  literals or label values;
- a negative @ time is written as `@ 0` plus an equivalent offset, because promql_parser drops
  the sign of `@ -60` and reads it as `@ 0`. A selector's reference time is (@ time) - offset,
  so `x @ -60 offset 5m` becomes `x @ 0.000 offset 6m`: the same samples. (An @ time more
  than 292 years before 1970 cannot be folded into an offset and is refused as unsupported.)
- durations are written largest unit first (`1y1ms`), as promql_parser overflows on a count of
  seconds or milliseconds past 2^32.

Nesting depth. promql_parser recurses per nesting level and crashes the process (a segfault
at 6.4 GB for 10,000 nested parentheses), and the evaluator recurses per level too. So this
front door refuses, before promql_parser sees anything, expressions whose tree is deeper than
MAX_NESTING_DEPTH levels (parentheses, calls, operators and operands all count) with
"expression nested deeper than 128 levels". promtool 2.42 accepts such expressions (its
parser is table-driven); a hand-written rule never comes near 128 levels, so refusing is the
honest choice over a parser and evaluator that could take any depth without recursion.
"""

from __future__ import annotations

import math
from functools import lru_cache

import promql_parser

from . import ast
from .lexer import KEYWORDS, line_column
from .parser import ParseError, parse

MAX_NESTING_DEPTH = 128

# The 2.42 names whose promql_parser spelling differs (promql_parser knows the 3.x name only).
ENGINE_FUNCTION_NAMES = {"holt_winters": "double_exponential_smoothing"}


class PromQLSyntaxError(ValueError):
    """An expression promtool 2.42 refuses: `message` in Go's words, at `line`:`column`
    (1-based; the column counts UTF-8 bytes, as promtool does). str() is promtool's text,
    "line:col: parse error: message"; `offset` is the character index in the expression."""

    def __init__(self, expr: str, message: str, offset: int):
        self.expr = expr
        self.message = message
        self.offset = offset
        self.line, self.column = line_column(expr, offset)
        super().__init__(f"{self.line}:{self.column}: parse error: {message}")


def check_promql(text: str) -> ast.Node:
    """The checked 2.42 syntax tree of `text`, or PromQLSyntaxError (see the module doc)."""
    return _checked(text)


def parse_promql(text: str):
    """The promql_parser tree for `text` after the 2.42 checks (PromQLSyntaxError if refused)."""
    return _engine_tree(text)


def engine_text(node: ast.Node, sort_matchers: bool = False) -> str:
    """The text promql_parser is given for a checked tree (see the module doc).

    sort_matchers sorts each selector's matchers as VectorSelector.String() does in
    promql/parser/printer.go (an alerting rule queries that re-print, which absent() can tell).
    """
    return _Printer(sort_matchers).expr(node)


def promql_text(node: ast.Node, sort_matchers: bool = False) -> str:
    """The tree printed back as 2.42 PromQL (holt_winters keeps its name), re-parseable here."""
    return _Printer(sort_matchers, engine_names=False).expr(node)


@lru_cache(maxsize=16384)
def _checked(text: str) -> ast.Node:
    try:
        return parse(text, MAX_NESTING_DEPTH)
    except ParseError as error:
        raise PromQLSyntaxError(text, error.message, error.pos) from None


@lru_cache(maxsize=16384)
def _engine_tree(text: str):
    node = _checked(text)
    try:
        return promql_parser.parse(engine_text(node))
    except ValueError as error:
        # A 2.42 expression promql_parser cannot read: not the user's mistake, but say where.
        raise PromQLSyntaxError(text, f"unsupported by alertkit's evaluator: {error}", 0) from None


def _go_quote_for_sort(value: str) -> str:
    """strconv.Quote, which labels.Matcher.String() applies to the value."""
    from .lexer import go_quote

    return go_quote(value)


class _Printer:
    def __init__(self, sort_matchers: bool, engine_names: bool = True):
        self.sort_matchers = sort_matchers
        self.engine_names = engine_names

    def expr(self, node: ast.Node) -> str:
        method = getattr(self, type(node).__name__)
        return method(node)

    def operand(self, node: ast.Node) -> str:
        """An operand of a unary or binary operator, bracketed unless it is atomic."""
        text = self.expr(node)
        if isinstance(node, (ast.BinaryExpr, ast.UnaryExpr)) or (
            isinstance(node, ast.NumberLiteral) and math.copysign(1.0, node.value) < 0
        ):
            return f"({text})"
        return text

    def NumberLiteral(self, node: ast.NumberLiteral) -> str:
        value = node.value
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        return repr(value)

    def StringLiteral(self, node: ast.StringLiteral) -> str:
        return _string(node.value)

    def VectorSelector(self, node: ast.VectorSelector) -> str:
        return self.selector_body(node) + self.modifiers(node.offset_ms, node.at)

    def selector_body(self, node: ast.VectorSelector) -> str:
        matchers = [f"{m.name}{m.op}{_string(m.value)}" for m in node.matchers]
        if self.sort_matchers:
            order = sorted(range(len(node.matchers)), key=lambda i: _matcher_sort_key(node.matchers[i]))
            matchers = [matchers[i] for i in order]
        name = node.name
        if name and (name.lower() in KEYWORDS or not _plain_name(name)):
            matchers.insert(0, f"__name__={_string(name)}")
            name = ""
        if not matchers:
            return name
        return name + "{" + ",".join(matchers) + "}"  # printer.go joins matchers with ","

    def modifiers(self, offset_ms: int, at: ast.AtModifier | None) -> str:
        parts = []
        if at is not None:
            if at.preprocessor is not None:
                parts.append(f"@ {at.preprocessor}()")
            else:
                at_ms = at.timestamp_ms or 0
                if at_ms < 0 and self.engine_names:
                    # (@ t) - offset == (@ 0) - (offset - t): promql_parser keeps only t >= 0.
                    offset_ms -= at_ms
                    at_ms = 0
                parts.append(f"@ {_seconds(at_ms)}")
        if offset_ms:
            if abs(offset_ms) >= _MAX_ENGINE_DURATION_MS:
                raise ValueError("an @ time this far before 1970 is beyond the evaluator's offsets")
            parts.append(f"offset {'-' if offset_ms < 0 else ''}{_duration(abs(offset_ms))}")
        return "".join(" " + part for part in parts)

    def MatrixSelector(self, node: ast.MatrixSelector) -> str:
        selector = node.selector
        return f"{self.selector_body(selector)}[{_duration(node.range_ms)}]" + self.modifiers(
            selector.offset_ms, selector.at
        )

    def SubqueryExpr(self, node: ast.SubqueryExpr) -> str:
        inner = self.expr(node.expr)
        if not isinstance(node.expr, ast.ParenExpr):
            inner = f"({inner})"
        step = _duration(node.step_ms) if node.step_ms else ""
        return f"{inner}[{_duration(node.range_ms)}:{step}]" + self.modifiers(node.offset_ms, node.at)

    def Call(self, node: ast.Call) -> str:
        name = node.function.name
        if self.engine_names:
            name = ENGINE_FUNCTION_NAMES.get(name, name)
        return f"{name}(" + ", ".join(self.expr(arg) for arg in node.args) + ")"

    def ParenExpr(self, node: ast.ParenExpr) -> str:
        return f"({self.expr(node.expr)})"

    def UnaryExpr(self, node: ast.UnaryExpr) -> str:
        return f"{node.op}{self.operand(node.expr)}"

    def AggregateExpr(self, node: ast.AggregateExpr) -> str:
        text = node.op
        if node.has_modifier:
            text += f" {'without' if node.without else 'by'} ({', '.join(node.grouping)})"
        args = [self.expr(node.param)] if node.param is not None else []
        args.append(self.expr(node.expr))
        return f"{text}({', '.join(args)})"

    def BinaryExpr(self, node: ast.BinaryExpr) -> str:
        parts = [self.operand(node.lhs), node.op]
        if node.return_bool:
            parts.append("bool")
        both_vectors = node.lhs.type == ast.VECTOR and node.rhs.type == ast.VECTOR
        matching = node.matching
        if both_vectors and matching.written:
            parts.append(f"{'on' if matching.on else 'ignoring'}({', '.join(matching.matching_labels)})")
            if matching.card in ("many-to-one", "one-to-many"):
                keyword = "group_left" if matching.card == "many-to-one" else "group_right"
                parts.append(f"{keyword}({', '.join(matching.include)})")
        parts.append(self.operand(node.rhs))
        return " ".join(parts)


def _plain_name(name: str) -> bool:
    return all(c == "_" or c == ":" or (c.isascii() and c.isalnum()) for c in name) and not name[0].isdigit()


def _string(value: str) -> str:
    """A string literal promql_parser reads back as exactly `value`."""
    return '"' + "".join(_STRING_ESCAPES.get(char, char) for char in value) + '"'


_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


# model.Duration.String()'s units; promql_parser reads a duration unit by unit, and a count of
# seconds or milliseconds past 2^32 overflows there, so durations are written largest unit first.
_DURATION_UNITS = (
    ("y", 365 * 86_400_000),
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1000),
    ("ms", 1),
)
# time.Duration's range (int64 nanoseconds): the longest offset promql_parser can hold.
_MAX_ENGINE_DURATION_MS = (2**63 - 1) // 1_000_000


def _duration(ms: int) -> str:
    parts = []
    for unit, size in _DURATION_UNITS:
        count, ms = divmod(ms, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _seconds(ms: int) -> str:
    sign = "-" if ms < 0 else ""
    return f"{sign}{abs(ms) // 1000}.{abs(ms) % 1000:03d}"


def _matcher_sort_key(matcher: ast.Matcher) -> str:
    return f"{matcher.name}{matcher.op}{_go_quote_for_sort(matcher.value)}"
