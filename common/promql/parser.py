"""A PromQL parser with Prometheus 2.42's grammar and checks (promql/parser at v2.42.0).

generated_parser.y is an LALR grammar; this is the same language as precedence climbing:
binary operators by the %left/%right table, unary +/- binding like `*` (so `-a ^ b` is
`-(a ^ b)`), and the postfix modifiers `[range]`, `[range:step]`, `offset` and `@` binding
tightest. Errors raised while parsing are the grammar actions' errors (unknown function,
wrong aggregation arity, misplaced offset/@/range, bad duration or regex) and syntax errors;
after a clean parse, `check` runs parse.go's checkAST (argument counts and types, comparison
of scalars without bool, set operators, vector matching, empty selectors). Like Go, the first
error found is the one reported.
"""

from __future__ import annotations

import math
import re

from common.regex import GoRegexpError, compile_anchored

from . import ast
from .functions import FUNCTIONS, SCALAR, STRING, VALUE_TYPE_NAMES, VECTOR
from .lexer import AGGREGATORS, T, Token, go_quote, tokenize

# Deeper expressions are refused (see frontdoor.MAX_NESTING_DEPTH for why and how deep).
DEFAULT_MAX_DEPTH = 128

# generated_parser.y precedence table, lowest first.
_PRECEDENCE = {
    T.LOR: 1,
    T.LAND: 2,
    T.LUNLESS: 2,
    T.EQLC: 3,
    T.GTE: 3,
    T.GTR: 3,
    T.LSS: 3,
    T.LTE: 3,
    T.NEQ: 3,
    T.ADD: 4,
    T.SUB: 4,
    T.MUL: 5,
    T.DIV: 5,
    T.MOD: 5,
    T.ATAN2: 5,
    T.POW: 6,
}
_UNARY_OPERAND_PRECEDENCE = _PRECEDENCE[T.POW]  # unary_op expr %prec MUL: only ^ binds tighter
_COMPARISONS = frozenset({"==", "!=", "<=", "<", ">=", ">"})
_SET_OPERATORS = frozenset({"and", "or", "unless"})

# generated_parser.y metric_identifier and maybe_label: keywords usable as names.
_METRIC_IDENTIFIER = frozenset(
    {T.IDENTIFIER, T.METRIC_IDENTIFIER, T.LAND, T.LOR, T.LUNLESS, T.OFFSET, T.BY, T.WITHOUT, T.START, T.END}
    | AGGREGATORS
)
_MAYBE_LABEL = (
    frozenset(
        {T.IDENTIFIER, T.METRIC_IDENTIFIER, T.BOOL, T.BY, T.GROUP_LEFT, T.GROUP_RIGHT, T.IGNORING, T.LAND, T.LOR}
        | {T.LUNLESS, T.OFFSET, T.ON, T.START, T.END, T.ATAN2}
    )
    | AGGREGATORS
)
_PARAM_AGGREGATORS = frozenset({"topk", "bottomk", "count_values", "quantile"})
_MATCH_OPS = {T.EQL: "=", T.NEQ: "!=", T.EQL_REGEX: "=~", T.NEQ_REGEX: "!~"}

# model.ParseDuration (prometheus/common): units in this order, each at most once.
_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_DURATION_UNIT_MS = (365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1)
_INT64_MAX = 2**63 - 1


class ParseError(Exception):
    """A PromQL error at character index `pos` of the expression (Go's ParseErr)."""

    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.message = message
        self.pos = pos


def parse(text: str, max_depth: int = DEFAULT_MAX_DEPTH) -> ast.Node:
    """parser.ParseExpr of 2.42: the checked tree, or ParseError for the first problem."""
    node = _Parser(text, max_depth).parse()
    check(node, text)
    return node


def too_deep(limit: int) -> str:
    return (
        f"expression nested more than {limit} levels deep: alertkit's evaluator supports at most {limit} "
        "(Prometheus 2.42 accepts deeper ones; split the expression into recording rules)"
    )


