"""`alertkit test` vs `promtool test rules` on one long generated file, and start-up on a tiny one (issue 12).

(a) The on-call scenario at a 1-minute scrape over 14, 30 and 90 days, with the reference rules, written as one
    promtool test file (one alert test at the last evaluation, so both tools evaluate the whole span); each file
    runs through `alertkit test` and `promtool test rules` in fresh processes, alternately, and the ratio of the
    median wall times is reported next to the goal (at least 20x on 14 days) with the time per day.
(b) A one-case test file: median of 5 fresh `alertkit test` runs against promtool's (goal: at most 0.2 s).
(c) The thanos and etcd peer suites run one process per file, as CI scripts do (goal: no slower than promtool).

Fresh processes include start-up; the packages' bytecode is compiled first, as `pip install` does (this
environment sets PYTHONDONTWRITEBYTECODE, which would otherwise make every run compile every module).
"""

from __future__ import annotations

import compileall
import dataclasses
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ALERTKIT = ROOT / ".venv" / "bin" / "alertkit"
PEER_SUITES = ROOT.parent / "shared" / "peer-suites"
DAY_MS = 86_400_000
SCRAPE_MS = 60_000
SPANS_DAYS = (14, 30, 90)
# Pairs of runs per span: promtool takes about 10 s per day of this file, so the longer spans run once.
ROUNDS = {14: 3, 30: 1, 90: 1}
GOAL_RATIO_14D = 20.0
GOAL_ONE_CASE_S = 0.2
ONE_CASE_ROUNDS = 5
ALERTNAME = "FeatureNullRateHigh"

ONE_CASE_RULES = """groups:
  - name: g
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 5m
        labels: {severity: page}
        annotations: {summary: "{{ $labels.job }} down"}
"""
ONE_CASE_TEST = """rule_files: [rules.yml]
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="a"}'
        values: '1 1 0x10'
    alert_rule_test:
      - eval_time: 10m
        alertname: InstanceDown
        exp_alerts:
          - exp_labels: {job: a, severity: page}
            exp_annotations: {summary: a down}
"""

# Peer suites run one process per file: (suite, folder under peer-suites, glob), as in MANIFEST.md.
PER_FILE_SUITES = [("thanos", "thanos-io__thanos", "tests.yaml"), ("etcd", "etcd-io__etcd", "test.yaml")]


