"""Read a scenario file: YAML with positions → validated spec → internal model.

Validation is the first step and collects every problem with its file:line:col, as alert
definitions do; nothing here raises anything but ScenarioError. The file is read and parsed once by
common.yamlsource, the reader of every alertkit input (its messages, its nesting depth and alias
limits); samples and evaluation steps are checked before generating anything (see the limits below,
documented in docs/scenarios.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from pydantic import BaseModel, ValidationError

from common.durations import format_duration
from common.errors import SourceError
from common.problems import Problem, SourcePosition
from common.yamlsource import PositionMap, load_yaml, read_source_text

from .catalog import LATENCY_BUCKETS, METRICS, parameter_bounds
from .errors import ScenarioError, scenario_problem
from .model import Change, Event, Expectation, Fault, Incident, Scenario
from .schema import KIND_PARAMETERS, BaselineSpec, ScenarioSpec
from .series import children, metric_names, series_count

Path_ = tuple  # a path into the YAML document: keys and list indexes

# Most samples one scenario may generate (series x scrapes): 50 million float64 values are 400 MB,
# leaving room for the rule evaluation under 2 GB.
MAX_SAMPLES = 50_000_000

# Most rule evaluation steps (duration / evaluation_interval): a year at 30s.
MAX_EVALUATION_STEPS = 1_100_000


def load_scenario(path: str | Path) -> Scenario:
    """Load, validate and place one scenario file; raise ScenarioError listing every problem."""
    try:
        text = read_source_text(path)
    except SourceError as error:
        raise ScenarioError(error.problems) from None
    return parse_scenario(text, str(path))


def parse_scenario(text: str, source: str = "<memory>") -> Scenario:
    """Validate scenario YAML text (source names it in errors) into a Scenario."""
    document = load_yaml(text, source)
    if document.problems:
        raise ScenarioError(document.problems)
    positions = document.positions
    if not positions.values:
        raise ScenarioError([scenario_problem(source, 1, "the scenario file is empty", 1)])
    if positions.duplicate_keys:
        raise ScenarioError([Problem(at, f"duplicate key {path[-1]!r}") for path, at in positions.duplicate_keys])
    if not isinstance(document.data, dict):
        raise ScenarioError([scenario_problem(source, 1, "a scenario must be a YAML mapping", 1)])
    try:
        spec = ScenarioSpec.model_validate(document.data)
    except ValidationError as exc:
        raise ScenarioError(_pydantic_problems(exc, positions)) from None
    return build_scenario(spec, source, positions)


def build_scenario(spec: ScenarioSpec, source: str = "<memory>", lines: PositionMap | None = None) -> Scenario:
    """The one mapping step from the file format to the internal model, with cross-field checks.

    `lines` says where each value of the file is; without it (a spec built in code) problems name only
    the source."""
    lines = lines or PositionMap(source)
    problems: list[Problem] = []

    def problem(at: Path_, message: str) -> None:
        problems.append(Problem(_position_for(at, lines), message))

    baseline = _preset(spec)
    _check_intervals(spec, problem)
    _check_series(spec, problem)
    if not problems:
        _check_size(spec, baseline, problem)
    incidents = _place_incidents(spec, baseline, problem, lines)
    faults = _build_faults(spec, baseline, problem)
    events = _build_events(spec, problem, lines)
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
        baseline=baseline,
        incidents=incidents,
        faults=faults,
        max_false_positives=spec.max_false_positives,
        series=tuple(spec.series),
        events=events,
    )


def _preset(spec: ScenarioSpec) -> BaselineSpec | None:
    """The ranker preset's parameters, or None: absent means ranker unless the file declares series."""
    if "baseline" in spec.model_fields_set:
        return spec.baseline
    return None if spec.series else BaselineSpec.model_validate({})


def _check_intervals(spec: ScenarioSpec, problem) -> None:
    for name in ("duration", "scrape_interval", "evaluation_interval"):
        if getattr(spec, name) <= 0:
            problem((name,), f"{name} must be positive")
    if spec.duration > 0 and spec.scrape_interval > spec.duration:
        problem(("scrape_interval",), "scrape_interval is longer than the scenario duration")
    if spec.duration > 0 and spec.evaluation_interval > spec.duration:
        problem(("evaluation_interval",), "evaluation_interval is longer than the scenario duration")


def _check_series(spec: ScenarioSpec, problem) -> None:
    seen: dict[str, int] = {}
    taken = set(METRICS) if _preset(spec) is not None else set()
    for i, declared in enumerate(spec.series):
        for name in metric_names(declared):
            if name in taken:
                problem(
                    ("series", i, "name"), f"metric {name!r} is generated twice (another series or the ranker preset)"
                )
            taken.add(name)
        seen.setdefault(declared.name, i)


