"""The Optuna study of a sweep: its identity and name, sampler, pruner, and trial counts.

A study is named after its key hash, ``{project}-{backbone}-{study_hash[:16]}``, so every
process that computes the same key (same data, search space, objective, CV, sampler, pruner,
training settings and backbone) joins the same study; ``--force`` starts a new revision,
``...-r2``, ``...-r3``.

A study names its objective (``metric_names``, the objective metric of ``hpo.yaml``) and carries
user attributes saying what it is and where its runs are (:func:`describe_study`), so that
optuna-dashboard shows them beside the trials.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from resume_ner.config.hpo import HpoConfig, PrunerConfig, SamplerConfig
from resume_ner.naming.canonical import hash_payload
from resume_ner.naming.keys import (
    build_hpo_study_family_hash,
    build_hpo_study_family_key,
    build_hpo_study_key,
    build_hpo_study_key_hash,
)

if TYPE_CHECKING:
    import optuna
    from optuna.storages import BaseStorage

STUDY_HASH_LENGTH = 16
REVISION_SEPARATOR = "-r"
#: How an intermediate value's step maps to a fold and epoch (see :mod:`resume_ner.hpo.objective`).
INTERMEDIATE_STEP = "fold * epochs + epoch - 1 (each fold's curve starts again at its first step)"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class StudyIdentity:
    """A sweep's identity: its study key and hashes, and the base name of its study."""

    backbone: str
    study_key: dict[str, Any]
    study_key_hash: str
    study_family_hash: str
    base_study_name: str


@dataclass(frozen=True)
class TrialCounts:
    """How many trials of a study are in each state."""

    complete: int = 0
    pruned: int = 0
    failed: int = 0
    running: int = 0
    waiting: int = 0

    @property
    def finished(self) -> int:
        """Trials that count towards the target: COMPLETE and PRUNED."""
        return self.complete + self.pruned

    @property
    def total(self) -> int:
        """Every trial of the study, whatever its state."""
        return self.complete + self.pruned + self.failed + self.running + self.waiting


def build_study_identity(
    *,
    project: str,
    backbone: str,
    data_fingerprint: str,
    hpo: HpoConfig,
    training: Mapping[str, Any],
) -> StudyIdentity:
    """The identity of the study of ``backbone`` under ``hpo`` on data ``data_fingerprint``.

    ``training`` holds whatever else decides a trial's result (training settings, windowing,
    the backbone preset's definition). Raises
    :class:`~resume_ner.naming.errors.NamingError` for an empty fingerprint or backbone.
    """
    # The backbone's own definition separates studies, not study families: a family compares
    # backbones under the same data, search and training protocol.
    family_training = dict(training)
    backbone_config = family_training.pop("backbone_preset", None)
    fields = {"data_fingerprint": data_fingerprint, "training": family_training}
    study_key = build_hpo_study_key(
        backbone=backbone,
        backbone_config=backbone_config,
        **fields,
        **hpo.study_identity(backbone),
    )
    study_hash = build_hpo_study_key_hash(study_key)
    family_hash = build_hpo_study_family_hash(
        build_hpo_study_family_key(**fields, **hpo.study_identity())
    )
    slug = _UNSAFE_NAME.sub("-", backbone.strip().lower()).strip("-") or "model"
    base = f"{project}-{slug}-{study_hash[:STUDY_HASH_LENGTH]}"
    return StudyIdentity(backbone, study_key, study_hash, family_hash, base)


def revision_name(base_study_name: str, revision: int) -> str:
    """The study name of ``revision`` (1 is the base name itself)."""
    return base_study_name if revision <= 1 else f"{base_study_name}{REVISION_SEPARATOR}{revision}"


def next_revision_name(storage: BaseStorage, base_study_name: str) -> str:
    """The first revision name of ``base_study_name`` not used by a study in ``storage``."""
    names = {study.study_name for study in storage.get_all_studies()}
    revision = 1
    while revision_name(base_study_name, revision) in names:
        revision += 1
    return revision_name(base_study_name, revision)


def sampler_seed(seed: int, stream: str) -> int:
    """A seed for one sampler instance, derived from the configured ``seed`` and ``stream``.

    A resumed sweep or a second worker must not replay the proposals of the first: each gets
    its own stream (worker index, trials already in the study), so the proposals stay
    reproducible without repeating.
    """
    return int(hash_payload({"seed": seed, "stream": stream})[:8], 16)


def build_sampler(config: SamplerConfig, *, stream: str = "0") -> optuna.samplers.BaseSampler:
    """The configured sampler (TPE or random), seeded from ``config.seed`` and ``stream``."""
    import optuna

    seed = None if config.seed is None else sampler_seed(config.seed, stream)
    if config.name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=config.n_startup_trials)


def build_pruner(config: PrunerConfig) -> optuna.pruners.BasePruner:
    """The configured pruner: ``MedianPruner`` or ``NopPruner`` for ``none``."""
    import optuna

    if config.name == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(
        n_startup_trials=config.n_startup_trials, n_warmup_steps=config.n_warmup_steps
    )


def open_study(
    storage: BaseStorage, study_name: str, hpo: HpoConfig, *, stream: str = "0"
) -> optuna.Study:
    """Create the study ``study_name`` in ``storage``, or load it when it exists.

    The sampler is seeded for ``stream`` (see :func:`sampler_seed`); the direction comes from
    the objective. Raises what Optuna raises for an unusable storage.
    """
    import optuna

    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        sampler=build_sampler(hpo.sampler, stream=stream),
        pruner=build_pruner(hpo.pruner),
        direction=hpo.objective.direction,
        load_if_exists=True,
    )
    if study.metric_names != [hpo.objective.metric]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names([hpo.objective.metric])
    return study


def describe_study(
    study: optuna.Study,
    *,
    backbone: str,
    data_fingerprint: str,
    experiment_id: str | None,
    sweep_run_id: str | None,
) -> None:
    """Set ``study``'s user attributes: ``backbone``, ``data_fingerprint``,
    ``mlflow_experiment_id`` and ``mlflow_sweep_run_id`` (when tracked), and
    ``intermediate_step`` (:data:`INTERMEDIATE_STEP`). Only changed values are written."""
    attributes: dict[str, Any] = {
        "backbone": backbone,
        "data_fingerprint": data_fingerprint,
        "mlflow_experiment_id": experiment_id,
        "mlflow_sweep_run_id": sweep_run_id,
        "intermediate_step": INTERMEDIATE_STEP,
    }
    current = study.user_attrs
    for name, value in attributes.items():
        if value is not None and current.get(name) != value:
            study.set_user_attr(name, value)


def load_existing_study(storage: BaseStorage, study_name: str) -> optuna.Study | None:
    """The study ``study_name`` in ``storage``, or ``None`` when there is none (reads only)."""
    import optuna

    try:
        return optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        return None


def quiet_optuna() -> None:
    """Keep Optuna's per-trial INFO lines and experimental-feature warnings off the console.

    For command-line entry points and worker processes, which report progress themselves.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def count_trials(study: optuna.Study | None) -> TrialCounts:
    """The number of trials of ``study`` in each state (all zero for ``None``)."""
    if study is None:
        return TrialCounts()
    from optuna.trial import TrialState

    states = [trial.state for trial in study.get_trials(deepcopy=False)]
    return TrialCounts(
        complete=states.count(TrialState.COMPLETE),
        pruned=states.count(TrialState.PRUNED),
        failed=states.count(TrialState.FAIL),
        running=states.count(TrialState.RUNNING),
        waiting=states.count(TrialState.WAITING),
    )
