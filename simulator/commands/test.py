"""`alertkit test`: run promtool unit-test files on alertkit's evaluator (thin over the core)."""

import json

import click

from simulator.promql.allocator import allow_malloc_tuning
from simulator.promtool.runner import render_file_result, run_test_file, timeline_report


@click.command("test")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--timeline", is_flag=True, help="Also report every alert's pending/firing/resolved times.")
@click.option("--json", "as_json", is_flag=True, help="With --timeline: print the timeline as JSON only.")
def test_command(files: tuple[str, ...], timeline: bool, as_json: bool) -> None:
    """Run promtool 2.42 `test rules` FILES; exit 1 if any test fails, like promtool."""
    if as_json and not timeline:
        raise click.UsageError("--json is the format of --timeline; use --timeline --json")
    allow_malloc_tuning()
    results = [run_test_file(path) for path in files]
    if timeline and as_json:
        click.echo(json.dumps(timeline_report(results), indent=2, sort_keys=False))
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
                    f"  {alert['alertname']}{{{labels}}} pending_at={interval['pending_at']}s "
                    f"firing_at={interval['firing_at']}s resolved_at={interval['resolved_at']}s"
                )
    return "\n".join(lines)
