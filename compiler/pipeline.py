"""The compile, as an ordered list of small steps over one shared result (sloth's habit).

    validate files -> reject duplicate names -> generate rules (kind) -> labels & annotations -> parse PromQL
    -> recording-rule conflicts -> runbooks -> render rule files -> Alertmanager config (teams of the alerts)

Pure: reads the source directories, returns file contents and problems, writes nothing (compiler.output does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common.layers import LAYER_LABEL, LAYERS
from common.problems import Problem, Severity, SourcePosition, sorted_problems
from compiler.alertmanager import alertmanager_config, render_alertmanager_file
from compiler.gotemplates import go_template_problem
from compiler.kinds import KINDS
from compiler.model import CompiledAlert
from compiler.naming import (
    ALERTMANAGER_CONFIG_FILE,
    COMPILER_LABELS,
    MANDATORY_ANNOTATIONS,
    PROMETHEUS_OUTPUT_DIR,
    RUNBOOK_OUTPUT_DIR,
    rule_file_name,
    runbook_file_name,
)
from compiler.promql import syntax_problem
from compiler.reads import SelectorRead, selector_reads
from compiler.render import RuleGroupOutput, alerting_rule_entry, recording_rule_entry, render_rule_file
from compiler.route_assertions import ROUTE_TESTS_FILE, render_route_assertions
from compiler.routing import LoadedRouting, routing_config, team_problems
from compiler.routing_causes import CausalLink, inhibit_rules, link_problems, series_labels
from compiler.runbooks import RunbookRenderer, find_runbooks, missing_runbook, orphan_runbook, read_runbook
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
    compiled: list[CompiledAlert] = field(default_factory=list)  # the valid alerts, for readers of definitions

    @property
    def failed(self) -> bool:
        """Whether any error was found (then `files` must not be written)."""
        return any(problem.is_error for problem in self.problems)


def compile_project(
    alerts_dir: Path,
    runbooks_dir: Path,
    runbook_base_url: str,
    alertmanager: AlertmanagerConfigV1 | None = None,
    routing: LoadedRouting | None = None,
) -> CompileResult:
    """Compile every `alerts_dir/*.yaml` with the runbooks of `runbooks_dir` into rule files and runbooks,
    and the Alertmanager configuration routing their teams: from `routing` (routing.yaml) when given, else from
    `alertmanager` (the `alertmanager:` settings of alertkit.yaml, default if None)."""
    result = CompileResult()
    if not alerts_dir.is_dir():
        result.problems.append(Problem(SourcePosition(str(alerts_dir)), "alerts directory not found"))
        return result
    validated = _validate_all(alerts_dir, result)
    validated = _drop_duplicate_names(validated, result)
    attempts = [_compile_alert(item, runbook_base_url, result) for item in validated]
    compiled = [alert for alert in attempts if alert is not None]
    result.compiled = compiled
    _render_runbooks(compiled, runbooks_dir, result)
    _render_rule_files(compiled, alerts_dir, result)
    links = _causal_links(validated, compiled, result)
    if routing is not None:
        result.problems += team_problems(routing, _team_references(validated))
    _render_alertmanager_config(compiled, alerts_dir, alertmanager or AlertmanagerConfigV1(), routing, links, result)
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
    labels = {"severity": alert.severity, "team": alert.team, "kind": alert.kind}
    if alert.layer is not None:
        labels[LAYER_LABEL] = alert.layer
    labels |= dict(sorted(alert.labels.items()))
    annotations = {
        "summary": alert.summary,
        "description": alert.description,
        "runbook_url": runbook_base_url + runbook_file_name(alert.name),
    } | dict(sorted(alert.annotations.items()))
    params = item.params.model_dump(mode="json")
    return CompiledAlert(alert, rules, labels, annotations, params, _handwritten_reads(item))


def _handwritten_reads(item: ValidatedAlert) -> tuple[tuple[SelectorRead, SourcePosition], ...]:
    """The selectors of the kind's hand-written PromQL parameters, each placed in the definition file."""
    reads = []
    for name in KINDS[item.alert.kind].expression_params:
        expr = getattr(item.params, name)
        path = item.path + ("params", name)
        for selector in selector_reads(expr):
            reads.append((selector, item.positions.of_character(path, expr, selector.offset)))
    return tuple(reads)


