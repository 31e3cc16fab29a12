"""Fixtures for selection tests: a run builder on a real SQLite MLflow store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from selection_helpers import RunBuilder


@pytest.fixture
def runs(tracking) -> RunBuilder:
    """Creates sweeps and benchmarks in the ``project`` store through the product's trackers."""
    return RunBuilder(tracking)
