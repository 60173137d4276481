"""Shared fixtures: the reference rules compiled once, the on-call scenario simulated once, and the compiled
Alertmanager configuration with the inhibit rules of the reference alerts' `symptom_of` links."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main as alertkit
from simulator.alertmanager.config import load_alertmanager_config
from simulator.rules.loader import load_rule_files
from simulator.scenarios import load_scenario
from simulator.simulate import rule_files_in, simulate

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SYMPTOMS_CONFIG = FIXTURES / "alertmanager-symptoms.yml"


@pytest.fixture(scope="session")
def paging_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("paging-build")
    args = ["compile", "--alerts", str(ROOT / "alerts"), "--runbooks", str(ROOT / "runbooks")]
    args += ["--config", str(ROOT / "alertkit.yaml"), "--out", str(out)]
    result = CliRunner().invoke(alertkit, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def reference_groups(paging_build):
    return load_rule_files(rule_files_in(paging_build / "prometheus"))


@pytest.fixture(scope="session")
def oncall(reference_groups):
    """The on-call exercise simulated once: (scenario, result)."""
    scenario = load_scenario(ROOT / "scenarios" / "oncall-exercise.yaml")
    return scenario, simulate(scenario, reference_groups)


@pytest.fixture(scope="session")
def symptoms_text(paging_build) -> str:
    """The compiled configuration when it carries symptom_of inhibit rules, else the hand-written fixture."""
    compiled = (paging_build / "alertmanager" / "alertmanager.yml").read_text()
    return compiled if "FeatureCacheHitRatioLow" in compiled else SYMPTOMS_CONFIG.read_text()


@pytest.fixture(scope="session")
def symptoms_config(symptoms_text):
    return load_alertmanager_config(symptoms_text)
