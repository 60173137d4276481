"""`alertkit tune`: a thin click command over simulator.tune (docs/tune.md).

Exit status: 0 the sweep ran; 2 bad input (alert, --param, scenario or rule files), as `alertkit simulate`; 1 an
unwritable --plot; 3 an internal error.
"""

from __future__ import annotations

from pathlib import Path

import click

from common.errors import OutputError
from common.outputpaths import non_directory_on_path

from .rules_source import RulesSource, rules_options
from .simulate import _alertmanager_option, _load_groups, _load_scenarios, load_paging_config

PLOT_SUFFIXES = (".svg", ".png")


@click.command("tune")
@click.argument("alertname", metavar="ALERT")
@click.argument(
    "scenario_paths",
    metavar="SCENARIO...",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--param",
    "params",
    multiple=True,
    required=True,
    help="threshold=A:B:N or for=A:B:N (N values from A to B), or NAME=V1,V2,...; repeatable (the grid is "
    "every combination).",
)
@click.option(
    "--plot",
    "plot_path",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the Pareto front as an image (.svg or .png).",
)
@click.option(
    "--report",
    "report_dir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Write an HTML report (index.html + the front as SVG) into this directory, replacing an earlier report.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to run scenarios in [default: the number of cores].",
)
@rules_options
@_alertmanager_option
def tune_command(
    alertname: str,
    scenario_paths: tuple[Path, ...],
    params: tuple[str, ...],
    plot_path: Path | None,
    report_dir: Path | None,
    jobs: int | None,
    rules_source: RulesSource,
    alertmanager_config: Path | None,
) -> None:
    """Sweep ALERT's threshold and `for` over SCENARIO files: time to detect and to page per incident, false pages
    per week, the Pareto front and the current setting."""
    from simulator.deploy.files import write_atomically
    from simulator.promql.allocator import allow_malloc_tuning
    from simulator.tune.params import Setting, parse_params, settings_grid
    from simulator.tune.report import plot_front, render_text
    from simulator.tune.run import default_jobs, tune, tuned_rule

    if plot_path is not None:
        _check_plot_path(plot_path)
    if report_dir is not None:
        from simulator.htmlreport.output import check_report_dir

        check_report_dir(report_dir)
    values = parse_params(params)
    scenarios = _load_scenarios(scenario_paths)
    groups = _load_groups(rules_source)
    rule, site = tuned_rule(groups, alertname)
    settings = settings_grid(values, Setting(site.current, rule.for_ms))
    paging_config = load_paging_config(alertmanager_config, rules_source)
    allow_malloc_tuning()
    result = tune(scenarios, groups, alertname, settings, paging_config, jobs or default_jobs())
    image = plot_front(result, plot_path) if plot_path is not None else None
    click.echo(render_text(result), nl=False)
    if plot_path is not None and image is not None:
        try:
            write_atomically(plot_path, image)
        except OSError as error:
            raise OutputError(f"--plot {plot_path}: cannot write: {error.strerror or error}") from None
        click.echo(f"wrote {plot_path}", err=True)
    if report_dir is not None:
        from simulator.htmlreport.output import write_report
        from simulator.tune.report import report_files

        write_report(report_dir, report_files(result, alertname))
        click.echo(f"wrote {report_dir}/index.html", err=True)


def _check_plot_path(path: Path) -> None:
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise OutputError(f"--plot {path}: the image format comes from the suffix: .svg or .png")
    blocker = non_directory_on_path(path)
    if blocker is not None or not path.parent.is_dir():
        raise OutputError(f"--plot {path}: cannot write: {blocker or path.parent} is not a directory")
