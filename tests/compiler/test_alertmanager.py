"""build/alertmanager/alertmanager.yml, judged by the real `amtool` (check-config, routes test).

Its golden file is checked in test_golden.py (so `make golden` regenerates it with the others).
amtool missing is a failure, not a skip (make test installs it from Debian's prometheus-alertmanager package).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from compiler_testkit import GENERIC_RUNBOOK, REPO_ROOT, alert_yaml, alerts_file, amtool_route, run_amtool

from compiler.config import load_config
from compiler.output import write_build
from compiler.pipeline import compile_project

FIXTURE = Path(__file__).parent / "fixtures" / "alertmanager"


def _compile(alerts_dir: Path, runbooks_dir: Path, config_file: Path, out: Path) -> Path:
    config, problems = load_config(config_file, required=True)
    assert not problems
    result = compile_project(alerts_dir, runbooks_dir, config.runbook_base_url, config.alertmanager)
    assert not result.failed, result.problems
    write_build(out, result.files)
    return out / "alertmanager" / "alertmanager.yml"


@pytest.fixture(scope="module")
def fixture_config(tmp_path_factory) -> Path:
    """The tests' own alerts (fixtures/alertmanager: teams serving and "search quality", and a team only in
    the config) compiled with their alertkit.yaml; the path of alertmanager.yml."""
    root = tmp_path_factory.mktemp("fixture")
    (root / "alerts").mkdir()
    (root / "runbooks").mkdir()
    source = (FIXTURE / "alerts.yaml").read_text()
    (root / "alerts" / "alerts.yaml").write_text(source)
    for alert in yaml.safe_load(source)["alerts"]:
        (root / "runbooks" / f"{alert['name']}.md").write_text(GENERIC_RUNBOOK)
    return _compile(root / "alerts", root / "runbooks", FIXTURE / "alertkit.yaml", root / "build")


def test_amtool_check_config_accepts_the_repository_config(tmp_path):
    """Whatever the team keeps in alerts/ and alertkit.yaml gives a configuration amtool accepts."""
    path = _compile(REPO_ROOT / "alerts", REPO_ROOT / "runbooks", REPO_ROOT / "alertkit.yaml", tmp_path / "build")
    completed = run_amtool("check-config", str(path))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "SUCCESS" in completed.stdout


def test_amtool_check_config_accepts_the_fixture_config(fixture_config):
    completed = run_amtool("check-config", str(fixture_config))

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "SUCCESS" in completed.stdout
    # 3 teams (serving, search quality, oncall-only from the config) × pager and ticket, + null, unrouted
    assert " - 8 receivers" in completed.stdout and " - 1 inhibit rules" in completed.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=ServingDown", "team=serving", "severity=page", "service=api"], "serving-pager"),
        (["alertname=QualityDrift", "team=search quality", "severity=ticket"], "search quality-ticket"),
        (["team=oncall-only", "severity=page"], "oncall-only-pager"),
        (["team=serving", "severity=info"], "null"),  # info notifies no one, whatever the team
        (["team=unknown-team", "severity=page"], "unrouted"),  # another rule file's alert is not lost
        (["alertname=Watchdog"], "unrouted"),
    ],
)
def test_alerts_are_routed_by_team_and_severity(fixture_config, labels, receiver):
    assert amtool_route(fixture_config, *labels) == receiver


@pytest.mark.parametrize(
    ("config_text", "expected"),
    [
        (
            "alertmanager:\n  webhook_base_url: relay:9095\n",
            "custom.yaml:2:21: alertmanager.webhook_base_url: invalid webhook URL 'relay:9095': expected http:// or "
            "https:// and a host",
        ),
        (
            "alertmanager:\n  repeat_interval: 0s\n",
            "custom.yaml:2:20: alertmanager.repeat_interval: must be longer than 0, got '0s'",
        ),
        (
            "alertmanager:\n  group_by: [alertname, bad-label]\n",
            "custom.yaml:2:13: alertmanager.group_by: invalid label name 'bad-label': must match [a-zA-Z_][a-zA-Z0-9_]*",
        ),
        (
            "alertmanager:\n  teams: {serving: {pager_url: x}}\n",
            "custom.yaml:2:21: alertmanager.teams.serving.pager_url: unknown field (allowed: page_url, ticket_url)",
        ),
    ],
)
def test_bad_alertmanager_settings_are_errors_with_positions(project, config_text, expected):
    project.write_alerts("a.yaml", alerts_file(alert_yaml("Down", "raw", "      expr: up == 0\n")))
    project.write_runbook("Down")
    (project.root / "custom.yaml").write_text(config_text)
    before = project.build_digest()

    result = project.compile("--config", "custom.yaml")

    assert result.exit_code == 1
    assert expected in result.stderr.splitlines(), result.stderr
    assert project.build_digest() == before


def test_team_names_that_need_quoting_still_give_a_valid_config_that_routes_them(tmp_path):
    from compiler.alertmanager import alertmanager_config, render_alertmanager_file
    from compiler.spec import AlertmanagerConfigV1

    teams = ["x: y #z", "- lead", "it's", 'say "hi"', "back\\slash", "line\nbreak"]
    path = tmp_path / "alertmanager.yml"
    path.write_text(render_alertmanager_file(alertmanager_config(teams, AlertmanagerConfigV1()), "alerts/*.yaml"))

    completed = run_amtool("check-config", str(path))

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert amtool_route(path, "team=x: y #z", "severity=page") == "x: y #z-pager"
    assert amtool_route(path, "team=- lead", "severity=ticket") == "- lead-ticket"
    assert amtool_route(path, "team=it's", "severity=page") == "it's-pager"
    assert amtool_route(path, 'team="say \\"hi\\""', "severity=page") == 'say "hi"-pager'
