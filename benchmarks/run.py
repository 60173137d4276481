"""`make bench`: run every benchmark in one process run and write BENCHMARKS.md.

Machines are shared and noisy, so every figure that compares with promtool is a ratio measured
in the same run, next to the machine notes it was taken on.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "BENCHMARKS.md"
RAW = ROOT / "benchmarks" / "results.json"
# Section name in results.json -> its module, in the order BENCHMARKS.md shows them.
SECTIONS = [
    ("compile", "compile_bench"),
    ("promtool_test", "promtool_file_bench"),
    ("simulate", "simulate_bench"),
    ("paging", "paging_bench"),
    ("plugin", "plugin_bench"),
    ("diff", "diff_bench"),
    ("peer_suites", "peer_bench"),
    ("backtest", "backtest_bench"),
    ("tune", "tune_bench"),
]


def machine_notes() -> dict:
    import numpy

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    promtool = subprocess.run(
        ["promtool", "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "promtool": promtool[0] if promtool else "missing",
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main(only: list[str] | None = None) -> int:
    """Run every benchmark, or (`python -m benchmarks.run NAME...`) only the named ones, keeping the other
    sections' last results from results.json; a partial run records its machine notes in its sections."""
    from benchmarks import (
        backtest_bench,
        compile_bench,
        diff_bench,
        paging_bench,
        peer_bench,
        plugin_bench,
        promtool_file_bench,
        simulate_bench,
        tune_bench,
    )

    # Fresh `alertkit` processes read compiled bytecode, as after `pip install` (this environment may set
    # PYTHONDONTWRITEBYTECODE, which would make every process compile every module).
    promtool_file_bench.compile_bytecode()
    results = {"machine": machine_notes()}
    if only:
        results = json.loads(RAW.read_text())
    for name, module in [
        ("compile", compile_bench),
        ("promtool_test", promtool_file_bench),
        ("simulate", simulate_bench),
        ("paging", paging_bench),
        ("plugin", plugin_bench),
        ("diff", diff_bench),
        ("peer_suites", peer_bench),
        ("backtest", backtest_bench),
        ("tune", tune_bench),
    ]:
        if only and name not in only:
            continue
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        results[name] = module.run()
        if only:
            results[name]["machine"] = machine_notes()
    RAW.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    OUTPUT.write_text(render(results) if not only else replace_sections(OUTPUT.read_text(), results, only))
    print(f"wrote {OUTPUT.relative_to(ROOT)} and {RAW.relative_to(ROOT)}", file=sys.stderr)
    return 0


def render(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`benchmarks/run.py`); raw numbers in `benchmarks/results.json`.",
        "Every comparison with promtool is a ratio measured in the same run on the same machine.",
        "",
        "## Machine",
        "",
        f"- date: {m['date']}",
        f"- cpu: {m['cpu']} ({m['cores']} cores, shared; load average at start {m['load_average']})",
        f"- python {m['python']}, numpy {m['numpy']}; {m['promtool']}",
        "- the machine is shared with other work (other sessions run test suites): figures are medians where "
        "stated, and ratios pair runs taken minutes apart; CPU seconds (user + system) are less sensitive to load",
        *([f"- {m['note']}"] if m.get("note") else []),
        "",
    ]
    lines += goals_summary(results)
    for name, module_name in SECTIONS:
        if name not in results:
            continue
        module = __import__(f"benchmarks.{module_name}", fromlist=["run"])
        render_section = getattr(module, "markdown", None) or generic_markdown(name)
        lines += render_section(results[name])
        lines.append("")
    return "\n".join(lines)


# Linear growth: the cost per day of the longest span stays within this factor of the 14-day file's.
LINEAR_GROWTH_TOLERANCE = 1.25


def goals_summary(results: dict) -> list[str]:
    """Issue 12's acceptance, each figure next to its goal, from the sections of this run."""
    rows = [_goal_row(*row) for row in _goal_rows(results)]
    if not rows:
        return []
    return [
        "## Performance goals (issue 12)",
        "",
        "| goal | measured | |",
        "|---|---|---|",
        *rows,
        "",
    ]


def _goal_rows(results: dict):
    test = results.get("promtool_test", {})
    files = test.get("long_files", {})
    if "wall_ratio" in files.get("14d", {}):
        d14 = files["14d"]
        yield (
            "`alertkit test` >= 20x promtool (wall) on the 14-day file",
            f"{d14['wall_ratio']}x",
            d14["wall_ratio"] >= 20,
        )
    per_day = {span: r["alertkit_cpu_s"] / int(span[:-1]) for span, r in files.items()}
    if len(per_day) > 1:
        longest = max(per_day, key=lambda span: int(span[:-1]))
        growth = per_day[longest] / per_day["14d"] if "14d" in per_day else None
        if growth is not None:
            shown = ", ".join(f"{span} {cost:.3f} s" for span, cost in per_day.items())
            yield (
                "growth linear in span (CPU s per day)",
                f"{shown} ({longest}/14d: {growth:.2f})",
                growth <= LINEAR_GROWTH_TOLERANCE,
            )
    large = results.get("simulate", {}).get("large_90d_1000_series", {})
    if "total_s" in large:
        yield "90 d x 1,000 series under 5 s", f"{large['total_s']} s (CPU {large['cpu_s']} s)", large["total_s"] < 5
        yield "90 d x 1,000 series under 1 GB peak RSS", f"{large['peak_rss_mb']} MB", large["peak_rss_mb"] < 1024
    one = test.get("one_case", {})
    if one:
        floor = f"; `import numpy` alone {one['floor_python_numpy_s']} s" if "floor_python_numpy_s" in one else ""
        measured = f"{one['alertkit_wall_s']} s (promtool {one['promtool_wall_s']} s{floor})"
        yield "one-case file at most 0.2 s (median of 5)", measured, one["alertkit_wall_s"] <= 0.2
    for name, suite in test.get("per_file_suites", {}).items():
        yield f"{name} suite, one process per file, no slower than promtool", f"{suite['ratio']}x", suite["ratio"] >= 1


def _goal_row(goal: str, measured: str, met: bool) -> str:
    return f"| {goal} | {measured} | {'met' if met else '**NOT met**'} |"


def replace_sections(text: str, results: dict, names: list[str]) -> str:
    """BENCHMARKS.md with the named sections re-rendered in place (appended when new); the rest, notes
    included, left as it is."""
    for name in names:
        module = __import__(f"benchmarks.{dict(SECTIONS)[name]}", fromlist=["run"])
        section = "\n".join((getattr(module, "markdown", None) or generic_markdown(name))(results[name])) + "\n"
        heading = section.splitlines()[0]
        start = text.find(heading + "\n")
        if start < 0:
            text = text.rstrip("\n") + "\n\n" + section
            continue
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + ("\n" + text[end + 1 :] if end >= 0 else "")
    return text


def generic_markdown(title: str):
    def render_section(result: dict) -> list[str]:
        rows = [f"## {title}", "", "| measure | value |", "|---|---|"]
        rows += [f"| {key} | {value} |" for key, value in sorted(result.items())]
        return rows

    return render_section


if __name__ == "__main__":
    from simulator.promql.allocator import allow_malloc_tuning

    allow_malloc_tuning()  # as the alertkit command line does
    sys.exit(main(sys.argv[1:]))
