"""CI-native outputs: `alertkit test --junit` (promtool >= 2.55's JUnit XML), the pass/fail and failure text of
`alertkit test --timeline --json`, and `alertkit compile --format github` annotations."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from common.annotations import github_annotation
from common.problems import Problem, Severity, SourcePosition
from compiler.cli import main as alertkit
from simulator.promtool.reports import go_xml_escape, junit_suites, render_junit
from simulator.promtool.runner import run_test_file

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "project"

RULES = """
groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
        for: 2m
        labels: {severity: page}
"""

TESTS = """
rule_files: [rules.yml]
tests:
  - name: outage
    interval: 1m
    input_series:
      - series: 'up{instance="i1", job="a"}'
        values: '1 0 0 0 0 1 0 0'
    alert_rule_test:
      - alertname: Down
        eval_time: 2m
        exp_alerts: [{exp_labels: {instance: i1, job: a, severity: page}}]
      - {alertname: Down, eval_time: 7m}
  - interval: 1m
    input_series:
      - {series: up, values: '1'}
    promql_expr_test:
      - {expr: up, eval_time: 0m, exp_samples: [{labels: up, value: 1}]}
"""


@pytest.fixture
def test_file(tmp_path: Path) -> Path:
    (tmp_path / "rules.yml").write_text(textwrap.dedent(RULES))
    path = tmp_path / "t.yml"
    path.write_text(textwrap.dedent(TESTS))
    return path


def test_junit_has_promtools_suites_cases_failures_and_aborts(test_file: Path, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    missing = tmp_path / "nope.yml"
    result = CliRunner().invoke(alertkit, ["test", str(test_file), str(missing), "--junit", str(junit)])
    assert result.exit_code == 1
    text = junit.read_text()
    # encoding/xml: one line, no declaration, attributes in junitxml's struct order, no self-closing tags.
    assert "\n" not in text and not text.startswith("<?xml")
    assert re.match(
        rf'<testsuites><testsuite name="{re.escape(str(test_file))}" tests="2" failures="1" errors="0" '
        r'skipped="0" timestamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"><testcase name="outage"><failure>',
        text,
    )
    assert '<testcase name="unnamed#1"></testcase></testsuite>' in text
    assert (
        f'<testsuite name="{missing}" tests="1" failures="0" errors="1" skipped="0" timestamp="">'
        f'<testcase name="unknown"><error>open {missing}: no such file or directory</error></testcase>'
    ) in text
    # The failure text is promtool's, as `alertkit test` prints it on stderr.
    suites = ElementTree.fromstring(text)
    (failure,) = suites.iter("failure")
    assert failure.text is not None and failure.text in result.stderr
    assert failure.text.startswith("    name: outage,\n    alertname: Down, time: 2m, \n        exp:[")
    assert "&#xA;" in text and "&#34;Down&#34;" in text  # Go escapes newlines and quotes


def test_junit_of_passing_files(test_file: Path, tmp_path: Path) -> None:
    test_file.write_text(test_file.read_text().replace("eval_time: 2m", "eval_time: 4m"))
    junit = tmp_path / "junit.xml"
    result = CliRunner().invoke(alertkit, ["test", str(test_file), "--junit", str(junit)])
    assert result.exit_code == 0, result.output
    suite = ElementTree.fromstring(junit.read_text()).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "0", "0")
    assert [case.get("name") for case in suite] == ["outage", "unnamed#1"]


def test_junit_timestamp_and_repeated_group_order(tmp_path: Path) -> None:
    """promtool sets the timestamp after parsing, before checking group_eval_order."""
    (tmp_path / "rules.yml").write_text(textwrap.dedent(RULES))
    path = tmp_path / "t.yml"
    path.write_text("rule_files: [rules.yml]\ngroup_eval_order: [g, g]\ntests: []\n")
    (suite,) = junit_suites([run_test_file(path)], datetime(2026, 1, 2, 3, 4, 5))
    assert suite.timestamp == "2026-01-02T03:04:05"
    assert suite.cases[0].error == "group name repeated in evaluation order: g"


def test_go_xml_escaping() -> None:
    assert go_xml_escape("a<b>&\"c'\t\r\n") == "a&lt;b&gt;&amp;&#34;c&#39;&#x9;&#xD;&#xA;"
    assert go_xml_escape("bell\x07") == "bell\ufffd"  # outside XML's characters: Go writes U+FFFD
    assert render_junit([]) == "<testsuites></testsuites>"


def test_unwritable_junit_is_refused_before_running(test_file: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(alertkit, ["test", str(test_file), "--junit", str(blocker / "junit.xml")])
    assert result.exit_code == 1
    assert f"--junit {blocker / 'junit.xml'}: cannot write: {blocker} exists and is not a directory" in result.output
    assert "Unit Testing" not in result.output and blocker.read_text() == "x"


def test_timeline_json_carries_results_and_failure_text(test_file: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yml"
    result = CliRunner().invoke(alertkit, ["test", str(test_file), str(missing), "--timeline", "--json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["passed"] is False
    assert [(f["path"], f["passed"], f["errors"]) for f in document["files"]] == [
        (str(test_file), False, []),
        (str(missing), False, [f"open {missing}: no such file or directory"]),
    ]
    outage, unnamed = document["tests"]
    assert (outage["name"], outage["passed"], unnamed["passed"]) == ("outage", False, True)
    (failure,) = outage["failures"]
    assert failure.startswith("    name: outage,\n    alertname: Down, time: 2m, \n")
    assert [(c["title"], c["status"]) for c in outage["cases"]] == [("Down @2m", "failed"), ("Down @7m", "passed")]
    assert outage["alerts"][0]["intervals"][0] == {"pending_at": 60, "firing_at": 180, "resolved_at": 300}


# --- compile --format github ---------------------------------------------------------------------------------


@pytest.fixture
def broken_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "repo" / "monitoring"
    shutil.copytree(FIXTURE, project)
    serving = project / "alerts" / "serving.yaml"
    serving.write_text(serving.read_text().replace("    for: 5m\n", "    for: 5 minutes\n", 1))
    (project / "alerts" / "extra.yml").write_text("apiVersion: alertkit/v1\nalerts: []\n")  # a warning
    monkeypatch.chdir(project)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    return project


def test_compile_problems_become_annotations(broken_project: Path) -> None:
    before = sorted(p.name for p in broken_project.iterdir())
    result = CliRunner().invoke(alertkit, ["compile", "--format", "github"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::warning file=alerts/extra.yml,line=1,col=1,title=alertkit::ignored: definitions files end in .yaml "
        "(rename to extra.yaml)",
        "::error file=alerts/serving.yaml,line=9,col=10,title=alertkit%3A alert SlowRequests%3A for::invalid "
        "duration '5 minutes': expected a Prometheus duration like 30s, 5m, 1h30m, 1d",
    ]
    assert "compile failed: 1 error(s); nothing under build/ was changed" in result.stderr
    assert sorted(p.name for p in broken_project.iterdir()) == before  # no build/ written


def test_annotation_paths_are_relative_to_the_github_workspace(
    broken_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(broken_project.parent))
    result = CliRunner().invoke(alertkit, ["compile", "--format", "github"])
    assert "::error file=monitoring/alerts/serving.yaml,line=9,col=10," in result.stdout


def test_annotation_escaping_and_unknown_positions() -> None:
    problem = Problem(
        SourcePosition("a,b:c.yaml", None, None), "100% wrong\nsecond line", field="x", severity=Severity.ERROR
    )
    assert github_annotation(problem) == "::error file=a%2Cb%3Ac.yaml,title=alertkit%3A x::100%25 wrong%0Asecond line"
