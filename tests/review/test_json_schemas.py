"""Every JSON document alertkit emits is versioned and documented: docs/schemas/*.schema.json are valid
JSON Schemas, docs/json-schemas.md lists them, and real outputs of each command validate against them."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from compiler.cli import main as alertkit

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schemas"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "project"


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text())


def test_schemas_are_valid_and_documented() -> None:
    listing = (ROOT / "docs" / "json-schemas.md").read_text()
    files = sorted(SCHEMAS.glob("*.schema.json"))
    assert {f.name for f in files} >= {
        "simulate.schema.json",
        "coverage.schema.json",
        "test-timeline.schema.json",
        "diff.schema.json",
        "incidents.schema.json",
        "backtest.schema.json",
        "drill-record.schema.json",
    }
    for file in files:
        document = json.loads(file.read_text())
        jsonschema.Draft202012Validator.check_schema(document)
        name = document["properties"]["schema"]["const"]
        version = document["properties"]["version"]["const"]
        assert f"schemas/{file.name}" in listing, file.name
        assert re.search(rf"`{name}`.*\| {version} \|", listing), (name, version)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    monkeypatch.chdir(root)
    return root


def test_simulate_and_coverage_outputs_validate(project: Path) -> None:
    result = CliRunner().invoke(alertkit, ["simulate", "scenarios/cold-cache.yaml", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert "paging" in document["scenarios"][0]
    jsonschema.validate(document, schema("simulate"))
    result = CliRunner().invoke(alertkit, ["coverage", "--format", "json"])
    assert result.exit_code in (0, 1), result.output  # 1: a coverage gap, still a document
    jsonschema.validate(json.loads(result.stdout), schema("coverage"))


def test_test_timeline_output_validates(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text("groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n")
    (tmp_path / "t.yml").write_text(
        textwrap.dedent(
            """
            rule_files: [rules.yml]
            tests:
              - input_series: [{series: up, values: '0 0'}]
                interval: 1m
                alert_rule_test: [{alertname: Down, eval_time: 1m}]
            """
        )
    )
    result = CliRunner().invoke(
        alertkit, ["test", str(tmp_path / "t.yml"), str(tmp_path / "x.yml"), "--timeline", "--json"]
    )
    assert result.exit_code == 1
    jsonschema.validate(json.loads(result.stdout), schema("test-timeline"))


SHIPPED = [
    "--alerts",
    str(ROOT / "alerts"),
    "--runbooks",
    str(ROOT / "runbooks"),
    "--config",
    str(ROOT / "alertkit.yaml"),
]


def test_incidents_output_validates() -> None:
    scenario = str(ROOT / "scenarios" / "oncall-exercise.yaml")
    result = CliRunner().invoke(alertkit, ["incidents", scenario, "--format", "json", *SHIPPED])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, schema("incidents"))
    incidents = document["scenarios"][0]["incidents"]
    # The parts the schema describes in detail are present, so the validation above checked them.
    assert incidents and all(i["causes"] and i["change"] and i["pages"] for i in incidents)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "schema": "alertkit-simulate"}, schema("incidents"))


def test_drill_record_validates_and_reads_back() -> None:
    from simulator.incidents.drill_record import parse_record, record_json

    @dataclass
    class Sent:  # what the drill hands record_json: a notification the real Alertmanager sent
        at_ms: int
        receiver: str
        group_key: str
        firing: tuple

    firing = ((("alertname", "A"), ("service", "s")), (("alertname", "B"),))
    sent = [Sent(60_000, "team-pager", '{}:{service="s"}', firing), Sent(90_000, "team-slack", "{}", ())]
    text = record_json("s", 0, 120_000, sent, lambda receiver: receiver.endswith("-pager"))
    document = json.loads(text)
    jsonschema.validate(document, schema("drill-record"))
    assert list(document)[:2] == ["schema", "version"]
    assert document["notifications"][0]["firing"] == ["A", "B"]
    assert len(parse_record(text, "r.json", "s").notifications) == 2
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "notifications": [{"at_ms": 1}]}, schema("drill-record"))


def test_backtest_report_validates() -> None:
    """The report builder over real timelines and pages (simulate's, of a shipped scenario); the whole command
    against a real Prometheus is validated in tests/simulator/backtest/test_backtest_real.py."""
    from compiler.memory_build import ProjectSources
    from simulator.alertmanager.config import load_alertmanager_config
    from simulator.backtest.fetch import FetchStats
    from simulator.backtest.plan import evaluation_grid
    from simulator.backtest.report import render_json
    from simulator.backtest.run import BacktestResult, Options, Revision, RevisionResult, plan_fetches
    from simulator.commands.rules_source import RulesSource
    from simulator.scenarios.loader import load_scenario
    from simulator.simulate import add_paging, simulate

    project = RulesSource(ProjectSources.under(ROOT), None)
    scenario = load_scenario(ROOT / "scenarios" / "null-rate-spike.yaml")
    groups = project.groups()
    simulated = simulate(scenario, groups)
    add_paging(simulated, load_alertmanager_config(project.alertmanager_text()))
    assert simulated.paging is not None
    grid = evaluation_grid(0, scenario.duration_ms, 60_000)
    plan = plan_fetches([Revision("working tree", groups)], grid, Options())
    result = BacktestResult("http://store:9090", grid, False, plan, 3, 4000, FetchStats(chunks=5), None)
    result.revisions += [
        RevisionResult(Revision("working tree", groups), simulated.timelines, simulated.paging.notifications),
        RevisionResult(Revision("main", groups), simulated.timelines, None),
    ]
    document = json.loads(render_json(result))
    jsonschema.validate(document, schema("backtest"))
    pages = document["revisions"][0]["pages"]
    assert pages and document["revisions"][1]["pages"] is None
    assert any(i["firing_at_s"] is not None for a in document["revisions"][0]["alerts"] for i in a["intervals"])
