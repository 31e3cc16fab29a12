"""Fixtures of the serving tests: the session's tiny trained model and bundle, the model opened
for serving, and real uvicorn servers on 127.0.0.1 (with and without an API key) running the API
with small limits, so that every limit is reached with small requests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "conversion"))
sys.path.insert(0, str(Path(__file__).parent))

from serve_helpers import API_KEY, LIMITS
from tiny_bundle_helpers import TinyModel, tiny_bundle, tiny_model

from resume_ner.config.serve import ServeConfig
from resume_ner.serve.app import create_app
from resume_ner.serve.server import BackgroundServer
from resume_ner.serve.source import ModelSource, ServedModel, load_served_model


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    return tiny_model(tmp_path_factory)


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_bundle(tmp_path_factory).bundle_dir


@pytest.fixture(scope="session")
def served(bundle_dir: Path) -> ServedModel:
    return load_served_model(ModelSource(bundle_dir=bundle_dir))


@pytest.fixture(scope="session")
def api_config() -> ServeConfig:
    return ServeConfig(limits=LIMITS)


@pytest.fixture(scope="session")
def api_url(served: ServedModel, api_config: ServeConfig) -> Iterator[str]:
    """A real uvicorn server on 127.0.0.1 serving the tiny model without an API key."""
    with BackgroundServer(create_app(served, api_config)) as server:
        yield server.url


@pytest.fixture(scope="session")
def keyed_api_url(served: ServedModel, api_config: ServeConfig) -> Iterator[str]:
    """The same API on another port, requiring :data:`API_KEY`."""
    with BackgroundServer(create_app(served, api_config, api_key=API_KEY)) as server:
        yield server.url


@pytest.fixture
def client(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=60) as http:
        yield http
