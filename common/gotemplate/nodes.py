"""Parse-tree nodes, mirroring Go's text/template/parse/node.go.

Each node keeps its offset in the parsed text (``pos``) for error locations, and ``str()`` gives
Go's Node.String(), which Go quotes in errors (``unexpected {{end}}``, ``at <.Labels.x>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Nodes are compared by identity and printed by str() (Go's String()), so they are dataclasses without the
# generated __eq__ and __repr__: each generated method costs about 0.1 ms at import (25 node types), a
# visible part of a one-case `alertkit test` run.


@dataclass(eq=False, repr=False)
class Node:
    pos: int


@dataclass(eq=False, repr=False)
class TextNode(Node):
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(eq=False, repr=False)
class CommentNode(Node):
    text: str

    def __str__(self) -> str:
        return "{{" + self.text + "}}"


@dataclass(eq=False, repr=False)
class ListNode(Node):
    nodes: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return "".join(str(n) for n in self.nodes)


@dataclass(eq=False, repr=False)
class IdentifierNode(Node):
    """A function name."""

    ident: str

    def __str__(self) -> str:
        return self.ident


@dataclass(eq=False, repr=False)
class VariableNode(Node):
    """$x or $x.Field.Key: ident[0] is the variable name (with its $), the rest are fields."""

    ident: list[str]

    def __str__(self) -> str:
        return ".".join(self.ident)


@dataclass(eq=False, repr=False)
class DotNode(Node):
    def __str__(self) -> str:
        return "."


@dataclass(eq=False, repr=False)
class NilNode(Node):
    def __str__(self) -> str:
        return "nil"


@dataclass(eq=False, repr=False)
class FieldNode(Node):
    """.Field.Key: field names without their dots."""

    ident: list[str]

    def __str__(self) -> str:
        return "".join("." + name for name in self.ident)


@dataclass(eq=False, repr=False)
class ChainNode(Node):
    """(pipeline).Field or $x.Field written after a non-field term."""

    node: Node
    fields: list[str]

    def __str__(self) -> str:
        head = f"({self.node})" if isinstance(self.node, PipeNode) else str(self.node)
        return head + "".join("." + name for name in self.fields)


@dataclass(eq=False, repr=False)
class BoolNode(Node):
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(eq=False, repr=False)
class NumberNode(Node):
    """A numeric constant; like Go it records every type the text fits."""

    text: str
    is_int: bool = False
    is_float: bool = False
    is_complex: bool = False
    int_value: int = 0
    float_value: float = 0.0
    complex_value: complex = 0j

    def __str__(self) -> str:
        return self.text


@dataclass(eq=False, repr=False)
class StringNode(Node):
    quoted: str  # the original literal, quotes included
    text: str  # the unquoted value

    def __str__(self) -> str:
        return self.quoted


@dataclass(eq=False, repr=False)
class CommandNode(Node):
    args: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return " ".join(f"({arg})" if isinstance(arg, PipeNode) else str(arg) for arg in self.args)


@dataclass(eq=False, repr=False)
class PipeNode(Node):
    line: int
    decl: list[VariableNode] = field(default_factory=list)
    is_assign: bool = False
    cmds: list[CommandNode] = field(default_factory=list)

    def __str__(self) -> str:
        text = ""
        if self.decl:
            text = ", ".join(str(v) for v in self.decl) + (" = " if self.is_assign else " := ")
        return text + " | ".join(str(c) for c in self.cmds)


@dataclass(eq=False, repr=False)
class ActionNode(Node):
    pipe: PipeNode

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass(eq=False, repr=False)
class BranchNode(Node):
    """The shared shape of if, range and with."""

    pipe: PipeNode
    list: ListNode
    else_list: ListNode | None
    keyword = ""

    def __str__(self) -> str:
        text = "{{" + self.keyword + " " + str(self.pipe) + "}}" + str(self.list)
        if self.else_list is not None:
            text += "{{else}}" + str(self.else_list)
        return text + "{{end}}"


@dataclass(eq=False, repr=False)
class IfNode(BranchNode):
    keyword = "if"


@dataclass(eq=False, repr=False)
class RangeNode(BranchNode):
    keyword = "range"


@dataclass(eq=False, repr=False)
class WithNode(BranchNode):
    keyword = "with"


@dataclass(eq=False, repr=False)
class TemplateNode(Node):
    name: str
    pipe: PipeNode | None

    def __str__(self) -> str:
        from .goquote import go_quote

        if self.pipe is None:
            return "{{template " + go_quote(self.name) + "}}"
        return "{{template " + go_quote(self.name) + " " + str(self.pipe) + "}}"


@dataclass(eq=False, repr=False)
class BreakNode(Node):
    def __str__(self) -> str:
        return "{{break}}"


@dataclass(eq=False, repr=False)
class ContinueNode(Node):
    def __str__(self) -> str:
        return "{{continue}}"


@dataclass(eq=False, repr=False)
class EndNode(Node):
    """Marks {{end}}; never stays in a finished tree."""

    def __str__(self) -> str:
        return "{{end}}"


@dataclass(eq=False, repr=False)
class ElseNode(Node):
    """Marks {{else}}; never stays in a finished tree."""

    def __str__(self) -> str:
        return "{{else}}"
