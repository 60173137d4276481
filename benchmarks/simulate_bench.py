"""Simulator benchmarks (issue 3 item 7), measured in one run so ratios compare like with like.

(a) the 14-day on-call scenario at 15 s scrape with all reference rules through the simulator;
(b) the same rules and series through `promtool test rules`, with one alert test at the last
    evaluation time so promtool evaluates the whole span; the ratio of the two;
(c) the same scenario over 30 and 90 days, to show time growing linearly with the span;
(d) 90 days x ~1,000 series (the baseline with ~490 features), in a subprocess for peak memory.
    At 15 s scrape that would be 518 M samples (8 GB): this run uses a 1 m scrape interval and a
    5 m evaluation interval (rate windows of 5 m still hold 5-6 samples), stated in the results.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "oncall-exercise.yaml"
DAY_MS = 86_400_000
LARGE_SERIES_TARGET = 1000
LARGE_SCRAPE_MS = 60_000
LARGE_EVALUATION_MS = 300_000
LARGE_GOAL_S = 5.0
LARGE_GOAL_RSS_MB = 1024


def _compiled_rules(out: Path) -> Path:
    from click.testing import CliRunner

    from compiler.cli import main

    result = CliRunner().invoke(
        main,
        [
            "compile",
            "--alerts",
            str(ROOT / "alerts"),
            "--runbooks",
            str(ROOT / "runbooks"),
            "--config",
            str(ROOT / "alertkit.yaml"),
            "--out",
            str(out),
        ],
    )
    if result.exit_code != 0:
        raise RuntimeError(f"compile failed: {result.output}")
    return out / "prometheus"


def _timed_simulation(scenario, groups) -> dict:
    """Generate, load and evaluate, timing each stage; keeps the evaluation for checks."""
    from simulator.rules.group import evaluate_rule_groups
    from simulator.scenarios.generators import generate_series, populate_storage
    from simulator.simulate import evaluation_grid

    start, cpu_start = time.perf_counter(), time.process_time()
    series = generate_series(scenario)
    generated = time.perf_counter()
    storage = populate_storage(series)
    loaded_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    grid = evaluation_grid(scenario)
    evaluation = evaluate_rule_groups(groups, storage, grid, group_order=[g.name for g in groups])
    evaluated, cpu_end = time.perf_counter(), time.process_time()
    return {
        "series": series,
        "grid": grid,
        "evaluation": evaluation,
        "generate_s": generated - start,
        "evaluate_s": evaluated - generated,
        "total_s": evaluated - start,
        # CPU seconds (user + system) of this process: less sensitive than wall time to other
        # work on a shared machine.
        "cpu_s": cpu_end - cpu_start,
        "samples": sum(len(s.t_ms) for s in series),
        "steps": grid.steps,
        "loaded_rss_kb": loaded_rss_kb,
    }


def _with_duration(scenario, days: int):
    return dataclasses.replace(scenario, duration_ms=days * DAY_MS)


def _promtool_run(scenario, groups, run: dict, rules_dir: Path, workdir: Path) -> dict:
    """The same series and rules through promtool, one alert test at the last evaluation."""
    from common.durations import format_duration
    from simulator.scenarios.promtool_export import format_values, series_selector

    grid, evaluation = run["grid"], run["evaluation"]
    last_step = grid.steps - 1
    alertname = "FeatureNullRateHigh"
    expected = [
        {
            "exp_labels": {k: v for k, v in sorted(a.labels.items()) if k != "alertname"},
            "exp_annotations": dict(sorted(a.annotations.items())),
        }
        for a in evaluation.firing_alerts(last_step, alertname)
    ]
    document = {
        "rule_files": [str(p) for p in sorted(rules_dir.glob("*.yml"))],
        "evaluation_interval": format_duration(scenario.evaluation_interval_ms),
        "group_eval_order": [g.name for g in groups],
        "tests": [
            {
                "interval": format_duration(scenario.scrape_interval_ms),
                "input_series": [
                    {
                        "series": series_selector(s),
                        "values": format_values(s, scenario.scrape_interval_ms, scenario.duration_ms),
                    }
                    for s in run["series"]
                ],
                "alert_rule_test": [
                    {
                        "eval_time": format_duration(grid.end_ms),
                        "alertname": alertname,
                        "exp_alerts": expected,
                    }
                ],
            }
        ],
    }
    test_file = workdir / "oncall_full_span_test.yml"
    test_file.write_text(yaml.safe_dump(document, sort_keys=False, width=1_000_000))
    start = time.perf_counter()
    proc = subprocess.run(
        ["promtool", "test", "rules", test_file.name], cwd=workdir, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    return {
        "promtool_s": round(elapsed, 2),
        "promtool_exit": proc.returncode,
        "promtool_agrees": proc.returncode == 0,
        "firing_at_last_evaluation": len(expected),
        "input_file_mb": round(test_file.stat().st_size / 1e6, 1),
    }


def large_run() -> dict:
    """90 days x ~1,000 series; run in its own process so ru_maxrss is this run's peak."""
    from simulator.rules.loader import load_rule_files
    from simulator.scenarios import load_scenario
    from simulator.simulate import rule_files_in

    with tempfile.TemporaryDirectory() as tmp:
        groups = load_rule_files(rule_files_in(_compiled_rules(Path(tmp))))
    scenario = load_scenario(SCENARIO)
    base_series = 27  # every catalog series except the 2 per feature
    features = {f"feature_{i:03d}": 0.002 for i in range((LARGE_SERIES_TARGET - base_series) // 2)}
    features["item_embedding"] = 0.002  # the incident's feature
    baseline = scenario.baseline.model_copy(update={"features": features})
    scenario = dataclasses.replace(
        scenario,
        duration_ms=90 * DAY_MS,
        baseline=baseline,
        scrape_interval_ms=LARGE_SCRAPE_MS,
        evaluation_interval_ms=LARGE_EVALUATION_MS,
    )
    run = _timed_simulation(scenario, groups)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "days": 90,
        "series": len(run["series"]),
        "samples": run["samples"],
        "scrape_interval": "1m",
        "evaluation_interval": "5m",
        "evaluation_steps": run["steps"],
        "alert_instances": len(run["evaluation"].timelines),
        "generate_s": round(run["generate_s"], 2),
        "evaluate_s": round(run["evaluate_s"], 2),
        "total_s": round(run["total_s"], 2),
        "cpu_s": round(run["cpu_s"], 2),
        "peak_rss_mb": round(peak_kb / 1024),
        "peak_rss_after_generate_and_load_mb": round(run["loaded_rss_kb"] / 1024),
    }


def run() -> dict:
    from simulator.rules.loader import load_rule_files
    from simulator.scenarios import load_scenario
    from simulator.simulate import rule_files_in

    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rules_dir = _compiled_rules(workdir / "build")
        groups = load_rule_files(rule_files_in(rules_dir))
        scenario = load_scenario(SCENARIO)
        rules = sum(len(g.rules) for g in groups)

        full = _timed_simulation(scenario, groups)
        results["oncall_14d"] = {
            "rules": rules,
            "series": len(full["series"]),
            "samples": full["samples"],
            "evaluation_steps": full["steps"],
            "generate_s": round(full["generate_s"], 2),
            "evaluate_s": round(full["evaluate_s"], 2),
            "total_s": round(full["total_s"], 2),
            "cpu_s": round(full["cpu_s"], 2),
        }
        promtool = _promtool_run(scenario, groups, full, rules_dir, workdir)
        promtool["speedup_vs_simulator_evaluate"] = round(promtool["promtool_s"] / full["evaluate_s"], 1)
        promtool["speedup_vs_simulator_total"] = round(promtool["promtool_s"] / full["total_s"], 1)
        results["promtool_14d"] = promtool
        del full

        growth = {}
        for days in (14, 30, 90):
            timed = _timed_simulation(_with_duration(scenario, days), groups)
            growth[f"{days}d"] = {
                "samples": timed["samples"],
                "total_s": round(timed["total_s"], 2),
                "cpu_s": round(timed["cpu_s"], 2),
                "seconds_per_day": round(timed["total_s"] / days, 3),
                "cpu_seconds_per_day": round(timed["cpu_s"] / days, 3),
            }
            del timed
        results["span_growth"] = growth

    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.simulate_bench", "--large"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    results["large_90d_1000_series"] = (
        json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr.strip()[-500:]}
    )
    return results


