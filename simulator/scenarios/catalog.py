"""The metric catalog of the reference service and the baseline parameters incidents may change.

All naming lives here: the generators emit exactly these metrics, and a scenario may change
exactly these parameters.
"""

from __future__ import annotations

from .schema import MAX_RATE_PER_SECOND, BaselineSpec

SERVICE_LABEL = ("service", "ranker")

# Classic histogram bucket bounds of ranker_request_duration_seconds (seconds), +Inf last.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5)

METRICS = (
    "ranker_requests_total",
    "ranker_request_duration_seconds_bucket",
    "ranker_request_duration_seconds_sum",
    "ranker_request_duration_seconds_count",
    "ranker_feature_cache_requests_total",
    "ranker_feature_lookups_total",
    "ranker_feature_nulls_total",
    "ranker_model_score_sum",
    "ranker_model_score_count",
    "ranker_impressions_total",
    "ranker_clicks_total",
    "experiment_assignments_total",
)

# Parameter name -> (lower bound, upper bound) after incidents are applied.
_FIXED_PARAMETERS = {
    "request_rate": (0.0, MAX_RATE_PER_SECOND),
    "cache_hit_ratio": (0.0, 1.0),
    "latency_p50": (1e-6, float("inf")),
    "latency_p99": (1e-6, float("inf")),
    "model_score_mean": (-float("inf"), float("inf")),
    "ctr": (0.0, 1.0),
    "impressions_per_request": (0.0, float("inf")),
}


def parameter_bounds(baseline: BaselineSpec) -> dict[str, tuple[float, float]]:
    """Every parameter an incident may change, for this baseline, with its valid range."""
    bounds = dict(_FIXED_PARAMETERS)
    for feature in baseline.features:
        bounds[f"null_rate.{feature}"] = (0.0, 1.0)
    for experiment, spec in baseline.experiments.items():
        bounds[f"assignment_rate.{experiment}"] = (0.0, float("inf"))
        for variant in spec.split:
            bounds[f"split.{experiment}.{variant}"] = (0.0, float("inf"))
    return bounds
