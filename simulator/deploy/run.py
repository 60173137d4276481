"""`alertkit deploy`, the core: install the rule files, reload Prometheus, verify, roll back on failure.

    check the server answers -> install (atomic per file, old texts kept) -> POST /-/reload
      -> GET /api/v1/rules: every deployed group loaded, same rules, no errors
      -> on any failure: restore the old files, reload again, report both

Prometheus reloads all rule files or none (rules/manager.go Update refuses the new set when any file fails to
load and keeps evaluating the old groups), so restoring the files and reloading gives back the old state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.rules.model import RuleGroup

from .files import RULE_FILE_SUFFIXES, Installed, install, restore
from .prometheus_api import DeployError, loaded_groups, reload
from .verify import verification_problems

Log = Callable[[str], None]


@dataclass(frozen=True)
class DeployResult:
    written: list[str]
    removed: list[str]
    groups: int
    rules: int


def deploy_rule_files(
    files: dict[str, str],
    groups: list[RuleGroup],
    rules_dir: Path,
    url: str,
    is_owned: Callable[[Path], bool],
    log: Log,
) -> DeployResult:
    """Deploy `files` (file name -> text, whose groups are `groups`) into `rules_dir` and reload `url`.

    Files in rules_dir that `is_owned` (earlier deploys) and are not in `files` are removed. Raises
    DeployError (after rolling back) when Prometheus does not load exactly these groups.
    """
    loaded_groups(url)  # unreachable or not Prometheus: stop before anything changes
    remove = sorted(
        path.name
        for path in rules_dir.iterdir()
        if path.suffix in RULE_FILE_SUFFIXES and path.name not in files and path.is_file() and is_owned(path)
    )
    installed = install(rules_dir, {name: text.encode("utf-8") for name, text in files.items()}, remove)
    log(f"installed {len(files)} rule file(s) into {rules_dir}/" + (f", removed {', '.join(remove)}" if remove else ""))
    try:
        reload(url)
        problems = verification_problems(groups, loaded_groups(url))
        if problems:
            raise DeployError("Prometheus did not load the deployed rules:\n" + "\n".join(problems))
    except DeployError as error:
        raise DeployError(f"{error}\n{_roll_back(installed, url)}") from None
    rules = sum(len(group.rules) for group in groups)
    return DeployResult(sorted(files), remove, len(groups), rules)


def _roll_back(installed: Installed, url: str) -> str:
    try:
        restore(installed)
    except OSError as error:
        return f"rollback FAILED: cannot restore the previous rule files in {installed.directory}/: {error}"
    try:
        reload(url)
    except DeployError as error:
        return f"rolled back: restored the previous rule files, but the reload failed: {error}"
    return f"rolled back: restored the previous rule files in {installed.directory}/ and reloaded Prometheus"
