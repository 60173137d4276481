"""The function map a template runs with: Go's builtins plus Prometheus's alert-template
functions, as one table of typed signatures (Go's FuncMap).

A signature lists Go parameter types because the executor checks and converts arguments the way
Go's reflection does ("wrong type for value; expected float64; got string"). Types used:
"string", "float64", "int", "bool", "any" (interface{}), "value" (reflect.Value: anything),
"queryResult", "*sample". An implementation returns the result or raises GoCallError with the
text of the error Go's function would return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class GoFunction:
    """One entry of a Go FuncMap: name, parameter types, whether the last one is variadic."""

    name: str
    params: tuple[str, ...]
    impl: Callable
    variadic: bool = False
    builtin: bool = False


def alert_function_map(query: Callable, server_url: str | None) -> dict[str, GoFunction]:
    """Every function an alert template can call, for one expansion."""
    from .go_builtins import GO_BUILTINS
    from .prometheus_functions import prometheus_functions

    return {**GO_BUILTINS, **prometheus_functions(query, server_url)}
