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
# shared/peer-suites beside the repository, or beside the directory holding its worktrees.
PEER_SUITES = next(
    (a / "shared" / "peer-suites" for a in ROOT.parents[:2] if (a / "shared" / "peer-suites").is_dir()),
    ROOT.parent / "shared" / "peer-suites",
)
DAY_MS = 86_400_000
SCRAPE_MS = 60_000
SPANS_DAYS = (14, 30, 90)
# Runs per span. promtool needs 5-10 s per day of this file (every reference rule at every minute), so it runs on the
# 14-day file once, and on the longer ones only with ALERTKIT_BENCH_PROMTOOL_SPANS=14,30,90 (20+ minutes).
ALERTKIT_ROUNDS = 3
PROMTOOL_SPANS = tuple(int(d) for d in os.environ.get("ALERTKIT_BENCH_PROMTOOL_SPANS", "14").split(",") if d)
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
        alertkit_runs = [timed([str(ALERTKIT), "test", info["file"]], workdir) for _ in range(ALERTKIT_ROUNDS)]
        row = {
            **info,
            "alertkit_wall_s": round(statistics.median(r["wall_s"] for r in alertkit_runs), 3),
            "alertkit_cpu_s": round(statistics.median(r["cpu_s"] for r in alertkit_runs), 3),
            "alertkit_exit": sorted({r["exit"] for r in alertkit_runs}),
            "alertkit_runs": ALERTKIT_ROUNDS,
        }
        row["alertkit_s_per_day"] = round(row["alertkit_wall_s"] / days, 4)
        if days in PROMTOOL_SPANS:
            promtool = timed(["promtool", "test", "rules", info["file"]], workdir)
            row.update(
                promtool_wall_s=round(promtool["wall_s"], 2),
                promtool_cpu_s=round(promtool["cpu_s"], 2),
                promtool_exit=[promtool["exit"]],
                same_output=all(
                    (r["stdout"], r["stderr"], r["exit"]) == (promtool["stdout"], promtool["stderr"], promtool["exit"])
                    for r in alertkit_runs
                ),
                wall_ratio=round(promtool["wall_s"] / row["alertkit_wall_s"], 1),
                cpu_ratio=round(promtool["cpu_s"] / row["alertkit_cpu_s"], 1),
            )
        results[f"{days}d"] = row
        (workdir / info["file"]).unlink()
    return results


def one_case(workdir: Path) -> dict:
    folder = workdir / "one-case"
    folder.mkdir()
    (folder / "rules.yml").write_text(ONE_CASE_RULES)
    (folder / "one_test.yml").write_text(ONE_CASE_TEST)
    timed([str(ALERTKIT), "test", "one_test.yml"], folder)  # warm the page cache, not measured
    timed(["promtool", "test", "rules", "one_test.yml"], folder)
    result = _pairs(
        [str(ALERTKIT), "test", "one_test.yml"], ["promtool", "test", "rules", "one_test.yml"], folder, ONE_CASE_ROUNDS
    )
    result["goal_s"] = GOAL_ONE_CASE_S
    result.update(start_up_floor(folder))
    return result


# The interpreter and the libraries alertkit's evaluator cannot run without (numpy, by the brief), and
# those every command line loads (click, yaml): what a one-case file costs before any alertkit module.
FLOOR_COMMANDS = {
    "python_s": "pass",
    "python_numpy_s": "import numpy",
    "python_numpy_yaml_click_s": "import numpy, yaml, click",
}


def start_up_floor(cwd: Path) -> dict:
    """Median wall seconds of fresh processes of this venv's python that only import, as many rounds as
    the one-case file."""
    python = str(ROOT / ".venv" / "bin" / "python")
    runs: dict[str, list[float]] = {name: [] for name in FLOOR_COMMANDS}
    for _ in range(ONE_CASE_ROUNDS):
        for name, code in FLOOR_COMMANDS.items():
            runs[name].append(timed([python, "-c", code], cwd)["wall_s"])
    return {f"floor_{name}": round(statistics.median(times), 3) for name, times in runs.items()}


