"""`routing.yaml` → the Alertmanager configuration: loading with positions, checks against the alerts, and
the route tree, receivers, inhibit rules and time intervals of alertmanager.yml.

Tree (dispatch/route.go semantics; a child inherits receiver, grouping and timers, never time intervals):

    root (receiver unrouted, defaults)
      severity="info"            → null (nobody notified)
      team="T" (T's overrides)   → inherits unrouted when no severity below matches
        severity="page"          → T-pager
        severity="ticket"        → T-ticket (its active/mute time intervals)

Pure except `load_routing`, which reads the one file it is given.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from common.durations import format_duration, parse_duration
from common.problems import Problem, SourcePosition
from common.yamlsource import PositionMap, load_yaml_file
from compiler.alertmanager import matcher
from compiler.naming import FALLBACK_RECEIVER, NULL_RECEIVER, pager_receiver_name, ticket_receiver_name
from compiler.routing_spec import INLINE_SECRET_KEYS, GroupingV1, ReceiverV1, RoutingV1
from compiler.validation import duplicate_key_problems, pydantic_problems

ROUTING_FILE = "routing.yaml"
SEVERITY_RECEIVERS = {"page": pager_receiver_name, "ticket": ticket_receiver_name}
# Alertmanager's global.resolve_timeout default (config/config.go DefaultGlobalConfig), written out so the
# config says what applies; it never applies to Prometheus's alerts, which always carry EndsAt.
RESOLVE_TIMEOUT = "5m"


@dataclasses.dataclass(frozen=True)
class LoadedRouting:
    """A validated routing file and where its values are, for problems found later against the alerts."""

    routing: RoutingV1
    positions: PositionMap


def load_routing(path: Path) -> tuple[LoadedRouting | None, list[Problem]]:
    """Parse and validate `path`; every problem at once, inline secrets named without their values."""
    document = load_yaml_file(path)
    if document.problems:
        return None, document.problems
    problems = duplicate_key_problems(document.data, document.positions)
    try:
        routing = RoutingV1.model_validate(document.data if document.data is not None else {})
    except ValidationError as error:
        found = pydantic_problems(error, (), document.positions, None, RoutingV1)
        return None, problems + [_secret_wording(problem) for problem in found]
    if problems:
        return None, problems
    loaded = LoadedRouting(routing, document.positions)
    return loaded, _time_interval_problems(loaded)


def _secret_wording(problem: Problem) -> Problem:
    """Say "inline secret" / "missing secret reference" where pydantic says unknown / missing field."""
    key = (problem.field or "").rsplit(".", 1)[-1]
    if key in INLINE_SECRET_KEYS and problem.message.startswith("unknown field"):
        message = (
            f"inline secret: Alertmanager must read it from a file; write it to a file readable by Alertmanager "
            f"and reference it with {INLINE_SECRET_KEYS[key]}"
        )
        return dataclasses.replace(problem, message=message)
    if key.endswith("_file") and problem.message == "missing required field":
        message = f"missing secret reference: {key} names the file Alertmanager reads the secret from"
        return dataclasses.replace(problem, message=message)
    return problem


def _time_interval_problems(loaded: LoadedRouting) -> list[Problem]:
    """Every time interval a route names must be defined; the root (unrouted) may not have any (config.go)."""
    routing, positions = loaded.routing, loaded.positions
    problems = []
    places: list[tuple[tuple, ReceiverV1]] = [(("unrouted",), routing.unrouted)]
    for team_name, team in routing.teams.items():
        places += [(("teams", team_name, severity), getattr(team, severity)) for severity in SEVERITY_RECEIVERS]
    for path, receiver in places:
        if receiver is None:
            continue
        for key in ("active_time_intervals", "mute_time_intervals"):
            for index, name in enumerate(getattr(receiver, key)):
                where = positions.of_value(path + (key, index))
                field = ".".join(str(part) for part in path + (key,))
                if path == ("unrouted",):
                    problems.append(Problem(where, "the root route cannot have time intervals", field=field))
                elif name not in routing.time_intervals:
                    known = ", ".join(sorted(routing.time_intervals)) or "none"
                    problems.append(Problem(where, f"unknown time interval {name!r} (defined: {known})", field=field))
    return problems


def team_problems(
    loaded: LoadedRouting, alerts: list[tuple[str, str, str, SourcePosition, SourcePosition]]
) -> list[Problem]:
    """Every alert's team must be declared, with a receiver for the alert's severity (info needs none).

    `alerts`: (name, team, severity, position of team, position of severity).
    """
    teams = loaded.routing.teams
    problems = []
    for name, team, severity, team_at, severity_at in alerts:
        if team not in teams:
            declared = ", ".join(sorted(teams)) or "none"
            message = f"unknown team {team!r}: declare it under `teams:` in {ROUTING_FILE} (declared: {declared})"
            problems.append(Problem(team_at, message, name, "team"))
        elif severity in SEVERITY_RECEIVERS and getattr(teams[team], severity) is None:
            message = f"team {team!r} has no `{severity}` receiver in {ROUTING_FILE}"
            problems.append(Problem(severity_at, message, name, "severity"))
    return problems


def routing_config(routing: RoutingV1, inhibit_rules: list[dict]) -> dict:
    """alertmanager.yml as plain data, in Alertmanager's field order; teams sorted (deterministic output)."""
    routes: list[dict] = [{"receiver": NULL_RECEIVER, "matchers": [matcher("severity", "info")]}]
    receivers = [_receiver(FALLBACK_RECEIVER, routing.unrouted), {"name": NULL_RECEIVER}]
    for team_name in sorted(routing.teams):
        team = routing.teams[team_name]
        children = []
        for severity, receiver_name in SEVERITY_RECEIVERS.items():
            receiver = getattr(team, severity)
            if receiver is None:
                continue
            child: dict[str, Any] = {"receiver": receiver_name(team_name), "matchers": [matcher("severity", severity)]}
            for key in ("mute_time_intervals", "active_time_intervals"):
                if getattr(receiver, key):
                    child[key] = list(getattr(receiver, key))
            children.append(child)
            receivers.append(_receiver(receiver_name(team_name), receiver))
        routes.append({"matchers": [matcher("team", team_name)], **_grouping(team), "routes": children})
    if routing.page_mutes_tickets is not None:
        inhibit_rules = [
            {
                "source_matchers": [matcher("severity", "page")],
                "target_matchers": [matcher("severity", "ticket")],
                "equal": list(routing.page_mutes_tickets),
            },
            *inhibit_rules,
        ]
    config: dict[str, Any] = {
        "global": {"resolve_timeout": RESOLVE_TIMEOUT},
        "route": {"receiver": FALLBACK_RECEIVER, **_grouping(routing.defaults), "routes": routes},
    }
    if inhibit_rules:
        config["inhibit_rules"] = inhibit_rules
    config["receivers"] = receivers
    if routing.time_intervals:
        config["time_intervals"] = [
            {"name": name, "time_intervals": [entry.model_dump(exclude_defaults=True) for entry in entries]}
            for name, entries in sorted(routing.time_intervals.items())
        ]
    return config


