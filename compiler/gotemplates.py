"""Checks that label and annotation values are Go templates Prometheus can parse (template/template.go).

Uses the project's Go text/template parser (common.gotemplate), which follows Go 1.19's parser and knows
Prometheus's template functions, so an unknown function is caught here as promtool would catch it.
"""

from __future__ import annotations

from common.gotemplate import GoTemplateError, parse_template

ACTION_START = "{{"  # Go text/template's default left delimiter; Prometheus does not change it


def go_template_problem(text: str, alert_name: str) -> tuple[str, int] | None:
    """Why Prometheus would reject `text` as the alert's Go template and at which character, or None."""
    if ACTION_START not in text:
        return None  # plain text is one text node: nothing to parse (and most labels/descriptions are plain)
    try:
        parse_template(text, alert_name=alert_name)
    except GoTemplateError as error:
        return f"Go template does not parse: {error}", error.offset
    return None