def markdown(result: dict) -> list[str]:
    """The BENCHMARKS.md section: each figure next to its goal (issue 12)."""
    one, suites, files = result.get("one_case", {}), result.get("per_file_suites", {}), result.get("long_files", {})
    # Medians per measure; per-file suites: median of 5 alternating pairs per file, summed over the files.
    d14 = files.get("14d", {})
    lines = [
        "## `alertkit test` vs `promtool test rules`",
        "",
        f"The on-call scenario at a 1 m scrape with every reference rule ({d14.get('rules')} rules, 1 m evaluation), "
        "written as one "
        "promtool test file with an alert test at the last evaluation, so both tools evaluate the whole span; fresh "
        "processes, start-up included. Bytecode is compiled first, as `pip install` does. "
        f"Load average {result.get('load_average_start')} at the start, {result.get('load_average_end')} at the end.",
        "",
        "| measure | goal | measured | |",
        "|---|---|---|---|",
    ]
    if "wall_ratio" in d14:
        ok = "met" if d14["wall_ratio"] >= GOAL_RATIO_14D else "NOT met"
        lines.append(
            f"| 14 days ({d14['series']} series, {d14['file_mb']} MB): promtool / alertkit wall | >= {GOAL_RATIO_14D:g}x "
            f"| **{d14['wall_ratio']}x** ({d14['promtool_wall_s']} s / {d14['alertkit_wall_s']} s; CPU "
            f"{d14['cpu_ratio']}x) | {ok} |"
        )
    if one:
        ok = "met" if one["alertkit_wall_s"] <= GOAL_ONE_CASE_S else "NOT met"
        lines.append(
            f"| one-case file, median of {one['rounds']} | <= {GOAL_ONE_CASE_S} s | **{one['alertkit_wall_s']} s** "
            f"(promtool {one['promtool_wall_s']} s; CPU {one['alertkit_cpu_s']} s vs {one['promtool_cpu_s']} s) | {ok} |"
        )
    if "floor_python_numpy_s" in one:
        lines.append(
            f"| floor: `python -c pass` / `import numpy` / `import numpy, yaml, click`, median of {one['rounds']} "
            f"| | {one['floor_python_s']} s / {one['floor_python_numpy_s']} s / "
            f"{one['floor_python_numpy_yaml_click_s']} s | |"
        )
    for name, r in suites.items():
        ok = "met" if r["ratio"] >= 1 else "NOT met"
        lines.append(
            f"| {name} peer suite, one process per file ({r['files']} file) | promtool / alertkit >= 1 "
            f"| **{r['ratio']}x** ({r['promtool_s']} s / {r['alertkit_s']} s; CPU {r.get('cpu_ratio')}x) | {ok} |"
        )
    lines += [
        "",
        "Growth with the span (same scenario and rules; alertkit median of "
        f"{d14.get('alertkit_runs')} runs, promtool once per span it ran on):",
        "",
        "| span | series / samples | file | alertkit wall (CPU) | per day: wall (CPU) | promtool wall | ratio | same output |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for span, r in files.items():
        promtool = f"{r['promtool_wall_s']} s" if "promtool_wall_s" in r else "not run"
        ratio = f"{r['wall_ratio']}x" if "wall_ratio" in r else ""
        lines.append(
            f"| {span} | {r['series']} / {r['samples']} | {r['file_mb']} MB | {r['alertkit_wall_s']} s "
            f"({r['alertkit_cpu_s']} s) | {r['alertkit_s_per_day']} s ({round(r['alertkit_cpu_s'] / int(span[:-1]), 3)} s) "
            f"| {promtool} | {ratio} | "
            f"{r.get('same_output', '')} |"
        )
    return lines


def per_file_suites() -> dict:
    """One process per test file (as CI scripts loop over files), median of 3 per file and tool."""
    results = {}
    for name, rel, pattern in PER_FILE_SUITES:
        folder = PEER_SUITES / rel
        files = sorted(str(p.relative_to(folder)) for p in folder.glob(pattern))
        if not files:
            raise RuntimeError(f"no {pattern} in {folder}: the peer suites are missing")
        totals = {"alertkit": 0.0, "promtool": 0.0}
        cpu = {"alertkit": 0.0, "promtool": 0.0}
        exits: dict[str, set[int]] = {"alertkit": set(), "promtool": set()}
        for file in files:
            pair = _pairs([str(ALERTKIT), "test", file], ["promtool", "test", "rules", file], folder, 5)
            for tool in totals:
                totals[tool] += pair[f"{tool}_wall_s"]
                cpu[tool] += pair[f"{tool}_cpu_s"]
                exits[tool].update(pair[f"{tool}_exit"])
        results[name] = {
            "files": len(files),
            "alertkit_s": round(totals["alertkit"], 3),
            "promtool_s": round(totals["promtool"], 3),
            "alertkit_exit": sorted(exits["alertkit"]),
            "promtool_exit": sorted(exits["promtool"]),
            "ratio": round(totals["promtool"] / totals["alertkit"], 2),
            "alertkit_cpu_s": round(cpu["alertkit"], 3),
            "promtool_cpu_s": round(cpu["promtool"], 3),
            "cpu_ratio": round(cpu["promtool"] / cpu["alertkit"], 2),
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
