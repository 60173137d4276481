"""`alertkit diff --base REF` on throwaway git repositories holding the fixture project (tests/review/fixtures):
the reported changes, the detection and paging deltas, regressions and the exit status, and bad inputs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from compiler.cli import main as alertkit

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "project"
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "diff.schema.json").read_text())
SERVING = "alerts/serving.yaml"


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose one commit (on main) is the fixture project."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fixture project")
    return root


def edit(repo: Path, path: str, old: str, new: str) -> None:
    file = repo / path
    text = file.read_text()
    assert old in text, f"{old!r} not in {path}"
    file.write_text(text.replace(old, new, 1))


def run_diff(repo: Path, *args: str):
    return CliRunner().invoke(alertkit, ["diff", "--project", str(repo), *args])


def diff_json(repo: Path, *args: str) -> dict:
    result = run_diff(repo, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    return document


def changes_of(document: dict, alert: str) -> dict:
    (entry,) = [entry for entry in document["alerts"]["changed"] if entry["name"] == alert]
    return {change["field"]: (change["before"], change["after"]) for change in entry["changes"]}


def detection(document: dict, scenario: str, alert: str) -> dict:
    (found,) = [s for s in document["scenarios"] if s["name"] == scenario]
    (row,) = [row for row in found["detections"] if row["alert"] == alert]
    return row


def test_raised_threshold_reports_the_change_and_slower_detection_in_every_scenario(repo: Path) -> None:
    edit(repo, SERVING, "threshold: 0.2\n", "threshold: 0.23\n")
    document = diff_json(repo, "--base", "main")
    fields = changes_of(document, "SlowRequests")
    assert fields["params.threshold"] == (0.2, 0.23)
    assert "> 0.2)" in fields["expr"][0] and "> 0.23)" in fields["expr"][1]
    assert document["head"]["uncommitted"] == [SERVING]
    slower = {(r["scenario"], r["where"]) for r in document["regressions"] if r["kind"] == "slower detection"}
    for scenario in document["scenarios"]:  # both scenarios expect SlowRequests: both detect it later
        row = detection(document, scenario["name"], "SlowRequests")
        assert row["after"]["time_to_detect_s"] > row["before"]["time_to_detect_s"]
        assert row["delta_s"] == row["after"]["time_to_detect_s"] - row["before"]["time_to_detect_s"]
        incident = row["incident"]
        assert (scenario["path"], f"{incident}: SlowRequests") in slower
    # The other alert's detection is unchanged.
    assert detection(document, "cold-cache", "CacheCold")["delta_s"] == 0


def test_markdown_marks_the_regression_and_fail_on_sets_the_exit_status(repo: Path) -> None:
    edit(repo, SERVING, "threshold: 0.2\n", "threshold: 0.23\n")
    result = run_diff(repo, "--base", "main", "--fail-on", "regression")
    assert result.exit_code == 1
    markdown = result.stdout
    assert "| params.threshold | `0.2` | `0.23` |" in markdown
    assert "⚠️ slower detection" in markdown
    assert "The working tree has uncommitted changes in `alerts/serving.yaml`." in markdown
    assert run_diff(repo, "--base", "main").exit_code == 0  # without --fail-on, a regression is only reported


def test_a_committed_change_compared_with_an_older_commit(repo: Path) -> None:
    edit(repo, SERVING, "threshold: 0.2\n", "threshold: 0.17\n")
    git(repo, "commit", "-q", "-am", "lower the threshold")
    document = diff_json(repo, "--base", "HEAD~1")
    assert changes_of(document, "SlowRequests")["params.threshold"] == (0.2, 0.17)
    assert document["head"]["uncommitted"] == []
    assert document["regressions"] == []  # faster detection is no regression
    assert detection(document, "slow-dependency", "SlowRequests")["delta_s"] < 0


def test_symptom_of_reports_the_inhibition_change_and_fewer_pages(repo: Path) -> None:
    edit(repo, SERVING, "    for: 5m\n", "    for: 5m\n    symptom_of: CacheCold\n")
    document = diff_json(repo, "--base", "main")
    fields = changes_of(document, "SlowRequests")
    assert fields["symptom_of"] == ([], ["CacheCold"])
    before, after = fields["inhibited_by"]
    assert before == [] and after == ['{alertname="CacheCold"} mutes {alertname="SlowRequests"} with equal service']
    assert document["inhibit_rules"]["added"] == after
    (cold,) = [s for s in document["scenarios"] if s["name"] == "cold-cache"]
    (flush,) = cold["incidents"]
    assert (flush["before"]["pages"], flush["after"]["pages"]) == (2, 1)
    assert (flush["before"]["inhibited"], flush["after"]["inhibited"]) == ([], ["SlowRequests"])
    assert flush["after"]["receivers"] == flush["before"]["receivers"] == ["serving-pager"]
    assert cold["pages"]["after"] == cold["pages"]["before"] - 1
    assert document["regressions"] == []  # the incident still pages the same receiver as early


def test_a_page_reaching_another_receiver_is_a_regression(repo: Path) -> None:
    edit(repo, SERVING, "    team: serving\n", "    team: storage\n")  # SlowRequests moves to storage
    document = diff_json(repo, "--base", "main")
    assert changes_of(document, "SlowRequests")["receivers"] == (["serving-pager"], ["storage-pager"])
    kinds = {(r["scenario"], r["kind"]) for r in document["regressions"]}
    assert ("scenarios/slow-dependency.yaml", "different receiver") in kinds


def test_added_alert_removed_scenario_and_runbook_sections(repo: Path) -> None:
    edit(repo, "runbooks/CacheCold.md", "Users wait.", "Users wait; the store is loaded.")
    (repo / "scenarios" / "cold-cache.yaml").unlink()
    document = diff_json(repo, "--base", "main")
    (runbook,) = document["runbooks"]
    assert runbook["alert"] == "CacheCold" and runbook["status"] == "changed"
    assert [(s["title"], s["status"]) for s in runbook["sections"]] == [("Impact", "changed")]
    assert {s["path"]: s["status"] for s in document["scenarios"]} == {
        "scenarios/cold-cache.yaml": "removed",
        "scenarios/slow-dependency.yaml": "compared",
    }


def test_reuse_skips_unchanged_groups_and_series(repo: Path) -> None:
    edit(repo, SERVING, "threshold: 0.2\n", "threshold: 0.23\n")
    document = diff_json(repo, "--base", "main")
    base, head = document["reuse"]["base"], document["reuse"]["head"]
    assert base["series_generated"] == 2 and base["groups_evaluated"] == 4
    # Per scenario: the series and CacheCold's group come from the base side; SlowRequests' group is evaluated.
    assert (head["series_reused"], head["series_generated"]) == (2, 0)
    assert (head["groups_reused"], head["groups_evaluated"]) == (2, 2)


def test_no_change_reports_nothing(repo: Path) -> None:
    document = diff_json(repo, "--base", "main", "--scenario", "scenarios/slow-dependency.yaml")
    assert document["alerts"] == {"added": [], "removed": [], "changed": []}
    assert document["regressions"] == [] and document["runbooks"] == []
    assert [s["name"] for s in document["scenarios"]] == ["slow-dependency"]
    assert document["reuse"]["head"]["paging_reused"] == 1


def test_out_file_is_written_whole(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "review.md"
    result = run_diff(repo, "--base", "main", "--out", str(out), "--scenario", "scenarios/slow-dependency.yaml")
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("## alertkit diff: main (")
    assert result.stdout == ""
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".review.md")] == []


# --- bad inputs: message, exit status, nothing written ------------------------------------------------------


def test_unknown_ref(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    out.write_text("old report\n")
    result = run_diff(repo, "--base", "no-such-branch", "--out", str(out))
    assert result.exit_code == 2
    assert "--base no-such-branch: unknown revision" in result.output
    assert "Traceback" not in result.output
    assert out.read_text() == "old report\n"


def test_ref_that_looks_like_an_option(repo: Path) -> None:
    result = run_diff(repo, "--base", "--output=x")
    assert result.exit_code == 2
    assert "not a revision" in result.output


def test_not_a_git_repository(tmp_path: Path) -> None:
    project = tmp_path / "plain"
    shutil.copytree(FIXTURE, project)
    out = tmp_path / "report.md"
    result = run_diff(project, "--base", "main", "--out", str(out))
    assert result.exit_code == 2
    assert "not a git repository" in result.output
    assert not out.exists()


def test_working_tree_that_does_not_compile(repo: Path, tmp_path: Path) -> None:
    edit(repo, SERVING, "    for: 5m\n", "    for: five minutes\n")
    out = tmp_path / "report.md"
    result = run_diff(repo, "--base", "main", "--out", str(out))
    assert result.exit_code == 2
    assert "/alerts/serving.yaml:9:10: alert SlowRequests: for:" in result.output
    assert "working tree: the definitions do not compile" in result.output
    assert not out.exists()


def test_base_that_does_not_compile(repo: Path) -> None:
    edit(repo, SERVING, "    for: 5m\n", "    for: five minutes\n")
    git(repo, "commit", "-q", "-am", "broken")
    git(repo, "checkout", "-q", "-b", "fixed", "HEAD~1")  # the working tree compiles; main does not
    result = run_diff(repo, "--base", "main")
    assert result.exit_code == 2
    assert "main:alerts/serving.yaml:9:10: alert SlowRequests: for: invalid duration" in result.output
    assert "main (" in result.output and "the definitions do not compile" in result.output


def test_unwritable_out(repo: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_diff(repo, "--base", "main", "--out", str(blocker / "report.md"))
    assert result.exit_code == 1
    assert f"cannot write: {blocker} exists and is not a directory" in result.output
    assert blocker.read_text() == "x"
    missing = tmp_path / "no-such-dir" / "report.md"
    result = run_diff(repo, "--base", "main", "--out", str(missing))
    assert result.exit_code == 1 and "does not exist" in result.output
    assert not missing.parent.exists()


def test_out_inside_an_input_is_refused(repo: Path) -> None:
    before = (repo / SERVING).read_text()
    result = run_diff(repo, "--base", "main", "--out", str(repo / "alerts" / "serving.yaml"))
    assert result.exit_code == 1
    assert "is inside alerts, which the diff reads" in result.output
    assert (repo / SERVING).read_text() == before
    result = run_diff(repo, "--base", "main", "--out", str(repo / "alerts"))
    assert result.exit_code == 1 and "is a directory" in result.output


def test_unknown_scenario(repo: Path) -> None:
    result = run_diff(repo, "--base", "main", "--scenario", "scenarios/nope.yaml")
    assert result.exit_code == 2
    assert "--scenario scenarios/nope.yaml: no such scenario file" in result.output


def test_bad_scenario_names_the_side(repo: Path) -> None:
    edit(repo, "scenarios/slow-dependency.yaml", "silent: [CacheCold]", "silent: [NoSuchAlert]")
    result = run_diff(repo, "--base", "main")
    assert result.exit_code == 2
    assert "working tree: " in result.output and "NoSuchAlert" in result.output


def test_unresolved_merge_conflict_is_refused(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    edit(repo, SERVING, "threshold: 0.2\n", "threshold: 0.3\n")
    git(repo, "commit", "-q", "-am", "other threshold")
    git(repo, "checkout", "-q", "main")
    edit(repo, SERVING, "threshold: 0.2\n", "threshold: 0.25\n")
    git(repo, "commit", "-q", "-am", "main threshold")
    subprocess.run(["git", "merge", "-q", "other"], cwd=repo, capture_output=True, timeout=60, check=False)
    conflicted = (repo / SERVING).read_text()
    assert "<<<<<<<" in conflicted
    out = tmp_path / "report.md"
    result = run_diff(repo, "--base", "main", "--out", str(out))
    assert result.exit_code == 2
    assert "working tree: alerts/serving.yaml: unresolved merge conflict" in result.output
    assert not out.exists() and (repo / SERVING).read_text() == conflicted
