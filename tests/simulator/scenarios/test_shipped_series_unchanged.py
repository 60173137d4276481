"""The shipped scenarios generate the same samples, bit for bit, as before generic series existed.

The fingerprints below were computed from the generator of commit 4d6f5ab (before the generic
series and the `ranker` preset); they pin labels, timestamps and float64 bits of every series.
"""

from pathlib import Path

import pytest
from series_hash import series_hash

from simulator.scenarios import generate_series, load_scenario

SHIPPED = Path(__file__).resolve().parents[3] / "scenarios"

FINGERPRINTS = {
    "cache-degradation.yaml": "38aeffe60dd1abc0d00f903fb2618dc831396178f0309b472b0eccb76a0029fe",
    "ctr-sag.yaml": "188a06cf6845b3ec24eda4a234e72ddc037b1a1b5848d0ace6bf82f1f4b91149",
    "latency-regression.yaml": "7df1792022b7202a266eb887e06bbbe89345b0a773f83130ab80f604bfabf10e",
    "model-score-shift.yaml": "d902fc76c25eaaa63d033fc7108506f3200ac8e6e8c3150af382b18a5ff3c209",
    "no-traffic.yaml": "e0a5ed8c7cf8067e9c4a6c642e7710d733da91910aa707a72ca9556a460284c5",
    "null-rate-spike.yaml": "95f6279901dc2d146447dc025595fc8f3da9eeff10ed11df0b877c9dd240d102",
    "oncall-exercise.yaml": "27e58fc38301f71e05b8b088d904dfed142d1ce152d4f3f473625a02ff950fff",
    "process-restarts.yaml": "f64199953eaed25b9648b6ae21dbe9737d420981c9a1288ff92747568bdfb26c",
    "quiet-fortnight.yaml": "bc16b464b68bd2de4d2f60c1282c5dcb864ad8b9de21d46531d1909a2e0f156e",
    "srm-drift.yaml": "1a824ffb448715f2eac9b3455a138eb3fe881aa8de1b7998004902cea5782f73",
}


@pytest.mark.parametrize("name", sorted(FINGERPRINTS))
def test_shipped_scenario_series_are_bit_identical(name):
    assert series_hash(generate_series(load_scenario(SHIPPED / name))) == FINGERPRINTS[name]
