"""Load Prometheus rule files (rulefmt, as of 2.42) into RuleGroup values.

Strict like Prometheus: unknown keys are errors, and every problem in every file is collected
and reported together as file:line:col: message (rulefmt.Parse + RuleGroups.Validate).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from common.durations import DurationError, parse_duration
from common.errors import InputError, SourceError
from common.problems import Problem, SourcePosition
from common.yamlsource import (
    YamlSyntaxError,
    compose,
    is_null,
    mapping_items,
    position_of,
    read_source_text,
    scalar_text,
)

from .model import AlertingRule, RecordingRule, RuleGroup
from .parsing import parse_expr

_GROUP_KEYS = {"name", "interval", "limit", "rules"}
_RULE_KEYS = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
# model/labels: label names; model.IsValidMetricName for recording rule names.
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*\Z")


class RuleFileError(InputError):
    """One or more rule files are invalid; `problems` lists every problem found, in file order."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems), problems)


def load_rule_files(paths: Sequence[str | Path]) -> list[RuleGroup]:
    """Load rule files in order; raise RuleFileError listing every problem as file:line:col."""
    groups: list[RuleGroup] = []
    problems: list[Problem] = []
    for path in paths:
        file_groups, file_problems = load_rule_file(Path(path))
        groups.extend(file_groups)
        problems.extend(file_problems)
    if problems:
        raise RuleFileError(problems)
    return groups


def load_rule_file(path: Path) -> tuple[list[RuleGroup], list[Problem]]:
    """Groups of one file plus the problems found in it (never raises for bad content)."""
    file = str(path)
    try:
        text = read_source_text(path, file)
    except SourceError as error:
        return [], [error.problem]
    return parse_rule_text(text, file)


def parse_rule_text(text: str, file: str) -> tuple[list[RuleGroup], list[Problem]]:
    """Parse the text of one rule file; `file` is used in positions and RuleGroup.file."""
    try:
        root = compose(text, file)
    except YamlSyntaxError as error:
        return [], [error.problem]
    reader = _RuleFileReader(file)
    return reader.read(root), reader.problems


def template_problems(alert: str, labels: dict[str, str], annotations: dict[str, str]) -> list[str]:
    """Label and annotation templates Go's text/template would not parse.

    model/rulefmt/rulefmt.go testTemplateParsing: every alerting rule's templates are parsed
    (with the $labels/$value/... definitions prepended) when the rule file is loaded; the
    error carries no position, only the label or annotation name.
    """
    problems = []
    for kind, templates in (("label", labels), ("annotation", annotations)):
        for name, text in templates.items():
            if "{{" not in text:
                continue  # text without an action parses as itself: no need to load the template engine
            from common.gotemplate import GoTemplateError, parse_template

            try:
                parse_template(text, alert_name=alert)
            except GoTemplateError as error:
                problems.append(f'{kind} "{name}": {error}')
    return problems


