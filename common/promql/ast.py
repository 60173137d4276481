"""The syntax tree of a PromQL 2.42 expression, with the positions Go's parser reports.

Mirrors promql/parser/ast.go: node kinds, their value types (Type()) and their start
positions (PositionRange().Start), which error messages point at. Offsets and @ times are
integers of milliseconds, as Go stores them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .functions import MATRIX, SCALAR, STRING, VECTOR, Function

# Expression nodes are dataclasses without the generated __eq__ and __repr__: trees are walked, never compared or
# printed (promql_text() prints them), and each generated method costs about 0.1 ms at import, which a one-case
# `alertkit test` run pays in full.


@dataclass
class AtModifier:
    """`@ <timestamp>` (ms) or `@ start()` / `@ end()` (preprocessor "start" / "end")."""

    timestamp_ms: int | None = None
    preprocessor: str | None = None


@dataclass(kw_only=True, eq=False, repr=False)
class Node:
    start: int  # index of the node's first character in the expression
    depth: int = field(default=1, init=False)  # height of the subtree, for the nesting bound

    @property
    def type(self) -> str:
        """ast.go Type(): the value type the node evaluates to."""
        return VECTOR

    def children(self) -> list[Node]:
        return []


@dataclass(kw_only=True, eq=False, repr=False)
class NumberLiteral(Node):
    value: float = 0.0

    @property
    def type(self) -> str:
        return SCALAR


@dataclass(kw_only=True, eq=False, repr=False)
class StringLiteral(Node):
    value: str = ""

    @property
    def type(self) -> str:
        return STRING


@dataclass
class Matcher:
    name: str
    op: str  # "=", "!=", "=~", "!~"
    value: str


@dataclass(kw_only=True, eq=False, repr=False)
class VectorSelector(Node):
    name: str = ""
    matchers: list[Matcher] = field(default_factory=list)
    offset_ms: int = 0  # OriginalOffset; 0 = none (Go cannot tell "offset 0" from none)
    at: AtModifier | None = None

    @property
    def type(self) -> str:
        return VECTOR


@dataclass(kw_only=True, eq=False, repr=False)
class MatrixSelector(Node):
    selector: VectorSelector
    range_ms: int

    @property
    def type(self) -> str:
        return MATRIX

    def children(self) -> list[Node]:
        return [self.selector]


@dataclass(kw_only=True, eq=False, repr=False)
class SubqueryExpr(Node):
    expr: Node
    range_ms: int
    step_ms: int = 0  # 0: the default step
    offset_ms: int = 0
    at: AtModifier | None = None

    @property
    def type(self) -> str:
        return MATRIX

    def children(self) -> list[Node]:
        return [self.expr]


@dataclass(kw_only=True, eq=False, repr=False)
class Call(Node):
    function: Function
    args: list[Node] = field(default_factory=list)

    @property
    def type(self) -> str:
        return self.function.return_type

    def children(self) -> list[Node]:
        return list(self.args)


@dataclass(kw_only=True, eq=False, repr=False)
class ParenExpr(Node):
    expr: Node

    @property
    def type(self) -> str:
        return self.expr.type

    def children(self) -> list[Node]:
        return [self.expr]


@dataclass(kw_only=True, eq=False, repr=False)
class UnaryExpr(Node):
    op: str
    expr: Node

    @property
    def type(self) -> str:
        return self.expr.type

    def children(self) -> list[Node]:
        return [self.expr]


@dataclass(kw_only=True, eq=False, repr=False)
class AggregateExpr(Node):
    op: str
    expr: Node
    param: Node | None = None
    grouping: list[str] = field(default_factory=list)
    without: bool = False
    has_modifier: bool = False  # `by (...)` or `without (...)` was written

    @property
    def type(self) -> str:
        return VECTOR

    def children(self) -> list[Node]:
        return [self.expr] if self.param is None else [self.param, self.expr]


@dataclass
class VectorMatching:
    card: str = "one-to-one"  # "one-to-one", "many-to-one", "one-to-many", "many-to-many"
    matching_labels: list[str] = field(default_factory=list)
    on: bool = False
    written: bool = False  # on(...) or ignoring(...) was written
    include: list[str] = field(default_factory=list)


@dataclass(kw_only=True, eq=False, repr=False)
class BinaryExpr(Node):
    op: str
    op_pos: int
    lhs: Node
    rhs: Node
    return_bool: bool = False
    matching: VectorMatching = field(default_factory=VectorMatching)

    @property
    def type(self) -> str:
        if self.lhs.type == SCALAR and self.rhs.type == SCALAR:
            return SCALAR
        return VECTOR

    def children(self) -> list[Node]:
        return [self.lhs, self.rhs]
