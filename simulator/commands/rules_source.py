"""Where the commands that read rule files get them: never a stale build.

By default the definitions (`--alerts`, `--runbooks`, `--config`) are compiled in memory, exactly as
`alertkit compile` would, and the simulator is handed the rule-file texts. `--rules DIR` reads compiled rule
files instead (any rule files Prometheus can load), and refuses alertkit-compiled ones that are older than
the definitions they name. This module is a composition root: the only place the simulator's commands meet
the compiler, through its output texts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import click

from common.yamlsource import read_source_text
from compiler.memory_build import (
    DEFAULT_ALERTS_DIR,
    DEFAULT_CONFIG_FILE,
    DEFAULT_RUNBOOKS_DIR,
    MemoryBuild,
    ProjectSources,
    compile_in_memory,
    stale_rule_files,
)
from compiler.naming import ALERTMANAGER_CONFIG_FILE
from simulator.rules.loader import RuleFileError, load_rule_files
from simulator.rules.model import RuleGroup
from simulator.simulate import rule_files_in, rule_groups_from_texts


class RulesUnavailable(Exception):
    """The rules cannot be had: the message says why and what to do."""


def rules_options(command: Callable) -> Callable:
    """Add --rules, --alerts, --runbooks and --config; the command receives `rules_source`."""

    @click.option(
        "--rules",
        "rules_dir",
        default=None,
        type=click.Path(file_okay=False, path_type=Path),
        help="Read compiled rule files (*.yml) from this directory instead of compiling --alerts in memory; "
        "refused when they are older than their definitions.",
    )
    @click.option(
        "--alerts",
        "alerts_dir",
        default=DEFAULT_ALERTS_DIR,
        show_default=True,
        type=click.Path(path_type=Path),
        help="Directory of alert definitions, compiled in memory.",
    )
    @click.option(
        "--runbooks",
        "runbooks_dir",
        default=DEFAULT_RUNBOOKS_DIR,
        show_default=True,
        type=click.Path(path_type=Path),
        help="Directory of runbook templates.",
    )
    @click.option(
        "--config",
        "config_file",
        default=None,
        type=click.Path(path_type=Path),
        help=f"Configuration file [default: {DEFAULT_CONFIG_FILE} if present].",
    )
    @functools.wraps(command)
    def wrapper(*args, rules_dir, alerts_dir, runbooks_dir, config_file, **kwargs):
        sources = ProjectSources(
            alerts_dir, runbooks_dir, config_file or Path(DEFAULT_CONFIG_FILE), config_required=config_file is not None
        )
        return command(*args, rules_source=RulesSource(sources, rules_dir), **kwargs)

    return wrapper


class RulesSource:
    """The project's sources, or an explicit rules directory."""

    def __init__(self, sources: ProjectSources, rules_dir: Path | None):
        self.sources = sources
        self.rules_dir = rules_dir

    def rule_texts(self) -> dict[str, str]:
        """Rule-file name -> text, in the order Prometheus loads them."""
        if self.rules_dir is not None:
            return {str(path): read_source_text(path) for path in self._rule_files()}
        build = self._build
        if build.failed:
            raise RulesUnavailable(
                f"{build.error_text()}\n{self.sources.alerts_dir}: the definitions do not compile "
                "(fix them; the rules are compiled in memory, never read from a stale build)"
            )
        if not build.rule_texts:
            raise RulesUnavailable(f"{self.sources.alerts_dir}: no alert definitions (*.yaml) to compile")
        return build.rule_texts

    @functools.cached_property
    def _build(self) -> MemoryBuild:
        return compile_in_memory(self.sources)

    def alertmanager_text(self) -> str | None:
        """The compiled alertmanager.yml: beside --rules DIR (None when absent), else from the in-memory compile."""
        if self.rules_dir is not None:
            path = self.rules_dir.parent / ALERTMANAGER_CONFIG_FILE
            return path.read_text(encoding="utf-8") if path.is_file() else None
        build = self._build
        if build.failed:
            raise RulesUnavailable(f"{build.error_text()}\n{self.sources.alerts_dir}: the definitions do not compile")
        return build.files.get(ALERTMANAGER_CONFIG_FILE)

    def groups(self) -> list[RuleGroup]:
        """The rule groups; raise RulesUnavailable or RuleFileError."""
        if self.rules_dir is not None:
            return load_rule_files(list[str | Path](self._rule_files()))
        return rule_groups_from_texts(self.rule_texts())

    def _rule_files(self) -> list[Path]:
        rules_dir = self.rules_dir
        assert rules_dir is not None  # only called for --rules
        if not rules_dir.is_dir():
            raise RulesUnavailable(f"{rules_dir}: no such rules directory (omit --rules to compile alerts/ in memory)")
        files = rule_files_in(rules_dir)
        if not files:
            raise RulesUnavailable(f"{rules_dir}: no rule files (*.yml, *.yaml) found")
        stale = stale_rule_files(files, Path("."), (self.sources.config_file, self.sources.routing_file))
        if stale:
            raise RulesUnavailable(
                "\n".join(stale) + f"\n{rules_dir}: refusing rule files older than their sources: run "
                "`make compile`, or omit --rules to compile the definitions in memory"
            )
        return files


__all__ = ["RuleFileError", "RulesSource", "RulesUnavailable", "rules_options"]
