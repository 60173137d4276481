"""The alertkit pytest plugin, run as a user runs it: `pytest` in a copy of the tests' own project
(tests/simulator/fixtures/project), in a subprocess, so the `pytest11` entry point itself is tested."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PROJECT = Path(__file__).parent / "fixtures" / "project"

PROMTOOL_RULES = """\
groups:
  - name: g
    rules:
      - alert: Up
        expr: up == 1
"""
PROMTOOL_TEST = """\
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - {series: 'up{job="a"}', values: "1x10"}
    alert_rule_test:
      - eval_time: 5m
        alertname: Up
        exp_alerts: [{exp_labels: {job: a}}]
"""


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    (root / "pytest.ini").write_text("[pytest]\n")  # the project's rootdir
    return root


def run_pytest(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_plain_pytest_collects_every_check_of_the_project(project):
    run = run_pytest(project, "--collect-only", "-q")
    nodeids = [line for line in run.stdout.splitlines() if "::" in line]
    assert nodeids == [
        "scenarios/nulls.yaml::geo-nulls::fires:NullsSpike",
        "scenarios/nulls.yaml::geo-nulls::silent:TrafficGone",
        "scenarios/nulls.yaml::no-unexpected-alerts",
        "scenarios/outage.yaml::lb-misconfig::fires:TrafficGone",
        "scenarios/outage.yaml::no-unexpected-alerts",
        "scenarios/quiet.yaml::silent:NullsSpike",
        "scenarios/quiet.yaml::silent:TrafficGone",
        "scenarios/quiet.yaml::no-unexpected-alerts",
        "scenarios::compile",
        "scenarios::coverage::NullsSpike",
        "scenarios::coverage::TrafficGone",
    ]


def test_everything_passes_and_time_to_detect_reaches_junitxml(project):
    run = run_pytest(project, "-q", "--junitxml=report.xml")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "11 passed" in run.stdout
    cases = {
        (case.get("classname"), case.get("name")): case for case in ET.parse(project / "report.xml").iter("testcase")
    }
    fires = cases[("scenarios.nulls.yaml.geo-nulls", "fires:NullsSpike")]
    properties = {p.get("name"): p.get("value") for p in fires.iter("property")}
    assert properties["alertname"] == "NullsSpike" and properties["budget_s"] == "600.0"
    assert 0 < float(properties["time_to_detect_s"]) <= 600


def test_a_threshold_out_of_reach_fails_exactly_its_item_and_shows_the_timeline(project):
    edit(project / "alerts" / "fixture.yaml", "threshold: 0.01", "threshold: 0.5")
    run = run_pytest(project, "-q")
    assert run.returncode == 1
    assert "1 failed, 10 passed" in run.stdout, run.stdout
    assert "FAILED scenarios/nulls.yaml::geo-nulls::fires:NullsSpike" in run.stdout
    out = run.stdout
    assert "NullsSpike did not fire within its budget of 10m for incident 'geo-nulls'" in out
    assert "The incident started at 2h; the deadline was 2h10m. It never fired" in out
    assert "must be above 0.5 (> 0.5)" in out  # the threshold, in words and numbers
    assert 'feature="user_geo"' in out and "short of 0.5" in out  # the value at the deadline
    assert "<- incident starts" in out and "<- budget deadline" in out  # the timeline
    assert "Traceback" not in out


def test_deleting_the_only_firing_scenario_fails_the_coverage_gate_alone(project):
    (project / "scenarios" / "outage.yaml").unlink()
    run = run_pytest(project, "-q")
    assert run.returncode == 1
    assert "1 failed, 8 passed" in run.stdout, run.stdout
    assert "FAILED scenarios::coverage::TrafficGone" in run.stdout
    assert "alert TrafficGone is not covered:" in run.stdout
    assert "no firing scenario: add a scenario with an incident that expects TrafficGone to fire" in run.stdout


def test_removing_an_alert_with_its_runbook_and_scenario_stays_green(project):
    edit(project / "alerts" / "fixture.yaml", "\n  - name: TrafficGone", "\n  - name: TrafficGoneX")
    text = (project / "alerts" / "fixture.yaml").read_text()
    (project / "alerts" / "fixture.yaml").write_text(text.split("\n  - name: TrafficGoneX")[0] + "\n")
    (project / "runbooks" / "TrafficGone.md").unlink()
    (project / "scenarios" / "outage.yaml").unlink()
    edit(project / "scenarios" / "nulls.yaml", "    silent: [TrafficGone]\n", "")
    run = run_pytest(project, "-q")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "6 passed" in run.stdout


def test_a_definition_that_does_not_compile_fails_with_its_position(project):
    edit(project / "alerts" / "fixture.yaml", "threshold: 0.01", "threshold: lots")
    run = run_pytest(project, "-q", "-k", "compile")
    assert run.returncode == 1
    assert "does not compile" in run.stdout and "alerts/fixture.yaml:" in run.stdout and "threshold" in run.stdout


def test_k_x_lf_and_disabling_the_plugin(project):
    run = run_pytest(project, "-q", "-k", "TrafficGone and not coverage")
    assert "3 passed, 8 deselected" in run.stdout, run.stdout
    edit(project / "alerts" / "fixture.yaml", "threshold: 0.01", "threshold: 0.5")
    run = run_pytest(project, "-q", "-x")
    assert "1 failed" in run.stdout and "stopping after 1 failures" in run.stdout
    run = run_pytest(project, "-q", "--lf")
    assert "1 failed, 10 deselected" in run.stdout, run.stdout
    run = run_pytest(project, "-q", "-p", "no:alertkit")
    assert run.returncode == 5 and "no tests ran" in run.stdout  # nothing collected without the plugin


def test_promtool_test_files_are_items_with_promtools_verdict(project):
    rules = project / "tests" / "rules"
    rules.mkdir(parents=True)
    (project / "tests" / "rules.yml").write_text(PROMTOOL_RULES)
    test = PROMTOOL_TEST.replace("rule_files: [rules.yml]", "rule_files: [../rules.yml]")
    (rules / "good.yml").write_text(test)
    (rules / "bad.yml").write_text(test.replace("job: a", "job: b"))
    run = run_pytest(project, "-q", "tests")
    assert "1 failed, 1 passed" in run.stdout, run.stdout
    assert "FAILED tests/rules/bad.yml::promtool" in run.stdout
    assert "alertname: Up, time: 5m" in run.stdout and "exp:" in run.stdout and "got:" in run.stdout


def test_promtool_files_reading_a_stale_build_are_refused(project):
    build = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "compile"], cwd=project, capture_output=True, text=True
    )
    assert build.returncode == 0, build.stderr
    rules = project / "tests" / "rules"
    rules.mkdir(parents=True)
    (rules / "t.yml").write_text(
        PROMTOOL_TEST.replace("rule_files: [rules.yml]", "rule_files: [../../build/prometheus/fixture.yml]")
        .replace("alertname: Up", "alertname: TrafficGone")
        .replace("exp_alerts: [{exp_labels: {job: a}}]", "exp_alerts: []")
    )
    assert run_pytest(project, "-q", "tests/rules/t.yml").returncode == 0
    edit(project / "alerts" / "fixture.yaml", "rate(ranker_requests_total", "irate(ranker_requests_total")
    run = run_pytest(project, "-q", "tests/rules/t.yml")
    assert run.returncode == 1
    assert "build/prometheus/fixture.yml: differs from what the definitions compile to now" in run.stdout