def parse_duration_ms(text: str) -> int:
    """model.ParseDuration in milliseconds (ValueError with Go's text)."""
    if text == "0":
        return 0
    if text == "":
        raise ValueError("empty duration string")
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not a valid duration string: {go_quote(text)}")
    total = 0
    for digits, unit in zip(match.groups(), _DURATION_UNIT_MS):
        if digits is None:
            continue
        if int(digits) > _INT64_MAX // 1_000_000 // unit:  # time.Duration is int64 nanoseconds
            raise ValueError("duration out of range")
        total += int(digits) * unit
        if total * 1_000_000 > _INT64_MAX:
            raise ValueError("duration out of range")
    return total


def go_number(text: str) -> float:
    """parser.number: strconv.ParseInt(text, 0, 64), else strconv.ParseFloat (ValueError)."""
    try:
        integer = _go_parse_int(text)
        if integer is not None:
            return float(integer)
    except OverflowError:
        pass
    lowered = text.lower()
    if lowered in ("inf", "+inf", "infinity"):
        return math.inf
    if lowered == "nan":
        return math.nan
    if lowered.startswith(("0x", "-0x", "+0x")) or "_" in text:
        raise ValueError(f"strconv.ParseFloat: parsing {go_quote(text)}: invalid syntax")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"strconv.ParseFloat: parsing {go_quote(text)}: invalid syntax") from None
    if math.isinf(value):
        raise ValueError(f"strconv.ParseFloat: parsing {go_quote(text)}: value out of range")
    return value


def _go_parse_int(text: str) -> int | None:
    """strconv.ParseInt(s, 0, 64) for lexer NUMBER text: None when it is not an integer."""
    body = text
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", body):
        value = int(body[2:], 16)
    elif re.fullmatch(r"0[0-7]*", body):
        value = int(body, 8) if len(body) > 1 else 0
    elif re.fullmatch(r"[1-9][0-9]*", body):
        value = int(body)
    else:
        return None
    if value > _INT64_MAX:
        raise OverflowError
    return value


def go_round_ms(seconds: float) -> int:
    """timestamp.FromFloatSeconds: int64(math.Round(seconds * 1000)), half away from zero."""
    value = seconds * 1000.0
    whole = math.trunc(value)
    if abs(value - whole) >= 0.5:
        whole += 1 if value > 0 else -1
    return int(whole)


