"""The pytest plugin's cost (issue 8): the shipped scenarios' items against `alertkit simulate` of the same
scenarios, both in fresh processes from the repository root, in the same run. Each scenario is simulated
once per pytest run and its items share the result, so the ratio should stay near 1 (target: at most 1.5).

Both compile alerts/ in memory. Wall time on a shared machine is noisy: the CPU time of the child process
(user + system) is reported too, and the ratio of each is the median of a few rounds.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 3
TARGET_RATIO = 1.5


def _timed(command: list[str]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def run() -> dict:
    scenarios = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").glob("*.yaml"))
    bindir = Path(sys.executable).parent
    # One process, as the pytest items run (the plugin's cost, not simulate's use of both cores, is measured).
    simulate = [str(bindir / "alertkit"), "simulate", "--jobs", "1", *scenarios]
    plugin = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "scenarios"]
    # The default run: one worker process per core (issue 12); same report as --jobs 1.
    simulate_cores = [str(bindir / "alertkit"), "simulate", *scenarios]
    rounds, both_cores = [], []
    for _ in range(ROUNDS):
        s_wall, s_cpu, s_exit = _timed(simulate)
        p_wall, p_cpu, p_exit = _timed(plugin)
        rounds.append((s_wall, s_cpu, s_exit, p_wall, p_cpu, p_exit))
        both_cores.append(_timed(simulate_cores))
    wall_ratio = statistics.median(r[3] / r[0] for r in rounds)
    cpu_ratio = statistics.median(r[4] / r[1] for r in rounds)
    return {
        "scenarios": len(scenarios),
        "simulate_wall_s": round(statistics.median(r[0] for r in rounds), 2),
        "simulate_cpu_s": round(statistics.median(r[1] for r in rounds), 2),
        "simulate_exit": rounds[-1][2],
        "pytest_items_wall_s": round(statistics.median(r[3] for r in rounds), 2),
        "pytest_items_cpu_s": round(statistics.median(r[4] for r in rounds), 2),
        "pytest_exit": rounds[-1][5],
        "ratio_wall": round(wall_ratio, 2),
        "ratio_cpu": round(cpu_ratio, 2),
        "within_target": wall_ratio <= TARGET_RATIO,
        "simulate_both_cores_wall_s": round(statistics.median(r[0] for r in both_cores), 2),
        "simulate_both_cores_cpu_s": round(statistics.median(r[1] for r in both_cores), 2),
        "simulate_both_cores_exit": both_cores[-1][2],
    }


def markdown(result: dict) -> list[str]:
    return [
        "## pytest plugin",
        "",
        f"The shipped scenarios ({result.get('scenarios')} files) as pytest items (`pytest scenarios`, which also "
        "runs the compile and coverage items) against `alertkit simulate --jobs 1 scenarios/*.yaml` (one process, as the items run), fresh processes, "
        f"median of {ROUNDS} rounds; target: at most {TARGET_RATIO}x.",
        "",
        "| measure | alertkit simulate | pytest items | ratio |",
        "|---|---|---|---|",
        f"| wall | {result.get('simulate_wall_s')} s | {result.get('pytest_items_wall_s')} s | {result.get('ratio_wall')}x |",
        f"| CPU (user + system) | {result.get('simulate_cpu_s')} s | {result.get('pytest_items_cpu_s')} s | "
        f"{result.get('ratio_cpu')}x |",
        f"| exit status | {result.get('simulate_exit')} | {result.get('pytest_exit')} | |",
        "",
        f"`alertkit simulate scenarios/*.yaml` as users run it (worker processes on both cores, same report): "
        f"{result.get('simulate_both_cores_wall_s')} s wall ({result.get('simulate_both_cores_cpu_s')} s CPU, "
        f"exit {result.get('simulate_both_cores_exit')}) against {result.get('simulate_wall_s')} s in one process "
        f"(median of {ROUNDS}).",
    ]


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
