"""One MLflow client per tracking URI."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient


@lru_cache(maxsize=8)
def get_client(tracking_uri: str) -> MlflowClient:
    """The (cached) ``MlflowClient`` bound to ``tracking_uri``."""
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri)
