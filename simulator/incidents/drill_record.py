"""The notifications a fire drill recorded from the real Alertmanager, saved by `alertkit drill --record FILE`
and read back by `alertkit incidents/postmortem --drill FILE` as the paging timeline (docs/incidents.md).

The file is JSON, version 1 (docs/schemas/drill-record.schema.json): {"schema": "alertkit-drill-notifications",
"version": 1, "kind": "alertkit-drill-notifications" (the name's older spelling, kept for readers of records
written before `schema`), "scenario": NAME,
"from_ms": START, "end_ms": END (the drilled window), "notifications": [{"at_ms", "receiver", "group_key", "firing": [alertname...], "pager"}]}, times in scenario
milliseconds. Pure: text in, text out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from common.errors import InputError

from .report import DrillNotification, DrillRecord

RECORD_VERSION = 1
RECORD_KIND = "alertkit-drill-notifications"


def record_json(
    scenario: str, from_ms: int, end_ms: int, notifications: Iterable[Any], is_pager: Callable[[str], bool]
) -> str:
    """The record of a drill's notifications (objects with at_ms, receiver, group_key and firing label sets)."""
    rows = [
        {
            "at_ms": n.at_ms,
            "receiver": n.receiver,
            "group_key": n.group_key,
            "firing": sorted({dict(labels).get("alertname", "") for labels in n.firing}),
            "pager": is_pager(n.receiver),
        }
        for n in notifications
    ]
    document = {
        "schema": RECORD_KIND,
        "version": RECORD_VERSION,
        "kind": RECORD_KIND,
        "scenario": scenario,
        "from_ms": from_ms,
        "end_ms": end_ms,
        "notifications": rows,
    }
    return json.dumps(document, indent=2) + "\n"


def parse_record(text: str, source: str, scenario: str) -> DrillRecord:
    """A drill record's window and notifications; InputError naming the file and the field when it is not one."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{source}:{error.lineno}:{error.colno}: not JSON: {error.msg}") from None
    # Records written before the `schema` field name themselves only by `kind`; both are read.
    if not isinstance(document, dict) or RECORD_KIND not in (document.get("schema"), document.get("kind")):
        raise InputError(f"{source}: not a drill record (write one with `alertkit drill --record FILE`)")
    if document.get("version") != RECORD_VERSION:
        raise InputError(f"{source}: version: {document.get('version')!r} is not {RECORD_VERSION}")
    if document.get("scenario") != scenario:
        raise InputError(
            f"{source}: scenario: recorded for {document.get('scenario')!r}, not for scenario {scenario!r}"
        )
    for name in ("from_ms", "end_ms"):
        if not _is_time(document.get(name)):
            raise InputError(f"{source}: {name}: must be a non-negative integer (milliseconds)")
    rows = document.get("notifications")
    if not isinstance(rows, list):
        raise InputError(f"{source}: notifications: must be a list")
    notifications = tuple(_notification(row, i, source) for i, row in enumerate(rows))
    return DrillRecord(document["from_ms"], document["end_ms"], notifications)


def _is_time(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _notification(row: Any, i: int, source: str) -> DrillNotification:
    where = f"{source}: notifications[{i}]"
    if not isinstance(row, dict):
        raise InputError(f"{where}: must be an object")
    checks = {
        "at_ms": _is_time,
        "receiver": lambda v: isinstance(v, str),
        "group_key": lambda v: isinstance(v, str),
        "firing": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "pager": lambda v: isinstance(v, bool),
    }
    for name, valid in checks.items():
        if name not in row:
            raise InputError(f"{where}.{name}: required field is missing")
        if not valid(row[name]):
            raise InputError(f"{where}.{name}: invalid value {row[name]!r}")
    return DrillNotification(row["at_ms"], row["receiver"], row["group_key"], tuple(row["firing"]), row["pager"])
