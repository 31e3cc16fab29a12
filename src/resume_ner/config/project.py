"""Every configuration file of a project, parsed and validated once into one object.

The command line opens a :class:`ProjectConfig` once per invocation and passes the parsed
sections down; library code never reads a configuration file itself. A section's file is read
when the section is first used (a read command needs three of the eleven files), and
:meth:`ProjectConfig.check` reads the ones a command needs before it writes anything.
"""

from __future__ import annotations

import importlib
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


def _loader(module: str, function: str) -> Callable[[Path | None], object]:
    """``module.function``, imported when it is first called."""

    def load(config_dir: Path | None) -> object:
        return getattr(importlib.import_module(f"resume_ner.config.{module}"), function)(config_dir)

    load.__name__ = function
    return load


#: The loader of each configuration file; the file's stem names its :class:`ProjectConfig`
#: section.
LOADERS: dict[str, Callable[[Path | None], object]] = {
    f"{stem}.yaml": _loader(stem, f"load_{stem}_config")
    for stem in (
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
}
SECTIONS = tuple(Path(name).stem for name in LOADERS)


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
            self._section(section)

    def replace(self, **sections: Any) -> ProjectConfig:
        """A copy with ``sections`` (name: parsed section) instead of this one's."""
        return type(self)(self.config_dir, **{**self._sections, **sections})

    def _section(self, name: str) -> Any:
        if name not in self._sections:
            self._sections[name] = LOADERS[f"{name}.yaml"](self.config_dir)
        return self._sections[name]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProjectConfig):
            return NotImplemented
        return self.config_dir == other.config_dir and all(
            self._section(name) == other._section(name) for name in SECTIONS
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ProjectConfig(config_dir={self.config_dir!r}, read={sorted(self._sections)})"

    @property
    def benchmark(self) -> BenchmarkConfig:
        return cast("BenchmarkConfig", self._section("benchmark"))

    @property
    def conversion(self) -> ConversionConfig:
        return cast("ConversionConfig", self._section("conversion"))

    @property
    def data(self) -> DataConfig:
        return cast("DataConfig", self._section("data"))

    @property
    def hpo(self) -> HpoConfig:
        return cast("HpoConfig", self._section("hpo"))

    @property
    def mlflow(self) -> MlflowConfig:
        return cast("MlflowConfig", self._section("mlflow"))

    @property
    def model(self) -> ModelConfig:
        return cast("ModelConfig", self._section("model"))

    @property
    def naming(self) -> NamingConfig:
        return cast("NamingConfig", self._section("naming"))

    @property
    def selection(self) -> SelectionConfig:
        return cast("SelectionConfig", self._section("selection"))

    @property
    def serve(self) -> ServeConfig:
        return cast("ServeConfig", self._section("serve"))

    @property
    def tags(self) -> TagsConfig:
        return cast("TagsConfig", self._section("tags"))

    @property
    def train(self) -> TrainConfig:
        return cast("TrainConfig", self._section("train"))
