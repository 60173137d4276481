"""Benchmark: compile 1,000 generated alert definitions (with runbooks), median of a few runs.

`run()` returns the numbers; the integrator records them in BENCHMARKS.md. Target: under 2 s on the 2-core
machine. Wall time is measured around compile_project + write_build (validate, generate, parse, render runbooks,
emit, write), not process start-up; CPU time is reported beside it because the machine is shared. Run alone with `.venv/bin/python -m benchmarks.compile_bench`.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import yaml

from compiler.kinds import KINDS
from compiler.output import write_build
from compiler.pipeline import compile_project

DEFINITIONS = 1000
FILES = 10
RUNS = 5

RUNBOOK = """\
# [= alert.name =]

[= facts_block =]

## Meaning
[= alert.summary =]
## Impact
Users notice.
## Diagnosis
[= expr =]
## Mitigation
Roll back; rollback criterion: resolved within 15 minutes.
## Escalation
Secondary after 30 minutes.
## Prevention
Canary checks.
"""


def _params(kind: str, index: int) -> dict:
    """Parameters of generated alert `index`; metric names differ per alert so recording rules never clash."""
    metric = f"bench_{index}"
    return {
        "null_rate": {"nulls_metric": f"{metric}_nulls_total", "lookups_metric": f"{metric}_lookups_total",
                      "selector": 'service="bench"', "min_lookup_rate": 1},
        "latency_quantile": {"metric": f"{metric}_seconds", "threshold": 0.25, "by": ["service"], "min_request_rate": 1},
        "cache_hit_ratio": {"metric": f"{metric}_cache_requests_total", "threshold": 0.8},
        "ctr_drop": {"clicks_metric": f"{metric}_clicks_total", "impressions_metric": f"{metric}_impressions_total"},
        "srm": {"metric": f"{metric}_assignments_total", "expected_splits": {"exp": {"a": 1, "b": 1}}},
        "zscore_anomaly": {"expr": f"sum(rate({metric}_sum[5m])) / sum(rate({metric}_count[5m]))",
                           "record": f"global:{metric}:mean_rate5m"},
        "raw": {"expr": f'sum(rate({metric}_requests_total{{service="bench"}}[5m])) < 1'},
    }[kind]


def generate_project(root: Path, definitions: int = DEFINITIONS, files: int = FILES) -> None:
    """Write `definitions` alerts over `files` files, cycling through every kind, and one runbook each."""
    kinds = sorted(KINDS)
    (root / "alerts").mkdir(parents=True)
    (root / "runbooks").mkdir()
    per_file = definitions // files
    for file_index in range(files):
        alerts = []
        for offset in range(per_file):
            index = file_index * per_file + offset
            kind = kinds[index % len(kinds)]
            name = f"BenchAlert{index:04d}"
            alerts.append({
                "name": name, "kind": kind, "team": "bench", "severity": "ticket",
                "summary": f"{name} on {{{{ $labels.service }}}} at {{{{ $value | humanize }}}}",
                "description": "Generated for the compile benchmark.", "for": "5m",
                "labels": {"tier": "bench"}, "params": _params(kind, index),
            })
            (root / "runbooks" / f"{name}.md").write_text(RUNBOOK)
        text = yaml.safe_dump({"apiVersion": "alertkit/v1", "alerts": alerts}, sort_keys=False)
        (root / "alerts" / f"bench_{file_index:02d}.yaml").write_text(text)


def run(definitions: int = DEFINITIONS, runs: int = RUNS) -> dict:
    """Generate the project once, compile it `runs` times (validate, generate, render, write); the timings."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        generate_project(root, definitions)
        seconds, cpu_seconds = [], []
        for _ in range(runs):
            start, cpu_start = time.perf_counter(), time.process_time()
            result = compile_project(root / "alerts", root / "runbooks", "build/runbooks/")
            if result.failed:
                raise RuntimeError(f"benchmark project does not compile: {result.problems[:3]}")
            write_build(root / "build", result.files)
            seconds.append(time.perf_counter() - start)
            cpu_seconds.append(time.process_time() - cpu_start)
        rules = sum(1 for path in result.files if path.startswith("prometheus/"))
    return {
        "name": "compile",
        "definitions": definitions,
        "rule_files": rules,
        "runs": runs,
        "median_seconds": round(statistics.median(seconds), 3),
        "min_seconds": round(min(seconds), 3),
        "max_seconds": round(max(seconds), 3),
        # CPU time of this process: on a shared, loaded machine it shows the compile's own cost.
        "median_cpu_seconds": round(statistics.median(cpu_seconds), 3),
        "target_seconds": 2.0,
    }


if __name__ == "__main__":
    print(run())
