"""Fixtures for tracker tests: a tracking context on the project's SQLite store, the naming
contexts of each stage, and a counter of the calls made on the MLflow client."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tracker_helpers import FAMILY_HASH, STUDY_HASH, ClientCalls

from resume_ner.naming.context import NamingContext
from resume_ner.naming.policy import build_parent_training_id


@pytest.fixture
def sweep_context() -> NamingContext:
    return NamingContext(
        process_type="hpo_sweep",
        model="distilbert-base-cased",
        study_key_hash=STUDY_HASH,
        study_family_hash=FAMILY_HASH,
    )


@pytest.fixture
def training_context() -> NamingContext:
    return NamingContext(
        process_type="final_training", model="tiny-bert", spec_fp="c" * 64, exec_fp="d" * 64
    )


@pytest.fixture
def conversion_context() -> NamingContext:
    return NamingContext(
        process_type="conversion",
        model="tiny-bert",
        parent_training_id=build_parent_training_id("c" * 64, "d" * 64, 1),
        conv_fp="e" * 64,
    )


@pytest.fixture
def benchmark_context() -> NamingContext:
    return NamingContext(
        process_type="benchmarking",
        model="tiny-bert",
        parent_training_id=build_parent_training_id("c" * 64, "d" * 64, 1),
        benchmark_config_hash="f" * 64,
        target="onnx_int8",
    )


@pytest.fixture
def client_calls(project, monkeypatch: pytest.MonkeyPatch) -> ClientCalls:
    """Record every call of a public method on the project's ``MlflowClient``.

    Each method is wrapped on the client instance (and restored after the test); the wrapper
    counts and calls the real method, so MLflow behaves exactly as it does unwrapped.
    """
    client = project.client
    calls = ClientCalls()
    for name in dir(type(client)):
        if name.startswith("_") or not callable(getattr(type(client), name, None)):
            continue
        method = getattr(client, name)

        def counted(*args, _name=name, _method=method, **kwargs):
            calls.names.append(_name)
            return _method(*args, **kwargs)

        monkeypatch.setattr(client, name, counted)
    return calls
