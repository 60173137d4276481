"""The layers of the monitoring risk map (issue 10): where in the stack an alert watches.

Every compiled alert may carry the label `layer` (compiler: the definition's `layer:` or its kind's default);
reports and coverage (simulator) read it from the compiled rule files and group alerts by it, in this order.
"""

from __future__ import annotations

LAYER_LABEL = "layer"
LAYERS = ("data", "model", "system", "business")
NO_LAYER = "-"  # how reports print an alert whose definition names no layer (a `raw` alert without `layer:`)


def layer_order(layer: str | None) -> int:
    """Sort key: the risk-map layers in order, then an unknown value (a hand-written rule file), then none."""
    if layer in LAYERS:
        return LAYERS.index(layer)
    return len(LAYERS) if layer else len(LAYERS) + 1
