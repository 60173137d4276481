"""The repository's own definitions (whatever the team keeps in alerts/ and runbooks/) compile cleanly.

Nothing here names the team's alerts, counts them or lists their rule files: adding, renaming or removing
an alert (with its runbook) keeps these tests green. What the alerts detect is checked by the team's
scenarios, through the alertkit pytest plugin.
"""

from __future__ import annotations

import pytest
import yaml
from compiler_testkit import REPO_ROOT

from compiler.naming import rule_file_name
from compiler.pipeline import compile_project
from compiler.runbooks import REQUIRED_SECTIONS, sections_of


@pytest.fixture(scope="module")
def repository_build():
    result = compile_project(REPO_ROOT / "alerts", REPO_ROOT / "runbooks", "build/runbooks/")
    assert not result.failed, result.problems
    assert not result.problems  # no warning either: no orphan runbook
    return result.files


def _rules(files):
    for path, content in sorted(files.items()):
        if path.startswith("prometheus/"):
            for group in yaml.safe_load(content)["groups"]:
                yield from group["rules"]


def test_one_rule_file_per_definitions_file(repository_build):
    sources = sorted(path.stem for path in (REPO_ROOT / "alerts").glob("*.yaml"))
    written = sorted(path.removeprefix("prometheus/") for path in repository_build if path.startswith("prometheus/"))
    assert written == [rule_file_name(stem) for stem in sources]


def test_every_alert_has_mandatory_labels_annotations_and_a_complete_runbook(repository_build):
    alerts = [rule for rule in _rules(repository_build) if "alert" in rule]
    assert alerts
    for rule in alerts:
        assert {"severity", "team", "kind"} <= set(rule["labels"])
        assert rule["labels"]["severity"] in ("page", "ticket", "info")
        assert {"summary", "description", "runbook_url"} <= set(rule["annotations"])
        runbook_path = rule["annotations"]["runbook_url"]
        assert runbook_path == f"build/runbooks/{rule['alert']}.md"
        runbook = repository_build[runbook_path.removeprefix("build/")].decode()
        assert set(REQUIRED_SECTIONS) <= set(sections_of(runbook))
        assert rule["expr"] in sections_of(runbook)["Diagnosis"]
