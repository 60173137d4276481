"""PromQL checks of the compiler: every expression it accepts or emits goes through the 2.42 front
door (common/promql), so `alertkit compile` refuses exactly what `promtool check rules` refuses,
in promtool's words, and points at the bad token inside the YAML value when it can."""

from __future__ import annotations

from common.problems import SourcePosition
from common.promql import ast
from common.promql.frontdoor import PromQLSyntaxError, check_promql
from common.yamlsource import PositionMap, YamlPath


class ExpressionProblem(ValueError):
    """Why an expression written in a definition is refused; `offset` is the character of the
    expression the problem is at (None: the expression as a whole). Raised by validators, so
    pydantic carries it to compiler.validation, which places it with `locate`."""

    def __init__(self, message: str, expr: str = "", offset: int | None = None, expr_position: str = ""):
        super().__init__(message)
        self.message = message
        self.expr = expr
        self.offset = offset
        self.expr_position = expr_position  # "line:col" inside the expression, as promtool prints it

    def locate(self, positions: PositionMap, path: YamlPath) -> tuple[SourcePosition, str]:
        """Where in the file the problem is, and the message to print there.

        The position of the bad token when the YAML value maps characters to columns one to one
        (PositionMap.of_character); otherwise the value's start, and the message says where in
        the expression ("at 2:7 of the expression")."""
        value_start = positions.of_value(path)
        if self.offset is None:
            return value_start, self.message
        where = positions.of_character(path, self.expr, self.offset)
        if where == value_start and self.offset > 0:
            return where, f"{self.message} (at {self.expr_position} of the expression)"
        return where, self.message


def _syntax_error(expr: str) -> ExpressionProblem | None:
    try:
        check_promql(expr)
    except PromQLSyntaxError as error:
        return ExpressionProblem(
            f"PromQL syntax error: {error.message}", expr, error.offset, f"{error.line}:{error.column}"
        )
    return None


def syntax_problem(expr: str) -> str | None:
    """promtool's complaint about `expr` ("1:6: parse error: ..."), or None when 2.42 accepts it."""
    try:
        check_promql(expr)
    except PromQLSyntaxError as error:
        return f"PromQL syntax error: {error}"
    return None


def instant_vector_problem(expr: str) -> ExpressionProblem | None:
    """Why `expr` cannot be a rule expression (refused by 2.42, or a range/string value), or None.

    promtool accepts a range vector or a string as a rule's expression and fails only when the
    rule is evaluated; the compiler refuses them up front."""
    if not expr.strip():
        return ExpressionProblem("PromQL expression must not be empty")
    problem = _syntax_error(expr)
    if problem:
        return problem
    node = check_promql(expr)
    while isinstance(node, ast.ParenExpr):
        node = node.expr
    if node.type not in (ast.VECTOR, ast.SCALAR):
        return ExpressionProblem("PromQL expression must return an instant vector, not a range vector or string")
    return None


def matchers_problem(text: str) -> str | None:
    """Why `text` is not a list of label matchers as written inside {...}, or None."""
    try:
        check_promql(f"up{{{text}}}")
    except PromQLSyntaxError as error:
        return error.message
    return None


def is_plain_selector(expr: str) -> bool:
    """Whether `expr` is one vector selector without offset or @ (2.42 syntax assumed valid)."""
    node = check_promql(expr)
    return isinstance(node, ast.VectorSelector) and node.offset_ms == 0 and node.at is None
