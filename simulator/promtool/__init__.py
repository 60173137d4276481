"""A re-implementation of `promtool test rules` (Prometheus 2.42) over the grid evaluator."""
