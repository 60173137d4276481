"""The comparison document (changes.compare) as a PR comment in GitHub-flavoured markdown, or as JSON.

Deterministic: no wall-clock figures, sections in a fixed order, rows in name order.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

from common.durations import format_duration

REGRESSION_MARK = "⚠️"
IMPROVEMENT_MARK = "✅"


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_markdown(document: dict[str, Any]) -> str:
    lines = [f"## alertkit diff: {document['base']['label']} → {document['head']['label']}", ""]
    if document["head"].get("uncommitted"):
        paths = ", ".join(f"`{path}`" for path in document["head"]["uncommitted"])
        lines += [f"The working tree has uncommitted changes in {paths}.", ""]
    lines += _regressions(document["regressions"])
    lines += _alerts(document["alerts"], document["inhibit_rules"])
    lines += _runbooks(document["runbooks"])
    lines += _scenarios(document["scenarios"])
    lines += _reuse(document.get("reuse"))
    return "\n".join(lines).rstrip("\n") + "\n"


def _duration(seconds: float | int | None, missing: str = "never") -> str:
    if seconds is None:
        return missing
    ms = round(seconds * 1000)
    return format_duration(ms) if ms >= 0 else "-" + format_duration(-ms)


def _signed(seconds: float | int | None) -> str:
    if seconds is None:
        return ""
    if seconds == 0:
        return "±0"
    return ("+" if seconds > 0 else "") + _duration(seconds)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return f"`{text}`"


def _table(header: tuple[str, ...], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def _regressions(regressions: list[dict]) -> list[str]:
    if not regressions:
        return ["**No regressions** in detection or paging.", ""]
    lines = [f"**{REGRESSION_MARK} {len(regressions)} regression(s)**", ""]
    rows = [(f"`{r['scenario']}`", r["kind"], r["where"], r["detail"]) for r in regressions]
    return lines + _table(("scenario", "regression", "where", "detail"), rows)


def _alerts(alerts: dict, inhibit_rules: dict) -> list[str]:
    lines = ["### Alerts", ""]
    if not (alerts["added"] or alerts["removed"] or alerts["changed"]):
        lines += ["No alert changed.", ""]
    for title, entries in (("Added", alerts["added"]), ("Removed", alerts["removed"])):
        for entry in entries:
            receivers = ", ".join(entry["receivers"]) or "no receiver"
            lines.append(
                f"- {title}: **{entry['name']}** ({entry['source']}): {entry['severity']} of team {entry['team']}, "
                f"reaches {receivers}"
            )
        if entries:
            lines.append("")
    for entry in alerts["changed"]:
        lines += [f"**{entry['name']}** ({entry['source']})", ""]
        rows = [(change["field"], _cell(change["before"]), _cell(change["after"])) for change in entry["changes"]]
        lines += _table(("field", "before", "after"), rows)
    if inhibit_rules["added"] or inhibit_rules["removed"]:
        lines += ["Inhibit rules:", ""]
        lines += [f"- added: {rule}" for rule in inhibit_rules["added"]]
        lines += [f"- removed: {rule}" for rule in inhibit_rules["removed"]]
        lines.append("")
    return lines


def _runbooks(runbooks: list[dict]) -> list[str]:
    if not runbooks:
        return ["### Runbooks", "", "No rendered runbook changed.", ""]
    lines = ["### Runbooks", ""]
    for entry in runbooks:
        lines.append(f"- **{entry['alert']}** ({entry['status']})")
        for section in entry["sections"]:
            lines.append(f"  - section *{section['title']}* {section['status']}")
        diff = [
            line.rstrip("\n")
            for section in entry["sections"]
            for line in difflib.unified_diff(
                (section["before"] or "").splitlines(keepends=True),
                (section["after"] or "").splitlines(keepends=True),
                f"{section['title']} (before)",
                f"{section['title']} (after)",
                n=1,
            )
        ]
        if diff:
            lines += ["", "  <details><summary>changed lines</summary>", "", "  ```diff"]
            lines += [f"  {line}" for line in diff]
            lines += ["  ```", "", "  </details>"]
    return lines + [""]


def _scenarios(scenarios: list[dict]) -> list[str]:
    lines = ["### Detection and paging", ""]
    unchanged = []
    for scenario in scenarios:
        if scenario["status"] != "compared":
            lines += [f"- scenario `{scenario['path']}` {scenario['status']}", ""]
            continue
        if not _differs(scenario):
            unchanged.append(f"`{scenario['name']}`")
            continue
        lines += _scenario(scenario)
    if unchanged:
        lines += [f"Unchanged detection and paging: {', '.join(unchanged)}.", ""]
    return lines


def _differs(scenario: dict) -> bool:
    keys = ("false_positives", "false_pages", "notifications", "pages", "passed")
    return (
        scenario["scenario_changed"]
        or any(row["before"] != row["after"] for row in scenario["detections"] + scenario["incidents"])
        or any(scenario[key]["before"] != scenario[key]["after"] for key in keys)
    )


def _scenario(scenario: dict) -> list[str]:
    marks: dict[str, str] = {}
    for regression in scenario["regressions"]:
        marks[regression["where"]] = ", ".join(filter(None, (marks.get(regression["where"]), regression["kind"])))
    changed = " (scenario file changed)" if scenario["scenario_changed"] else ""
    lines = [f"#### {scenario['name']} (`{scenario['path']}`){changed}", ""]
    rows: list[tuple[str, ...]] = []
    for row in scenario["detections"]:
        old, new = row["before"] or {}, row["after"] or {}
        budget = new.get("budget_s", old.get("budget_s"))
        rows.append(
            (
                row["incident"],
                row["alert"],
                _duration(budget),
                _duration(old.get("time_to_detect_s")),
                _duration(new.get("time_to_detect_s")),
                _signed(row["delta_s"]),
                _mark(marks.get(f"{row['incident']}: {row['alert']}"), row["delta_s"]),
            )
        )
    if rows:
        lines += _table(("incident", "expected alert", "budget", "detected before", "after", "Δ", ""), rows)
    paging_rows: list[tuple[str, ...]] = []
    for row in scenario["incidents"]:
        old, new = row["before"] or {}, row["after"] or {}
        paging_rows.append(
            (
                row["incident"],
                _duration(old.get("time_to_page_s")),
                _duration(new.get("time_to_page_s")),
                _signed(row["delta_s"]),
                f"{old.get('pages', '—')} → {new.get('pages', '—')}",
                f"{', '.join(old.get('receivers', [])) or '—'} → {', '.join(new.get('receivers', [])) or '—'}",
                f"{', '.join(old.get('inhibited', [])) or '—'} → {', '.join(new.get('inhibited', [])) or '—'}",
                _mark(marks.get(row["incident"]), row["delta_s"]),
            )
        )
    if paging_rows:
        header = ("incident", "paged before", "after", "Δ", "pages", "receivers", "inhibited", "")
        lines += _table(header, paging_rows)
    totals = []
    for key, title in (
        ("false_pages_per_week", "false pages/week"),
        ("false_positives_per_week", "false positives/week"),
        ("notifications", "notifications"),
        ("pages", "pages"),
    ):
        pair = scenario[key]
        totals.append(f"{title} {_number(pair['before'])} → {_number(pair['after'])}")
    passed = scenario["passed"]
    totals.append(f"expectations {_verdict(passed['before'])} → {_verdict(passed['after'])}")
    mark = f" {REGRESSION_MARK} {marks[scenario['name']]}" if scenario["name"] in marks else ""
    return lines + ["; ".join(totals) + mark, ""]


def _verdict(passed: bool | None) -> str:
    return "—" if passed is None else "pass" if passed else "FAIL"


def _number(value: Any) -> str:
    return "—" if value is None else str(value)


def _mark(regression: str | None, delta: float | int | None) -> str:
    if regression:
        return f"{REGRESSION_MARK} {regression}"
    if delta is not None and delta < 0:
        return f"{IMPROVEMENT_MARK} faster"
    return ""


def _reuse(reuse: dict | None) -> list[str]:
    if not reuse:
        return []
    head = reuse["head"]
    series = head["series_reused"] + head["series_generated"]
    groups = head["groups_reused"] + head["groups_evaluated"]
    paging = head["paging_reused"] + head["paging_computed"]
    return [
        f"<sub>Simulated with alertkit; the working side reused {head['series_reused']}/{series} scenarios' "
        f"series, {head['groups_reused']}/{groups} rule-group evaluations and {head['paging_reused']}/{paging} "
        "paging runs from the base side (docs/review.md).</sub>",
        "",
    ]