def markdown(result: dict) -> list[str]:
    """The BENCHMARKS.md section."""
    a, b, g, d = (result.get(k, {}) for k in ("oncall_14d", "promtool_14d", "span_growth", "large_90d_1000_series"))
    lines = [
        "## simulate",
        "",
        "The 14-day on-call scenario (15 s scrape, 1 m evaluation) with every reference rule, through the "
        "simulator and through `promtool test rules` (one alert test at the last evaluation, so promtool "
        "evaluates the whole span), in the same run.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| rules / series / samples | {a.get('rules')} / {a.get('series')} / {a.get('samples')} |",
        f"| simulator: generate | {a.get('generate_s')} s |",
        f"| simulator: load + evaluate | {a.get('evaluate_s')} s |",
        f"| promtool test rules | {b.get('promtool_s')} s (exit {b.get('promtool_exit')}, input {b.get('input_file_mb')} MB) |",
        f"| speed-up (evaluation only / total) | {b.get('speedup_vs_simulator_evaluate')}x / "
        f"{b.get('speedup_vs_simulator_total')}x |",
        "",
        "Span growth (same scenario, same rules):",
        "",
        "| span | samples | total | per day | CPU per day |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {span} | {v['samples']} | {v['total_s']} s | {v['seconds_per_day']} s | {v.get('cpu_seconds_per_day')} s |"
        for span, v in g.items()
    ]
    lines += [
        "",
        "90 days x 1,000 series (1 m scrape, 5 m evaluation; separate process for peak memory):",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in d.items()]
    if "total_s" in d:
        lines += [
            "",
            f"Goal (issue 12): under {LARGE_GOAL_S:g} s and under {LARGE_GOAL_RSS_MB} MB peak RSS. Measured: "
            f"**{d['total_s']} s** ({'met' if d['total_s'] < LARGE_GOAL_S else 'NOT met'}; CPU {d['cpu_s']} s), "
            f"**{d['peak_rss_mb']} MB** ({'met' if d['peak_rss_mb'] < LARGE_GOAL_RSS_MB else 'NOT met'}).",
        ]
    return lines


if __name__ == "__main__":
    from simulator.promql.allocator import allow_malloc_tuning

    allow_malloc_tuning()  # as the alertkit command line does
    if sys.argv[1:] == ["--large"]:
        print(json.dumps(large_run()))
    else:
        print(json.dumps(run(), indent=2))
