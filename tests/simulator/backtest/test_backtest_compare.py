"""`alertkit backtest --compare REF` against the real Prometheus: REF is compiled from git in a temporary
directory, both revisions replay the same fetched samples, and the report says what changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner
from conftest import ORIGIN, ORIGIN_MS, ROOT

from compiler.cli import main as alertkit

PROJECT_FILES = ["alerts", "runbooks", "alertkit.yaml", "routing.yaml"]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True, capture_output=True
    )


def test_compare_with_a_revision_that_pages_where_the_working_tree_does_not(prometheus, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "reference rules")
    # The working tree raises the null-rate threshold above the incident's 2 %: no page any more.
    features = repo / "alerts" / "features.yaml"
    text = features.read_text()
    assert "threshold: 0.01\n" in text
    features.write_text(text.replace("threshold: 0.01\n", "threshold: 0.05\n"))
    monkeypatch.chdir(repo)

    to = str(ORIGIN_MS // 1000 + 86400)
    result = CliRunner().invoke(
        alertkit, ["backtest", "--prometheus", prometheus, "--from", ORIGIN, "--to", to, "--compare", "HEAD"]
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "rules: working tree" in out and "rules: HEAD (" in out
    compare = out.split("compared with HEAD")[1]
    assert "FeatureNullRateHigh" in compare and "2026-01-05T10:07:00Z" in compare and "only in HEAD" in compare
    # FeaturePipelineStale fires in both revisions: the store holds no feature-pipeline gauge (a missing gauge alerts).
    assert "firings: 1 (working tree) vs 2 (HEAD" in compare and "1 fewer" in compare
    assert "pages: 1 (working tree) vs 2 (HEAD" in compare
    assert not (repo / "build").exists(), "the revision was compiled into the working tree"
