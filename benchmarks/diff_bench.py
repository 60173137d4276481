"""`alertkit diff` benchmark: the team's project against itself with one threshold raised, every shipped
scenario, with the reuse between the two sides (simulator/review/evaluation.py) and without it, in one run.

Measures the simulation stage only (compiling both sides and git take well under a second).
"""

from __future__ import annotations

import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The change a reviewer most often sees: RankerLatencyP99High's threshold 0.2 -> 0.25 (in the compiled rule).
CHANGE = ("p99_rate5m:serving_latency_quantile > 0.2)", "p99_rate5m:serving_latency_quantile > 0.25)")


def _timed(action) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = action()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def run() -> dict:
    from compiler.snapshot import snapshot_project
    from simulator.review.evaluation import Revision, Simulations

    snapshot = snapshot_project(ROOT)
    rules = {path: text for path, text in snapshot.files.items() if path.startswith("prometheus/")}
    changed = {path: text.replace(*CHANGE) for path, text in rules.items()}
    assert changed != rules, "the benchmark's threshold change no longer applies to the compiled rules"
    scenarios = {f"scenarios/{p.name}": p.read_text() for p in sorted((ROOT / "scenarios").glob("*.yaml"))}
    base = Revision("base", rules, snapshot.paging_alertmanager_text, scenarios)
    head = Revision("head", changed, snapshot.paging_alertmanager_text, scenarios)
    shared = Simulations()
    _, base_wall, base_cpu = _timed(lambda: shared.run(base))
    reused, head_wall, head_cpu = _timed(lambda: shared.run(head))
    _, alone_wall, alone_cpu = _timed(lambda: Simulations().run(head))
    stats = reused.stats  # type: ignore[attr-defined]
    return {
        "scenarios": len(scenarios),
        "base_wall_s": round(base_wall, 3),
        "base_cpu_s": round(base_cpu, 3),
        "head_reused_wall_s": round(head_wall, 3),
        "head_reused_cpu_s": round(head_cpu, 3),
        "head_alone_wall_s": round(alone_wall, 3),
        "head_alone_cpu_s": round(alone_cpu, 3),
        "groups_reused": stats.groups_reused,
        "groups_evaluated": stats.groups_evaluated,
        "series_reused": stats.series_reused,
    }


def markdown(result: dict) -> list[str]:
    saved = result["head_alone_cpu_s"] - result["head_reused_cpu_s"]
    return [
        "## diff",
        "",
        f"`alertkit diff` on the team's project with one threshold raised (RankerLatencyP99High 0.2 -> 0.25), "
        f"all {result['scenarios']} shipped scenarios; simulation stage only.",
        "",
        "| side | wall s | CPU s |",
        "|---|---|---|",
        f"| base (everything simulated) | {result['base_wall_s']} | {result['base_cpu_s']} |",
        f"| working tree, reusing the base's work | {result['head_reused_wall_s']} | {result['head_reused_cpu_s']} |",
        f"| working tree simulated alone (no reuse) | {result['head_alone_wall_s']} | {result['head_alone_cpu_s']} |",
        "",
        f"Reused: {result['series_reused']} scenarios' series, {result['groups_reused']} of "
        f"{result['groups_reused'] + result['groups_evaluated']} rule-group evaluations; reuse saves "
        f"{saved:.2f} CPU s of the working tree's side.",
    ]
