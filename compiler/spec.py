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

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from compiler.durations import parse_duration
from compiler.naming import ALERT_NAME_PATTERN, label_name_problem


def _valid_alert_name(name: str) -> str:
    if not ALERT_NAME_PATTERN.match(name):
        raise ValueError(f"invalid alert name {name!r}: must match [a-zA-Z_][a-zA-Z0-9_]*")
    return name


def valid_duration_text(value: Any) -> str:
    """A Prometheus duration as text; a bare number (`for: 5`) gets a message saying what to write."""
    if not isinstance(value, str):
        raise ValueError(f"invalid duration {value!r}: write it as text with a unit, like 30s, 5m, 1h")
    parse_duration(value)
    return value


def _valid_label_names(mapping: dict[str, str]) -> dict[str, str]:
    for name in mapping:
        problem = label_name_problem(name)
        if problem:
            raise ValueError(problem)
    return mapping


def _non_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text


AlertName = Annotated[str, AfterValidator(_valid_alert_name)]
DurationText = Annotated[str, BeforeValidator(valid_duration_text)]
NonBlank = Annotated[str, AfterValidator(_non_blank)]
LabelMap = Annotated[dict[str, str], AfterValidator(_valid_label_names)]
Severity = Literal["page", "ticket", "info"]


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
    labels: LabelMap = Field(default_factory=dict)
    annotations: LabelMap = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)


class AlertFileV1(StrictModel):
    """One `alerts/*.yaml` file: a version and a list of alert definitions (validated one by one)."""

    api_version: Literal["alertkit/v1"] = Field(alias="apiVersion")
    alerts: list[Any]


class ConfigV1(StrictModel):
    """`alertkit.yaml` at the repository root.

    runbook_base_url: prefix of every alert's runbook_url; the path `<AlertName>.md` is appended. The default
    `build/runbooks/` is relative to the repository root, where the compile writes the rendered runbooks, so the
    links work offline; set an https URL where the runbooks are published.
    """

    runbook_base_url: str = "build/runbooks/"

