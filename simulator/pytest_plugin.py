"""The alertkit pytest plugin: a team's alerts, scenarios and promtool tests as a regression suite.

Registered through the `pytest11` entry point `alertkit` (pyproject.toml), so plain `pytest` collects it and
`pytest -p no:alertkit` turns it off. Nodes (docs/pytest-plugin.md):

    <scenario file>::<incident>::fires:<Alert>      the alert fires within its budget
    <scenario file>::<incident>::silent:<Alert>     the alert stays silent in the incident's window
    <scenario file>::silent:<Alert>                 (quiet scenario, no incidents) the alert never fires
    <scenario file>::no-unexpected-alerts           no alert fires outside the incidents' windows
    <scenarios dir>::compile                        alerts/ compiles
    <scenarios dir>::coverage::<Alert>              runbook, a firing scenario and a silent scenario
    <promtool test file>::promtool                  promtool 2.42's verdict, by alertkit's runner

The definitions are compiled in memory once per run (never a stale build/); each scenario is simulated once
and its items share the result. This module is a composition root: it meets the compiler only through the
rule-file texts the compile produces, which the simulator parses as Prometheus would.
"""

from __future__ import annotations

import glob
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from common.durations import format_duration
from compiler.memory_build import MemoryBuild, ProjectSources, compile_in_memory

from .coverage import alert_gaps, first_firing, is_quiet
from .explain import Explainer
from .promql.model import PromQLError
from .rules.loader import RuleFileError
from .rules.outputs import RuleEvaluationError
from .scenarios.errors import ScenarioError
from .scenarios.loader import load_scenario
from .scenarios.model import Incident, Scenario

if TYPE_CHECKING:
    from .rules.group import RulesEvaluation
    from .simulate import ScenarioResult

# ini option -> (default, help). Paths and globs are relative to pytest's rootdir.
INI_OPTIONS = {
    "alertkit_scenarios": ("scenarios/*.yaml", "glob of alertkit scenario files collected as tests"),
    "alertkit_promtool_tests": ("tests/rules/*.yml", "glob of promtool unit-test files collected as tests"),
    "alertkit_alerts": ("alerts", "directory of alert definitions, compiled in memory"),
    "alertkit_runbooks": ("runbooks", "directory of runbook templates"),
    "alertkit_config": ("alertkit.yaml", "alertkit configuration file (optional)"),
    "alertkit_routing": ("routing.yaml", "teams, receivers and time intervals (optional)"),
    "alertkit_jobs": ("0", "scenarios simulated at once in worker processes; 0: one per available core"),
}
GLOB_CHARACTERS = set("*?[")


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, (default, help_text) in INI_OPTIONS.items():
        parser.addini(name, f"alertkit: {help_text} (default {default})", default=default)


