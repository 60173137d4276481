"""A client of the Prometheus HTTP API (web/api/v1), which Thanos, Mimir, Cortex and VictoriaMetrics serve too.

Every request has a timeout; connection failures, timeouts, 429 and 5xx replies are retried with exponential
backoff. Credentials (a bearer token, or basic auth) are held here and sent in headers only: they never appear
in a message, and userinfo in the URL is cut from every message too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from common.errors import AlertkitError, InputError

# The exit status of a store that cannot be reached or gives an unusable answer (2 is bad input).
EXIT_STORE_ERROR = 4

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_S = 0.5
# Replies worth retrying: rate limited, or the server (or a proxy in front of it) failing for now.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# How much of an unusable reply a message quotes.
REPLY_EXCERPT_CHARS = 120


class StoreError(AlertkitError):
    """The store cannot be reached, refuses us, or answers something that is not the Prometheus API."""

    exit_code = EXIT_STORE_ERROR


class TooLargeError(StoreError):
    """The store refused a request as too large (samples or points); a smaller chunk may pass."""


# How stores word "too large": Prometheus (promql/engine.go ErrTooManySamples, web/api/v1 "exceeded maximum
# resolution"), Thanos and Mimir (which pass Prometheus's words on, or "exceeded the limit"), VictoriaMetrics.
TOO_LARGE_MARKERS = ("too many samples", "exceeded maximum resolution", "exceeded the limit", "cannot select more than")


@dataclass(frozen=True)
class Credentials:
    """A bearer token, or a basic-auth user and password. repr() never shows the secret."""

    bearer_token: str | None = None
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        kind = "bearer" if self.bearer_token else "basic" if self.username else "none"
        return f"Credentials({kind})"

    def apply(self, session: requests.Session) -> None:
        if self.bearer_token:
            session.headers["Authorization"] = f"Bearer {self.bearer_token}"
        elif self.username is not None:
            session.auth = (self.username, self.password or "")


def redact_url(url: str) -> str:
    """The URL without user:password@, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


class PrometheusAPI:
    """query and query_range of one store; each answer's `data`, or StoreError saying what went wrong."""

    def __init__(
        self,
        url: str,
        credentials: Credentials | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        backoff_s: float = DEFAULT_BACKOFF_S,
        sleep: Callable[[float], None] = time.sleep,
    ):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"--prometheus {redact_url(url)!r}: not an http(s) URL (http://host:9090)")
        self.base = url.rstrip("/")
        self.shown = redact_url(self.base)
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.session = requests.Session()
        (credentials or Credentials()).apply(self.session)
        self.requests_made = 0
        self.bytes_received = 0

    def query(self, expr: str, t_ms: int) -> dict[str, Any]:
        """/api/v1/query at t_ms."""
        return self._call("query", {"query": expr, "time": _seconds(t_ms)})

    def query_range(self, expr: str, start_ms: int, end_ms: int, step_ms: int) -> dict[str, Any]:
        """/api/v1/query_range over [start, end] every step."""
        params = {"query": expr, "start": _seconds(start_ms), "end": _seconds(end_ms), "step": _seconds(step_ms)}
        return self._call("query_range", params)

    def _call(self, endpoint: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.base}/api/v1/{endpoint}"
        attempt = 0
        while True:
            failure = self._attempt(url, endpoint, params)
            if isinstance(failure, dict):
                return failure
            if attempt >= self.retries:
                raise StoreError(f"{self.shown}: {failure} (after {attempt + 1} attempts)")
            self.sleep(self.backoff_s * 2**attempt)
            attempt += 1

    def _attempt(self, url: str, endpoint: str, params: dict[str, str]) -> dict[str, Any] | str:
        """The answer's data, or the reason worth a retry; StoreError for what a retry cannot fix."""
        self.requests_made += 1
        try:
            # POST: long selectors and expressions fit in a form body, not always in a URL.
            reply = self.session.post(url, data=params, timeout=self.timeout_s)
        except requests.Timeout:
            return f"no answer within {self.timeout_s:g}s"
        except requests.ConnectionError as error:
            return f"cannot connect ({_connection_reason(error)})"
        except requests.RequestException as error:
            raise StoreError(f"{self.shown}: request failed: {type(error).__name__}") from None
        self.bytes_received += len(reply.content)
        if reply.status_code in (401, 403):
            raise StoreError(
                f"{self.shown}: HTTP {reply.status_code} {reply.reason}: the store refused the credentials "
                "(check --bearer-token-file/--bearer-token-env or the basic-auth options)"
            )
        if reply.status_code in RETRY_STATUSES:
            return f"HTTP {reply.status_code} {reply.reason}"
        try:
            body = reply.json()
        except ValueError:
            raise StoreError(
                f"{self.shown}/api/v1/{endpoint}: HTTP {reply.status_code}, the reply is not JSON "
                f"({reply.headers.get('Content-Type', 'no content type')}): {_excerpt(reply.text)!r}; "
                "is this the Prometheus HTTP API?"
            ) from None
        if not isinstance(body, dict) or "status" not in body:
            raise StoreError(f"{self.shown}/api/v1/{endpoint}: the reply is not a Prometheus API answer")
        if body["status"] != "success":
            kind = TooLargeError if any(m in str(body.get("error", "")) for m in TOO_LARGE_MARKERS) else StoreError
            raise kind(
                f"{self.shown}/api/v1/{endpoint}: HTTP {reply.status_code}: "
                f"{body.get('errorType', 'error')}: {body.get('error', 'no message')} (query: {params['query']})"
            )
        data = body.get("data")
        if not isinstance(data, dict) or "result" not in data:
            raise StoreError(f"{self.shown}/api/v1/{endpoint}: the answer has no data.result")
        return data


def _seconds(t_ms: int) -> str:
    """Milliseconds as the API's float seconds, exactly."""
    sign = "-" if t_ms < 0 else ""
    return f"{sign}{abs(t_ms) // 1000}.{abs(t_ms) % 1000:03d}"


def _connection_reason(error: requests.ConnectionError) -> str:
    text = str(error)
    for reason in ("Connection refused", "Name or service not known", "No route to host", "timed out"):
        if reason in text:
            return reason.lower()
    return "connection failed"


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text[:REPLY_EXCERPT_CHARS] + ("..." if len(text) > REPLY_EXCERPT_CHARS else "")
