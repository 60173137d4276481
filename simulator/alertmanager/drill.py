"""Fire drill: replay what Prometheus would post to a real Alertmanager, in accelerated wall time.

Pieces, composed by `alertkit drill` (simulator/commands/drill.py) and the integration tests:
- drill_config: the Alertmanager configuration of a drill: group_wait, group_interval and repeat_interval divided by
  the speed, every integration replaced by a webhook to the local recorder (same send_resolved), and time
  intervals dropped (calendar times cannot be accelerated; the drill's model goes without them too);
- DrillPlan: the POSTs of a scenario window (sender.py) and the model's notifications for them, in scenario time;
- WebhookRecorder: an http.server on 127.0.0.1 that records every notification it receives;
- AlertmanagerClient: POST /api/v2/alerts with timeouts and retries, and a clear error when unreachable;
- run_drill: posts each batch at its accelerated wall time, then maps the recorded notifications back to
  scenario time.
Alertmanager's own 30 s maintenance (removal of empty groups) runs in wall time, so in scenario time it is
30 s × speed: the model of a drill is run with that maintenance interval.
"""

from __future__ import annotations

import copy
import datetime
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
import yaml
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from common.durations import parse_duration
from simulator.alertmanager.config import (
    DEFAULT_GROUP_INTERVAL_MS,
    DEFAULT_GROUP_WAIT_MS,
    DEFAULT_REPEAT_INTERVAL_MS,
    AlertmanagerConfig,
    load_alertmanager_config,
)
from simulator.rules.model import AlertTimeline

from .dispatch import MAINTENANCE_INTERVAL_MS, SEND_RESOLVED_DEFAULTS, Dispatcher, DispatchResult
from .sender import Labels, Post, prometheus_posts

ROUTE_TIMERS = {
    "group_wait": DEFAULT_GROUP_WAIT_MS,
    "group_interval": DEFAULT_GROUP_INTERVAL_MS,
    "repeat_interval": DEFAULT_REPEAT_INTERVAL_MS,
}
# The recorder answers after this share of the shortest (wall) group_interval, at most 1 s. The notification log's
# timestamp is taken after the receiver answered; repeat_interval = N·group_interval repeats at the (N+1)-th tick
# only while that latency exceeds the timers' drift over N ticks (each aggrGroup timer is reset a little after it
# fired, about 1-2 ms per tick on a busy machine; see docs/alertmanager-timing.md). A remote pager answers in
# 100+ ms, so the model takes N+1; the drill's recorder answers as slowly, in wall time.
RECEIVER_LATENCY_SHARE = 0.4
RECEIVER_LATENCY_MAX_S = 1.0
# Drill tolerance (wall time): the POST and notification round trips on a shared machine (150 ms, as upstream's
# acceptance harness test/with_api_v2 allows), and the timer drift per group_interval tick.
TOLERANCE_WALL_MS = 150
TOLERANCE_WALL_MS_PER_TICK = 2
# requests timeouts (connect, read) and retries of every call to Alertmanager.
CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 5.0
RETRIES = 3
# Wall seconds between the drill's start and its first moment (the window's start).
DRILL_LEAD_S = 0.2


class DrillError(Exception):
    """A drill that cannot run (unreachable Alertmanager, a configuration it cannot accelerate)."""


# --- configuration -------------------------------------------------------------------------------------------


def _scaled(text: str, speed: int, where: str) -> str:
    ms = parse_duration(str(text))
    scaled = ms // speed
    if scaled < 1:
        raise DrillError(f"{where}: {text} divided by speed {speed} is under 1 ms; lower --speed")
    return f"{scaled}ms"


def _scale_route(route: dict[str, Any], speed: int, root: bool) -> None:
    for name, default_ms in ROUTE_TIMERS.items():
        if name in route:
            route[name] = _scaled(route[name], speed, f"route {name}")
        elif root:
            route[name] = _scaled(f"{default_ms}ms", speed, f"route {name}")
    # Time intervals are calendar times, which cannot be accelerated: the drill (and its model) goes without them.
    route.pop("mute_time_intervals", None)
    route.pop("active_time_intervals", None)
    for child in route.get("routes") or []:
        _scale_route(child, speed, False)


def drill_config(config_text: str, speed: int, recorder_url: str) -> str:
    """The configuration a drill's Alertmanager loads (YAML text)."""
    document = yaml.safe_load(config_text)
    document = copy.deepcopy(document)
    _scale_route(document["route"], speed, True)
    document.pop("time_intervals", None)
    document.pop("mute_time_intervals", None)
    for receiver in document.get("receivers") or []:
        hooks: list[dict[str, Any]] = []
        for kind in sorted(k for k in receiver if k.endswith("_configs")):
            for settings in receiver.pop(kind) or []:
                send_resolved = (settings or {}).get("send_resolved", SEND_RESOLVED_DEFAULTS.get(kind, True))
                # Named as the drill's own integration (webhook_configs[i]), which is what its model sees.
                url = f"{recorder_url.rstrip('/')}/{receiver['name']}/webhook_configs/{len(hooks)}"
                hooks.append({"url": url, "send_resolved": bool(send_resolved)})
        if hooks:
            receiver["webhook_configs"] = hooks
    return yaml.safe_dump(document, sort_keys=False)


