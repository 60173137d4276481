"""build/alertmanager/alertmanager.yml, judged by the real `amtool` (check-config, routes test) and amlint.

The reference build compiles routing.yaml; the golden files are checked in test_golden.py (so `make golden`
regenerates them with the others). amtool or amlint missing is a failure, not a skip (make test installs amtool
from Debian's prometheus-alertmanager package; amlint is a dev dependency from PyPI).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from compiler_testkit import GENERIC_RUNBOOK, REPO_ROOT, alert_yaml, alerts_file, amtool_route, run_amtool

from compiler.config import load_config
from compiler.output import write_build
from compiler.pipeline import compile_project
from compiler.routing import load_routing
from simulator.alertmanager.config import load_alertmanager_config
from simulator.alertmanager.routetests import run_route_tests
from simulator.alertmanager.routing import receivers_for

# amlint findings the reference config keeps on purpose, each with its reason:
AMLINT_IGNORES = {
    # `null` is the receiver of severity=info: routed (visible in Alertmanager), deliberately notifying no one.
    "empty-receiver",
}

FIXTURE = Path(__file__).parent / "fixtures" / "alertmanager"


@pytest.fixture(scope="module")
def reference_build(tmp_path_factory) -> Path:
    """The reference alerts compiled with the repository's alertkit.yaml and routing.yaml; the build directory."""
    config, problems = load_config(REPO_ROOT / "alertkit.yaml", required=True)
    assert not problems
    routing, problems = load_routing(REPO_ROOT / "routing.yaml")
    assert not problems
    result = compile_project(
        REPO_ROOT / "alerts", REPO_ROOT / "runbooks", config.runbook_base_url, config.alertmanager, routing
    )
    assert not result.failed, result.problems
    out = tmp_path_factory.mktemp("reference") / "build"
    write_build(out, result.files)
    return out


