"""What `alertkit tune` prints and plots: one row per setting, the Pareto front and the current setting marked."""

from __future__ import annotations

import html
import io
from pathlib import Path

from common.durations import format_duration

from .run import SettingResult, TuneResult

FRONT_MARK = "*"
CURRENT_MARK = "<- current"


def render_text(result: TuneResult) -> str:
    incidents = [(i.scenario, i.incident) for i in result.results[0].incidents] if result.results else []
    front = set(result.front)
    false_label = "false pages/wk" if result.paged else "false firings/wk"
    header = ["", "threshold", "for"]
    for scenario, incident in incidents:
        header += [f"TTD {scenario}/{incident}"] + ([f"TTP {scenario}/{incident}"] if result.paged else [])
    header += ["mean TTD", false_label, ""]
    rows = [header]
    for r in result.results:
        row = [
            FRONT_MARK if r.setting in front else "",
            f"{r.setting.threshold:.6g}",
            format_duration(r.setting.for_ms),
        ]
        for i in r.incidents:
            row.append(_time(i.time_to_detect_ms))
            if result.paged:
                row.append(_time(i.time_to_page_ms))
        row += [_time(round(r.mean_time_to_detect_ms)), f"{r.false_pages_per_week:.2f}"]
        row.append(CURRENT_MARK if r.setting == result.current else "")
        rows.append(row)
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    weeks = result.results[0].weeks if result.results else 0.0
    summary = [
        f"tune {result.alertname}: {len(result.results)} setting(s) over {weeks:.2f} week(s) of scenarios",
        f"{FRONT_MARK} = Pareto front (no other setting has both fewer {false_label.split('/')[0]} and a shorter "
        "mean time to detect; a missed incident counts as its whole window)",
        f"current setting: {result.current.describe()}",
        "TTD = time to detect" + (", TTP = time to page" if result.paged else "") + "; - = missed",
        "",
    ]
    return "\n".join(summary + lines) + "\n"


def _time(ms: int | None) -> str:
    return "-" if ms is None else format_duration(int(ms)) if ms else "0s"


def plot_front(result: TuneResult, path: Path) -> bytes:
    """The settings as points (false pages per week, mean time to detect), the front as a line, the current setting
    circled; returns the image (SVG or PNG, by the path's suffix)."""
    import matplotlib
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global figure registry

    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    xs = [r.false_pages_per_week for r in result.results]
    ys = [r.mean_time_to_detect_ms / 60000 for r in result.results]
    axes.scatter(xs, ys, color="#999999", label="settings", zorder=2)
    front = sorted((r for r in result.results if r.setting in set(result.front)), key=_front_order)
    axes.plot(
        [r.false_pages_per_week for r in front],
        [r.mean_time_to_detect_ms / 60000 for r in front],
        color="#1f77b4",
        marker="o",
        label="Pareto front",
        zorder=3,
    )
    for r in front:
        axes.annotate(
            f"{r.setting.threshold:.4g}, {format_duration(r.setting.for_ms)}",
            (r.false_pages_per_week, r.mean_time_to_detect_ms / 60000),
            textcoords="offset points",
            xytext=(5, 5),
            fontsize=7,
        )
    current = [r for r in result.results if r.setting == result.current]
    axes.scatter(
        [r.false_pages_per_week for r in current],
        [r.mean_time_to_detect_ms / 60000 for r in current],
        s=160,
        facecolors="none",
        edgecolors="#d62728",
        linewidths=2,
        label=f"current ({result.current.describe()})",
        zorder=4,
    )
    axes.set_xlabel(("false pages" if result.paged else "false firings") + " per week")
    axes.set_ylabel("mean time to detect (minutes)")
    axes.set_title(f"{result.alertname}: threshold and for")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    buffer = io.BytesIO()
    image_format = "png" if path.suffix.lower() == ".png" else "svg"
    metadata = {"Date": None} if image_format == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "alertkit-tune"}):  # stable element ids: byte-identical SVGs
        figure.savefig(buffer, format=image_format, metadata=metadata)
    return buffer.getvalue()


def _front_order(r: SettingResult) -> tuple[float, float]:
    return (r.false_pages_per_week, r.mean_time_to_detect_ms)


# The tune page carries the HTML report's generator tag, so `--report DIR` replaces an earlier report (of either
# command) whole and refuses a directory of other files (simulator/htmlreport/output.py).
TUNE_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="alertkit report">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file:; style-src 'unsafe-inline'">
<title>alertkit tune {alertname}</title>
<style>body {{ font-family: sans-serif; margin: 2em; }} pre {{ font-size: 0.9em; }}</style>
</head>
<body>
<h1>alertkit tune {alertname}</h1>
<p>Each point is one setting: false pages per week against mean time to detect. The line is the Pareto front
(no other setting detects sooner with fewer false pages); the circle is the current setting.</p>
<img src="{image}" alt="Pareto front of {alertname}">
<h2>Every setting</h2>
<pre>{table}</pre>
</body>
</html>
"""
FRONT_IMAGE = "front.svg"


def report_files(result: TuneResult, alertname: str) -> dict[str, bytes]:
    """The self-contained tune report: index.html with the table, and the front as an SVG beside it."""
    page = TUNE_PAGE.format(alertname=html.escape(alertname), image=FRONT_IMAGE, table=html.escape(render_text(result)))
    return {"index.html": page.encode("utf-8"), FRONT_IMAGE: plot_front(result, Path(FRONT_IMAGE))}
