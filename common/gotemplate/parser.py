"""Parser for Go templates, mirroring Go 1.19's text/template/parse/parse.go: the same grammar,
the same checks at parse time (functions must exist, variables must be declared, {{break}} only
inside {{range}}) and the same error wording, so a template promtool rejects is rejected here.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field

from . import nodes as n
from .errors import GoTemplateError
from .goquote import GoSyntaxError, go_quote, go_unquote, unquote_char
from .gostrconv import StrconvError, parse_float, parse_int_base0, parse_uint_base0
from .lexer import Item, ItemType, lex


@dataclass
class ParsedTemplate:
    """A parsed template set: the main tree plus every {{define}}d tree, by name."""

    name: str
    text: str
    root: n.ListNode
    definitions: dict[str, n.ListNode] = field(default_factory=dict)


class _ParseFailure(Exception):
    def __init__(self, error: GoTemplateError) -> None:
        self.error = error


_OPERAND_STARTS = {
    ItemType.BOOL,
    ItemType.CHAR_CONSTANT,
    ItemType.COMPLEX,
    ItemType.DOT,
    ItemType.FIELD,
    ItemType.IDENTIFIER,
    ItemType.NUMBER,
    ItemType.NIL,
    ItemType.RAW_STRING,
    ItemType.STRING,
    ItemType.VARIABLE,
    ItemType.LEFT_PAREN,
}


class _Parser:
    def __init__(self, name: str, text: str, functions: Collection[str], user_offset: int) -> None:
        self.name = name
        self.text = text
        self.functions = functions
        self.user_offset = user_offset  # where the user's text starts (after a prefix)
        self.items = lex(text)
        self.last_index = len(self.items) - 1  # the EOF or ERROR item that ends the stream
        self.index = 0
        self.last_item: Item = self.items[0]  # Go's token[0]: the most recently lexed item
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.action_line = 0
        self.definitions: dict[str, n.ListNode] = {}

    # --- token stream (Go keeps a 3-token look-ahead; an index into the list is simpler) ---
    def next(self) -> Item:
        index = self.index
        if index < self.last_index:
            item = self.items[index]
            self.index = index + 1
        else:
            item = self.items[-1]  # past the end: the EOF/ERROR again
            self.index = self.last_index + 1
        if item.pos > self.last_item.pos:
            self.last_item = item
        return item

    def backup(self, count: int = 1) -> None:
        self.index -= count

    def peek(self) -> Item:
        item = self.items[self.index] if self.index < self.last_index else self.items[-1]
        if item.pos > self.last_item.pos:
            self.last_item = item
        return item

    def next_non_space(self) -> Item:
        item = self.next()
        while item.typ is ItemType.SPACE:
            item = self.next()
        return item

    def peek_non_space(self) -> Item:
        item = self.next_non_space()
        self.backup()
        return item

    # --- errors ---
    def errorf(self, message: str, at: Item | None = None) -> None:
        item = at or self.last_item
        offset = max(0, item.pos - self.user_offset)
        raise _ParseFailure(GoTemplateError(message, name=self.name, line=item.line, offset=offset))

    def unexpected(self, item: Item, context: str) -> None:
        if item.typ is ItemType.ERROR:
            extra = ""
            if self.action_line != 0 and self.action_line != item.line:
                extra = f" in action started at {self.name}:{self.action_line}"
                if item.val.endswith(" action"):
                    extra = extra[len(" in action") :]  # avoid "action in action"
            self.errorf(f"{item}{extra}", item)
        self.errorf(f"unexpected {item} in {context}", item)

    def expect(self, expected: ItemType, context: str) -> Item:
        item = self.next_non_space()
        if item.typ is not expected:
            self.unexpected(item, context)
        return item

    # --- grammar ---
    def parse(self) -> n.ListNode:
        root = n.ListNode(self.peek().pos)
        while self.peek().typ is not ItemType.EOF:
            if self.peek().typ is ItemType.LEFT_DELIM:
                self.next()
                if self.next_non_space().typ is ItemType.DEFINE:
                    self.parse_definition()
                    continue
                self.backup_to_delim()
            node = self.text_or_action()
            if isinstance(node, (n.EndNode, n.ElseNode)):
                self.errorf(f"unexpected {node}")
            root.nodes.append(node)
        return root

    def backup_to_delim(self) -> None:
        self.index = min(self.index, len(self.items) - 1)
        while self.items[self.index].typ is not ItemType.LEFT_DELIM:
            self.index -= 1

    def parse_definition(self) -> None:
        context = "define clause"
        token = self.next_non_space()
        if token.typ not in (ItemType.STRING, ItemType.RAW_STRING):
            self.unexpected(token, context)
        name = self.unquote(token)
        self.expect(ItemType.RIGHT_DELIM, context)
        self.parse_definition_body(name, context)

    def parse_definition_body(self, name: str, context: str) -> None:
        """The body of `define` or `block` up to its `end`, parsed with only `$` in scope, then defined.

        parse.go parseDefinition and blockControl share this: a template body starts a fresh variable scope.
        """
        saved_vars, self.vars = self.vars, ["$"]
        body, end = self.item_list()
        self.vars = saved_vars
        if not isinstance(end, n.EndNode):
            self.errorf(f"unexpected {end} in {context}")
        self.add_definition(name, body)

    def add_definition(self, name: str, body: n.ListNode) -> None:
        # Go's (*Tree).add: a blank redefinition keeps the earlier body, two real ones clash.
        earlier = self.definitions.get(name)
        if earlier is None or is_empty_tree(earlier):
            self.definitions[name] = body
        elif not is_empty_tree(body):
            self.errorf(f"template: multiple definition of template {go_quote(name)}")

    def item_list(self) -> tuple[n.ListNode, n.Node]:
        node_list = n.ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ is not ItemType.EOF:
            node = self.text_or_action()
            if isinstance(node, (n.EndNode, n.ElseNode)):
                return node_list, node
            node_list.nodes.append(node)
        self.errorf("unexpected EOF")
        raise AssertionError("unreachable")

    def text_or_action(self) -> n.Node:
        token = self.next_non_space()
        if token.typ is ItemType.TEXT:
            return n.TextNode(token.pos, token.val)
        if token.typ is ItemType.LEFT_DELIM:
            self.action_line = token.line
            try:
                return self.action()
            finally:
                self.action_line = 0
        self.unexpected(token, "input")
        raise AssertionError("unreachable")

    def action(self) -> n.Node:
        token = self.next_non_space()
        keyword_parsers = {
            ItemType.BLOCK: self.block_control,
            ItemType.ELSE: self.else_control,
            ItemType.END: self.end_control,
            ItemType.IF: lambda: self.branch_control(n.IfNode, "if", allow_else_if=True),
            ItemType.RANGE: lambda: self.branch_control(n.RangeNode, "range", allow_else_if=False),
            ItemType.TEMPLATE: self.template_control,
            ItemType.WITH: lambda: self.branch_control(n.WithNode, "with", allow_else_if=False),
        }
        if token.typ is ItemType.BREAK or token.typ is ItemType.CONTINUE:
            return self.loop_control(token)
        if token.typ in keyword_parsers:
            return keyword_parsers[token.typ]()
        self.backup()
        token = self.peek()
        # Variables declared here persist until the enclosing {{end}}.
        return n.ActionNode(token.pos, self.pipeline("command", ItemType.RIGHT_DELIM))

    def loop_control(self, token: Item) -> n.Node:
        word = token.val
        after = self.next_non_space()
        if after.typ is not ItemType.RIGHT_DELIM:
            self.unexpected(after, "{{" + word + "}}")
        if self.range_depth == 0:
            self.errorf("{{" + word + "}} outside {{range}}")
        return n.BreakNode(token.pos) if word == "break" else n.ContinueNode(token.pos)

    def branch_control(self, node_type: type[n.BranchNode], context: str, allow_else_if: bool) -> n.Node:
        mark = len(self.vars)
        try:
            pipe = self.pipeline(context, ItemType.RIGHT_DELIM)
            if context == "range":
                self.range_depth += 1
            body, next_node = self.item_list()
            if context == "range":
                self.range_depth -= 1
            else_list = None
            if isinstance(next_node, n.ElseNode):
                else_list = self.else_branch(next_node, allow_else_if)
            return node_type(pipe.pos, pipe, body, else_list)
        finally:
            del self.vars[mark:]

    def else_branch(self, else_node: n.ElseNode, allow_else_if: bool) -> n.ListNode:
        # {{if a}}_{{else if b}}_{{end}} is read as {{if a}}_{{else}}{{if b}}_{{end}}{{end}}:
        # only one {{end}} closes the whole chain (parse.go parseControl).
        if allow_else_if and self.peek().typ is ItemType.IF:
            self.next()
            else_list = n.ListNode(else_node.pos)
            else_list.nodes.append(self.branch_control(n.IfNode, "if", allow_else_if=True))
            return else_list
        else_list, next_node = self.item_list()
        if not isinstance(next_node, n.EndNode):
            self.errorf(f"expected end; found {next_node}")
        return else_list

    def else_control(self) -> n.Node:
        peek = self.peek_non_space()
        if peek.typ is ItemType.IF:
            # "{{else if ..." : leave the "if" pending for the enclosing if.
            self.next_non_space()
            self.backup()
            return n.ElseNode(peek.pos)
        token = self.expect(ItemType.RIGHT_DELIM, "else")
        return n.ElseNode(token.pos)

    def end_control(self) -> n.Node:
        return n.EndNode(self.expect(ItemType.RIGHT_DELIM, "end").pos)

    def template_control(self) -> n.Node:
        context = "template clause"
        token = self.next_non_space()
        name = self.parse_template_name(token, context)
        pipe = None
        if self.next_non_space().typ is not ItemType.RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, ItemType.RIGHT_DELIM)
        return n.TemplateNode(token.pos, name, pipe)

    def block_control(self) -> n.Node:
        context = "block clause"
        token = self.next_non_space()
        name = self.parse_template_name(token, context)
        pipe = self.pipeline(context, ItemType.RIGHT_DELIM)
        self.parse_definition_body(name, context)
        return n.TemplateNode(token.pos, name, pipe)

    def parse_template_name(self, token: Item, context: str) -> str:
        if token.typ not in (ItemType.STRING, ItemType.RAW_STRING):
            self.unexpected(token, context)
        return self.unquote(token)

    def unquote(self, token: Item) -> str:
        try:
            return go_unquote(token.val)
        except GoSyntaxError as err:
            self.errorf(str(err))
            raise AssertionError("unreachable") from err

    def pipeline(self, context: str, end: ItemType) -> n.PipeNode:
        token = self.peek_non_space()
        pipe = n.PipeNode(token.pos, token.line)
        self.declarations(pipe, context)
        while True:
            token = self.next_non_space()
            if token.typ is end:
                self.check_pipeline(pipe, context)
                return pipe
            if token.typ in _OPERAND_STARTS:
                self.backup()
                pipe.cmds.append(self.command())
            else:
                self.unexpected(token, context)

    def declarations(self, pipe: n.PipeNode, context: str) -> None:
        """$x := / $x = / range $i, $e := at the start of a pipeline (parse.go pipeline)."""
        while True:
            start = self.index
            variable = self.next_non_space()
            if variable.typ is not ItemType.VARIABLE:
                self.index = start
                return
            after = self.next_non_space()
            if after.typ in (ItemType.ASSIGN, ItemType.DECLARE):
                pipe.is_assign = after.typ is ItemType.ASSIGN
                pipe.decl.append(n.VariableNode(variable.pos, [variable.val]))
                self.vars.append(variable.val)
                return
            if after.typ is ItemType.CHAR and after.val == ",":
                pipe.decl.append(n.VariableNode(variable.pos, [variable.val]))
                self.vars.append(variable.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (ItemType.VARIABLE, ItemType.RIGHT_DELIM, ItemType.RIGHT_PAREN):
                        continue  # second initialized variable in a range pipeline
                    self.errorf("range can only initialize variables")
                self.errorf(f"too many declarations in {context}")
            self.index = start
            return

    def check_pipeline(self, pipe: n.PipeNode, context: str) -> None:
        if not pipe.cmds:
            self.errorf(f"missing value for {context}")
        # Only the first command of a pipeline can start with a non-executable operand.
        for stage, cmd in enumerate(pipe.cmds[1:], start=2):
            if isinstance(cmd.args[0], (n.BoolNode, n.DotNode, n.NilNode, n.NumberNode, n.StringNode)):
                self.errorf(f"non executable command in pipeline stage {stage}")

    def command(self) -> n.CommandNode:
        cmd = n.CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()  # skip leading spaces
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            token = self.next()
            if token.typ is ItemType.SPACE:
                continue
            if token.typ in (ItemType.RIGHT_DELIM, ItemType.RIGHT_PAREN):
                self.backup()
            elif token.typ is not ItemType.PIPE:
                self.unexpected(token, "operand")
            break
        if not cmd.args:
            self.errorf("empty command")
        return cmd

    def operand(self) -> n.Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().typ is ItemType.FIELD:
            chain_pos = self.peek().pos
            fields = []
            while self.peek().typ is ItemType.FIELD:
                fields.append(self.next().val[1:])
            # Fields after a field or variable extend it; literals cannot have fields.
            if isinstance(node, n.FieldNode):
                return n.FieldNode(chain_pos, node.ident + fields)
            if isinstance(node, n.VariableNode):
                return n.VariableNode(chain_pos, node.ident + fields)
            if isinstance(node, (n.BoolNode, n.StringNode, n.NumberNode, n.NilNode, n.DotNode)):
                self.errorf(f"unexpected . after term {go_quote(str(node))}")
            return n.ChainNode(chain_pos, node, fields)
        return node

    def term(self) -> n.Node | None:
        token = self.next_non_space()
        typ = token.typ
        if typ is ItemType.IDENTIFIER:
            if token.val not in self.functions:
                self.errorf(f"function {go_quote(token.val)} not defined")
            return n.IdentifierNode(token.pos, token.val)
        if typ is ItemType.DOT:
            return n.DotNode(token.pos)
        if typ is ItemType.NIL:
            return n.NilNode(token.pos)
        if typ is ItemType.VARIABLE:
            return self.use_var(token)
        if typ is ItemType.FIELD:
            return n.FieldNode(token.pos, [token.val[1:]])
        if typ is ItemType.BOOL:
            return n.BoolNode(token.pos, token.val == "true")
        if typ in (ItemType.CHAR_CONSTANT, ItemType.COMPLEX, ItemType.NUMBER):
            return self.number(token)
        if typ is ItemType.LEFT_PAREN:
            return self.pipeline("parenthesized pipeline", ItemType.RIGHT_PAREN)
        if typ in (ItemType.STRING, ItemType.RAW_STRING):
            return n.StringNode(token.pos, token.val, self.unquote(token))
        self.backup()
        return None

    def use_var(self, token: Item) -> n.VariableNode:
        if token.val not in self.vars:
            self.errorf(f"undefined variable {go_quote(token.val)}")
        return n.VariableNode(token.pos, [token.val])

    def number(self, token: Item) -> n.NumberNode:
        try:
            return parse_number(token)
        except ValueError as err:
            self.errorf(str(err))
            raise AssertionError("unreachable") from err


def is_empty_tree(node: n.Node) -> bool:
    """Go's IsEmptyTree: only blank text and comments."""
    if isinstance(node, n.ListNode):
        return all(is_empty_tree(child) for child in node.nodes)
    if isinstance(node, n.TextNode):
        return node.text.strip() == ""
    return isinstance(node, n.CommentNode)


