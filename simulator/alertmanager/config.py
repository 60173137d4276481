"""The compiled alertmanager.yml as plain data: routes, inhibit rules, receivers, time intervals.

What Alertmanager 0.25 reads (config/config.go), with what the routing and inhibition models need: matchers
parsed as pkg/labels/parse.go parses them, durations as model.Duration, and the inheritance of NewRoute
(dispatch/route.go) applied, so every route node carries its effective receiver, grouping and timers.
Pure: `load_alertmanager_config(text)` parses text; reading the file is the caller's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from common.durations import DurationError, parse_duration
from common.regex import GoRegexpError, compile_anchored

# dispatch/route.go DefaultRouteOpts: the timers of a route that sets none (and whose ancestors set none).
DEFAULT_GROUP_WAIT_MS = 30_000
DEFAULT_GROUP_INTERVAL_MS = 5 * 60_000
DEFAULT_REPEAT_INTERVAL_MS = 4 * 3_600_000
# config/config.go: `group_by: ['...']` groups by every label of the alert.
GROUP_BY_ALL = "..."

# pkg/labels/parse.go: one matcher, `name op value`, the value optionally double-quoted.
_MATCHER_RE = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s:.*?))\s*$")
# pkg/labels/matcher.go MatchType order (MatchEqual, MatchNotEqual, MatchRegexp, MatchNotRegexp): sort ties.
_MATCH_TYPE_ORDER = {"=": 0, "!=": 1, "=~": 2, "!~": 3}


class AlertmanagerConfigError(ValueError):
    """The configuration cannot be read as Alertmanager 0.25 would read it."""


@dataclass(frozen=True)
class Matcher:
    """One label matcher (pkg/labels/matcher.go); a missing label matches as the empty string."""

    name: str
    op: str  # "=", "!=", "=~", "!~"
    value: str
    pattern: re.Pattern | None = field(default=None, compare=False, repr=False)

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether the label's value (or "" when absent) satisfies the matcher."""
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self.pattern is not None  # new_matcher compiles every regex matcher
        found = self.pattern.fullmatch(actual) is not None  # anchored ^(?:value)$ as labels.NewMatcher does
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        """matcher.go String: name, operator, the value double-quoted with OpenMetrics escapes."""
        escaped = self.value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
        return f'{self.name}{self.op}"{escaped}"'

    def sort_key(self) -> tuple:
        """matcher.go Matchers.Less: by name, then value, then match type."""
        return (self.name, self.value, _MATCH_TYPE_ORDER[self.op])


def matches_all(matchers: tuple[Matcher, ...], labels: dict[str, str]) -> bool:
    """labels.Matchers.Matches: every matcher holds (an empty list matches everything)."""
    return all(matcher.matches(labels) for matcher in matchers)


def new_matcher(name: str, op: str, value: str) -> Matcher:
    """A matcher, its regex compiled anchored as Go's RE2 (labels.NewMatcher)."""
    pattern = None
    if op in ("=~", "!~"):
        try:
            pattern = compile_anchored(value)
        except (GoRegexpError, ValueError) as error:
            raise AlertmanagerConfigError(f"invalid regular expression {value!r}: {error}") from None
    return Matcher(name, op, value, pattern)


def parse_matcher(text: str) -> Matcher:
    """pkg/labels/parse.go ParseMatcher: `name op value`, the value optionally in double quotes with \\ escapes."""
    found = _MATCHER_RE.match(text)
    if not found:
        raise AlertmanagerConfigError(f"bad matcher format: {text}")
    name, op, raw = found.groups()
    quoted = raw.startswith('"')
    if quoted:
        raw = raw[1:]
    value, escaped, closed = [], False, False
    for index, char in enumerate(raw):
        if escaped:
            value.append({"n": "\n", '"': '"', "\\": "\\"}.get(char, "\\" + char))  # a spurious escape stays
            escaped = False
        elif char == "\\" and index < len(raw) - 1:
            escaped = True
        elif char == '"':
            if not quoted or index < len(raw) - 1:
                raise AlertmanagerConfigError(f"matcher value contains unescaped double quote: {found.group(3)}")
            closed = True
        else:
            value.append(char)
    if quoted and not closed:
        raise AlertmanagerConfigError(f"missing trailing double quote: {found.group(3)}")
    return new_matcher(name, op, "".join(value))


def parse_matchers(text: str) -> list[Matcher]:
    """pkg/labels/parse.go ParseMatchers: optional braces, comma-separated matchers (commas in quotes kept)."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    parts: list[str] = []
    current: list[str] = []
    in_quotes, escaped = False, False
    for char in body:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            in_quotes = not in_quotes
        elif char == "," and not in_quotes:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [parse_matcher(part) for part in parts if part.strip()]


@dataclass
class Route:
    """One node of the route tree with its effective (inherited) options, as dispatch/route.go NewRoute builds it.

    group_by_all: `group_by: ['...']`. mute/active time intervals are the node's own (never inherited).
    """

    receiver: str
    matchers: tuple[Matcher, ...]
    group_by: tuple[str, ...]
    group_by_all: bool
    group_wait_ms: int
    group_interval_ms: int
    repeat_interval_ms: int
    continue_: bool = False
    mute_time_intervals: tuple[str, ...] = ()
    active_time_intervals: tuple[str, ...] = ()
    routes: list[Route] = field(default_factory=list)
    parent: Route | None = field(default=None, repr=False)
    index: int = 0  # position among its siblings (0 for the root)

    def key(self) -> str:
        """route.go Key: the parent's key, '/', then this node's sorted matchers in braces."""
        own = "{" + ",".join(str(matcher) for matcher in self.matchers) + "}"
        return f"{self.parent.key()}/{own}" if self.parent is not None else own

    def group_labels(self, labels: dict[str, str]) -> dict[str, str]:
        """The labels that name this route's aggregation group for an alert (dispatch.go getGroupLabels)."""
        if self.group_by_all:
            return dict(labels)
        return {name: labels[name] for name in self.group_by if name in labels}


