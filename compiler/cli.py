"""The `alertkit` command: the composition root. Thin click commands over the cores.

Each package keeps its commands in one module; this file only gathers them. Commands are
imported when invoked, so `alertkit compile` does not pay for loading the evaluator (numpy and
the PromQL engine) and `alertkit simulate` does not pay for jinja2.
"""

import importlib
import sys

import click

from common.errors import EXIT_INTERNAL_ERROR, AlertkitError, InputError, InternalError

# command name -> "module:attribute" of its click command.
COMMANDS = {
    "compile": "compiler.commands:compile_command",
    "simulate": "simulator.commands.simulate:simulate_command",
    "export-promtool": "simulator.commands.simulate:export_promtool_command",
    "test": "simulator.commands.test:test_command",
    "drill": "simulator.commands.drill:drill_command",
    "routes": "simulator.commands.routes:routes_command",
    "coverage": "simulator.commands.coverage:coverage_command",
    "diff": "simulator.commands.diff:diff_command",
    "backtest": "simulator.commands.backtest:backtest_command",
    "export-openmetrics": "simulator.commands.backtest:export_openmetrics_command",
    "incidents": "simulator.commands.incidents:incidents_command",
    "postmortem": "simulator.commands.incidents:postmortem_command",
    "deploy": "simulator.commands.deploy:deploy_command",
    "export-rules": "simulator.commands.deploy:export_rules_command",
    "tune": "simulator.commands.tune:tune_command",
    "report": "simulator.commands.report:report_command",
}


# Exit status of bad input, per command: simulate and export-promtool keep 1 for "an expectation
# failed" (docs/scenarios.md), and coverage 1 for a gap, so their input errors are 2. An unwritable output
# is 1 everywhere.
INPUT_ERROR_EXIT = {
    "simulate": 2,
    "export-promtool": 2,
    "coverage": 2,
    "drill": 2,
    "backtest": 2,
    "export-openmetrics": 2,
    "diff": 2,
    "incidents": 2,
    "postmortem": 2,
    "tune": 2,
    "report": 2,
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when used (or listed by --help).

    It is also the one place where errors become messages and exit codes: an AlertkitError is printed
    as its message; anything else is an internal error, printed in one line (never a traceback).
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except AlertkitError as error:
            _exit_with(error, ctx.invoked_subcommand)
        except MemoryError:
            _exit_with(InputError("out of memory: the input asks for more than this machine has"), None)
        except Exception as error:  # never a traceback: say what broke and where to report it
            _exit_with(InternalError(f"{type(error).__name__}: {error}"), None)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


def _exit_with(error: AlertkitError, command: str | None) -> None:
    click.echo(error.render(), err=True)
    exit_code = error.exit_code
    if isinstance(error, InputError):
        exit_code = INPUT_ERROR_EXIT.get(command or "", exit_code)
    sys.exit(exit_code if exit_code else EXIT_INTERNAL_ERROR)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="alertkit")
def main() -> None:
    """Prometheus/Alertmanager rules as code: compile, simulate, test."""


if __name__ == "__main__":
    main()
