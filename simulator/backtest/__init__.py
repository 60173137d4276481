"""Backtests against real history in any store that serves the Prometheus HTTP API (docs/backtest.md).

plan         what to fetch: each expression's selectors and the times they read; the evaluation grid
client       the HTTP API client: timeouts, retries with backoff, credentials never shown
fetch        raw samples by chunks of bounded size, optionally cached on disk
replay       the rules over the fetched samples, or by the store's query_range (--remote-eval)
run          one backtest over one or more revisions of the rules
report       text and JSON, and the comparison of two revisions
openmetrics  a scenario's series as OpenMetrics text for promtool's backfill
"""
