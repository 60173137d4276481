"""Go's template builtins (text/template/funcs.go, Go 1.19): and, or, not, len, index, slice,
call, print, printf, println, html, js, urlquery, eq, ne, lt, le, gt, ge."""

from __future__ import annotations

import html
import urllib.parse

from . import gofmt
from .errors import GoCallError
from .funcmap import GoFunction
from .values import (
    BOOL_KIND,
    COMPLEX_KIND,
    STRING_KIND,
    GoMap,
    GoStruct,
    GoUint8,
    SafeHTML,
    basic_kind,
    go_type_name,
    is_true,
)


def _go_not(arg) -> bool:
    return not is_true(arg)


def _go_len(item) -> int:
    if item is None:
        # Go reflects on the untyped nil before checking for it.
        raise GoCallError("reflect: call of reflect.Value.Type on zero Value")
    if isinstance(item, str):
        return len(item.encode("utf-8", "surrogateescape"))  # Go counts bytes
    if isinstance(item, GoMap):
        return len(item.items)
    if isinstance(item, list):
        return len(item)
    raise GoCallError(f"len of type {go_type_name(item).lstrip('*')}")  # pointers are followed first


def _index_arg(index, length: int) -> int:
    if index is None:
        raise GoCallError("cannot index slice/array with nil")
    if isinstance(index, bool) or not isinstance(index, int):
        raise GoCallError(f"cannot index slice/array with type {go_type_name(index)}")
    if index < 0 or index > length:
        raise GoCallError(f"index out of range: {index}")
    return index


def _go_index(item, *indexes):
    if item is None:
        raise GoCallError("index of untyped nil")
    for index in indexes:
        if item is None:  # a nil interface{} met inside the chain, e.g. a missing args key
            raise GoCallError("index of nil pointer")
        if isinstance(item, (str, list)):
            position = _index_arg(index, len(item))
            if position == len(item):
                raise GoCallError(f"reflect: {'string' if isinstance(item, str) else 'slice'} index out of range")
            if isinstance(item, str):
                item = GoUint8(item.encode("utf-8", "surrogateescape")[position])
            else:
                item = item[position]
        elif isinstance(item, GoMap):
            if index is None:
                raise GoCallError("value is nil; should be of type string")
            if not isinstance(index, str) or isinstance(index, SafeHTML):
                raise GoCallError(f"value has type {go_type_name(index)}; should be string")
            item = item.items.get(index, item.zero())
        else:
            raise GoCallError(f"can't index item of type {go_type_name(item).lstrip('*')}")
    return item


def _go_slice(item, *indexes):
    if item is None:
        raise GoCallError("slice of untyped nil")
    if len(indexes) > 3:
        raise GoCallError(f"too many slice indexes: {len(indexes)}")
    if not isinstance(item, (str, list)):
        raise GoCallError(f"can't slice item of type {go_type_name(item)}")
    if isinstance(item, str) and len(indexes) == 3:
        raise GoCallError("cannot 3-index slice a string")
    length = len(item.encode("utf-8", "surrogateescape")) if isinstance(item, str) else len(item)
    bounds = [0, length]
    for position, index in enumerate(indexes[:2]):
        bounds[position] = _index_arg(index, length)
    if bounds[0] > bounds[1]:
        raise GoCallError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    if isinstance(item, str):
        return item.encode("utf-8", "surrogateescape")[bounds[0] : bounds[1]].decode("utf-8", "surrogateescape")
    return type(item)(item[bounds[0] : bounds[1]])


def _go_call(fn, *args):
    if fn is None:
        raise GoCallError("call of nil")
    raise GoCallError(f"non-function of type {go_type_name(fn)}")


def _eval_args_text(args: tuple) -> str:
    """funcs.go evalArgs: a lone string as is, otherwise fmt.Sprint of printable values."""
    if len(args) == 1 and type(args[0]) is str:
        return args[0]
    return gofmt.sprint(["<no value>" if arg is None else arg for arg in args])


def _html_escape(*args) -> str:
    text = _eval_args_text(args)
    escaped = html.escape(text, quote=False).replace('"', "&#34;").replace("'", "&#39;")
    return escaped.replace("\x00", "\ufffd")


def _js_escape(*args) -> str:
    text = _eval_args_text(args)
    out = []
    for ch in text:
        if ch in "\\'\"":
            out.append("\\" + ch)
        elif ch in "<>&=" or ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04X}")
        elif ord(ch) < 0x80 or ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04X}")
    return "".join(out)


def query_escape(text: str) -> str:
    """Go's url.QueryEscape: space as '+', everything but A-Za-z0-9-_.~ as %XX."""
    return urllib.parse.quote_plus(text.encode("utf-8", "surrogateescape"), safe="")


def _urlquery(*args) -> str:
    return query_escape(_eval_args_text(args))


_BAD_COMPARISON = "incompatible types for comparison"
_BAD_COMPARISON_TYPE = "invalid type for comparison"


