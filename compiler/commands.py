"""The `alertkit compile` command: thin, reads options, calls the pure core, renders problems at the edge."""

from __future__ import annotations

import os
from pathlib import Path

import click

from compiler.config import load_config
from compiler.output import write_build
from compiler.pipeline import compile_project
from compiler.problems import render_problem, sorted_problems

DEFAULT_CONFIG = "alertkit.yaml"
CACHE_ENVIRONMENT_VARIABLE = "ALERTKIT_CACHE_DIR"  # set to an empty value to compile runbooks without a cache


def template_cache_dir() -> Path | None:
    """Where compiled runbook templates are kept between runs: $ALERTKIT_CACHE_DIR, else the user's cache dir.

    A directory that cannot be created means no cache (the compile is the same, only slower).
    """
    configured = os.environ.get(CACHE_ENVIRONMENT_VARIABLE)
    if configured is not None:
        directory = Path(configured) if configured else None
    else:
        directory = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "alertkit" / "runbooks"
    if directory is None:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return directory


@click.command("compile")
@click.option("--alerts", "alerts_dir", default="alerts", show_default=True, type=click.Path(path_type=Path),
              help="Directory of alert definitions (*.yaml).")
@click.option("--runbooks", "runbooks_dir", default="runbooks", show_default=True, type=click.Path(path_type=Path),
              help="Directory of runbook templates (<AlertName>.md).")
@click.option("--out", "out_dir", default="build", show_default=True, type=click.Path(path_type=Path),
              help="Output directory: rule files in prometheus/, rendered runbooks in runbooks/.")
@click.option("--config", "config_file", default=None, type=click.Path(path_type=Path),
              help=f"Configuration file [default: {DEFAULT_CONFIG} if present].")
def compile_command(alerts_dir: Path, runbooks_dir: Path, out_dir: Path, config_file: Path | None) -> None:
    """Compile alert definitions into Prometheus rule files with runbook links."""
    config, problems = load_config(config_file or Path(DEFAULT_CONFIG), required=config_file is not None)
    if not problems:
        result = compile_project(alerts_dir, runbooks_dir, config.runbook_base_url, template_cache_dir())
        problems = result.problems
    for problem in sorted_problems(problems):
        click.echo(render_problem(problem), err=True)
    if any(problem.is_error for problem in problems):
        errors = sum(problem.is_error for problem in problems)
        click.echo(f"compile failed: {errors} error(s); nothing under {out_dir}/ was changed", err=True)
        raise SystemExit(1)
    try:
        write_build(out_dir, result.files)
    except OSError as error:
        click.echo(f"{out_dir}: cannot write the build: {error}", err=True)
        raise SystemExit(1)
    rule_files = sum(1 for path in result.files if path.endswith(".yml"))
    click.echo(f"compiled {rule_files} rule file(s) into {out_dir}/")
