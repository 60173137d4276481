"""`alertkit drill`: post what Prometheus would post for a scenario to a real Alertmanager, in accelerated time.

Two steps: `alertkit drill SCENARIO --write-config FILE [--speed N] [--listen PORT]` writes the configuration the
drill's Alertmanager must load (timers divided by the speed, webhooks to the drill's recorder on 127.0.0.1:PORT);
then `alertkit drill SCENARIO --alertmanager URL [--speed N] [--from T --span D]` runs the drill and prints the
model's notifications and the real ones in one table. Exit status: 0 they agree; 1 they differ; 2 bad input or
an unreachable Alertmanager.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from common.errors import InputError
from simulator.commands.rules_source import RulesSource, RulesUnavailable, rules_options
from simulator.commands.simulate import EXIT_EXPECTATION_FAILED, _load_groups, _load_scenarios

DEFAULT_SPEED = 600
DEFAULT_LISTEN_PORT = 9095


def _fail(message: str) -> NoReturn:
    raise InputError(message)  # the root command prints it and exits 2


@click.command("drill")
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@rules_options
@click.option(
    "--alertmanager-config",
    "config_path",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The Alertmanager configuration to drill (default: the project's compiled one).",
)
@click.option("--alertmanager", "url", default=None, help="URL of the Alertmanager to drill (API v2).")
@click.option(
    "--speed", default=DEFAULT_SPEED, show_default=True, type=click.IntRange(min=1), help="Time acceleration."
)
@click.option("--from", "from_", default="0s", show_default=True, help="Window start, from the scenario start.")
@click.option("--span", default=None, help="Window length (default: to the scenario end).")
@click.option(
    "--listen", default=DEFAULT_LISTEN_PORT, show_default=True, type=int, help="Port of the webhook recorder."
)
@click.option(
    "--write-config",
    "write_config",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the drill's Alertmanager configuration to this file and stop.",
)
@click.option(
    "--record",
    "record_path",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the real Alertmanager's notifications (JSON) for `alertkit incidents/postmortem --drill FILE`.",
)
def drill_command(
    scenario_path: Path,
    rules_source: RulesSource,
    config_path: Path | None,
    url: str | None,
    speed: int,
    from_: str,
    span: str | None,
    listen: int,
    write_config: Path | None,
    record_path: Path | None,
) -> None:
    """Fire drill: replay SCENARIO's alerts into a real Alertmanager and compare its notifications with the model."""
    from simulator.alertmanager.drill import DrillError, drill_config, model_config, uses_time_intervals

    source_text = _source_config(config_path, rules_source)
    if uses_time_intervals(source_text):
        click.echo("note: the drill drops time intervals (calendar times cannot be accelerated)", err=True)
    recorder_url = f"http://127.0.0.1:{listen}"
    try:
        text = drill_config(source_text, speed, recorder_url)
        config = model_config(text, speed)
    except (DrillError, ValueError) as error:  # DurationError is a ValueError
        _fail(f"{config_path or 'alertmanager/alertmanager.yml (compiled)'}: {error}")
    if write_config is not None:
        _write_atomically(write_config, text)
        click.echo(
            f"wrote {write_config}: start Alertmanager with it, then run the drill with --alertmanager", err=True
        )
        return
    if url is None:
        _fail("--alertmanager URL is required (or --write-config FILE to prepare the drill)")
    record = None
    if record_path is not None:
        if not record_path.parent.is_dir():
            _fail(f"--record {record_path}: cannot write: directory {record_path.parent} does not exist")
        from simulator.alertmanager.config import load_alertmanager_config
        from simulator.alertmanager.dispatch import is_pager

        source_config = load_alertmanager_config(source_text)
        record = (record_path, lambda receiver: is_pager(source_config, receiver))
    _run(scenario_path, rules_source, config, recorder_url, url, speed, from_, span, listen, record)


def _source_config(config_path: Path | None, rules_source: RulesSource) -> str:
    if config_path is not None:
        if not config_path.is_file():
            _fail(f"{config_path}: no such Alertmanager configuration (run `alertkit compile` first)")
        return config_path.read_text(encoding="utf-8")
    try:
        text = rules_source.alertmanager_text()
    except RulesUnavailable as error:
        _fail(str(error))
    if text is None:
        _fail("no compiled Alertmanager configuration beside --rules: pass --alertmanager-config FILE")
    return text


def _run(scenario_path, rules_source, config, recorder_url, url, speed, from_, span, listen, record=None) -> None:
    from common.durations import parse_duration
    from simulator.alertmanager.drill import (
        TOLERANCE_WALL_MS,
        TOLERANCE_WALL_MS_PER_TICK,
        AlertmanagerClient,
        DrillError,
        WebhookRecorder,
        compare,
        model_notifications,
        plan_drill,
        receiver_latency_s,
        run_drill,
        shortest_group_interval_ms,
        uncertain_windows,
    )
    from simulator.report import render_drill_text
    from simulator.simulate import simulate

    scenario = _load_scenarios((scenario_path,))[0]
    try:
        start = parse_duration(from_)
        length = parse_duration(span) if span is not None else scenario.duration_ms - start
    except ValueError as error:
        _fail(f"--from/--span: {error}")
    client = AlertmanagerClient(url)
    try:
        loaded = client.status().get("config", {}).get("original", "")
    except DrillError as error:
        _fail(str(error))
    if recorder_url not in loaded:
        _fail(
            f"Alertmanager at {url} is not loaded with this drill's configuration (its webhooks do not point at "
            f"{recorder_url}): write it with --write-config FILE --speed {speed} --listen {listen} and restart it"
        )
    result = simulate(scenario, _load_groups(rules_source))
    plan = plan_drill(result.observed_timelines(), config, scenario.evaluation_interval_ms, start, length, speed)
    try:
        with WebhookRecorder(listen, receiver_latency_s(config, speed)) as recorder:
            settle = config.route.group_wait_ms + config.route.group_interval_ms
            run = run_drill(plan, client, recorder, settle)
    except (DrillError, OSError) as error:
        _fail(str(error))
    real = [n for n in run.notifications if n.at_ms <= plan.end_ms]
    model = model_notifications(plan)
    problems = compare(model, real, speed, shortest_group_interval_ms(config), uncertain_windows(plan))
    note = (
        f"speed {speed}, tolerance {TOLERANCE_WALL_MS} ms + {TOLERANCE_WALL_MS_PER_TICK} ms per group_interval "
        f"tick in wall time; posts at most {run.max_post_lag_s * 1000:.0f} ms late"
    )
    click.echo(render_drill_text(model, real, problems, note), nl=False)
    if record is not None:
        from simulator.incidents.drill_record import record_json

        _write_atomically(record[0], record_json(scenario.name, plan.from_ms, plan.end_ms, real, record[1]))
        click.echo(f"wrote {record[0]}: the drill's notifications, for alertkit incidents --drill", err=True)
    if problems:
        sys.exit(EXIT_EXPECTATION_FAILED)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    temporary.replace(path)
