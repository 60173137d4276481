"""Test helpers: build Storage from promtool's input_series notation, read results back.

A deliberately small reading of the notation (promql/parser series_item): `a`, `axN` (N+1
copies), `a+bxN` / `a-bxN` (N+1 values by repeated float addition), `_`, `_xN` (N gaps),
`stale`, `inf`, `-inf`, `nan`. Value k is at k * interval.
"""

from __future__ import annotations

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
