"""`alertkit export-rules`: PrometheusRule manifests valid against prometheus-operator's CRD schema (vendored in
tests/data, see its README), and Mimir/Cortex ruler namespace files whose groups are the rule files' groups."""

from __future__ import annotations

import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from common.regex import compile_go_regexp
from compiler.cli import main as alertkit
from simulator.rules.loader import parse_rule_text

TESTS = Path(__file__).resolve().parents[2]
CRD = TESTS / "data" / "monitoring.coreos.com_prometheusrules.yaml"
REPO = TESTS.parent


@pytest.fixture
def team_project(tmp_path, monkeypatch) -> Path:
    """The team's alerts (every kind, templates, keep_firing_for) as the working directory."""
    root = tmp_path / "team"
    for name in ("alerts", "runbooks"):
        shutil.copytree(REPO / name, root / name)
    for name in ("alertkit.yaml", "routing.yaml"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, root / name)
    monkeypatch.chdir(root)
    return root


def _go_pattern(validator, pattern, instance, schema):
    """`pattern` as the Kubernetes API server checks it: Go's RE2 (the CRD's `^(?i)(abort|warn)?$` has a flag in
    mid-pattern, which Python's re refuses), unanchored like JSON Schema's."""
    if validator.is_type(instance, "string") and not compile_go_regexp(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


# OpenAPI v3 schemas of CRDs are a JSON Schema subset; x-kubernetes-* keywords are annotations to this validator.
CRDValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _go_pattern})


def validate(manifest: dict, schema: dict) -> None:
    error = jsonschema.exceptions.best_match(CRDValidator(schema).iter_errors(manifest))
    if error is not None:
        raise error


def crd_schema() -> dict:
    crd = yaml.safe_load(CRD.read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    return version["schema"]["openAPIV3Schema"]


def invoke(*args):
    return CliRunner().invoke(alertkit, [str(a) for a in args])


def compiled_groups(root: Path) -> dict[str, list[dict]]:
    """Rule file stem -> its groups as plain data, from `alertkit compile`'s output; a zero `for` or
    `keep_firing_for` is dropped (rulefmt reads it as the field's absence, and the exports leave it out)."""
    assert invoke("compile", "--out", root / "compiled").exit_code == 0
    files = {
        path.stem: yaml.safe_load(path.read_text())["groups"]
        for path in sorted((root / "compiled" / "prometheus").glob("*.yml"))
    }
    for groups in files.values():
        for group in groups:
            for rule in group["rules"]:
                for key in ("for", "keep_firing_for"):
                    if rule.get(key) in ("0s", "0"):
                        del rule[key]
    return files


def test_prometheusrule_manifests_match_the_crd_schema(team_project):
    result = invoke("export-rules", "--format", "prometheusrule", "--namespace", "monitoring", "--label", "release=kps")
    assert result.exit_code == 0, result.output
    out = team_project / "build" / "prometheusrule"
    expected = compiled_groups(team_project)
    manifests = {path.name: yaml.safe_load(path.read_text()) for path in sorted(out.glob("*.yaml"))}
    assert sorted(manifests) == sorted(f"alertkit-{stem}.yaml" for stem in expected)
    schema = crd_schema()
    for stem, groups in expected.items():
        manifest = manifests[f"alertkit-{stem}.yaml"]
        validate(manifest, schema)
        assert manifest["apiVersion"] == "monitoring.coreos.com/v1" and manifest["kind"] == "PrometheusRule"
        assert manifest["metadata"] == {
            "name": f"alertkit-{stem}",
            "namespace": "monitoring",
            "labels": {"release": "kps"},
        }
        assert manifest["spec"]["groups"] == groups  # the rule files' groups, field for field


def test_schema_catches_a_broken_manifest():
    """The validation has teeth: the CRD refuses a bad `for` and a rule without expr."""
    schema = crd_schema()
    manifest = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {"name": "x"}}
    for rule in ({"alert": "A", "expr": "up", "for": "5 minutes"}, {"alert": "A"}):
        broken = dict(manifest, spec={"groups": [{"name": "g", "rules": [rule]}]})
        with pytest.raises(jsonschema.ValidationError):
            validate(broken, schema)


def test_mimir_namespace_files(team_project):
    result = invoke("export-rules", "--format", "mimir", "--out", "ruler")
    assert result.exit_code == 0, result.output
    expected = compiled_groups(team_project)
    files = sorted((team_project / "ruler").glob("*.yaml"))
    assert [path.stem for path in files] == sorted(expected)
    for path in files:
        document = yaml.safe_load(path.read_text())
        assert list(document) == ["namespace", "groups"]
        assert document["namespace"] == path.stem
        assert document["groups"] == expected[path.stem]
        # The groups are a rule file Prometheus (and the Mimir ruler, which uses rulefmt) loads as is.
        groups, problems = parse_rule_text(yaml.safe_dump({"groups": document["groups"]}), path.name)
        assert problems == [] and groups


def test_mimir_single_namespace(team_project):
    result = invoke("export-rules", "--format", "mimir", "--namespace", "ranker", "--out", "ruler")
    assert result.exit_code == 0, result.output
    (path,) = (team_project / "ruler").iterdir()
    document = yaml.safe_load(path.read_text())
    assert path.name == "ranker.yaml" and document["namespace"] == "ranker"
    assert [g["name"] for g in document["groups"]] == [
        g["name"] for groups in compiled_groups(team_project).values() for g in groups
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "prometheusrule", "--namespace", "Not_A_Namespace"], "not a Kubernetes namespace name"),
        (["--format", "prometheusrule", "--label", "novalue"], "--label 'novalue': expected KEY=VALUE"),
        (["--format", "prometheusrule", "--label", "a=b c"], "--label a=b c: not a Kubernetes label"),
        (["--format", "prometheusrule", "--name-prefix", "bad*"], "is not a Kubernetes object name"),
        (["--format", "mimir", "--namespace", "a/b"], "a Mimir namespace must be non-empty and without '/'"),
        (["--format", "mimir", "--label", "a=b"], "--label and --name-prefix apply to --format prometheusrule only"),
    ],
)
def test_bad_options_write_nothing(team_project, args, message):
    result = invoke("export-rules", *args, "--out", "out")
    assert result.exit_code == 1
    assert message in result.output
    assert not (team_project / "out").exists()


def test_definitions_that_do_not_compile_write_nothing(team_project):
    path = team_project / "alerts" / "features.yaml"
    path.write_text(path.read_text().replace("threshold: 0.01", "threshold: lots"))
    result = invoke("export-rules", "--format", "mimir", "--out", "out")
    assert result.exit_code == 1
    assert "alerts/features.yaml:" in result.output and "threshold" in result.output
    assert not (team_project / "out").exists()