def _go_float_f(value: float) -> str:
    """Go's %f: +Inf, -Inf and NaN spelled as Go spells them."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:f}"


def go_unquote(text: str) -> str:
    """strutil.Unquote of a STRING token the lexer accepted (its escapes are valid)."""
    quote, body = text[0], text[1:-1]
    if quote == "`" or "\\" not in body:
        return body  # raw, or nothing escaped (most label values)
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        kind = body[i + 1]
        if kind in "01234567":
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        elif kind in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[kind]
            out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        else:
            out.append({"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}.get(kind, kind))
            i += 2
    text_out = "".join(out)
    # \x and octal escapes are bytes in Go; decode them as UTF-8 where they form characters.
    if any(0x80 <= ord(c) <= 0xFF for c in text_out) and ("\\x" in body or re.search(r"\\[0-7]", body)):
        try:
            return text_out.encode("latin-1").decode("utf-8")
        except (UnicodeDecodeError, UnicodeEncodeError):
            return text_out
    return text_out


class _Parser:
    def __init__(self, text: str, max_depth: int):
        self.text = text
        self.tokens = tokenize(text)
        self.last_index = len(self.tokens) - 1  # the EOF or ERROR token that ends the stream
        self.index = 0
        self.depth = 0
        self.max_depth = max_depth
        # Grammar rules with an error production enclosing the current position (yacc recovers
        # into the innermost one, which names the context: "in aggregation").
        self.contexts: list[str] = []

    # --- token access

    def peek(self, ahead: int = 0) -> Token:
        index = self.index + ahead
        return self.tokens[index] if index < self.last_index else self.tokens[-1]

    def take(self) -> Token:
        index = self.index
        token = self.tokens[index]  # index never passes last_index
        if token.type is T.ERROR:
            raise ParseError(token.text, token.pos)
        if index < self.last_index:
            self.index = index + 1
        return token

    def unexpected(self, context: str = "", expected: str = "") -> ParseError:
        """parser.unexpected: "unexpected <token>[ in <context>][, expected <what>]"."""
        token = self.peek()
        if token.type is T.ERROR:
            return ParseError(token.text, token.pos)
        message = f"unexpected {token.desc()}"
        context = context or (self.contexts[-1] if self.contexts else "")
        if context:
            message += f" in {context}"
        if expected:
            message += f", expected {expected}"
        return ParseError(message, token.pos)

    def expect(self, type_: T, context: str, expected: str) -> Token:
        if self.peek().type is not type_:
            raise self.unexpected(context, expected)
        return self.take()

    def starts_expression(self) -> bool:
        kind = self.peek().type
        return kind in _METRIC_IDENTIFIER or kind in (
            T.NUMBER,
            T.STRING,
            T.LEFT_PAREN,
            T.LEFT_BRACE,
            T.ADD,
            T.SUB,
        )

    # --- grammar

    def parse(self) -> ast.Node:
        if self.peek().type is T.EOF:
            raise ParseError("no expression found in input", 0)
        node = self.expr(0)
        if self.peek().type is not T.EOF:
            raise self.unexpected()
        return node

    def expr(self, min_precedence: int) -> ast.Node:
        self.depth += 1
        if self.depth > self.max_depth:
            raise ParseError(too_deep(self.max_depth), self.peek().pos)
        try:
            left = self.unary()
            while True:
                token = self.peek()
                precedence = _PRECEDENCE.get(token.type)
                if precedence is None or precedence < min_precedence:
                    return left
                self.take()
                return_bool, matching = self.bin_modifiers()
                # ^ is right-associative; the others are left-associative.
                right = self.expr(precedence if token.type is T.POW else precedence + 1)
                node = ast.BinaryExpr(
                    start=left.start,
                    op=token.type.value,
                    op_pos=token.pos,
                    lhs=left,
                    rhs=right,
                    return_bool=return_bool,
                    matching=matching,
                )
                left = self.measured(node)
        finally:
            self.depth -= 1

    def measured(self, node: ast.Node) -> ast.Node:
        node.depth = 1 + max((child.depth for child in node.children()), default=0)
        if node.depth > self.max_depth:
            raise ParseError(too_deep(self.max_depth), node.start)
        return node

    def bin_modifiers(self) -> tuple[bool, ast.VectorMatching]:
        """bin_modifier: [bool] [on|ignoring (labels) [group_left|group_right [(labels)]]]."""
        return_bool = False
        matching = ast.VectorMatching()
        if self.peek().type is T.BOOL:
            self.take()
            return_bool = True
        if self.peek().type in (T.ON, T.IGNORING):
            matching.on = self.take().type is T.ON
            matching.written = True
            matching.matching_labels = self.grouping_labels()
            if self.peek().type in (T.GROUP_LEFT, T.GROUP_RIGHT):
                left = self.take().type is T.GROUP_LEFT
                matching.card = "many-to-one" if left else "one-to-many"
                if self.peek().type is T.LEFT_PAREN:
                    matching.include = self.grouping_labels()
                elif not self.starts_expression():
                    raise self.unexpected("grouping opts", '"("')
        return return_bool, matching

    def grouping_labels(self) -> list[str]:
        if self.peek().type is not T.LEFT_PAREN:
            raise self.unexpected("grouping opts", '"("')
        self.take()
        labels: list[str] = []
        while self.peek().type is not T.RIGHT_PAREN:
            token = self.peek()
            if token.type not in _MAYBE_LABEL or not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", token.text):
                raise self.unexpected("grouping opts", "label")
            labels.append(self.take().text)
            if self.peek().type is T.COMMA:
                self.take()
            elif self.peek().type is not T.RIGHT_PAREN:
                raise self.unexpected("grouping opts", '"," or ")"')
        self.take()
        return labels

    def unary(self) -> ast.Node:
        token = self.peek()
        if token.type not in (T.ADD, T.SUB):
            return self.postfix(self.primary())
        self.take()
        operand = self.expr(_UNARY_OPERAND_PRECEDENCE)
        if isinstance(operand, ast.NumberLiteral):
            # The grammar folds a sign into a number literal, which then starts at the sign.
            if token.type is T.SUB:
                operand.value = -operand.value
            operand.start = token.pos
            return operand
        return self.measured(ast.UnaryExpr(start=token.pos, op=token.type.value, expr=operand))

    def primary(self) -> ast.Node:
        token = self.peek()
        kind = token.type
        if kind is T.NUMBER:
            self.take()
            try:
                value = go_number(token.text)
            except ValueError as error:
                raise ParseError(f"error parsing number: {error}", token.pos) from None
            return ast.NumberLiteral(start=token.pos, value=value)
        if kind is T.STRING:
            self.take()
            return ast.StringLiteral(start=token.pos, value=go_unquote(token.text))
        if kind is T.LEFT_PAREN:
            self.take()
            inner = self.expr(0)
            if self.peek().type is not T.RIGHT_PAREN:
                raise self.unexpected()
            self.take()
            return self.measured(ast.ParenExpr(start=token.pos, expr=inner))
        if kind is T.LEFT_BRACE:
            return self.selector(None)
        if kind in AGGREGATORS and self.peek(1).type in (T.LEFT_PAREN, T.BY, T.WITHOUT):
            return self.aggregate()
        if kind is T.IDENTIFIER and self.peek(1).type is T.LEFT_PAREN:
            return self.call()
        if kind in _METRIC_IDENTIFIER:
            return self.selector(self.take())
        raise self.unexpected()

    def call_body(self) -> list[ast.Node]:
        """function_call_body: ( args ), a trailing comma refused."""
        self.expect(T.LEFT_PAREN, "", "")
        args: list[ast.Node] = []
        if self.peek().type is T.RIGHT_PAREN:
            self.take()
            return args
        while True:
            args.append(self.expr(0))
            if self.peek().type is T.RIGHT_PAREN:
                self.take()
                return args
            if self.peek().type is not T.COMMA:
                raise self.unexpected()
            comma = self.take()
            if self.peek().type is T.ERROR:
                self.take()
            if not self.starts_expression():
                raise ParseError("trailing commas not allowed in function call args", comma.pos)

    def call(self) -> ast.Node:
        name = self.take()
        args = self.call_body()
        function = FUNCTIONS.get(name.text)
        if function is None:
            raise ParseError(f"unknown function with name {go_quote(name.text)}", name.pos)
        return self.measured(ast.Call(start=name.pos, function=function, args=args))

    def aggregate(self) -> ast.Node:
        self.contexts.append("aggregation")
        try:
            return self.aggregate_in_context()
        finally:
            self.contexts.pop()

    def aggregate_in_context(self) -> ast.Node:
        op = self.take()
        modifier: tuple[bool, list[str]] | None = None
        if self.peek().type in (T.BY, T.WITHOUT):
            modifier = self.aggregate_modifier()
            if self.peek().type is not T.LEFT_PAREN:
                raise self.unexpected("aggregation")
            args = self.call_body()
        else:
            args = self.call_body()
            if self.peek().type in (T.BY, T.WITHOUT):
                modifier = self.aggregate_modifier()
        if not args:
            raise ParseError("no arguments for aggregate expression provided", op.pos)
        wanted = 2 if op.type.value in _PARAM_AGGREGATORS else 1
        if len(args) != wanted:
            raise ParseError(
                f"wrong number of arguments for aggregate expression provided, expected {wanted}, got {len(args)}",
                op.pos,
            )
        without, grouping = modifier or (False, [])
        node = ast.AggregateExpr(
            start=op.pos,
            op=op.type.value,
            expr=args[-1],
            param=args[0] if wanted == 2 else None,
            grouping=grouping,
            without=without,
            has_modifier=modifier is not None,
        )
        return self.measured(node)

    def aggregate_modifier(self) -> tuple[bool, list[str]]:
        """(without?, labels) of `by (...)` / `without (...)`."""
        without = self.take().type is T.WITHOUT
        return without, self.grouping_labels()

    def selector(self, name: Token | None) -> ast.Node:
        node = ast.VectorSelector(start=name.pos if name else self.peek().pos, name=name.text if name else "")
        if self.peek().type is T.LEFT_BRACE:
            node.matchers = self.label_matchers()
        elif name is None:
            raise self.unexpected()
        return node

    def label_matchers(self) -> list[ast.Matcher]:
        self.take()  # {
        matchers: list[ast.Matcher] = []
        while self.peek().type is not T.RIGHT_BRACE:
            label = self.peek()
            if label.type is not T.IDENTIFIER:
                raise self.unexpected("label matching", 'identifier or "}"')
            self.take()
            if self.peek().type not in _MATCH_OPS:
                raise self.unexpected("label matching", "label matching operator")
            op = _MATCH_OPS[self.take().type]
            if self.peek().type is not T.STRING:
                raise self.unexpected("label matching", "string")
            value = go_unquote(self.take().text)
            if op in ("=~", "!~"):
                try:
                    compile_anchored(value)
                except GoRegexpError as error:
                    raise ParseError(str(error), label.pos) from None
            matchers.append(ast.Matcher(label.text, op, value))
            if self.peek().type is T.COMMA:
                self.take()
            elif self.peek().type is not T.RIGHT_BRACE:
                raise self.unexpected("label matching", '"," or "}"')
        self.take()
        return matchers

    # --- postfix modifiers: [range], [range:step], offset, @

    def postfix(self, node: ast.Node) -> ast.Node:
        while True:
            kind = self.peek().type
            if kind is T.LEFT_BRACKET:
                node = self.range_or_subquery(node)
            elif kind is T.OFFSET:
                self.offset(node)
            elif kind is T.AT:
                self.at(node)
            else:
                return node

    def duration(self, token: Token) -> int:
        try:
            value = parse_duration_ms(token.text)
        except ValueError as error:
            raise ParseError(str(error), token.pos) from None
        if value == 0:
            raise ParseError("duration must be greater than 0", token.pos)
        return value

    def range_or_subquery(self, node: ast.Node) -> ast.Node:
        bracket = self.take()
        if self.peek().type is not T.DURATION:
            raise self.unexpected("subquery selector", "duration")
        range_ms = self.duration(self.take())
        if self.peek().type is T.RIGHT_BRACKET:
            self.take()
            problem = None
            if not isinstance(node, ast.VectorSelector):
                problem = "ranges only allowed for vector selectors"
            elif node.offset_ms != 0:
                problem = "no offset modifiers allowed before range"
            elif node.at is not None:
                problem = "no @ modifiers allowed before range"
            if problem:
                raise ParseError(problem, bracket.pos)
            assert isinstance(node, ast.VectorSelector)
            return self.measured(ast.MatrixSelector(start=node.start, selector=node, range_ms=range_ms))
        if self.peek().type is not T.COLON:
            raise self.unexpected("subquery or range", '":" or "]"')
        self.take()
        step_ms = 0
        if self.peek().type is T.DURATION:
            step_ms = self.duration(self.take())
            if self.peek().type is not T.RIGHT_BRACKET:
                raise self.unexpected("subquery selector", '"]"')
        elif self.peek().type is not T.RIGHT_BRACKET:
            raise self.unexpected("subquery selector", 'duration or "]"')
        self.take()
        return self.measured(ast.SubqueryExpr(start=node.start, expr=node, range_ms=range_ms, step_ms=step_ms))

    def modifier_target(self, node: ast.Node, what: str) -> ast.VectorSelector | ast.SubqueryExpr:
        """The node that holds an offset or @ (a matrix's selector), or a ParseError."""
        if isinstance(node, ast.MatrixSelector):
            return node.selector
        if isinstance(node, (ast.VectorSelector, ast.SubqueryExpr)):
            return node
        raise ParseError(
            f"{what} modifier must be preceded by an instant vector selector or range vector selector or a subquery",
            node.start,
        )

    def offset(self, node: ast.Node) -> None:
        self.take()
        sign = 1
        if self.peek().type is T.SUB:
            self.take()
            sign = -1
        if self.peek().type is not T.DURATION:
            raise self.unexpected("offset", "duration")
        offset_ms = sign * self.duration(self.take())
        target = self.modifier_target(node, "offset")
        if target.offset_ms != 0:
            raise ParseError("offset may not be set multiple times", node.start)
        target.offset_ms = offset_ms

    def at(self, node: ast.Node) -> None:
        self.take()
        token = self.peek()
        if token.type in (T.START, T.END):
            self.take()
            self.expect(T.LEFT_PAREN, "@", "timestamp")
            self.expect(T.RIGHT_PAREN, "@", "timestamp")
            self.set_at(node, ast.AtModifier(preprocessor=token.type.value))
            return
        sign = 1.0
        if token.type in (T.ADD, T.SUB):
            self.take()
            sign = -1.0 if token.type is T.SUB else 1.0
        number = self.peek()
        if number.type is not T.NUMBER:
            raise self.unexpected("@", "timestamp")
        self.take()
        try:
            seconds = sign * go_number(number.text)
        except ValueError as error:
            raise ParseError(f"error parsing number: {error}", number.pos) from None
        if math.isinf(seconds) or math.isnan(seconds) or not -(2.0**63) < seconds < 2.0**63:
            raise ParseError(f"timestamp out of bounds for @ modifier: {_go_float_f(seconds)}", node.start)
        self.set_at(node, ast.AtModifier(timestamp_ms=go_round_ms(seconds)))

    def set_at(self, node: ast.Node, at: ast.AtModifier) -> None:
        target = self.modifier_target(node, "@")
        if target.at is not None:
            raise ParseError("@ <timestamp> may not be set multiple times", node.start)
        target.at = at


# ---------------------------------------------------------------------------------------------
# checkAST


def check(node: ast.Node, text: str) -> str:
    """parse.go checkAST: the node's value type, or ParseError for the first problem."""
    if isinstance(node, ast.AggregateExpr):
        _expect(node.expr, VECTOR, "aggregation expression", text)
        if node.op in ("topk", "bottomk", "quantile"):
            _expect(node.param, SCALAR, "aggregation parameter", text)
        if node.op == "count_values":
            _expect(node.param, STRING, "aggregation parameter", text)
    elif isinstance(node, ast.BinaryExpr):
        _check_binary(node, text)
    elif isinstance(node, ast.Call):
        _check_call(node, text)
    elif isinstance(node, ast.ParenExpr):
        check(node.expr, text)
    elif isinstance(node, ast.UnaryExpr):
        inner = check(node.expr, text)
        if inner not in (SCALAR, VECTOR):
            raise ParseError(
                f'unary expression only allowed on expressions of type scalar or instant vector, got "{inner}"',
                node.start,
            )
    elif isinstance(node, ast.SubqueryExpr):
        inner = check(node.expr, text)
        if inner != VECTOR:
            raise ParseError(
                f"subquery is only allowed on instant vector, got {VALUE_TYPE_NAMES[inner]} instead", node.start
            )
    elif isinstance(node, ast.MatrixSelector):
        check(node.selector, text)
    elif isinstance(node, ast.VectorSelector):
        _check_selector(node)
    return node.type


def _expect(node: ast.Node | None, want: str, context: str, text: str) -> None:
    assert node is not None
    got = check(node, text)
    if got != want:
        raise ParseError(f"expected type {want} in {context}, got {got}", node.start)


def _check_binary(node: ast.BinaryExpr, text: str) -> None:
    left, right = check(node.lhs, text), check(node.rhs, text)
    op, matching = node.op, node.matching
    if node.return_bool and op not in _COMPARISONS:
        raise ParseError("bool modifier can only be used on comparison operators", node.op_pos)
    if op in _COMPARISONS and not node.return_bool and left == SCALAR and right == SCALAR:
        raise ParseError("comparisons between scalars must use BOOL modifier", node.op_pos)
    if op in _SET_OPERATORS and matching.card == "one-to-one":
        matching.card = "many-to-many"
    if matching.on:
        for label in matching.matching_labels:
            if label in matching.include:
                raise ParseError(f"label {go_quote(label)} must not occur in ON and GROUP clause at once", node.op_pos)
    if left not in (SCALAR, VECTOR):
        raise ParseError("binary expression must contain only scalar and instant vector types", node.lhs.start)
    if right not in (SCALAR, VECTOR):
        raise ParseError("binary expression must contain only scalar and instant vector types", node.rhs.start)
    if left != VECTOR or right != VECTOR:
        if matching.matching_labels:
            raise ParseError("vector matching only allowed between instant vectors", node.start)
    elif op in _SET_OPERATORS:
        if matching.card in ("one-to-many", "many-to-one"):
            raise ParseError(f'no grouping allowed for "{op}" operation', node.start)
        if matching.card != "many-to-many":
            raise ParseError("set operations must always be many-to-many", node.start)
    if (left == SCALAR or right == SCALAR) and op in _SET_OPERATORS:
        raise ParseError(f'set operator "{op}" not allowed in binary scalar expression', node.start)


def _check_call(node: ast.Call, text: str) -> None:
    function = node.function
    count, name = len(function.arg_types), go_quote(function.name)
    if function.variadic == 0:
        if count != len(node.args):
            raise ParseError(f"expected {count} argument(s) in call to {name}, got {len(node.args)}", node.start)
    else:
        required = count - 1
        if required > len(node.args):
            raise ParseError(
                f"expected at least {required} argument(s) in call to {name}, got {len(node.args)}", node.start
            )
        most = required + function.variadic
        if function.variadic > 0 and most < len(node.args):
            raise ParseError(f"expected at most {most} argument(s) in call to {name}, got {len(node.args)}", node.start)
    for index, arg in enumerate(node.args):
        if index >= count:
            if function.variadic == 0:
                break
            index = count - 1
        _expect(arg, function.arg_types[index], f"call to function {name}", text)


def _check_selector(node: ast.VectorSelector) -> None:
    if node.name:
        for matcher in node.matchers:
            if matcher.name == "__name__":
                raise ParseError(
                    f"metric name must not be set twice: {go_quote(node.name)} or {go_quote(matcher.value)}",
                    node.start,
                )
        return
    if not any(not _matches_empty(matcher) for matcher in node.matchers):
        raise ParseError("vector selector must contain at least one non-empty matcher", node.start)


def _matches_empty(matcher: ast.Matcher) -> bool:
    if matcher.op == "=":
        return matcher.value == ""
    if matcher.op == "!=":
        return matcher.value != ""
    matched = compile_anchored(matcher.value).fullmatch("") is not None
    return matched if matcher.op == "=~" else not matched
