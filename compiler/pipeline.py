"""The compile, as an ordered list of small steps over one shared result (sloth's habit).

    validate files -> reject duplicate names -> generate rules (kind) -> labels & annotations -> parse PromQL
    -> recording-rule conflicts -> runbooks -> render rule files -> Alertmanager config (teams of the alerts)

Pure: reads the source directories, returns file contents and problems, writes nothing (compiler.output does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common.problems import Problem, Severity, SourcePosition, sorted_problems
from compiler.alertmanager import alertmanager_config, render_alertmanager_file
from compiler.gotemplates import go_template_problem
from compiler.kinds import KINDS
from compiler.model import CompiledAlert
from compiler.naming import (
    ALERTMANAGER_CONFIG_FILE,
    MANDATORY_ANNOTATIONS,
    MANDATORY_LABELS,
    PROMETHEUS_OUTPUT_DIR,
    RUNBOOK_OUTPUT_DIR,
    group_name,
    rule_file_name,
    runbook_file_name,
)
from compiler.promql import syntax_problem
from compiler.render import RuleGroupOutput, alerting_rule_entry, recording_rule_entry, render_rule_file
from compiler.runbooks import RunbookRenderer, missing_runbook, orphan_runbook, read_runbooks
from compiler.spec import AlertmanagerConfigV1
from compiler.validation import ValidatedAlert, validate_file

ALERT_FILE_GLOB = "*.yaml"
IGNORED_ALERT_FILE_GLOB = "*.yml"  # a likely slip: warned about, not read (one suffix keeps stems unique)


@dataclass
class CompileResult:
    """Output files (path relative to the output directory -> bytes) and every problem found."""

    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    defined_names: set[str] = field(default_factory=set)  # every alert name written, valid or not

    @property
    def failed(self) -> bool:
        """Whether any error was found (then `files` must not be written)."""
        return any(problem.is_error for problem in self.problems)


def compile_project(
    alerts_dir: Path, runbooks_dir: Path, runbook_base_url: str, alertmanager: AlertmanagerConfigV1 | None = None
) -> CompileResult:
    """Compile every `alerts_dir/*.yaml` with the runbooks of `runbooks_dir` into rule files and runbooks,
    and the Alertmanager configuration routing their teams (`alertmanager`: the settings, default if None)."""
    result = CompileResult()
    if not alerts_dir.is_dir():
        result.problems.append(Problem(SourcePosition(str(alerts_dir)), "alerts directory not found"))
        return result
    validated = _validate_all(alerts_dir, result)
    validated = _drop_duplicate_names(validated, result)
    compiled = [_compile_alert(item, runbook_base_url, result) for item in validated]
    compiled = [alert for alert in compiled if alert is not None]
    _render_runbooks(compiled, runbooks_dir, result)
    _render_rule_files(compiled, alerts_dir, result)
    _render_alertmanager_config(compiled, alerts_dir, alertmanager or AlertmanagerConfigV1(), result)
    result.problems = sorted_problems(result.problems)
    if result.failed:
        result.files = {}
    return result


def _validate_all(alerts_dir: Path, result: CompileResult) -> list[ValidatedAlert]:
    validated = []
    for path in sorted(alerts_dir.glob(ALERT_FILE_GLOB)):
        outcome = validate_file(path, f"{alerts_dir.name}/{path.name}")
        validated += outcome.alerts
        result.problems += outcome.problems
        result.defined_names.update(outcome.defined_names)
    for path in sorted(alerts_dir.glob(IGNORED_ALERT_FILE_GLOB)):
        message = f"ignored: definitions files end in .yaml (rename to {path.stem}.yaml)"
        result.problems.append(Problem(SourcePosition(str(path)), message, severity=Severity.WARNING))
    return validated


def _drop_duplicate_names(validated: list[ValidatedAlert], result: CompileResult) -> list[ValidatedAlert]:
    first_by_name: dict[str, ValidatedAlert] = {}
    unique = []
    for item in validated:
        first = first_by_name.setdefault(item.alert.name, item)
        if first is item:
            unique.append(item)
            continue
        where = item.positions.of_value(item.path + ("name",))
        first_at = first.positions.of_value(first.path + ("name",))
        message = f"duplicate alert name, first defined at {first_at.file}:{first_at.line}:{first_at.column}"
        result.problems.append(Problem(where, message, item.alert.name, "name"))
    return unique


def _compile_alert(item: ValidatedAlert, runbook_base_url: str, result: CompileResult) -> CompiledAlert | None:
    alert = item.alert
    rules = KINDS[alert.kind].build(alert, item.params)
    problems = _reserved_key_problems(item) + _template_problems(item)
    for expression in [rule.expr for rule in rules.recording_rules] + [rules.alert_expr]:
        problem = syntax_problem(expression)
        if problem:
            problems.append(Problem(alert.position, f"generated invalid PromQL ({problem}): {expression}", alert.name))
    result.problems += problems
    if problems:
        return None
    labels = {"severity": alert.severity, "team": alert.team, "kind": alert.kind} | dict(sorted(alert.labels.items()))
    annotations = {
        "summary": alert.summary,
        "description": alert.description,
        "runbook_url": runbook_base_url + runbook_file_name(alert.name),
    } | dict(sorted(alert.annotations.items()))
    params = item.params.model_dump(mode="json")
    return CompiledAlert(alert, rules, labels, annotations, params)


def _reserved_key_problems(item: ValidatedAlert) -> list[Problem]:
    problems = []
    for section, reserved in (("labels", MANDATORY_LABELS), ("annotations", MANDATORY_ANNOTATIONS)):
        for key in getattr(item.alert, section):
            if key in reserved:
                where = item.positions.of_key(item.path + (section, key))
                message = f"{key!r} is set by the compiler from the definition; remove it here"
                problems.append(Problem(where, message, item.alert.name, f"{section}.{key}"))
    return problems


def _template_problems(item: ValidatedAlert) -> list[Problem]:
    """Labels and annotations are Go templates in Prometheus: each must parse."""
    alert = item.alert
    values = [(("summary",), alert.summary), (("description",), alert.description)]
    values += [(("labels", key), value) for key, value in alert.labels.items()]
    values += [(("annotations", key), value) for key, value in alert.annotations.items()]
    problems = []
    for path, text in values:
        problem = go_template_problem(text, alert.name)
        if problem:
            message, offset = problem
            where = item.positions.of_character(item.path + path, text, offset)
            problems.append(Problem(where, message, alert.name, ".".join(path)))
    return problems


def _render_runbooks(compiled: list[CompiledAlert], runbooks_dir: Path, result: CompileResult) -> None:
    sources = read_runbooks(runbooks_dir)
    renderer = RunbookRenderer(sources)
    for alert in compiled:
        source = sources.get(alert.alert.name)
        if source is None:
            result.problems.append(missing_runbook(alert, runbooks_dir))
            continue
        rendered, problems = renderer.render(alert, source)
        result.problems += problems
        if rendered is not None:
            path = f"{RUNBOOK_OUTPUT_DIR}/{runbook_file_name(alert.alert.name)}"
            result.files[path] = rendered.encode("utf-8")
    result.problems += [orphan_runbook(source) for name, source in sources.items() if name not in result.defined_names]


def _render_rule_files(compiled: list[CompiledAlert], alerts_dir: Path, result: CompileResult) -> None:
    """One rule file per source file; one group per kind in order of first use; shared recording rules once."""
    emitted: dict[str, tuple[str, str]] = {}  # record name -> (expr, alert that emitted it)
    files: dict[str, dict[str, RuleGroupOutput]] = {}
    for alert in compiled:
        groups = files.setdefault(alert.alert.source_stem, {})
        group = groups.setdefault(
            alert.alert.kind, RuleGroupOutput(group_name(alert.alert.source_stem, alert.alert.kind))
        )
        for rule in alert.rules.recording_rules:
            previous = emitted.setdefault(rule.record, (rule.expr, alert.alert.name))
            if previous[1] == alert.alert.name and previous[0] == rule.expr:
                group.rules.append(recording_rule_entry(rule))
            elif previous[0] != rule.expr:
                message = (
                    f"recording rule {rule.record} is also emitted by alert {previous[1]} with a different "
                    f"expression; give one of them other labels, selector or metric"
                )
                result.problems.append(Problem(alert.alert.position, message, alert.alert.name))
        group.rules.append(alerting_rule_entry(alert))
    for stem, groups in sorted(files.items()):
        text = render_rule_file([f"{alerts_dir.name}/{stem}.yaml"], list(groups.values()))
        result.files[f"{PROMETHEUS_OUTPUT_DIR}/{rule_file_name(stem)}"] = text.encode("utf-8")


def _render_alertmanager_config(
    compiled: list[CompiledAlert], alerts_dir: Path, settings: AlertmanagerConfigV1, result: CompileResult
) -> None:
    config = alertmanager_config((alert.alert.team for alert in compiled), settings)
    text = render_alertmanager_file(config, f"{alerts_dir.name}/{ALERT_FILE_GLOB}")
    result.files[ALERTMANAGER_CONFIG_FILE] = text.encode("utf-8")
