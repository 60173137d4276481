"""The entries of a template's function map (Go's FuncMap): Go's builtins (go_builtins.py)
and Prometheus's alert-template functions (prometheus_functions.py) share this shape.

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
