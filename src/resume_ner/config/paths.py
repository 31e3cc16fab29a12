"""Where the project keeps what commands produce: MLflow store, index, outputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProjectPaths:
    """The folders and files of a project, all under one root folder.

    The embedded default keeps MLflow's SQLite store and artifacts in ``mlruns/``, the run index
    and version counter in ``outputs/cache/``, and stage outputs under ``outputs/``.
    """

    root: Path

    @classmethod
    def at(cls, root: Path | str | None = None) -> ProjectPaths:
        """Paths under ``root`` (the current working directory when not given)."""
        return cls(Path(root if root is not None else Path.cwd()).resolve())

    def relative(self, path: Path | str) -> Path:
        """``path`` relative to the root when it lies under it, else ``path`` unchanged: how a
        path is recorded (in a tag, a metadata file) so that it still holds once the project
        folder is copied or moved. :meth:`locate` reads it back."""
        resolved = Path(path).resolve()
        return resolved.relative_to(self.root) if resolved.is_relative_to(self.root) else Path(path)

    def locate(self, recorded: Path | str) -> Path:
        """A path recorded by :meth:`relative`, as a path under this root when it is relative."""
        path = Path(recorded)
        return path if path.is_absolute() else self.root / path

    @property
    def mlflow_dir(self) -> Path:
        return self.root / "mlruns"

    @property
    def mlflow_db(self) -> Path:
        return self.mlflow_dir / "mlflow.db"

    @property
    def artifacts_dir(self) -> Path:
        return self.mlflow_dir / "artifacts"

    @property
    def optuna_db(self) -> Path:
        return self.mlflow_dir / "optuna.db"

    @property
    def outputs_dir(self) -> Path:
        return self.root / "outputs"

    @property
    def cache_dir(self) -> Path:
        return self.outputs_dir / "cache"

    @property
    def config_dir(self) -> Path:
        return self.root / "config"
