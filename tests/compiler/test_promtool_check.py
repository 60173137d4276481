"""The whole build passes the real `promtool check rules`, and two compiles are byte-identical."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from compiler_testkit import REPO_ROOT

from compiler.output import write_build
from compiler.pipeline import compile_project


def _promtool() -> str:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is required (make test installs it from Debian's prometheus package)"
    return promtool


def _compile_reference(out_dir: Path) -> list[Path]:
    result = compile_project(REPO_ROOT / "alerts", REPO_ROOT / "runbooks", "build/runbooks/")
    assert not result.failed, result.problems
    write_build(out_dir, result.files)
    return sorted((out_dir / "prometheus").glob("*.yml"))


def test_promtool_check_rules_accepts_the_whole_reference_build(tmp_path):
    rule_files = _compile_reference(tmp_path / "build")
    assert [path.stem for path in rule_files] == sorted(path.stem for path in (REPO_ROOT / "alerts").glob("*.yaml"))

    completed = subprocess.run([_promtool(), "check", "rules", *map(str, rule_files)], capture_output=True, text=True)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.count("SUCCESS") == len(rule_files)


def test_promtool_check_rules_accepts_every_kind_fixture(tmp_path):
    fixtures = Path(__file__).parent / "fixtures" / "kinds"
    golden = sorted((Path(__file__).parent / "golden").glob("*.yml"))

    completed = subprocess.run([_promtool(), "check", "rules", *map(str, golden)], capture_output=True, text=True)

    assert len(golden) == len(list(fixtures.glob("*.yaml")))
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_two_compiles_give_byte_identical_output(tmp_path):
    _compile_reference(tmp_path / "first")
    _compile_reference(tmp_path / "second")

    first, second = _tree_digest(tmp_path / "first"), _tree_digest(tmp_path / "second")
    assert first == second
    # a rule file per definitions file, a runbook per alert (each has one), alertmanager.yml, route-tests.yaml
    expected = len(list((REPO_ROOT / "alerts").glob("*.yaml"))) + len(list((REPO_ROOT / "runbooks").glob("*.md"))) + 2
    assert len(first) == expected


def test_recompiling_replaces_the_build_and_drops_files_of_deleted_alerts(project):
    from compiler_testkit import RAW_PARAMS, alert_yaml, alerts_file

    project.write_alerts("a.yaml", alerts_file(alert_yaml("AlertA", "raw", RAW_PARAMS)))
    project.write_alerts("b.yaml", alerts_file(alert_yaml("AlertB", "raw", RAW_PARAMS)))
    project.write_runbook("AlertA")
    project.write_runbook("AlertB")
    (project.build / "other").mkdir(parents=True)
    (project.build / "other" / "keep.txt").write_text("not the compiler's")
    assert project.compile().exit_code == 0

    (project.alerts / "b.yaml").unlink()
    (project.runbooks / "AlertB.md").unlink()
    assert project.compile().exit_code == 0

    assert sorted(p.name for p in (project.build / "prometheus").iterdir()) == ["a.yml"]
    assert sorted(p.name for p in (project.build / "runbooks").iterdir()) == ["AlertA.md"]
    assert (project.build / "alertmanager" / "alertmanager.yml").is_file()
    assert (project.build / "other" / "keep.txt").read_text() == "not the compiler's"
    assert not [p for p in project.root.iterdir() if p.name.startswith(".build.staging")]