def _reserved_key_problems(item: ValidatedAlert) -> list[Problem]:
    problems = []
    for section, reserved in (("labels", COMPILER_LABELS), ("annotations", MANDATORY_ANNOTATIONS)):
        for key in getattr(item.alert, section):
            if key in reserved:
                where = item.positions.of_key(item.path + (section, key))
                message = f"{key!r} is set by the compiler from the definition; remove it here"
                if key == LAYER_LABEL:
                    message = f"{key!r} is set by the compiler: write `layer: {'|'.join(LAYERS)}` on the alert"
                problems.append(Problem(where, message, item.alert.name, f"{section}.{key}"))
    return problems


def _template_problems(item: ValidatedAlert) -> list[Problem]:
    """Labels and annotations are Go templates in Prometheus: each must parse."""
    alert = item.alert
    values: list[tuple[tuple[str, ...], str]] = [(("summary",), alert.summary), (("description",), alert.description)]
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
    paths = find_runbooks(runbooks_dir)
    renderer = RunbookRenderer()
    for alert in compiled:
        path = paths.get(alert.alert.name)
        if path is None:
            result.problems.append(missing_runbook(alert, runbooks_dir))
            continue
        rendered, problems = renderer.render(alert, read_runbook(alert.alert.name, path))
        result.problems += problems
        if rendered is not None:
            result.files[f"{RUNBOOK_OUTPUT_DIR}/{runbook_file_name(alert.alert.name)}"] = rendered.encode("utf-8")
    result.problems += [orphan_runbook(name, path) for name, path in paths.items() if name not in result.defined_names]


def _render_rule_files(compiled: list[CompiledAlert], alerts_dir: Path, result: CompileResult) -> None:
    """One rule file per source file; one group per kind in order of first use.

    Each group writes every recording rule its alerts read, right before the first alert reading it, and
    shares it among its own alerts only: Prometheus orders rules inside a group, never across groups.
    """
    writers: dict[str, _Writer] = {}  # series name -> the group, alert and expression writing it
    files: dict[str, dict[str, RuleGroupOutput]] = {}
    for alert in compiled:
        groups = files.setdefault(alert.alert.source_stem, {})
        group = groups.setdefault(alert.alert.kind, RuleGroupOutput(alert.alert.group))
        for rule in alert.rules.recording_rules:
            writer = writers.get(rule.record)
            if writer is None:
                writers[rule.record] = _Writer(alert.alert.group, alert.alert.name, rule.expr)
                group.rules.append(recording_rule_entry(rule))
            elif (writer.group, writer.expr) != (alert.alert.group, rule.expr):
                result.problems.append(_second_writer(alert, rule.record, writer))
        group.rules.append(alerting_rule_entry(alert))
    result.problems += _cross_group_reads(compiled, writers)
    for stem, groups in sorted(files.items()):
        text = render_rule_file([f"{alerts_dir.name}/{stem}.yaml"], list(groups.values()))
        result.files[f"{PROMETHEUS_OUTPUT_DIR}/{rule_file_name(stem)}"] = text.encode("utf-8")


@dataclass(frozen=True)
class _Writer:
    """The group that writes a recording rule, the alert that first needed it there, and its expression."""

    group: str
    alert: str
    expr: str


