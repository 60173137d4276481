"""The public format of `routing.yaml`: teams, their receivers, severity routes, grouping, time intervals.

Validated like definitions (unknown keys are errors, positions in messages). Secrets are never written here:
every integration names the file Alertmanager 0.25 reads its secret from (config/notifiers.go `*_file` fields,
checked against the real amtool 0.25: pagerduty routing_key_file, opsgenie api_key_file, slack api_url_file,
email auth_password_file, webhook http_config credentials_file / basic_auth password_file). A secret written
inline (`routing_key:`, `api_key:`, a password in a URL, ...) is an error whose message never repeats it.

```yaml
defaults: {group_by: [alertname, team, service], group_wait: 30s, group_interval: 5m, repeat_interval: 4h}
unrouted:                     # alerts no team route takes (other rule files): required, like every receiver
  webhook: {url: https://relay.example/unrouted, bearer_token_file: /etc/alertmanager/secrets/relay}
page_mutes_tickets: [service] # optional inhibit rule: a firing page mutes tickets with these labels equal
time_intervals:
  business_hours:
    - weekdays: ['monday:friday']
      times: [{start_time: '09:00', end_time: '17:00'}]
      location: Europe/Berlin
teams:
  ranking:
    page:   {pagerduty: {routing_key_file: /etc/alertmanager/secrets/ranking-pagerduty}}
    ticket: {slack: {api_url_file: /etc/alertmanager/secrets/slack, channel: '#ranking'},
             active_time_intervals: [business_hours]}
    group_wait: 1m            # per-team overrides: group_by, group_wait, group_interval, repeat_interval
```
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, model_validator

from compiler.spec import DurationText, LabelNameList, NonBlank, PositiveDurationText, StrictModel

# Keys that would hold a secret inline, and the `*_file` field Alertmanager 0.25 reads it from instead.
INLINE_SECRET_KEYS = {
    "routing_key": "routing_key_file",
    "service_key": "routing_key_file",
    "api_key": "api_key_file",
    "api_url": "api_url_file",
    "auth_password": "auth_password_file",
    "auth_secret": "auth_password_file",
    "password": "password_file",
    "bearer_token": "bearer_token_file",
    "credentials": "bearer_token_file",
}

_TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")  # timeinterval.go: HH:MM, 24:00 allowed
_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip


def _file_path(path: str) -> str:
    if not path.strip() or any(char in path for char in "\n\r"):
        raise ValueError("must be a file path (Alertmanager reads the secret from it at load time)")
    return path


def _public_url(url: str) -> str:
    """An http(s) URL with a host and no credentials in it (they would be an inline secret)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(char.isspace() for char in url):
        raise ValueError("invalid URL: expected http:// or https:// and a host")
    if parts.password is not None or parts.query:
        raise ValueError(
            "inline secret: a URL with a password or a query string; put the credential in a file "
            "(bearer_token_file or basic_auth.password_file)"
        )
    return url


FilePath = Annotated[str, AfterValidator(_file_path)]
PublicUrl = Annotated[str, AfterValidator(_public_url)]


class PagerDutyV1(StrictModel):
    """pagerduty_configs (Events API v2): the integration key is read from routing_key_file."""

    routing_key_file: FilePath
    send_resolved: bool | None = None


class OpsgenieV1(StrictModel):
    """opsgenie_configs: the API key is read from api_key_file."""

    api_key_file: FilePath
    send_resolved: bool | None = None


class SlackV1(StrictModel):
    """slack_configs: the incoming-webhook URL (itself a secret) is read from api_url_file."""

    api_url_file: FilePath
    channel: NonBlank
    send_resolved: bool | None = None


class BasicAuthV1(StrictModel):
    username: NonBlank
    password_file: FilePath


class WebhookV1(StrictModel):
    """webhook_configs: a URL without credentials, authenticated by a bearer token or basic auth read from a file."""

    url: PublicUrl
    bearer_token_file: FilePath | None = None
    basic_auth: BasicAuthV1 | None = None
    send_resolved: bool | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> WebhookV1:
        if (self.bearer_token_file is None) == (self.basic_auth is None):
            raise ValueError("needs exactly one secret reference: bearer_token_file or basic_auth.password_file")
        return self


