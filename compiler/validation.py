"""Validation, first in the chain: spec documents -> validated alerts, or problems with file:line:col.

pydantic does the checking; this module turns its errors into Problems that point at the YAML position of the
offending key or value and name the alert and the field.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from common.durations import parse_duration
from common.problems import Problem
from common.yamlsource import PositionMap, YamlPath, dotted, load_yaml_file
from compiler.kinds import KINDS
from compiler.kinds.base import KindParams
from compiler.model import Alert
from compiler.promql import ExpressionProblem
from compiler.spec import AlertFileV1, AlertSpecV1


@dataclass(frozen=True)
class ValidatedAlert:
    """An alert that passed validation, with its kind's parameters and the positions of its file."""

    alert: Alert
    params: KindParams
    path: YamlPath  # where the alert's mapping is in its file, e.g. ("alerts", 2)
    positions: PositionMap


@dataclass
class FileValidation:
    """The outcome of validating one definitions file."""

    alerts: list[ValidatedAlert]
    problems: list[Problem]
    defined_names: list[str]  # every alert name written in the file, valid alert or not


def validate_file(path: Path, display_name: str) -> FileValidation:
    """Parse and validate one `alerts/*.yaml` file; every problem is collected, valid alerts are kept."""
    document = load_yaml_file(path)
    if document.problems:
        return FileValidation([], document.problems, [])
    if not isinstance(document.data, dict):
        what = "the file is empty" if document.data is None else f"got {_describe(document.data)}"
        message = f"expected a mapping with `apiVersion: alertkit/v1` and `alerts:`; {what}"
        return FileValidation([], [Problem(document.positions.of_value(()), message)], [])
    problems = duplicate_key_problems(document.data, document.positions)
    raw_alerts = document.data.get("alerts") if isinstance(document.data, dict) else None
    names = [_alert_name(raw) for raw in raw_alerts] if isinstance(raw_alerts, list) else []
    try:
        envelope = AlertFileV1.model_validate(document.data)
    except ValidationError as error:
        problems += pydantic_problems(error, (), document.positions, None, AlertFileV1)
        return FileValidation([], problems, [name for name in names if name])
    validated = []
    for index, raw_alert in enumerate(envelope.alerts):
        alert, alert_problems = _validate_alert(raw_alert, ("alerts", index), document.positions, path, display_name)
        problems += alert_problems
        if alert is not None:
            validated.append(alert)
    return FileValidation(validated, problems, [name for name in names if name])


def _alert_name(raw: Any) -> str | None:
    name = raw.get("name") if isinstance(raw, dict) else None
    return name if isinstance(name, str) else None


def duplicate_key_problems(data: Any, positions: PositionMap) -> list[Problem]:
    """A problem per repeated mapping key, naming the alert it belongs to when it is inside one."""
    problems = []
    for path, where in positions.duplicate_keys:
        alert_name, field_path = None, path
        if len(path) > 2 and path[0] == "alerts" and isinstance(path[1], int):
            alert_name = _alert_name(data["alerts"][path[1]])
            field_path = path[2:]
        problems.append(Problem(where, f"duplicate key {path[-1]!r}", alert_name, dotted(field_path)))
    return problems


