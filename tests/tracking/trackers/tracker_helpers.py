"""Helpers for tracker tests: a tracking context for a test project, config variants, and a
record of the calls made on the MLflow client."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from resume_ner.config.mlflow import MlflowConfig
from resume_ner.tracking.context import TrackingContext

STUDY_HASH = "a" * 64
FAMILY_HASH = "b" * 64


def make_tracking(project, config: MlflowConfig | None = None) -> TrackingContext:
    """A tracking context for ``project`` (with ``config`` instead of the project's, if given)."""
    return project.tracking_context(config)


def with_stage_disabled(config: MlflowConfig, stage: str) -> MlflowConfig:
    """``config`` with ``tracking.<stage>.enabled`` off."""
    switches = getattr(config.tracking, stage).model_copy(update={"enabled": False})
    tracking = config.tracking.model_copy(update={stage: switches})
    return config.model_copy(update={"tracking": tracking})


@dataclass
class ClientCalls:
    """Names of the public ``MlflowClient`` methods called, in order."""

    names: list[str] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(self.names)

    def clear(self) -> None:
        self.names.clear()


def code_tag_keys(run) -> set[str]:
    """The ``code.*`` tag keys of ``run``."""
    return {key for key in run.data.tags if key.startswith("code.")}