def compile_bytecode() -> None:
    """What `pip install` does for an installed package; later fresh processes only read the .pyc files."""
    for package in ("compiler", "simulator", "common"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def write_long_file(days: int, workdir: Path) -> dict:
    """The on-call scenario over `days` at a 1 m scrape, as one promtool test file beside its rule files."""
    from benchmarks.simulate_bench import SCENARIO, _compiled_rules
    from common.durations import format_duration
    from simulator.rules.group import evaluate_rule_groups
    from simulator.rules.loader import load_rule_files
    from simulator.scenarios import load_scenario
    from simulator.scenarios.generators import generate_series, populate_storage
    from simulator.scenarios.promtool_export import format_values, series_selector
    from simulator.simulate import evaluation_grid, rule_files_in

    rules_dir = workdir / "build" / "prometheus"
    if not rules_dir.exists():
        _compiled_rules(workdir / "build")
    groups = load_rule_files(rule_files_in(rules_dir))
    scenario = dataclasses.replace(load_scenario(SCENARIO), duration_ms=days * DAY_MS, scrape_interval_ms=SCRAPE_MS)
    series = generate_series(scenario)
    grid = evaluation_grid(scenario)
    evaluation = evaluate_rule_groups(groups, populate_storage(series), grid, group_order=[g.name for g in groups])
    expected = [
        {
            "exp_labels": {k: v for k, v in sorted(a.labels.items()) if k != "alertname"},
            "exp_annotations": dict(sorted(a.annotations.items())),
        }
        for a in evaluation.firing_alerts(grid.steps - 1, ALERTNAME)
    ]
    document = {
        "rule_files": [str(p.relative_to(workdir)) for p in sorted(rules_dir.glob("*.yml"))],
        "evaluation_interval": format_duration(scenario.evaluation_interval_ms),
        "group_eval_order": [g.name for g in groups],
        "tests": [
            {
                "interval": format_duration(SCRAPE_MS),
                "input_series": [
                    {"series": series_selector(s), "values": format_values(s, SCRAPE_MS, scenario.duration_ms)}
                    for s in series
                ],
                "alert_rule_test": [
                    {"eval_time": format_duration(grid.end_ms), "alertname": ALERTNAME, "exp_alerts": expected}
                ],
            }
        ],
    }
    path = workdir / f"oncall_{days}d_test.yml"
    path.write_text(
        yaml.dump(document, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False, width=10**9)
    )
    return {
        "file": path.name,
        "series": len(series),
        "samples": sum(len(s.t_ms) for s in series),
        "rules": sum(len(g.rules) for g in groups),
        "evaluations": grid.steps,
        "firing_at_last_evaluation": len(expected),
        "file_mb": round(path.stat().st_size / 1e6, 1),
    }


def timed(command: list[str], cwd: Path) -> dict:
    """Wall and CPU seconds (user + system) of one fresh process, and its peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "exit": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


def _pairs(alertkit: list[str], promtool: list[str], cwd: Path, rounds: int) -> dict:
    """Alternate the two tools, so a burst of load on the shared machine hits both alike."""
    runs: dict[str, list[dict]] = {"alertkit": [], "promtool": []}
    for _ in range(rounds):
        runs["promtool"].append(timed(promtool, cwd))
        runs["alertkit"].append(timed(alertkit, cwd))
    summary = {}
    for tool, tool_runs in runs.items():
        summary[f"{tool}_wall_s"] = round(statistics.median(r["wall_s"] for r in tool_runs), 3)
        summary[f"{tool}_cpu_s"] = round(statistics.median(r["cpu_s"] for r in tool_runs), 3)
        summary[f"{tool}_exit"] = sorted({r["exit"] for r in tool_runs})
    summary["same_output"] = all(
        (a["stdout"], a["stderr"], a["exit"]) == (p["stdout"], p["stderr"], p["exit"])
        for a, p in zip(runs["alertkit"], runs["promtool"])
    )
    summary["rounds"] = rounds
    return summary


def long_files(workdir: Path) -> dict:
    results = {}
    for days in SPANS_DAYS:
        info = write_long_file(days, workdir)
        pair = _pairs(
            [str(ALERTKIT), "test", info["file"]], ["promtool", "test", "rules", info["file"]], workdir, ROUNDS[days]
        )
        pair["wall_ratio"] = round(pair["promtool_wall_s"] / pair["alertkit_wall_s"], 1)
        pair["cpu_ratio"] = round(pair["promtool_cpu_s"] / pair["alertkit_cpu_s"], 1)
        pair["alertkit_s_per_day"] = round(pair["alertkit_wall_s"] / days, 4)
        pair["promtool_s_per_day"] = round(pair["promtool_wall_s"] / days, 3)
        results[f"{days}d"] = {**info, **pair}
        (workdir / info["file"]).unlink()
    return results


def one_case(workdir: Path) -> dict:
    folder = workdir / "one-case"
    folder.mkdir()
    (folder / "rules.yml").write_text(ONE_CASE_RULES)
    (folder / "one_test.yml").write_text(ONE_CASE_TEST)
    timed([str(ALERTKIT), "test", "one_test.yml"], folder)  # warm the page cache, not measured
    result = _pairs(
        [str(ALERTKIT), "test", "one_test.yml"], ["promtool", "test", "rules", "one_test.yml"], folder, ONE_CASE_ROUNDS
    )
    result["goal_s"] = GOAL_ONE_CASE_S
    return result


def per_file_suites() -> dict:
    results = {}
    for name, rel, pattern in PER_FILE_SUITES:
        folder = PEER_SUITES / rel
        files = sorted(str(p.relative_to(folder)) for p in folder.glob(pattern))
        totals = {"alertkit": 0.0, "promtool": 0.0}
        exits: dict[str, list[int]] = {"alertkit": [], "promtool": []}
        for file in files:
            for tool, command in (
                ("promtool", ["promtool", "test", "rules", file]),
                ("alertkit", [str(ALERTKIT), "test", file]),
            ):
                run = statistics.median(timed(command, folder)["wall_s"] for _ in range(3))
                totals[tool] += run
                exits[tool].append(timed(command, folder)["exit"]) if False else None
        results[name] = {
            "files": len(files),
            "alertkit_s": round(totals["alertkit"], 3),
            "promtool_s": round(totals["promtool"], 3),
            "ratio": round(totals["promtool"] / totals["alertkit"], 2),
        }
    return results


def run() -> dict:
    compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        return {
            "load_average_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "one_case": one_case(workdir),
            "per_file_suites": per_file_suites(),
            "long_files": long_files(workdir),
            "load_average_end": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        out = Path(sys.argv[3])
        out.mkdir(parents=True, exist_ok=True)
        print(write_long_file(int(sys.argv[2]), out))
    else:
        import json

        print(json.dumps(run(), indent=2))
