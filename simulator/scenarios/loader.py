"""Read a scenario file: YAML with line positions → validated spec → internal model.

Validation is the first step and collects every problem with its file:line, as alert
definitions do; nothing here raises anything but ScenarioError.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from .catalog import METRICS, parameter_bounds
from .durations import format_duration
from .errors import Problem, ScenarioError
from .model import Change, Expectation, Fault, Incident, Scenario
from .schema import ScenarioSpec

Path_ = tuple  # a path into the YAML document: keys and list indexes


def load_scenario(path: str | Path) -> Scenario:
    """Load, validate and place one scenario file; raise ScenarioError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([Problem(str(path), None, f"cannot read scenario: {exc.strerror}")]) from None
    return parse_scenario(text, str(path))


def parse_scenario(text: str, source: str = "<memory>") -> Scenario:
    """Validate scenario YAML text (source names it in errors) into a Scenario."""
    data, lines, problems = _load_yaml_with_lines(text, source)
    if problems:
        raise ScenarioError(problems)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, 1, "a scenario must be a YAML mapping")])
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_pydantic_problems(exc, lines, source)) from None
    return build_scenario(spec, source, lines)


def build_scenario(spec: ScenarioSpec, source: str = "<memory>", lines: dict | None = None) -> Scenario:
    """The one mapping step from the file format to the internal model, with cross-field checks."""
    lines = lines or {}
    problems: list[Problem] = []

    def problem(at: Path_, message: str) -> None:
        problems.append(Problem(source, _line_for(at, lines), message))

    _check_intervals(spec, problem)
    incidents = _place_incidents(spec, problem, lines)
    faults = _build_faults(spec, problem)
    if problems:
        raise ScenarioError(problems)
    return Scenario(
        name=spec.name,
        description=spec.description,
        source=source,
        duration_ms=spec.duration,
        scrape_interval_ms=spec.scrape_interval,
        evaluation_interval_ms=spec.evaluation_interval,
        seed=spec.seed,
        baseline=spec.baseline,
        incidents=incidents,
        faults=faults,
        max_false_positives=spec.max_false_positives,
    )


def _check_intervals(spec: ScenarioSpec, problem) -> None:
    for name in ("duration", "scrape_interval", "evaluation_interval"):
        if getattr(spec, name) <= 0:
            problem((name,), f"{name} must be positive")
    if spec.duration > 0 and spec.scrape_interval > spec.duration:
        problem(("scrape_interval",), "scrape_interval is longer than the scenario duration")
    if spec.duration > 0 and spec.evaluation_interval > spec.duration:
        problem(("evaluation_interval",), "evaluation_interval is longer than the scenario duration")


def _place_incidents(spec: ScenarioSpec, problem, lines: dict) -> list[Incident]:
    """Resolve `after`/`lag` into start times, and check names, parameters and the span."""
    index_by_name: dict[str, int] = {}
    for i, incident in enumerate(spec.incidents):
        if incident.name in index_by_name:
            problem(
                ("incidents", i, "name"),
                f"duplicate incident name {incident.name!r} "
                f"(first at line {_line_for(('incidents', index_by_name[incident.name], 'name'), lines)})",
            )
        else:
            index_by_name[incident.name] = i

    starts: dict[int, int | None] = {}

    def start_of(i: int, visiting: tuple[int, ...] = ()) -> int | None:
        if i in starts:
            return starts[i]
        incident = spec.incidents[i]
        if incident.after is None:
            starts[i] = incident.start
            return starts[i]
        target = index_by_name.get(incident.after)
        if target is None:
            problem(
                ("incidents", i, "after"), f"incident {incident.name!r} is after unknown incident {incident.after!r}"
            )
            starts[i] = None
        elif target in visiting or target == i:
            problem(("incidents", i, "after"), f"incidents form a cycle through {incident.name!r}")
            starts[i] = None
        else:
            base = start_of(target, visiting + (i,))
            starts[i] = None if base is None else base + (incident.lag or 0)
        return starts[i]

    bounds = parameter_bounds(spec.baseline)
    placed = []
    for i, incident in enumerate(spec.incidents):
        start = start_of(i)
        for j, change in enumerate(incident.changes):
            if change.parameter not in bounds:
                problem(
                    ("incidents", i, "changes", j, "parameter"),
                    f"unknown parameter {change.parameter!r}; known: {', '.join(sorted(bounds))}",
                )
        if start is None:
            continue
        if not 0 <= start < spec.duration:
            problem(
                ("incidents", i, "start" if incident.after is None else "lag"),
                f"incident {incident.name!r} starts at {format_duration(start)}, outside the scenario span "
                f"[0s, {format_duration(spec.duration)})",
            )
            continue
        placed.append(_incident(spec, incident, i, start, lines))
    return placed


