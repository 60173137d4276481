"""`alertkit deploy` against the real Prometheus 2.42 (started on 127.0.0.1 with --web.enable-lifecycle): the
compiled rules load and are verified, a broken build is refused while Prometheus keeps its old rules, and a
build Prometheus does not load is rolled back. Runs on the tests' own fixture project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main as alertkit

from .promserver import free_port, running_prometheus, served_rules

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "project"
SCENARIO = "scenarios/nulls.yaml"
NULLS_QUERY_V1 = "service_feature:ranker_feature_nulls_per_lookup:ratio_rate5m:fixture_null_rate > 0.01"
# Not alertkit's: a deploy must leave it alone.
OTHER_RULES = "groups:\n- name: other\n  rules:\n  - record: other:up\n    expr: vector(1)\n"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def rules_dir(tmp_path) -> Path:
    directory = tmp_path / "rules.d"
    directory.mkdir()
    (directory / "other.yml").write_text(OTHER_RULES)
    return directory


def deploy(rules_dir: Path, url: str, *extra) -> object:
    return CliRunner().invoke(
        alertkit, ["deploy", "--rules-dir", str(rules_dir), "--reload", url, "--scenario", SCENARIO, *map(str, extra)]
    )


def snapshot(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def set_threshold(project: Path, old: str, new: str) -> None:
    path = project / "alerts" / "fixture.yaml"
    path.write_text(path.read_text().replace(f"threshold: {old}", f"threshold: {new}"))


def nulls_query(url: str) -> str:
    return dict(served_rules(url)["fixture.null_rate"])["NullsSpike"]


def test_deploy_loads_verifies_and_updates(project, rules_dir, tmp_path):
    with running_prometheus(rules_dir, tmp_path) as url:
        assert set(served_rules(url)) == {"other"}
        result = deploy(rules_dir, url)
        assert result.exit_code == 0, result.output
        assert "Prometheus at" in result.output and "all verified" in result.output
        served = served_rules(url)
        assert set(served) == {"other", "fixture.null_rate", "fixture.raw"}
        assert NULLS_QUERY_V1 in nulls_query(url)
        assert (rules_dir / "other.yml").read_text() == OTHER_RULES
        assert sorted(p.name for p in rules_dir.iterdir()) == ["fixture.yml", "other.yml"]  # no temporary left

        set_threshold(project, "0.01", "0.02")
        result = deploy(rules_dir, url)
        assert result.exit_code == 0, result.output
        assert "fixture_null_rate > 0.02" in nulls_query(url)


def test_broken_build_is_refused_and_prometheus_keeps_its_rules(project, rules_dir, tmp_path):
    with running_prometheus(rules_dir, tmp_path) as url:
        assert deploy(rules_dir, url).exit_code == 0
        before, served_before = snapshot(rules_dir), served_rules(url)

        # A definition that does not compile: refused with the compiler's position, nothing changed.
        set_threshold(project, "0.01", "lots")
        result = deploy(rules_dir, url)
        assert result.exit_code == 1
        assert "alerts/fixture.yaml:" in result.output and "threshold" in result.output
        assert "deploy refused: nothing was changed" in result.output
        assert snapshot(rules_dir) == before and served_rules(url) == served_before

        # It compiles, but the scenario check fails (NullsSpike no longer catches 3 % nulls).
        set_threshold(project, "lots", "0.5")
        result = deploy(rules_dir, url)
        assert result.exit_code == 1
        assert "scenarios/nulls.yaml: scenario 'nulls' fails" in result.output
        assert "deploy refused: a scenario check fails; nothing was changed" in result.output
        assert snapshot(rules_dir) == before and served_rules(url) == served_before
        assert NULLS_QUERY_V1 in nulls_query(url)


def test_stale_build_is_refused(project, rules_dir, tmp_path):
    assert CliRunner().invoke(alertkit, ["compile"]).exit_code == 0
    definitions = project / "alerts" / "fixture.yaml"
    definitions.write_text(definitions.read_text() + "\n")  # edited after the compile
    before = snapshot(rules_dir)
    with running_prometheus(rules_dir, tmp_path) as url:
        result = deploy(rules_dir, url, "--rules", "build/prometheus")
        assert result.exit_code == 1
        assert "build/prometheus/fixture.yml: older than alerts/fixture.yaml" in result.output
        assert "deploy refused" in result.output
        assert snapshot(rules_dir) == before and set(served_rules(url)) == {"other"}


def test_build_prometheus_does_not_load_is_rolled_back(project, rules_dir, tmp_path):
    """The new build's file is not under the server's rule_files (*.yml): it reloads fine but the groups are not
    served, so the old files come back and Prometheus is reloaded onto them."""
    assert CliRunner().invoke(alertkit, ["compile"]).exit_code == 0
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    shutil.copy(project / "build" / "prometheus" / "fixture.yml", renamed / "fixture.yaml")
    with running_prometheus(rules_dir, tmp_path) as url:
        assert deploy(rules_dir, url).exit_code == 0
        before, served_before = snapshot(rules_dir), served_rules(url)
        result = deploy(rules_dir, url, "--rules", renamed)
        assert result.exit_code == 1
        assert "Prometheus did not load the deployed rules" in result.output
        assert "fixture.yaml: group 'fixture.null_rate': not loaded by Prometheus" in result.output
        assert "rolled back: restored the previous rule files" in result.output
        assert "and reloaded Prometheus" in result.output
        assert snapshot(rules_dir) == before
        assert served_rules(url) == served_before


def test_failed_reload_is_rolled_back(project, rules_dir, tmp_path):
    """Without --web.enable-lifecycle Prometheus refuses the reload: the files installed are taken back."""
    assert CliRunner().invoke(alertkit, ["compile"]).exit_code == 0
    shutil.copy(project / "build" / "prometheus" / "fixture.yml", rules_dir / "fixture.yml")
    before = snapshot(rules_dir)
    set_threshold(project, "0.01", "0.02")
    with running_prometheus(rules_dir, tmp_path, lifecycle=False) as url:
        result = deploy(rules_dir, url)
        assert result.exit_code == 1
        assert "/-/reload: HTTP 403 (start Prometheus with --web.enable-lifecycle)" in result.output
        assert "rolled back: restored the previous rule files, but the reload failed" in result.output
        assert snapshot(rules_dir) == before
        assert NULLS_QUERY_V1 in nulls_query(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (None, "cannot reach Prometheus: connection refused or host unreachable"),
        ("ftp://127.0.0.1/", "--reload ftp://127.0.0.1: not an http:// or https:// URL"),
    ],
)
def test_unreachable_or_bad_url_changes_nothing(project, rules_dir, url, message):
    url = url or f"http://127.0.0.1:{free_port()}"
    before = snapshot(rules_dir)
    result = deploy(rules_dir, url)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert snapshot(rules_dir) == before


def test_missing_rules_dir(project, tmp_path):
    result = deploy(tmp_path / "nowhere", "http://127.0.0.1:9")
    assert result.exit_code == 1
    assert "--rules-dir " in result.output and "no such directory" in result.output
    assert not (tmp_path / "nowhere").exists()
