"""Which routes an alert reaches: dispatch/route.go Route.Match over the compiled route tree.

Depth-first, children in order; a node matches when all its matchers match (missing labels are ""); a
matching child ends the scan unless it has `continue: true`; when no child matches, the node itself is the
match. One aggregation group per (matched route, group labels).
"""

from __future__ import annotations

from simulator.alertmanager.config import AlertmanagerConfig, Route, matches_all


def match_routes(route: Route, labels: dict[str, str]) -> list[Route]:
    """route.go Match: the routes (leaves of the matching path, or the node itself) an alert is dispatched to."""
    if not matches_all(route.matchers, labels):
        return []
    matched: list[Route] = []
    for child in route.routes:
        found = match_routes(child, labels)
        matched += found
        if found and not child.continue_:
            break
    return matched or [route]


def receivers_for(config: AlertmanagerConfig, labels: dict[str, str]) -> list[str]:
    """The receivers of the matched routes, in match order, as `amtool config routes test` prints them."""
    return [route.receiver for route in match_routes(config.route, labels)]


def group_key(route: Route, labels: dict[str, str]) -> str:
    """dispatch.go aggrGroup key: the route's key and the alert's group labels (model.LabelSet.String order)."""
    group = route.group_labels(labels)
    body = ", ".join(f'{name}="{_go_escape(value)}"' for name, value in sorted(group.items()))
    return f"{route.key()}:{{{body}}}"


def _go_escape(value: str) -> str:
    """strconv.Quote's escapes for the characters label values commonly hold."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
