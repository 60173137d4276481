"""The HTML report's tests build one report of the simulator tests' fixture project (tests/simulator/fixtures/
project: its own alerts, runbooks and three six-hour scenarios), once per session, and share it read-only."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main as alertkit

FIXTURE_PROJECT = Path(__file__).resolve().parents[1] / "simulator" / "fixtures" / "project"


def invoke(*args):
    return CliRunner().invoke(alertkit, [str(a) for a in args])


def copy_project(directory: Path) -> Path:
    root = directory / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    return root


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A fresh copy of the fixture project as the working directory."""
    root = copy_project(tmp_path)
    monkeypatch.chdir(root)
    return root


@pytest.fixture(scope="session")
def built_report(tmp_path_factory) -> Path:
    """`alertkit report --out report` in a copy of the fixture project (every scenario of it)."""
    root = copy_project(tmp_path_factory.mktemp("built"))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        result = invoke("report", "--out", "report")
    assert result.exit_code == 0, result.output
    return root / "report"


@pytest.fixture(scope="session")
def simulated(tmp_path_factory):
    """(result, evaluation) of the fixture project's `nulls` scenario, with the compiled Alertmanager's pages."""
    from compiler.memory_build import ProjectSources
    from simulator.commands.rules_source import RulesSource
    from simulator.commands.simulate import load_paging_config
    from simulator.scenarios.loader import load_scenario
    from simulator.simulate import add_paging, simulate_with_evaluation

    root = copy_project(tmp_path_factory.mktemp("simulated"))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        source = RulesSource(ProjectSources(Path("alerts"), Path("runbooks"), Path("alertkit.yaml")), None)
        result, evaluation = simulate_with_evaluation(load_scenario(Path("scenarios/nulls.yaml")), source.groups())
        add_paging(result, load_paging_config(None, source))
    return result, evaluation