class EmailV1(StrictModel):
    """email_configs: SMTP with authentication, the password read from auth_password_file."""

    to: NonBlank
    from_: NonBlank = Field(alias="from")
    smarthost: NonBlank
    auth_username: NonBlank
    auth_password_file: FilePath
    send_resolved: bool | None = None


class ReceiverV1(StrictModel):
    """Where one severity of a team goes: one or more integrations, each with its secret in a file."""

    pagerduty: PagerDutyV1 | None = None
    opsgenie: OpsgenieV1 | None = None
    slack: SlackV1 | None = None
    webhook: WebhookV1 | None = None
    email: EmailV1 | None = None
    active_time_intervals: list[NonBlank] = Field(default_factory=list)
    mute_time_intervals: list[NonBlank] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some_integration(self) -> ReceiverV1:
        if not any((self.pagerduty, self.opsgenie, self.slack, self.webhook, self.email)):
            raise ValueError("a receiver needs at least one of pagerduty, opsgenie, slack, webhook, email")
        return self


class GroupingV1(StrictModel):
    """Grouping and timers; unset fields inherit (Alertmanager's defaults at the root: 30s, 5m, 4h)."""

    group_by: LabelNameList | None = None
    group_wait: DurationText | None = None
    group_interval: PositiveDurationText | None = None
    repeat_interval: PositiveDurationText | None = None


class TeamV1(GroupingV1):
    """A team: its pager (severity=page) and ticket queue (severity=ticket); severity=info notifies no one."""

    page: ReceiverV1 | None = None
    ticket: ReceiverV1 | None = None


def _time_of_day(text: str) -> str:
    if not _TIME_OF_DAY.match(text):
        raise ValueError(f"invalid time of day {text!r}: expected HH:MM (00:00 to 24:00)")
    return text


def _named_ranges(names: tuple[str, ...], numbers: bool):
    """timeinterval.go: weekdays by name only; months by name or number; `a:b` is an inclusive range."""

    def check(items: list[str]) -> list[str]:
        for item in items:
            for part in item.split(":"):
                if part.lower() not in names and not (numbers and part.isdigit()):
                    raise ValueError(f"invalid range {item!r}: expected names like {names[1]} or {names[1]}:{names[5]}")
        return items

    return check


def _numeric_ranges(items: list[str]) -> list[str]:
    for item in items:
        if not all(part.lstrip("-").isdigit() for part in item.split(":")):
            raise ValueError(f"invalid range {item!r}: expected a number or a range like 1:7")
    return items


def _location(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name like Europe/Berlin)") from None
    return name


class TimeRangeV1(StrictModel):
    start_time: Annotated[str, AfterValidator(_time_of_day)]
    end_time: Annotated[str, AfterValidator(_time_of_day)]


class TimeIntervalV1(StrictModel):
    """One entry of an Alertmanager 0.25 time interval (timeinterval.TimeInterval); unset fields match always."""

    times: list[TimeRangeV1] = Field(default_factory=list)
    weekdays: Annotated[list[str], AfterValidator(_named_ranges(_WEEKDAYS, numbers=False))] = Field(
        default_factory=list
    )
    days_of_month: Annotated[list[str], AfterValidator(_numeric_ranges)] = Field(default_factory=list)
    months: Annotated[list[str], AfterValidator(_named_ranges(_MONTHS, numbers=True))] = Field(default_factory=list)
    years: Annotated[list[str], AfterValidator(_numeric_ranges)] = Field(default_factory=list)
    location: Annotated[str, AfterValidator(_location)] | None = None


class RoutingV1(StrictModel):
    """`routing.yaml`: see the module docstring."""

    defaults: GroupingV1 = Field(default_factory=GroupingV1)
    unrouted: ReceiverV1
    page_mutes_tickets: LabelNameList | None = None
    time_intervals: dict[NonBlank, list[TimeIntervalV1]] = Field(default_factory=dict)
    teams: dict[NonBlank, TeamV1]
