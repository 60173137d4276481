import click


@click.command("simulate")
def simulate_command() -> None:
    """Replay scenarios (being written: see issue 3)."""
    raise click.ClickException("simulate is being written")


@click.command("export-promtool")
def export_promtool_command() -> None:
    """Export a scenario as a promtool test file (being written: see issue 4)."""
    raise click.ClickException("export-promtool is being written")
