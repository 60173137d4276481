"""Bad input to `alertkit tune`: a clear message, exit 2 (1 for an unwritable --plot), nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main as alertkit

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def team_project(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "team"
    for name in ("alerts", "runbooks", "scenarios"):
        shutil.copytree(REPO / name, root / name)
    for name in ("alertkit.yaml", "routing.yaml"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, root / name)
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["NoSuchAlert", "--param", "threshold=0.1,0.2"], 2, "alert 'NoSuchAlert': no rule file defines it (alerts: "),
        (["FeatureNullRateHigh", "--param", "threshold=0.1:0.2:0"], 2, "N must be at least 2"),
        (["FeatureNullRateHigh", "--param", "threshold:0.1"], 2, "expected NAME=A:B:N"),
        (["FeatureNullRateHigh", "--param", "keep_firing_for=1m,2m"], 2, "unknown parameter 'keep_firing_for'"),
        (["RankerNoTraffic", "--param", "threshold=1,2"], 2, "alert RankerNoTraffic: no threshold to sweep"),
        (["FeatureNullRateHigh", "--param", "threshold=0.1,0.2", "--plot", "front.pdf"], 1, "--plot front.pdf: "),
        (["FeatureNullRateHigh", "--param", "threshold=0.1,0.2", "--plot", "nodir/front.svg"], 1, "is not a directory"),
    ],
)
def test_bad_input(team_project, args, exit_code, message):
    before = sorted(p.relative_to(team_project) for p in team_project.rglob("*"))
    result = CliRunner().invoke(alertkit, ["tune", *args, "scenarios/null-rate-spike.yaml"])
    assert result.exit_code == exit_code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert sorted(p.relative_to(team_project) for p in team_project.rglob("*")) == before


def test_scenario_expecting_an_unknown_alert(team_project):
    bad = team_project / "scenarios" / "bad.yaml"
    bad.write_text(
        (team_project / "scenarios" / "null-rate-spike.yaml").read_text().replace("FeatureNullRateHigh:", "Nope:")
    )
    result = CliRunner().invoke(alertkit, ["tune", "FeatureNullRateHigh", "--param", "threshold=0.1,0.2", str(bad)])
    assert result.exit_code == 2
    assert (
        "scenarios/bad.yaml:" in result.output and "expects alert 'Nope', which no rule file defines" in result.output
    )
