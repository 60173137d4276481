"""The public input format, version `alertkit/v1`: what users write in `alerts/*.yaml`.

This is a spec type, kept apart from the internal model (compiler.model); `compiler.pipeline` maps one to
the other after validation. Unknown keys are forbidden everywhere so typos are caught. A full example:

```yaml
apiVersion: alertkit/v1
alerts:
  - name: FeatureNullRateHigh          # alert name: [a-zA-Z_][a-zA-Z0-9_]*, unique across all files
    kind: null_rate                    # one of compiler.kinds.KINDS
    team: ml-platform                  # becomes label team
    severity: page                     # page | ticket | info, becomes label severity
    summary: "Feature {{ $labels.feature }} is null in {{ $value | humanizePercentage }} of lookups"
    description: "..."                 # Go templates are passed to Prometheus untouched
    for: 5m                            # Prometheus duration
    keep_firing_for: 10m               # optional
    layer: data                        # optional: data | model | system | business (default: the kind's)
    labels: {tier: ranking}            # optional extra labels (Go templates allowed in values)
    annotations: {dashboard: "https://..."}  # optional extra annotations
    params:                            # the kind's parameters, see docs/compiler.md
      nulls_metric: ranker_feature_nulls_total
      lookups_metric: ranker_feature_lookups_total
      selector: 'service="ranker"'
      threshold: 0.01
```
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from common.durations import DURATION_OUT_OF_RANGE, DurationError, parse_duration
from compiler.naming import ALERT_NAME_PATTERN, label_name_problem


def _valid_alert_name(name: str) -> str:
    if not ALERT_NAME_PATTERN.match(name):
        raise ValueError(f"invalid alert name {name!r}: must match [a-zA-Z_][a-zA-Z0-9_]*")
    return name


def valid_duration_text(value: Any) -> str:
    """A Prometheus duration as text; a bare number (`for: 5`) gets a message saying what to write."""
    if not isinstance(value, str):
        raise ValueError(f"invalid duration {value!r}: write it as text with a unit, like 30s, 5m, 1h")
    try:
        parse_duration(value)
    except DurationError as error:
        if str(error) == DURATION_OUT_OF_RANGE:
            raise ValueError(
                f"invalid duration {value!r}: duration out of range (Prometheus durations are at most 292y)"
            ) from None
        raise ValueError(
            f"invalid duration {value!r}: expected a Prometheus duration like 30s, 5m, 1h30m, 1d"
        ) from None
    return value


def _valid_label_names(mapping: dict[str, str]) -> dict[str, str]:
    for name in mapping:
        problem = label_name_problem(name)
        if problem:
            raise ValueError(problem)
    return mapping


def _valid_label_name_list(names: list[str]) -> list[str]:
    for name in names:
        problem = label_name_problem(name)
        if problem:
            raise ValueError(problem)
    if len(set(names)) != len(names):
        raise ValueError("a label name is listed twice")
    return names


def _valid_webhook_url(url: str) -> str:
    """What Alertmanager's config loader accepts for a webhook url (config/config.go URL: http(s), a host)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(char.isspace() for char in url):
        raise ValueError(f"invalid webhook URL {url!r}: expected http:// or https:// and a host")
    return url


def _valid_runbook_base_url(url: str) -> str:
    """The prefix of every runbook_url annotation. Prometheus expands annotation values as Go templates
    (rules/alerting.go), so a `{{` would be read as template code, and a control character breaks the URL."""
    if "{{" in url:
        raise ValueError(f"must not contain '{{{{' (annotations are Go templates in Prometheus), got {url!r}")
    if any(not char.isprintable() for char in url):
        raise ValueError(f"must not contain control characters or line breaks, got {url!r}")
    return url


def _positive_duration(text: str) -> str:
    """Alertmanager rejects a zero group_interval or repeat_interval (config/config.go Route.UnmarshalYAML)."""
    if parse_duration(text) <= 0:
        raise ValueError(f"must be longer than 0, got {text!r}")
    return text


def _non_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text


