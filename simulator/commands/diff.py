"""`alertkit diff --base REF`: what the working tree's changes do to alerts, runbooks, detection and paging.

Thin: reads git (gitrev.py), compiles both revisions (compiler.snapshot), hands texts to the simulator
(simulator.review), writes the report. Exit status: 0 done; 1 `--fail-on regression` found one (or the
output cannot be written); 2 bad input (not a repository, unknown REF, sources that do not compile);
3 an internal error.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import click

from common.errors import InputError, OutputError
from common.outputpaths import output_file_problem, write_text_atomically
from compiler.naming import ALERTMANAGER_CONFIG_FILE, PROMETHEUS_OUTPUT_DIR
from compiler.snapshot import ProjectSnapshot, snapshot_project
from simulator.promql.allocator import allow_malloc_tuning

from .gitrev import PROJECT_PATHS, revision_tree, uncommitted_paths

EXIT_REGRESSION = 1
SCENARIO_GLOB = "scenarios/*.yaml"
WORKING_TREE = "working tree"


@click.command("diff")
@click.option("--base", "base_ref", required=True, help="The git revision to compare the working tree with.")
@click.option(
    "--fail-on",
    "fail_on",
    type=click.Choice(["regression", "never"]),
    default="never",
    show_default=True,
    help="Exit 1 when the comparison finds a regression (slower detection, missed incident, new false page, "
    "a page reaching another receiver).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="Markdown for a PR comment, or the versioned JSON document (docs/json-schemas.md).",
)
@click.option(
    "--out",
    "out_path",
    default=None,
    type=click.Path(path_type=Path),
    help="Write the report to this file (atomically) instead of standard output.",
)
@click.option(
    "--scenario",
    "scenario_paths",
    multiple=True,
    help=f"A scenario file to simulate, relative to the project (repeatable) [default: every {SCENARIO_GLOB}].",
)
@click.option(
    "--project",
    "project",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The project directory (alerts/, runbooks/, scenarios/, routing.yaml) inside the git repository.",
)
def diff_command(
    base_ref: str,
    fail_on: str,
    output_format: str,
    out_path: Path | None,
    scenario_paths: tuple[str, ...],
    project: Path,
) -> None:
    """Compare the working tree with git revision REF: alerts, runbooks, and per scenario the change in time to
    detect, time to page, false pages and notifications, with regressions marked."""
    from simulator.review.changes import SideInput, compare
    from simulator.review.evaluation import Simulations
    from simulator.review.render import render_json, render_markdown

    if out_path is not None:
        _check_out(out_path, project)
    allow_malloc_tuning()
    uncommitted = uncommitted_paths(project)
    with revision_tree(project, base_ref) as tree:
        base = _compiled(snapshot_project(tree.root, f"{tree.ref}:"), tree.label)
        head = _compiled(snapshot_project(project), WORKING_TREE)
        paths = _scenario_paths(scenario_paths, tree.root, project)
        base_scenarios = _scenario_texts(tree.root, paths, tree.label)
        head_scenarios = _scenario_texts(project, paths, WORKING_TREE)
    simulations = Simulations()
    started = time.perf_counter()
    base_run = simulations.run(_revision(tree.label, base, base_scenarios))
    middle = time.perf_counter()
    head_run = simulations.run(_revision(WORKING_TREE, head, head_scenarios))
    finished = time.perf_counter()
    document = compare(
        SideInput(tree.label, base.definitions, base.runbooks, _alertmanager(base), base_run.results, base_scenarios),
        SideInput(WORKING_TREE, head.definitions, head.runbooks, _alertmanager(head), head_run.results, head_scenarios),
        {"ref": tree.ref, "commit": tree.commit, "label": tree.label},
        {"label": WORKING_TREE, "uncommitted": uncommitted},
        {"base": dataclasses.asdict(base_run.stats), "head": dataclasses.asdict(head_run.stats)},
    )
    text = render_json(document) if output_format == "json" else render_markdown(document)
    if out_path is None:
        click.echo(text, nl=False)
    else:
        problem = write_text_atomically(out_path, text)
        if problem is not None:
            raise OutputError(f"--out {out_path}: {problem}; nothing was written")
    stats = head_run.stats
    click.echo(
        f"alertkit diff: simulated {len(base_scenarios)} scenario(s) of {tree.label} in {middle - started:.1f}s and "
        f"{len(head_scenarios)} of the working tree in {finished - middle:.1f}s (reused {stats.series_reused} "
        f"series, {stats.groups_reused} of {stats.groups_reused + stats.groups_evaluated} group evaluations); "
        f"{len(document['regressions'])} regression(s)",
        err=True,
    )
    if fail_on == "regression" and document["regressions"]:
        sys.exit(EXIT_REGRESSION)


def _compiled(snapshot: ProjectSnapshot, label: str) -> ProjectSnapshot:
    if snapshot.failed:
        raise InputError(f"{snapshot.error_text()}\n{label}: the definitions do not compile (fix them first)")
    return snapshot


def _alertmanager(snapshot: ProjectSnapshot) -> str | None:
    return snapshot.files.get(ALERTMANAGER_CONFIG_FILE)


def _revision(label: str, snapshot: ProjectSnapshot, scenarios: dict[str, str]):
    """What the simulator reads of a compiled revision: its rule-file texts, never compiler internals."""
    from simulator.review.evaluation import Revision

    prefix = f"{PROMETHEUS_OUTPUT_DIR}/"
    rule_texts = {path: text for path, text in snapshot.files.items() if path.startswith(prefix)}
    return Revision(label, rule_texts, snapshot.paging_alertmanager_text, scenarios)


def _scenario_paths(given: tuple[str, ...], base_root: Path, project: Path) -> list[str]:
    """The scenario files to simulate, as project-relative paths (either side may lack one)."""
    if not given:
        found = {
            path.relative_to(root).as_posix() for root in (base_root, project) for path in root.glob(SCENARIO_GLOB)
        }
        return sorted(found)
    missing = [path for path in given if not (base_root / path).is_file() and not (project / path).is_file()]
    if missing:
        raise InputError(f"--scenario {missing[0]}: no such scenario file in the base revision or the working tree")
    return sorted(set(given))


def _scenario_texts(root: Path, paths: list[str], label: str) -> dict[str, str]:
    texts = {}
    for path in paths:
        file = root / path
        if not file.is_file():
            continue
        try:
            texts[path] = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"{label}: {path}: cannot read: {error}") from None
    return texts


def _check_out(out_path: Path, project: Path) -> None:
    """Refuse an --out the diff cannot write, or one that would change what it reads, before any work."""
    problem = output_file_problem(out_path)
    if problem is not None:
        raise OutputError(f"--out {out_path}: {problem}")
    target = out_path.resolve()
    for name in PROJECT_PATHS:
        source = (project / name).resolve()
        if target == source or source in target.parents:
            raise OutputError(f"--out {out_path}: is inside {name}, which the diff reads; write the report elsewhere")
