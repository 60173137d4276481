"""Synthetic incident scenarios: the file format, the baseline model, incidents and generators.

Public entry points: loader.load_scenario(path) -> Scenario, generators.generate_series(scenario)
and generators.populate_storage(series) -> Storage.
"""

from common.problems import Problem

from .errors import ScenarioError
from .generators import GeneratedSeries, generate_series, populate_storage
from .loader import load_scenario, parse_scenario
from .model import Incident, Scenario

__all__ = [
    "GeneratedSeries",
    "Incident",
    "Problem",
    "Scenario",
    "ScenarioError",
    "generate_series",
    "load_scenario",
    "parse_scenario",
    "populate_storage",
]
