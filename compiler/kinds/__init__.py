"""The kinds of alert, one module each; `KINDS` maps the `kind:` value to its Kind (the only list of kinds)."""

from compiler.kinds import (
    cache_hit_ratio,
    ctr_drop,
    error_ratio,
    freshness,
    latency_quantile,
    model_quality,
    null_rate,
    raw,
    schema_change,
    slo_burn_rate,
    srm,
    zscore_anomaly,
)
from compiler.kinds.base import Kind

KINDS: dict[str, Kind] = {
    module.KIND.name: module.KIND
    for module in (
        null_rate,
        latency_quantile,
        cache_hit_ratio,
        ctr_drop,
        srm,
        zscore_anomaly,
        slo_burn_rate,
        error_ratio,
        freshness,
        schema_change,
        model_quality,
        raw,
    )
}

__all__ = ["KINDS", "Kind"]
