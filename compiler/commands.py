"""The `alertkit compile` command: thin, reads options, calls the pure core, renders problems at the edge."""

from __future__ import annotations

import os
from pathlib import Path

import click

from common.annotations import github_annotation
from common.problems import Problem, Severity, SourcePosition, render_problem, sorted_problems
from compiler.config import load_config
from compiler.naming import PROMETHEUS_OUTPUT_DIR
from compiler.output import write_build
from compiler.pipeline import compile_project
from compiler.routing import ROUTING_FILE, LoadedRouting, load_routing

DEFAULT_CONFIG = "alertkit.yaml"


@click.command("compile")
@click.option(
    "--alerts",
    "alerts_dir",
    default="alerts",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Directory of alert definitions (*.yaml).",
)
@click.option(
    "--runbooks",
    "runbooks_dir",
    default="runbooks",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Directory of runbook templates (<AlertName>.md).",
)
@click.option(
    "--out",
    "out_dir",
    default="build",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Output directory: rule files in prometheus/, rendered runbooks in runbooks/.",
)
@click.option(
    "--config",
    "config_file",
    default=None,
    type=click.Path(path_type=Path),
    help=f"Configuration file [default: {DEFAULT_CONFIG} if present].",
)
@click.option(
    "--routing",
    "routing_file",
    default=None,
    type=click.Path(path_type=Path),
    help=f"Routing of the Alertmanager config (docs/alertmanager.md) [default: {ROUTING_FILE} if present].",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github"]),
    default="text",
    show_default=True,
    help="How problems are printed: text lines on stderr, or GitHub Actions annotations on stdout (docs/ci.md).",
)
def compile_command(
    alerts_dir: Path,
    runbooks_dir: Path,
    out_dir: Path,
    config_file: Path | None,
    routing_file: Path | None,
    output_format: str = "text",
) -> None:
    """Compile alert definitions into Prometheus rule files with runbook links, and an Alertmanager config."""
    config, problems = load_config(config_file or Path(DEFAULT_CONFIG), required=config_file is not None)
    routing, routing_problems = _load_routing(routing_file)
    if routing is not None and "alertmanager" in config.model_fields_set:
        where = SourcePosition(str(config_file or DEFAULT_CONFIG))
        message = f"ignored: the Alertmanager configuration comes from {routing.positions.file}"
        problems = problems + [Problem(where, message, field="alertmanager", severity=Severity.WARNING)]
    if not any(problem.is_error for problem in problems):
        # Routing problems do not stop the compile: the definitions' problems are reported with them.
        result = compile_project(alerts_dir, runbooks_dir, config.runbook_base_url, config.alertmanager, routing)
        problems = problems + result.problems
    problems = problems + routing_problems
    for problem in sorted_problems(problems):
        if output_format == "github":
            click.echo(github_annotation(problem, github_file(problem.file)))
        else:
            click.echo(render_problem(problem), err=True)
    if any(problem.is_error for problem in problems):
        errors = sum(problem.is_error for problem in problems)
        click.echo(f"compile failed: {errors} error(s); nothing under {out_dir}/ was changed", err=True)
        raise SystemExit(1)
    write_build(out_dir, result.files)
    rule_files = sum(1 for path in result.files if path.startswith(f"{PROMETHEUS_OUTPUT_DIR}/"))
    click.echo(f"compiled {rule_files} rule file(s) and the Alertmanager configuration into {out_dir}/")


def _load_routing(routing_file: Path | None) -> tuple[LoadedRouting | None, list[Problem]]:
    """routing.yaml when given or present (else None: the `alertmanager:` section of alertkit.yaml applies)."""
    path = routing_file or Path(ROUTING_FILE)
    if os.path.lexists(path):  # present, even as a directory or a dangling link: load_routing says what is wrong
        return load_routing(path)
    if routing_file is not None:
        return None, [Problem(SourcePosition(str(path)), "routing file not found", field="routing")]
    return None, []


def github_file(file: str) -> str:
    """`file` relative to the repository root GitHub checked out ($GITHUB_WORKSPACE), where annotations point;
    unchanged outside Actions or outside the workspace."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return file
    try:
        return (Path.cwd() / file).resolve().relative_to(Path(workspace).resolve()).as_posix()
    except (ValueError, OSError):
        return file