def pytest_configure(config: pytest.Config) -> None:
    jobs = str(config.getini("alertkit_jobs")).strip()
    if not jobs.isdigit():
        raise pytest.UsageError(f"alertkit_jobs: {jobs!r} is not a whole number of processes (0: one per core)")
    config.stash[PROJECT] = Project(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    project = parent.config.stash[PROJECT]
    if file_path in project.scenario_files:
        return ScenarioFile.from_parent(parent, path=file_path)
    if file_path in project.promtool_files:
        return PromtoolFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_finish(session: pytest.Session) -> None:
    """The scenarios this run's items will ask for, so they can be simulated ahead on every core."""
    project = session.config.stash[PROJECT]
    project.wanted = sorted({item.path for item in session.items if isinstance(item, ScenarioItem)})


def pytest_collect_directory(path: Path, parent: pytest.Collector):
    if path == parent.config.stash[PROJECT].scenarios_dir:
        return ScenariosDir.from_parent(parent, path=path)
    return None


class AlertCheckFailed(Exception):
    """An alert check failed; the message is the whole report (shown without a traceback)."""


class ProjectUnavailable(Exception):
    """The definitions do not compile, or the compiled rules do not load."""


SHOWN_AS_TEXT = (AlertCheckFailed, ProjectUnavailable, ScenarioError, PromQLError, RuleEvaluationError)


# --- the project: compiled once, scenarios simulated once per run --------------------------------


@dataclass
class Simulation:
    result: ScenarioResult
    evaluation: RulesEvaluation | None  # kept for the latest simulation only (memory), else None


class Project:
    """The session's view of the project: its compile, scenarios and simulations, each computed once."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.root = Path(config.rootpath)
        self._build: MemoryBuild | None = None
        self._groups: list | None = None
        self._scenarios: dict[Path, Scenario | ScenarioError] = {}
        self._results: dict[Path, ScenarioResult] = {}
        self._last: tuple[Path, RulesEvaluation] | None = None  # (path, evaluation) of the latest simulation only
        self.wanted: list[Path] = []  # scenario files with items in this run (set after collection)
        self._simulated_ahead = False
        self.scenario_glob = config.getini("alertkit_scenarios")
        self.scenario_files = self._glob(self.scenario_glob)
        self.promtool_files = self._glob(config.getini("alertkit_promtool_tests"))
        self.scenarios_dir = self.root / _static_prefix(self.scenario_glob)

    def _glob(self, pattern: str) -> set[Path]:
        return {Path(p) for p in glob.glob(str(self.root / pattern), recursive=True) if Path(p).is_file()}

    @property
    def sources(self) -> ProjectSources:
        ini = self.config.getini
        return ProjectSources(
            self.root / ini("alertkit_alerts"),
            self.root / ini("alertkit_runbooks"),
            self.root / ini("alertkit_config"),
            routing_file=self.root / ini("alertkit_routing"),
        )

    @property
    def build(self) -> MemoryBuild:
        if self._build is None:
            self._build = compile_in_memory(self.sources)
        return self._build

    def groups(self) -> list:
        """The compiled rule groups; raise ProjectUnavailable when the definitions do not compile."""
        from .simulate import rule_groups_from_texts

        if self._groups is None:
            build = self.build
            if build.failed:
                raise ProjectUnavailable(f"{self.sources.alerts_dir} does not compile:\n{build.error_text()}")
            try:
                self._groups = rule_groups_from_texts(build.rule_texts)
            except RuleFileError as error:
                raise ProjectUnavailable(f"the compiled rules do not load:\n{error}") from None
        return self._groups

    def alertnames(self) -> list[str]:
        """Every alert, in rule-file order; the names defined so far when the compile failed."""
        from .simulate import alert_rules

        try:
            return list(dict.fromkeys(rule.alert for rule in alert_rules(self.groups())))
        except ProjectUnavailable:
            return sorted(self.build.defined_names)

    def runbooks(self) -> set[str]:
        """Alerts with a runbook (a compile that failed names the alerts whose runbook is missing)."""
        build = self.build
        if not build.failed:
            return build.runbook_names
        missing = {p.alert for p in build.problems if p.field == "runbook" and p.is_error}
        return set(build.defined_names) - missing

    def scenario(self, path: Path) -> Scenario:
        if path not in self._scenarios:
            try:
                self._scenarios[path] = load_scenario(_shown(path))
            except ScenarioError as error:
                self._scenarios[path] = error
        loaded = self._scenarios[path]
        if isinstance(loaded, ScenarioError):
            raise loaded
        return loaded

    def loadable_scenarios(self) -> list[Scenario]:
        scenarios = []
        for path in sorted(self.scenario_files):
            try:
                scenarios.append(self.scenario(path))
            except ScenarioError:
                continue  # its own file reports the problem
        return scenarios

    def observes(self, scenario: Scenario, alertname: str) -> bool:
        """Whether the scenario generates a metric the alert reads (from its simulation, run once per session)."""
        return alertname not in self.simulation(Path(scenario.source)).result.unobserved_alerts

    def simulation(self, path: Path, with_evaluation: bool = False) -> Simulation:
        """The scenario's simulation, run once per pytest run (its evaluation kept for the latest only)."""
        from .simulate import simulate_with_evaluation

        if not with_evaluation:
            self._simulate_ahead()
        if path in self._results and (not with_evaluation or (self._last and self._last[0] == path)):
            evaluation = self._last[1] if self._last and self._last[0] == path else None
            return Simulation(self._results[path], evaluation)
        result, evaluation = simulate_with_evaluation(self.scenario(path), self.groups())
        self._results[path] = result
        self._last = (path, evaluation)
        return Simulation(result, evaluation)

    def _simulate_ahead(self) -> None:
        """Once per run: simulate the wanted scenarios in worker processes (alertkit_jobs), so a suite
        of scenarios uses every core. The results are those of one process (each scenario is
        independent); a scenario that fails to simulate is left to its items, which report it."""
        from .parallel import simulate_in_processes, worker_count

        if self._simulated_ahead:
            return
        self._simulated_ahead = True
        pending = [path for path in self.wanted if path not in self._results and self._loads(path)]
        workers = worker_count(int(self.config.getini("alertkit_jobs")), len(pending))
        # Forking copies only the calling thread: with another thread alive (a test's server, say),
        # a lock it holds would stay held in the workers forever, so the run stays serial.
        if workers < 2 or threading.active_count() > 1:
            return
        try:
            groups = self.groups()
        except ProjectUnavailable:
            return  # every item reports it
        scenarios = [self.scenario(path) for path in pending]
        for path, outcome in zip(pending, simulate_in_processes(scenarios, groups, None, workers)):
            if not isinstance(outcome, ScenarioError):
                self._results[path] = outcome

    def _loads(self, path: Path) -> bool:
        try:
            self.scenario(path)
        except ScenarioError:
            return False
        return True


PROJECT = pytest.StashKey[Project]()


def _shown(path: Path) -> Path:
    """The path as messages show it: relative to the working directory when under it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _static_prefix(pattern: str) -> str:
    """The directory part of a glob before its first wildcard ("scenarios/*.yaml" -> "scenarios")."""
    parts = []
    for part in Path(pattern).parts[:-1]:
        if GLOB_CHARACTERS & set(part):
            break
        parts.append(part)
    return str(Path(*parts)) if parts else "."


# --- collectors ----------------------------------------------------------------------------------


class ScenarioFile(pytest.File):
    """A scenario: its incidents' checks, per-alert silence in a quiet scenario, no unexpected alerts."""

    def collect(self):
        project = self.config.stash[PROJECT]
        try:
            scenario = project.scenario(self.path)
        except ScenarioError as error:
            raise self.CollectError(str(error)) from None
        for incident in scenario.incidents:
            yield IncidentCollector.from_parent(self, name=incident.name, incident=incident)
        if is_quiet(scenario):
            for alertname in project.alertnames():
                yield SilentItem.from_parent(self, name=f"silent:{alertname}", alertname=alertname, incident=None)
        yield NoUnexpectedAlertsItem.from_parent(self, name="no-unexpected-alerts")


class IncidentCollector(pytest.Collector):
    def __init__(self, *, incident: Incident, **kwargs):
        super().__init__(**kwargs)
        self.incident = incident

    def collect(self):
        for expectation in self.incident.expect:
            yield FiresItem.from_parent(
                self,
                name=f"fires:{expectation.alertname}",
                alertname=expectation.alertname,
                budget_ms=expectation.budget_ms,
                line=expectation.line,
            )
        for alertname, line in self.incident.silent:
            yield SilentItem.from_parent(
                self, name=f"silent:{alertname}", alertname=alertname, incident=self.incident, line=line
            )


class ScenariosDir(pytest.Directory):
    """The scenarios directory, collected as pytest.Dir collects one (its files and subdirectories, through
    the collection hooks), plus the project's compile check and coverage gate."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        ihook = self.ihook
        for entry in sorted(os.scandir(self.path), key=lambda entry: entry.name):
            path = Path(entry.path)
            if ihook.pytest_ignore_collect(collection_path=path, config=self.config):
                continue
            if entry.is_dir():
                directory = ihook.pytest_collect_directory(path=path, parent=self)
                if directory is not None:
                    yield directory
            elif entry.is_file():
                yield from ihook.pytest_collect_file(file_path=path, parent=self)
        yield CompileItem.from_parent(self, name="compile")
        yield CoverageCollector.from_parent(self, name="coverage")


class CoverageCollector(pytest.Collector):
    def collect(self):
        for alertname in self.config.stash[PROJECT].alertnames():
            yield CoverageItem.from_parent(self, name=alertname, alertname=alertname)


class PromtoolFile(pytest.File):
    def collect(self):
        yield PromtoolItem.from_parent(self, name="promtool")


# --- items ---------------------------------------------------------------------------------------


class AlertkitItem(pytest.Item):
    line: int | None = None

    @property
    def project(self) -> Project:
        return self.config.stash[PROJECT]

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, SHOWN_AS_TEXT):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, (self.line - 1 if self.line else None), self.nodeid.split("::", 1)[-1]


class ScenarioItem(AlertkitItem):
    def scenario(self) -> Scenario:
        return self.project.scenario(self.path)

    def explainer(self) -> Explainer:
        simulation = self.project.simulation(self.path, with_evaluation=True)
        assert simulation.evaluation is not None  # with_evaluation keeps it
        return Explainer(self.scenario(), simulation.evaluation)


class FiresItem(ScenarioItem):
    def __init__(self, *, alertname: str, budget_ms: int, line: int | None, **kwargs):
        super().__init__(**kwargs)
        self.alertname, self.budget_ms, self.line = alertname, budget_ms, line
        assert isinstance(self.parent, IncidentCollector)
        self.incident: Incident = self.parent.incident

    def runtest(self) -> None:
        result = self.project.simulation(self.path).result
        [detection] = [
            d for d in result.detections if d.incident == self.incident.name and d.alertname == self.alertname
        ]
        ttd = detection.time_to_detect_ms
        self.user_properties += [
            ("alertname", self.alertname),
            ("incident", self.incident.name),
            ("budget_s", self.budget_ms / 1000),
            ("time_to_detect_s", "never" if ttd is None else ttd / 1000),
        ]
        if not detection.passed:
            report = self.explainer().missed_detection(
                self.incident, self.alertname, self.budget_ms, detection.detected_at_ms
            )
            raise AlertCheckFailed(report)


class SilentItem(ScenarioItem):
    def __init__(self, *, alertname: str, incident: Incident | None, line: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.alertname, self.incident, self.line = alertname, incident, line

    def runtest(self) -> None:
        result = self.project.simulation(self.path).result
        if self.incident is None and self.alertname in result.unobserved_alerts:
            # A quiet scenario of another service: the alert reads none of its metrics, so it proves nothing.
            self.user_properties += [("alertname", self.alertname), ("observed", False)]
            pytest.skip(f"{self.alertname} reads none of this scenario's metrics (not observed here)")
        if self.incident is None:
            fired_at = first_firing(result, self.alertname)
        else:
            [check] = [s for s in result.silences if s.incident == self.incident.name and s.alertname == self.alertname]
            fired_at = check.fired_at_ms
        self.user_properties += [
            ("alertname", self.alertname),
            ("fired_at_s", "never" if fired_at is None else fired_at / 1000),
        ]
        if fired_at is not None:
            raise AlertCheckFailed(self.explainer().loud_silence(self.incident, self.alertname, fired_at))


class NoUnexpectedAlertsItem(ScenarioItem):
    """No alert fires outside every incident window: at most the scenario's max_false_positives, else none."""

    def runtest(self) -> None:
        scenario = self.scenario()
        result = self.project.simulation(self.path).result
        limit = scenario.max_false_positives or 0
        self.user_properties += [("false_positives", len(result.false_positives)), ("max_false_positives", limit)]
        if len(result.false_positives) <= limit:
            return
        lines = [
            f"{len(result.false_positives)} alert(s) fired outside every incident window of scenario {scenario.name} "
            f"({scenario.source}); at most {limit} allowed (set max_false_positives to allow some):"
        ]
        for fp in result.false_positives:
            labels = {k: v for k, v in sorted(fp.labels.items()) if k != "alertname"}
            lines.append(f"  {fp.alertname} {labels} fired at {format_duration(fp.firing_at_ms)}")
        windows = ", ".join(
            f"{i.name} [{format_duration(i.start_ms)}, {format_duration(i.window_end_ms)}]" for i in scenario.incidents
        )
        lines.append(f"incident windows: {windows or 'none (a quiet scenario)'}")
        raise AlertCheckFailed("\n".join(lines))


class CompileItem(AlertkitItem):
    def runtest(self) -> None:
        build = self.project.build
        if build.failed:
            raise ProjectUnavailable(f"{self.project.sources.alerts_dir} does not compile:\n{build.error_text()}")


class CoverageItem(AlertkitItem):
    def __init__(self, *, alertname: str, **kwargs):
        super().__init__(**kwargs)
        self.alertname = alertname

    def runtest(self) -> None:
        project = self.project
        gaps = alert_gaps(
            self.alertname, self.alertname in project.runbooks(), project.loadable_scenarios(), project.observes
        )
        if gaps:
            lines = [f"alert {self.alertname} is not covered:"] + [f"  no {g.missing}: {g.advice}" for g in gaps]
            lines.append(f"(scenarios read: {project.scenario_glob}; see `alertkit coverage`)")
            raise AlertCheckFailed("\n".join(lines))


class PromtoolItem(AlertkitItem):
    """A promtool unit-test file run by alertkit's runner, with promtool 2.42's verdict and output."""

    def runtest(self) -> None:
        from .promtool.runner import render_file_result, run_test_file

        self._refuse_stale_rule_files()
        result = run_test_file(self.path)
        if not result.ok:
            out, err = render_file_result(result)
            notes = "".join(f"  note: {note}\n" for note in result.notes)
            raise AlertCheckFailed(f"promtool test rules {self.path.name}: FAILED\n{out}{err}{notes}".rstrip())

    def _refuse_stale_rule_files(self) -> None:
        """A compiled rule file the test reads must say what the definitions compile to now."""
        import yaml

        try:
            document = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            return  # the runner reports it in promtool's words
        compiled = {Path(name).name: text for name, text in self.project.build.rule_texts.items()}
        stale = []
        for pattern in document.get("rule_files") or [] if isinstance(document, dict) else []:
            for path in sorted(glob.glob(str(self.path.parent / str(pattern)))):
                text = Path(path).read_text(encoding="utf-8")
                fresh = compiled.get(Path(path).name)
                if text.startswith("# Generated by alertkit") and fresh is not None and fresh != text:
                    stale.append(path)
        if stale:
            raise ProjectUnavailable(
                "\n".join(f"{path}: differs from what the definitions compile to now" for path in stale)
                + "\nrun `make compile` (the test reads the compiled rule files, which are older than the definitions)"
            )
