"""The `alertkit` command: the composition root. Thin click commands over the cores.

Each package keeps its commands in one module; this file only gathers them.
"""

import click

from compiler.commands import compile_command
from simulator.commands.simulate import export_promtool_command, simulate_command
from simulator.commands.test import test_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="alertkit")
def main() -> None:
    """Prometheus/Alertmanager rules as code: compile, simulate, test."""


main.add_command(compile_command)
main.add_command(simulate_command)
main.add_command(export_promtool_command)
main.add_command(test_command)

if __name__ == "__main__":
    main()
