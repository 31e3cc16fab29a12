"""The model of ``hpo.yaml``: backbones, search space, budget, sampler, pruner, CV, refit, storage."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from resume_ner.config.base import StrictModel
from resume_ner.config.loader import load_config_file


class SearchParameter(StrictModel):
    """One hyperparameter of the search space and the range Optuna samples it from.

    ``float`` and ``int`` take ``low``/``high`` (inclusive) with ``log`` or ``step`` (not both);
    ``categorical`` takes ``choices``.
    """

    type: Literal["float", "int", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = Field(None, gt=0)
    choices: list[str | int | float | bool] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SearchParameter:
        if self.type == "categorical":
            if not self.choices:
                raise ValueError("a categorical parameter needs a non-empty 'choices' list")
            if self.low is not None or self.high is not None or self.log or self.step:
                raise ValueError("a categorical parameter takes only 'choices'")
            return self
        if self.choices is not None:
            raise ValueError(f"a {self.type} parameter takes low/high, not 'choices'")
        if self.low is None or self.high is None:
            raise ValueError(f"a {self.type} parameter needs both 'low' and 'high'")
        if self.low > self.high:
            raise ValueError(f"low ({self.low:g}) must not exceed high ({self.high:g})")
        if self.log and self.step is not None:
            raise ValueError("'log' and 'step' cannot be combined")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-scaled range needs low > 0 (got {self.low:g})")
        if self.type == "int":
            for name in ("low", "high", "step"):
                value = getattr(self, name)
                if value is not None and float(value) != int(value):
                    raise ValueError(f"an int parameter needs a whole '{name}' (got {value:g})")
        return self

    def identity(self) -> dict[str, Any]:
        """The fields that define the range, as they enter the study key (unset ones left out)."""
        return self.model_dump(exclude_none=True, exclude_defaults=False)


class ObjectiveConfig(StrictModel):
    """The metric a trial is scored by (the mean over CV folds) and which way is better."""

    metric: str = Field("macro_f1", min_length=1)
    direction: Literal["maximize", "minimize"] = "maximize"


class SamplerConfig(StrictModel):
    """Which Optuna sampler proposes hyperparameters, and its seed (``null``: not seeded)."""

    name: Literal["tpe", "random"] = "tpe"
    seed: int | None = 42
    n_startup_trials: int = Field(2, ge=0)


class PrunerConfig(StrictModel):
    """The pruner that stops unpromising trials early (``median`` or ``none``).

    Intermediate values are reported per epoch of every fold (see
    :mod:`resume_ner.hpo.objective`); ``n_warmup_steps`` counts those reports within a trial.
    """

    name: Literal["median", "none"] = "median"
    n_startup_trials: int = Field(2, ge=0)
    n_warmup_steps: int = Field(1, ge=0)


class CvConfig(StrictModel):
    """K-fold cross-validation over the HPO pool (train + validation); ``k_folds: 1`` = no CV."""

    k_folds: int = Field(1, ge=1, le=20)
    seed: int = 42


class RefitConfig(StrictModel):
    """Retraining the best trial's hyperparameters on the whole HPO pool after the sweep."""

    enabled: bool = True
    epochs: int | None = Field(None, ge=1)


def default_search_space() -> dict[str, SearchParameter]:
    """The search space shipped in ``hpo.yaml`` (ranges suited to the randomly initialised
    ``tiny`` preset)."""
    return {
        "learning_rate": SearchParameter(type="float", low=1e-3, high=1e-2, log=True),
        "batch_size": SearchParameter(type="categorical", choices=[8, 16]),
        "weight_decay": SearchParameter(type="float", low=0.0, high=0.1),
        "dropout": SearchParameter(type="float", low=0.0, high=0.3),
    }


def default_backbone_search_spaces() -> dict[str, dict[str, SearchParameter]]:
    """The shipped per-backbone replacements: a pretrained encoder is fine-tuned with a learning
    rate ten times smaller than a randomly initialised one learns with."""
    return {
        "minilm": {"learning_rate": SearchParameter(type="float", low=5e-5, high=5e-4, log=True)}
    }


#: The backbone name that stands for the default backbone plus every installed packaged preset
#: (resolved by :func:`resume_ner.hpo.configs.resolve_backbones`).
AUTO_BACKBONES = "auto"


class SwitchConfig(StrictModel):
    """A feature that is on unless ``enabled: false``."""

    enabled: bool = True