_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1


def parse_number(token: Item) -> n.NumberNode:
    """Go's newNumber: record every type (int, float) that the constant's text fits."""
    text = token.val
    node = n.NumberNode(token.pos, text)
    if token.typ is ItemType.CHAR_CONSTANT:
        try:
            ch, tail = unquote_char(text[1:], text[0])
        except GoSyntaxError:
            raise ValueError("invalid syntax") from None
        if tail != "'":
            raise ValueError(f"malformed character constant: {text}")
        node.is_int = node.is_float = True
        node.int_value, node.float_value = ord(ch), float(ord(ch))
        return node
    if token.typ is ItemType.COMPLEX:
        return _simplify_complex(node, _parse_complex(text))
    if text.endswith("i"):
        # Imaginary constants are complex (even when zero).
        try:
            return _simplify_complex(node, complex(0.0, parse_float(text[:-1])))
        except StrconvError:
            pass
    unsigned = _parsed_or_none(parse_uint_base0, text)
    signed = _parsed_or_none(parse_int_base0, text)
    is_uint = unsigned is not None and unsigned <= _UINT64_MAX
    is_int = signed is not None and _INT64_MIN <= signed <= _INT64_MAX
    if is_int or is_uint:
        # An integer extraction succeeded: promote it to float as well (parse/node.go).
        node.is_int = is_int
        extracted = signed if is_int else unsigned
        assert extracted is not None  # is_int / is_uint say which extraction succeeded
        node.int_value = extracted
        node.is_float = True
        node.float_value = float(node.int_value)
        return node
    try:
        value = parse_float(text)
    except StrconvError:
        raise ValueError(f"illegal number syntax: {go_quote(text)}") from None
    if not any(c in text for c in ".eEpP"):
        # It parsed as a float but looks like an integer: a huge number that fits no int.
        raise ValueError(f"integer overflow: {go_quote(text)}")
    node.is_float = True
    node.float_value = value
    if math.isfinite(value) and value == int(value) and _INT64_MIN <= int(value) <= _INT64_MAX:
        node.is_int = True
        node.int_value = int(value)
    return node


