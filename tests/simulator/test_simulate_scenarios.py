"""End to end through the commands, on the tests' own project (tests/simulator/fixtures/project: its own
alerts, runbooks and scenarios on the ranker catalog's series), never on the team's alerts/ and scenarios/.

The team's scenarios are checked by the alertkit pytest plugin (test_pytest_plugin.py tests the plugin).
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main as alertkit

PROJECT = Path(__file__).parent / "fixtures" / "project"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of the fixture project as the working directory (the commands' defaults read ./alerts)."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    monkeypatch.chdir(root)
    return root


def invoke(*args):
    return CliRunner().invoke(alertkit, [str(a) for a in args])


def test_simulate_compiles_the_definitions_in_memory(project):
    result = invoke("simulate", "scenarios/nulls.yaml")
    assert result.exit_code == 0, result.output
    assert "scenario nulls (scenarios/nulls.yaml): PASS" in result.output
    assert "expect NullsSpike" in result.output and "silent TrafficGone" in result.output
    assert not (project / "build").exists()  # nothing written


def test_simulate_uses_an_edited_threshold_without_a_compile(project):
    """Never stale: a threshold edited after `alertkit compile` is what simulate uses."""
    assert invoke("compile").exit_code == 0
    alerts = project / "alerts" / "fixture.yaml"
    alerts.write_text(alerts.read_text().replace("threshold: 0.01", "threshold: 0.5"))
    result = invoke("simulate", "scenarios/nulls.yaml")
    assert result.exit_code == 1, result.output
    assert "expect NullsSpike" in result.output and "never" in result.output and "FAIL" in result.output
    # The build written before the edit is refused, not silently used.
    stale = invoke("simulate", "scenarios/nulls.yaml", "--rules", "build/prometheus")
    assert stale.exit_code == 2
    assert "build/prometheus/fixture.yml: older than alerts/fixture.yaml" in stale.output
    assert "refusing rule files older than their sources" in stale.output and "Traceback" not in stale.output
    assert invoke("compile").exit_code == 0
    assert invoke("simulate", "scenarios/nulls.yaml", "--rules", "build/prometheus").exit_code == 1


def test_definitions_that_do_not_compile_are_reported_not_simulated(project):
    alerts = project / "alerts" / "fixture.yaml"
    alerts.write_text(alerts.read_text().replace("threshold: 0.01", "threshold: lots"))
    result = invoke("simulate", "scenarios/nulls.yaml")
    assert result.exit_code == 2
    assert "alerts/fixture.yaml:" in result.output and "threshold" in result.output
    assert "the definitions do not compile" in result.output and "Traceback" not in result.output


def test_json_report(project):
    result = invoke("simulate", "scenarios/nulls.yaml", "--json")
    document = json.loads(result.output)
    assert document["version"] == 1 and document["passed"] is True
    [incident] = document["scenarios"][0]["incidents"]
    [expect] = incident["expect"]
    assert expect["alertname"] == "NullsSpike" and 0 < expect["time_to_detect_s"] <= 600
    [alert] = document["scenarios"][0]["alerts"]
    assert alert["labels"]["feature"] == "user_geo"
    assert alert["layer"] == alert["labels"]["layer"] == "data"  # null_rate's default layer


def test_reports_group_alerts_by_layer_read_from_the_rule_files(project):
    """The layer comes from the compiled rules' `layer` label: set one on the raw alert, and both the simulate
    table and the coverage matrix place it under that layer, after the data layer (risk-map order)."""
    alerts = project / "alerts" / "fixture.yaml"
    alerts.write_text(alerts.read_text().replace("    kind: raw\n", "    kind: raw\n    layer: system\n"))
    table = invoke("simulate", "scenarios/outage.yaml").output.splitlines()
    header = next(line for line in table if "PENDING AT" in line)
    assert header.split()[:3] == ["LAYER", "ALERT", "LABELS"]
    assert table[table.index(header) + 1].split()[:2] == ["system", "TrafficGone"]
    text = invoke("coverage").output.splitlines()
    assert text.index("== layer data ==") < text.index("NullsSpike (runbook: yes)")
    assert text.index("NullsSpike (runbook: yes)") < text.index("== layer system ==")
    assert text.index("== layer system ==") + 1 == text.index("TrafficGone (runbook: yes)")
    assert "layer system: 1 alert(s), 1 covered: TrafficGone" in text


def test_exit_1_when_an_expectation_fails(project):
    (project / "scenarios" / "impossible.yaml").write_text(
        "name: impossible\nduration: 2h\nincidents:\n  - name: nulls\n    start: 30m\n"
        "    changes: [{parameter: null_rate.user_geo, delta: 0.05}]\n    expect: {NullsSpike: 1m}\n"
    )
    result = invoke("simulate", "scenarios/impossible.yaml")
    assert result.exit_code == 1 and "FAIL" in result.output


def test_expect_unknown_alert_is_a_clear_error(project):
    (project / "scenarios" / "typo.yaml").write_text(
        "name: typo\nduration: 2h\nincidents:\n  - name: nulls\n    start: 30m\n"
        "    changes: [{parameter: ctr, delta: -0.01}]\n    expect:\n      NullSpike: 1h\n"
    )
    result = invoke("simulate", "scenarios/typo.yaml")
    assert result.exit_code == 2
    assert (
        "scenarios/typo.yaml:8: incident 'nulls' expects alert 'NullSpike', which no rule file defines" in result.output
    )


def test_bad_scenario_and_missing_rules(project):
    (project / "bad.yaml").write_text("name: bad\nduration: 0s\n")
    result = invoke("simulate", "bad.yaml")
    assert result.exit_code == 2 and "bad.yaml:2:1: duration must be positive" in result.output
    result = invoke("simulate", "scenarios/quiet.yaml", "--rules", "nope")
    assert result.exit_code == 2 and "nope: no such rules directory" in result.output


def test_broken_rule_file_is_a_clear_error(project):
    rules = project / "rules"
    rules.mkdir()
    (rules / "bad.yml").write_text("groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: rate(\n")
    result = invoke("simulate", "scenarios/quiet.yaml", "--rules", "rules")
    assert result.exit_code == 2
    assert "rules/bad.yml:5" in result.output and "Traceback" not in result.output


def test_exported_promtool_file_passes_promtool(project):
    """promtool independently confirms the simulated timeline around an incident (rules compiled in memory
    are copied beside the test file, into <stem>.rules/)."""
    out = project / "export" / "nulls.test.yml"
    result = invoke("export-promtool", "scenarios/nulls.yaml", "--from", "1h", "--span", "2h30m", "--out", out)
    assert result.exit_code == 0, result.output
    assert (out.parent / "nulls.test.rules" / "fixture.yml").is_file()
    assert not (out.parent / "rules").exists()
    text = out.read_text()
    assert "alertname: NullsSpike" in text and "exp_labels:" in text  # it does check a firing alert
    run = subprocess.run(
        ["promtool", "test", "rules", out.name], cwd=out.parent, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_export_window_must_lie_on_the_scrape_grid(project):
    result = invoke("export-promtool", "scenarios/quiet.yaml", "--from", "10s", "--span", "1h", "--out", "x.yml")
    assert result.exit_code == 2 and "--from must be a multiple of the scrape interval" in result.output
    assert not (project / "x.yml").exists()


def test_coverage_matrix_text_markdown_json(project):
    text = invoke("coverage")
    assert text.exit_code == 0, text.output
    assert "NullsSpike (runbook: yes)" in text.output
    lines = text.output.splitlines()
    block = lines[lines.index("NullsSpike (runbook: yes)") + 1 : lines.index("NullsSpike (runbook: yes)") + 4]
    assert [line.split(None, 1) for line in block] == [
        ["nulls", "fired at +7m"],
        ["outage", "not covered"],
        ["quiet", "silent"],
    ]
    markdown = invoke("coverage", "--format", "markdown").output
    assert markdown.startswith("| LAYER | ALERT | RUNBOOK | nulls | outage | quiet |\n|---|---|---|---|---|---|\n")
    assert "| - | TrafficGone | yes | silent | fired at +10m | silent |" in markdown
    document = json.loads(invoke("coverage", "--format", "json").output)
    assert document["passed"] is True
    assert document["layers"] == [
        {"layer": "data", "alerts": ["NullsSpike"]},
        {"layer": None, "alerts": ["TrafficGone"]},
    ]
    traffic = next(a for a in document["alerts"] if a["alertname"] == "TrafficGone")
    assert traffic["scenarios"]["outage"]["status"] == "fired"
    assert traffic["scenarios"]["outage"]["checks"][0]["time_s"] == 600


def test_coverage_gate_names_the_alert_and_what_to_add(project):
    os.remove(project / "scenarios" / "outage.yaml")
    result = invoke("coverage")
    assert result.exit_code == 1
    assert (
        "coverage gap: TrafficGone: no firing scenario: add a scenario with an incident that expects TrafficGone"
        in (result.output)
    )
    assert "NullsSpike: no" not in result.output


def test_coverage_reports_an_alert_that_fires_where_it_must_stay_silent(project):
    alerts = project / "alerts" / "fixture.yaml"
    alerts.write_text(alerts.read_text().replace("threshold: 0.01", "threshold: 0.0001"))
    result = invoke("coverage", "--format", "json")
    assert result.exit_code == 1
    nulls = next(a for a in json.loads(result.output)["alerts"] if a["alertname"] == "NullsSpike")
    assert nulls["scenarios"]["quiet"]["status"] == "fired while silent"


def test_coverage_of_a_missing_scenario_file_is_a_clear_error(project):
    result = invoke("coverage", "scenarios/nope.yaml")
    assert result.exit_code == 2
    assert "scenarios/nope.yaml: no such scenario file" in result.output and "Traceback" not in result.output
