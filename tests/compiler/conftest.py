"""Fixtures of the compiler tests (helpers live in compiler_testkit)."""

from __future__ import annotations

from pathlib import Path

import pytest
from compiler_testkit import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """An empty project in a temp dir."""
    return Project(tmp_path)
