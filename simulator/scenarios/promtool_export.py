"""Export a window of a scenario as a promtool test file that checks the simulated alert timeline.

A window [from, from + span] is exported with the history its alerts need before it: the
samples from `from - history` on are shifted to t=0 and written as promtool input series
(explicit values at the scrape interval; `_` for a missed scrape, `stale` for a stale marker).
The history is each alert's reach (simulator.rules.reach: ranges, offsets, lookback, subqueries,
through the recording rules it reads) plus its `for` and `keep_firing_for`, so every alert
evaluation inside the window sees exactly the samples of the whole scenario. The simulator
evaluates the rule files over that input, checks that no alert state inside the window can
depend on a pending or kept-firing run older than the history, and writes an alert test at every
transition inside the window (the evaluation before and the evaluation of each change to firing
or resolved) plus evenly spaced quiet checkpoints and the window's last evaluation, so promtool
independently confirms the full simulation's timeline there. What cannot be replayed exactly
from a bounded history is refused with the alert and the reason.

The rule files go beside the test file, in a directory `<stem>.rules/`, so the test checks the
rules it was exported with; both are written atomically.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from common.durations import format_duration
from simulator.promql.engine import DEFAULT_SUBQUERY_STEP_MS
from simulator.promql.model import METRIC_NAME, Grid, is_stale, labels_get
from simulator.rules.dependencies import metric_names_read
from simulator.rules.model import AlertingRule, RuleGroup
from simulator.rules.reach import ReachAnalysis, UnboundedReach

from .errors import ScenarioError, scenario_problem
from .generators import GeneratedSeries, generate_series, populate_storage
from .model import Scenario

# libyaml's emitter when PyYAML has it: the pure-Python one spends seconds on long `values` lines.
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Quiet checkpoints: alert tests at this many evenly spaced evaluations besides the transitions.
QUIET_CHECKPOINTS = 12

# A Go template action that calls `query` (template.go: the "query" function).
_TEMPLATE_QUERY = re.compile(r"{{[^}]*\bquery\b")

# The rule files are copied into `<test file stem>` + this suffix, beside the test file.
RULES_DIR_SUFFIX = ".rules"


@dataclass(frozen=True)
class AlertNeed:
    """The history one alerting rule needs before its first exactly replayed evaluation."""

    rule: AlertingRule
    reach_ms: int  # expression reach, through the recording rules it reads
    hold_steps: int  # evaluations of `for` plus evaluations of `keep_firing_for`

    def history_ms(self, interval_ms: int) -> int:
        return self.reach_ms + self.hold_steps * interval_ms


@dataclass(frozen=True)
class WindowPlan:
    """Where the exported input starts (history_start_ms, on the scenario's clock) and why."""

    window_start_ms: int
    window_end_ms: int
    history_start_ms: int
    needs: list[AlertNeed]


def export_promtool_test(
    scenario: Scenario,
    groups: list[RuleGroup],
    out_path: str | Path,
    window_start_ms: int = 0,
    window_span_ms: int | None = None,
    rule_texts: dict[str, str] | None = None,
) -> list[Path]:
    """Write the promtool test file (and its rule files) for a window of the scenario; return the paths written.

    rule_texts: the text of each rule file the groups come from (by group.file), when the groups
    were not read from files (compiled in memory); by default the files are read."""
    from simulator.rules.group import evaluate_rule_groups

    out_path = Path(out_path)
    rules_dir = out_path.parent / (out_path.with_suffix("").name + RULES_DIR_SUFFIX)
    _check_outputs(scenario, groups if rule_texts is None else [], out_path, rules_dir)
    span = _window_span(scenario, window_start_ms, window_span_ms)
    plan = plan_window(scenario, groups, window_start_ms, span)
    shift = plan.history_start_ms
    # The generators draw every random stream from the scenario start (counters are running sums),
    # so the samples of a window cannot be drawn without those before it: generate, then cut.
    wanted = _metric_names_read(groups)
    series = [
        s
        for s in window_series(generate_series(scenario), shift, plan.window_end_ms - shift)
        if len(s.t_ms) and (wanted is None or labels_get(s.labels, METRIC_NAME) in wanted)
    ]
    interval = scenario.evaluation_interval_ms
    last = plan.window_end_ms - shift
    grid = Grid(0, last - last % interval, interval)
    group_order = [group.name for group in groups]
    evaluation = evaluate_rule_groups(groups, populate_storage(series), grid, group_order=group_order)
    first_step = -(-(window_start_ms - shift) // interval)
    if shift > 0:
        check_no_older_chains(scenario, plan, evaluation, first_step)
    copies = _rule_file_copies(groups, rule_texts)
    document = {
        "rule_files": [f"{rules_dir.name}/{name}" for name in copies],
        "evaluation_interval": format_duration(interval),
        "group_eval_order": group_order,
        "tests": [
            {
                "name": f"{scenario.name} from {format_duration(window_start_ms)} for {format_duration(span)}"
                + (f" (eval_time 0s is {format_duration(shift)} of the scenario)" if shift else ""),
                "interval": format_duration(scenario.scrape_interval_ms),
                "input_series": [
                    {"series": series_selector(s), "values": format_values(s, scenario.scrape_interval_ms, last)}
                    for s in series
                ],
                "alert_rule_test": _alert_tests(evaluation, groups, grid, first_step),
            }
        ],
    }
    header = (
        f"# Generated by `alertkit export-promtool` from {scenario.source}: do not edit.\n"
        f"# Window {format_duration(window_start_ms)} to {format_duration(plan.window_end_ms)} of the scenario;"
        f" input from {format_duration(shift)} (the history its alerts read), shifted to 0s.\n"
        f"# Checks the simulated alert timeline with: promtool test rules {out_path.name}\n"
    )
    text = header + yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=1_000_000)
    return _write_atomically(out_path, text, rules_dir, copies)


def plan_window(scenario: Scenario, groups: list[RuleGroup], start_ms: int, span_ms: int) -> WindowPlan:
    """The history the window needs: the longest alert reach plus its `for` and `keep_firing_for`,
    moved back to a multiple of the scrape interval, the evaluation interval and every subquery
    step (so samples, evaluations and subquery steps fall on the same instants after the shift).

    Raises ScenarioError naming the alert when its reach is unbounded, or when it depends on the
    absolute time and the history does not start with the scenario."""
    interval = scenario.evaluation_interval_ms
    analysis = ReachAnalysis(groups, interval, DEFAULT_SUBQUERY_STEP_MS)
    needs, unbounded, absolute, steps = [], [], [], {scenario.scrape_interval_ms, interval}
    for group in groups:
        for rule in group.rules:
            if not isinstance(rule, AlertingRule):
                continue
            try:
                reach = analysis.alert_reach(rule)
            except UnboundedReach as error:
                unbounded.append(
                    f"alert {rule.alert} (group {group.name}) {error}, so only the whole scenario replays it"
                )
                continue
            steps |= reach.subquery_steps_ms
            hold = -(-rule.for_ms // interval) + -(-rule.keep_firing_for_ms // interval)
            needs.append(AlertNeed(rule, reach.ms, hold))
            if reach.absolute_time:
                absolute.append((rule, reach.absolute_time))
            if _template_queries(rule):
                absolute.append((rule, "a template query"))
    window_step = -(-start_ms // interval) * interval
    history = max((need.history_ms(interval) for need in needs), default=0)
    alignment = math.lcm(*steps)
    history_start = max(0, (window_step - history) // alignment * alignment)
    if unbounded:
        history_start = 0
    problems = []
    if start_ms > 0 and history_start == 0 and unbounded:
        problems = [f"{why} exactly; export it with --from 0s" for why in unbounded]
    if history_start > 0:
        problems = [
            f"alert {rule.alert} uses {why}, which depends on the absolute time, and promtool's input starts "
            f"at 0s; only an export whose history starts with the scenario replays it (--from "
            f"{format_duration(history)} or earlier)"
            for rule, why in absolute
        ]
    if problems:
        raise ScenarioError(
            [
                scenario_problem(scenario.source, None, f"cannot export from {format_duration(start_ms)}: {p}")
                for p in problems
            ]
        )
    return WindowPlan(start_ms, start_ms + span_ms, history_start, needs)


def _template_queries(rule: AlertingRule) -> bool:
    """Whether a label or annotation template runs a query (its expression is not in the rule)."""
    return any(_TEMPLATE_QUERY.search(text) for text in [*rule.labels.values(), *rule.annotations.values()])


def _metric_names_read(groups: list[RuleGroup]) -> frozenset[str] | None:
    """Every metric name a rule or template can read (None: any), to leave out series nothing reads."""
    names: set[str] = set()
    for group in groups:
        for rule in group.rules:
            read = metric_names_read(rule.expr)
            if read is None or (isinstance(rule, AlertingRule) and _template_queries(rule)):
                return None
            names |= read
    return frozenset(names)


def check_no_older_chains(scenario: Scenario, plan: WindowPlan, evaluation, first_step: int) -> None:
    """Refuse when an alert's state inside the window may depend on samples before the history.

    From its first exact evaluation e (reach after the history start) an alert instance has the
    same query results as in the whole scenario. Its state is then the same once, at some step s
    with e <= s <= the window's first step, either it was missing for keep_firing_for (a pending
    alert is gone, a firing one resolved: no earlier state survives) or it was returned for `for`
    (it fires, whenever it became active). Label sets never returned after e are covered by the
    history's keep_firing_for part. Anything else is a pending or kept-firing run that began
    before the history, whose state the window cannot know.
    """
    interval = scenario.evaluation_interval_ms
    by_rule = {id(need.rule): need for need in plan.needs}
    problems = []
    for instance in evaluation.instances:
        need = by_rule.get(id(instance.rule))
        if need is None:
            continue
        history = instance.history
        present = history.source_step == np.arange(len(history.source_step))
        exact = -(-need.reach_ms // interval)
        rule = need.rule
        if not _settles(
            present, exact, first_step, -(-rule.for_ms // interval), -(-rule.keep_firing_for_ms // interval)
        ):
            labels = ", ".join(f'{k}="{v}"' for k, v in instance.labels if k != "alertname")
            problems.append(
                scenario_problem(
                    scenario.source,
                    None,
                    f"cannot export from {format_duration(plan.window_start_ms)}: alert {rule.alert}{{{labels}}} is "
                    f"pending or kept firing through the whole history the window needs "
                    f"({format_duration(need.history_ms(interval))}: reach {format_duration(need.reach_ms)}, "
                    f"for {format_duration(rule.for_ms)}, keep_firing_for {format_duration(rule.keep_firing_for_ms)}), "
                    "so its state in the window depends on earlier samples; export from a time when it is inactive "
                    "or from 0s",
                )
            )
    if problems:
        raise ScenarioError(problems)


def _settles(present: np.ndarray, exact: int, last: int, for_steps: int, keep_steps: int) -> bool:
    """Whether some step s in [exact, last] ends a run of keep_steps + 1 missing or for_steps + 1
    returned evaluations that all lie at or after `exact`."""
    if last >= len(present):
        last = len(present) - 1
    if last < exact:
        return False
    counts = np.concatenate(([0], np.cumsum(present[: last + 1], dtype=np.int64)))
    for s in range(exact, last + 1):
        if s - keep_steps >= exact and counts[s + 1] - counts[s - keep_steps] == 0:
            return True
        if s - for_steps >= exact and counts[s + 1] - counts[s - for_steps] == for_steps + 1:
            return True
    return False


def _window_span(scenario: Scenario, start_ms: int, span_ms: int | None) -> int:
    problems = []
    if start_ms % scenario.scrape_interval_ms:
        problems.append("--from must be a multiple of the scrape interval")
    if not 0 <= start_ms < scenario.duration_ms:
        problems.append("--from is outside the scenario span")
    span = scenario.duration_ms - start_ms if span_ms is None else min(span_ms, scenario.duration_ms - start_ms)
    if span <= 0:
        problems.append("--span must be positive")
    if problems:
        raise ScenarioError([scenario_problem(scenario.source, None, p) for p in problems])
    return span


def window_series(series: list[GeneratedSeries], start_ms: int, span_ms: int) -> list[GeneratedSeries]:
    """The samples inside [start, start + span], shifted so the window starts at t=0."""
    out = []
    for s in series:
        first = int(np.searchsorted(s.t_ms, start_ms, side="left"))
        end = int(np.searchsorted(s.t_ms, start_ms + span_ms, side="right"))
        out.append(GeneratedSeries(s.labels, s.t_ms[first:end] - start_ms, s.values[first:end]))
    return out


def format_values(series: GeneratedSeries, interval_ms: int, span_ms: int) -> str:
    """promtool's value notation at a fixed interval: explicit values, `vxN` runs, `_` gaps, `stale`."""
    slots: list[str] = ["_"] * (span_ms // interval_ms + 1)
    stale = is_stale(series.values)
    for t, value, is_marker in zip(series.t_ms.tolist(), series.values.tolist(), stale.tolist()):
        slots[t // interval_ms] = "stale" if is_marker else _format_float(value)
    while slots and slots[-1] == "_":
        slots.pop()
    return " ".join(_run_length(slots))


def _run_length(slots: list[str]) -> list[str]:
    # `vxN` is N+1 copies of v, `_xN` is N missing samples (promtool notation, trap 6).
    tokens, i = [], 0
    while i < len(slots):
        j = i
        while j + 1 < len(slots) and slots[j + 1] == slots[i]:
            j += 1
        run = j - i + 1
        if run == 1 or slots[i] == "stale":
            tokens.extend(slots[i : j + 1])
        elif slots[i] == "_":
            tokens.append(f"_x{run}")
        else:
            tokens.append(f"{slots[i]}x{run - 1}")
        i = j + 1
    return tokens


def _format_float(value: float) -> str:
    if np.isnan(value):
        return "NaN"
    if np.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(value)  # shortest round-trip digits, parsed exactly by Go's strconv.ParseFloat


def series_selector(series: GeneratedSeries) -> str:
    name = dict(series.labels)[METRIC_NAME]
    inner = ", ".join(f'{k}="{v}"' for k, v in series.labels if k != METRIC_NAME)
    return f"{name}{{{inner}}}"


def _check_outputs(scenario: Scenario, groups: list[RuleGroup], out_path: Path, rules_dir: Path) -> None:
    """Refuse to write over an input: the scenario, a rule file, or the rule files' directory."""
    inputs = {Path(scenario.source).resolve()} | {Path(group.file).resolve() for group in groups}
    rule_dirs = {Path(group.file).resolve().parent for group in groups}
    problems = []
    if out_path.resolve() in inputs:
        problems.append(f"--out {out_path} is an input of the export; choose another file")
    if rules_dir.resolve() in rule_dirs or any(rules_dir.resolve() in d.parents for d in rule_dirs):
        problems.append(f"--out {out_path} would write its rule files over the rules directory {rules_dir}")
    files_by_name: dict[str, set[str]] = {}
    for group in groups:
        files_by_name.setdefault(Path(group.file).name, set()).add(str(Path(group.file).resolve()))
    clashing = sorted(name for name, files in files_by_name.items() if len(files) > 1)
    if clashing:
        problems.append(f"rule files from different directories share a name ({', '.join(clashing)})")
    if problems:
        raise ScenarioError([scenario_problem(scenario.source, None, p) for p in problems])


def _rule_file_copies(groups: list[RuleGroup], texts: dict[str, str] | None = None) -> dict[str, str]:
    """File name -> text of each rule file the groups come from: the file as it is when every group
    of it is exported, else only the exported groups (in file order)."""
    wanted: dict[str, list[str]] = {}
    for group in groups:
        wanted.setdefault(group.file, []).append(group.name)
    copies = {}
    for file, names in wanted.items():
        text = texts[file] if texts is not None else Path(file).read_text(encoding="utf-8")
        document = yaml.safe_load(text) or {}
        all_groups = document.get("groups") or []
        if [g.get("name") for g in all_groups] != names:
            kept = [g for g in all_groups if g.get("name") in names]
            text = yaml.safe_dump({"groups": kept}, sort_keys=False, width=1_000_000, allow_unicode=True)
        copies[Path(file).name] = text
    return copies


def _write_atomically(out_path: Path, text: str, rules_dir: Path, rule_texts: dict[str, str]) -> list[Path]:
    """Write the rule files' directory and the test file so that neither is ever half-written, and a
    test file never stands next to rule files of another export (the old directory comes back when
    the test file cannot be written)."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    parent = out_path.parent
    staged_dir = Path(tempfile.mkdtemp(prefix=f".{rules_dir.name}.", dir=parent))
    staged_file = None
    backup = None
    try:
        for name, rule_text in rule_texts.items():
            (staged_dir / name).write_text(rule_text, encoding="utf-8")
        descriptor, staged_name = tempfile.mkstemp(prefix=f".{out_path.name}.", dir=parent)
        staged_file = Path(staged_name)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if rules_dir.exists() or rules_dir.is_symlink():
            backup = Path(tempfile.mkdtemp(prefix=f".{rules_dir.name}.old.", dir=parent))
            os.rename(rules_dir, backup / "dir")
        os.rename(staged_dir, rules_dir)
        try:
            os.replace(staged_file, out_path)
        except OSError:
            shutil.rmtree(rules_dir, ignore_errors=True)
            if backup is not None:
                os.rename(backup / "dir", rules_dir)
            raise
        staged_file = None
    finally:
        if staged_dir.exists():
            shutil.rmtree(staged_dir, ignore_errors=True)
        if staged_file is not None and staged_file.exists():
            staged_file.unlink()
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    return [out_path] + [rules_dir / name for name in rule_texts]


def _alert_tests(evaluation, groups: list[RuleGroup], grid: Grid, first_step: int) -> list[dict]:
    """Alert tests at the window's steps (from first_step on): around every transition, at quiet
    checkpoints and at the last evaluation."""
    names = sorted({rule.alert for g in groups for rule in g.rules if isinstance(rule, AlertingRule)})
    steps = grid.steps
    checkpoints: dict[str, set[int]] = {name: set() for name in names}
    for timeline in evaluation.timelines:
        for interval in timeline.intervals:
            for t_ms in (interval.firing_at_ms, interval.resolved_at_ms):
                if t_ms is not None:
                    step = (t_ms - grid.start_ms) // grid.step_ms
                    checkpoints[timeline.alertname].update({step - 1, step})
    quiet = set(np.linspace(first_step, steps - 1, QUIET_CHECKPOINTS, dtype=int).tolist()) | {steps - 1}
    tests = []
    for step in sorted(set().union(quiet, *checkpoints.values())):
        if not first_step <= step < steps:
            continue
        for name in names:
            if step in quiet or step in checkpoints[name]:
                tests.append(_alert_test(evaluation, step, name, grid))
    return tests


def _alert_test(evaluation, step: int, alertname: str, grid: Grid) -> dict:
    firing = evaluation.firing_alerts(step, alertname)
    expected = [
        {
            "exp_labels": {k: v for k, v in sorted(alert.labels.items()) if k != "alertname"},
            "exp_annotations": dict(sorted(alert.annotations.items())),
        }
        for alert in sorted(firing, key=lambda a: sorted(a.labels.items()))
    ]
    return {
        "eval_time": format_duration(grid.start_ms + step * grid.step_ms),
        "alertname": alertname,
        "exp_alerts": expected,
    }
