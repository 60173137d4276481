"""The entry points other modules call: parse (validate) and expand alert templates."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from .errors import GoCallError, GoExecError, GoTemplateError
from .executor import execute
from .funcmap import GoFunction
from .function_names import ALERT_TEMPLATE_FUNCTION_NAMES
from .parser import ParsedTemplate, parse
from .values import GoMap, GoStruct, QueryResult, Sample

# Prometheus prepends these definitions to every alert label and annotation template, joined
# with "" so line numbers are unchanged (rules/alerting.go Eval and model/rulefmt/rulefmt.go
# testTemplateParsing, v2.42.0).
ALERT_TEMPLATE_PREFIX = (
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
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
    points into ``text``) for anything Go's parser rejects. Results are cached: a rule's
    templates are expanded for every alert instance at every evaluation, and execution never
    changes a parsed template.
    """
    return _parse_template_cached(text, alert_name)


@lru_cache(maxsize=4096)
def _parse_template_cached(text: str, alert_name: str) -> Template:
    name = ALERT_TEMPLATE_NAME_PREFIX + alert_name
    parsed = parse(
        ALERT_TEMPLATE_PREFIX + text,
        name,
        ALERT_TEMPLATE_FUNCTION_NAMES,
        user_offset=len(ALERT_TEMPLATE_PREFIX),
    )
    return Template(text, name, parsed)


def _alert_data(data: TemplateData) -> GoStruct:
    """template.AlertTemplateData as the executor sees it."""
    return GoStruct(
        {
            "Labels": GoMap(dict(data.labels)),
            "ExternalLabels": GoMap(dict(data.external_labels)),
            "ExternalURL": data.external_url,
            "Value": float(data.value),
        },
        {
            "Labels": "map[string]string",
            "ExternalLabels": "map[string]string",
            "ExternalURL": "string",
            "Value": "float64",
        },
    )


def _query_function(query: QueryFunc | None) -> Callable[[str], QueryResult]:
    """Wrap the caller's query function into the template's ``query`` (template.go query)."""

    def run_query(text: str) -> QueryResult:
        if query is None:
            raise GoCallError("no query engine is available to this expansion")
        try:
            samples = query(text)
        except Exception as err:  # the engine's error becomes the template's error text
            raise GoCallError(str(err)) from None
        return QueryResult(Sample(GoMap(dict(s.labels)), float(s.value)) for s in samples)

    return run_query


def alert_function_map(query: QueryFunc | None, server_url: str | None) -> dict[str, GoFunction]:
    """Every function an alert template can call, for one expansion."""
    from .go_builtins import GO_BUILTINS
    from .prometheus_functions import prometheus_functions

    return {**GO_BUILTINS, **prometheus_functions(_query_function(query), server_url)}


class _LazyFunctionMap(Mapping[str, GoFunction]):
    """alert_function_map(query, server_url), built when the template first calls a function.

    Most alert templates call none ({{ $labels.job }}, {{ $value }}); building the map loads Go's builtins
    and Prometheus's functions (fmt, html, urllib, ipaddress), a large part of a small test file's start-up.
    """

    def __init__(self, query: QueryFunc | None, server_url: str | None):
        self._query = query
        self._server_url = server_url
        self._functions: dict[str, GoFunction] | None = None

    def _built(self) -> dict[str, GoFunction]:
        if self._functions is None:
            self._functions = alert_function_map(self._query, self._server_url)
        return self._functions

    def __getitem__(self, name: str) -> GoFunction:
        return self._built()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())


def render(
    text: str,
    data: TemplateData,
    *,
    query: QueryFunc | None = None,
    alert_name: str = "",
    server_url: str | None = None,
) -> str:
    """Expand one alert label/annotation template as Prometheus 2.42 does.

    ``query`` runs a nested PromQL instant query at the alert's evaluation time and returns
    samples with ``.labels`` (mapping) and ``.value``; it serves the ``query`` function.
    ``server_url`` is the server's --web.external-url, read by the ``externalURL`` and
    ``pathPrefix`` functions; promtool test rules has none (None), so they fail there with a
    nil-pointer error while ``$externalURL`` (from the test's external_url) still works.
    Raises GoTemplateError (parse) or GoExecError (execution) with Go's message.
    """
    template = parse_template(text, alert_name=alert_name)
    functions = _LazyFunctionMap(query, server_url)
    return execute(template.parsed, functions, _alert_data(data))


def expand_alert_template(
    text: str,
    data: TemplateData,
    *,
    alert_name: str,
    query: QueryFunc | None = None,
    server_url: str | None = None,
) -> str:
    """What Prometheus writes into an alert's label or annotation (rules/alerting.go expand):
    the expansion, or ``<error expanding template: ...>`` when parsing or execution fails.
    Arguments as for render()."""
    name = ALERT_TEMPLATE_NAME_PREFIX + alert_name
    try:
        return render(text, data, query=query, alert_name=alert_name, server_url=server_url)
    except GoTemplateError as err:
        return f"<error expanding template: error parsing template {name}: {err}>"
    except GoExecError as err:
        return f"<error expanding template: error executing template {name}: {err}>"
