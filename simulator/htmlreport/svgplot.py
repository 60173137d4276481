"""Draw a planned plot (panels.AlertPlot) as SVG with matplotlib: sharp at any zoom, small, no GUI, deterministic.

Only matplotlib's object API is used (a Figure on its SVG canvas): pyplot would pick a process-wide backend and
keep figures in a global registry. The rcParams that make the SVG byte-identical from run to run (a fixed
svg.hashsalt for the ids of clip paths and glyphs, glyphs as paths rather than a font the browser must find) are
set in an rc_context, which restores matplotlib's settings when the drawing is done; the SVG metadata carries no
date.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator

from common.durations import format_duration

from .panels import FIRING, PENDING, AlertPlot, Panel, Plotted, Window

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # the rcParams names (matplotlib >= 3.11 ships the type)

# The settings that make matplotlib's SVG deterministic and self-contained (matplotlibrc: svg.hashsalt,
# svg.fonttype "path": glyphs drawn as paths, no font reference for the browser to resolve).
SVG_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "alertkit-report",
    "svg.fonttype": "none",
    "svg.image_inline": True,
    "font.family": "sans-serif",
    "font.size": 8.0,
    "path.simplify": True,
    "axes.titlesize": 8.0,
    "axes.titlelocation": "left",
}
# SVG metadata (backend_svg.py _write_metadata): no Date, so two runs write the same bytes.
SVG_METADATA = {"Date": None, "Creator": "alertkit report (matplotlib)"}

WIDTH_IN = 11.0
PANEL_HEIGHT_IN = 1.9  # one condition's row, with the gap above it for its title
PANEL_GAP_IN = 0.45
TOP_IN = 0.55  # the windows' titles and the first condition's title
BOTTOM_IN = 0.65  # tick labels and the legend
LEFT_IN = 0.5
RIGHT_IN = 0.35  # room for the last tick label
MINUTE_MS = 60_000
MAX_TICKS = 7
# Tick spacings a reader counts in: minutes, hours, days (the axis is in minutes from the plot's origin).
TICK_STEPS_MIN = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
BAND_COLORS = {PENDING: "#f5c242", FIRING: "#e0453a"}
BAND_ALPHA = 0.22
MARK_STYLES = {  # notification kind -> (marker, color)
    "page": ("v", "#b00020"),
    "update": ("v", "#e68a00"),
    "repeat": ("v", "#e68a00"),
    "notify": ("v", "#1f5fbf"),
    "resolved": ("^", "#2e7d32"),
}
CURVE_COLORS = ("#1f77b4", "#9467bd", "#17becf", "#8c564b")
TITLE_CHARS = 88  # a panel's title (its condition) shows this much: one column's width at 7 pt


def render_svg(plot: AlertPlot) -> bytes:
    """The plot as an SVG document (bytes), identical for identical input."""
    with matplotlib.rc_context(SVG_RC):
        figure = _figure(plot)
        buffer = io.BytesIO()
        FigureCanvasSVG(figure)
        figure.savefig(buffer, format="svg", metadata={**SVG_METADATA, "Title": _title(plot)})
    return buffer.getvalue()


def _title(plot: AlertPlot) -> str:
    where = f"incident {plot.incident}" if plot.incident else "false positive"
    return f"{plot.alertname} ({plot.role}) — {where} — {plot.scenario}"


def figure_size_in(plot: AlertPlot) -> tuple[float, float]:
    """The SVG's width and height in inches (the page gives its <img> the same shape)."""
    return WIDTH_IN, PANEL_HEIGHT_IN * _rows(plot) + TOP_IN + BOTTOM_IN


def _rows(plot: AlertPlot) -> int:
    return max(1, max(len(w.panels) for w in plot.windows))


def _figure(plot: AlertPlot) -> Figure:
    """Fixed margins (constrained layout would measure every text twice; the plots all look alike)."""
    rows = _rows(plot)
    height = figure_size_in(plot)[1]
    figure = Figure(figsize=(WIDTH_IN, height))
    grid = figure.add_gridspec(
        rows,
        len(plot.windows),
        left=LEFT_IN / WIDTH_IN,
        right=1 - RIGHT_IN / WIDTH_IN,
        top=1 - TOP_IN / height,
        bottom=BOTTOM_IN / height,
        wspace=0.12,
        hspace=PANEL_GAP_IN / (PANEL_HEIGHT_IN - PANEL_GAP_IN),
    )
    for column, window in enumerate(plot.windows):
        axes = [figure.add_subplot(grid[row, column]) for row in range(rows)]
        for row, ax in enumerate(axes):
            panel = window.panels[row] if row < len(window.panels) else None
            _draw_panel(ax, plot, window, panel, top=row == 0, legend=column == 0)
            if row:
                ax.sharex(axes[0])
        center = (axes[0].get_position().x0 + axes[0].get_position().x1) / 2
        title = f"{window.title} (times from the {plot.origin_words})"
        figure.text(center, 1 - 0.08 / height, title, ha="center", va="top", fontsize=8.5)
    figure.legend(handles=_legend_handles(plot), loc="lower center", ncols=8, frameon=False)
    return figure


