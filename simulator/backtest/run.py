"""One backtest: plan the fetches, fetch, replay each revision of the rules, time the pages.

No click and no printing: the command (simulator/commands/backtest.py) builds the API client, the cache and the
progress callback and renders the result (report.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.alertmanager.config import AlertmanagerConfig
from simulator.alertmanager.dispatch import Notification
from simulator.alertmanager.timeline import page_timelines
from simulator.promql.model import DEFAULT_LOOKBACK_DELTA_MS, Grid
from simulator.rules.model import AlertTimeline, RuleGroup

from .client import PrometheusAPI
from .fetch import (
    DEFAULT_INITIAL_CHUNK_MS,
    DEFAULT_MAX_POINTS,
    ChunkCache,
    FetchStats,
    ProgressCallback,
    fetch_raw,
)
from .plan import Fetch, fetches, rule_exprs, rule_output_names
from .replay import RemoteQueries, RemoteStats, replay, store_evaluated_rules


@dataclass(frozen=True)
class Revision:
    """A revision of the rules: a name to show ("working tree", a git ref), its groups and paging config."""

    name: str
    groups: list[RuleGroup]
    alertmanager: AlertmanagerConfig | None = None


@dataclass(frozen=True)
class Options:
    remote_eval: bool = False
    max_points: int = DEFAULT_MAX_POINTS
    initial_chunk_ms: int = DEFAULT_INITIAL_CHUNK_MS
    lookback_ms: int = DEFAULT_LOOKBACK_DELTA_MS


@dataclass
class RevisionResult:
    revision: Revision
    timelines: list[AlertTimeline]
    notifications: list[Notification] | None  # None: no Alertmanager configuration to time pages with
    remote_rules: int = 0
    local_rules: int = 0

    @property
    def pages(self) -> list[Notification]:
        return [n for n in self.notifications or [] if n.kind == "page"]


@dataclass
class BacktestResult:
    store: str
    grid: Grid
    remote_eval: bool
    fetches: list[Fetch]
    series: int
    samples: int
    fetch_stats: FetchStats
    remote_stats: RemoteStats | None
    revisions: list[RevisionResult] = field(default_factory=list)


def plan_fetches(revisions: list[Revision], grid: Grid, options: Options) -> list[Fetch]:
    """The union of what every revision's locally evaluated expressions read."""
    exprs: list[str] = []
    outputs: frozenset[str] = frozenset()
    for revision in revisions:
        outputs |= rule_output_names(revision.groups)
        if options.remote_eval:
            exprs += store_evaluated_rules(revision.groups)[1]
        else:
            exprs += rule_exprs(revision.groups)
    return fetches(exprs, grid, outputs, options.lookback_ms)


def backtest(
    api: PrometheusAPI,
    revisions: list[Revision],
    grid: Grid,
    options: Options,
    *,
    now_ms: int,
    cache: ChunkCache | None = None,
    on_progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Fetch once for every revision, then replay each one over the same samples."""
    plan = plan_fetches(revisions, grid, options)
    outputs = frozenset().union(*(rule_output_names(r.groups) for r in revisions))
    raw = fetch_raw(
        api,
        plan,
        outputs,
        now_ms=now_ms,
        max_points=options.max_points,
        initial_chunk_ms=options.initial_chunk_ms,
        cache=cache,
        on_progress=on_progress,
    )
    result = BacktestResult(
        api.shown, grid, options.remote_eval, plan, len(raw.series), raw.sample_count, raw.stats, None
    )
    for revision in revisions:
        remote = None
        if options.remote_eval:
            remote = RemoteQueries(api, rule_output_names(revision.groups), options.max_points)
        timelines = replay(revision.groups, raw.storage(), grid, remote)
        notifications = None
        if revision.alertmanager is not None:
            _posts, dispatched = page_timelines(revision.alertmanager, timelines, grid.step_ms, grid.end_ms)
            notifications = dispatched.notifications
        remote_exprs, local_exprs = store_evaluated_rules(revision.groups)
        revision_result = RevisionResult(revision, timelines, notifications)
        if options.remote_eval:
            revision_result.remote_rules, revision_result.local_rules = len(remote_exprs), len(local_exprs)
            assert remote is not None
            result.remote_stats = _add(result.remote_stats, remote.stats)
        result.revisions.append(revision_result)
    return result


def _add(total: RemoteStats | None, stats: RemoteStats) -> RemoteStats:
    if total is None:
        return RemoteStats(stats.queries, stats.points)
    return RemoteStats(total.queries + stats.queries, total.points + stats.points)
