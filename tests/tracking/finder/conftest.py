"""Fixtures for finder, query, hash and probe tests: tracking contexts and run factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from finder_helpers import make_run_in

from resume_ner.tracking.context import TrackingContext

MakeRun = Callable[..., Any]


@pytest.fixture
def tracking(project) -> Iterator[TrackingContext]:
    """The tracking context of the SQLite project (client, registry, file index)."""
    with TrackingContext.open(
        project.paths, project.project, tracking_uri=project.tracking_uri, environ={}
    ) as opened:
        yield opened


@pytest.fixture
def server_tracking(server_project) -> Iterator[TrackingContext]:
    """The tracking context of a project whose runs go to the session's ``mlflow server``."""
    with TrackingContext.open(
        server_project.paths,
        server_project.project,
        tracking_uri=server_project.tracking_uri,
        environ={},
    ) as opened:
        yield opened


@pytest.fixture
def make_run(tracking: TrackingContext) -> MakeRun:
    """``make_run(context, run_name=..., with_key_hash=..., status=..., extra=...)`` -> Run."""
    return lambda context, **options: make_run_in(tracking, context, **options)


@pytest.fixture
def make_server_run(server_tracking: TrackingContext) -> MakeRun:
    """:func:`make_run` on the ``mlflow server`` project."""
    return lambda context, **options: make_run_in(server_tracking, context, **options)