def _parse_complex(text: str) -> complex:
    """fmt.Sscan of "re+imi" (the lexer only emits that shape for itemComplex)."""
    split = max(i for i, ch in enumerate(text) if ch in "+-" and i > 0 and text[i - 1] not in "eEpP")
    try:
        return complex(parse_float(text[:split]), parse_float(text[split:-1]))
    except StrconvError as err:
        raise ValueError(f"strconv.ParseFloat: parsing {go_quote(text)}: {err}") from None


def _simplify_complex(node: n.NumberNode, value: complex) -> n.NumberNode:
    """parse/node.go simplifyComplex: a complex constant with no imaginary part is also a float
    (and an int when integral); evaluated without context it stays complex."""
    node.is_complex = True
    node.complex_value = value
    if value.imag == 0:
        node.is_float = True
        node.float_value = value.real
        if math.isfinite(value.real) and value.real == int(value.real) and _INT64_MIN <= value.real <= _INT64_MAX:
            node.is_int = True
            node.int_value = int(value.real)
    return node


def _parsed_or_none(parser, text: str) -> int | None:
    try:
        return parser(text)
    except StrconvError:
        return None


def parse(text: str, name: str, functions: Collection[str], user_offset: int = 0) -> ParsedTemplate:
    """Parse ``text`` as Go's text/template would with a function map holding ``functions``.

    Raises GoTemplateError with Go's message; its offset is relative to ``user_offset``.
    """
    parser = _Parser(name, text, functions, user_offset)
    try:
        root = parser.parse()
    except _ParseFailure as failure:
        raise failure.error from None
    return ParsedTemplate(name, text, root, parser.definitions)
