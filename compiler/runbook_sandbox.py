"""The sandbox runbook templates render in: jinja2's ImmutableSandboxedEnvironment, cut down and bounded.

A runbook is any contributor's text, rendered during `make compile` next to a pipeline's secrets, so it may
only read the facts it is given and format them. jinja2's sandbox already refuses `_`-prefixed and internal
attributes (so `cycler.__init__.__globals__` and `alert.name.__class__` fail) and calls that mutate lists and
dicts. On top of it:

- Names: only the facts of the alert (compiler.runbooks.template_context) and a bounded `range`; jinja2's
  other globals (`cycler`, `joiner`, `namespace`, `lipsum`, `dict`) are gone.
- Statements: `if`, `for`, `set` and `with`. `macro`, `call`, `include`, `import`, `extends`, `block`,
  `filter` blocks, `set` blocks and recursive loops are refused before rendering: a runbook must read on its
  own, and these are the ways a template recurses or builds text out of sight of the output limit.
- Filters: the formatting ones in ALLOWED_FILTERS; methods: the read-only ones in ALLOWED_METHODS.
- Sizes: every value a template builds (`~`, `+`, `*`, filters, method calls) is checked against
  MAX_VALUE_CHARS before or right after it is built, and all of them together against MAX_BUILT_CHARS, so
  memory stays within a few times MAX_BUILT_CHARS; `%` on strings and integers past MAX_INTEGER_BITS are
  refused (`"%09999999999d" % 1` and `10 ** 10 ** 10` would each take the whole machine in one step).
- Time: loops may run MAX_LOOP_ITERATIONS iterations in all, and the whole render MAX_RENDER_SECONDS.
- Output: MAX_OUTPUT_CHARS characters; a value whose text is not data (a method, an iterator: their text
  holds a memory address) is refused, so output stays byte-identical across runs.

Every refusal is a RunbookLimitError (a jinja2 SecurityError), reported with the template line.
"""

from __future__ import annotations

import math
import time
import types
from collections.abc import ItemsView, Iterable, Iterator, KeysView, ValuesView
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

# A rendered runbook, in characters. The reference runbooks render to 2-6 KB; 1 M leaves room for long tables.
MAX_OUTPUT_CHARS = 1_000_000
# Any one string, list or dict a template builds, in characters (a list counts its items' sizes).
MAX_VALUE_CHARS = MAX_OUTPUT_CHARS
# Everything one render builds, summed: bounds memory even when each value is under MAX_VALUE_CHARS.
MAX_BUILT_CHARS = 8 * MAX_OUTPUT_CHARS
# Loop iterations of one render, all loops together (a runbook loops over a handful of facts).
MAX_LOOP_ITERATIONS = 10_000
# Integers a template computes (`**`, `*`): a 1024-bit number already has 309 digits.
MAX_INTEGER_BITS = 1024
# Wall-clock time of one render. The limits above bound the work; this is the backstop for the rest
# (comparing large strings many times over), generous so a busy machine never trips it on a real runbook.
MAX_RENDER_SECONDS = 5.0

# Filters runbooks may use: formatting and picking, none of which can grow its input by more than a
# small factor (`center`, `indent`, `format`, `wordwrap` take a width; `attr`, `map`, `select*` reach for
# attributes by name).
ALLOWED_FILTERS = (
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "dictsort",
    "first",
    "float",
    "int",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "max",
    "min",
    "reverse",
    "round",
    "sort",
    "string",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "wordcount",
)
# Methods runbooks may call, by the type of their object: read-only and never longer than their input.
ALLOWED_METHODS: dict[type, frozenset[str]] = {
    dict: frozenset({"get", "items", "keys", "values"}),
    str: frozenset(
        {
            "capitalize",
            "count",
            "endswith",
            "find",
            "isdigit",
            "lower",
            "lstrip",
            "rstrip",
            "split",
            "splitlines",
            "startswith",
            "strip",
            "title",
            "upper",
        }
    ),
    LoopContext: frozenset({"changed", "cycle"}),
}
# Statements refused before rendering, by node type, as the runbook author wrote them.
REFUSED_STATEMENTS: dict[type[nodes.Node], str] = {
    nodes.Macro: "macro",
    nodes.CallBlock: "call",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from ... import",
    nodes.Extends: "extends",
    nodes.Block: "block",
    nodes.FilterBlock: "filter",
    nodes.AssignBlock: "set ... endset",
}
# Output values whose text is data (the same on every run); anything else prints as `<... at 0x7f...>`.
_DICT_VIEWS = (ItemsView, KeysView, ValuesView)  # dict.items() and friends register as these
_PRINTABLE: tuple[type, ...] = (str, int, float, bool, type(None), list, tuple, dict, *_DICT_VIEWS, jinja2.Undefined)
_BOUNDED_LOOP_FILTER = "__bounded_loop__"  # wraps every loop's iterable (see _bound_loops)