def _ranker_series_count(baseline: BaselineSpec) -> int:
    # requests, buckets + _sum + _count, cache hit/miss, lookups + nulls per feature, score _sum/_count,
    # impressions, clicks, and one series per experiment variant.
    variants = sum(len(e.split) for e in baseline.experiments.values())
    return 1 + len(LATENCY_BUCKETS) + 3 + 2 + 2 * len(baseline.features) + 2 + 2 + variants


def _check_size(spec: ScenarioSpec, baseline: BaselineSpec | None, problem) -> None:
    """Refuse, before allocating, a scenario that would generate or evaluate past the limits.

    The problem points at the interval when the file sets it, else at the duration."""

    def at(interval: str) -> Path_:
        return (interval,) if interval in spec.model_fields_set else ("duration",)

    scrapes = spec.duration // spec.scrape_interval + 1
    count = sum(series_count(s) for s in spec.series) + (_ranker_series_count(baseline) if baseline else 0)
    samples = scrapes * max(count, 1)
    if samples > MAX_SAMPLES:
        problem(
            at("scrape_interval"),
            f"this scenario would generate {samples:,} samples ({count:,} series x {scrapes:,} scrapes of "
            f"{format_duration(spec.scrape_interval)} over {format_duration(spec.duration)}); the limit is "
            f"{MAX_SAMPLES:,}: shorten duration, lengthen scrape_interval or declare fewer series",
        )
    steps = spec.duration // spec.evaluation_interval + 1
    if steps > MAX_EVALUATION_STEPS:
        problem(
            at("evaluation_interval"),
            f"this scenario would need {steps:,} rule evaluation steps "
            f"({format_duration(spec.duration)} / {format_duration(spec.evaluation_interval)}); the limit is "
            f"{MAX_EVALUATION_STEPS:,}: shorten duration or lengthen evaluation_interval",
        )
    for i, declared in enumerate(spec.series):
        if declared.every is not None and spec.duration // declared.every > MAX_SAMPLES:
            problem(
                ("series", i, "every"), f"every {format_duration(declared.every)} gives more than {MAX_SAMPLES:,} runs"
            )


def _start_times(spec: ScenarioSpec, index_by_name: dict[str, int], problem) -> dict[int, int | None]:
    """Each incident's start, `after` chains followed iteratively (a 5,000-long chain is fine)."""
    starts: dict[int, int | None] = {}
    for first in range(len(spec.incidents)):
        chain: list[int] = []
        on_chain: set[int] = set()
        i: int | None = first
        base: int | None = None
        while i is not None and i not in starts:
            incident = spec.incidents[i]
            if incident.after is None:
                starts[i] = incident.start
                break
            chain.append(i)
            on_chain.add(i)
            target = index_by_name.get(incident.after)
            if target is None:
                problem(
                    ("incidents", i, "after"),
                    f"incident {incident.name!r} is after unknown incident {incident.after!r}",
                )
                starts[i] = None
                chain.pop()
                break
            if target in on_chain:
                problem(("incidents", i, "after"), f"incidents form a cycle through {incident.name!r}")
                starts[i] = None
                chain.pop()
                break
            i = target
        base = starts.get(i) if i is not None else None
        for j in reversed(chain):  # unwind: each starts `lag` after the one it follows
            base = None if base is None else base + (spec.incidents[j].lag or 0)
            starts[j] = base
    return starts


def _place_incidents(spec: ScenarioSpec, baseline: BaselineSpec | None, problem, lines: PositionMap) -> list[Incident]:
    """Resolve `after`/`lag` into start times, and check names, parameters and the span."""
    index_by_name: dict[str, int] = {}
    for i, incident in enumerate(spec.incidents):
        if incident.name in index_by_name:
            first_line = _line_for(("incidents", index_by_name[incident.name], "name"), lines)
            problem(
                ("incidents", i, "name"),
                f"duplicate incident name {incident.name!r} (first at line {first_line})",
            )
        else:
            index_by_name[incident.name] = i
    starts = _start_times(spec, index_by_name, problem)

    bounds = parameter_bounds(baseline) if baseline is not None else {}
    declared = {s.name: s for s in spec.series}
    placed = []
    for i, incident in enumerate(spec.incidents):
        start = starts.get(i)
        for j, change in enumerate(incident.changes):
            _check_change(change, ("incidents", i, "changes", j), bounds, declared, problem)
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


