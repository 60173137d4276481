"""The `alertkit compile` command: thin, reads options, calls the pure core, renders problems at the edge."""

from __future__ import annotations

import os
from pathlib import Path

import click

from common.annotations import github_annotation
from common.problems import render_problem
from compiler.memory_build import ProjectSources, compile_sources
from compiler.naming import PROMETHEUS_OUTPUT_DIR
from compiler.output import write_build
from compiler.routing import ROUTING_FILE

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
    sources = ProjectSources(
        alerts_dir,
        runbooks_dir,
        config_file or Path(DEFAULT_CONFIG),
        config_required=config_file is not None,
        routing_file=routing_file or Path(ROUTING_FILE),
        routing_required=routing_file is not None,
    )
    result, problems = compile_sources(sources)
    for problem in problems:
        if output_format == "github":
            click.echo(github_annotation(problem, github_file(problem.file)))
        else:
            click.echo(render_problem(problem), err=True)
    if result is None or any(problem.is_error for problem in problems):
        errors = sum(problem.is_error for problem in problems)
        click.echo(f"compile failed: {errors} error(s); nothing under {out_dir}/ was changed", err=True)
        raise SystemExit(1)
    write_build(out_dir, result.files)
    rule_files = sum(1 for path in result.files if path.startswith(f"{PROMETHEUS_OUTPUT_DIR}/"))
    click.echo(f"compiled {rule_files} rule file(s) and the Alertmanager configuration into {out_dir}/")


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
