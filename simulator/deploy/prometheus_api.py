"""The two Prometheus endpoints a deploy talks to: POST /-/reload and GET /api/v1/rules.

Every call has a timeout (connect, read); a refused connection, a timeout or an unexpected answer raises
DeployError with the URL and the reason, never a traceback.
"""

from __future__ import annotations

from typing import Any

import requests

from common.errors import EXIT_INPUT_ERROR, AlertkitError

# (connect, read) seconds. A reload re-reads every rule file and parses every expression before it answers
# (web/web.go serveReload waits for the reload to finish), so its read timeout is the generous one.
CONNECT_TIMEOUT_S = 5.0
RELOAD_READ_TIMEOUT_S = 60.0
API_READ_TIMEOUT_S = 30.0

# web/web.go: the lifecycle endpoint, enabled by --web.enable-lifecycle (403/404 without it in 2.42).
RELOAD_PATH = "/-/reload"
RULES_PATH = "/api/v1/rules"


class DeployError(AlertkitError):
    """The deploy cannot go on, or was rolled back: the message says what Prometheus answered."""

    exit_code = EXIT_INPUT_ERROR


def base_url(url: str) -> str:
    """The server's base URL: `--reload` may name the server or its /-/reload endpoint."""
    url = url.rstrip("/")
    if url.endswith(RELOAD_PATH):
        url = url[: -len(RELOAD_PATH)]
    if not url.startswith(("http://", "https://")):
        raise DeployError(f"--reload {url}: not an http:// or https:// URL")
    return url


def reload(url: str, session: requests.Session | None = None) -> None:
    """POST /-/reload; raise DeployError unless Prometheus answers 200 (it reloaded the rule files)."""
    http = session or requests
    try:
        response = http.post(url + RELOAD_PATH, timeout=(CONNECT_TIMEOUT_S, RELOAD_READ_TIMEOUT_S))
    except requests.RequestException as error:
        raise DeployError(f"{url}{RELOAD_PATH}: cannot reach Prometheus: {_reason(error)}") from None
    if response.status_code != 200:
        body = response.text.strip()
        hint = " (start Prometheus with --web.enable-lifecycle)" if response.status_code in (403, 404, 405) else ""
        raise DeployError(f"{url}{RELOAD_PATH}: HTTP {response.status_code}{hint}: {body or response.reason}")


def loaded_groups(url: str, session: requests.Session | None = None) -> list[dict[str, Any]]:
    """The rule groups Prometheus serves (GET /api/v1/rules, data.groups)."""
    http = session or requests
    where = url + RULES_PATH
    try:
        response = http.get(where, timeout=(CONNECT_TIMEOUT_S, API_READ_TIMEOUT_S))
    except requests.RequestException as error:
        raise DeployError(f"{where}: cannot reach Prometheus: {_reason(error)}") from None
    try:
        payload = response.json()
    except ValueError:
        raise DeployError(f"{where}: HTTP {response.status_code}, not a JSON answer") from None
    if response.status_code != 200 or not isinstance(payload, dict) or payload.get("status") != "success":
        detail = payload.get("error") if isinstance(payload, dict) else None
        raise DeployError(f"{where}: HTTP {response.status_code}: {detail or 'not a success answer'}")
    groups = (payload.get("data") or {}).get("groups")
    if not isinstance(groups, list):
        raise DeployError(f"{where}: the answer has no data.groups list")
    return groups


def _reason(error: requests.RequestException) -> str:
    if isinstance(error, requests.Timeout):
        return "timed out"
    if isinstance(error, requests.ConnectionError):
        return "connection refused or host unreachable"
    return type(error).__name__
