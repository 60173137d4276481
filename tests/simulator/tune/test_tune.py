"""`alertkit tune`: the sweep equals full simulations at the same settings (exactness), the acceptance run over the
on-call and quiet scenarios, serial equals parallel, and every bad input gets a message and writes nothing."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from common.durations import format_duration
from compiler.cli import main as alertkit
from compiler.memory_build import ProjectSources, compile_in_memory
from simulator.alertmanager.config import load_alertmanager_config
from simulator.scenarios.loader import load_scenario
from simulator.simulate import add_paging, rule_groups_from_texts, simulate
from simulator.tune.params import Setting
from simulator.tune.report import plot_front, render_text
from simulator.tune.run import ScenarioSweep, tune

REPO = Path(__file__).resolve().parents[3]
FIXTURE_PROJECT = REPO / "tests" / "simulator" / "fixtures" / "project"
ALERT = "FeatureNullRateHigh"


@pytest.fixture
def team_project(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "team"
    for name in ("alerts", "runbooks", "scenarios"):
        shutil.copytree(REPO / name, root / name)
    for name in ("alertkit.yaml", "routing.yaml"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, root / name)
    monkeypatch.chdir(root)
    return root


def invoke(*args):
    return CliRunner().invoke(alertkit, [str(a) for a in args])


def compiled(root: Path):
    build = compile_in_memory(ProjectSources.under(root))
    assert not build.failed, build.error_text()
    return rule_groups_from_texts(build.rule_texts), load_alertmanager_config(
        build.files["alertmanager/alertmanager.yml"]
    )


def with_setting(root: Path, setting: Setting) -> None:
    """Write the setting into the alert's definition, as a person would before a full simulate."""
    path = root / "alerts" / "features.yaml"
    text = re.sub(r"threshold: [0-9.e-]+", f"threshold: {setting.threshold!r}", path.read_text())
    text = re.sub(r"\n    for: \S+", f"\n    for: {format_duration(setting.for_ms)}", text)
    path.write_text(text)


def paged_at(result, alertname: str) -> list[int]:
    return [
        n.at_ms
        for n in result.paging.notifications
        if n.kind == "page" and any(dict(labels).get("alertname") == alertname for labels in n.firing)
    ]


@pytest.mark.parametrize("scenario_file", ["null-rate-spike.yaml", "process-restarts.yaml"])
def test_sweep_equals_full_simulations(team_project, scenario_file):
    """At each setting, the sweep's timelines, detections, pages and false pages equal a full `simulate` of the
    definitions rewritten with that threshold and `for` (compiled, evaluated and paged from scratch)."""
    groups, paging = compiled(team_project)
    scenario = load_scenario(team_project / "scenarios" / scenario_file)
    sweep = ScenarioSweep(scenario, groups, ALERT, paging)
    expecting = [i for i in scenario.incidents if any(e.alertname == ALERT for e in i.expect)]
    settings = [Setting(0.002, 0), Setting(0.022, 300_000), Setting(0.03, 120_000)]
    outcomes = []
    for setting in settings:
        with_setting(team_project, setting)
        full_groups, full_paging = compiled(team_project)
        full = simulate(scenario, full_groups)
        add_paging(full, full_paging)
        full_timelines = [tl for tl in full.timelines if tl.alertname == ALERT and tl.intervals]
        key = lambda tl: sorted(tl.labels.items())  # noqa: E731
        assert sorted(sweep.timelines(setting), key=key) == sorted(full_timelines, key=key), setting

        outcome = sweep.outcome(setting)
        outcomes.append(outcome)
        detections = {d.incident: d.time_to_detect_ms for d in full.detections if d.alertname == ALERT}
        pages = paged_at(full, ALERT)
        for incident, tuned in zip(expecting, outcome.incidents):
            assert tuned.time_to_detect_ms == detections[incident.name]
            inside = [t - incident.start_ms for t in pages if incident.start_ms <= t <= incident.window_end_ms]
            assert tuned.time_to_page_ms == (min(inside) if inside else None)
        outside = [t for t in pages if not any(i.start_ms <= t <= i.window_end_ms for i in expecting)]
        assert outcome.false_pages == len(outside)
    # The settings were chosen to cover a false page, a detection and a miss.
    assert outcomes[0].false_pages > 0
    assert any(i.time_to_detect_ms is not None for o in outcomes for i in o.incidents)
    if scenario_file == "null-rate-spike.yaml":
        assert outcomes[2].incidents[0].time_to_detect_ms is None


