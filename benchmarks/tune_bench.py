"""`alertkit tune` benchmark: a grid of 100 settings (10 thresholds x 10 `for` values) of FeatureNullRateHigh over
one scenario, against 100 separate simulations (each setting written into the rule, the scenario generated,
evaluated, judged and paged from scratch), in the same run. Both sides time to page through the compiled
Alertmanager configuration; the outcomes are compared, setting by setting.
"""

from __future__ import annotations

import copy
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "process-restarts.yaml"
SECOND_SCENARIO = ROOT / "scenarios" / "null-rate-spike.yaml"
ALERT = "FeatureNullRateHigh"
THRESHOLDS = [round(0.004 + 0.003 * i, 6) for i in range(10)]
HOLDS_MS = [60_000 * i for i in range(10)]


def run() -> dict:
    from benchmarks.simulate_bench import _compiled_rules
    from simulator.alertmanager.config import load_alertmanager_config
    from simulator.rules.loader import load_rule_files
    from simulator.scenarios import load_scenario
    from simulator.simulate import rule_files_in
    from simulator.tune.params import Setting
    from simulator.tune.run import default_jobs, tune

    with tempfile.TemporaryDirectory() as tmp:
        rules = _compiled_rules(Path(tmp))
        config = load_alertmanager_config((rules.parent / "alertmanager" / "alertmanager.yml").read_text())
        groups = load_rule_files(rule_files_in(rules))
    scenario = load_scenario(SCENARIO)
    settings = [Setting(t, f) for t in THRESHOLDS for f in HOLDS_MS]

    start, cpu = time.perf_counter(), _cpu()
    tuned = tune([scenario], groups, ALERT, settings, config, jobs=1)
    serial_s, serial_cpu = time.perf_counter() - start, _cpu() - cpu
    both = [scenario, load_scenario(SECOND_SCENARIO)]
    start = time.perf_counter()
    tune(both, groups, ALERT, settings, config, jobs=1)
    two_serial_s = time.perf_counter() - start
    start = time.perf_counter()
    tune(both, groups, ALERT, settings, config, jobs=default_jobs())
    two_parallel_s = time.perf_counter() - start

    start, cpu = time.perf_counter(), _cpu()
    separate = [_simulate_at(scenario, groups, config, setting) for setting in settings]
    separate_s, separate_cpu = time.perf_counter() - start, _cpu() - cpu

    identical = all(
        [(i.time_to_detect_ms, i.time_to_page_ms) for i in r.incidents] == s[0] and r.false_pages == s[1]
        for r, s in zip(tuned.results, separate)
    )
    return {
        "scenario": SCENARIO.name,
        "settings": len(settings),
        "tune_serial_s": round(serial_s, 2),
        "tune_serial_cpu_s": round(serial_cpu, 2),
        "two_scenarios": f"{SCENARIO.name} + {SECOND_SCENARIO.name}",
        "tune_two_scenarios_1_process_s": round(two_serial_s, 2),
        "tune_parallel_jobs": default_jobs(),
        "tune_two_scenarios_parallel_s": round(two_parallel_s, 2),
        "separate_simulations_s": round(separate_s, 2),
        "separate_simulations_cpu_s": round(separate_cpu, 2),
        "speedup_serial": round(separate_s / serial_s, 1),
        "speedup_cpu": round(separate_cpu / serial_cpu, 1),
        "outcomes_identical": identical,
    }


def _simulate_at(scenario, groups, config, setting):
    """A full simulation with the setting written into the rule (as a recompiled rule file would carry it)."""
    from simulator.rules.model import AlertingRule
    from simulator.simulate import add_paging, simulate
    from simulator.tune.threshold import with_threshold

    changed = copy.deepcopy(groups)
    for group in changed:
        for index, rule in enumerate(group.rules):
            if isinstance(rule, AlertingRule) and rule.alert == ALERT:
                expr = with_threshold(ALERT, rule.expr, setting.threshold)
                group.rules[index] = replace(rule, expr=expr, for_ms=setting.for_ms)
    result = simulate(scenario, changed)
    add_paging(result, config)
    expecting = [i for i in scenario.incidents if any(e.alertname == ALERT for e in i.expect)]
    pages = [
        n.at_ms
        for n in result.paging.notifications
        if n.kind == "page" and any(dict(labels).get("alertname") == ALERT for labels in n.firing)
    ]
    detections = {d.incident: d.time_to_detect_ms for d in result.detections if d.alertname == ALERT}
    incidents = []
    for incident in expecting:
        inside = [t - incident.start_ms for t in pages if incident.start_ms <= t <= incident.window_end_ms]
        incidents.append((detections[incident.name], min(inside) if inside else None))
    false_pages = sum(not any(i.start_ms <= t <= i.window_end_ms for i in expecting) for t in pages)
    return incidents, false_pages


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the tune's worker processes)."""
    own, children = os.times(), os.times()
    return own.user + own.system + children.children_user + children.children_system


def markdown(result: dict) -> list[str]:
    return [
        "## tune",
        "",
        f"`alertkit tune` over `{result['scenario']}`: {result['settings']} settings of FeatureNullRateHigh "
        "(10 thresholds x 10 `for` values) against as many separate simulations (the setting written into the rule; "
        "generate, evaluate, judge, page), in the same run. Both time to page through the compiled Alertmanager "
        "configuration.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| tune, 1 process | {result['tune_serial_s']} s (CPU {result['tune_serial_cpu_s']} s) |",
        f"| tune over {result['two_scenarios']}, 1 process | {result['tune_two_scenarios_1_process_s']} s |",
        f"| the same, {result['tune_parallel_jobs']} processes (one per scenario) | {result['tune_two_scenarios_parallel_s']} s |",
        f"| 100 separate simulations | {result['separate_simulations_s']} s (CPU {result['separate_simulations_cpu_s']} s) |",
        f"| speed-up, 1 process (wall / CPU) | {result['speedup_serial']}x / {result['speedup_cpu']}x |",
        f"| outcomes identical (time to detect, time to page, false pages per setting) | {result['outcomes_identical']} |",
        "",
        *(
            [
                f"Measured in a run of this section alone: {result['machine']['date']}, load average at start "
                f"{result['machine']['load_average']}.",
                "",
            ]
            if "machine" in result
            else []
        ),
        "The tune evaluates the scenario once and redoes only the threshold comparison, the alert state machine, the "
        "judging and the paging model per setting; the paging model (every resend of a firing alert through the "
        "dispatcher) is most of what remains per setting.",
    ]


if __name__ == "__main__":
    import json

    from simulator.promql.allocator import allow_malloc_tuning

    allow_malloc_tuning()
    print(json.dumps(run(), indent=2))
    sys.exit(0)