@pytest.fixture(scope="module")
def reference_config(reference_build) -> Path:
    return reference_build / "alertmanager" / "alertmanager.yml"


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
    the config) compiled with their alertkit.yaml (no routing.yaml); the path of alertmanager.yml."""
    root = tmp_path_factory.mktemp("fixture")
    (root / "alerts").mkdir()
    (root / "runbooks").mkdir()
    source = (FIXTURE / "alerts.yaml").read_text()
    (root / "alerts" / "alerts.yaml").write_text(source)
    for alert in yaml.safe_load(source)["alerts"]:
        (root / "runbooks" / f"{alert['name']}.md").write_text(GENERIC_RUNBOOK)
    return _compile(root / "alerts", root / "runbooks", FIXTURE / "alertkit.yaml", root / "build")


def test_amtool_check_config_accepts_the_repository_config(reference_config):
    """Whatever the team keeps in alerts/, alertkit.yaml and routing.yaml gives a configuration amtool accepts."""
    completed = run_amtool("check-config", str(reference_config))

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "SUCCESS" in completed.stdout


def test_amtool_check_config_accepts_the_fixture_config(fixture_config):
    completed = run_amtool("check-config", str(fixture_config))

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "SUCCESS" in completed.stdout
    # 3 teams (serving, search quality, oncall-only from the config) × pager and ticket, + null, unrouted
    assert " - 8 receivers" in completed.stdout and " - 1 inhibit rules" in completed.stdout


def test_compiling_routing_yaml_twice_gives_the_same_bytes(reference_build):
    routing, _ = load_routing(REPO_ROOT / "routing.yaml")
    again = compile_project(REPO_ROOT / "alerts", REPO_ROOT / "runbooks", "build/runbooks/", None, routing)

    for name in ("alertmanager.yml", "route-tests.yaml"):
        assert again.files[f"alertmanager/{name}"] == (reference_build / "alertmanager" / name).read_bytes()


def test_amlint_strict_finds_nothing_in_the_reference_config(reference_build, reference_config):
    amlint = shutil.which("amlint", path=str(Path(sys.executable).parent))
    assert amlint, "amlint is a dev dependency: pip install -e '.[dev]'"
    rules = str(reference_build / "prometheus" / "*.yml")
    ignores = [f"--ignore={code}" for code in sorted(AMLINT_IGNORES)]
    command = [amlint, "check", "--strict", "--format=json", f"--rules={rules}", *ignores, str(reference_config)]
    completed = subprocess.run(command, capture_output=True, text=True)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert json.loads(completed.stdout) == []  # no finding at any level, info included


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
    model = load_alertmanager_config(fixture_config.read_text())
    assert receivers_for(model, dict(label.split("=", 1) for label in labels)) == [receiver]


def test_every_generated_route_assertion_passes_with_amtool_and_the_model(reference_build, reference_config):
    tests_file = reference_build / "alertmanager" / "route-tests.yaml"
    cases = yaml.safe_load(tests_file.read_text())["tests"]
    receiver_cases = [case for case in cases if "labels" in case]
    definitions = [
        alert
        for path in sorted((REPO_ROOT / "alerts").glob("*.yaml"))
        for alert in yaml.safe_load(path.read_text())["alerts"]
    ]
    assert len(receiver_cases) == len(definitions)  # one per alert of alerts/
    symptoms = sorted(alert["name"] for alert in definitions for _ in _as_list(alert.get("symptom_of")))
    assert sorted(case["inhibited"][0] for case in cases if "firing" in case) == symptoms
    for case in receiver_cases:
        labels = [f"{name}={value}" for name, value in case["labels"].items()]
        verify = "--verify.receivers=" + ",".join(case["receivers"])
        completed = run_amtool("config", "routes", "test", f"--config.file={reference_config}", verify, *labels)
        assert completed.returncode == 0, (case["name"], completed.stdout + completed.stderr)

    results = run_route_tests(tests_file, reference_config)

    assert results.ok and len(results.results) == len(cases), results


def _as_list(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


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


GOOD_ROUTING = """\
unrouted:
  webhook: {url: https://relay.example/unrouted, bearer_token_file: /run/secrets/relay}
teams:
  ranking:
    page:
      pagerduty: {routing_key_file: /run/secrets/pagerduty}
"""


def _alert(name: str, extra: str = "") -> str:
    return alert_yaml(name, "raw", "      expr: sum by (service) (up) == 0\n", extra)


def _compiled_project(project, routing: str = GOOD_ROUTING, alerts: tuple[str, ...] = ()):
    """A project that compiled once (so build/ exists), then gets the given routing.yaml and alerts."""
    project.write_alerts("a.yaml", alerts_file(_alert("Down"), _alert("Slow")))
    for name in ("Down", "Slow"):
        project.write_runbook(name)
    (project.root / "routing.yaml").write_text(GOOD_ROUTING)
    assert project.compile().exit_code == 0
    (project.root / "routing.yaml").write_text(routing)
    if alerts:
        project.write_alerts("a.yaml", alerts_file(*alerts))
    return project.build_digest()


@pytest.mark.parametrize(
    ("routing", "alerts", "expected"),
    [
        (
            GOOD_ROUTING.replace("ranking:", "serving:"),
            (),
            "alerts/a.yaml:5:11: alert Down: team: unknown team 'ranking': declare it under `teams:` in "
            "routing.yaml (declared: serving)",
        ),
        (
            GOOD_ROUTING.replace("{routing_key_file: /run/secrets/pagerduty}", "{}"),
            (),
            "routing.yaml:6:18: teams.ranking.page.pagerduty.routing_key_file: missing secret reference: "
            "routing_key_file names the file Alertmanager reads the secret from",
        ),
        (
            GOOD_ROUTING.replace("bearer_token_file: /run/secrets/relay", "send_resolved: true"),
            (),
            "routing.yaml:2:12: unrouted.webhook: needs exactly one secret reference: bearer_token_file or "
            "basic_auth.password_file",
        ),
        (
            GOOD_ROUTING.replace("routing_key_file: /run/secrets/pagerduty", "routing_key: s3cr3t-key-value"),
            (),
            "routing.yaml:6:19: teams.ranking.page.pagerduty.routing_key: inline secret: Alertmanager must read it "
            "from a file; write it to a file readable by Alertmanager and reference it with routing_key_file",
        ),
        (
            GOOD_ROUTING.replace("https://relay.example/unrouted", "https://relay.example/hook?token=s3cr3t-key-value"),
            (),
            "routing.yaml:2:18: unrouted.webhook.url: inline secret: a URL with a password or a query string; put "
            "the credential in a file (bearer_token_file or basic_auth.password_file)",
        ),
        (
            GOOD_ROUTING,
            (_alert("Down", "    symptom_of: Slow\n"), _alert("Slow", "    symptom_of: [Down]\n")),
            "alerts/a.yaml:10:17: alert Down: symptom_of: symptom_of cycle: Down → Slow → Down",
        ),
        (
            GOOD_ROUTING,
            (_alert("Down"), _alert("Slow", "    symptom_of: CacheCold\n")),
            "alerts/a.yaml:19:17: alert Slow: symptom_of: unknown alert 'CacheCold'",
        ),
        (
            GOOD_ROUTING,
            (_alert("Down", "    symptom_of: Down\n"), _alert("Slow")),
            "alerts/a.yaml:10:17: alert Down: symptom_of: an alert cannot be a symptom of itself",
        ),
        (
            GOOD_ROUTING.replace(
                "{routing_key_file: /run/secrets/pagerduty}",
                "{routing_key_file: /run/pd}\n"
                "    ticket:\n      opsgenie: {api_key_file: /run/og}\n      active_time_intervals: [office]",
            ),
            (),
            "routing.yaml:9:31: teams.ranking.ticket.active_time_intervals: unknown time interval 'office' "
            "(defined: none)",
        ),
        (
            GOOD_ROUTING + "time_intervals:\n  office:\n    - weekdays: ['1:5']\n      times: "
            "[{start_time: '9:00', end_time: '17:00'}]\n",
            (),
            "routing.yaml:9:17: time_intervals.office[0].weekdays: invalid range '1:5': expected names like monday "
            "or monday:friday",
        ),
        (
            GOOD_ROUTING,
            (_alert("Down"), _alert("Slow", "    symptom_of: [Down, Down]\n")),
            "alerts/a.yaml:19:24: alert Slow: symptom_of: 'Down' is listed twice",
        ),
    ],
    ids=[
        "unknown-team",
        "missing-secret-file",
        "webhook-without-credential",
        "inline-secret",
        "secret-in-url",
        "cycle",
        "unknown-alert",
        "self-link",
        "unknown-time-interval",
        "numeric-weekday",
        "listed-twice",
    ],
)
def test_bad_routing_input_is_an_error_and_changes_nothing(project, routing, alerts, expected):
    before = _compiled_project(project, routing, alerts)

    result = project.compile()

    assert result.exit_code == 1
    assert expected in result.stderr.splitlines(), result.stderr
    assert "s3cr3t" not in result.stdout + result.stderr  # a secret written inline is never printed
    assert result.stderr.splitlines()[-1].startswith("compile failed:")
    assert project.build_digest() == before


def test_symptom_of_compiles_into_an_inhibit_rule_on_the_shared_labels(project):
    _compiled_project(project, GOOD_ROUTING, (_alert("Down"), _alert("Slow", "    symptom_of: Down\n")))

    assert project.compile().exit_code == 0

    config = yaml.safe_load((project.build / "alertmanager" / "alertmanager.yml").read_text())
    assert config["inhibit_rules"] == [
        {"source_matchers": ['alertname="Down"'], "target_matchers": ['alertname="Slow"'], "equal": ["service"]}
    ]


def test_routing_and_definition_problems_are_reported_together(project):
    routing = GOOD_ROUTING.replace("routing_key_file", "routing_key") + "  search:\n    pager: {}\n"
    before = _compiled_project(project, routing, (_alert("Down", "    symptom_of: Gone\n"), _alert("Slow")))

    result = project.compile()

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        "alerts/a.yaml:10:17",  # unknown alert in symptom_of
        "routing.yaml:6:18",  # missing routing_key_file
        "routing.yaml:6:19",  # inline routing_key
        "routing.yaml:8:5",  # `pager` for `page`
    ], result.stderr
    assert lines[-1] == "compile failed: 4 error(s); nothing under build/ was changed"
    assert project.build_digest() == before


def test_an_alertmanager_section_next_to_routing_yaml_is_ignored_with_a_warning(project):
    _compiled_project(project)
    (project.root / "alertkit.yaml").write_text("alertmanager:\n  group_wait: 1m\n")

    result = project.compile()

    assert result.exit_code == 0, result.stderr
    assert "alertkit.yaml:1:1: warning: alertmanager: ignored: the Alertmanager configuration comes from " in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("expr", "recorded", "labels"),
    [
        (
            "sum by (service, feature) (rate(a[5m])) / sum by (service, feature) (rate(b[5m])) > 0.01",
            {},
            {"service", "feature"},
        ),
        ('sum by (service) (rate(a[5m])) < 1 or absent(a{service="ranker"})', {}, {"service"}),
        ("sum by (service) (rate(a[5m])) < 1 or absent(a)", {}, set()),  # `or`: what both sides carry
        ("abs((x - avg_over_time(x[2d])) / stddev_over_time(x[2d])) > 5", {"x": frozenset({"service"})}, {"service"}),
        ("histogram_quantile(0.99, sum by (le, service) (rate(h_bucket[5m]))) > 0.2", {}, {"service"}),
        ('sum without (instance) (up{job="api", instance="i"}) == 0', {}, {"job"}),
        ('a{service="s"} / on (service) group_left (owner) b', {}, {"service", "owner"}),
        ("sum by (service, region) (a) / on (service) sum by (service) (b)", {}, {"service"}),
        ("up == 0", {}, set()),
        ('count_values by (job) ("version", build_info)', {}, {"job", "version"}),
    ],
)
def test_the_labels_an_alert_is_known_to_carry(expr, recorded, labels):
    from compiler.routing_causes import series_labels

    assert series_labels(expr, recorded) == labels
