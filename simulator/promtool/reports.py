"""Machine-readable results of `alertkit test`: the JUnit XML of promtool >= 2.55 (`--junit FILE`) and the
`--timeline --json` document with each test's result and failure text.

JUnit, as cmd/promtool/unittest.go writes it through util/junitxml (encoding/xml, no indentation, no XML
declaration): one <testsuite> per test file, named as the file was given, one <testcase> per test group (its
`name`, else `unnamed#<index>`). Every failure message of a group is one <failure> of its case and counts once
in the suite's `failures`. A file that cannot be read, parsed or ordered is aborted: one `unknown` case with an
<error>, counted in `errors`. The `timestamp` is set once the file parsed (promtool: time.Now() in
2006-01-02T15:04:05), so a file that failed to parse has an empty one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .runner import FileResult, timeline_report

TIMELINE_SCHEMA = "alertkit-test-timeline"
# Version 2 adds the results (passed, failures, files); version 1 had only names and alert intervals.
TIMELINE_VERSION = 2

# util/junitxml: the name of the case a failure or abort goes to when the suite has none yet (lastCase()).
UNKNOWN_CASE = "unknown"
# Go's time layout "2006-01-02T15:04:05" (local time, no zone).
JUNIT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
# File errors promtool raises after setting the suite's timestamp (ruleUnitTest: Settime precedes the order check).
TIMESTAMPED_FILE_ERROR_PREFIX = "group name repeated in evaluation order: "


@dataclass
class JUnitCase:
    name: str
    failures: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class JUnitSuite:
    name: str
    timestamp: str = ""
    cases: list[JUnitCase] = field(default_factory=list)
    failure_count: int = 0
    error_count: int = 0


def junit_suites(results: list[FileResult], now: datetime) -> list[JUnitSuite]:
    """The suites promtool would build for these files, run at `now`."""
    suites = []
    for result in results:
        suite = JUnitSuite(result.path)
        if result.file_errors:
            (first, *_) = result.file_errors
            if first.startswith(TIMESTAMPED_FILE_ERROR_PREFIX):
                suite.timestamp = now.strftime(JUNIT_TIME_FORMAT)
            suite.cases.append(JUnitCase(UNKNOWN_CASE, error=first))
            suite.error_count += 1
        else:
            suite.timestamp = now.strftime(JUNIT_TIME_FORMAT)
            for group in result.groups:
                name = group.name or f"unnamed#{group.index}"
                suite.cases.append(JUnitCase(name, failures=list(group.messages)))
                suite.failure_count += len(group.messages)
        suites.append(suite)
    return suites


def render_junit(suites: list[JUnitSuite]) -> str:
    """encoding/xml's Encode of junitxml.JUnitXML: one line, attributes in struct order, no self-closing tags."""
    out = ["<testsuites>"]
    for suite in suites:
        out.append(
            f'<testsuite name="{go_xml_escape(suite.name)}" tests="{len(suite.cases)}" '
            f'failures="{suite.failure_count}" errors="{suite.error_count}" skipped="0" '
            f'timestamp="{go_xml_escape(suite.timestamp)}">'
        )
        for case in suite.cases:
            out.append(f'<testcase name="{go_xml_escape(case.name)}">')
            out += [f"<failure>{go_xml_escape(failure)}</failure>" for failure in case.failures]
            if case.error:
                out.append(f"<error>{go_xml_escape(case.error)}</error>")
            out.append("</testcase>")
        out.append("</testsuite>")
    out.append("</testsuites>")
    return "".join(out)


# encoding/xml escapeText/EscapeString: these characters always, newlines included, in text and attributes.
_GO_XML_ESCAPES = {
    '"': "&#34;",
    "'": "&#39;",
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "\t": "&#x9;",
    "\n": "&#xA;",
    "\r": "&#xD;",
}
_REPLACEMENT = "\ufffd"


def go_xml_escape(text: str) -> str:
    """Go's XML escaping; a character outside XML's Char production becomes U+FFFD, as Go writes it."""
    return "".join(_GO_XML_ESCAPES.get(char) or (char if _is_xml_char(char) else _REPLACEMENT) for char in text)


def _is_xml_char(char: str) -> bool:
    code = ord(char)
    return (
        code in (0x09, 0x0A, 0x0D) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF
    )


def timeline_document(results: list[FileResult]) -> dict:
    """The `--timeline --json` document (docs/schemas/test-timeline.schema.json): per file its result and the
    errors that stopped it; per test group its result, promtool's failure text and every alert's intervals."""
    alerts_of = iter(timeline_report(results)["tests"])  # one entry per group, in the same order
    tests = []
    for result in results:
        for group in result.groups:
            timeline = next(alerts_of)
            tests.append(
                {
                    "file": result.path,
                    "name": group.name,
                    "index": group.index,
                    "passed": group.ok,
                    "failures": list(group.messages),
                    "cases": [
                        {"kind": case.kind, "title": case.title, "status": case.status, "detail": case.detail}
                        for case in group.cases
                    ],
                    "alerts": timeline["alerts"],
                }
            )
    return {
        "schema": TIMELINE_SCHEMA,
        "version": TIMELINE_VERSION,
        "passed": all(result.ok for result in results),
        "files": [
            {
                "path": result.path,
                "passed": result.ok,
                "errors": list(result.file_errors),
                "warnings": list(result.warnings),
                "notes": list(result.notes),
            }
            for result in results
        ],
        "tests": tests,
    }
