"""alertkit test vs promtool test rules on each peer suite, measured in one run.

The suites live in ../shared/peer-suites (see its MANIFEST.md); each is run from the folder the
MANIFEST names, with the same test files, once by promtool and once by `alertkit test`.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# shared/peer-suites beside the repository, or beside the directory holding its worktrees.
PEER_SUITES = next(
    (a / "shared" / "peer-suites" for a in ROOT.parents[:2] if (a / "shared" / "peer-suites").is_dir()),
    ROOT.parent / "shared" / "peer-suites",
)
ALERTKIT = ROOT / ".venv" / "bin" / "alertkit"

# (suite, folder to run from, glob of test files) as in MANIFEST.md's commands.
SUITES = [
    ("wikimedia", "wikimedia__operations-alerts", "**/*_test.yaml"),
    ("govuk", "alphagov__govuk-helm-charts", "**/*_tests.yaml"),
    ("ceph", "ceph__ceph/tests_alerts", "test_alerts.yml"),
    ("neco-apps", "cybozu-go__neco-apps/test", "alert_test/*.yaml"),
    ("kubernetes-mixin head", "kubernetes-monitoring__kubernetes-mixin/head", "tests/*.yaml"),
    ("kubernetes-mixin v2", "kubernetes-monitoring__kubernetes-mixin/v2-era-2024-12", "tests.yaml"),
    ("openshift", "openshift__cluster-monitoring-operator", "*.yaml"),
    ("etcd", "etcd-io__etcd", "test.yaml"),
    ("thanos", "thanos-io__thanos", "tests.yaml"),
    ("prometheus", "prometheus__prometheus", "*.yml"),
]


def test_files(folder: Path, pattern: str) -> list[str]:
    files = sorted(str(p.relative_to(folder)) for p in folder.glob(pattern))
    if folder.name == "openshift__cluster-monitoring-operator":
        files = [f for f in files if f != "rules.yaml"]
    if folder.name == "prometheus__prometheus":
        rule_files = {
            "rules.yml",
            "at-modifier.yml",
            "negative-offset.yml",
            "bad-rules-syntax.yml",
            "bad-rules-error.yml",
        }
        files = [f for f in files if f not in rule_files]
    return files


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc.returncode


def run() -> dict:
    results = {}
    for name, rel, pattern in SUITES:
        folder = PEER_SUITES / rel
        files = test_files(folder, pattern)
        promtool_s, promtool_rc = timed(["promtool", "test", "rules", *files], folder)
        alertkit_s, alertkit_rc = timed([str(ALERTKIT), "test", *files], folder)
        results[name] = {
            "files": len(files),
            "promtool_s": round(promtool_s, 2),
            "promtool_exit": promtool_rc,
            "alertkit_s": round(alertkit_s, 2),
            "alertkit_exit": alertkit_rc,
            "speedup": round(promtool_s / alertkit_s, 1) if alertkit_s else None,
        }
    return results


def markdown(results: dict) -> list[str]:
    rows = [
        "## Peer suites: `alertkit test` vs `promtool test rules`",
        "",
        "Whole suite per invocation, wall time including process start; same exit status expected.",
        "",
        "| suite | files | promtool s (exit) | alertkit s (exit) | promtool / alertkit |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        if not isinstance(r, dict) or "files" not in r:
            continue  # the machine notes of a partial run
        rows.append(
            f"| {name} | {r['files']} | {r['promtool_s']} ({r['promtool_exit']}) | "
            f"{r['alertkit_s']} ({r['alertkit_exit']}) | {r['speedup']}× |"
        )
    return rows
