"""Executes a parsed template, mirroring Go 1.19's text/template/exec.go with the option
missingkey=zero that Prometheus sets (template/template.go NewTemplateExpander).

Values are the stand-ins of values.py. Errors carry Go's text: ``template: NAME:LINE:COL:
executing "NAME" at <NODE>: MESSAGE``, where COL is the byte offset within the line and NODE is
the node's text (parse/parse.go ErrorContext).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NoReturn

from . import nodes as n
from .errors import GoCallError, GoExecError
from .funcmap import GoFunction
from .goquote import go_quote
from .parser import ParsedTemplate
from .values import (
    GoMap,
    GoStruct,
    GoTime,
    InterfaceValue,
    QueryResult,
    Sample,
    go_type_name,
    is_true,
    unwrap_interface,
)

MISSING = object()  # exec.go missingVal: "no final value from a previous pipeline stage"

# exec.go maxExecDepth is 100000; Python's stack is smaller, but only runaway recursion gets here.
MAX_EXEC_DEPTH = 100000
_PYTHON_SAFE_DEPTH = 60


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _ExecFailure(Exception):
    def __init__(self, text: str) -> None:
        self.text = text


def _assignable(value, go_type: str) -> bool:
    if go_type in ("any", "value"):
        return True
    if go_type == "string":
        return type(value) is str
    if go_type == "float64":
        return isinstance(value, float)
    if go_type == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if go_type == "bool":
        return isinstance(value, bool)
    if go_type == "queryResult":
        return isinstance(value, QueryResult)
    if go_type == "*sample":
        return isinstance(value, Sample)
    return False


_GO_TYPE_NAMES = {
    "any": "interface {}",
    "value": "reflect.Value",
    "queryResult": "template.queryResult",
    "*sample": "*template.sample",
}
_NILABLE = {"any", "value", "queryResult", "*sample"}


class _State:
    def __init__(self, template: ParsedTemplate, functions: Mapping[str, GoFunction], data) -> None:
        self.template = template
        self.functions = functions
        self.out: list[str] = []
        self.vars: list[list] = [["$", data]]
        self.node: n.Node | None = None
        self.depth = 0
        self.current_name = template.name  # the {{define}}d template being executed

    # --- errors -----------------------------------------------------------------------------
    def at(self, node: n.Node) -> None:
        self.node = node

    def errorf(self, message: str) -> NoReturn:
        name = self.current_name
        if self.node is None:
            raise _ExecFailure(f"template: {name}: {message}")
        location, context = self.error_context(self.node)
        raise _ExecFailure(f"template: {location}: executing {go_quote(name)} at <{context}>: {message}")

    def error_context(self, node: n.Node) -> tuple[str, str]:
        before = self.template.text[: node.pos].encode("utf-8", "surrogateescape")
        newline = before.rfind(b"\n")
        column = len(before) if newline < 0 else len(before) - newline - 1
        line = 1 + before.count(b"\n")
        return f"{self.template.name}:{line}:{column}", str(node)

    # --- variables --------------------------------------------------------------------------
    def mark(self) -> int:
        return len(self.vars)

    def pop(self, mark: int) -> None:
        del self.vars[mark:]

    def push(self, name: str, value) -> None:
        self.vars.append([name, value])

    def set_var(self, name: str, value) -> None:
        for entry in reversed(self.vars):
            if entry[0] == name:
                entry[1] = value
                return
        self.errorf(f"undefined variable: {name}")

    def set_top_var(self, depth: int, value) -> None:
        self.vars[len(self.vars) - depth][1] = value

    def var_value(self, name: str):
        for entry in reversed(self.vars):
            if entry[0] == name:
                return entry[1]
        self.errorf(f"undefined variable: {name}")
        return None

    # --- walking ----------------------------------------------------------------------------
    def walk(self, dot, node: n.Node) -> None:
        self.at(node)
        if isinstance(node, n.ActionNode):
            # Variables declared by an action persist until the enclosing {{end}}; an action
            # that declares or assigns prints nothing.
            value = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.print_value(node, value)
        elif isinstance(node, n.TextNode):
            self.out.append(node.text)
        elif isinstance(node, n.ListNode):
            for child in node.nodes:
                self.walk(dot, child)
        elif isinstance(node, (n.IfNode, n.WithNode)):
            self.walk_if_or_with(dot, node)
        elif isinstance(node, n.RangeNode):
            self.walk_range(dot, node)
        elif isinstance(node, n.TemplateNode):
            self.walk_template(dot, node)
        elif isinstance(node, n.BreakNode):
            raise _Break()
        elif isinstance(node, n.ContinueNode):
            raise _Continue()
        elif not isinstance(node, n.CommentNode):
            self.errorf(f"unknown node: {node}")

    def walk_if_or_with(self, dot, node: n.BranchNode) -> None:
        mark = self.mark()
        try:
            value = self.eval_pipeline(dot, node.pipe)
            if is_true(value):
                self.walk(value if isinstance(node, n.WithNode) else dot, node.list)
            elif node.else_list is not None:
                self.walk(dot, node.else_list)
        finally:
            self.pop(mark)

    def walk_range(self, dot, node: n.RangeNode) -> None:
        self.at(node)
        outer_mark = self.mark()
        try:
            value = self.eval_pipeline(dot, node.pipe)
            mark = self.mark()
            if isinstance(value, list):
                items = list(enumerate(value))
            elif isinstance(value, GoMap):
                items = [(key, _element(value, key)) for key in sorted(value.items)]  # sorted keys (fmtsort)
            elif value is None:
                items = []  # a nil map or slice: not an error
            else:
                from . import gofmt

                self.errorf(f"range can't iterate over {gofmt.format_value(value, 'v')}")
            try:
                for index, element in items:
                    self.range_iteration(node, index, element, mark)
            except _Break:
                return
            if not items and node.else_list is not None:
                self.walk(dot, node.else_list)
        finally:
            self.pop(outer_mark)

    def range_iteration(self, node: n.RangeNode, index, element, mark: int) -> None:
        if node.pipe.decl:
            self.set_top_var(1, element)  # lexically the last variable gets the element
        if len(node.pipe.decl) > 1:
            self.set_top_var(2, index)
        try:
            self.walk(element, node.list)
        except _Continue:
            pass
        finally:
            self.pop(mark)

    def walk_template(self, dot, node: n.TemplateNode) -> None:
        self.at(node)
        body = self.template.definitions.get(node.name)
        if body is None:
            self.errorf(f"template {go_quote(node.name)} not defined")
        if self.depth >= _PYTHON_SAFE_DEPTH:
            self.errorf(f"exceeded maximum template depth ({MAX_EXEC_DEPTH})")
        dot = self.eval_pipeline(dot, node.pipe)
        saved = self.vars, self.current_name
        self.vars, self.current_name = [["$", dot]], node.name  # templates inherit no variables
        self.depth += 1
        try:
            self.walk(dot, body)
        finally:
            self.depth -= 1
            self.vars, self.current_name = saved

    # --- pipelines and commands -------------------------------------------------------------
    def eval_pipeline(self, dot, pipe: n.PipeNode | None):
        if pipe is None:
            return None
        self.at(pipe)
        value = MISSING
        for cmd in pipe.cmds:
            # The previous value is the final arg; an interface{} value is unwrapped at once.
            value = unwrap_interface(self.eval_command(dot, cmd, value))
        for variable in pipe.decl:
            if pipe.is_assign:
                self.set_var(variable.ident[0], value)
            else:
                self.push(variable.ident[0], value)
        return value

    def eval_command(self, dot, cmd: n.CommandNode, final):
        first_word = cmd.args[0]
        if isinstance(first_word, n.FieldNode):
            self.at(first_word)
            return self.eval_field_chain(dot, dot, first_word, first_word.ident, cmd.args, final)
        if isinstance(first_word, n.ChainNode):
            return self.eval_chain_node(dot, first_word, cmd.args, final)
        if isinstance(first_word, n.IdentifierNode):
            return self.eval_function(dot, first_word, cmd, cmd.args, final)
        if isinstance(first_word, n.PipeNode):
            # A parenthesized pipeline takes no arguments and no final value.
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first_word)
        if isinstance(first_word, n.VariableNode):
            return self.eval_variable_node(dot, first_word, cmd.args, final)
        self.at(first_word)
        self.not_a_function(cmd.args, final)
        if isinstance(first_word, n.BoolNode):
            return first_word.value
        if isinstance(first_word, n.DotNode):
            return dot
        if isinstance(first_word, n.NilNode):
            self.errorf("nil is not a command")
        if isinstance(first_word, n.NumberNode):
            return self.ideal_constant(first_word)
        if isinstance(first_word, n.StringNode):
            return first_word.text
        self.errorf(f"can't evaluate command {go_quote(str(first_word))}")
        return None

    def not_a_function(self, args: list[n.Node], final) -> None:
        if (args is not None and len(args) > 1) or final is not MISSING:
            self.errorf(f"can't give argument to non-function {args[0]}")

    def ideal_constant(self, constant: n.NumberNode):
        """An untyped constant with no context: the syntax decides (exec.go idealConstant)."""
        self.at(constant)
        if constant.is_complex:
            return constant.complex_value
        text = constant.text
        is_hex_int = len(text) > 2 and text[0] == "0" and text[1] in "xX" and not any(c in text for c in "pP")
        is_rune = text.startswith("'")
        if constant.is_float and not is_hex_int and not is_rune and any(c in text for c in ".eEpP"):
            return constant.float_value
        if constant.is_int:
            return constant.int_value
        self.errorf(f"{text} overflows int")
        return None

    def eval_variable_node(self, dot, variable: n.VariableNode, args, final):
        self.at(variable)
        value = self.var_value(variable.ident[0])
        if len(variable.ident) == 1:
            self.not_a_function(args, final)
            return value
        return self.eval_field_chain(dot, value, variable, variable.ident[1:], args, final)

    def eval_chain_node(self, dot, chain: n.ChainNode, args, final):
        self.at(chain)
        if isinstance(chain.node, n.NilNode):
            self.errorf(f"indirection through explicit nil in {chain}")
        receiver = self.eval_arg(dot, None, chain.node)
        return self.eval_field_chain(dot, receiver, chain, chain.fields, args, final)

    def eval_field_chain(self, dot, receiver, node: n.Node, idents: list[str], args, final):
        for name in idents[:-1]:
            receiver = self.eval_field(dot, name, node, None, MISSING, receiver)
        return self.eval_field(dot, idents[-1], node, args, final, receiver)

    def eval_field(self, dot, field_name: str, node: n.Node, args, final, receiver):
        static_type = None
        if isinstance(receiver, InterfaceValue):
            static_type, receiver = "interface {}", receiver.value
            if receiver is None:
                # A nil interface cannot be indirected; missingkey does not apply (not a map).
                self.errorf(f"nil pointer evaluating interface {{}}.{field_name}")
        if receiver is None:
            return None  # a nil receiver yields nil (missingkey is not "error")
        has_args = (args is not None and len(args) > 1) or final is not MISSING
        if isinstance(receiver, GoTime):
            return self.eval_time_method(receiver, field_name, has_args)
        struct = receiver.as_struct() if isinstance(receiver, Sample) else receiver
        if isinstance(struct, GoStruct) and field_name in struct.fields:
            if has_args:
                self.errorf(f"{field_name} has arguments but cannot be invoked as function")
            return struct.fields[field_name]
        if isinstance(receiver, GoMap):
            if has_args:
                self.errorf(f"{field_name} is not a method but has arguments")
            # missingkey=zero: an absent key reads as the element type's zero value.
            return _element(receiver, field_name)
        self.errorf(f"can't evaluate field {field_name} in type {static_type or go_type_name(receiver)}")
        return None

    def eval_time_method(self, moment: GoTime, name: str, has_args: bool):
        """The argument-free time.Time methods a template can reach through toTime."""
        seconds = moment.unix_nanos // 1_000_000_000
        methods = {
            "Unix": lambda: seconds,
            "UnixMilli": lambda: moment.unix_nanos // 1_000_000,
            "UnixNano": lambda: moment.unix_nanos,
            "String": lambda: str(moment),
        }
        if name not in methods:
            self.errorf(f"can't evaluate field {name} in type {go_type_name(moment)}")
        if has_args:
            self.errorf(f"wrong number of args for {name}: want 0 got 1")
        return methods[name]()

    def eval_function(self, dot, node: n.IdentifierNode, cmd: n.Node, args, final):
        self.at(node)
        function = self.functions.get(node.ident)
        if function is None:
            self.errorf(f"{go_quote(node.ident)} is not a defined function")
        return self.eval_call(dot, function, cmd, args, final)

    def eval_call(self, dot, function: GoFunction, node: n.Node, args, final):
        args = args[1:]  # the zeroth arg is the function's name
        name = function.name
        num_in = len(args) + (0 if final is MISSING else 1)
        if function.variadic:
            num_fixed = len(function.params) - 1
            if num_in < num_fixed:
                self.errorf(f"wrong number of args for {name}: want at least {num_fixed} got {len(args)}")
        else:
            num_fixed = len(function.params)
            if num_in != num_fixed:
                self.errorf(f"wrong number of args for {name}: want {num_fixed} got {num_in}")
        if function.builtin and name in ("and", "or"):
            return self.eval_and_or(dot, name, args, final)
        argv = []
        for index, arg in enumerate(args):
            param = function.params[min(index, len(function.params) - 1)]
            argv.append(self.eval_arg(dot, param, arg))
        if final is not MISSING:
            position = len(args)
            param = function.params[min(position, len(function.params) - 1)]
            argv.append(self.validate_type(final, param))
        try:
            return function.impl(*argv)
        except GoCallError as err:
            self.at(node)
            self.errorf(f"error calling {name}: {err}")
        return None

    def eval_and_or(self, dot, name: str, args, final):
        """and/or short-circuit: the first falsy (and) or truthy (or) operand, else the last."""
        value = None
        for arg in args:
            value = self.eval_arg(dot, "value", arg)
            if is_true(value) == (name == "or"):
                return value
        if final is not MISSING:
            value = final
        return value

    # --- arguments --------------------------------------------------------------------------
    def eval_arg(self, dot, param: str | None, node: n.Node):
        """Evaluate one argument for a parameter of Go type ``param`` (None: untyped)."""
        self.at(node)
        if isinstance(node, n.DotNode):
            return self.validate_type(dot, param)
        if isinstance(node, n.NilNode):
            if param is None or param in _NILABLE:
                return QueryResult() if param == "queryResult" else None
            self.errorf(f"cannot assign nil to {_GO_TYPE_NAMES.get(param, param)}")
        if isinstance(node, n.FieldNode):
            return self.validate_type(self.eval_field_chain(dot, dot, node, node.ident, [node], MISSING), param)
        if isinstance(node, n.VariableNode):
            return self.validate_type(self.eval_variable_node(dot, node, None, MISSING), param)
        if isinstance(node, n.PipeNode):
            return self.validate_type(self.eval_pipeline(dot, node), param)
        if isinstance(node, n.IdentifierNode):
            return self.validate_type(self.eval_function(dot, node, node, [node], MISSING), param)
        if isinstance(node, n.ChainNode):
            return self.validate_type(self.eval_chain_node(dot, node, None, MISSING), param)
        return self.eval_literal(dot, param, node)

    def eval_literal(self, dot, param: str | None, node: n.Node):
        if param is None or param in ("any", "value"):
            return self.eval_empty_interface(dot, node)
        if param == "bool" and isinstance(node, n.BoolNode):
            return node.value
        if param == "float64" and isinstance(node, n.NumberNode) and node.is_float:
            return node.float_value
        if param == "int" and isinstance(node, n.NumberNode) and node.is_int:
            return node.int_value
        if param == "string" and isinstance(node, n.StringNode):
            return node.text
        expected = {"bool": "bool", "float64": "float", "int": "integer", "string": "string"}.get(param)
        if expected is not None:
            self.errorf(f"expected {expected}; found {node}")
        self.errorf(f"can't handle {node} for arg of type {_GO_TYPE_NAMES.get(param, param)}")
        return None

    def eval_empty_interface(self, dot, node: n.Node):
        self.at(node)
        if isinstance(node, n.BoolNode):
            return node.value
        if isinstance(node, n.NumberNode):
            return self.ideal_constant(node)
        if isinstance(node, n.StringNode):
            return node.text
        return self.eval_arg(dot, None, node)

    def validate_type(self, value, param: str | None):
        value = unwrap_interface(value)
        if param is None or param in ("any", "value"):
            return value
        if value is None or value is MISSING:
            if param in _NILABLE:
                return QueryResult() if param == "queryResult" else None
            self.errorf(f"invalid value; expected {_GO_TYPE_NAMES.get(param, param)}")
        if not _assignable(value, param):
            expected = _GO_TYPE_NAMES.get(param, param)
            self.errorf(f"wrong type for value; expected {expected}; got {go_type_name(value)}")
        return value

    # --- output -----------------------------------------------------------------------------
    def print_value(self, node: n.Node, value) -> None:
        """fmt.Fprint of the value; pointers are followed and nil prints as <no value>."""
        self.at(node)
        if value is None or value is MISSING:
            self.out.append("<no value>")
        elif isinstance(value, str):
            self.out.append(value)  # %v of a string is the string: no need to load fmt (gofmt) for it
        else:
            from . import gofmt  # on first use: most alert templates print only strings

            self.out.append(gofmt.format_value(value.as_struct() if isinstance(value, Sample) else value, "v"))


def _element(mapping: GoMap, key: str):
    """mapping[key], or the element type's zero value; interface{} elements keep that type."""
    value = mapping.items.get(key, mapping.zero())
    return InterfaceValue(value) if mapping.elem_type == "interface {}" else value


def execute(template: ParsedTemplate, functions: Mapping[str, GoFunction], data) -> str:
    """Run a parsed template on ``data``; raises GoExecError with Go's message."""
    state = _State(template, functions, data)
    try:
        state.walk(data, template.root)
    except _ExecFailure as failure:
        raise GoExecError(failure.text) from None
    return "".join(state.out).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


__all__ = ["MISSING", "execute"]
