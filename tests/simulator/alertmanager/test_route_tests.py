"""`alertkit routes test` and run_route_tests: user route-test files over the compiled reference config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main
from simulator.alertmanager.routetests import run_route_tests

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def reference_config(tmp_path_factory) -> Path:
    """The repository compiled (alerts/, runbooks/, routing.yaml) into a temporary build; its alertmanager.yml."""
    out = tmp_path_factory.mktemp("routes") / "build"
    previous = os.getcwd()
    os.chdir(REPO_ROOT)
    try:
        result = CliRunner().invoke(main, ["compile", "--out", str(out)], catch_exceptions=False)
    finally:
        os.chdir(previous)
    assert result.exit_code == 0, result.output
    return out / "alertmanager" / "alertmanager.yml"


def _routes_test(*args: str):
    return CliRunner().invoke(main, ["routes", "test", *args], catch_exceptions=False)


def test_the_reference_route_tests_pass(reference_config):
    result = _routes_test("--config", str(reference_config), str(REPO_ROOT / "tests" / "routes" / "reference.yaml"))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith("reference.yaml: 9/9 passed")


def test_run_route_tests_reports_each_case(reference_config):
    results = run_route_tests(REPO_ROOT / "tests" / "routes" / "reference.yaml", reference_config)

    assert results.ok
    assert [result.case.name for result in results.results][-4:-2] == [
        "the deploy pages once, for the cache",
        "the pipeline break pages once, for the null rate",
    ]


def test_a_wrong_expectation_fails_with_what_differed(reference_config, tmp_path):
    path = tmp_path / "wrong.yaml"
    path.write_text(
        "tests:\n"
        "  - name: latency pages ml-platform\n"
        "    labels: {alertname: RankerLatencyP99High, team: ranking, severity: page}\n"
        "    receivers: [ml-platform-pager]\n"
        "  - name: the symptom is not inhibited\n"
        "    firing:\n"
        "      - {alertname: FeatureCacheHitRatioLow, service: ranker}\n"
        "      - {alertname: RankerLatencyP99High, service: ranker}\n"
        "    inhibited: []\n"
    )

    result = _routes_test("--config", str(reference_config), str(path))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"FAIL {path}:2:5: latency pages ml-platform: expected receivers ['ml-platform-pager'], got ['ranking-pager']",
        f"FAIL {path}:5:5: the symptom is not inhibited: expected inhibited [], got ['RankerLatencyP99High']",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tests:\n  - name: x\n    labels: {a: b}\n    receiver: [r]\n", "4:5: tests[0]: unknown field 'receiver'"),
        ("tests:\n  - name: x\n    labels: {a: 1}\n    receivers: [r]\n", "3:17: tests[0].labels.a: expected a string"),
        ("tests:\n  - name: x\n    firing: [{alertname: A}]\n    inhibited: [B]\n", "4:16: tests[0].inhibited: 'B'"),
        ("test: []\n", "1:1: unknown field 'test' (allowed: tests)"),
        ("tests: [\n", "yaml:"),
    ],
)
def test_a_malformed_route_test_file_is_an_error_with_its_position(reference_config, tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)

    result = _routes_test("--config", str(reference_config), str(path))

    assert result.exit_code == 1
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_a_missing_config_says_so(tmp_path):
    result = _routes_test(
        "--config", str(tmp_path / "none.yml"), str(REPO_ROOT / "tests" / "routes" / "reference.yaml")
    )

    assert result.exit_code == 1
    assert f"{tmp_path / 'none.yml'}: cannot read the config: No such file or directory" in result.stderr
