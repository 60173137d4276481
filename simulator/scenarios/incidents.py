"""Baseline parameters over time, with incidents applied through their shapes.

Every function here is vectorized over the scrape grid: one numpy array per parameter.
"""

from __future__ import annotations

import numpy as np

from .catalog import parameter_bounds
from .model import Change, Scenario
from .schema import BaselineSpec

DAY_S = 86400.0


def shape_profile(change: Change, since_start_s: np.ndarray, remaining_s: float) -> np.ndarray:
    """The change's profile p(t) in [0, 1] at seconds since its incident started (0 before it)."""
    active_for_s = change.end_offset_ms(int(remaining_s * 1000)) / 1000.0
    active = (since_start_s >= 0) & (since_start_s < active_for_s)
    elapsed = np.maximum(since_start_s, 0.0)
    if change.shape == "exp_decay":
        assert change.tau_ms is not None  # the schema requires tau for exp_decay
        profile = np.exp(-elapsed / (change.tau_ms / 1000.0))
    elif change.shape == "ramp":
        assert change.rise_ms is not None  # the schema requires rise for ramp
        profile = np.minimum(elapsed / (change.rise_ms / 1000.0), 1.0)
    else:  # step, spike: full change while active
        profile = np.ones_like(elapsed)
    return np.where(active, profile, 0.0)


def baseline_curves(baseline: BaselineSpec, t_s: np.ndarray) -> dict[str, np.ndarray]:
    """Every parameter's undisturbed value at each time (seconds from the scenario start)."""
    rate = baseline.request_rate
    latency = baseline.latency
    rate_cycle = np.cos(2 * np.pi * (t_s - rate.phase / 1000.0) / DAY_S)
    latency_cycle = np.cos(2 * np.pi * (t_s - latency.phase / 1000.0) / DAY_S)

    def constant(value: float) -> np.ndarray:
        # A read-only view, not an array per parameter: 500 features over 90 days would be 0.5 GB.
        return np.broadcast_to(np.float64(value), t_s.shape)

    curves = {
        "request_rate": rate.base * (1.0 + rate.amplitude * rate_cycle),
        "cache_hit_ratio": constant(baseline.cache_hit_ratio),
        "latency_p50": latency.p50 + latency.p50_amplitude * latency_cycle,
        "latency_p99": latency.p99 + latency.p99_amplitude * latency_cycle,
        "model_score_mean": constant(baseline.model_score.mean),
        "ctr": constant(baseline.ctr),
        "impressions_per_request": constant(baseline.impressions_per_request),
    }
    for feature, null_rate in baseline.features.items():
        curves[f"null_rate.{feature}"] = constant(null_rate)
    for experiment, spec in baseline.experiments.items():
        curves[f"assignment_rate.{experiment}"] = constant(spec.assignment_rate)
        for variant, weight in spec.split.items():
            curves[f"split.{experiment}.{variant}"] = constant(weight)
    return curves


def parameter_curves(scenario: Scenario, t_s: np.ndarray) -> dict[str, np.ndarray]:
    """Baseline curves with every incident's changes applied in file order, then clipped to range.

    Baseline values are validated in range by the schema, so only changed curves need clipping.
    """
    baseline = scenario.baseline
    if baseline is None:  # no ranker preset: it has no parameters
        return {}
    curves = baseline_curves(baseline, t_s)
    changed: set[str] = set()
    duration_s = scenario.duration_ms / 1000.0
    for incident in scenario.incidents:
        start_s = incident.start_ms / 1000.0
        for change in incident.changes:
            if change.series is not None:  # a declared series' parameter (see series.py)
                continue
            profile = shape_profile(change, t_s - start_s, duration_s - start_s)
            if change.delta is not None:
                curves[change.parameter] = curves[change.parameter] + change.delta * profile
            else:
                assert change.factor is not None  # the schema requires exactly one of delta and factor
                curves[change.parameter] = curves[change.parameter] * (1.0 + (change.factor - 1.0) * profile)
            changed.add(change.parameter)
    bounds = parameter_bounds(baseline)
    for name in changed:
        curves[name] = np.clip(curves[name], *bounds[name])
    # A log-normal needs p99 above p50; an incident that crosses them keeps p99 just above.
    curves["latency_p99"] = np.maximum(curves["latency_p99"], curves["latency_p50"] * 1.001)
    return curves
