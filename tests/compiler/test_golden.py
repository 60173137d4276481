"""Golden files of the compiled output, one per kind and the Alertmanager config (`make golden` regenerates them).

Each snapshot also asserts something independent of it, so an accepted wrong snapshot still fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import promql_parser
import pytest
import yaml
from compiler_testkit import GENERIC_RUNBOOK, amtool_route, run_amtool

from compiler.config import load_config
from compiler.kinds import KINDS
from compiler.pipeline import compile_project

FIXTURES = Path(__file__).parent / "fixtures" / "kinds"
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ALERTKIT_UPDATE_GOLDEN") == "1"
ALERTMANAGER_FIXTURE = Path(__file__).parent / "fixtures" / "alertmanager"
ALERTMANAGER_GOLDEN = GOLDEN / "alertmanager" / "alertmanager.yml"
ROUTING_FIXTURE = Path(__file__).parent / "fixtures" / "alertmanager-routing"
ROUTING_GOLDEN = GOLDEN / "alertmanager" / "routing.yml"


def compile_fixture(kind: str, tmp_path: Path) -> str:
    """Compile the kind's fixture file with generic runbooks; the rule file's text."""
    alerts_dir = tmp_path / "alerts"
    runbooks_dir = tmp_path / "runbooks"
    alerts_dir.mkdir()
    runbooks_dir.mkdir()
    source = (FIXTURES / f"{kind}.yaml").read_text()
    (alerts_dir / f"{kind}.yaml").write_text(source)
    for alert in yaml.safe_load(source)["alerts"]:
        (runbooks_dir / f"{alert['name']}.md").write_text(GENERIC_RUNBOOK)
    result = compile_project(alerts_dir, runbooks_dir, "https://runbooks.example/")
    assert not result.failed, result.problems
    return result.files[f"prometheus/{kind}.yml"].decode()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_compiled_kind_matches_its_golden_file(kind, tmp_path):
    text = compile_fixture(kind, tmp_path)
    golden = GOLDEN / f"{kind}.yml"
    if UPDATE:
        golden.write_text(text)

    assert text == golden.read_text(), f"run `make golden` and review the diff of {golden}"

    # Independent of the snapshot: every alert of the fixture is there with the mandatory labels and
    # annotations, and every expression parses.
    document = yaml.safe_load(text)
    rules = [rule for group in document["groups"] for rule in group["rules"]]
    alerts = {rule["alert"]: rule for rule in rules if "alert" in rule}
    expected = yaml.safe_load((FIXTURES / f"{kind}.yaml").read_text())["alerts"]
    assert sorted(alerts) == sorted(alert["name"] for alert in expected)
    for definition in expected:
        rule = alerts[definition["name"]]
        assert rule["labels"]["kind"] == kind
        assert rule["labels"]["severity"] == definition["severity"]
        assert rule["labels"]["team"] == definition["team"]
        assert rule["annotations"]["summary"] == definition["summary"]
        assert rule["annotations"]["runbook_url"] == f"https://runbooks.example/{definition['name']}.md"
        layer = definition.get("layer", KINDS[kind].default_layer)
        assert rule["labels"].get("layer") == layer, "the definition's layer, else the kind's default"
    for rule in rules:
        promql_parser.parse(rule["expr"])


def test_there_is_one_fixture_and_one_golden_file_per_kind():
    assert sorted(path.stem for path in FIXTURES.glob("*.yaml")) == sorted(KINDS)
    assert sorted(path.stem for path in GOLDEN.glob("*.yml")) == sorted(KINDS)


def _compile_alertmanager_fixture(tmp_path: Path) -> bytes:
    (tmp_path / "alerts").mkdir()
    (tmp_path / "runbooks").mkdir()
    source = (ALERTMANAGER_FIXTURE / "alerts.yaml").read_text()
    (tmp_path / "alerts" / "alerts.yaml").write_text(source)
    for alert in yaml.safe_load(source)["alerts"]:
        (tmp_path / "runbooks" / f"{alert['name']}.md").write_text(GENERIC_RUNBOOK)
    config, problems = load_config(ALERTMANAGER_FIXTURE / "alertkit.yaml", required=True)
    assert not problems
    result = compile_project(tmp_path / "alerts", tmp_path / "runbooks", config.runbook_base_url, config.alertmanager)
    assert not result.failed, result.problems
    return result.files["alertmanager/alertmanager.yml"]


def test_alertmanager_config_matches_its_golden_file(tmp_path):
    text = _compile_alertmanager_fixture(tmp_path)
    if UPDATE:
        ALERTMANAGER_GOLDEN.write_bytes(text)

    assert text == ALERTMANAGER_GOLDEN.read_bytes(), f"run `make golden` and review the diff of {ALERTMANAGER_GOLDEN}"

    # Independent of the snapshot: the configured settings and overrides are what Alertmanager reads.
    config = yaml.safe_load(text)
    route = config["route"]
    assert route["group_by"] == ["alertname", "team", "service"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("1m", "5m", "3h")
    urls = {receiver["name"]: receiver.get("webhook_configs", [{}])[0].get("url") for receiver in config["receivers"]}
    assert urls == {
        "unrouted": "http://relay.example:9095/hooks/unrouted",
        "null": None,
        "oncall-only-pager": "http://relay.example:9095/hooks/oncall-only/page",  # a team only in the config
        "oncall-only-ticket": "https://tickets.example/oncall",
        "search quality-pager": "http://relay.example:9095/hooks/search%20quality/page",
        "search quality-ticket": "http://relay.example:9095/hooks/search%20quality/ticket",
        "serving-pager": "https://pager.example/v1/serving",
        "serving-ticket": "http://relay.example:9095/hooks/serving/ticket",
    }
    assert config["inhibit_rules"] == [
        {"source_matchers": ['severity="page"'], "target_matchers": ['severity="ticket"'], "equal": ["service"]}
    ]
    (tmp_path / "alertmanager.yml").write_bytes(text)
    assert run_amtool("check-config", str(tmp_path / "alertmanager.yml")).returncode == 0
    assert (
        amtool_route(tmp_path / "alertmanager.yml", "team=search quality", "severity=ticket") == "search quality-ticket"
    )


def test_routing_yaml_compiles_to_its_golden_file(tmp_path):
    from compiler.routing import load_routing

    (tmp_path / "alerts").mkdir()
    (tmp_path / "runbooks").mkdir()
    source = (ROUTING_FIXTURE / "alerts.yaml").read_text()
    (tmp_path / "alerts" / "alerts.yaml").write_text(source)
    for alert in yaml.safe_load(source)["alerts"]:
        (tmp_path / "runbooks" / f"{alert['name']}.md").write_text(GENERIC_RUNBOOK)
    routing, problems = load_routing(ROUTING_FIXTURE / "routing.yaml")
    assert not problems
    result = compile_project(tmp_path / "alerts", tmp_path / "runbooks", "https://runbooks.example/", None, routing)
    assert not result.failed, result.problems
    text = result.files["alertmanager/alertmanager.yml"]
    if UPDATE:
        ROUTING_GOLDEN.write_bytes(text)

    assert text == ROUTING_GOLDEN.read_bytes(), f"run `make golden` and review the diff of {ROUTING_GOLDEN}"

    # Independent of the snapshot: causal rules compare only the labels both alerts carry; the team's overrides
    # and time intervals are on its routes; amtool accepts the file and routes by team and severity.
    config = yaml.safe_load(text)
    assert config["inhibit_rules"][1:] == [
        {
            "source_matchers": ['alertname="ServingDown"'],
            "target_matchers": ['alertname="RelevanceDrop"'],
            "equal": ["service"],
        },
        {
            "source_matchers": ['alertname="ServingDown"'],
            "target_matchers": ['alertname="ServingSlow"'],
            "equal": ["service"],
        },
        {
            "source_matchers": ['alertname="ServingSlow"'],
            "target_matchers": ['alertname="RelevanceDrop"'],
            "equal": ["service"],
        },
    ]
    path = tmp_path / "alertmanager.yml"
    path.write_bytes(text)
    assert run_amtool("check-config", str(path)).returncode == 0
    assert amtool_route(path, "team=search quality", "severity=ticket") == "search quality-ticket"
    assert amtool_route(path, "team=serving", "severity=page") == "serving-pager"
    assert amtool_route(path, "team=serving", "severity=ticket") == "unrouted"  # serving has no ticket queue
