"""Every configuration file of a project, parsed and validated once into one object.

The command line loads a :class:`ProjectConfig` once per invocation and passes the parsed
sections down; library code never reads a configuration file itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from resume_ner.config.benchmark import BenchmarkConfig, load_benchmark_config
from resume_ner.config.conversion import ConversionConfig, load_conversion_config
from resume_ner.config.data import DataConfig, load_data_config
from resume_ner.config.hpo import HpoConfig, load_hpo_config
from resume_ner.config.loader import check_config_folder
from resume_ner.config.mlflow import MlflowConfig, load_mlflow_config
from resume_ner.config.model import ModelConfig, load_model_config
from resume_ner.config.naming import NamingConfig, load_naming_config
from resume_ner.config.selection import SelectionConfig, load_selection_config
from resume_ner.config.serve import ServeConfig, load_serve_config
from resume_ner.config.tags import TagsConfig, load_tags_config
from resume_ner.config.train import TrainConfig, load_train_config

#: The loader of each configuration file; the file's stem names its :class:`ProjectConfig` field.
LOADERS: dict[str, Callable[[Path | None], object]] = {
    "benchmark.yaml": load_benchmark_config,
    "conversion.yaml": load_conversion_config,
    "data.yaml": load_data_config,
    "hpo.yaml": load_hpo_config,
    "mlflow.yaml": load_mlflow_config,
    "model.yaml": load_model_config,
    "naming.yaml": load_naming_config,
    "selection.yaml": load_selection_config,
    "serve.yaml": load_serve_config,
    "tags.yaml": load_tags_config,
    "train.yaml": load_train_config,
}


@dataclass(frozen=True)
class ProjectConfig:
    """Every configuration file, parsed; ``config_dir`` is where they came from (``None``: the
    shipped defaults), kept for messages only. Picklable: worker processes receive it."""

    config_dir: Path | None
    benchmark: BenchmarkConfig
    conversion: ConversionConfig
    data: DataConfig
    hpo: HpoConfig
    mlflow: MlflowConfig
    model: ModelConfig
    naming: NamingConfig
    selection: SelectionConfig
    serve: ServeConfig
    tags: TagsConfig
    train: TrainConfig

    @classmethod
    def load(cls, config_dir: Path | None = None) -> ProjectConfig:
        """Load and validate every file of ``config_dir`` (a file it lacks: the defaults).

        Raises :class:`~resume_ner.config.errors.ConfigError` naming the file and key of the
        first problem, or a file of the folder that looks like configuration but is none
        (:func:`~resume_ner.config.loader.check_config_folder`).
        """
        check_config_folder(config_dir)
        sections = {Path(name).stem: load(config_dir) for name, load in LOADERS.items()}
        return cls(config_dir=config_dir, **sections)