class HpoConfig(StrictModel):
    """Everything ``hpo.yaml`` holds."""

    backbones: list[str] = Field(default_factory=lambda: [AUTO_BACKBONES], min_length=1)
    search_space: dict[str, SearchParameter] = Field(
        default_factory=default_search_space, min_length=1
    )
    #: Per backbone, parameters of ``search_space`` whose range differs for it.
    backbone_search_spaces: dict[str, dict[str, SearchParameter]] = Field(
        default_factory=default_backbone_search_spaces
    )
    n_trials: int = Field(3, ge=1, le=100_000)
    epochs: int | None = Field(1, ge=1)
    timeout_s: float | None = Field(None, gt=0)
    objective: ObjectiveConfig = Field(default_factory=ObjectiveConfig)
    sampler: SamplerConfig = Field(default_factory=SamplerConfig)
    pruner: PrunerConfig = Field(default_factory=PrunerConfig)
    cv: CvConfig = Field(default_factory=CvConfig)
    refit: RefitConfig = Field(default_factory=RefitConfig)
    storage: str | None = None
    heartbeat_interval_s: int = Field(10, ge=1)
    grace_period_s: int | None = Field(None, ge=1)
    max_trial_retries: int = Field(2, ge=0)
    cleanup: SwitchConfig = Field(default_factory=SwitchConfig)
    plots: SwitchConfig = Field(default_factory=SwitchConfig)

    @field_validator("backbones")
    @classmethod
    def _unique_backbones(cls, value: list[str]) -> list[str]:
        cleaned = [name.strip() for name in value]
        if any(not name for name in cleaned):
            raise ValueError("backbone names must not be empty")
        duplicates = sorted({name for name in cleaned if cleaned.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate backbones {duplicates}")
        return cleaned

    @field_validator("search_space")
    @classmethod
    def _plain_names(cls, value: dict[str, SearchParameter]) -> dict[str, SearchParameter]:
        for name in value:
            if not name or not name.replace("_", "").isalnum():
                raise ValueError(f"{name!r} is not a parameter name (letters, digits and '_')")
        return value

    @model_validator(mode="after")
    def _overrides_name_searched_parameters(self) -> HpoConfig:
        if "backbone_search_spaces" not in self.model_fields_set:
            return self  # the shipped ranges apply to what a user's own search space searches
        for backbone, space in self.backbone_search_spaces.items():
            unknown = sorted(set(space) - set(self.search_space))
            if unknown:
                raise ValueError(
                    f"backbone_search_spaces.{backbone} names {unknown}, which search_space does "
                    f"not search (it may only change the range of {sorted(self.search_space)})"
                )
        return self

    def search_space_for(self, backbone: str) -> dict[str, SearchParameter]:
        """The search space of ``backbone``'s study: ``search_space`` with the parameters
        ``backbone_search_spaces`` gives it in their place."""
        return {**self.search_space, **self._replacements(backbone)}

    def _replacements(self, backbone: str) -> dict[str, SearchParameter]:
        space = self.backbone_search_spaces.get(backbone, {})
        return {name: p for name, p in space.items() if name in self.search_space}

    @field_validator("storage")
    @classmethod
    def _storage_url(cls, value: str | None) -> str | None:
        if value is not None and "://" not in value:
            raise ValueError(
                "storage must be an SQLAlchemy URL such as sqlite:///path/optuna.db or "
                "postgresql+psycopg://user@host/db (null: SQLite in the project's mlruns/)"
            )
        return value

    @property
    def grace_period(self) -> int:
        """Seconds without a heartbeat after which another worker fails a running trial."""
        return self.grace_period_s or 2 * self.heartbeat_interval_s

    def study_identity(self, backbone: str | None = None) -> dict[str, Any]:
        """The parts of this configuration that define ``backbone``'s study (they enter its
        key), or with ``None`` a study family (the base search space and every backbone's
        replacement ranges, so that backbones swept under one configuration compare).

        The budget (``n_trials``, ``timeout_s``), storage, refit and the switches are left out:
        raising ``n_trials`` continues the same study instead of starting another. ``epochs``
        enters with the training settings (:func:`resume_ner.hpo.configs.training_identity`).
        """
        space = self.search_space if backbone is None else self.search_space_for(backbone)
        family = {}
        replacements = {
            name: {key: p.identity() for key, p in sorted(self._replacements(name).items())}
            for name in sorted(self.backbone_search_spaces)
        }
        if backbone is None and any(replacements.values()):
            family["backbone_search_spaces"] = replacements
        return {
            **family,
            "search_space": {name: p.identity() for name, p in space.items()},
            "objective": self.objective.model_dump(),
            "cv": self.cv.model_dump(),
            "sampler": self.sampler.model_dump(),
            "pruner": self.pruner.model_dump(),
        }


def load_hpo_config(config_dir: Path | None = None) -> HpoConfig:
    """Load ``hpo.yaml`` from ``config_dir`` (or the shipped default).

    Raises :class:`resume_ner.config.errors.ConfigError` naming the file and key of any problem.
    """
    return load_config_file("hpo.yaml", HpoConfig, config_dir)
