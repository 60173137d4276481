"""End to end: compile the reference alerts, simulate every shipped scenario, check the acceptance of issue 3.

The rules are compiled into a temporary directory with `alertkit compile --out TMP` (the simulator reads the
rule files Prometheus loads, never compiler internals).
"""

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main as alertkit
from simulator.rules.loader import load_rule_files
from simulator.scenarios import load_scenario
from simulator.simulate import rule_files_in, simulate

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
MINUTE = 60_000
HOUR = 60 * MINUTE


@pytest.fixture(scope="session")
def rules_dir(tmp_path_factory) -> Path:
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
    return out / "prometheus"


@pytest.fixture(scope="session")
def groups(rules_dir):
    return load_rule_files(rule_files_in(rules_dir))


@pytest.fixture(scope="session")
def results(groups):
    """Every shipped scenario simulated once (the slow part, shared by the tests)."""
    return {path.stem: simulate(load_scenario(path), groups) for path in sorted(SCENARIOS.glob("*.yaml"))}


def detection(result, incident, alertname):
    [match] = [d for d in result.detections if d.incident == incident and d.alertname == alertname]
    return match


def test_oncall_exercise_acceptance(results):
    result = results["oncall-exercise"]
    deploy_cache = detection(result, "deploy", "FeatureCacheHitRatioLow")
    deploy_p99 = detection(result, "deploy", "RankerLatencyP99High")
    nulls = detection(result, "pipeline-break", "FeatureNullRateHigh")
    ctr = detection(result, "ctr-sag", "ClickThroughRateDrop")
    assert 0 < deploy_cache.time_to_detect_ms <= 10 * MINUTE
    assert 0 < deploy_p99.time_to_detect_ms <= 10 * MINUTE
    # The postmortem: a null-rate alert would have paged at 03:10, i.e. within 10 minutes of the break.
    assert 0 < nulls.time_to_detect_ms <= 10 * MINUTE
    assert 0 < ctr.time_to_detect_ms <= 2 * HOUR
    assert result.passed, [d for d in result.detections if not d.passed]
    null_alerts = [tl for tl in result.timelines if tl.alertname == "FeatureNullRateHigh"]
    assert [tl.labels["feature"] for tl in null_alerts] == ["item_embedding"]


def test_quiet_fortnight_fires_nothing(results):
    result = results["quiet-fortnight"]
    assert result.timelines == []  # not even pending
    assert result.passed


def test_srm_detected_within_six_hours(results):
    result = results["srm-drift"]
    srm = detection(result, "bucketing-bug", "ExperimentSampleRatioMismatch")
    assert 0 < srm.time_to_detect_ms <= 6 * HOUR
    assert result.passed


@pytest.mark.parametrize(
    "name",
    [
        "null-rate-spike",
        "latency-regression",
        "cache-degradation",
        "ctr-sag",
        "model-score-shift",
        "no-traffic",
        "process-restarts",
    ],
)
def test_scenario_per_alert_kind_passes(results, name):
    result = results[name]
    assert result.detections, "every per-kind scenario expects its alert"
    assert result.passed, (result.detections, result.silences, result.false_positives)


def test_cli_text_and_json(rules_dir):
    runner = CliRunner()
    path = str(SCENARIOS / "null-rate-spike.yaml")
    text = runner.invoke(alertkit, ["simulate", path, "--rules", str(rules_dir)])
    assert text.exit_code == 0, text.output
    assert "scenario null-rate-spike" in text.output and "expect FeatureNullRateHigh" in text.output
    as_json = runner.invoke(alertkit, ["simulate", path, "--rules", str(rules_dir), "--json"])
    document = json.loads(as_json.output)
    assert document["version"] == 1 and document["passed"] is True
    [incident] = document["scenarios"][0]["incidents"]
    [expect] = incident["expect"]
    assert expect["alertname"] == "FeatureNullRateHigh" and expect["time_to_detect_s"] <= 600


