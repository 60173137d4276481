"""Every naming convention of the compiler in one place (sloth's habit).

- Alert names: a metric name without colons (`^[a-zA-Z_][a-zA-Z0-9_]*$`, CamelCase by convention), because
  the alert name is also a label value routed on and a runbook file name.
- Label names: Prometheus's rule (model.LabelNameRE `^[a-zA-Z_][a-zA-Z0-9_]*$`), and not `__`-prefixed
  (reserved for internal use, see model/labels.go).
- Recording rules: `level:metric:operations:group` — Prometheus's "Defining recording rules" convention
  (level = the labels kept by the aggregation), followed by the rule group that writes it. Each group writes
  its own copy of every rule its alerts read (see docs/compiler.md, "Recording rules"), so the name says
  which copy it is. A name given in a definition (`zscore_anomaly`'s `record`) is written as given.
- Groups: one per source file and kind, `<file stem>.<kind>`; output file `<file stem>.yml`.
- Runbooks: `<AlertName>.md`, in the runbooks directory and in the build.
- Alertmanager receivers: `<team>-pager`, `<team>-ticket`, `null` (notifies no one), `unrouted` (the root
  route's fallback for alerts without a known team and severity); file `alertmanager/alertmanager.yml`.
"""

from __future__ import annotations

import re

from common.durations import format_duration
from common.layers import LAYER_LABEL

ALERT_NAME_PATTERN = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")
LABEL_NAME_PATTERN = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")
METRIC_NAME_PATTERN = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_NOT_IN_METRIC_NAME = re.compile(r"[^a-zA-Z0-9_]")
API_VERSION = "alertkit/v1"

# Labels every compiled alert carries, set by the compiler from the definition.
MANDATORY_LABELS = ("severity", "team", "kind")
# The risk-map layer label (common/layers.py) is set from the definition's `layer:` or the kind's default, so a
# definition may not set it under `labels:` either.
COMPILER_LABELS = (*MANDATORY_LABELS, LAYER_LABEL)
# Annotations every compiled alert carries, set by the compiler from the definition.
MANDATORY_ANNOTATIONS = ("summary", "description", "runbook_url")

# Level used when an aggregation keeps no label at all.
GLOBAL_LEVEL = "global"

RULE_FILE_SUFFIX = ".yml"
RUNBOOK_SUFFIX = ".md"
PROMETHEUS_OUTPUT_DIR = "prometheus"
RUNBOOK_OUTPUT_DIR = "runbooks"
ALERTMANAGER_OUTPUT_DIR = "alertmanager"
ALERTMANAGER_CONFIG_FILE = f"{ALERTMANAGER_OUTPUT_DIR}/alertmanager.yml"

NULL_RECEIVER = "null"  # a receiver without integrations: the alert is routed, nobody is notified
FALLBACK_RECEIVER = "unrouted"  # the root route's receiver: alerts no team route matched


def label_name_problem(name: str) -> str | None:
    """Why `name` cannot be a label name, or None when it can."""
    if not LABEL_NAME_PATTERN.match(name):
        return f"invalid label name {name!r}: must match [a-zA-Z_][a-zA-Z0-9_]*"
    if name.startswith("__"):
        return f"invalid label name {name!r}: names starting with '__' are reserved by Prometheus"
    return None


def metric_base(metric: str) -> str:
    """A counter's name without its `_total` suffix, as recording-rule names use it."""
    return metric.removesuffix("_total")


def level_of(by: list[str]) -> str:
    """The `level` part of a recording-rule name: the labels an aggregation keeps."""
    return "_".join(by) if by else GLOBAL_LEVEL


def recording_rule_name(by: list[str], metric: str, operations: str, group: str) -> str:
    """`level:metric:operations:group`, the copy written by rule group `group`.

    e.g. `service_feature:ranker_feature_nulls_per_lookup:ratio_rate5m:features_null_rate` in group
    `features.null_rate`.
    """
    return f"{level_of(by)}:{metric}:{operations}:{group_qualifier(group)}"


def group_qualifier(group: str) -> str:
    """A group name as the last part of a metric name: each character a metric name cannot hold becomes `_`.

    Two groups may map to the same qualifier (`a-b.raw`, `a_b.raw`); the pipeline refuses a series name
    written by two groups, so such a clash is an error, never two writers of one series.
    """
    return _NOT_IN_METRIC_NAME.sub("_", group)


def window_suffix(window_ms: int) -> str:
    """A window as it appears in recording-rule operations: `rate5m`, `increase1h`."""
    return format_duration(window_ms)


def group_name(file_stem: str, kind: str) -> str:
    """The rule group holding one source file's alerts of one kind."""
    return f"{file_stem}.{kind}"


def rule_file_name(file_stem: str) -> str:
    """The output rule file of one source file."""
    return f"{file_stem}{RULE_FILE_SUFFIX}"


def runbook_file_name(alert_name: str) -> str:
    """The runbook of an alert, in runbooks/ and in the build."""
    return f"{alert_name}{RUNBOOK_SUFFIX}"


def pager_receiver_name(team: str) -> str:
    """The Alertmanager receiver of a team's pages."""
    return f"{team}-pager"


def ticket_receiver_name(team: str) -> str:
    """The Alertmanager receiver of a team's tickets."""
    return f"{team}-ticket"
