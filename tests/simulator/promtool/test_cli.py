"""`alertkit test`: promtool's output and exit status, the --timeline --json contract, and the --timeline text
(one line per activation, no `None` where the JSON has null)."""

import json
import textwrap

from click.testing import CliRunner

from compiler.cli import main

RULES = """
groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
        for: 2m
        labels: {severity: page}
"""

TEST = """
rule_files: [rules.yml]
tests:
  - name: outage
    interval: 1m
    input_series:
      - series: 'up{instance="i1", job="a"}'
        values: '1 0 0 0 0 1 0 0'
    alert_rule_test:
      - alertname: Down
        eval_time: 4m
        exp_alerts: [{exp_labels: {instance: i1, job: a, severity: page}}]
      - {alertname: Down, eval_time: 7m}
"""


def write(tmp_path, test=TEST):
    (tmp_path / "rules.yml").write_text(textwrap.dedent(RULES))
    (tmp_path / "t.yml").write_text(textwrap.dedent(test))
    return str(tmp_path / "t.yml")


def test_timeline_json_contract(tmp_path):
    result = CliRunner().invoke(main, ["test", write(tmp_path), "--timeline", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "schema": "alertkit-test-timeline",
        "version": 2,
        "passed": True,
        "files": [{"path": str(tmp_path / "t.yml"), "passed": True, "errors": [], "warnings": [], "notes": []}],
        "tests": [
            {
                "file": str(tmp_path / "t.yml"),
                "name": "outage",
                "index": 0,
                "passed": True,
                "failures": [],
                "cases": [
                    {"kind": "alert", "title": "Down @4m", "status": "passed", "detail": ""},
                    {"kind": "alert", "title": "Down @7m", "status": "passed", "detail": ""},
                ],
                "alerts": [
                    {
                        "alertname": "Down",
                        "labels": {"instance": "i1", "job": "a", "severity": "page"},
                        "intervals": [
                            {"pending_at": 60, "firing_at": 180, "resolved_at": 300},
                            {"pending_at": 360, "firing_at": None, "resolved_at": None},
                        ],
                    }
                ],
            }
        ],
    }


def test_failure_exits_1_with_promtools_text(tmp_path):
    failing = TEST.replace("eval_time: 4m", "eval_time: 2m")
    result = CliRunner().invoke(main, ["test", write(tmp_path, failing)])
    assert result.exit_code == 1
    assert "  FAILED:\n    name: outage,\n    alertname: Down, time: 2m, \n" in result.output


def test_missing_file_is_reported_without_traceback(tmp_path):
    result = CliRunner().invoke(main, ["test", str(tmp_path / "nope.yml")])
    assert result.exit_code == 1
    assert "open " in result.output and "no such file or directory" in result.output
    assert "Traceback" not in result.output


def test_json_needs_timeline(tmp_path):
    result = CliRunner().invoke(main, ["test", write(tmp_path), "--json"])
    assert result.exit_code == 2 and "--timeline --json" in result.output


def test_timeline_text_names_never_fired_and_still_active(tmp_path):
    (tmp_path / "rules.yml").write_text(textwrap.dedent(RULES))
    (tmp_path / "t.yml").write_text(textwrap.dedent(TEST))
    result = CliRunner().invoke(main, ["test", str(tmp_path / "t.yml"), "--timeline"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("Timeline of test group 'outage':")
    assert lines[start + 1 :] == [
        '  Down{instance="i1", job="a", severity="page"} pending_at=60s firing_at=180s resolved_at=300s',
        '  Down{instance="i1", job="a", severity="page"} pending_at=360s firing_at=never resolved_at=still-active',
    ]
    assert "None" not in result.output
