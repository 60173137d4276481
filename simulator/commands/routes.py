"""`alertkit routes test`: run route-test files on alertkit's Alertmanager routing and inhibition models."""

from __future__ import annotations

import click

from simulator.alertmanager.routetests import DEFAULT_CONFIG, render_results, run_route_tests


@click.group("routes")
def routes_command() -> None:
    """Route tests: where alerts go and which are inhibited, on the compiled alertmanager.yml."""


@routes_command.command("test")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--config",
    "config_path",
    default=str(DEFAULT_CONFIG),
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The compiled Alertmanager configuration (run `make compile` first).",
)
def test_routes_command(files: tuple[str, ...], config_path: str) -> None:
    """Run route-test FILES (docs/alertmanager.md); exit 1 if any case fails or a file is malformed."""
    results = [run_route_tests(path, config_path) for path in files]
    for result in results:
        out, err = render_results(result)
        click.echo(out, nl=False)
        click.echo(err, nl=False, err=True)
    if not all(result.ok for result in results):
        raise SystemExit(1)
