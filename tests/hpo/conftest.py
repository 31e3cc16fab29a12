"""Fixtures for sweep tests: a project with a real SQLite MLflow store and a tiny config folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from hpo_helpers import write_config_dir


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A config folder with tiny data (24 documents), a tiny model, 1 epoch, 4 trials x 3 folds."""
    return write_config_dir(tmp_path / "config")
