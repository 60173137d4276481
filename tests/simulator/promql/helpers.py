"""Test helpers: build Storage from promtool's input_series notation, read results back.

A deliberately small reading of the notation (promql/parser series_item): `a`, `axN` (N+1
copies), `a+bxN` / `a-bxN` (N+1 values by repeated float addition), `_`, `_xN` (N gaps),
`stale`, `inf`, `-inf`, `nan`. Value k is at k * interval.
"""

from __future__ import annotations

import math
import re

import numpy as np
import promql_parser

from simulator.promql.model import STALE_NAN, Labels, VectorOverGrid, labels_from_dict
from simulator.promql.storage import Storage

_EXPANDING = re.compile(r"^([^x]+?)(?:([+-])([^x]+))?x(\d+)$")


def series_labels(selector: str) -> Labels:
    node = promql_parser.parse(selector)
    mapping = {m.name: m.value for m in node.matchers.matchers}
    if node.name:
        mapping["__name__"] = node.name
    return labels_from_dict(mapping)


def expand_values(notation: str) -> list[float | None]:
    """The sample values of one series; None is a gap (`_`)."""
    values: list[float | None] = []
    for token in notation.split():
        if token == "_":
            values.append(None)
        elif token.startswith("_x"):
            values.extend([None] * int(token[2:]))
        elif token == "stale":
            values.append(STALE_NAN)
        elif (match := _EXPANDING.match(token)) is not None:
            start, sign, step, times = match.groups()
            current = float(start)
            values.append(current)
            delta = float(step) if step else 0.0
            for _ in range(int(times)):
                current = current + delta if sign != "-" else current - delta
                values.append(current)
        else:
            values.append(float(token))
    return values


def make_storage(series: dict[str, str], interval_ms: int = 60_000) -> Storage:
    """Storage holding each `selector: values` pair, sample k at k * interval_ms."""
    storage = Storage()
    for selector, notation in series.items():
        values = expand_values(notation)
        times = [k * interval_ms for k, v in enumerate(values) if v is not None]
        kept = [v for v in values if v is not None]
        storage.add(series_labels(selector), np.array(times, dtype=np.int64), np.array(kept))
    return storage


def as_dict(vec: VectorOverGrid, step: int = 0) -> dict[str, float]:
    """The elements present at one step, keyed by their labels rendered as a selector."""
    from simulator.promql.model import format_labels

    return {
        format_labels(labels): float(vec.values[row, step])
        for row, labels in enumerate(vec.labels)
        if vec.present[row, step]
    }


def column(vec: VectorOverGrid, row: int = 0) -> list[float | None]:
    """One row across the grid, None where absent."""
    return [float(v) if p else None for v, p in zip(vec.values[row], vec.present[row])]


# ---------------------------------------------------------------------------------------------
# Differential checks against the real promtool 2.42 (the judge of exactness).

PROMTOOL = "/usr/bin/promtool"


def _yaml_float(value: float) -> str:
    if value == float("inf"):
        return ".inf"
    if value == float("-inf"):
        return "-.inf"
    return repr(value)


def promtool_test_file(series: dict[str, str], interval: str, cases: list[tuple[str, str, dict[str, float]]]) -> str:
    """A promtool unit-test file: one promql_expr_test per (expr, eval_time, expected samples)."""
    import json

    lines = [
        "rule_files: []",
        "evaluation_interval: 1m",
        "tests:",
        f"  - interval: {interval}",
        "    input_series:",
    ]
    for selector, values in series.items():
        lines += [f"      - series: {json.dumps(selector)}", f"        values: {json.dumps(values)}"]
    lines.append("    promql_expr_test:")
    for expr, eval_time, samples in cases:
        lines += [f"      - expr: {json.dumps(expr)}", f"        eval_time: {eval_time}", "        exp_samples:"]
        for labels, value in samples.items():
            lines += [f"          - labels: {json.dumps(labels)}", f"            value: {_yaml_float(value)}"]
        if not samples:
            lines[-1] = "        exp_samples: []"
    return "\n".join(lines) + "\n"


