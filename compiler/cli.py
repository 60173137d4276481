"""The `alertkit` command: the composition root. Thin click commands over the cores.

Each package keeps its commands in one module; this file only gathers them. Commands are
imported when invoked, so `alertkit compile` does not pay for loading the evaluator (numpy and
the PromQL engine) and `alertkit simulate` does not pay for jinja2.
"""

import importlib

import click

# command name -> "module:attribute" of its click command.
COMMANDS = {
    "compile": "compiler.commands:compile_command",
    "simulate": "simulator.commands.simulate:simulate_command",
    "export-promtool": "simulator.commands.simulate:export_promtool_command",
    "test": "simulator.commands.test:test_command",
    "drill": "simulator.commands.drill:drill_command",
    "routes": "simulator.commands.routes:routes_command",
    "coverage": "simulator.commands.coverage:coverage_command",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when used (or listed by --help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="alertkit")
def main() -> None:
    """Prometheus/Alertmanager rules as code: compile, simulate, test."""


if __name__ == "__main__":
    main()