def test_cli_exit_1_when_an_expectation_fails(rules_dir, tmp_path):
    scenario = tmp_path / "impossible.yaml"
    scenario.write_text(
        "name: impossible\nduration: 2h\nincidents:\n  - name: nulls\n    start: 30m\n"
        "    changes: [{parameter: null_rate.user_geo, delta: 0.05}]\n    expect: {FeatureNullRateHigh: 1m}\n"
    )
    result = CliRunner().invoke(alertkit, ["simulate", str(scenario), "--rules", str(rules_dir)])
    assert result.exit_code == 1
    assert "FAIL" in result.output


def test_cli_expect_unknown_alert_is_a_clear_error(rules_dir, tmp_path):
    scenario = tmp_path / "typo.yaml"
    scenario.write_text(
        "name: typo\nduration: 2h\nincidents:\n  - name: nulls\n    start: 30m\n"
        "    changes: [{parameter: ctr, delta: -0.01}]\n    expect:\n      CtrDrop: 1h\n"
    )
    result = CliRunner().invoke(alertkit, ["simulate", str(scenario), "--rules", str(rules_dir)])
    assert result.exit_code == 2
    assert f"{scenario}:8: incident 'nulls' expects alert 'CtrDrop', which no rule file defines" in result.output


def test_cli_bad_scenario_and_missing_rules(tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("name: bad\nduration: 0s\n")
    result = CliRunner().invoke(alertkit, ["simulate", str(scenario), "--rules", str(tmp_path)])
    assert result.exit_code == 2 and f"{scenario}:2:1: duration must be positive" in result.output
    good = SCENARIOS / "no-traffic.yaml"
    result = CliRunner().invoke(alertkit, ["simulate", str(good), "--rules", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "no such rules directory" in result.output


def test_exported_promtool_file_passes_promtool(rules_dir, tmp_path):
    """promtool independently confirms the simulated timeline around an incident."""
    out = tmp_path / "export" / "null-rate-spike.test.yml"
    result = CliRunner().invoke(
        alertkit,
        [
            "export-promtool",
            str(SCENARIOS / "null-rate-spike.yaml"),
            "--rules",
            str(rules_dir),
            "--from",
            "9h",
            "--span",
            "5h",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "alertname: FeatureNullRateHigh" in text and "exp_labels:" in text  # it does check a firing alert
    run = subprocess.run(
        ["promtool", "test", "rules", out.name], cwd=out.parent, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_exported_window_with_counter_resets_and_stale_markers_passes_promtool(rules_dir, tmp_path):
    """Faults (a restart resetting every counter, a stale marker) simulated exactly as promtool sees them."""
    out = tmp_path / "restarts.test.yml"
    result = CliRunner().invoke(
        alertkit,
        [
            "export-promtool",
            str(SCENARIOS / "process-restarts.yaml"),
            "--rules",
            str(rules_dir),
            "--from",
            "2d1h30m",
            "--span",
            "1h",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert " stale " in out.read_text()
    run = subprocess.run(
        ["promtool", "test", "rules", out.name], cwd=out.parent, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_cli_broken_rule_file_is_a_clear_error(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yml").write_text("groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: rate(\n")
    result = CliRunner().invoke(alertkit, ["simulate", str(SCENARIOS / "no-traffic.yaml"), "--rules", str(rules)])
    assert result.exit_code == 2
    assert f"{rules / 'bad.yml'}:5" in result.output and "Traceback" not in result.output


def test_export_window_must_lie_on_the_scrape_grid(rules_dir, tmp_path):
    result = CliRunner().invoke(
        alertkit,
        [
            "export-promtool",
            str(SCENARIOS / "no-traffic.yaml"),
            "--rules",
            str(rules_dir),
            "--from",
            "10s",
            "--span",
            "1h",
            "--out",
            str(tmp_path / "x.yml"),
        ],
    )
    assert result.exit_code == 2 and "--from must be a multiple of the scrape interval" in result.output
    assert not (tmp_path / "x.yml").exists()