def _check_change(change, at: Path_, bounds: dict, declared: dict, problem) -> None:
    if change.series is None:
        if not bounds:
            problem(
                at + ("parameter",),
                f"parameter {change.parameter!r} needs the ranker preset (baseline: ranker); to change a "
                f"declared series name it with series:, one of: {', '.join(declared) or 'none declared'}",
            )
        elif change.parameter not in bounds:
            problem(at + ("parameter",), f"unknown parameter {change.parameter!r}; known: {', '.join(sorted(bounds))}")
        return
    target = declared.get(change.series)
    if target is None:
        problem(
            at + ("series",),
            f"unknown series {change.series!r}; declared: {', '.join(declared) or 'none'}",
        )
        return
    allowed = KIND_PARAMETERS[target.kind]
    if change.parameter not in allowed:
        problem(
            at + ("parameter",),
            f"a {target.kind} has no parameter {change.parameter!r}; it has: {', '.join(allowed)}",
        )
    if not any(child.matches(change.match.items()) for child in children(target)):
        wanted = ", ".join(f"{k}={v!r}" for k, v in change.match.items())
        problem(at + ("match",), f"match {{{wanted}}} selects no series of {change.series!r}")


def _incident(spec: ScenarioSpec, incident, i: int, start: int, lines: PositionMap) -> Incident:
    changes = tuple(
        Change(
            c.parameter,
            c.shape,
            c.delta,
            c.factor,
            c.duration if c.duration is not None or c.shape != "spike" else 5 * 60 * 1000,
            c.tau,
            c.rise,
            c.series,
            tuple(sorted(c.match.items())),
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


def _build_faults(spec: ScenarioSpec, baseline: BaselineSpec | None, problem) -> list[Fault]:
    known = (list(METRICS) if baseline is not None else []) + [m for s in spec.series for m in metric_names(s)]
    faults = []
    for i, fault in enumerate(spec.faults):
        unknown = [m for m in fault.metrics or () if m not in known]
        if unknown:
            problem(
                ("faults", i, "metrics"),
                f"unknown metric {unknown[0]!r}; the generated metrics are: {', '.join(known) or 'none'}",
            )
            continue
        if not 0 <= fault.at < spec.duration:
            problem(("faults", i, "at"), f"fault at {format_duration(fault.at)} is outside the scenario span")
            continue
        if fault.delay is not None and fault.delay >= spec.scrape_interval:
            problem(
                ("faults", i, "delay"),
                f"delay {format_duration(fault.delay)} must be shorter than scrape_interval "
                f"{format_duration(spec.scrape_interval)} (a later scrape would overtake the next one)",
            )
            continue
        faults.append(
            Fault(
                fault.kind,
                fault.at,
                fault.duration,
                tuple(fault.metrics) if fault.metrics is not None else None,
                fault.stale_marker,
                tuple(sorted(fault.match.items())),
                fault.delay,
            )
        )
    return faults


def _build_events(spec: ScenarioSpec, problem, lines: PositionMap) -> tuple[Event, ...]:
    events = []
    for i, event in enumerate(spec.events):
        if not 0 <= event.at < spec.duration:
            problem(
                ("events", i, "at"),
                f"event {event.type} at {format_duration(event.at)} is outside the scenario span "
                f"[0s, {format_duration(spec.duration)})",
            )
            continue
        events.append(
            Event(
                event.type,
                event.at,
                event.description,
                event.version,
                event.flag,
                tuple(sorted(event.labels.items())),
                _line_for(("events", i), lines),
            )
        )
    return tuple(sorted(events, key=lambda e: (e.at_ms, e.line or 0)))


# --- positions ---------------------------------------------------------------------------


def _position_for(path: Path_, lines: PositionMap) -> SourcePosition:
    """Where path is: a mapping entry at its key, a list item at its value; for a path below the YAML
    nodes (pydantic locations may go deeper) or one not in the file, the deepest enclosing one."""
    for length in range(len(path), -1, -1):
        prefix = tuple(path[:length])
        position = lines.keys.get(prefix) or lines.values.get(prefix)
        if position is not None:
            return position
    return SourcePosition(lines.file, None, None)


def _line_for(path: Path_, lines: PositionMap) -> int | None:
    return _position_for(path, lines).line


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The schema model whose keys are allowed at loc (a pydantic error location)."""
    current: type[BaseModel] | None = ScenarioSpec
    for part in loc:
        if current is not None and isinstance(part, str) and part in current.model_fields:
            current = _first_model(current.model_fields[part].annotation)
    return current


def _first_model(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _pydantic_problems(exc: ValidationError, lines: PositionMap) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = tuple(
            part
            for part in error["loc"]
            if not (isinstance(part, str) and ("[" in part or part.startswith("function-")))
        )
        where = ".".join(str(part) for part in loc) or "scenario"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            model = _model_at(loc[:-1])
            allowed = f"; allowed: {', '.join(model.model_fields)}" if model is not None else ""
            message = f"unknown key {loc[-1]!r}{allowed}"
        elif error["type"] == "missing":
            message = "required key is missing"
        elif error["type"] == "finite_number":
            message = "must be a finite number (not NaN or infinity)"
        problems.append(Problem(_position_for(loc, lines), f"{where}: {message}"))
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
