"""Fixtures for artifact tests."""

from __future__ import annotations

import pytest

from resume_ner.tracking.runs import create_run_safe


@pytest.fixture
def run_id(project) -> str:
    """A fresh run in the SQLite project's test experiment."""
    return create_run_safe(project.client, project.experiment(), "artifacts").info.run_id
