"""What a PromQL function implementation receives, and helpers shared by all of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import promql_parser

from .model import METRIC_NAME, Labels, MatrixOverGrid, Value, VectorOverGrid


@dataclass
class CallArgs:
    """Evaluated arguments of one call, and what some functions need beyond values."""

    values: list[Value]
    exprs: list  # the argument AST nodes, parentheses unwrapped
    step_ms: np.ndarray  # the evaluation timestamps (enh.Ts at every step)

    def vector(self, i: int) -> VectorOverGrid:
        return self.values[i]

    def matrix(self, i: int) -> MatrixOverGrid:
        return self.values[i]

    def scalar(self, i: int) -> np.ndarray:
        return self.values[i].values  # type: ignore[union-attr]

    def string(self, i: int) -> str:
        return self.values[i].value  # type: ignore[union-attr]


def one_row(labels: Labels, values: np.ndarray, present: np.ndarray) -> VectorOverGrid:
    """A single row (e.g. vector(), absent()) with these labels at every step."""
    return VectorOverGrid([labels], values[None, :].astype(np.float64), present[None, :].copy())


def ms_to_seconds(ms) -> np.ndarray:
    """float64(ms)/1000 as Prometheus computes durations from millisecond timestamps."""
    return np.asarray(ms, dtype=np.int64).astype(np.float64) / 1000


def labels_for_absent(expr) -> Labels:
    """functions.go createLabelsForAbsentFunction: equality matchers of a selector argument
    (not __name__); a name matched twice, or by any other matcher type, is left out."""
    if isinstance(expr, promql_parser.MatrixSelector):
        expr = expr.vector_selector
    if not isinstance(expr, promql_parser.VectorSelector):
        return ()
    result: dict[str, str] = {}
    seen: set[str] = set()
    for matcher in expr.matchers.matchers:
        if matcher.name == METRIC_NAME:
            continue
        if str(matcher.op) == "MatchOp.Equal" and matcher.name not in seen:
            result[matcher.name] = matcher.value
            seen.add(matcher.name)
        else:
            result.pop(matcher.name, None)
    return tuple(sorted((k, v) for k, v in result.items() if v != ""))
