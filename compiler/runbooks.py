"""Runbooks: one hand-written Markdown template per alert, rendered with the definition's facts.

`runbooks/<AlertName>.md` is a jinja2 template with non-default delimiters, `[= ... =]` for values and
`[% ... %]` for statements, so Go templates such as `{{ $labels.feature }}` (Prometheus annotations quoted in a
runbook) are never rendered or mangled by jinja2. Facts that must agree with the rule (threshold, window, `for`,
the expression) come from the definition: write `[= expr =]`, `[= facts.threshold =]`, `[= alert.for =]`, or
`[= facts_block =]` for a standard table. The compiler renders every runbook into the build next to the rules.

Checks: a missing runbook, a missing section (REQUIRED_SECTIONS), a Diagnosis section that does not quote the
alert's expression, a Mitigation section that never mentions rolling back, or a template error is an error; a
runbook without an alert is a warning.

Speed: compiling a jinja2 template (lex, parse, generate Python, `compile()`) costs 1.5-2 ms for a 2 KB
runbook, most of a large compile. Most runbooks only substitute values (`[= facts.window =]`) and use no
statement or comment; `substitute_plain_values` renders those directly, with jinja2's exact semantics for that subset, and
hands anything else (statements, filters, comments, unknown names, whitespace control) to jinja2.

Safety: jinja2 renders in the sandbox of compiler.runbook_sandbox (no globals, bounded size, loops and time),
and runbook files are read only when regular files of at most MAX_RUNBOOK_BYTES of UTF-8 (read_runbook).
"""

from __future__ import annotations

import errno
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from common.durations import format_duration
from common.problems import Problem, Severity, SourcePosition
from compiler.model import CompiledAlert
from compiler.naming import RUNBOOK_SUFFIX, runbook_file_name
from compiler.runbook_sandbox import MAX_OUTPUT_CHARS, RUNBOOK_SYNTAX, RunbookEnvironment, render_bounded

# A runbook file, read at most this far: the reference runbooks are 2-4 KB, and a link to /dev/zero must not
# fill memory.
MAX_RUNBOOK_BYTES = 256 * 1024
REQUIRED_SECTIONS = ("Meaning", "Impact", "Diagnosis", "Mitigation", "Escalation", "Prevention")

# The tag the fast path renders itself: `[= name.name... =]`, names as jinja2's lexer reads them (ASCII subset).
_PLAIN_VALUE_TAG = re.compile(r"\[=\s*([A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*=\]")
_JINJA_MARKERS = ("[%", "[#")  # statements and comments: left to jinja2
# jinja2's lexer turns every \r\n, \r and \n of the template text into Environment.newline_sequence ("\n").
_NEWLINE = re.compile(r"\r\n|\r")

