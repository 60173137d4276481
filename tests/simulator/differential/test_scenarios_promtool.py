"""Windows of every shipped scenario, exported with export-promtool, confirm the FULL simulation's
timeline: the exported expectations equal the whole-scenario simulation at every tested
evaluation, every transition inside the window is tested, and the real promtool 2.42 passes them.

Each scenario is simulated once over its whole span. Its windows start 30 minutes before each
incident (cutting through its start), 10 minutes after the first firing of the full simulation
(cutting through a firing alert) and in the last hours (quiet, or late in an incident). Each
window is exported once per rule bundle: the groups whose alerts need at most SHORT_HISTORY_MS of
history together, and each longer-reaching group alone (its history then costs promtool time
for its own rules only). The long bundles are exported in the windows where the full simulation
has a transition of their alerts, and in the incident-start windows of the first scenario; every
file goes to promtool in one batch (two processes).

Only the alerts a scenario observes (that read its metrics) count: an alert of another service that fires on
an absent() there neither picks the windows nor is exported. A group whose alerts read the absolute time
(`time()`, the freshness kind) replays only from the scenario start (export-promtool refuses a shifted
history), so it is exported alone, from 0s to the end of each window with a transition of its alerts.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from common.durations import parse_duration
from compiler.cli import main as alertkit
from simulator.promql.engine import DEFAULT_SUBQUERY_STEP_MS
from simulator.rules.group import evaluate_rule_groups
from simulator.rules.loader import load_rule_files
from simulator.rules.model import AlertingRule
from simulator.rules.reach import ReachAnalysis
from simulator.scenarios import load_scenario
from simulator.scenarios.generators import generate_series, populate_storage
from simulator.scenarios.promtool_export import export_promtool_test, plan_window
from simulator.simulate import evaluation_grid, rule_files_in, unobserved_alerts

ROOT = Path(__file__).resolve().parents[3]
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.yaml"))
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
WINDOW_MS = 2 * HOUR_MS
SHORT_HISTORY_MS = 6 * HOUR_MS


@pytest.fixture(scope="module")
def groups(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    result = CliRunner().invoke(
        alertkit,
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
    assert result.exit_code == 0, result.output
    return load_rule_files(rule_files_in(out / "prometheus"))


def alert_names(groups) -> set[str]:
    return {rule.alert for group in groups for rule in group.rules if isinstance(rule, AlertingRule)}


def reads_absolute_time(scenario, group) -> bool:
    analysis = ReachAnalysis([group], scenario.evaluation_interval_ms, DEFAULT_SUBQUERY_STEP_MS)
    return any(analysis.alert_reach(rule).absolute_time for rule in group.rules if isinstance(rule, AlertingRule))


def bundles(scenario, groups) -> list[list]:
    """The short-history groups together, then each long-history group alone (absolute-time groups apart)."""
    short, long = [], []
    for group in groups:
        if reads_absolute_time(scenario, group):
            continue
        history = plan_window(scenario, [group], scenario.duration_ms - 1, 1).needs
        needed = max((need.history_ms(scenario.evaluation_interval_ms) for need in history), default=0)
        (short if needed <= SHORT_HISTORY_MS else long).append([group])
    return [[g for [g] in short]] + long


def windows(scenario, evaluation, observed: set[str]) -> list[tuple[int, int]]:
    """(start, span) windows on the scrape grid, merged when they overlap."""
    starts = [incident.start_ms - 30 * MINUTE_MS for incident in scenario.incidents]
    firings = sorted(
        i.firing_at_ms
        for tl in evaluation.timelines
        if tl.alertname in observed
        for i in tl.intervals
        if i.firing_at_ms is not None
    )
    if firings:
        starts.append(firings[0] + 10 * MINUTE_MS)
    starts.append(scenario.duration_ms - WINDOW_MS)
    merged: list[list[int]] = []
    for start in sorted(starts):
        start = max(0, start) // scenario.scrape_interval_ms * scenario.scrape_interval_ms
        end = min(scenario.duration_ms, start + WINDOW_MS)
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end - start) for start, end in merged]


def transitions(evaluation, names: set[str], start: int, end: int) -> list[tuple[str, int]]:
    """(alertname, time) of every change to firing or resolved in [start, end]."""
    return sorted(
        (tl.alertname, t)
        for tl in evaluation.timelines
        if tl.alertname in names
        for i in tl.intervals
        for t in (i.firing_at_ms, i.resolved_at_ms)
        if t is not None and start <= t <= end
    )


def normalized(alerts) -> list:
    return sorted((sorted(a["exp_labels"].items()), sorted(a["exp_annotations"].items())) for a in alerts)


def assert_export_matches_full_simulation(out: Path, scenario, evaluation, names, start: int, span: int, history_start):
    """Every alert test of the export equals the full simulation at that time, and every transition
    of the full simulation inside the window is tested at its evaluation and the one before."""
    interval = scenario.evaluation_interval_ms
    tests = yaml.safe_load(out.read_text())["tests"][0]["alert_rule_test"]
    tested = set()
    for test in tests:
        t = history_start + parse_duration(test["eval_time"])
        assert start <= t <= start + span, f"{out.name}: a test at {test['eval_time']} lies outside the window"
        full = [
            {"exp_labels": {k: v for k, v in a.labels.items() if k != "alertname"}, "exp_annotations": a.annotations}
            for a in evaluation.firing_alerts(t // interval, test["alertname"])
        ]
        assert normalized(test["exp_alerts"]) == normalized(full), f"{out.name} {test['alertname']} at {t} ms"
        tested.add((test["alertname"], t))
    for name, t in transitions(evaluation, names, start, start + span):
        assert (name, t) in tested, f"{out.name}: {name}'s transition at {t} ms is not tested"
        if t - interval >= start:
            assert (name, t - interval) in tested


def test_windows_of_every_scenario_confirm_the_full_simulation_with_promtool(groups, tmp_path):
    written, firing_checks, windows_cut_through, absolute_time_exports = [], 0, 0, 0
    for number, path in enumerate(SCENARIO_FILES):
        scenario = load_scenario(path)
        series = generate_series(scenario)
        evaluation = evaluate_rule_groups(groups, populate_storage(series), evaluation_grid(scenario))
        generated = {dict(s.labels).get("__name__", "") for s in series}
        observed = alert_names(groups) - set(unobserved_alerts(groups, generated))
        short, *long = bundles(scenario, groups)
        from_start = [[group] for group in groups if reads_absolute_time(scenario, group)]
        for index, (start, span) in enumerate(windows(scenario, evaluation, observed)):
            cut = any(start < i.window_end_ms and i.start_ms < start + span for i in scenario.incidents)
            windows_cut_through += cut
            for part, bundle in enumerate([short, *long]):
                names = alert_names(bundle)
                if part and not transitions(evaluation, names, start, start + span) and not (number == 0 and cut):
                    continue
                out = tmp_path / f"{path.stem}.{index}.{part}.test.yml"
                written.append(out)
                export_promtool_test(scenario, bundle, out, start, span)
                history_start = plan_window(scenario, bundle, start, span).history_start_ms
                assert_export_matches_full_simulation(out, scenario, evaluation, names, start, span, history_start)
                tests = yaml.safe_load(out.read_text())["tests"][0]["alert_rule_test"]
                firing_checks += sum(bool(test["exp_alerts"]) for test in tests)
            for part, bundle in enumerate(from_start):
                names = alert_names(bundle) & observed
                if not transitions(evaluation, names, start, start + span):
                    continue
                out = tmp_path / f"{path.stem}.{index}.start{part}.test.yml"
                written.append(out)
                export_promtool_test(scenario, bundle, out, 0, start + span)
                assert_export_matches_full_simulation(out, scenario, evaluation, names, 0, start + span, 0)
                absolute_time_exports += 1
    assert absolute_time_exports >= 1, "the freshness alert's firing must be confirmed by promtool"
    assert len(written) >= 2 * len(SCENARIO_FILES)
    assert windows_cut_through >= len(SCENARIO_FILES), "windows must cut through incidents"
    expected = sum(len(incident.expect) for path in SCENARIO_FILES for incident in load_scenario(path).incidents)
    assert firing_checks >= min(expected, 1), "the exported windows must check firing alerts, not only quiet ones"
    print(f"{len(written)} files, {windows_cut_through} windows through incidents, {firing_checks} firing checks")
    for run in _promtool_in_two_processes(written, tmp_path):
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]


def test_window_reads_the_history_of_its_offsets(groups, tmp_path):
    """Issue 7: the on-call window from 9d8h for 3h must expect ClickThroughRateDrop at 9d9h54m,
    which its `offset 1d` and 1h ranges see only with a day of history before the window."""
    scenario = load_scenario(ROOT / "scenarios" / "oncall-exercise.yaml")
    bundle = [group for group in groups if "ClickThroughRateDrop" in alert_names([group])]
    start, span = parse_duration("9d8h"), parse_duration("3h")
    out = tmp_path / "ctr.test.yml"
    export_promtool_test(scenario, bundle, out, start, span)
    history_start = plan_window(scenario, bundle, start, span).history_start_ms
    assert history_start <= start - parse_duration("1d1h15m")
    fired = parse_duration("9d9h54m") - history_start
    tests = yaml.safe_load(out.read_text())["tests"][0]["alert_rule_test"]
    [at_firing] = [
        t for t in tests if t["alertname"] == "ClickThroughRateDrop" and parse_duration(t["eval_time"]) == fired
    ]
    assert at_firing["exp_alerts"], "the window must expect the firing the full simulation has"
    [run] = _promtool_in_two_processes([out], tmp_path)[:1]
    assert run.returncode == 0, run.stdout + run.stderr


def _promtool_in_two_processes(paths: list[Path], cwd: Path) -> list[subprocess.CompletedProcess]:
    """`promtool test rules` over the files, split in two processes (the machine has two cores)."""
    runs = [
        subprocess.Popen(
            ["/usr/bin/promtool", "test", "rules", *[p.name for p in paths[i::2]]],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(min(2, len(paths)))
    ]
    return [subprocess.CompletedProcess(run.args, run.wait(timeout=600), *run.communicate()) for run in runs]
