"""Shared helpers of the compiler tests: write a small project to a temp dir and compile it.

A uniquely named module (not conftest) so `from compiler_testkit import ...` can never pick up another
directory's conftest.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from compiler.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]

# A runbook template with every required section, quoting the alert's expression in Diagnosis.
GENERIC_RUNBOOK = """\
# [= alert.name =]

[= facts_block =]

## Meaning

[= alert.summary =] (fires after [= alert.for =]).

## Impact

Users notice.

## Diagnosis

```promql
[= expr =]
```

## Mitigation

Roll back the last deploy if the alert started with it; rollback criterion: resolved within 15 minutes.

## Escalation

Page the secondary after 30 minutes.

## Prevention

Canary checks.
"""


@dataclass
class Project:
    """A throwaway project: alerts/, runbooks/ and build/ under one temp dir."""

    root: Path

    @property
    def alerts(self) -> Path:
        return self.root / "alerts"

    @property
    def runbooks(self) -> Path:
        return self.root / "runbooks"

    @property
    def build(self) -> Path:
        return self.root / "build"

    def write_alerts(self, file_name: str, text: str) -> Path:
        """Write one definitions file."""
        self.alerts.mkdir(parents=True, exist_ok=True)
        path = self.alerts / file_name
        path.write_text(text, encoding="utf-8")
        return path

    def write_runbook(self, alert_name: str, text: str = GENERIC_RUNBOOK) -> Path:
        """Write one runbook template."""
        self.runbooks.mkdir(parents=True, exist_ok=True)
        path = self.runbooks / f"{alert_name}.md"
        path.write_text(text, encoding="utf-8")
        return path

    def compile(self, *extra: str):
        """Run `alertkit compile` on this project from its root; returns click's Result."""
        runner = CliRunner()
        args = ["compile", "--alerts", "alerts", "--runbooks", "runbooks", "--out", "build", *extra]
        with _working_directory(self.root):
            return runner.invoke(main, args, catch_exceptions=False)

    def build_digest(self) -> str:
        """A hash of every file under build/ (paths and bytes), to prove a failed compile changed nothing."""
        digest = hashlib.sha256()
        if self.build.exists():
            for path in sorted(self.build.rglob("*")):
                digest.update(str(path.relative_to(self.build)).encode())
                if path.is_file():
                    digest.update(path.read_bytes())
        return digest.hexdigest()


class _working_directory:
    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        import os

        self.previous = os.getcwd()
        os.chdir(self.path)

    def __exit__(self, *exc):
        import os

        os.chdir(self.previous)


def alert_yaml(name: str, kind: str, params: str, extra: str = "", for_: str = "5m") -> str:
    """One alert definition as YAML list item text (params: an indented YAML block, 6 spaces)."""
    return (
        f"  - name: {name}\n"
        f"    kind: {kind}\n"
        f"    team: ranking\n"
        f"    severity: page\n"
        f'    summary: "{name} on {{{{ $labels.service }}}}"\n'
        f'    description: "Value {{{{ $value | humanize }}}}"\n'
        f"    for: {for_}\n"
        f"{extra}"
        f"    params:\n{params}"
    )


def alerts_file(*alerts: str) -> str:
    """A definitions file holding the given alert items."""
    return "apiVersion: alertkit/v1\nalerts:\n" + "".join(alerts)


RAW_PARAMS = "      expr: up == 0\n"


def run_amtool(*args: str) -> subprocess.CompletedProcess:
    """Run the real amtool; missing is a failure, not a skip."""
    amtool = shutil.which("amtool")
    assert amtool, "amtool is required (make test installs it from Debian's prometheus-alertmanager package)"
    return subprocess.run([amtool, *args], capture_output=True, text=True)


def amtool_route(config_file: Path, *labels: str) -> str:
    """The receiver Alertmanager picks for an alert with these labels, as `amtool config routes test` says."""
    completed = run_amtool("config", "routes", "test", f"--config.file={config_file}", *labels)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout.strip()
