"""Time-to-page model benchmark: the 14-day on-call scenario's alert timelines through Prometheus's sender and
Alertmanager's dispatcher (simulator/alertmanager), next to the simulation that produced them, in the same run.

The Alertmanager configuration is the compiled one when it carries the reference alerts' symptom_of inhibit
rules, else the test fixture with those rules (tests/simulator/alertmanager/fixtures/alertmanager-symptoms.yml).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "oncall-exercise.yaml"
FIXTURE = ROOT / "tests" / "simulator" / "alertmanager" / "fixtures" / "alertmanager-symptoms.yml"
REPEATS = 5


def run() -> dict:
    from benchmarks.simulate_bench import _compiled_rules
    from simulator.alertmanager.config import load_alertmanager_config
    from simulator.alertmanager.timeline import IncidentWindow, page_scenario
    from simulator.rules.loader import load_rule_files
    from simulator.scenarios import load_scenario
    from simulator.simulate import rule_files_in, simulate

    with tempfile.TemporaryDirectory() as tmp:
        rules = _compiled_rules(Path(tmp))
        compiled = (rules.parent / "alertmanager" / "alertmanager.yml").read_text()
        groups = load_rule_files(rule_files_in(rules))
    text = compiled if "FeatureCacheHitRatioLow" in compiled else FIXTURE.read_text()
    config = load_alertmanager_config(text)
    scenario = load_scenario(SCENARIO)
    start = time.perf_counter()
    result = simulate(scenario, groups)
    simulation_s = time.perf_counter() - start
    windows = [IncidentWindow(i.name, i.start_ms, i.window_end_ms) for i in scenario.incidents]
    timings, cpu = [], []
    for _ in range(REPEATS):
        start, cpu_start = time.perf_counter(), time.process_time()
        paging = page_scenario(config, result.timelines, windows, scenario.evaluation_interval_ms, scenario.duration_ms)
        timings.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    model_s = statistics.median(timings)
    return {
        "config": "compiled" if text is compiled else "fixture (symptom_of inhibit rules hand-written)",
        "alert_activations": sum(len(t.intervals) for t in result.timelines),
        "posts": len(paging.posts),
        "posted_alerts": sum(len(p.alerts) for p in paging.posts),
        "notifications": len(paging.notifications),
        "pages": sum(n.kind == "page" for n in paging.notifications),
        "simulation_s": round(simulation_s, 3),
        "model_median_s": round(model_s, 4),
        "model_cpu_median_s": round(statistics.median(cpu), 4),
        "model_share_of_simulation": round(model_s / simulation_s, 4),
    }


def markdown(result: dict) -> list[str]:
    r = result
    return [
        "## time to page",
        "",
        "The 14-day on-call scenario's alert timelines through Prometheus 2.42's sender and Alertmanager 0.25's "
        f"dispatcher (`simulator/alertmanager`, configuration: {r['config']}), next to the simulation that "
        f"produced them, in the same run; the model's time is the median of {REPEATS} runs.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| alert activations / POSTs / alerts posted | {r['alert_activations']} / {r['posts']} / {r['posted_alerts']} |",
        f"| notifications / pages | {r['notifications']} / {r['pages']} |",
        f"| simulation (generate + evaluate + judge) | {r['simulation_s']} s |",
        f"| time-to-page model (median wall / CPU) | {r['model_median_s']} s / {r['model_cpu_median_s']} s |",
        f"| model / simulation | {r['model_share_of_simulation'] * 100:.1f} % |",
    ]


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