def _draw_panel(ax, plot: AlertPlot, window: Window, panel: Panel | None, top: bool, legend: bool) -> None:
    lo, hi = _minutes(window.start_ms, plot), _minutes(window.end_ms, plot)
    ax.set_xlim(lo, hi)
    for band in plot.bands:
        if band.end_ms > window.start_ms and band.start_ms < window.end_ms:
            ax.axvspan(
                _minutes(max(band.start_ms, window.start_ms), plot),
                _minutes(min(band.end_ms, window.end_ms), plot),
                color=BAND_COLORS[band.state],
                alpha=BAND_ALPHA,
                linewidth=0,
            )
    if panel is not None:
        _draw_values(ax, plot, panel, legend)
    ax.axvline(0.0, color="black", linewidth=1.2)
    if plot.deadline_ms is not None:
        ax.axvline(_minutes(plot.deadline_ms, plot), color="#555555", linewidth=1.0, linestyle=":")
    if top:
        _draw_marks(ax, plot, window)
    ax.xaxis.set_major_locator(MultipleLocator(_tick_step(hi - lo)))
    ax.xaxis.set_major_formatter(FuncFormatter(_tick_label))
    ax.grid(True, linewidth=0.3, color="#cccccc")


def _draw_values(ax, plot: AlertPlot, panel: Panel, legend: bool) -> None:
    ax.set_title(condition_title(panel.condition), fontsize=7.0, loc="left", pad=9)
    if not panel.curves:
        ax.text(0.5, 0.5, panel.note, transform=ax.transAxes, ha="center", va="center", color="#777777")
        return
    condition = panel.condition
    for color, curve in zip(CURVE_COLORS, panel.curves):
        ax.plot(_minutes_array(curve.t_ms, plot), curve.values, color=color, linewidth=1.1, label=curve.label)
    for curve in panel.threshold_curves:  # a threshold that is itself a series
        ax.plot(_minutes_array(curve.t_ms, plot), curve.values, color="black", linewidth=0.9, linestyle="--")
    if condition.threshold is not None and math.isfinite(condition.threshold):
        ax.axhline(condition.threshold, color="black", linewidth=0.9, linestyle="--")
    if condition.op is None:
        ax.set_ylim(0, 1.5)
        ax.set_yticks([1.0], ["present"])
    if panel.note:
        ax.text(0.99, 0.03, panel.note, transform=ax.transAxes, ha="right", va="bottom", color="#777777")
    if legend:  # the same series in every window: one legend per row
        ax.legend(loc="upper left", fontsize=6.5, frameon=True, framealpha=0.8)


def condition_title(condition: Plotted) -> str:
    """`expr op threshold` as a panel's title; long expressions are cut, never the operator and threshold."""
    if condition.threshold_expr is not None:
        half = (TITLE_CHARS - len(condition.op or "") - 2) // 2
        return f"{_cut(condition.expr, half)} {condition.op} {_cut(condition.threshold_expr, half)}"
    if condition.op is not None and condition.threshold is not None:
        suffix = f" {condition.op} {condition.threshold:.6g}"
    else:
        suffix = " (present)"
    return _cut(condition.expr, TITLE_CHARS - len(suffix)) + suffix


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 1)] + "…"


def _draw_marks(ax, plot: AlertPlot, window: Window) -> None:
    """Notifications as markers on the top edge (x in data, y in axes units); an uncertain time as a span."""
    transform = ax.get_xaxis_transform()
    for mark in plot.marks:
        if not window.start_ms <= mark.at_ms <= window.end_ms:
            continue
        marker, color = MARK_STYLES.get(mark.kind, ("v", "#444444"))
        x = _minutes(mark.at_ms, plot)
        ax.plot([x], [1.0], marker=marker, color=color, markersize=7, transform=transform, clip_on=False)
        if mark.earliest_ms != mark.latest_ms:
            ax.plot(
                [_minutes(mark.earliest_ms, plot), _minutes(mark.latest_ms, plot)],
                [1.0, 1.0],
                color=color,
                linewidth=2.0,
                transform=transform,
                clip_on=False,
            )


def _legend_handles(plot: AlertPlot) -> list:
    handles = [
        Line2D([], [], color="black", linestyle="--", linewidth=0.9, label="threshold"),
        Patch(color=BAND_COLORS[PENDING], alpha=BAND_ALPHA * 2, label="pending"),
        Patch(color=BAND_COLORS[FIRING], alpha=BAND_ALPHA * 2, label="firing"),
        Line2D([], [], color="black", linewidth=1.2, label=plot.origin_words),
    ]
    if plot.deadline_ms is not None:
        handles.append(Line2D([], [], color="#555555", linestyle=":", label="budget deadline"))
    for kind in dict.fromkeys(m.kind for m in plot.marks):
        marker, color = MARK_STYLES.get(kind, ("v", "#444444"))
        handles.append(Line2D([], [], marker=marker, color=color, linestyle="none", label=f"{kind} sent"))
    return handles


def _minutes(t_ms: int, plot: AlertPlot) -> float:
    return (t_ms - plot.origin_ms) / MINUTE_MS


def _minutes_array(t_ms: np.ndarray, plot: AlertPlot) -> np.ndarray:
    return (t_ms - plot.origin_ms) / MINUTE_MS


def _tick_step(span_min: float) -> float:
    for step in TICK_STEPS_MIN:
        if span_min / step <= MAX_TICKS:
            return float(step)
    return float(TICK_STEPS_MIN[-1] * math.ceil(span_min / MAX_TICKS / TICK_STEPS_MIN[-1]))


def _tick_label(minutes: float, _position=None) -> str:
    ms = round(minutes * MINUTE_MS)
    if ms == 0:
        return "0"
    return ("+" if ms > 0 else "-") + format_duration(abs(ms))
