"""Rule groups as other rule stores read them (pure: rule groups in, file texts out).

- prometheus-operator: one `PrometheusRule` (monitoring.coreos.com/v1) per rule file, its groups under
  `spec.groups` (pkg/apis/monitoring/v1/prometheusrule_types.go). The operator's Prometheus selects rules by
  the labels of the object (`ruleSelector`), so `labels` are put on its metadata.
- Mimir / Cortex ruler: one namespace file per rule file, `namespace:` plus the Prometheus `groups:`
  (mimirtool's rules.RuleNamespace: `namespace`, `groups`), which `mimirtool rules sync/diff/load` read.

The groups are the ones Prometheus would load from the rule files (simulator.rules.loader), written back with
the same fields: name, interval, rules (record/alert, expr, for, keep_firing_for, labels, annotations).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import yaml

from common.durations import format_duration
from common.errors import InputError
from simulator.rules.model import AlertingRule, RecordingRule, RuleGroup

PROMETHEUS_RULE_API_VERSION = "monitoring.coreos.com/v1"
PROMETHEUS_RULE_KIND = "PrometheusRule"
# Kubernetes object names and namespaces: DNS-1123 subdomain / label (k8s.io/apimachinery validation).
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\Z")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?\Z")
MAX_DNS1123_SUBDOMAIN = 253
MAX_DNS1123_LABEL = 63

FORMATS = ("prometheusrule", "mimir")


def group_entry(group: RuleGroup) -> dict:
    """A rule group as rulefmt writes it."""
    entry: dict = {"name": group.name}
    if group.interval_ms is not None:
        entry["interval"] = format_duration(group.interval_ms)
    entry["rules"] = [_rule_entry(rule) for rule in group.rules]
    return entry


def _rule_entry(rule: RecordingRule | AlertingRule) -> dict:
    entry: dict = {"record": rule.record} if isinstance(rule, RecordingRule) else {"alert": rule.alert}
    entry["expr"] = rule.expr
    if isinstance(rule, AlertingRule):
        if rule.for_ms:
            entry["for"] = format_duration(rule.for_ms)
        if rule.keep_firing_for_ms:
            entry["keep_firing_for"] = format_duration(rule.keep_firing_for_ms)
    if rule.labels:
        entry["labels"] = dict(rule.labels)
    if isinstance(rule, AlertingRule) and rule.annotations:
        entry["annotations"] = dict(rule.annotations)
    return entry


def groups_by_file(groups: list[RuleGroup]) -> dict[str, list[RuleGroup]]:
    """Groups per rule-file stem, in load order."""
    files: dict[str, list[RuleGroup]] = {}
    for group in groups:
        files.setdefault(PurePosixPath(group.file).stem, []).append(group)
    return files


def prometheus_rules(
    groups: list[RuleGroup], namespace: str | None, labels: dict[str, str], prefix: str
) -> dict[str, str]:
    """One PrometheusRule manifest per rule file: output file name -> YAML text."""
    if namespace is not None and not _valid_dns_label(namespace):
        raise InputError(f"--namespace {namespace!r}: not a Kubernetes namespace name (lowercase DNS-1123 label)")
    for key, value in labels.items():
        if not _LABEL_KEY.match(key) or not _LABEL_VALUE.match(value) or len(value) > MAX_DNS1123_LABEL:
            raise InputError(f"--label {key}={value}: not a Kubernetes label (key and value syntax)")
    documents = {}
    for stem, file_groups in groups_by_file(groups).items():
        name = object_name(prefix, stem)
        metadata: dict = {"name": name}
        if namespace is not None:
            metadata["namespace"] = namespace
        if labels:
            metadata["labels"] = dict(sorted(labels.items()))
        manifest = {
            "apiVersion": PROMETHEUS_RULE_API_VERSION,
            "kind": PROMETHEUS_RULE_KIND,
            "metadata": metadata,
            "spec": {"groups": [group_entry(group) for group in file_groups]},
        }
        documents[f"{name}.yaml"] = dump_yaml(manifest)
    return documents


def mimir_namespaces(groups: list[RuleGroup], namespace: str | None) -> dict[str, str]:
    """Mimir/Cortex ruler namespace files: one per rule file (namespace = the file's stem), or one file holding
    every group when a namespace is given."""
    if namespace is not None:
        if not namespace.strip() or "/" in namespace:
            raise InputError(f"--namespace {namespace!r}: a Mimir namespace must be non-empty and without '/'")
        files = {namespace: groups}
    else:
        files = groups_by_file(groups)
    return {
        f"{name}.yaml": dump_yaml({"namespace": name, "groups": [group_entry(group) for group in file_groups]})
        for name, file_groups in files.items()
    }


def object_name(prefix: str, stem: str) -> str:
    """A rule file's stem as a Kubernetes object name: lowercase, `_` as `-`."""
    name = f"{prefix}{stem}".lower().replace("_", "-")
    if not _DNS1123_SUBDOMAIN.match(name) or len(name) > MAX_DNS1123_SUBDOMAIN:
        raise InputError(
            f"{stem}: {name!r} is not a Kubernetes object name (DNS-1123 subdomain); rename the rule file "
            "or change --name-prefix"
        )
    return name


def _valid_dns_label(name: str) -> bool:
    return bool(_DNS1123_LABEL.match(name)) and len(name) <= MAX_DNS1123_LABEL


def dump_yaml(document: dict) -> str:
    """Block-style YAML, keys in the order given, long expressions on one line (deterministic)."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1_000_000, default_flow_style=False)