def _go_comparable(value) -> bool:
    """reflect's Type.Comparable for the stand-ins: maps, slices and structs holding maps are not."""
    return not isinstance(value, (GoMap, list, GoStruct))


def _reflect_kind(value) -> str:
    if isinstance(value, GoMap):
        return "map"
    if isinstance(value, GoStruct):
        return "struct"
    if isinstance(value, list):
        return "slice"
    return "ptr"  # *sample, *time.Time


def _compare_non_basic(arg1, arg) -> bool:
    """eq on values that are not bool, number or string (funcs.go eq, default branch)."""
    if arg1 is None or arg is None:
        return arg1 is None and arg is None
    if _reflect_kind(arg1) != _reflect_kind(arg):
        raise GoCallError(
            f"non-comparable types {gofmt.format_value(arg1, 's')}: {go_type_name(arg1)}, "
            f"{go_type_name(arg)}: {gofmt.format_value(arg, 'v')}"
        )
    if not _go_comparable(arg):
        # Go formats the reflect.Value with %s, so non-strings inside show as %!s(...).
        raise GoCallError(f"non-comparable type {gofmt.format_value(arg, 's')}: {go_type_name(arg)}")
    return arg1 is arg  # what remains comparable are pointers (*sample, *time.Time): identity


def _go_eq(arg1, *others) -> bool:
    if not others:
        raise GoCallError("missing argument for comparison")
    kind1 = basic_kind(arg1)
    for arg in others:
        kind2 = basic_kind(arg)
        if kind1 != kind2:
            if arg1 is not None and arg is not None:
                raise GoCallError(_BAD_COMPARISON)
            truth = False
        elif kind1 is None:
            truth = _compare_non_basic(arg1, arg)
        else:
            truth = arg1 == arg
        if truth:
            return True
    return False


def _go_ne(arg1, arg2) -> bool:
    return not _go_eq(arg1, arg2)


def _go_lt(arg1, arg2) -> bool:
    kind1, kind2 = basic_kind(arg1), basic_kind(arg2)
    if kind1 is None or kind2 is None:
        raise GoCallError(_BAD_COMPARISON_TYPE)
    if kind1 != kind2:
        raise GoCallError(_BAD_COMPARISON)
    if kind1 in (BOOL_KIND, COMPLEX_KIND):
        raise GoCallError(_BAD_COMPARISON_TYPE)
    if kind1 == STRING_KIND:
        return arg1.encode("utf-8", "surrogateescape") < arg2.encode("utf-8", "surrogateescape")
    return arg1 < arg2


def _go_le(arg1, arg2) -> bool:
    return _go_lt(arg1, arg2) or _go_eq(arg1, arg2)


def _go_gt(arg1, arg2) -> bool:
    return not _go_le(arg1, arg2)


def _go_ge(arg1, arg2) -> bool:
    return not _go_lt(arg1, arg2)


def _printf(format_text: str, *args) -> str:
    return gofmt.sprintf(format_text, list(args))


GO_BUILTINS: dict[str, GoFunction] = {
    f.name: f
    for f in [
        # "and" and "or" short-circuit; the executor evaluates them itself (exec.go evalCall).
        GoFunction("and", ("value", "value"), lambda *a: a[-1], variadic=True, builtin=True),
        GoFunction("or", ("value", "value"), lambda *a: a[-1], variadic=True, builtin=True),
        GoFunction("call", ("value", "value"), _go_call, variadic=True, builtin=True),
        GoFunction("html", ("any",), _html_escape, variadic=True, builtin=True),
        GoFunction("index", ("value", "value"), _go_index, variadic=True, builtin=True),
        GoFunction("slice", ("value", "value"), _go_slice, variadic=True, builtin=True),
        GoFunction("js", ("any",), _js_escape, variadic=True, builtin=True),
        GoFunction("len", ("value",), _go_len, builtin=True),
        GoFunction("not", ("value",), _go_not, builtin=True),
        GoFunction("print", ("any",), lambda *a: gofmt.sprint(list(a)), variadic=True, builtin=True),
        GoFunction("printf", ("string", "any"), _printf, variadic=True, builtin=True),
        GoFunction("println", ("any",), lambda *a: gofmt.sprintln(list(a)), variadic=True, builtin=True),
        GoFunction("urlquery", ("any",), _urlquery, variadic=True, builtin=True),
        GoFunction("eq", ("value", "value"), _go_eq, variadic=True, builtin=True),
        GoFunction("ge", ("value", "value"), _go_ge, builtin=True),
        GoFunction("gt", ("value", "value"), _go_gt, builtin=True),
        GoFunction("le", ("value", "value"), _go_le, builtin=True),
        GoFunction("lt", ("value", "value"), _go_lt, builtin=True),
        GoFunction("ne", ("value", "value"), _go_ne, builtin=True),
    ]
}
