"""Fixtures for selection tests: one real SQLite MLflow store per test module, in which each
test builds its runs under a study family of its own."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from selection_helpers import RunBuilder, open_project_store

from resume_ner.naming.canonical import sha256_hex
from resume_ner.tracking.context import TrackingContext


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, template_mlflow_db: Path
) -> Iterator[TrackingContext]:
    """A tracking context on a project store shared by the tests of one module."""
    with open_project_store(tmp_path_factory.mktemp("selection"), template_mlflow_db) as opened:
        yield opened


@pytest.fixture
def family(request: pytest.FixtureRequest) -> str:
    """The study family of this test: no other test's sweeps belong to it."""
    return sha256_hex(request.node.nodeid)


@pytest.fixture
def runs(store: TrackingContext, family: str) -> RunBuilder:
    """Creates sweeps (in ``family``) and benchmarks through the product's trackers."""
    return RunBuilder(store, family)
