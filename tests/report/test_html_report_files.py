"""The report's files: names, local references only, byte-identical across runs, and what the page says."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.htmlreport.svgplot import render_svg

EXPECTED_FILES = [
    "index.html",
    "plots/nulls/geo-nulls--NullsSpike.svg",
    "plots/nulls/geo-nulls--TrafficGone.svg",
    "plots/outage/lb-misconfig--TrafficGone.svg",
]
# XML namespace and DTD names: identifiers a browser never fetches.
NAMESPACE_URLS = {
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://creativecommons.org/ns#",
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/dc/dcmitype/StillImage",
}
_REFERENCE = re.compile(r"""(?:href|src)\s*=\s*["']([^"']*)["']|url\(\s*["']?([^"')]*)""")
_URL = re.compile(r"""[a-z][a-z0-9+.-]*://[^\s"'<>)]*""", re.I)


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_the_report_has_one_svg_per_incident_and_alert_with_deterministic_names(built_report):
    assert sorted(files_of(built_report)) == EXPECTED_FILES
    page = (built_report / "index.html").read_text()
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert sorted(sources) == EXPECTED_FILES[1:]  # every plot on the page, every image a file
    assert not list(built_report.parent.glob(".report.staging-*"))  # the staging directory is gone


def test_nothing_refers_outside_the_report_directory(built_report):
    """No network use: every reference is a fragment or a relative path inside the directory; the only
    absolute URLs are XML namespace names."""
    for name, content in files_of(built_report).items():
        text = content.decode("utf-8")
        for match in _REFERENCE.finditer(text):
            target = match.group(1) or match.group(2)
            if target.startswith("#"):
                continue
            assert "://" not in target and not target.startswith(("/", "data:", "..")), (name, target)
            assert (built_report / name).parent.joinpath(target).resolve().is_file(), (name, target)
        assert set(_URL.findall(text)) <= NAMESPACE_URLS, name
        assert "<script" not in text and "@import" not in text and "@font-face" not in text, name


def test_two_runs_in_two_processes_write_byte_identical_reports(built_report):
    """Another process, another hash seed, another directory name: the same bytes (svg.hashsalt, no dates)."""
    project = built_report.parent
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    run = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "report", "--out", "again"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert "wrote again/index.html (3 plots, 4 files," in run.stderr
    assert files_of(project / "again") == files_of(built_report)


def test_an_svg_is_the_same_bytes_each_time_it_is_drawn(simulated):
    from simulator.htmlreport.panels import PlotPlanner

    result, evaluation = simulated
    [plot, *_] = PlotPlanner(result, evaluation).plots()
    first, second = render_svg(plot), render_svg(plot)
    assert first == second
    assert b"<dc:date>" not in first  # no creation date
    assert b"<dc:title>NullsSpike (expected)" in first


def test_the_page_shows_the_coverage_matrix_and_the_incident_summaries(built_report):
    page = (built_report / "index.html").read_text()
    matrix = page[page.index('<section id="coverage">') : page.index("</section>")]
    assert "<th>nulls</th><th>outage</th><th>quiet</th>" in matrix
    row = re.search(r"<tr><td>data</td><th>NullsSpike</th>.*?</tr>", matrix).group(0)  # null_rate: layer data
    assert re.search(r'<td class="ok">fired at \+\d+m\d*s?</td><td class="none">not covered</td>', row), row
    assert row.endswith('<td class="ok">silent</td></tr>')  # the quiet scenario
    # The incident analysis (simulator/incidents): clustered incident, root, pages, postmortem skeleton.
    summary = page[page.index("<strong>incident 1 (declared: geo-nulls)</strong>") :]
    assert "<dt>root alert</dt><dd>NullsSpike &mdash; the earliest to fire" in summary
    assert "<dt>pages</dt><dd>NullsSpike -&gt; fixture-pager</dd>" in summary
    assert "<summary>postmortem skeleton</summary><pre># Postmortem: NullsSpike (incident 1 of nulls)" in summary
    quiet = page[page.index('<section id="scenario-quiet">') :]
    assert "<h3>Incident summaries</h3>\n<p>No incident.</p>" in quiet


@pytest.mark.parametrize("scenario", ["nulls"])
def test_plots_follow_the_simulation(simulated, scenario):
    """The planned plot carries the alert's real pending/firing stretches, its threshold, the incident start,
    the budget deadline and the notifications sent about it."""
    from simulator.htmlreport.panels import FIRING, PENDING, PlotPlanner

    result, evaluation = simulated
    plots = {(p.incident, p.alertname): p for p in PlotPlanner(result, evaluation).plots()}
    assert sorted(plots) == [("geo-nulls", "NullsSpike"), ("geo-nulls", "TrafficGone")]
    plot = plots[("geo-nulls", "NullsSpike")]
    [incident] = result.scenario.incidents
    [interval] = next(tl for tl in result.timelines if tl.alertname == "NullsSpike").intervals
    assert (plot.role, plot.origin_ms, plot.deadline_ms) == ("expected", incident.start_ms, incident.start_ms + 600_000)
    bands = [(b.state, b.start_ms, b.end_ms) for b in plot.bands]
    assert bands == [
        (PENDING, interval.pending_at_ms, interval.firing_at_ms),
        (FIRING, interval.firing_at_ms, interval.resolved_at_ms),
    ]
    sent = [n for n in result.paging.notifications if "NullsSpike" in str(n.firing + n.resolved)]
    assert [(m.at_ms, m.kind, m.receiver) for m in plot.marks] == [(n.at_ms, n.kind, n.receiver) for n in sent]
    assert [m.kind for m in plot.marks][:1] == ["page"] and "resolved" in [m.kind for m in plot.marks]
    around, whole = plot.windows
    assert around.start_ms < incident.start_ms < interval.firing_at_ms < around.end_ms
    assert whole.start_ms < incident.start_ms and whole.end_ms >= incident.window_end_ms
    [ratio] = around.panels  # one panel per threshold condition of the expression
    assert (ratio.condition.op, ratio.condition.threshold) == (">", 0.01)
    geo = next(c for c in ratio.curves if 'feature="user_geo"' in c.label)
    crossing = geo.t_ms[geo.values > 0.01]
    assert crossing[0] == interval.pending_at_ms  # the curve crosses the threshold where the alert goes pending
    silent = plots[("geo-nulls", "TrafficGone")]
    assert silent.role == "silent" and silent.bands == () and silent.deadline_ms is None


def test_an_incident_analysis_plugs_in_through_the_summary_provider(simulated):
    """The seam: any function from a simulation result to IncidentSummary data feeds the summaries section;
    every field it fills is shown, escaped."""
    from simulator.htmlreport.build import ReportBuilder
    from simulator.htmlreport.summaries import CauseSummary, IncidentSummary, simulation_summaries

    result, evaluation = simulated

    def analysis(scenario_result, scenario_evaluation):
        assert scenario_evaluation is evaluation  # the provider may query the rules' outputs
        [plain] = simulation_summaries(scenario_result)
        return [
            IncidentSummary(
                name="incident 1",
                start_ms=plain.start_ms,
                end_ms=plain.end_ms,
                root_alert="NullsSpike",
                root_reason="declared by symptom_of",
                fired=plain.fired,
                time_to_detect_ms=plain.time_to_detect_ms,
                time_to_page_ms=plain.time_to_page_ms,
                pages=plain.pages,
                causes=(CauseSummary("deploy v2.3.1 <canary>", ("null rate 0.002 → 0.032, 1 min before",)),),
                postmortem_markdown="# Postmortem\n\n## Summary\n",
            )
        ]

    builder = ReportBuilder(summaries=analysis)
    builder.add_scenario(result, evaluation)
    page = builder.finish(None)["index.html"].decode()
    assert "<strong>incident 1</strong>" in page
    assert "<dd>NullsSpike &mdash; declared by symptom_of</dd>" in page
    assert "<li>deploy v2.3.1 &lt;canary&gt;<ul><li>null rate 0.002 → 0.032, 1 min before</li></ul></li>" in page
    assert "<pre># Postmortem\n\n## Summary\n</pre>" in page
    assert 'id="coverage"' not in page  # no matrix was given


def test_simulation_summaries_name_the_first_alert_to_fire(simulated):
    from simulator.htmlreport.summaries import simulation_summaries

    result, _evaluation = simulated
    [summary] = simulation_summaries(result)
    [detection] = [d for d in result.detections if d.alertname == "NullsSpike"]
    assert (summary.name, summary.root_alert) == ("geo-nulls", "NullsSpike")
    assert [f.alertname for f in summary.fired] == ["NullsSpike"]
    assert summary.fired[0].firing_at_ms == detection.detected_at_ms
    assert summary.time_to_detect_ms == detection.time_to_detect_ms
    assert summary.time_to_page_ms == result.paging.incidents[0].time_to_page_ms
    assert summary.pages == ("NullsSpike -> fixture-pager",)
