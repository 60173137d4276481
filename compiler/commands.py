import click


@click.command("compile")
def compile_command() -> None:
    """Compile alerts/ into build/ (being written: see issue 2)."""
    raise click.ClickException("compile is being written")
