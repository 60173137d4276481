"""The entry points other modules call: parse (validate) and expand alert templates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from .function_names import ALERT_TEMPLATE_FUNCTION_NAMES
from .parser import ParsedTemplate, parse

# Prometheus prepends these definitions to every alert label and annotation template, joined
# with "" so line numbers are unchanged (rules/alerting.go Eval and model/rulefmt/rulefmt.go
# testTemplateParsing, v2.42.0).
ALERT_TEMPLATE_PREFIX = (
    "{{$labels := .Labels}}"
    "{{$externalLabels := .ExternalLabels}}"
    "{{$externalURL := .ExternalURL}}"
    "{{$value := .Value}}"
)

# Prometheus names each alert template "__alert_" + the alert's name (rules/alerting.go).
ALERT_TEMPLATE_NAME_PREFIX = "__alert_"


class QuerySample(Protocol):
    """One sample of a nested query's instant vector, as the ``query`` function returns it."""

    labels: Mapping[str, str]
    value: float


@dataclass
class TemplateData:
    """What an alert template sees (template.AlertTemplateData): .Labels, .ExternalLabels,
    .ExternalURL and .Value. labels include __name__ when the alert's sample has one."""

    labels: Mapping[str, str] = field(default_factory=dict)
    external_labels: Mapping[str, str] = field(default_factory=dict)
    external_url: str = ""
    value: float = 0.0


QueryFunc = Callable[[str], "list[QuerySample]"]


@dataclass
class Template:
    """A parsed alert template (Prometheus's prefix included), ready to execute."""

    text: str  # the user's text, without the prefix
    name: str
    parsed: ParsedTemplate


def parse_template(text: str, *, alert_name: str = "") -> Template:
    """Parse an alert label/annotation template exactly as Prometheus validates it at rule load.

    The prefix defining $labels, $externalLabels, $externalURL and $value is prepended, and the
    template is named "__alert_<alert_name>". Raises GoTemplateError (Go's message; ``offset``
    points into ``text``) for anything Go's parser rejects.
    """
    name = ALERT_TEMPLATE_NAME_PREFIX + alert_name
    parsed = parse(
        ALERT_TEMPLATE_PREFIX + text,
        name,
        ALERT_TEMPLATE_FUNCTION_NAMES,
        user_offset=len(ALERT_TEMPLATE_PREFIX),
    )
    return Template(text, name, parsed)