class _RuleFileReader:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, node: yaml.Node | None, message: str) -> None:
        where = position_of(node, self.file) if node else SourcePosition(self.file, None, None)
        self.problems.append(Problem(where, message))

    def read(self, root: yaml.Node | None) -> list[RuleGroup]:
        if root is None or is_null(root):
            return []
        if not isinstance(root, yaml.MappingNode):
            self.problem(root, "rule file must be a mapping with a 'groups' list")
            return []
        groups: list[RuleGroup] = []
        seen_names: set[str] = set()
        for key, key_node, value in mapping_items(root):
            if key != "groups":
                self.problem(key_node, f"field {key} not found in rule file")
                continue
            if is_null(value):
                continue
            if not isinstance(value, yaml.SequenceNode):
                self.problem(value, "'groups' must be a list")
                continue
            for group_node in value.value:
                group = self.read_group(group_node)
                if group is None:
                    continue
                if group.name in seen_names:
                    self.problem(group_node, f'groupname: "{group.name}" is repeated in the same file')
                seen_names.add(group.name)
                groups.append(group)
        return groups

    def read_group(self, node: yaml.Node) -> RuleGroup | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, "a rule group must be a mapping")
            return None
        fields = self.fields(node, _GROUP_KEYS, "rule group")
        name = scalar_text(fields["name"]) if "name" in fields else ""
        if name == "":
            self.problem(node, "Groupname must not be empty")
        interval_ms = None
        if "interval" in fields:
            interval_ms = self.duration(fields["interval"])
        rules = []
        rules_node = fields.get("rules")
        if rules_node is not None and not is_null(rules_node):
            if not isinstance(rules_node, yaml.SequenceNode):
                self.problem(rules_node, "'rules' must be a list")
            else:
                for index, rule_node in enumerate(rules_node.value, start=1):
                    rule = self.read_rule(rule_node, name, index)
                    if rule is not None:
                        rules.append(rule)
        return RuleGroup(name=name, file=self.file, rules=rules, interval_ms=interval_ms)

    def read_rule(self, node: yaml.Node, group: str, index: int):
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f'group "{group}", rule {index}: a rule must be a mapping')
            return None
        fields = self.fields(node, _RULE_KEYS, "rule")
        record = scalar_text(fields["record"]) if "record" in fields else ""
        alert = scalar_text(fields["alert"]) if "alert" in fields else ""
        name = record or alert
        prefix = f'group "{group}", rule {index}, "{name}"'
        ok = True

        def fail(at: yaml.Node, message: str) -> None:
            nonlocal ok
            ok = False
            self.problem(at, f"{prefix}: {message}")

        if record and alert:
            fail(node, "only one of 'record' and 'alert' must be set")
        if not record and not alert:
            fail(node, "one of 'record' or 'alert' must be set")
        expr_node = fields.get("expr")
        expr = scalar_text(expr_node) if expr_node is not None else ""
        if expr == "":
            fail(expr_node or node, "field 'expr' must be set in rule")
        else:
            try:
                parse_expr(expr)
            except ValueError as error:
                fail(expr_node, f"could not parse expression: {error}")
        labels = self.string_map(fields.get("labels"), "label", fail)
        annotations = self.string_map(fields.get("annotations"), "annotation", fail)
        for_ms = self.duration(fields["for"]) if "for" in fields else 0
        keep_ms = self.duration(fields["keep_firing_for"]) if "keep_firing_for" in fields else 0
        if record:
            for key in ("annotations", "for", "keep_firing_for"):
                if key in fields:
                    fail(fields[key], f"invalid field '{key}' in recording rule")
            if not _METRIC_NAME.match(record):
                fail(fields["record"], f"invalid recording rule name: {record}")
        if alert:
            for problem in template_problems(alert, labels, annotations):
                fail(None, problem)
        if not ok or for_ms is None or keep_ms is None:
            return None
        if record:
            return RecordingRule(record=record, expr=expr, labels=labels)
        return AlertingRule(
            alert=alert,
            expr=expr,
            for_ms=for_ms,
            keep_firing_for_ms=keep_ms,
            labels=labels,
            annotations=annotations,
        )

    def fields(self, node: yaml.MappingNode, allowed: set[str], what: str) -> dict[str, yaml.Node]:
        found: dict[str, yaml.Node] = {}
        for key, key_node, value in mapping_items(node):
            if key not in allowed:
                self.problem(key_node, f"field {key} not found in {what}")
            elif key in found:
                self.problem(key_node, f'mapping key "{key}" already defined')
            else:
                found[key] = value
        return found

    def string_map(self, node: yaml.Node | None, what: str, fail) -> dict[str, str]:
        if node is None or is_null(node):
            return {}
        if not isinstance(node, yaml.MappingNode):
            fail(node, f"{what}s must be a mapping")
            return {}
        result = {}
        for key, key_node, value in mapping_items(node):
            if not _LABEL_NAME.match(key):
                fail(key_node, f"invalid {what} name: {key}")
            if not isinstance(value, yaml.ScalarNode):
                fail(value, f"{what} {key} must be a string")
                continue
            result[key] = scalar_text(value)
        return result

    def duration(self, node: yaml.Node) -> int | None:
        try:
            return parse_duration(scalar_text(node))
        except DurationError as error:
            self.problem(node, str(error))
            return None
