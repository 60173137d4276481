"""Expanding alert label and annotation templates, as rules/alerting.go does.

The Go text/template interpreter and Prometheus's template functions live in
common.gotemplate, which also prepends the $labels/$value/... definitions
(ALERT_TEMPLATE_PREFIX); this module builds the data Prometheus hands to a template and turns
failures into the text Prometheus stores in their place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from simulator.promql.model import Labels

if TYPE_CHECKING:
    from common.gotemplate import QuerySample


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
    """Expands one template (named "__alert_<alertname>"); may raise, with Go's error text."""

    def __call__(self, name: str, text: str, data: AlertTemplateData, ts_ms: int, query: TemplateQuery) -> str: ...


def expand_or_error_text(
    expander: TemplateExpander, name: str, text: str, data: AlertTemplateData, ts_ms: int, query: TemplateQuery
) -> str:
    """Expand text; on failure return what Prometheus stores instead.

    rules/alerting.go (expand closure in Eval): a failing template does not fail the rule;
    the label/annotation becomes "<error expanding template: %s>" with Go's error text.
    """
    try:
        return expander(name, text, data, ts_ms, query)
    except Exception as error:  # an injected expander's domain errors, whatever their class
        return f"<error expanding template: {error}>"


def has_actions(text: str) -> bool:
    """Whether a template can expand to anything but itself (it contains an action)."""
    return "{{" in text


@dataclass
class _QuerySample:
    """A nested query's sample in the shape common.gotemplate's `query` function returns."""

    labels: Mapping[str, str]
    value: float


def gotemplate_expander(name: str, text: str, data: AlertTemplateData, ts_ms: int, query: TemplateQuery) -> str:
    """The default expander: common.gotemplate.expand_alert_template, which never raises
    (it renders Go's "<error expanding template: ...>" itself). Imported here: rules whose
    templates have no actions never need the template engine (start-up of `alertkit test`)."""
    from common.gotemplate import TemplateData, expand_alert_template

    def nested_query(expr: str) -> list[QuerySample]:
        return [_QuerySample(dict(labels), value) for labels, value in query(expr)]

    template_data = TemplateData(
        labels=data.labels, external_labels=data.external_labels, external_url=data.external_url, value=data.value
    )
    return expand_alert_template(text, template_data, alert_name=name.removeprefix("__alert_"), query=nested_query)