def _grouping(grouping: GroupingV1) -> dict:
    out: dict[str, Any] = {}
    if grouping.group_by is not None:
        out["group_by"] = list(grouping.group_by)
    for key in ("group_wait", "group_interval", "repeat_interval"):
        value = getattr(grouping, key)
        if value is not None:
            out[key] = format_duration(parse_duration(value))
    return out


def _receiver(name: str, receiver: ReceiverV1) -> dict:
    """One receiver with its integrations, in a fixed order; secrets only as file references."""
    out: dict[str, Any] = {"name": name}
    if receiver.email:
        email = receiver.email
        out["email_configs"] = [
            _with_send_resolved(
                {
                    "to": email.to,
                    "from": email.from_,
                    "smarthost": email.smarthost,
                    "auth_username": email.auth_username,
                    "auth_password_file": email.auth_password_file,
                },
                email.send_resolved,
            )
        ]
    if receiver.pagerduty:
        pagerduty = receiver.pagerduty
        out["pagerduty_configs"] = [
            _with_send_resolved({"routing_key_file": pagerduty.routing_key_file}, pagerduty.send_resolved)
        ]
    if receiver.slack:
        slack = receiver.slack
        out["slack_configs"] = [
            _with_send_resolved({"api_url_file": slack.api_url_file, "channel": slack.channel}, slack.send_resolved)
        ]
    if receiver.webhook:
        webhook = receiver.webhook
        http_config: dict[str, Any]
        if webhook.basic_auth is None:  # WebhookV1 holds exactly one credential
            http_config = {"authorization": {"credentials_file": webhook.bearer_token_file}}
        else:
            http_config = {
                "basic_auth": {
                    "username": webhook.basic_auth.username,
                    "password_file": webhook.basic_auth.password_file,
                }
            }
        out["webhook_configs"] = [
            _with_send_resolved({"url": webhook.url, "http_config": http_config}, webhook.send_resolved)
        ]
    if receiver.opsgenie:
        opsgenie = receiver.opsgenie
        out["opsgenie_configs"] = [_with_send_resolved({"api_key_file": opsgenie.api_key_file}, opsgenie.send_resolved)]
    return out


def _with_send_resolved(entry: dict, send_resolved: bool | None) -> dict:
    return {"send_resolved": send_resolved, **entry} if send_resolved is not None else entry