@dataclass(frozen=True)
class InhibitRule:
    """One inhibit rule (config.InhibitRule): source and target matchers, labels that must be equal."""

    source_matchers: tuple[Matcher, ...]
    target_matchers: tuple[Matcher, ...]
    equal: tuple[str, ...]


@dataclass(frozen=True)
class Receiver:
    """A receiver: its name and integrations (e.g. {"webhook_configs": [...]}); send_resolved per integration."""

    name: str
    integrations: dict[str, list[dict[str, Any]]]


@dataclass
class AlertmanagerConfig:
    """The parts of alertmanager.yml the models use."""

    route: Route
    inhibit_rules: list[InhibitRule]
    receivers: dict[str, Receiver]
    time_intervals: dict[str, list[dict[str, Any]]]
    global_settings: dict[str, Any]


def load_alertmanager_config(text: str) -> AlertmanagerConfig:
    """Parse alertmanager.yml text; an AlertmanagerConfigError says what Alertmanager would reject."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise AlertmanagerConfigError(f"malformed YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("route"), dict):
        raise AlertmanagerConfigError("no route provided in config")
    receivers = {}
    for raw in document.get("receivers") or []:
        integrations = {key: list(value or []) for key, value in raw.items() if key.endswith("_configs")}
        receivers[raw["name"]] = Receiver(raw["name"], integrations)
    route = _build_route(document["route"], None, 0)
    if route.matchers:
        raise AlertmanagerConfigError("root route must not have any matchers")
    _check_receivers(route, receivers)
    time_intervals = {}
    for section in ("time_intervals", "mute_time_intervals"):
        for raw in document.get(section) or []:
            time_intervals[raw["name"]] = list(raw.get("time_intervals") or [])
    inhibit_rules = [_inhibit_rule(raw) for raw in document.get("inhibit_rules") or []]
    return AlertmanagerConfig(route, inhibit_rules, receivers, time_intervals, dict(document.get("global") or {}))


def _check_receivers(route: Route, receivers: dict[str, Receiver]) -> None:
    if route.receiver not in receivers:
        raise AlertmanagerConfigError(f'undefined receiver "{route.receiver}" used in route')
    for child in route.routes:
        _check_receivers(child, receivers)


def _route_matchers(raw: dict[str, Any]) -> tuple[Matcher, ...]:
    """match (equality), match_re (anchored regex) and matchers, ANDed, sorted as NewRoute sorts them."""
    matchers = [new_matcher(name, "=", str(value)) for name, value in (raw.get("match") or {}).items()]
    matchers += [new_matcher(name, "=~", str(value)) for name, value in (raw.get("match_re") or {}).items()]
    for text in raw.get("matchers") or []:
        matchers += parse_matchers(text)
    return tuple(sorted(matchers, key=Matcher.sort_key))


def _duration(raw: dict[str, Any], key: str, inherited: int) -> int:
    if raw.get(key) is None:
        return inherited
    try:
        return parse_duration(str(raw[key]))
    except DurationError as error:
        raise AlertmanagerConfigError(f"{key}: {error}") from None


def _build_route(raw: dict[str, Any], parent: Route | None, index: int) -> Route:
    """NewRoute: copy the parent's options, then override each the node sets itself."""
    group_by = raw.get("group_by")
    # config.go 0.25 builds Route.GroupBy by appending to a nil slice, so `group_by: []` leaves it nil and
    # NewRoute (`if cr.GroupBy != nil`) inherits the parent's grouping, exactly as an absent group_by does.
    if not group_by:
        inherited_by, by_all = (parent.group_by, parent.group_by_all) if parent else ((), False)
    else:
        by_all = GROUP_BY_ALL in group_by
        inherited_by = () if by_all else tuple(group_by)
    route = Route(
        receiver=raw.get("receiver") or (parent.receiver if parent else ""),
        matchers=_route_matchers(raw),
        group_by=inherited_by,
        group_by_all=by_all,
        group_wait_ms=_duration(raw, "group_wait", parent.group_wait_ms if parent else DEFAULT_GROUP_WAIT_MS),
        group_interval_ms=_duration(
            raw, "group_interval", parent.group_interval_ms if parent else DEFAULT_GROUP_INTERVAL_MS
        ),
        repeat_interval_ms=_duration(
            raw, "repeat_interval", parent.repeat_interval_ms if parent else DEFAULT_REPEAT_INTERVAL_MS
        ),
        continue_=bool(raw.get("continue", False)),
        mute_time_intervals=tuple(raw.get("mute_time_intervals") or ()),
        active_time_intervals=tuple(raw.get("active_time_intervals") or ()),
        parent=parent,
        index=index,
    )
    route.routes = [_build_route(child, route, i) for i, child in enumerate(raw.get("routes") or [])]
    return route


def _inhibit_rule(raw: dict[str, Any]) -> InhibitRule:
    """source_match/source_match_re/source_matchers ANDed (likewise target_*), as config.InhibitRule reads them."""
    sides = []
    for side in ("source", "target"):
        matchers = [new_matcher(n, "=", str(v)) for n, v in (raw.get(f"{side}_match") or {}).items()]
        matchers += [new_matcher(n, "=~", str(v)) for n, v in (raw.get(f"{side}_match_re") or {}).items()]
        for text in raw.get(f"{side}_matchers") or []:
            matchers += parse_matchers(text)
        sides.append(tuple(matchers))
    return InhibitRule(sides[0], sides[1], tuple(raw.get("equal") or ()))
