"""Every configuration file of a project, parsed and validated once into one object.

The command line opens a :class:`ProjectConfig` once per invocation and passes the parsed
sections down; library code never reads a configuration file itself. A section's file is read
when the section is first used (a read command needs three of the eleven files), and
:meth:`ProjectConfig.check` reads the ones a command needs before it writes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from resume_ner.config.loader import check_config_folder

if TYPE_CHECKING:
    from resume_ner.config.benchmark import BenchmarkConfig
    from resume_ner.config.conversion import ConversionConfig
    from resume_ner.config.data import DataConfig
    from resume_ner.config.hpo import HpoConfig
    from resume_ner.config.mlflow import MlflowConfig
    from resume_ner.config.model import ModelConfig
    from resume_ner.config.naming import NamingConfig
    from resume_ner.config.selection import SelectionConfig
    from resume_ner.config.serve import ServeConfig
    from resume_ner.config.tags import TagsConfig
    from resume_ner.config.train import TrainConfig


#: The configuration sections, each named after its file's stem.
SECTIONS = (
    "benchmark",
    "conversion",
    "data",
    "hpo",
    "mlflow",
    "model",
    "naming",
    "selection",
    "serve",
    "tags",
    "train",
)


class ProjectConfig:
    """The configuration files of ``config_dir`` (``None``: the shipped defaults; kept for
    messages only), each parsed on first use and then kept. Picklable: worker processes
    receive it with every section it has read."""

    def __init__(self, config_dir: Path | None, **sections: Any) -> None:
        unknown = set(sections) - set(SECTIONS)
        if unknown:
            raise TypeError(f"unknown configuration sections: {sorted(unknown)}")
        self.config_dir = config_dir
        self._sections: dict[str, Any] = dict(sections)

    @classmethod
    def open(cls, config_dir: Path | None = None) -> ProjectConfig:
        """The configuration of ``config_dir``, its files read on first use.

        Raises :class:`~resume_ner.config.errors.ConfigError` naming a file of the folder that
        looks like configuration but is none (:func:`~resume_ner.config.loader.check_config_folder`).
        """
        check_config_folder(config_dir)
        return cls(config_dir)

    @classmethod
    def load(cls, config_dir: Path | None = None) -> ProjectConfig:
        """Load and validate every file of ``config_dir`` (a file it lacks: the defaults).

        Raises :class:`~resume_ner.config.errors.ConfigError` naming the file and key of the
        first problem.
        """
        config = cls.open(config_dir)
        config.check()
        return config

    def check(self, *sections: str) -> None:
        """Read and validate the files of ``sections`` (default: every file) now.

        Raises :class:`~resume_ner.config.errors.ConfigError` naming the file and key of the
        first problem.
        """
        for section in sections or SECTIONS:
            getattr(self, section)

    def replace(self, **sections: Any) -> ProjectConfig:
        """A copy with ``sections`` (name: parsed section) instead of this one's."""
        return type(self)(self.config_dir, **{**self._sections, **sections})

    def _section(self, name: str, load: Callable[[Path | None], object]) -> Any:
        if name not in self._sections:
            self._sections[name] = load(self.config_dir)
        return self._sections[name]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProjectConfig):
            return NotImplemented
        return self.config_dir == other.config_dir and all(
            getattr(self, name) == getattr(other, name) for name in SECTIONS
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ProjectConfig(config_dir={self.config_dir!r}, read={sorted(self._sections)})"

    @property
    def benchmark(self) -> BenchmarkConfig:
        from resume_ner.config.benchmark import load_benchmark_config

        return cast("BenchmarkConfig", self._section("benchmark", load_benchmark_config))

    @property
    def conversion(self) -> ConversionConfig:
        from resume_ner.config.conversion import load_conversion_config

        return cast("ConversionConfig", self._section("conversion", load_conversion_config))

    @property
    def data(self) -> DataConfig:
        from resume_ner.config.data import load_data_config

        return cast("DataConfig", self._section("data", load_data_config))

    @property
    def hpo(self) -> HpoConfig:
        from resume_ner.config.hpo import load_hpo_config

        return cast("HpoConfig", self._section("hpo", load_hpo_config))

    @property
    def mlflow(self) -> MlflowConfig:
        from resume_ner.config.mlflow import load_mlflow_config

        return cast("MlflowConfig", self._section("mlflow", load_mlflow_config))

    @property
    def model(self) -> ModelConfig:
        from resume_ner.config.model import load_model_config

        return cast("ModelConfig", self._section("model", load_model_config))

    @property
    def naming(self) -> NamingConfig:
        from resume_ner.config.naming import load_naming_config

        return cast("NamingConfig", self._section("naming", load_naming_config))

    @property
    def selection(self) -> SelectionConfig:
        from resume_ner.config.selection import load_selection_config

        return cast("SelectionConfig", self._section("selection", load_selection_config))

    @property
    def serve(self) -> ServeConfig:
        from resume_ner.config.serve import load_serve_config

        return cast("ServeConfig", self._section("serve", load_serve_config))

    @property
    def tags(self) -> TagsConfig:
        from resume_ner.config.tags import load_tags_config

        return cast("TagsConfig", self._section("tags", load_tags_config))

    @property
    def train(self) -> TrainConfig:
        from resume_ner.config.train import load_train_config

        return cast("TrainConfig", self._section("train", load_train_config))


def _section_loader(name: str) -> Callable[[Path | None], object]:
    def load(config_dir: Path | None) -> object:
        return getattr(ProjectConfig(config_dir), name)

    return load


#: The loader of each configuration file (by its section's property, which imports it).
LOADERS: dict[str, Callable[[Path | None], object]] = {
    f"{name}.yaml": _section_loader(name) for name in SECTIONS
}