def uses_time_intervals(config_text: str) -> bool:
    """Whether the configuration mutes or activates routes by time (which a drill drops)."""
    document = yaml.safe_load(config_text) or {}
    return bool(document.get("time_intervals") or document.get("mute_time_intervals"))


def shortest_group_interval_ms(config: AlertmanagerConfig) -> int:
    stack, shortest = [config.route], config.route.group_interval_ms
    while stack:
        route = stack.pop()
        shortest = min(shortest, route.group_interval_ms)
        stack += route.routes
    return shortest


def receiver_latency_s(config: AlertmanagerConfig, speed: int) -> float:
    """How long the drill's recorder waits before answering (config in scenario time)."""
    wall_s = shortest_group_interval_ms(config) / 1000 / speed
    return min(RECEIVER_LATENCY_SHARE * wall_s, RECEIVER_LATENCY_MAX_S)


def model_config(drill_text: str, speed: int) -> AlertmanagerConfig:
    """The drill's configuration in scenario time (its scaled timers multiplied back by the speed)."""
    config = load_alertmanager_config(drill_text)
    stack = [config.route]
    while stack:
        route = stack.pop()
        route.group_wait_ms *= speed
        route.group_interval_ms *= speed
        route.repeat_interval_ms *= speed
        stack += route.routes
    return config


# --- the plan ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class RecordedNotification:
    """A notification as a receiver saw it (from the model, or recorded from the real Alertmanager)."""

    at_ms: int  # scenario time
    receiver: str
    integration: str
    group_key: str
    firing: tuple[Labels, ...]
    resolved: tuple[Labels, ...]


@dataclass
class DrillPlan:
    from_ms: int
    end_ms: int
    speed: int
    posts: list[Post]
    model: DispatchResult


def plan_drill(
    timelines: list[AlertTimeline],
    config: AlertmanagerConfig,
    evaluation_interval_ms: int,
    from_ms: int,
    span_ms: int,
    speed: int,
) -> DrillPlan:
    """The POSTs of [from, from + span] and the notifications the model predicts for them."""
    end_ms = from_ms + span_ms
    posts = [p for p in prometheus_posts(timelines, evaluation_interval_ms, end_ms) if p.at_ms >= from_ms]
    dispatcher = Dispatcher(config, maintenance_ms=MAINTENANCE_INTERVAL_MS * speed)
    return DrillPlan(from_ms, end_ms, speed, posts, dispatcher.run(posts, end_ms))


def model_notifications(plan: DrillPlan) -> list[RecordedNotification]:
    return sorted(
        RecordedNotification(n.at_ms, n.receiver, n.integration, n.group_key, n.firing, n.resolved)
        for n in plan.model.notifications
    )


# --- the wire ------------------------------------------------------------------------------------------------


