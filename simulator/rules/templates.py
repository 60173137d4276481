"""Expanding alert label and annotation templates, as rules/alerting.go does.

The Go text/template interpreter itself lives in simulator.gotemplate (engineer C2); this
module only builds the data Prometheus hands to it and turns failures into the text Prometheus
puts in their place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from simulator.promql.model import Labels

# rules/alerting.go Eval: every alert template is prefixed with these definitions so that
# $labels, $externalLabels, $externalURL and $value are in scope.
TEMPLATE_DEFINITIONS = (
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
    "{{$externalURL := .ExternalURL}}{{$value := .Value}}"
)


@dataclass
class AlertTemplateData:
    """template.AlertTemplateData: what an alert template sees."""

    labels: dict[str, str]  # the query sample's labels, __name__ included
    value: float
    external_labels: dict[str, str] = field(default_factory=dict)
    external_url: str = ""


# An instant query run from inside a template ({{ query "..." }}): expr -> list of (labels, value).
TemplateQuery = Callable[[str], list[tuple[Labels, float]]]


class TemplateExpander(Protocol):
    """Expands one template; raises any Exception whose str() is Go's error text."""

    def __call__(self, name: str, text: str, data: AlertTemplateData, ts_ms: int,
                 query: TemplateQuery, external_url: str) -> str: ...


def expand_or_error_text(expander: TemplateExpander, name: str, text: str,
                         data: AlertTemplateData, ts_ms: int, query: TemplateQuery) -> str:
    """Expand text; on failure return what Prometheus stores instead.

    rules/alerting.go (expand closure in Eval): a failing template does not fail the rule;
    the label/annotation becomes "<error expanding template: %s>" with Go's error text.
    """
    try:
        return expander(name, text, data, ts_ms, query, data.external_url)
    except TemplatingUnavailable:
        raise
    except Exception as error:  # the interpreter's domain errors, whatever their class
        return f"<error expanding template: {error}>"


class TemplatingUnavailable(RuntimeError):
    """No template interpreter: alert annotations cannot be expanded faithfully."""


def has_actions(text: str) -> bool:
    """Whether a template can expand to anything but itself (it contains an action)."""
    return "{{" in text


@dataclass
class _QuerySample:
    """A nested query's sample in the shape simulator.gotemplate's `query` function returns."""

    labels: dict[str, str]
    value: float


def gotemplate_expander(name: str, text: str, data: AlertTemplateData, ts_ms: int,
                        query: TemplateQuery, external_url: str) -> str:
    """The default expander: simulator.gotemplate's expand_alert_template (engineer C2).

    That function adds TEMPLATE_DEFINITIONS itself and renders Go's
    "<error expanding template: ...>" text on failure.
    """
    try:
        from simulator.gotemplate import TemplateData, expand_alert_template
    except ImportError as error:
        raise TemplatingUnavailable(f"the Go template interpreter is not available: {error}") from None

    def nested_query(expr: str) -> list[_QuerySample]:
        return [_QuerySample(dict(labels), value) for labels, value in query(expr)]

    template_data = TemplateData(labels=data.labels, external_labels=data.external_labels,
                                 external_url=external_url, value=data.value)
    return expand_alert_template(text, template_data, alert_name=name.removeprefix("__alert_"),
                                 query=nested_query)