_ROLLBACK = re.compile(r"roll[- ]?back", re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$")

_FACTS_BLOCK = """\
| Fact | Value |
| --- | --- |
| Alert | `[= alert.name =]` (kind `[= alert.kind =]`, severity `[= alert.severity =]`, team `[= alert.team =]`[% if alert.layer %], layer `[= alert.layer =]`[% endif %]) |
| Fires after | `[= alert.for =]`[% if alert.keep_firing_for %], keeps firing for `[= alert.keep_firing_for =]`[% endif %] |
[% for name, value in facts.items() if value is string %]| [= name =] | `[= value =]` |
[% endfor %]| Defined in | `[= alert.source =]` |

Alert expression:

```promql
[= expr =]
```
[% if recording_rules %]
Recording rules it reads (evaluated first, same group):

```promql
[% for rule in recording_rules %][= rule.record =] = [= rule.expr =]
[% endfor %]```
[% endif %]"""


def runbook_environment() -> RunbookEnvironment:
    """The sandboxed jinja2 environment of runbooks (compiler.runbook_sandbox): `[= =]`/`[% %]`/`[# #]`
    delimiters, undefined names are errors, bounded size and time."""
    return RunbookEnvironment()


def render_template_text(environment: RunbookEnvironment, text: str, context: dict[str, Any]) -> str:
    """`text` compiled and rendered in the sandbox; jinja2 errors and RunbookLimitError propagate."""
    return render_bounded(environment.compile_runbook(text), context)


@dataclass(frozen=True)
class RunbookSource:
    """A runbook template as read from disk, or why it could not be read (then `text` is empty)."""

    alert_name: str
    path: str
    text: str
    unreadable: str | None = None


def find_runbooks(directory: Path) -> dict[str, Path]:
    """Every `*.md` name of the runbooks directory, by alert name (the file stem); sorted for determinism.

    Only names: a runbook is opened when an alert needs it (read_runbook), so an orphan that is a FIFO or a
    device is never opened.
    """
    if not directory.is_dir():
        return {}
    return {path.stem: path for path in sorted(directory.glob(f"*{RUNBOOK_SUFFIX}"))}


def read_runbook(alert_name: str, path: Path) -> RunbookSource:
    """The runbook at `path`, read only when it is a regular file of at most MAX_RUNBOOK_BYTES of UTF-8."""
    try:
        status = path.stat()  # follows symlinks: a link to /dev/zero is a character device here
    except OSError as error:
        reason = "a dangling symlink" if path.is_symlink() and error.errno == errno.ENOENT else error.strerror
        return RunbookSource(alert_name, str(path), "", f"cannot read runbook: {reason}")
    if not stat.S_ISREG(status.st_mode):
        return RunbookSource(alert_name, str(path), "", f"runbook is {_file_type(status.st_mode)}, not a regular file")
    try:
        with path.open("rb") as file:
            data = file.read(MAX_RUNBOOK_BYTES + 1)
    except OSError as error:
        return RunbookSource(alert_name, str(path), "", f"cannot read runbook: {error.strerror}")
    if len(data) > MAX_RUNBOOK_BYTES:
        message = f"runbook is larger than {MAX_RUNBOOK_BYTES // 1024} KiB (MAX_RUNBOOK_BYTES)"
        return RunbookSource(alert_name, str(path), "", message)
    try:
        return RunbookSource(alert_name, str(path), data.decode("utf-8"))
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        message = f"runbook is not UTF-8 text: byte 0x{data[error.start]:02x} at line {line}, column {column}"
        return RunbookSource(alert_name, str(path), "", message)


def _file_type(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "a special file")


def template_context(compiled: CompiledAlert) -> dict[str, Any]:
    """What a runbook template can use: alert, params, facts, expr, recording_rules, runbook_url, facts_block."""
    alert = compiled.alert
    context: dict[str, Any] = {
        "alert": {
            "name": alert.name,
            "kind": alert.kind,
            "team": alert.team,
            "severity": alert.severity,
            "layer": alert.layer,
            "summary": alert.summary,
            "description": alert.description,
            "for": format_duration(alert.for_ms),
            "keep_firing_for": format_duration(alert.keep_firing_for_ms) if alert.keep_firing_for_ms else None,
            "labels": compiled.labels,
            "annotations": compiled.annotations,
            "source": alert.source_file,
        },
        "params": compiled.params,
        "facts": compiled.rules.facts,
        "expr": compiled.rules.alert_expr,
        "recording_rules": [{"record": rule.record, "expr": rule.expr} for rule in compiled.rules.recording_rules],
        "runbook_url": compiled.annotations["runbook_url"],
    }
    return context


class _NeedsJinja(Exception):
    """A template outside the plain-substitution subset: render it with jinja2."""


def substitute_plain_values(text: str, context: dict[str, Any]) -> str | None:
    """`text` rendered like jinja2 would, when its only jinja2 syntax is `[= a.b.c =]` tags; else None.

    Same result as the runbook environment for that subset: newlines normalized to "\n", each value written with
    `str()`, and `a.b` looked up the way jinja2's Environment.getattr does (an attribute of the object first,
    then its item). Only lookups that are dict items and not attributes of a dict are taken here; anything else
    (a missing name, `facts.items`, a non-dict) returns None so jinja2 renders it, errors included.
    """
    if any(marker in text for marker in _JINJA_MARKERS):
        return None
    if text.count("[=") != len(_PLAIN_VALUE_TAG.findall(text)):
        return None  # a tag with filters, calls, literals or whitespace control

    substituted = 0  # characters of values written so far: past MAX_OUTPUT_CHARS jinja2 refuses, at its line

    def value_of(match: re.Match[str]) -> str:
        nonlocal substituted
        value: Any = context
        for name in match.group(1).split("."):
            name = name.strip()
            if not isinstance(value, dict) or name not in value or (value is not context and hasattr(value, name)):
                raise _NeedsJinja
            value = value[name]
        text = str(value)
        substituted += len(text)
        if substituted > MAX_OUTPUT_CHARS:
            raise _NeedsJinja
        return text

    try:
        # Normalizing newlines inside tags too is harmless: a tag's whitespace is not output.
        return _PLAIN_VALUE_TAG.sub(value_of, _NEWLINE.sub("\n", text))
    except _NeedsJinja:
        return None


class RunbookRenderer:
    """Renders and checks runbooks; holds one sandboxed environment and the facts-block template."""

    def __init__(self) -> None:
        self._environment = runbook_environment()
        # The facts block is the compiler's own template, but it renders values a contributor wrote: it
        # renders in a sandbox too (a plain one: its output is the definition's values, bounded by its file).
        self._facts_block = ImmutableSandboxedEnvironment(**RUNBOOK_SYNTAX).from_string(_FACTS_BLOCK)

    def render(self, compiled: CompiledAlert, source: RunbookSource) -> tuple[str | None, list[Problem]]:
        """The rendered runbook and the problems found in it (an error leaves nothing rendered)."""
        name = compiled.alert.name
        if source.unreadable is not None:
            return None, [Problem(SourcePosition(source.path), source.unreadable, name, "runbook")]
        context = template_context(compiled)
        context["facts_block"] = self._facts_block.render(context)
        rendered = substitute_plain_values(source.text, context)
        if rendered is not None:
            return rendered, check_sections(rendered, source, compiled)
        try:
            rendered = render_template_text(self._environment, source.text, context)
        except jinja2.TemplateSyntaxError as error:
            where = SourcePosition(source.path, error.lineno or 1, 1)
            return None, [Problem(where, f"runbook template error: {error.message}", name, "runbook")]
        except RecursionError:  # a limit of Python's, not of the sandbox: name it plainly
            where = SourcePosition(source.path, 1, 1)
            return None, [Problem(where, "runbook template error: nested too deeply", name, "runbook")]
        except Exception as error:
            where = SourcePosition(source.path, _error_line(error) or 1, 1)
            text = str(error) if isinstance(error, jinja2.TemplateError) else f"{type(error).__name__}: {error}"
            return None, [Problem(where, f"runbook template error: {text}", name, "runbook")]
        return rendered, check_sections(rendered, source, compiled)


def _error_line(error: Exception) -> int | None:
    """The template line of a render-time jinja2 error, from the traceback frame of the template."""
    line = getattr(error, "template_line", None)
    if line is not None:
        return line
    traceback = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def sections_of(markdown: str) -> dict[str, str]:
    """Heading title -> the text under it up to the next heading.

    Lines inside fenced code blocks are never headings: a `# comment` in a shell example stays in its section.
    """
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    fence: str | None = None
    for line in markdown.splitlines(keepends=True):
        stripped = line.strip()
        marker = stripped[:3]
        if marker in ("```", "~~~") and (fence is None or marker == fence):
            fence = None if fence else marker
        elif fence is None and (heading := _HEADING.match(stripped)):
            current = sections.setdefault(heading.group(1).strip(), [])
            continue
        if current is not None:
            current.append(line)
    return {title: "".join(lines) for title, lines in sections.items()}


def check_sections(rendered: str, source: RunbookSource, compiled: CompiledAlert) -> list[Problem]:
    """Every required section present, and Diagnosis quoting the alert's own expression."""
    sections = sections_of(rendered)
    name = compiled.alert.name
    where = SourcePosition(source.path, 1, 1)
    problems = [
        Problem(where, f"runbook has no section {title!r} (required: {', '.join(REQUIRED_SECTIONS)})", name, "runbook")
        for title in REQUIRED_SECTIONS
        if title not in sections
    ]
    diagnosis = sections.get("Diagnosis")
    if diagnosis is not None and compiled.rules.alert_expr not in diagnosis:
        problems.append(
            Problem(
                where, "section 'Diagnosis' must quote the alert's expression: write [= expr =] there", name, "runbook"
            )
        )
    mitigation = sections.get("Mitigation")
    if mitigation is not None and not _ROLLBACK.search(mitigation):
        message = "section 'Mitigation' must state rollback criteria (when to roll back, and what proves it worked)"
        problems.append(Problem(where, message, name, "runbook"))
    return problems


def missing_runbook(compiled: CompiledAlert, directory: Path) -> Problem:
    """The error for an alert without a runbook, at the alert's definition."""
    expected = directory / runbook_file_name(compiled.alert.name)
    return Problem(compiled.alert.position, f"missing runbook {expected}", compiled.alert.name, "runbook")


def orphan_runbook(alert_name: str, path: Path) -> Problem:
    """The warning for a runbook no alert uses."""
    return Problem(
        SourcePosition(str(path), 1, 1),
        f"orphan runbook: no alert named {alert_name!r}",
        severity=Severity.WARNING,
    )
