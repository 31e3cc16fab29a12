"""Fixtures of the benchmark tests: the session's trained tiny model and its bundle."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "conversion"))

from tiny_bundle_helpers import TinyModel, tiny_bundle, tiny_model

from resume_ner.conversion.build import BundleResult


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    return tiny_model(tmp_path_factory)


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> BundleResult:
    return tiny_bundle(tmp_path_factory)