def run_promtool(test_yaml: str, tmp_path) -> tuple[int, str]:
    """Run `promtool test rules` on the text; returns (exit status, combined output)."""
    import subprocess

    path = tmp_path / "promtool_test.yaml"
    path.write_text(test_yaml)
    done = subprocess.run([PROMTOOL, "test", "rules", str(path)], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


# ---------------------------------------------------------------------------------------------
# Hand-built operands for the operator tests (aggregations, binops, histogram_quantile).

_SELECTOR_TEXT = re.compile(r"([A-Za-z_:][\w:]*)?(?:\{(.*)\})?")
_LABEL_PAIR = re.compile(r'(\w+)="([^"]*)"')


def labels_of(text: str) -> Labels:
    """'x{a="1",b="2"}' -> Labels, kept exactly as written (empty values too); a bare name is allowed."""
    match = _SELECTOR_TEXT.fullmatch(text)
    name, inner = match.group(1), match.group(2) or ""
    pairs = dict(_LABEL_PAIR.findall(inner))
    if name:
        pairs["__name__"] = name
    return tuple(sorted(pairs.items()))


def vector_of(rows: dict[str, list]) -> VectorOverGrid:
    """Rows 'x{a="1"}' -> values per step; None marks a step where the series is absent."""
    label_list = [labels_of(text) for text in rows]
    values = np.array([[float("nan") if v is None else v for v in row] for row in rows.values()], dtype=float)
    present = np.array([[v is not None for v in row] for row in rows.values()], dtype=bool)
    return VectorOverGrid(label_list, values, present)


def cells(result: VectorOverGrid) -> dict:
    """{labels: [value or None per step]} for comparison (NaN kept as NaN)."""
    return {
        row: [float(result.values[i, j]) if result.present[i, j] else None for j in range(result.values.shape[1])]
        for i, row in enumerate(result.labels)
    }


def same_value(a: float | None, b: float | None, *, signed_zero: bool = True) -> bool:
    """Equal as Prometheus would print them: None only matches None, NaN matches NaN, and with
    signed_zero -0 differs from +0."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and (not signed_zero or math.copysign(1, a) == math.copysign(1, b))


def expect_cells(result: VectorOverGrid, rows: dict[str, list], *, signed_zero: bool = True) -> None:
    """Assert the result has exactly these rows, each with these values per step."""
    got = cells(result)
    want = {labels_of(k): v for k, v in rows.items()}
    assert set(got) == set(want), (list(got), list(want))
    for key, values in want.items():
        assert all(same_value(g, w, signed_zero=signed_zero) for g, w in zip(got[key], values)), (key, got[key], values)


def promtool_instant_results(series: dict[str, str], exprs: list[str]) -> list[dict]:
    """Evaluate instant queries at t=0 with promtool 2.42; returns {labels: value} per expression.

    Each test expects an impossible sample, so promtool prints what it got ("nil" reads as {}).
    """
    import os
    import subprocess
    import tempfile

    import yaml

    tests = [
        {
            "interval": "1m",
            "input_series": [{"series": s, "values": v} for s, v in series.items()],
            "promql_expr_test": [
                {"expr": e, "eval_time": "0m", "exp_samples": [{"labels": '{probe="x"}', "value": -1}]} for e in exprs
            ],
        }
    ]
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "probe.yml")
        with open(path, "w") as handle:
            yaml.safe_dump({"tests": tests}, handle)
        finished = subprocess.run([PROMTOOL, "test", "rules", path], capture_output=True, text=True)
    output = finished.stdout + finished.stderr
    results = []
    for line in output.splitlines():
        got = re.match(r"\s+got: (.*)$", line)
        if got:
            found = re.findall(r"(\{[^}]*\}) (\S+?)(?:,|$)", got.group(1))
            results.append({labels_of(m[0]): float(m[1]) for m in found})
    assert len(results) == len(exprs), output
    return results
