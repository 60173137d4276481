"""`alertkit test`: run promtool unit-test files on alertkit's evaluator (thin over the core)."""

from datetime import datetime
from pathlib import Path

import click

from common.errors import OutputError
from common.outputpaths import output_file_problem, write_text_atomically
from simulator.promql.allocator import allow_malloc_tuning
from simulator.promtool.runner import render_file_result, run_test_file, timeline_report


@click.command("test")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--timeline", is_flag=True, help="Also report every alert's pending/firing/resolved times.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="With --timeline: print the results and timelines as JSON only (docs/schemas/test-timeline.schema.json).",
)
@click.option(
    "--junit",
    "junit_path",
    default=None,
    type=click.Path(path_type=Path),
    help="Also write the results as JUnit XML, as promtool >= 2.55 `test rules --junit` does.",
)
def test_command(files: tuple[str, ...], timeline: bool, as_json: bool, junit_path: Path | None) -> None:
    """Run promtool 2.42 `test rules` FILES; exit 1 if any test fails, like promtool."""
    if as_json and not timeline:
        raise click.UsageError("--json is the format of --timeline; use --timeline --json")
    if junit_path is not None and (problem := output_file_problem(junit_path)) is not None:
        raise OutputError(f"--junit {junit_path}: {problem}")
    allow_malloc_tuning()
    started = datetime.now()
    results = [run_test_file(path) for path in files]
    if junit_path is not None:
        from simulator.promtool.reports import junit_suites, render_junit  # only with --junit: start-up

        problem = write_text_atomically(junit_path, render_junit(junit_suites(results, started)))
        if problem is not None:
            raise OutputError(f"--junit {junit_path}: {problem}; nothing was written")
    if timeline and as_json:
        import json

        from simulator.promtool.reports import timeline_document

        click.echo(json.dumps(timeline_document(results), indent=2, sort_keys=False))
    else:
        for result in results:
            out, err = render_file_result(result)
            click.echo(out, nl=False)
            if err:
                click.echo(err, nl=False, err=True)
            for note in result.notes:
                click.echo(f"  note: {note}", err=True)
        if timeline:
            click.echo(_timeline_text(timeline_report(results)))
    if not all(result.ok for result in results):
        raise SystemExit(1)


def _timeline_text(report: dict) -> str:
    lines = []
    for test in report["tests"]:
        lines.append(f"Timeline of test group {test['name']!r}:")
        for alert in test["alerts"]:
            labels = ", ".join(f'{k}="{v}"' for k, v in alert["labels"].items())
            for interval in alert["intervals"]:
                lines.append(
                    f"  {alert['alertname']}{{{labels}}} pending_at={_moment(interval['pending_at'])} "
                    f"firing_at={_moment(interval['firing_at'], 'never')} "
                    f"resolved_at={_moment(interval['resolved_at'], 'still-active')}"
                )
    return "\n".join(lines)


def _moment(seconds, missing: str = "") -> str:
    """Seconds from the test group's start as `60s`; `missing` when the time is null in the JSON
    (firing_at: never fired; resolved_at: still active at the last evaluation)."""
    return missing if seconds is None else f"{seconds}s"
