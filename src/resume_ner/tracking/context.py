"""The tracking context: everything a stage needs to create and find its runs, opened once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from resume_ner.config.mlflow import MlflowConfig
from resume_ner.config.paths import ProjectPaths
from resume_ner.config.project import ProjectConfig
from resume_ner.naming.policy import NamingPolicy, build_mlflow_experiment_name
from resume_ner.naming.tags import TagsRegistry
from resume_ner.tracking.index.base import IndexBackend

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient


@dataclass
class TrackingContext:
    """An MLflow client with the configuration, naming policy, tag registry and index it uses.

    Library code receives this object instead of reading configuration or MLflow's global
    state itself. ``index`` holds both the run index and the version counter.
    """

    client: MlflowClient
    tracking_uri: str
    project: ProjectConfig
    policy: NamingPolicy
    registry: TagsRegistry
    index: IndexBackend
    paths: ProjectPaths
    artifact_root: Path | None = None
    is_azure: bool = False
    _experiment_ids: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def open(
        cls,
        paths: ProjectPaths,
        project: ProjectConfig,
        *,
        tracking_uri: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> TrackingContext:
        """Set MLflow up for ``project``'s ``mlflow.yaml`` and open the index backend."""
        from resume_ner.tracking.client import get_client
        from resume_ner.tracking.index.backends import open_index_backend
        from resume_ner.tracking.setup import setup_mlflow

        config = project.mlflow
        setup = setup_mlflow(config, paths=paths, tracking_uri=tracking_uri, environ=environ)
        return cls(
            client=get_client(setup.tracking_uri),
            tracking_uri=setup.tracking_uri,
            project=project,
            policy=NamingPolicy.from_project(project),
            registry=TagsRegistry(project.tags),
            index=open_index_backend(config.index, paths),
            paths=paths,
            artifact_root=setup.artifact_root,
            is_azure=setup.is_azure,
        )

    @property
    def config(self) -> MlflowConfig:
        """The project's ``mlflow.yaml``."""
        return self.project.mlflow

    def experiment_id_for(self, process_type: str) -> str:
        """The id of the experiment runs of ``process_type`` belong to (created when missing)."""
        from resume_ner.tracking.runs import get_or_create_experiment
        from resume_ner.tracking.setup import experiment_artifact_location

        name = build_mlflow_experiment_name(process_type, self.policy)
        if name not in self._experiment_ids:
            self._experiment_ids[name] = get_or_create_experiment(
                self.client,
                name,
                artifact_location=experiment_artifact_location(self.artifact_root, name),
            )
        return self._experiment_ids[name]