# How runbooks are written: `[= value =]`, `[% statement %]`, `[# comment #]`, so Go templates (`{{ }}`) pass
# through; an undefined name is an error; text is kept as written (no escaping, trailing newline kept).
RUNBOOK_SYNTAX: dict[str, Any] = {
    "variable_start_string": "[=",
    "variable_end_string": "=]",
    "block_start_string": "[%",
    "block_end_string": "%]",
    "comment_start_string": "[#",
    "comment_end_string": "#]",
    "undefined": jinja2.StrictUndefined,
    "keep_trailing_newline": True,
    "autoescape": False,
    "trim_blocks": False,
}


class RunbookLimitError(SecurityError):
    """A runbook template reached past what the sandbox allows."""

    template_line: int | None = None  # set when raised outside the template's code (the output limit)


@dataclass
class _RenderBudget:
    """What one render has used so far."""

    deadline: float
    built_chars: int = 0
    loop_iterations: int = 0
    output_chars: int = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise RunbookLimitError(f"rendering took longer than {MAX_RENDER_SECONDS:g} s")


_BUDGET: ContextVar[_RenderBudget | None] = ContextVar("runbook_render_budget", default=None)


def _budget() -> _RenderBudget:
    budget = _BUDGET.get()
    if budget is None:  # outside render_bounded (e.g. jinja2 folding constants at compile time)
        return _RenderBudget(deadline=time.monotonic() + MAX_RENDER_SECONDS)
    return budget


def size_of(value: Any) -> int:
    """A value's size in characters, counting the items of lists, tuples and dicts (an upper bound of its
    text's length up to punctuation)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple)):
        return len(value) + sum(size_of(item) for item in value)
    if isinstance(value, dict):
        return len(value) + sum(size_of(key) + size_of(item) for key, item in value.items())
    if isinstance(value, _DICT_VIEWS):
        return size_of(list(value))
    if isinstance(value, int):
        return value.bit_length() // 8 + 1
    return 1


def _charge(value: Any) -> Any:
    """Count a value the template just built; refuse it when it or the render's total is over its limit."""
    size = size_of(value)
    _refuse_size(size)
    budget = _budget()
    budget.built_chars += size
    if budget.built_chars > MAX_BUILT_CHARS:
        raise RunbookLimitError(f"the template builds more than {MAX_BUILT_CHARS:,} characters of values")
    budget.check_time()
    return value


def _refuse_size(size: int) -> None:
    if size > MAX_VALUE_CHARS:
        raise RunbookLimitError(f"a value of {size:,} characters is larger than the {MAX_VALUE_CHARS:,} allowed")


def _refuse_integer(bits: int) -> None:
    if bits > MAX_INTEGER_BITS:
        raise RunbookLimitError(f"an integer of about {bits:,} bits is larger than the {MAX_INTEGER_BITS} allowed")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be over a limit, before computing it."""
    sequences = (str, list, tuple)
    integers = isinstance(left, int) and isinstance(right, int)
    if operator == "%" and isinstance(left, str):
        raise RunbookLimitError("`%` formatting of strings is not available in runbooks; join text with `~`")
    if operator == "*" and isinstance(left, sequences) and isinstance(right, int):
        _refuse_size(size_of(left) * max(right, 0))
    elif operator == "*" and isinstance(right, sequences) and isinstance(left, int):
        _refuse_size(size_of(right) * max(left, 0))
    elif operator == "*" and integers:
        _refuse_integer(left.bit_length() + right.bit_length())
    elif operator == "**" and integers and abs(left) > 1 and right > 0:
        _refuse_integer(math.ceil(right * math.log2(abs(left))))
    elif operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
        _refuse_size(size_of(left) + size_of(right))


def bounded_range(*args: int) -> range:
    """jinja2's `range`, refused past MAX_LOOP_ITERATIONS items (a loop could never finish it anyway)."""
    numbers = range(*args)
    if len(numbers) > MAX_LOOP_ITERATIONS:
        raise RunbookLimitError(
            f"range of {len(numbers):,} items is longer than the {MAX_LOOP_ITERATIONS:,} loop iterations allowed"
        )
    return numbers


