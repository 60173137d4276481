"""`alertkit test` imports only what the promtool path needs (start-up is most of a small file's time).

Each case runs the real command line in a fresh interpreter and lists the modules it loaded.
"""

import json
import subprocess
import sys

RULES = """groups:
  - name: g
    rules:
      - alert: InstanceDown
        expr: rate(up[5m]) == 0
        for: 5m
        annotations: {summary: "%s"}
"""
TEST = """rule_files: [rules.yml]
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="a"}'
        values: '1x20'
    alert_rule_test:
      - eval_time: 15m
        alertname: InstanceDown
        exp_alerts:
          - exp_labels: {job: a}
            exp_annotations: {summary: "%s"}
"""
# Run the installed command's entry point, then write the loaded module names where asked.
SCRIPT = """
import sys
out = sys.argv.pop()
from compiler.cli import main
try:
    main()
except SystemExit as exit:
    status = exit.code
modules = sorted(sys.modules)  # before this script imports json
import json
with open(out, "w") as f:
    json.dump({"status": status, "modules": modules}, f)
"""

# Never needed to run promtool test files: the compiler, its models and templates, the scenario
# machinery, Alertmanager's model, HTTP.
FORBIDDEN_PACKAGES = {"pydantic", "jinja2", "requests", "hypothesis", "pytest"}
FORBIDDEN_MODULES = ("compiler.", "simulator.scenarios", "simulator.alertmanager", "simulator.report")
# Loaded only when used: Go's fmt and the template function map (a template that calls a function or prints
# something other than a string), the --junit / --timeline --json reports, json, and tempfile (--junit's write).
LOADED_WHEN_USED = {
    "common.gotemplate.gofmt",
    "common.gotemplate.go_builtins",
    "common.gotemplate.prometheus_functions",
    "html",
    "simulator.promtool.reports",
    "json",
    "tempfile",
}


def _loaded_modules(tmp_path, summary_template: str, summary: str) -> list[str]:
    (tmp_path / "rules.yml").write_text(RULES % summary_template)
    (tmp_path / "t.yml").write_text(TEST % summary)
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, "test", "t.yml", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(out.read_text())
    assert done.stdout == "Unit Testing:  t.yml\n  SUCCESS\n\n" and result["status"] in (0, None), done.stderr
    return result["modules"]


def _offending(modules: list[str]) -> list[str]:
    return [
        m
        for m in modules
        if m.split(".")[0] in FORBIDDEN_PACKAGES or (m.startswith(FORBIDDEN_MODULES) and m != "compiler.cli")
    ]


def test_the_promtool_path_loads_no_compiler_pydantic_or_jinja2(tmp_path):
    modules = _loaded_modules(tmp_path, "{{ $labels.job }} is down", "a is down")
    assert _offending(modules) == []
    # The root command group is the one compiler module: it only dispatches.
    assert [m for m in modules if m.split(".")[0] == "compiler"] == ["compiler", "compiler.cli"]
    # What the path does need is there (so the check above is not vacuous).
    assert {"numpy", "yaml", "simulator.promtool.runner", "common.gotemplate.api"} <= set(modules)


def test_without_template_actions_the_template_engine_stays_unloaded(tmp_path):
    modules = _loaded_modules(tmp_path, "instance down", "instance down")
    assert _offending(modules) == []
    assert not [m for m in modules if m.startswith("common.gotemplate.") and m != "common.gotemplate.goquote"]


def test_valid_series_never_load_the_go_exact_series_lexer(tmp_path):
    """The exact lexer words errors; valid input takes the fast path and never imports it."""
    modules = _loaded_modules(tmp_path, "instance down", "instance down")
    assert "simulator.promtool.series_syntax" not in modules


def test_string_templates_and_plain_output_load_neither_fmt_nor_the_function_map(tmp_path):
    modules = _loaded_modules(tmp_path, "{{ $labels.job }} is down", "a is down")
    assert sorted(LOADED_WHEN_USED & set(modules)) == []


def test_a_template_calling_a_function_loads_the_function_map(tmp_path):
    """The other side of the lazy function map: the functions are there when a template calls one."""
    modules = _loaded_modules(tmp_path, "{{ $labels.job | toUpper }} is down", "A is down")
    assert {"common.gotemplate.go_builtins", "common.gotemplate.prometheus_functions"} <= set(modules)
