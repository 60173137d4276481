"""Runbooks render in a sandbox: no code runs, no memory or time is exhausted, no file hangs the compile.

Every case compiles a good project first, then breaks the runbook and asserts the message (file:line), exit
code 1 and that build/ is unchanged.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from compiler_testkit import GENERIC_RUNBOOK, RAW_PARAMS, alert_yaml, alerts_file

from compiler.runbook_sandbox import MAX_LOOP_ITERATIONS, MAX_OUTPUT_CHARS, MAX_VALUE_CHARS
from compiler.runbooks import MAX_RUNBOOK_BYTES

# Two lines of text, then the case's tag on line 3, then the generic runbook's sections.
PREFIX = "# Runbook\n\n"
# A real attack would read secrets; this one leaves a file behind if it ever runs.
MARKER = "sandbox-escaped"


@pytest.fixture
def compiled(project):
    """A project with one alert `A` and a good runbook, compiled once so build/ has content to protect."""
    project.write_alerts("a.yaml", alerts_file(alert_yaml("A", "raw", RAW_PARAMS)))
    project.write_runbook("A")
    assert project.compile().exit_code == 0
    return project


def _compile_refused(project, message: str):
    before = project.build_digest()
    started = time.monotonic()
    result = project.compile()
    elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert message in result.stderr.splitlines(), result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert project.build_digest() == before
    assert elapsed < 5, f"took {elapsed:.1f} s"
    return result


TEMPLATE_CASES = [
    (
        "globals-escape",
        f"[= cycler.__init__.__globals__.os.popen('touch {MARKER}').read() =]",
        "runbook template error: 'cycler' is undefined",
    ),
    ("namespace-global", "[% set ns = namespace(n=0) %]", "runbook template error: 'namespace' is undefined"),
    (
        "dunder-attribute",
        "[= alert.name.__class__.__mro__ =]",
        "runbook template error: access to attribute '__class__' of 'str' object is unsafe.",
    ),
    (
        "dunder-item",
        "[= alert['__class__'] =]",
        "runbook template error: access to attribute '__class__' of 'dict' object is unsafe.",
    ),
    (
        "huge-range",
        "[% for i in range(10**9) %]x[% endfor %]",
        f"runbook template error: range of 1,000,000,000 items is longer than the {MAX_LOOP_ITERATIONS:,} "
        "loop iterations allowed",
    ),
    (
        "string-bomb",
        "[= 'x' * 10**9 =]",
        f"runbook template error: a value of 1,000,000,000 characters is larger than the {MAX_VALUE_CHARS:,} allowed",
    ),
    (
        "doubling",
        "[% set s = 'xxxxxxxxxx' %]" + "[% set s = s ~ s %]" * 40,
        f"runbook template error: a value of 1,310,720 characters is larger than the {MAX_VALUE_CHARS:,} allowed",
    ),
    (
        "integer-bomb",
        "[= 10 ** 1000000 =]",
        "runbook template error: an integer of about 3,321,929 bits is larger than the 1024 allowed",
    ),
    (
        "percent-format",
        "[= '%0999999999d' % 1 =]",
        "runbook template error: `%` formatting of strings is not available in runbooks; join text with `~`",
    ),
    (
        "padding-method",
        "[= alert.name.center(10**9) =]",
        "runbook template error: calling str.center is not available in runbooks",
    ),
    (
        "nested-loops",
        "[% set s = 'abcdefghij' * 10 %][% for a in s %][% for b in s %][% for c in s %][% endfor %][% endfor %]"
        "[% endfor %]",
        f"runbook template error: loops ran more than the {MAX_LOOP_ITERATIONS:,} iterations allowed",
    ),
    (
        "long-output",
        "[% for i in range(10000) %][= facts_block =][% endfor %]",
        f"runbook template error: the rendered runbook is longer than {MAX_OUTPUT_CHARS:,} characters",
    ),
    (
        "method-address",
        "[= alert.name.upper =]",
        "runbook template error: cannot write a builtin_function_or_method into a runbook (its text changes from "
        "run to run); call the method or convert with a filter such as `| list`",
    ),
    ("division", "[= 1 / 0 =]", "runbook template error: ZeroDivisionError: division by zero"),
]


@pytest.mark.parametrize(("case", "tag", "reason"), TEMPLATE_CASES, ids=[case[0] for case in TEMPLATE_CASES])
def test_a_template_reaching_past_the_sandbox_is_refused_at_its_line(compiled, case, tag, reason):
    compiled.write_runbook("A", PREFIX + tag + "\n" + GENERIC_RUNBOOK)

    _compile_refused(compiled, f"runbooks/A.md:3:1: alert A: runbook: {reason}")

    assert not (compiled.root / MARKER).exists()


STATEMENT_CASES = [
    ("includes-itself", '[% include "A" %]', "include"),
    ("recursive-macro", "[% macro f(n) %][= f(n) =][% endmacro %][= f(1) =]", "macro"),
    ("call-block", "[% call f() %]x[% endcall %]", "call"),
    ("import", '[% import "A" as a %]', "import"),
    ("extends", '[% extends "A" %]', "extends"),
    ("set-block", "[% set s %]x[% endset %]", "set ... endset"),
    ("recursive-loop", "[% for x in [1] recursive %][= loop([1]) =][% endfor %]", "recursive for"),
]


@pytest.mark.parametrize(("case", "tag", "statement"), STATEMENT_CASES, ids=[case[0] for case in STATEMENT_CASES])
def test_statements_that_recurse_or_reach_other_templates_are_refused(compiled, case, tag, statement):
    compiled.write_runbook("A", PREFIX + tag + "\n" + GENERIC_RUNBOOK)

    _compile_refused(
        compiled,
        f"runbooks/A.md:3:1: alert A: runbook: runbook template error: `{statement}` is not available in runbooks "
        "(statements: if, for, set, with)",
    )


def test_what_runbooks_need_still_renders(project):
    project.write_alerts("a.yaml", alerts_file(alert_yaml("A", "raw", RAW_PARAMS)))
    text = (
        "[% for name, value in alert.labels.items() | sort %][= name | upper =]=[= value =] [% endfor %]\n"
        "[% if alert.keep_firing_for %]keeps[% else %]no keep[% endif %]; [= range(3) | list | join(',') =]; "
        "[= alert.name ~ '!' =] [= alert.summary.split(' ')[0] | lower =]\n"
    )
    project.write_runbook("A", text + GENERIC_RUNBOOK)

    result = project.compile()

    assert result.exit_code == 0, result.stderr
    rendered = (project.build / "runbooks" / "A.md").read_text()
    assert rendered.startswith("KIND=raw SEVERITY=page TEAM=ranking \nno keep; 0,1,2; A! a\n")


def _replace_runbook(project, make) -> None:
    path = project.runbooks / "A.md"
    path.unlink()
    make(path)


FILE_CASES = [
    ("dev-zero", lambda path: path.symlink_to("/dev/zero"), "runbook is a character device, not a regular file"),
    ("fifo", lambda path: os.mkfifo(path), "runbook is a FIFO, not a regular file"),
    ("directory", lambda path: path.mkdir(), "runbook is a directory, not a regular file"),
    (
        "dangling-symlink",
        lambda path: path.symlink_to(path.parent / "gone.md"),
        "cannot read runbook: a dangling symlink",
    ),
    ("symlink-loop", lambda path: path.symlink_to(path), "cannot read runbook: Too many levels of symbolic links"),
    (
        "non-utf8",
        lambda path: path.write_bytes(b"# A\n\nbad \xff byte\n"),
        "runbook is not UTF-8 text: byte 0xff at line 3, column 5",
    ),
    (
        "too-large",
        lambda path: path.write_text(GENERIC_RUNBOOK + "x" * MAX_RUNBOOK_BYTES),
        f"runbook is larger than {MAX_RUNBOOK_BYTES // 1024} KiB (MAX_RUNBOOK_BYTES)",
    ),
]


@pytest.mark.parametrize(("case", "make", "reason"), FILE_CASES, ids=[case[0] for case in FILE_CASES])
def test_a_runbook_that_is_not_a_small_text_file_is_refused_quickly(compiled, case, make, reason):
    _replace_runbook(compiled, make)

    _compile_refused(compiled, f"runbooks/A.md:1:1: alert A: runbook: {reason}")


def test_an_orphan_fifo_is_never_opened(compiled):
    os.mkfifo(compiled.runbooks / "Gone.md")

    result = compiled.compile()

    assert result.exit_code == 0, result.stderr
    assert "runbooks/Gone.md:1:1: warning: orphan runbook: no alert named 'Gone'" in result.stderr


def test_a_plain_substitution_runbook_is_held_to_the_output_limit_too(compiled):
    # Only `[= name =]` tags: the fast path, which hands over to jinja2 once the output limit is passed.
    tags = MAX_RUNBOOK_BYTES // 20
    compiled.write_runbook("A", GENERIC_RUNBOOK + "[= facts_block =]\n" * tags)
    before = compiled.build_digest()

    result = compiled.compile()

    assert result.exit_code == 1
    message = re.fullmatch(
        r"runbooks/A\.md:(\d+):1: alert A: runbook: runbook template error: "
        rf"the rendered runbook is longer than {MAX_OUTPUT_CHARS:,} characters",
        result.stderr.splitlines()[0],
    )
    assert message, result.stderr
    first_tag = GENERIC_RUNBOOK.count("\n") + 1
    assert first_tag < int(message.group(1)) < first_tag + tags  # a line of the repeated tags
    assert compiled.build_digest() == before