def _second_writer(alert: CompiledAlert, record: str, first: _Writer) -> Problem:
    """The error for a second, different writer of one series (a series must have exactly one)."""
    if first.group == alert.alert.group:
        message = (
            f"recording rule {record} is also emitted by alert {first.alert} with a different "
            f"expression; give one of them other labels, selector or metric"
        )
    else:
        message = (
            f"recording rule {record} is also written by group {first.group} (alert {first.alert}); a series "
            f"needs exactly one writing group: give one of them another `record` name, or rename one of the files"
        )
    return Problem(alert.alert.position, message, alert.alert.name)


def _cross_group_reads(compiled: list[CompiledAlert], writers: dict[str, _Writer]) -> list[Problem]:
    """Warnings for hand-written expressions reading a recording rule that another group writes."""
    problems = []
    for alert in compiled:
        for selector, where in alert.handwritten_reads:
            # A named selector can only read its name; only a `__name__` matcher alone needs every record.
            candidates = [selector.name] if selector.name is not None else list(writers)
            for record in candidates:
                writer = writers.get(record)
                if writer is not None and writer.group != alert.alert.group and selector.reads(record):
                    message = (
                        f"reads recording rule {record}, written by group {writer.group}: Prometheus orders rules "
                        f"only within a group, so this alert sees it up to one evaluation late; use the "
                        f"expression it records instead"
                    )
                    problems.append(Problem(where, message, alert.alert.name, severity=Severity.WARNING))
    return problems


def _causal_links(
    validated: list[ValidatedAlert], compiled: list[CompiledAlert], result: CompileResult
) -> list[CausalLink]:
    """The `symptom_of` links of valid definitions; problems for self-links, unknown alerts and cycles."""
    links = []
    for item in validated:
        written_as_list = item.path + ("symptom_of", 0) in item.positions.values
        for index, cause in enumerate(item.alert.symptom_of):
            path = item.path + (("symptom_of", index) if written_as_list else ("symptom_of",))
            links.append(CausalLink(item.alert.name, cause, item.positions.of_value(path)))
    names = {alert.alert.name for alert in compiled}
    problems = link_problems(links, names, result.defined_names)
    result.problems += problems
    return [link for link in links if link.cause in names and link.symptom in names] if not problems else []


def _team_references(validated: list[ValidatedAlert]) -> list:
    return [
        (
            item.alert.name,
            item.alert.team,
            item.alert.severity,
            item.positions.of_value(item.path + ("team",)),
            item.positions.of_value(item.path + ("severity",)),
        )
        for item in validated
    ]


def _alert_labels(compiled: list[CompiledAlert]) -> dict[str, frozenset[str]]:
    """Label names each alert's series are known to carry: its expression's (through the recording rules it
    reads) and its definition's extra labels."""
    recorded: dict[str, frozenset[str]] = {}
    labels_of = {}
    for alert in compiled:
        for rule in alert.rules.recording_rules:
            recorded.setdefault(rule.record, series_labels(rule.expr, recorded))
    for alert in compiled:
        labels_of[alert.alert.name] = series_labels(alert.rules.alert_expr, recorded) | set(alert.alert.labels)
    return labels_of


def _render_alertmanager_config(
    compiled: list[CompiledAlert],
    alerts_dir: Path,
    settings: AlertmanagerConfigV1,
    routing: LoadedRouting | None,
    links: list[CausalLink],
    result: CompileResult,
) -> None:
    labels_of = _alert_labels(compiled)
    causal_rules = inhibit_rules(links, labels_of)
    sources = f"{alerts_dir.name}/{ALERT_FILE_GLOB}"
    if routing is not None:
        config = routing_config(routing.routing, causal_rules)
        text = render_alertmanager_file(config, sources, Path(routing.positions.file).name)
    else:
        config = alertmanager_config((alert.alert.team for alert in compiled), settings, causal_rules)
        text = render_alertmanager_file(config, sources)
    result.files[ALERTMANAGER_CONFIG_FILE] = text.encode("utf-8")
    result.files[ROUTE_TESTS_FILE] = render_route_assertions(compiled, causal_rules, sources).encode("utf-8")
