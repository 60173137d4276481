"""Fetching raw samples from a store, chunked by time and bounded in points per request.

query_range of a bare selector gives the value the lookback finds at each step, not the raw samples. The
standard way to read raw samples through the Prometheus API is an instant query of a range selector,
`selector[length]` at the chunk's end: the answer is a matrix of every sample in the window, as stored.
(Stale markers are not in it: range selectors drop them, promql/engine.go matrixIterSlice; docs/backtest.md
says what that changes.)

Chunk lengths adapt: the first chunk of a selector is `initial_chunk_ms` long, and each following chunk is
sized from the sample density seen so far to hold about `max_points` samples. A store that refuses a chunk
as too large gets it again in halves. Neighbouring windows share their boundary instant (2.42 range windows
are closed at both ends, VictoriaMetrics' open at the start), so samples are merged by timestamp.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.durations import format_duration
from simulator.promql.model import Labels, Series, labels_from_dict
from simulator.promql.storage import Storage

from .client import PrometheusAPI, StoreError, TooLargeError
from .plan import Fetch, is_rule_output

DEFAULT_MAX_POINTS = 200_000
DEFAULT_INITIAL_CHUNK_MS = 3_600_000
MIN_CHUNK_MS = 60_000
MAX_CHUNK_MS = 7 * 24 * 3_600_000
# After an empty chunk (before a series existed, or a quiet selector) the next one is this many times longer.
EMPTY_CHUNK_GROWTH = 4
# Chunks ending this close to now are not cached: samples may still arrive (scrape and ingestion delay).
UNSETTLED_MS = 10 * 60_000
CACHE_FORMAT = "alertkit-backtest-chunk-1"

# Called with (milliseconds of fetch window done, label) after each chunk.
ProgressCallback = Callable[[int, str], None]


@dataclass
class FetchStats:
    requests: int = 0
    cache_hits: int = 0
    chunks: int = 0
    samples_received: int = 0  # samples in the answers, chunk overlaps included
    bytes_received: int = 0


@dataclass
class RawData:
    """The fetched series, merged: labels -> (timestamps ms, values), sorted and unique by timestamp."""

    series: dict[Labels, tuple[np.ndarray, np.ndarray]]
    stats: FetchStats

    @property
    def sample_count(self) -> int:
        return sum(len(t) for t, _ in self.series.values())

    def storage(self) -> Storage:
        """A new Storage over these samples (arrays shared, never mutated by the evaluator)."""
        storage = Storage()
        for labels in sorted(self.series):
            t, v = self.series[labels]
            storage.add_series(Series(labels, t, v))
        return storage


class ChunkCache:
    """Fetched chunks on disk, one JSON file per (store, selector, window), written atomically."""

    def __init__(self, directory: Path, store: str):
        self.directory = directory
        self.store = store

    def _path(self, selector: str, start_ms: int, end_ms: int) -> Path:
        key = json.dumps([CACHE_FORMAT, self.store, selector, start_ms, end_ms])
        return self.directory / (hashlib.sha256(key.encode()).hexdigest() + ".json")

    def get(self, selector: str, start_ms: int, end_ms: int) -> list | None:
        try:
            document = json.loads(self._path(selector, start_ms, end_ms).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # absent or unreadable: fetch again
        if not isinstance(document, dict) or document.get("format") != CACHE_FORMAT:
            return None
        result = document.get("result")
        return result if isinstance(result, list) else None

    def put(self, selector: str, start_ms: int, end_ms: int, result: list) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(selector, start_ms, end_ms)
        text = json.dumps({"format": CACHE_FORMAT, "selector": selector, "result": result})
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".chunk-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def fetch_raw(
    api: PrometheusAPI,
    fetches: list[Fetch],
    outputs: frozenset[str],
    *,
    now_ms: int,
    max_points: int = DEFAULT_MAX_POINTS,
    initial_chunk_ms: int = DEFAULT_INITIAL_CHUNK_MS,
    cache: ChunkCache | None = None,
    on_progress: ProgressCallback | None = None,
) -> RawData:
    """Every sample of every fetch, rule outputs dropped (see plan.is_rule_output)."""
    stats = FetchStats()
    pieces: dict[Labels, list[tuple[np.ndarray, np.ndarray]]] = {}
    for fetch in fetches:
        for result in _chunks(api, fetch, now_ms, max_points, initial_chunk_ms, cache, stats, on_progress):
            for item in result:
                metric = item.get("metric", {})
                if is_rule_output(metric, outputs):
                    continue
                t, v = _samples(item.get("values") or [])
                stats.samples_received += len(t)
                pieces.setdefault(labels_from_dict(metric), []).append((t, v))
    stats.requests = api.requests_made
    stats.bytes_received = api.bytes_received
    return RawData({labels: _merged(parts) for labels, parts in pieces.items()}, stats)


def _chunks(api, fetch: Fetch, now_ms, max_points, initial_chunk_ms, cache, stats, on_progress):
    """The matrix result of each chunk of one fetch, in time order."""
    start, chunk = fetch.start_ms, initial_chunk_ms
    while True:
        end = min(start + chunk, fetch.end_ms)
        try:
            result = _chunk(api, fetch.selector, start, end, now_ms, cache, stats)
        except TooLargeError:
            if chunk <= MIN_CHUNK_MS:
                raise
            chunk = max(MIN_CHUNK_MS, chunk // 2)
            continue
        stats.chunks += 1
        yield result
        if on_progress is not None:
            on_progress(end - start, fetch.selector)
        points = sum(len(item.get("values") or []) for item in result)
        if points:
            chunk = _chunk_for(points / max(end - start, 1), max_points)
        else:
            chunk = min(MAX_CHUNK_MS, chunk * EMPTY_CHUNK_GROWTH)
        if end >= fetch.end_ms:
            return
        start = end


def _chunk_for(points_per_ms: float, max_points: int) -> int:
    """A chunk length (whole minutes) holding about max_points at this density."""
    length = int(max_points / points_per_ms) // MIN_CHUNK_MS * MIN_CHUNK_MS
    return min(MAX_CHUNK_MS, max(MIN_CHUNK_MS, length))


def _chunk(api: PrometheusAPI, selector: str, start: int, end: int, now_ms: int, cache, stats) -> list:
    if cache is not None:
        cached = cache.get(selector, start, end)
        if cached is not None:
            stats.cache_hits += 1
            return cached
    # A window of length L at `end` covers [end - L, end]; never shorter than 1ms (a duration of 0 is refused).
    expr = f"{selector}[{format_duration(max(end - start, 1))}]"
    data = api.query(expr, end)
    if data.get("resultType") != "matrix" or not isinstance(data["result"], list):
        raise StoreError(f"{api.shown}: {expr} gave a {data.get('resultType')!r} result, not a matrix of raw samples")
    result = data["result"]
    if cache is not None and end <= now_ms - UNSETTLED_MS:
        cache.put(selector, start, end, result)
    return result


def _samples(values: list) -> tuple[np.ndarray, np.ndarray]:
    """[[seconds, "value"], ...] -> (ms int64, float64). Values are Go's shortest round-trip text, so exact."""
    if not values:
        return np.zeros(0, np.int64), np.zeros(0)
    try:
        seconds = np.array([pair[0] for pair in values], dtype=np.float64)
        v = np.array([float(pair[1]) for pair in values], dtype=np.float64)
    except (TypeError, ValueError, IndexError):
        raise StoreError('a sample in the answer is not [time, "value"]') from None
    return np.round(seconds * 1000).astype(np.int64), v


def _merged(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    t = np.concatenate([p[0] for p in parts])
    v = np.concatenate([p[1] for p in parts])
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    keep = np.append(t[1:] != t[:-1], True) if len(t) else np.zeros(0, bool)
    return t[keep], v[keep]
