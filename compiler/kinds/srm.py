"""`srm`: sample-ratio mismatch of every running experiment, by a Pearson chi-square test.

An experiment assigns units to k variants with an expected split (equal unless declared). Over the window each
variant i received o_i assignments; with N = Σ o_i the expected count is e_i = N · share_i, and

    χ² = Σ_i (o_i − e_i)² / e_i

follows, when the assignment really follows the split, a chi-square distribution with k − 1 degrees of freedom.
The alert fires when χ² exceeds the critical value c with P(χ²_{k−1} > c) = p_value: the split is then very
unlikely to be the declared one (a broken bucketing, a variant that crashes and loses users, a bot filter...).
The critical value is computed here from p_value and k (compiler.chisquare) for each k from 2 to max_variants;
the emitted rule picks the one matching the number of variants each experiment has.

Recording rules, all `by (experiment[, variant])`:
    observed  o = sum by (experiment, variant) (increase(assignments[window]))
    share       = declared constants, or 1 / count of observed variants for undeclared experiments
    expected  e = share * on (experiment) group_left () sum by (experiment) (o)
    chi2        = sum by (experiment) ((o - e) ^ 2 / e or e)     # `or e`: a declared variant with no
                                                                  # assignment at all counts (0 − e)² / e = e
    critical    = one constant per experiment, chosen by its variant count
    alert:      chi2 > critical and N >= min_assignments

Layer: business (default), not model: a sample-ratio mismatch says nothing about the model's quality; it
voids the experiment's readout, the evidence a product decision (ship the variant or not) is made on.

Parameters and why their defaults:
- metric ("experiment_assignments_total"), experiment_label ("experiment"), variant_label ("variant").
- window (1h): enough assignments for the chi-square approximation (every e_i well above 5), short enough that
  a drifting split is caught within a few hours.
- p_value (1e-6): the test runs every minute, for every experiment, for weeks. At p = 0.001 the roughly 336
  independent hourly windows of two weeks give a false page about every third experiment-fortnight; at 1e-6 the
  chance is about 3 in 10,000, while a real mismatch of a few percent on thousands of assignments has χ² in the
  hundreds and still fires.
- expected_splits ({}): per experiment, variant -> weight (normalised to shares), e.g. {control: 9, treatment: 1}.
- max_variants (5): critical values are emitted for 2..max_variants variants; experiments with more are ignored.
- min_assignments (100): assignments per experiment in the window below which the test is not run.
- selector (none): extra label matchers on the assignments counter.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from compiler.chisquare import chi_square_critical_value
from compiler.kinds.base import (
    Kind,
    KindParams,
    LabelName,
    Matchers,
    MetricName,
    NonNegativeFloat,
    OpenUnitInterval,
    PositiveFloat,
    Window,
    number,
    quote_label_value,
    selector,
    window_ms,
)
from compiler.model import Alert, KindRules, RecordingRule
from compiler.naming import metric_base, recording_rule_name, window_suffix


class Params(KindParams):
    """Parameters of `srm` (see the module docstring for the defaults' reasons)."""

    metric: MetricName = "experiment_assignments_total"
    experiment_label: LabelName = "experiment"
    variant_label: LabelName = "variant"
    window: Window = "1h"
    p_value: OpenUnitInterval = 1e-6
    expected_splits: dict[str, dict[str, PositiveFloat]] = {}
    max_variants: Annotated[int, Field(ge=2, le=20)] = 5
    min_assignments: NonNegativeFloat = 100.0
    selector: Matchers = ""

    @model_validator(mode="after")
    def _splits_fit(self) -> Params:
        if self.experiment_label == self.variant_label:
            raise ValueError("experiment_label and variant_label must differ")
        for experiment, weights in self.expected_splits.items():
            if not 2 <= len(weights) <= self.max_variants:
                raise ValueError(
                    f"expected_splits.{experiment}: declare between 2 and max_variants ({self.max_variants}) variants"
                )
        return self


def _label_replace_constant(value: float, labels: dict[str, str]) -> str:
    """`vector(value)` carrying the given labels (label_replace on the empty source label sets each one)."""
    expression = f"vector({number(value)})"
    for name, label_value in labels.items():
        # Trap: label_replace expands `$1`/`${name}` in the replacement (promql/functions.go funcLabelReplace,
        # regexp.Expand), so a literal `$` in an experiment or variant name must be written `$$`.
        replacement = quote_label_value(label_value.replace("$", "$$"))
        expression = f'label_replace({expression}, "{name}", {replacement}, "", "")'
    return expression


def _share_expr(params: Params, observed_name: str) -> str:
    experiment, variant = params.experiment_label, params.variant_label
    equal_split = (
        f"{observed_name} * 0 + on ({experiment}) group_left () (1 / count by ({experiment}) ({observed_name}))"
    )
    declared = []
    for experiment_name in sorted(params.expected_splits):
        weights = params.expected_splits[experiment_name]
        total = sum(weights.values())
        for variant_name in sorted(weights):
            labels = {experiment: experiment_name, variant: variant_name}
            declared.append(_label_replace_constant(weights[variant_name] / total, labels))
    if not declared:
        return equal_split
    return f"({' or '.join(declared)}) or on ({experiment}) ({equal_split})"


def critical_values(p_value: float, max_variants: int) -> dict[int, float]:
    """The chi-square critical value for each variant count k (k − 1 degrees of freedom)."""
    return {k: chi_square_critical_value(p_value, k - 1) for k in range(2, max_variants + 1)}


def build(alert: Alert, params: Params) -> KindRules:
    """Record observed and expected assignments, χ² and its critical value; alert when χ² exceeds it."""
    window = window_suffix(window_ms(params.window))
    experiment, variant = params.experiment_label, params.variant_label
    base = metric_base(params.metric)
    assignments = selector(params.metric, params.selector)
    observed_name = recording_rule_name([experiment, variant], base, f"increase{window}", alert.group)
    share_name = recording_rule_name([experiment, variant], base, "expected_share", alert.group)
    expected_name = recording_rule_name([experiment, variant], base, f"expected_increase{window}", alert.group)
    chi2_name = recording_rule_name([experiment], base, f"srm_chi2_increase{window}", alert.group)
    critical_name = recording_rule_name([experiment], base, "srm_chi2_critical", alert.group)
    criticals = critical_values(params.p_value, params.max_variants)
    critical_expr = " or ".join(
        f"(count by ({experiment}) ({expected_name}) == {k}) * 0 + {number(value)}" for k, value in criticals.items()
    )
    total = f"sum by ({experiment}) ({observed_name})"
    rules = [
        RecordingRule(observed_name, f"sum by ({experiment}, {variant}) (increase({assignments}[{window}]))"),
        RecordingRule(share_name, _share_expr(params, observed_name)),
        RecordingRule(expected_name, f"{share_name} * on ({experiment}) group_left () {total}"),
        RecordingRule(
            chi2_name,
            f"sum by ({experiment}) ((({observed_name} - {expected_name}) ^ 2 / {expected_name}) or {expected_name})",
        ),
        RecordingRule(critical_name, critical_expr),
    ]
    alert_expr = f"({chi2_name} > {critical_name}) and on ({experiment}) ({total} >= {number(params.min_assignments)})"
    return KindRules(
        recording_rules=rules,
        alert_expr=alert_expr,
        facts={
            "p_value": number(params.p_value),
            "window": window,
            "critical_values": {k: f"{value:.4f}" for k, value in criticals.items()},
            "chi2_series": chi2_name,
            "observed_series": observed_name,
            "expected_series": expected_name,
            "min_assignments": number(params.min_assignments),
        },
    )


KIND = Kind("srm", Params, build, default_layer="business")