def _validate_alert(
    raw: Any, path: YamlPath, positions: PositionMap, file: Path, display_name: str
) -> tuple[ValidatedAlert | None, list[Problem]]:
    if not isinstance(raw, dict):
        message = f"must be a mapping (one alert definition), got {_describe(raw)}"
        return None, [Problem(positions.of_value(path), message, field=dotted(path))]
    if "params" in raw and raw["params"] is None:
        raw = {**raw, "params": {}}  # `params:` left empty: every parameter takes its default
    name = _alert_name(raw)
    problems: list[Problem] = []
    try:
        spec = AlertSpecV1.model_validate(raw)
    except ValidationError as error:
        problems += pydantic_problems(error, path, positions, name, AlertSpecV1)
        spec = None
    kind = KINDS.get(raw.get("kind")) if isinstance(raw.get("kind"), str) else None
    if isinstance(raw.get("kind"), str) and kind is None:
        problems.append(
            Problem(
                positions.of_value(path + ("kind",)),
                f"unknown kind {raw['kind']!r} (known kinds: {', '.join(sorted(KINDS))})",
                name,
                "kind",
            )
        )
    params = None
    if kind is not None:
        try:
            # The severity is context for kinds whose defaults depend on it (slo_burn_rate's windows).
            params = kind.params.model_validate(raw.get("params", {}), context={"severity": raw.get("severity")})
        except ValidationError as error:
            problems += pydantic_problems(error, path + ("params",), positions, name, kind.params, "params")
    if spec is None or params is None:
        return None, problems
    alert = Alert(
        name=spec.name,
        kind=spec.kind,
        team=spec.team,
        severity=spec.severity,
        summary=spec.summary,
        description=spec.description,
        for_ms=parse_duration(spec.for_),
        keep_firing_for_ms=parse_duration(spec.keep_firing_for) if spec.keep_firing_for else None,
        labels=dict(spec.labels),
        annotations=dict(spec.annotations),
        source_file=display_name,
        source_stem=file.stem,
        position=positions.of_value(path),
        symptom_of=(spec.symptom_of,) if isinstance(spec.symptom_of, str) else tuple(spec.symptom_of or ()),
        layer=spec.layer or (kind.default_layer if kind is not None else None),
    )
    return ValidatedAlert(alert, params, path, positions), problems


def pydantic_problems(
    error: ValidationError,
    base: YamlPath,
    positions: PositionMap,
    alert_name: str | None,
    model: type[BaseModel],
    field_prefix: str = "",
) -> list[Problem]:
    """One Problem per pydantic error, positioned at the offending key (unknown field) or value."""
    problems = []
    for detail in error.errors():
        location = tuple(part for part in detail["loc"] if not _is_union_branch(part))
        is_key = bool(location) and location[-1] == "[key]"  # the error is about a mapping key, not its value
        if is_key:
            location = location[:-2] + (str(location[-2]),)
        path = base + location
        field = ".".join(filter(None, [field_prefix, dotted(location)])) or None
        if detail["type"] == "extra_forbidden" or is_key:
            where = positions.of_key(path)
        else:
            where = positions.of_value(path)
        message = _message(detail, model, location)
        cause = detail.get("ctx", {}).get("error")
        if isinstance(cause, ExpressionProblem):  # a PromQL error: point at its token in the value
            where, message = cause.locate(positions, path)
        problems.append(Problem(where, f"key {message}" if is_key else message, alert_name, field))
    return problems


def _is_union_branch(part: Any) -> bool:
    """pydantic puts the tried union member (`str`, `none`) into locations; users never wrote those."""
    return isinstance(part, str) and (part in ("str", "none", "float", "int") or part.startswith("function-"))


def _message(detail: Mapping[str, Any], model: type[BaseModel], location: tuple) -> str:
    kind = detail["type"]
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        owner = _model_at(model, location[:-1])
        if owner is None:
            return "unknown field"
        allowed = sorted(field.alias or name for name, field in owner.model_fields.items())
        return f"unknown field (allowed: {', '.join(allowed)})"
    if kind == "value_error":
        return str(detail["ctx"]["error"])
    if kind == "literal_error" and location == ("apiVersion",):
        return f"unsupported apiVersion {detail['input']!r}: expected {detail['ctx']['expected']}"
    message = detail["msg"].replace("Input should be", "must be")
    if kind.endswith("_type") or kind == "literal_error":
        message += f", got {_describe(detail.get('input'))}"
    return message


def _model_at(model: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """The model that holds the mapping at `path` (through nested models, dicts and lists of models, and
    optional ones), if any."""
    current: Any = model
    for part in path:
        current = _without_none(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for name, f in current.model_fields.items() if part in (name, f.alias)), None)
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]  # `part` is a key of the dict: its value's type
        elif typing.get_origin(current) is list:
            current = typing.get_args(current)[0]  # `part` is an index of the list: its items' type
        else:
            return None
    current = _without_none(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _without_none(annotation: Any) -> Any:
    """`X | None` as `X` (an optional field holds an X when it holds a mapping); any other type unchanged."""
    arguments = [argument for argument in typing.get_args(annotation) if argument is not type(None)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return arguments[0] if len(arguments) == 1 else annotation
    return annotation


def _describe(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return type(value).__name__
    return f"{type(value).__name__} {value!r}"
