"""Every JSON document alertkit emits is versioned and documented: docs/schemas/*.schema.json are valid
JSON Schemas, docs/json-schemas.md lists them, and real outputs of each command validate against them."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
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
