"""Python stand-ins for the Go values an alert template handles, with their Go type names.

Go decides printing, comparison and argument checks by dynamic type, so each stand-in knows the
Go type it represents. Plain Python values map as: str -> string, bool -> bool, int -> int,
float -> float64, None -> untyped nil.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


class SafeHTML(str):
    """html/template.HTML, returned by safeHtml: a named string type (not assignable to string)."""

    go_type = "template.HTML"


@dataclass
class GoMap:
    """A map[string]string or map[string]interface {}; missing keys read as the element's zero
    value under missingkey=zero (Prometheus sets that option; template/template.go)."""

    items: dict
    elem_type: str = "string"  # "string" or "interface {}"

    @property
    def go_type(self) -> str:
        return f"map[string]{self.elem_type}"

    def zero(self):
        return "" if self.elem_type == "string" else None


@dataclass
class GoStruct:
    """An anonymous struct such as the alert template data (template.AlertTemplateData)."""

    fields: dict  # field name -> value, in declaration order
    field_types: dict  # field name -> Go type name

    @property
    def go_type(self) -> str:
        inner = "; ".join(f"{name} {typ}" for name, typ in self.field_types.items())
        return "struct { " + inner + " }"


@dataclass
class Sample:
    """*template.sample: one element of a query result (.Labels, .Value)."""

    labels: GoMap
    value: float
    go_type = "*template.sample"

    def as_struct(self) -> GoStruct:
        return GoStruct(
            {"Labels": self.labels, "Value": self.value},
            {"Labels": "map[string]string", "Value": "float64"},
        )


class QueryResult(list):
    """template.queryResult ([]*sample), what ``query`` returns."""

    go_type = "template.queryResult"


@dataclass
class GoTime:
    """*time.Time in UTC, returned by toTime; printed like Go's Time.String()."""

    unix_nanos: int
    go_type = "*time.Time"

    def __str__(self) -> str:
        seconds, nanos = divmod(self.unix_nanos, 1_000_000_000)
        moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
        text = moment.strftime("%Y-%m-%d %H:%M:%S")
        if moment.year < 1000:
            text = f"{moment.year:04d}" + text[text.index("-") :]
        if nanos:
            text += "." + f"{nanos:09d}".rstrip("0")
        return text + " +0000 UTC"


@dataclass(frozen=True)
class InterfaceValue:
    """A value whose static Go type is ``interface {}``: an element of the map ``args`` builds,
    read by a field access or a range. Go shows that static type only in field-access errors
    ("can't evaluate field x in type interface {}", "nil pointer evaluating interface {}.x");
    every pipeline stage and argument unwraps it at once (exec.go evalPipeline, validateType)."""

    value: object


def unwrap_interface(value):
    return value.value if isinstance(value, InterfaceValue) else value


class GoUint8(int):
    """A byte (uint8), as ``index`` returns for a string."""

    go_type = "uint8"


def go_type_name(value) -> str:
    """reflect.TypeOf(value).String() for the stand-ins (nil has no type: "<nil>")."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, GoUint8):
        return GoUint8.go_type
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, complex):
        return "complex128"
    if isinstance(value, SafeHTML):
        return SafeHTML.go_type
    if isinstance(value, str):
        return "string"
    if isinstance(value, list) and not isinstance(value, QueryResult):
        return "[]interface {}"
    return value.go_type


# Go's reflect kinds, as far as comparisons and truth need them (funcs.go basicKind).
BOOL_KIND, INT_KIND, FLOAT_KIND, COMPLEX_KIND, STRING_KIND = "bool", "int", "float", "complex", "string"


def basic_kind(value) -> str | None:
    if isinstance(value, bool):
        return BOOL_KIND
    if isinstance(value, int):
        return INT_KIND
    if isinstance(value, float):
        return FLOAT_KIND
    if isinstance(value, complex):
        return COMPLEX_KIND
    if isinstance(value, str):
        return STRING_KIND
    return None


def is_true(value) -> bool:
    """Go's template truth (exec.go isTrue): empty, zero and nil are false; NaN is true."""
    if value is None:
        return False
    if isinstance(value, (str, list)):
        return len(value) > 0
    if isinstance(value, GoMap):
        return len(value.items) > 0
    if isinstance(value, (bool, int, float, complex)):
        return value != 0
    return True  # structs and non-nil pointers
