"""Fixtures of the evaluation tests: the session's tiny model bundle."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "conversion"))

from tiny_bundle_helpers import tiny_bundle


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_bundle(tmp_path_factory).bundle_dir


@pytest.fixture(scope="session")
def tiny_test_documents(tmp_path_factory: pytest.TempPathFactory) -> list:
    from tiny_bundle_helpers import tiny_model

    return tiny_model(tmp_path_factory).test_documents