AlertName = Annotated[str, AfterValidator(_valid_alert_name)]
DurationText = Annotated[str, BeforeValidator(valid_duration_text)]
NonBlank = Annotated[str, AfterValidator(_non_blank)]
LabelMap = Annotated[dict[str, str], AfterValidator(_valid_label_names)]
LabelNameList = Annotated[list[str], AfterValidator(_valid_label_name_list)]
WebhookUrl = Annotated[str, AfterValidator(_valid_webhook_url)]
PositiveDurationText = Annotated[DurationText, AfterValidator(_positive_duration)]
RunbookBaseUrl = Annotated[str, AfterValidator(_valid_runbook_base_url)]
Severity = Literal["page", "ticket", "info"]
Layer = Literal["data", "model", "system", "business"]  # common.layers.LAYERS, as a type


class StrictModel(BaseModel):
    """Base of every spec type: unknown keys are errors, and no silent type coercion (no "5" for 5)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class AlertSpecV1(StrictModel):
    """One alert definition. `params` is validated separately by the kind's own parameter model."""

    name: AlertName
    kind: NonBlank
    team: NonBlank
    severity: Severity
    summary: NonBlank
    description: NonBlank
    for_: DurationText = Field(alias="for")
    keep_firing_for: DurationText | None = None
    layer: Layer | None = None  # the risk-map layer; None: the kind's default (compiler.kinds.base.Kind)
    labels: LabelMap = Field(default_factory=dict)
    annotations: LabelMap = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    symptom_of: AlertName | list[AlertName] | None = None  # the root cause(s) whose firing mutes this alert


class AlertFileV1(StrictModel):
    """One `alerts/*.yaml` file: a version and a list of alert definitions (validated one by one)."""

    api_version: Literal["alertkit/v1"] = Field(alias="apiVersion")
    alerts: list[Any]


class TeamReceiversV1(StrictModel):
    """Where one team's notifications go, instead of the placeholder webhooks under `webhook_base_url`."""

    page_url: WebhookUrl | None = None  # the team's pager (severity=page), e.g. a PagerDuty/Opsgenie relay
    ticket_url: WebhookUrl | None = None  # the team's ticket queue (severity=ticket)


class AlertmanagerConfigV1(StrictModel):
    """The `alertmanager:` section of `alertkit.yaml`: how `build/alertmanager/alertmanager.yml` routes alerts.

    Every team of the definitions gets a pager receiver (severity=page) and a ticket receiver (severity=ticket);
    severity=info goes to a receiver that notifies no one. Receivers are webhooks: by default placeholders under
    `webhook_base_url` (`<base>/<team>/page`, `<base>/<team>/ticket`), which Alertmanager accepts offline;
    `teams` sets real URLs per team. Grouping and timing defaults are Alertmanager's own (30s, 5m, 4h).
    `inhibit_equal`: a firing page mutes tickets whose values of these labels are the same.
    """

    webhook_base_url: WebhookUrl = "http://127.0.0.1:9095/alertkit"
    group_by: LabelNameList = Field(default_factory=lambda: ["alertname", "team"])
    group_wait: DurationText = "30s"
    group_interval: PositiveDurationText = "5m"
    repeat_interval: PositiveDurationText = "4h"
    inhibit_equal: LabelNameList = Field(default_factory=lambda: ["service"])
    teams: dict[NonBlank, TeamReceiversV1] = Field(default_factory=dict)


class ConfigV1(StrictModel):
    """`alertkit.yaml` at the repository root.

    runbook_base_url: prefix of every alert's runbook_url; the path `<AlertName>.md` is appended. The default
    `build/runbooks/` is relative to the repository root, where the compile writes the rendered runbooks, so the
    links work offline; set an https URL where the runbooks are published.
    alertmanager: routing of the generated Alertmanager configuration (AlertmanagerConfigV1).
    """

    runbook_base_url: RunbookBaseUrl = "build/runbooks/"
    alertmanager: AlertmanagerConfigV1 = Field(default_factory=AlertmanagerConfigV1)
