"""Golden files of the compiled output, one per kind (`make golden` regenerates them; review the diff).

Each snapshot also asserts something independent of it, so an accepted wrong snapshot still fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import promql_parser
import pytest
import yaml

from compiler.kinds import KINDS
from compiler.pipeline import compile_project
from compiler_testkit import GENERIC_RUNBOOK

FIXTURES = Path(__file__).parent / "fixtures" / "kinds"
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ALERTKIT_UPDATE_GOLDEN") == "1"


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
    for rule in rules:
        promql_parser.parse(rule["expr"])


def test_there_is_one_fixture_and_one_golden_file_per_kind():
    assert sorted(path.stem for path in FIXTURES.glob("*.yaml")) == sorted(KINDS)
    assert sorted(path.stem for path in GOLDEN.glob("*.yml")) == sorted(KINDS)
