"""The functions of PromQL as Prometheus 2.42 knows them (promql/parser/functions.go at v2.42.0).

Each has its argument value types, how many extra arguments it may take (variadic: 0 none, n up
to n more of the last type, -1 any number) and its return type. Names that are not here
(sort_by_label, limitk, double_exponential_smoothing, ...) are "unknown function" to 2.42.
"""

from __future__ import annotations

from dataclasses import dataclass

# parser.ValueType names as DocumentedType prints them in error messages.
VECTOR = "instant vector"
MATRIX = "range vector"
SCALAR = "scalar"
STRING = "string"

# ValueType.String() (used by the subquery error, which does not call DocumentedType).
VALUE_TYPE_NAMES = {VECTOR: "vector", MATRIX: "matrix", SCALAR: "scalar", STRING: "string"}


@dataclass(frozen=True)
class Function:
    name: str
    arg_types: tuple[str, ...]
    return_type: str
    variadic: int = 0


def _f(name: str, arg_types: tuple[str, ...], return_type: str, variadic: int = 0) -> Function:
    return Function(name, arg_types, return_type, variadic)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        _f("abs", (VECTOR,), VECTOR),
        _f("absent", (VECTOR,), VECTOR),
        _f("absent_over_time", (MATRIX,), VECTOR),
        _f("acos", (VECTOR,), VECTOR),
        _f("acosh", (VECTOR,), VECTOR),
        _f("asin", (VECTOR,), VECTOR),
        _f("asinh", (VECTOR,), VECTOR),
        _f("atan", (VECTOR,), VECTOR),
        _f("atanh", (VECTOR,), VECTOR),
        _f("avg_over_time", (MATRIX,), VECTOR),
        _f("ceil", (VECTOR,), VECTOR),
        _f("changes", (MATRIX,), VECTOR),
        _f("clamp", (VECTOR, SCALAR, SCALAR), VECTOR),
        _f("clamp_max", (VECTOR, SCALAR), VECTOR),
        _f("clamp_min", (VECTOR, SCALAR), VECTOR),
        _f("cos", (VECTOR,), VECTOR),
        _f("cosh", (VECTOR,), VECTOR),
        _f("count_over_time", (MATRIX,), VECTOR),
        _f("days_in_month", (VECTOR,), VECTOR, variadic=1),
        _f("day_of_month", (VECTOR,), VECTOR, variadic=1),
        _f("day_of_week", (VECTOR,), VECTOR, variadic=1),
        _f("day_of_year", (VECTOR,), VECTOR, variadic=1),
        _f("deg", (VECTOR,), VECTOR),
        _f("delta", (MATRIX,), VECTOR),
        _f("deriv", (MATRIX,), VECTOR),
        _f("exp", (VECTOR,), VECTOR),
        _f("floor", (VECTOR,), VECTOR),
        _f("histogram_count", (VECTOR,), VECTOR),
        _f("histogram_sum", (VECTOR,), VECTOR),
        _f("histogram_fraction", (SCALAR, SCALAR, VECTOR), VECTOR),
        _f("histogram_quantile", (SCALAR, VECTOR), VECTOR),
        _f("holt_winters", (MATRIX, SCALAR, SCALAR), VECTOR),
        _f("hour", (VECTOR,), VECTOR, variadic=1),
        _f("idelta", (MATRIX,), VECTOR),
        _f("increase", (MATRIX,), VECTOR),
        _f("irate", (MATRIX,), VECTOR),
        _f("label_replace", (VECTOR, STRING, STRING, STRING, STRING), VECTOR),
        _f("label_join", (VECTOR, STRING, STRING, STRING), VECTOR, variadic=-1),
        _f("last_over_time", (MATRIX,), VECTOR),
        _f("ln", (VECTOR,), VECTOR),
        _f("log10", (VECTOR,), VECTOR),
        _f("log2", (VECTOR,), VECTOR),
        _f("max_over_time", (MATRIX,), VECTOR),
        _f("min_over_time", (MATRIX,), VECTOR),
        _f("minute", (VECTOR,), VECTOR, variadic=1),
        _f("month", (VECTOR,), VECTOR, variadic=1),
        _f("pi", (), SCALAR),
        _f("predict_linear", (MATRIX, SCALAR), VECTOR),
        _f("present_over_time", (MATRIX,), VECTOR),
        _f("quantile_over_time", (SCALAR, MATRIX), VECTOR),
        _f("rad", (VECTOR,), VECTOR),
        _f("rate", (MATRIX,), VECTOR),
        _f("resets", (MATRIX,), VECTOR),
        _f("round", (VECTOR, SCALAR), VECTOR, variadic=1),
        _f("scalar", (VECTOR,), SCALAR),
        _f("sgn", (VECTOR,), VECTOR),
        _f("sin", (VECTOR,), VECTOR),
        _f("sinh", (VECTOR,), VECTOR),
        _f("sort", (VECTOR,), VECTOR),
        _f("sort_desc", (VECTOR,), VECTOR),
        _f("sqrt", (VECTOR,), VECTOR),
        _f("stddev_over_time", (MATRIX,), VECTOR),
        _f("stdvar_over_time", (MATRIX,), VECTOR),
        _f("sum_over_time", (MATRIX,), VECTOR),
        _f("tan", (VECTOR,), VECTOR),
        _f("tanh", (VECTOR,), VECTOR),
        _f("time", (), SCALAR),
        _f("timestamp", (VECTOR,), VECTOR),
        _f("vector", (SCALAR,), VECTOR),
        _f("year", (VECTOR,), VECTOR, variadic=1),
    )
}
