"""Every shipped scenario, exported with export-promtool around each transition of its simulated
timeline, passes the real promtool 2.42 (issue 4 item 5).

The scenario is simulated once over its whole span to find its transitions (pending, firing,
resolved); a window of a few hours around each (overlapping windows merged) is exported, and
every exported file goes to promtool in one call. A scenario without transitions gets one quiet
window. The export re-simulates exactly the window's input, so promtool judges the simulator's
whole timeline of that window, transitions included.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from compiler.cli import main as alertkit
from simulator.rules.group import evaluate_rule_groups
from simulator.rules.loader import load_rule_files
from simulator.scenarios import load_scenario
from simulator.scenarios.generators import generate_series, populate_storage
from simulator.scenarios.promtool_export import export_promtool_test
from simulator.simulate import evaluation_grid, rule_files_in

ROOT = Path(__file__).resolve().parents[3]
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.yaml"))
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
# The window around a transition: long enough for the rules' `for` and range windows to settle
# after the window's start, short enough that promtool runs in seconds.
BEFORE_MS, AFTER_MS = 75 * MINUTE_MS, 30 * MINUTE_MS


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


def transition_times(scenario, groups) -> list[int]:
    """Every pending, firing and resolved time of the scenario's simulated timeline."""
    evaluation = evaluate_rule_groups(groups, populate_storage(generate_series(scenario)), evaluation_grid(scenario))
    times = set()
    for timeline in evaluation.timelines:
        for interval in timeline.intervals:
            times.update(
                t for t in (interval.pending_at_ms, interval.firing_at_ms, interval.resolved_at_ms) if t is not None
            )
    return sorted(times)


def windows_around(times: list[int], duration_ms: int, scrape_ms: int) -> list[tuple[int, int]]:
    """(start, span) windows of BEFORE/AFTER around each time, on the scrape grid, merged when
    they overlap; one window in the middle when there is no transition."""
    if not times:
        times = [duration_ms // 2 - AFTER_MS]
    merged: list[list[int]] = []
    for t in times:
        start = max(0, t - BEFORE_MS) // scrape_ms * scrape_ms
        end = min(duration_ms, t + AFTER_MS)
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end - start) for start, end in merged]


def test_windows_merge_and_stay_on_the_scrape_grid():
    # No transition: one window ending at the middle plus AFTER (5h - 30m - 75m = 195m).
    assert windows_around([], 10 * HOUR_MS, 15_000) == [(195 * MINUTE_MS, 105 * MINUTE_MS)]
    # 1h and 2h overlap ([0, 90m] and [45m, 150m]); 9h+7s starts at 7h45m+7s, floored to the grid.
    assert windows_around([HOUR_MS, 2 * HOUR_MS, 9 * HOUR_MS + 7_000], 10 * HOUR_MS, 15_000) == [
        (0, 150 * MINUTE_MS),
        (465 * MINUTE_MS, 105 * MINUTE_MS + 7_000),
    ]


def test_every_scenario_exported_around_its_transitions_passes_promtool(groups, tmp_path):
    written, firing_checks = [], 0
    for path in SCENARIO_FILES:
        scenario = load_scenario(path)
        windows = windows_around(transition_times(scenario, groups), scenario.duration_ms, scenario.scrape_interval_ms)
        for index, (start, span) in enumerate(windows):
            out = tmp_path / f"{path.stem}.{index}.test.yml"
            written += export_promtool_test(scenario, groups, out, start, span)
            tests = yaml.safe_load(out.read_text())["tests"][0]["alert_rule_test"]
            firing_checks += sum(bool(test.get("exp_alerts")) for test in tests)
    assert len(written) >= len(SCENARIO_FILES)
    expected = sum(len(incident.expect) for path in SCENARIO_FILES for incident in load_scenario(path).incidents)
    assert firing_checks >= min(expected, 1), "the exported windows must check firing alerts, not only quiet ones"
    for run in _promtool_in_two_processes(written, tmp_path):
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]


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
        for i in range(2)
    ]
    return [subprocess.CompletedProcess(run.args, run.wait(timeout=300), *run.communicate()) for run in runs]
