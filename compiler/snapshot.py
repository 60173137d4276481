"""A project compiled in memory as `alertkit compile` would (alertkit.yaml, routing.yaml, alerts/, runbooks/),
handed out as plain data: what `alertkit diff` compares between two revisions.

The compiled files are what Prometheus and Alertmanager load; the definitions add what the rule files do not
say in words (the kind's parameters such as `threshold`, and `symptom_of`), and the runbooks are split into
their sections so a review shows which section changed. Reads the project directory; writes nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.durations import format_duration
from common.problems import Problem, render_problem
from compiler.memory_build import ProjectSources, compile_sources
from compiler.model import CompiledAlert
from compiler.naming import ALERTMANAGER_CONFIG_FILE, RUNBOOK_OUTPUT_DIR, runbook_file_name
from compiler.runbooks import sections_of


@dataclass
class ProjectSnapshot:
    """One revision of a project, compiled.

    files: build-relative path -> text (empty when the compile failed), routing.yaml included as `alertkit compile`
    writes them;
    paging_alertmanager_text: the alertmanager.yml pages are timed with (the compiled one, as `alertkit simulate`
    uses it);
    definitions: alert name -> its definition as plain data (see definition_facts);
    runbooks: alert name -> rendered runbook section title -> text.
    """

    files: dict[str, str] = field(default_factory=dict)
    paging_alertmanager_text: str | None = None
    problems: list[Problem] = field(default_factory=list)
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    runbooks: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return any(problem.is_error for problem in self.problems)

    def error_text(self) -> str:
        return "\n".join(render_problem(problem) for problem in self.problems if problem.is_error)


def snapshot_project(root: Path, shown_as: str | None = None) -> ProjectSnapshot:
    """Compile the project rooted at `root` (its default layout) in memory, routing.yaml included when present.

    `shown_as`: problems name files under `root` as this prefix plus their project path (a revision extracted
    into a temporary directory is shown as `main:alerts/x.yaml`, not by its temporary path)."""
    snapshot = _snapshot(root)
    if shown_as is not None:
        snapshot.problems = [_shown(problem, root, shown_as) for problem in snapshot.problems]
    return snapshot


def _shown(problem: Problem, root: Path, shown_as: str) -> Problem:
    """The problem with its file named from the project root after `shown_as` (the compile names definition files
    relative to the project, and the other files by their path under `root`)."""
    file = problem.position.file
    prefix = f"{root}/"
    if file.startswith(prefix):
        file = file[len(prefix) :]
    elif Path(file).is_absolute():
        return problem
    return dataclasses.replace(problem, position=dataclasses.replace(problem.position, file=shown_as + file))


def _snapshot(root: Path) -> ProjectSnapshot:
    result, problems = compile_sources(ProjectSources.under(root))
    snapshot = ProjectSnapshot(problems=problems)
    if result is None or snapshot.failed:
        return snapshot
    snapshot.files = {path: content.decode("utf-8") for path, content in sorted(result.files.items())}
    snapshot.paging_alertmanager_text = snapshot.files.get(ALERTMANAGER_CONFIG_FILE)
    for alert in sorted(result.compiled, key=lambda compiled: compiled.alert.name):
        snapshot.definitions[alert.alert.name] = definition_facts(alert)
        rendered = snapshot.files.get(f"{RUNBOOK_OUTPUT_DIR}/{runbook_file_name(alert.alert.name)}")
        if rendered is not None:
            snapshot.runbooks[alert.alert.name] = sections_of(rendered)
    return snapshot


def definition_facts(compiled: CompiledAlert) -> dict[str, Any]:
    """What a reviewer reads of a definition: durations as Prometheus prints them, parameters as written."""
    alert = compiled.alert
    return {
        "source": f"{alert.source_file}:{alert.position.line}",
        "kind": alert.kind,
        "team": alert.team,
        "severity": alert.severity,
        "layer": alert.layer,
        "for": format_duration(alert.for_ms),
        "keep_firing_for": format_duration(alert.keep_firing_for_ms or 0),
        "expr": compiled.rules.alert_expr,
        "params": dict(sorted(compiled.params.items())),
        "labels": dict(sorted(alert.labels.items())),
        "symptom_of": sorted(alert.symptom_of),
    }
