"""Runbooks render facts from the definition with jinja2 and never touch Go templates."""

from __future__ import annotations

from compiler_testkit import GENERIC_RUNBOOK, alert_yaml, alerts_file

GO_TEMPLATES = (
    "{{ $labels.feature }} {{ $value | humanizePercentage }} {{ if gt $value 0.5 }}high{{ end }} {%raw%} {# x #}"
)


def test_go_templates_in_runbooks_and_annotations_pass_through_unchanged(project):
    params = "      nulls_metric: n_total\n      lookups_metric: l_total\n      threshold: 0.02\n"
    extra = f"    annotations: {{note: '{GO_TEMPLATES}'}}\n"
    project.write_alerts("a.yaml", alerts_file(alert_yaml("Nulls", "null_rate", params, extra=extra)))
    project.write_runbook(
        "Nulls", GENERIC_RUNBOOK + f"\nQuoted from the alert: {GO_TEMPLATES}\n[= alert.annotations.note =]\n"
    )

    result = project.compile()

    assert result.exit_code == 0, result.stderr
    runbook = (project.build / "runbooks" / "Nulls.md").read_text()
    assert f"Quoted from the alert: {GO_TEMPLATES}\n{GO_TEMPLATES}\n" in runbook
    rules = (project.build / "prometheus" / "a.yml").read_text()
    assert "{{ $labels.service }}" in rules and GO_TEMPLATES in rules


def test_facts_come_from_the_definition(project):
    params = "      nulls_metric: n_total\n      lookups_metric: l_total\n      threshold: 0.02\n      window: 10m\n"
    project.write_alerts("a.yaml", alerts_file(alert_yaml("Nulls", "null_rate", params, for_="7m")))
    project.write_runbook(
        "Nulls",
        GENERIC_RUNBOOK + "\nThreshold [= facts.threshold_percent =] over [= facts.window =], for [= alert.for =].\n",
    )

    assert project.compile().exit_code == 0
    runbook = (project.build / "runbooks" / "Nulls.md").read_text()

    assert "Threshold 2 % over 10m, for 7m." in runbook
    assert "feature:n_per_lookup:ratio_rate10m:a_null_rate > 0.02" in runbook  # the expression, quoted in Diagnosis
    assert "| Fires after | `7m` |" in runbook


def test_runbook_url_uses_the_configured_base(project):
    project.write_alerts("a.yaml", alerts_file(alert_yaml("Down", "raw", "      expr: up == 0\n")))
    project.write_runbook("Down")
    (project.root / "custom.yaml").write_text("runbook_base_url: https://runbooks.example/ranker/\n")

    assert project.compile("--config", "custom.yaml").exit_code == 0

    assert (
        "runbook_url: https://runbooks.example/ranker/Down.md" in (project.build / "prometheus" / "a.yml").read_text()
    )


def test_unknown_config_key_is_an_error(project):
    project.write_alerts("a.yaml", alerts_file(alert_yaml("Down", "raw", "      expr: up == 0\n")))
    project.write_runbook("Down")
    (project.root / "custom.yaml").write_text("runbook_base: x/\n")

    result = project.compile("--config", "custom.yaml")

    assert result.exit_code == 1
    assert (
        "custom.yaml:1:1: runbook_base: unknown field (allowed: alertmanager, runbook_base_url)"
        in result.stderr.splitlines()
    )


def test_comment_lines_in_code_blocks_are_not_headings():
    from compiler.runbooks import sections_of

    markdown = "## Diagnosis\n\n```sh\n# first, look at the rate\ncurl x\n```\n\nup == 0\n\n## Mitigation\nroll back\n"

    sections = sections_of(markdown)

    assert list(sections) == ["Diagnosis", "Mitigation"]
    assert "# first, look at the rate" in sections["Diagnosis"] and "up == 0" in sections["Diagnosis"]
    assert sections["Mitigation"] == "roll back\n"


def test_a_compile_writes_nothing_outside_the_project(project, tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    project.write_alerts("a.yaml", alerts_file(alert_yaml("Down", "raw", "      expr: up == 0\n")))
    project.write_runbook("Down")

    assert project.compile().exit_code == 0

    assert list(home.iterdir()) == []
    assert sorted(path.name for path in project.root.iterdir()) == ["alerts", "build", "runbooks"]


def test_an_edited_runbook_is_rendered_from_its_new_text(project):
    project.write_alerts("a.yaml", alerts_file(alert_yaml("Down", "raw", "      expr: up == 0\n")))
    project.write_runbook("Down", GENERIC_RUNBOOK + "\nFirst version for [= alert.name =].\n")
    assert project.compile().exit_code == 0

    project.write_runbook("Down", GENERIC_RUNBOOK + "\nSecond version for [= alert.name =].\n")
    assert project.compile().exit_code == 0

    runbook = (project.build / "runbooks" / "Down.md").read_text()
    assert "Second version for Down." in runbook and "First version" not in runbook