def _rfc3339(wall_s: float) -> str:
    moment = datetime.datetime.fromtimestamp(wall_s, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def _parse_rfc3339(text: str) -> float:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class AlertmanagerClient:
    """The few API v2 calls of a drill, every one with timeouts and retries."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        retry = Retry(total=RETRIES, backoff_factor=0.05, status_forcelist=(502, 503, 504), allowed_methods=None)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(
                method, self.url + path, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S), **kwargs
            )
        except requests.RequestException as error:
            raise DrillError(f"cannot reach Alertmanager at {self.url}: {type(error).__name__}: {error}") from None
        if response.status_code >= 400:
            raise DrillError(f"Alertmanager at {self.url}{path} answered {response.status_code}: {response.text[:200]}")
        return response

    def status(self) -> dict[str, Any]:
        return self._call("GET", "/api/v2/status").json()

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        self._call("POST", "/api/v2/alerts", json=alerts)


# --- the recorder --------------------------------------------------------------------------------------------


@dataclass
class WebhookRecorder:
    """A webhook receiver on 127.0.0.1: records (wall time, path, payload) of every notification.

    It answers after latency_s, as a remote receiver would (see receiver_latency_s)."""

    port: int = 0
    latency_s: float = 0.01
    received: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.time()
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                recorder.received.append((arrived, self.path, payload))
                time.sleep(recorder.latency_s)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> WebhookRecorder:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- running -------------------------------------------------------------------------------------------------


def _wire_alert(posted_labels: Labels, starts_ms: int, ends_ms: int, to_wall) -> dict[str, Any]:
    return {
        "labels": dict(posted_labels),
        "annotations": {},
        "startsAt": _rfc3339(to_wall(starts_ms)),
        "endsAt": _rfc3339(to_wall(ends_ms)),
        "generatorURL": "",
    }


@dataclass
class DrillRun:
    """What a drill observed: the notifications (scenario time) and how late the POSTs were (wall seconds)."""

    notifications: list[RecordedNotification]
    max_post_lag_s: float


def run_drill(plan: DrillPlan, client: AlertmanagerClient, recorder: WebhookRecorder, settle_ms: int) -> DrillRun:
    """Post every batch at its accelerated wall time; wait settle_ms (scenario time) after the window; return what
    the recorder received, in scenario time."""
    client.status()  # fails fast, with a clear message, when Alertmanager is unreachable
    wall0 = time.time() + DRILL_LEAD_S

    def to_wall(t_ms: int) -> float:
        return wall0 + (t_ms - plan.from_ms) / 1000 / plan.speed

    max_lag = 0.0
    for post in plan.posts:
        due = to_wall(post.at_ms)
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        max_lag = max(max_lag, time.time() - due)
        client.post_alerts([_wire_alert(a.labels, a.starts_at_ms, a.ends_at_ms, to_wall) for a in post.alerts])
    delay = to_wall(plan.end_ms + settle_ms) - time.time()
    if delay > 0:
        time.sleep(delay)
    return DrillRun(sorted(_recorded(entry, wall0, plan) for entry in list(recorder.received)), max_lag)


def _recorded(entry: tuple[float, str, dict[str, Any]], wall0: float, plan: DrillPlan) -> RecordedNotification:
    arrived, path, payload = entry
    receiver, kind, index = path.strip("/").rsplit("/", 2)
    integration = f"{kind}[{index}]"
    firing: list[Labels] = []
    resolved: list[Labels] = []
    for alert in payload.get("alerts", []):
        labels = tuple(sorted(alert["labels"].items()))
        (firing if alert["status"] == "firing" else resolved).append(labels)
    at_ms = plan.from_ms + round((arrived - wall0) * 1000 * plan.speed)
    return RecordedNotification(
        at_ms, receiver, integration, payload.get("groupKey", ""), tuple(sorted(firing)), tuple(sorted(resolved))
    )


# --- comparing ------------------------------------------------------------------------------------------------


def compare(
    model: list[RecordedNotification],
    real: list[RecordedNotification],
    speed: int,
    group_interval_ms: int,
    uncertain: dict[RecordedNotification, tuple[int, int]] | None = None,
) -> list[str]:
    """Differences between the model's and the real notifications: per (receiver, integration, group), the same
    sequence of alert sets, each at the same time within TOLERANCE_WALL_MS + TOLERANCE_WALL_MS_PER_TICK per
    group_interval tick since the group's first notification (wall time, scaled by the speed)."""
    uncertain = uncertain or {}
    problems = []
    keys = sorted({(n.receiver, n.integration, n.group_key) for n in model + real})
    for key in keys:
        want = [n for n in model if (n.receiver, n.integration, n.group_key) == key]
        got = [n for n in real if (n.receiver, n.integration, n.group_key) == key]
        if [(n.firing, n.resolved) for n in want] != [(n.firing, n.resolved) for n in got]:
            problems.append(f"{key[0]} {key[2]}: model {_sets(want)} != real {_sets(got)}")
            continue
        first = want[0].at_ms if want else 0
        for w, g in zip(want, got):
            ticks = (w.at_ms - first) // group_interval_ms + 1
            tolerance = speed * (TOLERANCE_WALL_MS + TOLERANCE_WALL_MS_PER_TICK * ticks)
            earliest, latest = uncertain.get(w, (w.at_ms, w.at_ms))
            if not earliest - tolerance <= g.at_ms <= latest + tolerance:
                problems.append(
                    f"{key[0]} {key[2]}: model at {w.at_ms} ms, real at {g.at_ms} ms (tolerance {tolerance} ms)"
                )
    return problems


def _sets(notifications: list[RecordedNotification]) -> list[tuple[list[str], list[str]]]:
    def names(alerts: tuple[Labels, ...]) -> list[str]:
        return [dict(a).get("alertname", "") for a in alerts]

    return [(names(n.firing), names(n.resolved)) for n in notifications]


def uncertain_windows(plan: DrillPlan) -> dict[RecordedNotification, tuple[int, int]]:
    """The model's notifications whose time is a window, keyed as model_notifications gives them."""
    return {
        RecordedNotification(n.at_ms, n.receiver, n.integration, n.group_key, n.firing, n.resolved): (
            n.earliest_ms,
            n.latest_ms,
        )
        for n in plan.model.notifications
        if not n.certain
    }