@jinja2.pass_context  # never folded into a constant at compile time: it must count at render time
def _bounded_loop(_context: jinja2.runtime.Context, iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _budget()
    for item in iterable:
        budget.loop_iterations += 1
        if budget.loop_iterations > MAX_LOOP_ITERATIONS:
            raise RunbookLimitError(f"loops ran more than the {MAX_LOOP_ITERATIONS:,} iterations allowed")
        budget.check_time()
        yield item


def _charged_filter(name: str, original: Any) -> Any:
    """A default filter that counts what it returns (and, for `join`, refuses an oversized result first)."""
    pass_arg = getattr(getattr(original, "jinja_pass_arg", None), "name", None)

    @jinja2.pass_context
    def charged(context: jinja2.runtime.Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        if name == "join":
            value = list(value)
            separator = args[0] if args else kwargs.get("d", "")
            _refuse_size(size_of(value) + len(str(separator)) * max(len(value) - 1, 0))
        first = {"context": context, "eval_context": context.eval_ctx, "environment": context.environment}
        leading = (first[pass_arg],) if pass_arg in first else ()
        return _charge(original(*leading, value, *args, **kwargs))

    return charged


class _BoundedCodeGenerator(CodeGenerator):
    """jinja2's code generator with `~` routed through the environment, so joined text is sized first."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


class RunbookEnvironment(ImmutableSandboxedEnvironment):
    """The jinja2 environment of runbooks: `[= =]`/`[% %]`/`[# #]` delimiters, undefined names are errors,
    and the limits of this module."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self) -> None:
        super().__init__(**RUNBOOK_SYNTAX, finalize=_printable)
        self.globals = {"range": bounded_range}
        defaults = self.filters
        self.filters = {name: _charged_filter(name, defaults[name]) for name in ALLOWED_FILTERS}
        self.filters[_BOUNDED_LOOP_FILTER] = _bounded_loop

    def compile_runbook(self, source: str) -> jinja2.Template:
        """Parse, refuse what the sandbox does not allow (TemplateSyntaxError at its line), compile."""
        tree = self.parse(source)
        for node in tree.find_all(nodes.Stmt):
            refused = REFUSED_STATEMENTS.get(type(node))
            if refused is None and isinstance(node, nodes.For) and node.recursive:
                refused = "recursive for"
            if refused is not None:
                raise jinja2.TemplateSyntaxError(
                    f"`{refused}` is not available in runbooks (statements: if, for, set, with)", node.lineno
                )
        _bound_loops(tree)
        return self.from_string(tree)

    def bounded_concat(self, parts: tuple[Any, ...]) -> str:
        """`a ~ b ~ c`: the parts' text joined, refused when longer than MAX_VALUE_CHARS."""
        _refuse_size(sum(size_of(part) for part in parts))  # before str(): a list's text is as long as its items
        return _charge("".join(str(part) for part in parts))

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return _charge(super().call_binop(context, operator, left, right))

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, jinja2.Undefined):
            obj()  # `cycler.__init__`: say that `cycler` is undefined, not that `__init__` is unsafe
        return super().getattr(obj, attribute)

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(__obj, jinja2.Undefined):
            __obj()  # raises jinja2's UndefinedError: `'lipsum' is undefined`
        if __obj is not bounded_range and not _allowed_method(__obj):
            raise RunbookLimitError(f"calling {_callable_name(__obj)} is not available in runbooks")
        return _charge(super().call(__context, __obj, *args, **kwargs))


def render_bounded(template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render within the limits; RunbookLimitError (or the template's own error) when it does not fit."""
    budget = _RenderBudget(deadline=time.monotonic() + MAX_RENDER_SECONDS)
    token = _BUDGET.set(budget)
    try:
        pieces = []
        generator = template.generate(context)
        for piece in generator:
            budget.output_chars += len(piece)
            if budget.output_chars > MAX_OUTPUT_CHARS:
                error = RunbookLimitError(f"the rendered runbook is longer than {MAX_OUTPUT_CHARS:,} characters")
                error.template_line = _suspended_line(template, generator)
                raise error
            budget.check_time()
            pieces.append(piece)
        return "".join(pieces)
    finally:
        _BUDGET.reset(token)


def _suspended_line(template: jinja2.Template, generator: Iterator[str]) -> int | None:
    """The template line where the rendering generator stopped to hand over its last piece."""
    inner: Any = generator
    while getattr(inner, "gi_yieldfrom", None) is not None:
        inner = inner.gi_yieldfrom
    frame = getattr(inner, "gi_frame", None)
    return template.get_corresponding_lineno(frame.f_lineno) if frame is not None else None


def _bound_loops(tree: nodes.Template) -> None:
    """Wrap every `for` loop's iterable in the counting filter (before compiling: the tree is ours)."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _BOUNDED_LOOP_FILTER, [], [], None, None, lineno=loop.lineno)


def _allowed_method(obj: Any) -> bool:
    owner = getattr(obj, "__self__", None)
    if not isinstance(obj, (types.BuiltinMethodType, types.MethodType)) or owner is None:
        return False
    allowed = next((names for kind, names in ALLOWED_METHODS.items() if isinstance(owner, kind)), frozenset())
    return obj.__name__ in allowed


def _callable_name(obj: Any) -> str:
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", type(obj).__name__)
    return f"{type(owner).__name__}.{name}" if owner is not None else name


def _printable(value: Any) -> Any:
    """finalize: every `[= value =]` is data whose text is the same on every run."""
    _refuse_size(size_of(value))  # before jinja2 turns it into text
    if not isinstance(value, _PRINTABLE):
        raise RunbookLimitError(
            f"cannot write a {type(value).__name__} into a runbook (its text changes from run to run); "
            f"call the method or convert with a filter such as `| list`"
        )
    return value