def test_acceptance_front_over_oncall_and_quiet(team_project):
    result = invoke(
        "tune",
        ALERT,
        "--param",
        "threshold=0.005:0.05:10",
        "scenarios/oncall-exercise.yaml",
        "scenarios/quiet-fortnight.yaml",
        "--plot",
        "front.svg",
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"tune {ALERT}: 10 setting(s) over 4.00 week(s) of scenarios"
    assert "current setting: threshold=0.01 for=5m" in result.output
    header = next(line for line in lines if "threshold" in line and "TTD" in line)
    assert "TTD oncall-exercise/pipeline-break" in header and "TTP oncall-exercise/pipeline-break" in header
    rows = lines[lines.index(header) + 1 :]
    rows = [row for row in rows if row.strip() and not row.startswith("wrote")]
    assert [row.split()[1 if row.startswith("*") else 0] for row in rows] == [
        "0.005", "0.01", "0.015", "0.02", "0.025", "0.03", "0.035", "0.04", "0.045", "0.05"
    ]  # fmt: skip
    (current,) = [row for row in rows if row.endswith("<- current")]
    assert current.split()[1:3] == ["0.01", "5m"]
    front = [row for row in rows if row.startswith("*")]
    assert front and all(row in rows for row in front)
    svg = ElementTree.parse(team_project / "front.svg")
    assert svg.getroot().tag.endswith("svg")
    assert "Pareto front" in (team_project / "front.svg").read_text()


def test_parallel_equals_serial_and_plots_are_byte_identical(tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    monkeypatch.chdir(root)
    args = ["tune", "NullsSpike", "--param", "threshold=0.002:0.04:6", "--param", "for=0s:10m:3"]
    args += ["scenarios/nulls.yaml", "scenarios/quiet.yaml"]
    serial = invoke(*args, "--jobs", "1", "--plot", "serial.svg")
    parallel = invoke(*args, "--jobs", "4", "--plot", "parallel.svg")
    assert serial.exit_code == 0, serial.output
    assert serial.stdout == parallel.stdout
    assert "NullsSpike: 19 setting(s)" in serial.stdout  # 6 x 3 and the current setting (0.01, 5m)
    assert (root / "serial.svg").read_bytes() == (root / "parallel.svg").read_bytes()


def test_report_page_shows_the_front_and_every_setting(tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    monkeypatch.chdir(root)
    args = ["tune", "NullsSpike", "--param", "threshold=0.002:0.04:3", "scenarios/nulls.yaml", "scenarios/quiet.yaml"]
    (root / "notes").mkdir()
    (root / "notes" / "mine.txt").write_text("keep me")
    refused = invoke(*args, "--report", "notes")
    assert refused.exit_code == 1 and "not an alertkit report" in refused.output
    assert [p.name for p in (root / "notes").iterdir()] == ["mine.txt"]

    done = invoke(*args, "--report", "tune-report", "--plot", "front.svg")
    assert done.exit_code == 0, done.output
    page = (root / "tune-report" / "index.html").read_text()
    assert sorted(p.name for p in (root / "tune-report").iterdir()) == ["front.svg", "index.html"]
    assert '<img src="front.svg"' in page and "&lt;- current" in page
    for row in done.stdout.splitlines()[1:]:
        assert html.escape(row) in page
    assert (root / "tune-report" / "front.svg").read_bytes() == (root / "front.svg").read_bytes()


def test_core_grid_is_the_union_of_scenarios(tmp_path):
    """tune() sums false pages and weeks over scenarios and keeps every incident that expects the alert."""
    groups = rule_groups_from_texts(compile_in_memory(ProjectSources.under(FIXTURE_PROJECT)).rule_texts)
    scenarios = [load_scenario(FIXTURE_PROJECT / "scenarios" / name) for name in ("nulls.yaml", "quiet.yaml")]
    settings = [Setting(0.001, 0), Setting(0.01, 300_000)]
    result = tune(scenarios, groups, "NullsSpike", settings, None, jobs=1)
    assert [r.setting for r in result.results] == settings
    assert result.current == Setting(0.01, 300_000)
    one = [tune([s], groups, "NullsSpike", settings, None).results for s in scenarios]
    for index, combined in enumerate(result.results):
        assert combined.false_pages == sum(parts[index].false_pages for parts in one)
        assert combined.incidents == tuple(i for parts in one for i in parts[index].incidents)
    assert not result.paged and "false firings/wk" in render_text(result)
    png = plot_front(result, tmp_path / "front.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == plot_front(result, tmp_path / "again.png")
