"""The configuration a sweep runs with, and the training settings that decide a trial's result."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from resume_ner.config.data import DataConfig
from resume_ner.config.hpo import AUTO_BACKBONES, HpoConfig
from resume_ner.config.model import ModelConfig, PackagePreset
from resume_ner.config.project import ProjectConfig
from resume_ner.config.train import TrainConfig
from resume_ner.hpo.errors import HpoInputError

#: Training settings that change how fast a model trains, not what it learns.
NON_IDENTITY_TRAIN_FIELDS = frozenset({"num_threads", "eval_batch_size"})


@dataclass(frozen=True)
class SweepConfigs:
    """``hpo.yaml``, ``data.yaml``, ``train.yaml`` and ``model.yaml``, parsed."""

    hpo: HpoConfig
    data: DataConfig
    train: TrainConfig
    model: ModelConfig

    @classmethod
    def from_project(cls, project: ProjectConfig) -> SweepConfigs:
        """The four files a sweep needs, from ``project``: ``hpo.yaml``'s ``auto`` backbone
        resolved (:func:`resolve_backbones`) and its search space checked
        (:func:`check_search_space`, which raises :class:`HpoInputError`)."""
        hpo = project.hpo.model_copy(
            update={"backbones": resolve_backbones(project.hpo.backbones, project.model)}
        )
        configs = cls(hpo=hpo, data=project.data, train=project.train, model=project.model)
        check_search_space(configs)
        return configs


def check_search_space(configs: SweepConfigs) -> None:
    """Check that every searched name is a ``train.yaml`` setting the trainer can override.

    Raises :class:`~resume_ner.hpo.errors.HpoInputError` naming the unknown parameters.
    """
    unknown = sorted(set(configs.hpo.search_space) - set(TrainConfig.model_fields))
    if unknown:
        raise HpoInputError(
            f"hpo.yaml search_space names {unknown}, which train.yaml does not have; "
            f"searchable settings: {sorted(TrainConfig.model_fields)}"
        )


def resolve_backbones(names: Sequence[str], model: ModelConfig) -> list[str]:
    """``names`` with ``auto`` replaced by ``model.yaml``'s default backbone followed by every
    preset whose weights ship in an installed package (``minilm`` once
    ``resume-ner[minilm]`` is installed), without duplicates."""
    resolved: list[str] = []
    for name in names:
        expanded = [name]
        if name == AUTO_BACKBONES:
            installed = [
                preset_name
                for preset_name, preset in model.presets.items()
                if isinstance(preset, PackagePreset)
                and importlib.util.find_spec(preset.package) is not None
            ]
            expanded = [model.default_backbone, *installed]
        resolved += [backbone for backbone in expanded if backbone not in resolved]
    return resolved


def trial_epochs(configs: SweepConfigs, params: Mapping[str, Any] | None = None) -> int:
    """Epochs a trial trains for: ``epochs`` when searched, else ``hpo.yaml``'s, else ``train.yaml``'s."""
    if params and "epochs" in params:
        return int(params["epochs"])
    return configs.hpo.epochs or configs.train.epochs


def refit_epochs(configs: SweepConfigs, params: Mapping[str, Any]) -> int:
    """Epochs the refit trains for: ``refit.epochs``, else as many as the trial trained."""
    return configs.hpo.refit.epochs or trial_epochs(configs, params)


def training_identity(configs: SweepConfigs, backbone: str) -> dict[str, Any]:
    """What decides a trial's result besides the sampled hyperparameters and the data.

    The training settings (with the trial's epochs), the windowing and label settings of
    ``data.yaml`` and the definition of the backbone preset. Raises :class:`ValueError` for an
    empty backbone name.
    """
    _, preset = configs.model.resolve(backbone)
    train = configs.train.model_dump(mode="json", exclude=set(NON_IDENTITY_TRAIN_FIELDS))
    train["epochs"] = trial_epochs(configs)
    data = configs.data
    return {
        "train": train,
        "backbone_preset": preset.model_dump(mode="json"),
        "data": {
            "labels": list(data.labels),
            "label_map": dict(data.label_map),
            "max_length": data.max_length,
            "stride": data.stride,
            "label_all_subwords": data.label_all_subwords,
        },
    }