def _incident(spec: ScenarioSpec, incident, i: int, start: int, lines: dict) -> Incident:
    changes = tuple(
        Change(
            c.parameter,
            c.shape,
            c.delta,
            c.factor,
            c.duration if c.duration is not None or c.shape != "spike" else 5 * 60 * 1000,
            c.tau,
            c.rise,
        )
        for c in incident.changes
    )
    remaining = spec.duration - start
    end = start + max(change.end_offset_ms(remaining) for change in changes)
    return Incident(
        name=incident.name,
        start_ms=start,
        end_ms=end,
        settle_ms=incident.settle if incident.settle is not None else spec.settle,
        changes=changes,
        expect=tuple(
            Expectation(alert, budget, _line_for(("incidents", i, "expect", alert), lines))
            for alert, budget in incident.expect.items()
        ),
        silent=tuple(
            (alert, _line_for(("incidents", i, "silent", k), lines)) for k, alert in enumerate(incident.silent)
        ),
        line=_line_for(("incidents", i), lines),
    )


def _build_faults(spec: ScenarioSpec, problem) -> list[Fault]:
    faults = []
    for i, fault in enumerate(spec.faults):
        unknown = [m for m in fault.metrics or () if m not in METRICS]
        if unknown:
            problem(
                ("faults", i, "metrics"),
                f"unknown metric {unknown[0]!r}; the generated metrics are: {', '.join(METRICS)}",
            )
            continue
        if not 0 <= fault.at < spec.duration:
            problem(("faults", i, "at"), f"fault at {format_duration(fault.at)} is outside the scenario span")
            continue
        faults.append(
            Fault(
                fault.kind,
                fault.at,
                fault.duration,
                tuple(fault.metrics) if fault.metrics is not None else None,
                fault.stale_marker,
            )
        )
    return faults


# --- YAML with positions -------------------------------------------------------------------


def _load_yaml_with_lines(text: str, source: str) -> tuple[object, dict, list[Problem]]:
    """Parse YAML into plain data plus {path: 1-based line}; report syntax errors and duplicate keys."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, {}, [Problem(source, line, f"invalid YAML: {reason}")]
    if node is None:
        return None, {}, [Problem(source, 1, "the scenario file is empty")]
    lines: dict = {}
    problems: list[Problem] = []
    _record_lines(node, (), lines, problems, source)
    if problems:
        return None, lines, problems
    data = yaml.SafeLoader(text).get_single_data()
    return data, lines, []


def _record_lines(node, path: Path_, lines: dict, problems: list[Problem], source: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                problems.append(Problem(source, key_node.start_mark.line + 1, f"duplicate key {key!r}"))
            seen.add(key)
            lines[path + (key,)] = key_node.start_mark.line + 1
            _record_lines(value_node, path + (key,), lines, problems, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, path + (index,), lines, problems, source)


def _line_for(path: Path_, lines: dict) -> int | None:
    """The line of the deepest known prefix of path (pydantic locations may go below YAML nodes)."""
    for length in range(len(path), -1, -1):
        line = lines.get(tuple(path[:length]))
        if line is not None:
            return line
    return None


def _pydantic_problems(exc: ValidationError, lines: dict, source: str) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and "[" in part))
        where = ".".join(str(part) for part in loc) or "scenario"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}"
        elif error["type"] == "missing":
            message = "required key is missing"
        problems.append(Problem(source, _line_for(loc, lines), f"{where}: {message}"))
    return problems
